import sys
import os

sys.stdout.write("Authorization: token " + os.environ["GH_PAT"] + "\r\n\tnext")
