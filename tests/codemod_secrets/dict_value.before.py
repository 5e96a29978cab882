import requests

CONFIG = {
    "url": "https://api.example.com",
    "api_key": "MFekFRD5ziAILwIyFSkJCg9A",  # the production key
    "aws_access_key_id": "AKIACVUPFQ2ZKY5P7R74",
}
requests.get(CONFIG["url"], params={"api_key": CONFIG["api_key"]})
