import requests

token = "ghp_KcBEKanD0F0rPZkcHFuep88VxcA3iMwyAs0R"


def fetch(url: str, token: str = "ghp_qDlRtQxiDX3pCNycLapim86tIxX5puQJCBEe") -> bytes:
    return requests.get(url, headers={"Authorization": "token " + token}).content


def other() -> None:
    token = "ghp_KcBEKanD0F0rPZkcHFuep88VxcA3iMwyAs0R"
    print(token[:4])
