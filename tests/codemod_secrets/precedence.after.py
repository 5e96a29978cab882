import base64
import os

auth = base64.b64encode(("bot:" + os.environ["GH_PAT"]).encode())
parts = [*("token " + os.environ["GH_PAT"]).split()]
size = 2 * len("Bearer " + os.environ["GH_PAT"])
first = ("Bearer " + os.environ["GH_PAT"])[0]
