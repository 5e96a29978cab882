import requests


class Client:
    """Talks to the API."""

    token = 'ghp_KcBEKanD0F0rPZkcHFuep88VxcA3iMwyAs0R'

    def __init__(self) -> None:
        self.api_key = "MFekFRD5ziAILwIyFSkJCg9A"
        self.session = requests.Session()
