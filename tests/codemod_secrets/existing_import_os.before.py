"""Publish the package."""
import os
import subprocess

NPM_TOKEN = "npm_kZm8wBACpRrjNHl3hrDtkQP80lXlEXwuBoaI"


def publish() -> None:
    env = dict(os.environ, NODE_AUTH_TOKEN=NPM_TOKEN)
    subprocess.run(["npm", "publish"], env=env, check=True)
