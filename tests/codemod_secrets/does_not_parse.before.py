import requests

def main(:
    TOKEN = "ghp_KcBEKanD0F0rPZkcHFuep88VxcA3iMwyAs0R"
