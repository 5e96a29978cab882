import os

GITHUB_TOKEN = os.environ["GITHUB_TOKEN"]
API_KEY = "your-api-key-here"
PASSWORD = "changeme"
AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
COMMIT = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
RUN_ID = "5f0c6b1e-3c9a-4c1e-9f7a-2d8e4b7a9c10"
SECRET_NAME = "DEPLOY_KEY"
URL = "https://git.example.com/org/repo.git"
TOKEN_TEMPLATE = "${{ secrets.GH_PAT }}"
VERSION = "1.2.3-rc.4"
