import github
import requests

gh = github.Github(login_or_token="ghp_KcBEKanD0F0rPZkcHFuep88VxcA3iMwyAs0R", per_page=100)
requests.post("https://registry.example.com/upload", data=b"x", auth_token="npm_kZm8wBACpRrjNHl3hrDtkQP80lXlEXwuBoaI")
