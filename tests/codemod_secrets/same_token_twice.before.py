import requests

requests.get("https://api.github.com/user", headers={"Authorization": "token ghp_KcBEKanD0F0rPZkcHFuep88VxcA3iMwyAs0R"})
requests.get("https://api.github.com/rate_limit", auth=("bot", "ghp_KcBEKanD0F0rPZkcHFuep88VxcA3iMwyAs0R"))
