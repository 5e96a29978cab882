import requests

HEADERS = {"Authorization": "Bearer ghp_KcBEKanD0F0rPZkcHFuep88VxcA3iMwyAs0R", "Accept": "application/json"}
raw = "token ghp_KcBEKanD0F0rPZkcHFuep88VxcA3iMwyAs0R".encode()
requests.get("https://api.github.com/user", headers={"Authorization": f"token {TOKEN}"})
