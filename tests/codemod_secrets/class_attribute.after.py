import requests
import os


class Client:
    """Talks to the API."""

    token = os.environ['GH_PAT']

    def __init__(self) -> None:
        self.api_key = os.environ["API_KEY"]
        self.session = requests.Session()
