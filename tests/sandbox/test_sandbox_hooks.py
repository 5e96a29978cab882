"""Test hooks: fault injection, the access log (file and in-memory), the CLI command."""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from github import GithubException, RateLimitExceededException
from github.GithubRetry import GithubRetry
from sandbox_helpers import BOT_TOKEN, make_client

from fixbot.sandbox import Sandbox


def test_injected_500_then_recovery(sandbox: Sandbox) -> None:
    sandbox.create_repo("acme", "widgets", {"README.md": "hi\n"})
    gh = make_client(sandbox)
    sandbox.inject_fault(r"^/api/v3/repos/acme/widgets$", "500", count=2)
    for _ in range(2):
        with pytest.raises(GithubException) as err:
            gh.get_repo("acme/widgets")
        assert err.value.status == 500
    assert gh.get_repo("acme/widgets").name == "widgets"
    assert [e.status for e in sandbox.access_log] == [500, 500, 200]


def test_pygithub_retry_honours_retry_after_on_secondary_limit(sandbox: Sandbox) -> None:
    sandbox.create_repo("acme", "widgets", {"README.md": "hi\n"})
    fault = sandbox.inject_fault(r"/repos/acme/widgets$", "secondary", count=1, retry_after=1)
    gh = make_client(sandbox, retry=GithubRetry(total=3))
    start = time.monotonic()
    assert gh.get_repo("acme/widgets").name == "widgets"
    assert time.monotonic() - start >= 1.0  # waited Retry-After
    assert fault.hits == 1
    assert [e.status for e in sandbox.access_log] == [403, 200]


def test_secondary_and_primary_limit_replies(sandbox: Sandbox) -> None:
    sandbox.create_repo("acme", "widgets", {"README.md": "hi\n"})
    gh = make_client(sandbox)
    sandbox.inject_fault("/repos/acme/widgets", "secondary", retry_after=30)
    with pytest.raises(RateLimitExceededException) as err:
        gh.get_repo("acme/widgets")
    assert err.value.status == 403 and err.value.headers["retry-after"] == "30"
    assert err.value.data["message"].startswith("You have exceeded a secondary rate limit")

    sandbox.inject_fault("/repos/acme/widgets", "primary", reset_in=120)
    with pytest.raises(RateLimitExceededException) as err:
        gh.get_repo("acme/widgets")
    assert err.value.headers["x-ratelimit-remaining"] == "0"
    reset = int(err.value.headers["x-ratelimit-reset"])
    assert 100 < reset - time.time() <= 120
    assert err.value.data["message"].startswith("API rate limit exceeded")


def test_fault_matches_method_and_git_paths(sandbox: Sandbox, git, tmp_path: Path) -> None:
    sandbox.create_repo("acme", "widgets", {"README.md": "hi\n"})
    sandbox.inject_fault("git-upload-pack$", "500", method="POST")
    failed = git("clone", sandbox.git_url("acme", "widgets"), str(tmp_path / "a"),
                 token=BOT_TOKEN, check=False)
    assert failed.returncode != 0
    git("clone", sandbox.git_url("acme", "widgets"), str(tmp_path / "b"), token=BOT_TOKEN)


def test_access_log_file_has_method_path_status_and_no_secrets(sandbox: Sandbox,
                                                              tmp_path: Path) -> None:
    sandbox.create_repo("acme", "widgets", {"README.md": "hi\n"})
    req = urllib.request.Request(
        f"{sandbox.api_url}/repos/acme/widgets/pulls?state=all&access_token={BOT_TOKEN}",
        headers={"Authorization": f"token {BOT_TOKEN}"})
    with urllib.request.urlopen(req) as resp:
        body = resp.read()
    assert json.loads(body) == []
    try:
        urllib.request.urlopen(f"{sandbox.api_url}/repos/acme/nope")
    except urllib.error.HTTPError as e:
        assert e.code == 401
    lines = (tmp_path / "access.log").read_text().splitlines()
    assert lines == ["GET /api/v3/repos/acme/widgets/pulls 200",
                     "GET /api/v3/repos/acme/nope 401"]
    assert BOT_TOKEN not in (tmp_path / "access.log").read_text()
    first = sandbox.access_log[0]
    assert (first.method, first.status, first.bytes_in, first.bytes_out) == (
        "GET", 200, 0, len(body))
    assert first.login == "fixbot-bot"


def _cli_parser() -> argparse.ArgumentParser:
    from fixbot.commands import sandbox as command

    parser = argparse.ArgumentParser(prog="fixbot")
    command.register(parser.add_subparsers(dest="command"))
    return parser


def test_cli_parser_contract() -> None:
    args = _cli_parser().parse_args(["sandbox", "serve", "--root", "/tmp/x", "--host", "127.0.0.1",
                                     "--port", "8123", "--token", "abc", "--token", "alice:def",
                                     "--access-log", "/tmp/log"])
    assert (args.root, args.host, args.port) == (Path("/tmp/x"), "127.0.0.1", 8123)
    assert args.access_log == Path("/tmp/log") and callable(args.func)
    from fixbot.commands.sandbox import parse_tokens

    assert parse_tokens(args.token) == {"abc": "fixbot", "def": "alice"}


def test_cli_serve_runs_until_interrupted(tmp_path: Path) -> None:
    script = ("import argparse, sys\n"
              "from fixbot.commands import sandbox\n"
              "p = argparse.ArgumentParser(prog='fixbot')\n"
              "sandbox.register(p.add_subparsers(dest='command'))\n"
              "a = p.parse_args(sys.argv[1:])\n"
              "sys.exit(a.func(a))\n")
    log = tmp_path / "access.log"
    proc = subprocess.Popen(
        [sys.executable, "-c", script, "sandbox", "serve", "--root", str(tmp_path / "root"),
         "--token", "alice:sekrit", "--access-log", str(log)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        assert banner.startswith("fixbot sandbox listening: git http://127.0.0.1:")
        api = banner.split("REST ", 1)[1].split(" ", 1)[0]
        assert api.endswith("/api/v3")
        req = urllib.request.Request(f"{api}/user", headers={"Authorization": "token sekrit"})
        with urllib.request.urlopen(req) as resp:
            assert json.loads(resp.read())["login"] == "alice"
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert log.read_text() == "GET /api/v3/user 200\n"
    assert "sekrit" not in out + err
    assert (tmp_path / "root" / "forge.sqlite3").is_file()


def test_primary_limit_is_enforced_per_login(sandbox: Sandbox) -> None:
    from sandbox_helpers import HUMAN_TOKEN

    sandbox.create_repo("acme", "widgets", {"README.md": "hi\n"})
    sandbox.server.forge.rates.limit = 2
    gh = make_client(sandbox)
    gh.get_repo("acme/widgets")
    assert gh.rate_limiting == (1, 2)
    gh.get_repo("acme/widgets")
    with pytest.raises(RateLimitExceededException) as err:
        gh.get_repo("acme/widgets")
    assert err.value.status == 403 and err.value.headers["x-ratelimit-remaining"] == "0"
    assert make_client(sandbox, HUMAN_TOKEN).get_repo("acme/widgets").name == "widgets"


def test_cli_busy_port_is_a_usage_error_and_leaves_no_state(tmp_path: Path) -> None:
    import socket

    from fixbot.errors import UsageError

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        args = _cli_parser().parse_args(["sandbox", "serve", "--root", str(tmp_path / "r"),
                                         "--port", str(port)])
        with pytest.raises(UsageError, match=f"cannot serve on 127.0.0.1:{port}"):
            args.func(args)
    assert not (tmp_path / "r").exists()
