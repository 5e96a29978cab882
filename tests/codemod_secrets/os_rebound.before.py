from fake import os

TOKEN = "ghp_KcBEKanD0F0rPZkcHFuep88VxcA3iMwyAs0R"


def run(os) -> None:
    print(os)
