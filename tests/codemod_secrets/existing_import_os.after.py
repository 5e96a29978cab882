"""Publish the package."""
import os
import subprocess

NPM_TOKEN = os.environ["NPM_TOKEN"]


def publish() -> None:
    env = dict(os.environ, NODE_AUTH_TOKEN=NPM_TOKEN)
    subprocess.run(["npm", "publish"], env=env, check=True)
