import requests
import os

HEADERS = {"Authorization": "Bearer " + os.environ["GH_PAT"], "Accept": "application/json"}
raw = ("token " + os.environ["GH_PAT"]).encode()
requests.get("https://api.github.com/user", headers={"Authorization": f"token {TOKEN}"})
