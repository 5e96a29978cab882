import os

npm = os.environ.get("NPM_TOKEN", "npm_kZm8wBACpRrjNHl3hrDtkQP80lXlEXwuBoaI")
os.environ.setdefault("GH_TOKEN", "ghp_KcBEKanD0F0rPZkcHFuep88VxcA3iMwyAs0R")
os.environ["AWS_ACCESS_KEY_ID"] = "AKIACVUPFQ2ZKY5P7R74"
user, api_key = "bot", "MFekFRD5ziAILwIyFSkJCg9A"


def check(given: str) -> bool:
    return given == "ghp_qDlRtQxiDX3pCNycLapim86tIxX5puQJCBEe"
