import github
import requests
import os

gh = github.Github(login_or_token=os.environ["LOGIN_OR_TOKEN"], per_page=100)
requests.post("https://registry.example.com/upload", data=b"x", auth_token=os.environ["NPM_TOKEN"])
