"""Upload the build to S3.

Runs in CI.
"""
from __future__ import annotations

AWS_ACCESS_KEY_ID = "AKIACVUPFQ2ZKY5P7R74"
