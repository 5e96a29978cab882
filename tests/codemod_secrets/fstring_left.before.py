import requests

user = "bot"
url = f"https://{user}:Vq7TnX2pLw9Rk4@git.example.com/org/repo.git"
headers = {"Authorization": f"Bearer ghp_KcBEKanD0F0rPZkcHFuep88VxcA3iMwyAs0R"}
requests.get(url, headers=headers)
