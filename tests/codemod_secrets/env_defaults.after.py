import os

npm = os.environ.get("NPM_TOKEN", os.environ["NPM_TOKEN"])
os.environ.setdefault("GH_TOKEN", os.environ["GH_TOKEN"])
os.environ["AWS_ACCESS_KEY_ID"] = os.environ["AWS_ACCESS_KEY_ID"]
user, api_key = "bot", os.environ["API_KEY"]


def check(given: str) -> bool:
    return given == os.environ["GH_PAT"]
