"""Helpers for the end-to-end tests: seeding the sandbox from fixbot's examples, running
``fixbot run`` through its real argument parser, and reading the access log."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from github import Auth, Github

from fixbot.commands import run as run_cmd
from fixbot.sandbox import Sandbox

EXAMPLES = Path(__file__).resolve().parents[2] / "fixbot" / "examples"
GOLDEN = Path(__file__).resolve().parent / "golden"
BOT_TOKEN = "ghp_e2eBotToken0000000000000000000000000"
HUMAN_TOKEN = "ghp_e2eHumanToken00000000000000000000000"
BRANCH = "fixbot/harden-workflows"


def example_files(name: str) -> dict[str, str]:
    root = EXAMPLES / name
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(root.rglob("*")) if p.is_file()}


def seed(sb: Sandbox, name: str, owner: str = "acme", **flags: object) -> str:
    files = example_files(name)
    files["README.md"] = f"# {name}\n"
    sb.create_repo(owner, name, files, **flags)
    return f"{owner}/{name}"


def parser() -> argparse.ArgumentParser:
    """The ``run`` sub-command's real parser (fixbot/cli.py registers it the same way)."""
    p = argparse.ArgumentParser(prog="fixbot")
    sub = p.add_subparsers(dest="command")
    run_cmd.register(sub)
    return p


def cli(*argv: str) -> int:
    args = parser().parse_args(["run", *argv])
    return int(args.func(args))


def client(sb: Sandbox, token: str = HUMAN_TOKEN) -> Github:
    return Github(base_url=sb.api_url, auth=Auth.Token(token), retry=None,
                  seconds_between_requests=None, seconds_between_writes=None)


def rest_lines(sb: Sandbox) -> list[str]:
    """``METHOD PATH`` of every REST request in the access log, in order."""
    return [f"{e.method} {e.path}" for e in sb.access_log if e.path.startswith("/api/")]


def git_lines(sb: Sandbox) -> list[str]:
    return [f"{e.method} {e.path}" for e in sb.access_log if not e.path.startswith("/api/")]


def golden(name: str, actual: str, regen: bool, root: Path = GOLDEN) -> None:
    """``actual`` must equal the golden file ``root/name``; only ``--regen-golden`` writes it
    (a missing golden file fails: a test must never pass by writing its own expectation)."""
    path = root / name
    if regen:
        path.write_text(actual, encoding="utf-8")
    assert path.is_file(), f"golden file {path} is missing; write it with pytest --regen-golden"
    assert actual == path.read_text(encoding="utf-8"), f"differs from golden {path}"


def branch_diff(sb: Sandbox, full: str, base: str = "main") -> str:
    owner, name = full.split("/")
    return sb.repo(owner, name).git("diff", base, BRANCH).decode()


def branch_commits(sb: Sandbox, full: str, base: str = "main") -> list[str]:
    """``author-email committer-email subject`` of each commit on the branch, not on base."""
    owner, name = full.split("/")
    out = sb.repo(owner, name).git("log", "--format=%ae %ce %s", f"{base}..{BRANCH}")
    return out.decode().splitlines()


def load_json(text: str) -> Any:
    return json.loads(text)
