import requests
import os

requests.get("https://api.github.com/user", headers={"Authorization": "token " + os.environ["GH_PAT"]})
requests.get("https://api.github.com/rate_limit", auth=("bot", os.environ["GH_PAT"]))
