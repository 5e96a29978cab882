import os

TOKEN = (os.environ["GH_PAT"])
HEADER = ("Authorization: token "
          "ghp_qDlRtQxiDX3pCNycLapim86tIxX5puQJCBEe")
