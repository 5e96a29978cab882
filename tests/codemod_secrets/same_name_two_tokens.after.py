import requests
import os

token = os.environ["GH_PAT"]


def fetch(url: str, token: str = os.environ["GH_PAT_2"]) -> bytes:
    return requests.get(url, headers={"Authorization": "token " + token}).content


def other() -> None:
    token = os.environ["GH_PAT"]
    print(token[:4])
