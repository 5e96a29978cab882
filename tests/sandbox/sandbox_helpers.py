"""Shared constants and helpers for the sandbox tests (imported by conftest and tests)."""

from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path

from github import Auth, Github

from fixbot.sandbox import Sandbox

BOT_TOKEN = "ghp_sandboxBotToken000000000000000000000"
HUMAN_TOKEN = "ghp_sandboxHumanToken00000000000000000000"
WORKFLOW = ("name: ci\non: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
            "    steps:\n      - run: echo hi\n")


def make_client(sb: Sandbox, token: str = BOT_TOKEN, base_url: str | None = None,
                **kw: object) -> Github:
    """PyGithub as the tests use it: no retries, no throttling."""
    options: dict[str, object] = {"retry": None, "seconds_between_requests": None,
                                  "seconds_between_writes": None, **kw}
    return Github(base_url=base_url or sb.api_url, auth=Auth.Token(token),
                  **options)  # type: ignore[arg-type]


def git_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"HOME": str(home), "XDG_CONFIG_HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_TERMINAL_PROMPT": "0", "GIT_AUTHOR_NAME": "Tester",
                "GIT_AUTHOR_EMAIL": "tester@example.com", "GIT_COMMITTER_NAME": "Tester",
                "GIT_COMMITTER_EMAIL": "tester@example.com", "LC_ALL": "C"})
    return env


def run_git(*args: str, cwd: Path | None = None, home: Path, check: bool = True,
            token: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run real git; ``token`` is sent like actions/checkout does (``http.extraHeader``)."""
    pre: list[str] = []
    if token is not None:
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        pre = ["-c", f"http.extraHeader=Authorization: Basic {basic}"]
    proc = subprocess.run(["git", *pre, *args], cwd=cwd, env=git_env(home), capture_output=True,
                          text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
    return proc
