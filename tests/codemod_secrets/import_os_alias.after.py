import os as _os
import sys

TOKEN = _os.environ["GH_PAT"]
print(_os.getcwd(), sys.argv)
