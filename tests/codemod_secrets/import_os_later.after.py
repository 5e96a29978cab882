import sys

TOKEN = "ghp_KcBEKanD0F0rPZkcHFuep88VxcA3iMwyAs0R"

import os


def later() -> str:
    return os.environ["GH_PAT"]
