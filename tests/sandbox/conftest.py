"""Fixtures for the sandbox forge tests: a live sandbox, tokens, a PyGithub client, real git."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from github import Github
from sandbox_helpers import BOT_TOKEN, HUMAN_TOKEN, make_client, run_git

from fixbot.sandbox import Sandbox


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    """A live sandbox with two token logins: ``fixbot-bot`` and the human ``alice``."""
    with Sandbox(tmp_path / "forge", access_log=tmp_path / "access.log") as sb:
        sb.add_token("fixbot-bot", BOT_TOKEN)
        sb.add_token("alice", HUMAN_TOKEN)
        yield sb


@pytest.fixture
def gh(sandbox: Sandbox) -> Github:
    return make_client(sandbox)


@pytest.fixture
def git(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``git(*args, cwd=None, check=True, token=None)`` with an isolated HOME."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)

    def run(*args: str, cwd: Path | None = None, check: bool = True,
            token: str | None = None) -> subprocess.CompletedProcess[str]:
        return run_git(*args, cwd=cwd, home=home, check=check, token=token)

    return run
