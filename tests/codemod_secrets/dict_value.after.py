import requests
import os

CONFIG = {
    "url": "https://api.example.com",
    "api_key": os.environ["API_KEY"],  # the production key
    "aws_access_key_id": os.environ["AWS_ACCESS_KEY_ID"],
}
requests.get(CONFIG["url"], params={"api_key": CONFIG["api_key"]})
