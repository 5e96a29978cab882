"""Upload the build to S3.

Runs in CI.
"""
from __future__ import annotations
import os

AWS_ACCESS_KEY_ID = os.environ["AWS_ACCESS_KEY_ID"]
