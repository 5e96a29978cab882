import os

def run() -> None:
    os = object()
    print(os, "ghp_KcBEKanD0F0rPZkcHFuep88VxcA3iMwyAs0R")


TOKEN = os.environ["GH_PAT"]
