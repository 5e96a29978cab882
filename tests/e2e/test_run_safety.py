"""``fixbot run``: secrets stay secret, big repositories stay cheap, errors are clear, local
mode pushes nothing, and GitHub App auth works through the sandbox's token exchange."""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from e2e_helpers import (
    BOT_TOKEN,
    BRANCH,
    EXAMPLES,
    GOLDEN,
    branch_commits,
    cli,
    client,
    example_files,
    git_lines,
    rest_lines,
    seed,
)

from fixbot.commands.run import run_repo
from fixbot.forge import Forge, Policy, TokenCredentials
from fixbot.sandbox import Sandbox
from fixbot.transforms import select

ONLY = ("--only", "persist-credentials")
FIXBOT = "fixbot@users.noreply.github.com"


def test_token_never_lands_on_disk_or_in_output(sb: Sandbox, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str],
                                                caplog: pytest.LogCaptureFixture) -> None:
    seed(sb, "webapp")
    seed(sb, "library")
    caplog.set_level(logging.DEBUG)
    work = tmp_path / "work"
    work.mkdir()
    forge = Forge(sb.api_url, TokenCredentials(BOT_TOKEN))
    outcome = run_repo(forge, "acme/webapp", select("persist-credentials", None), workdir=work)
    assert outcome.status == "pr-opened"
    assert cli("acme/library", *ONLY, "--format", "json") == 0
    assert cli("acme/library", *ONLY) == 0
    captured = capsys.readouterr()
    basic = base64.b64encode(f"x-access-token:{BOT_TOKEN}".encode()).decode()
    on_disk = "".join(p.read_text(errors="replace") for p in (work / "repo" / ".git").rglob("*")
                      if p.is_file() and p.stat().st_size < 1_000_000)
    config = (work / "repo" / ".git" / "config").read_text()
    assert "extraheader" not in config.lower() and "http://127.0.0.1" in config
    texts = {"git dir": on_disk, "stdout": captured.out, "stderr": captured.err,
             "logs": caplog.text, "json": json.dumps(outcome.as_json()),
             "pr body": client(sb).get_repo("acme/webapp").get_pull(1).body}
    for where, text in texts.items():
        assert BOT_TOKEN not in text, where
        assert basic not in text, where


def test_large_file_is_never_downloaded(sb: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    files: dict[str, str | bytes] = dict(example_files("webapp"))
    files["assets/video.bin"] = os.urandom(50 * 1024 * 1024)
    sb.create_repo("acme", "media", files)
    sb.clear_log()
    started = time.monotonic()
    assert cli("acme/media", *ONLY, "--format", "json") == 0
    elapsed = time.monotonic() - started
    assert json.loads(capsys.readouterr().out)["status"] == "pr-opened"
    git = [e for e in sb.access_log if not e.path.startswith("/api/")]
    down = sum(e.bytes_out for e in git)
    up = sum(e.bytes_in for e in git)
    print(f"git traffic for a 50 MB repository: {down} B down, {up} B up, {elapsed:.2f} s")
    assert down < 20_000 and up < 20_000  # well under 1 MB: no blob outside .github/ moves
    assert elapsed < 10


def test_local_path_mode_commits_in_a_clone(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "webapp"
    env = {**os.environ, "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@example.com",
           "GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@example.com"}
    for rel, text in example_files("webapp").items():
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        (source / rel).write_text(text)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "init"]):
        subprocess.run(["git", *args], cwd=source, env=env, check=True)
    capsys.readouterr()
    assert cli(str(source), *ONLY) == 0
    out = capsys.readouterr().out
    head, _, rest = out.partition("\n\n")
    title, _, body = rest.partition("\n\n")
    assert title == "Harden workflows: persist-credentials (2 changes in 1 file)"
    assert body == (GOLDEN / "webapp.body.md").read_text()
    reason = head.splitlines()[1].strip()
    assert reason.startswith(f"local mode: committed on branch {BRANCH} in ")
    clone = Path(reason.split(" in ", 1)[1].split("; ")[0])
    log = subprocess.run(["git", "log", "--format=%ae %s", "main..HEAD"], cwd=clone,
                         capture_output=True, text=True, check=True).stdout
    assert log == f"{FIXBOT} {title}\n"
    branches = subprocess.run(["git", "branch", "--list"], cwd=source, capture_output=True,
                              text=True, check=True).stdout
    assert branches == "* main\n"  # the source repository is untouched
    assert cli(source.as_uri(), *ONLY, "--format", "json") == 0  # a git URL works the same
    obj = json.loads(capsys.readouterr().out)
    assert (obj["repo"], obj["status"], obj["pr"]) == (source.as_uri(), "pr-opened", None)
    assert obj["reason"].startswith(f"local mode: committed on branch {BRANCH} in ")


def test_bad_token_is_a_clear_error(sb: Sandbox, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    seed(sb, "webapp")
    monkeypatch.setenv("FIXBOT_TOKEN", "ghp_not-a-real-token")
    assert cli("acme/webapp", *ONLY) == 3
    err = capsys.readouterr().err
    assert err == ("fixbot: acme/webapp: get repository: authentication failed (401 Bad "
                   "credentials); check FIXBOT_TOKEN, GITHUB_TOKEN or the GitHub App settings\n")
    assert rest_lines(sb) == ["GET /api/v3/repos/acme/webapp"]


def test_unknown_repository(sb: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("acme/nope", *ONLY, "--format", "json") == 3
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {
        "repo": "acme/nope", "status": "error", "pr": None, "files": [], "secrets": None,
        "reason": "acme/nope: get repository: not found (404): the repository does not exist "
                  "or the credentials cannot see it"}


def test_server_error_is_retried(sb: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    seed(sb, "webapp")
    sb.inject_fault(r"^/api/v3/repos/acme/webapp$", "500", count=1)
    sb.inject_fault(r"/pulls$", "secondary", count=1, method="POST", retry_after=1)
    assert cli("acme/webapp", *ONLY) == 0
    assert capsys.readouterr().out.startswith("acme/webapp: pr-opened: #1 ")
    lines = [e.line() for e in sb.access_log if e.path.startswith("/api/")]
    assert lines == ["GET /api/v3/repos/acme/webapp 500", "GET /api/v3/repos/acme/webapp 200",
                     "GET /api/v3/repos/acme/webapp/pulls 200",
                     "POST /api/v3/repos/acme/webapp/pulls 403",
                     "POST /api/v3/repos/acme/webapp/pulls 201",
                     "POST /api/v3/repos/acme/webapp/issues/1/labels 200"]


def test_retries_are_bounded(sb: Sandbox) -> None:
    seed(sb, "webapp")
    sb.inject_fault(r"^/api/v3/repos/acme/webapp$", "500", count=10)
    forge = Forge(sb.api_url, TokenCredentials(BOT_TOKEN), Policy(attempts=4, backoff=0.01))
    outcome = run_repo(forge, "acme/webapp", select("persist-credentials", None))
    assert (outcome.status, outcome.reason) == (
        "error", "acme/webapp: get repository: the forge failed (500 Server Error) on every "
                 "attempt")
    assert len(rest_lines(sb)) == 4


def test_long_rate_limit_reset_is_not_waited_for(sb: Sandbox) -> None:
    seed(sb, "webapp")
    sb.inject_fault(r"^/api/v3/repos/acme/webapp$", "primary", count=1, reset_in=3600)
    forge = Forge(sb.api_url, TokenCredentials(BOT_TOKEN), Policy(max_wait=30))
    started = time.monotonic()
    outcome = run_repo(forge, "acme/webapp", select("persist-credentials", None))
    assert time.monotonic() - started < 5
    assert outcome.status == "error"
    assert outcome.reason is not None and outcome.reason.startswith(
        "rate limited: the limit resets in 36")


def test_unreachable_forge(tmp_path: Path) -> None:
    with Sandbox(tmp_path / "gone") as gone:
        url = gone.api_url
    forge = Forge(url, TokenCredentials(BOT_TOKEN), Policy(attempts=2, backoff=0.01))
    outcome = run_repo(forge, "acme/webapp", select("persist-credentials", None))
    assert (outcome.status, outcome.reason) == (
        "error", f"acme/webapp: get repository: cannot reach the forge at {url} after 2 "
                 f"attempt(s): connection refused: nothing listens on {url.split('/')[2]} (is "
                 "the forge running, and are the host and port in the URL right?)")


def test_github_app_installation_token(sb: Sandbox, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    sb.configure_app(4242, public, slug="fixbot-app")
    sb.add_installation("acme", 77)
    seed(sb, "webapp")
    key_file = tmp_path / "app.pem"
    key_file.write_bytes(pem)
    monkeypatch.delenv("FIXBOT_TOKEN")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_ambient-token-that-must-not-be-used")
    monkeypatch.setenv("FIXBOT_APP_ID", "4242")
    monkeypatch.setenv("FIXBOT_APP_PRIVATE_KEY_FILE", str(key_file))
    assert cli("acme/webapp", *ONLY) == 0
    assert capsys.readouterr().out.startswith("acme/webapp: pr-opened: #1 ")
    assert rest_lines(sb) == ["GET /api/v3/repos/acme/webapp/installation",
                              "POST /api/v3/app/installations/77/access_tokens",
                              "GET /api/v3/repos/acme/webapp",
                              "GET /api/v3/repos/acme/webapp/pulls",
                              "POST /api/v3/repos/acme/webapp/pulls",
                              "POST /api/v3/repos/acme/webapp/issues/1/labels"]
    pull = client(sb).get_repo("acme/webapp").get_pull(1)
    assert pull.user.login == "fixbot-app[bot]"
    pushes = {e.login for e in sb.access_log if "receive-pack" in e.path}
    assert pushes == {"fixbot-app[bot]"}
    assert branch_commits(sb, "acme/webapp") == [
        f"{FIXBOT} {FIXBOT} Harden workflows: persist-credentials (2 changes in 1 file)"]
    assert git_lines(sb)  # git went through the same installation token
    assert EXAMPLES.is_dir()


@pytest.mark.parametrize("install,key,message", [
    (False, "good", "acme/webapp: GitHub App installation: the App is not installed on "
                    "acme/webapp (or the repository does not exist)"),
    (True, "bad", "acme/webapp: GitHub App installation: the App private key is not usable: "
                  "InvalidKeyError"),
])
def test_github_app_errors(sb: Sandbox, monkeypatch: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture[str], install: bool, key: str,
                           message: str) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    sb.configure_app(4242, private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    if install:
        sb.add_installation("acme", 77)
    seed(sb, "webapp")
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    monkeypatch.delenv("FIXBOT_TOKEN")
    monkeypatch.setenv("FIXBOT_APP_ID", "4242")
    monkeypatch.setenv("FIXBOT_APP_PRIVATE_KEY", pem if key == "good" else "not a key")
    assert cli("acme/webapp", *ONLY) == 3
    assert capsys.readouterr().err == f"fixbot: {message}\n"


def test_github_url_flag_wins_over_environment(sb: Sandbox, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    seed(sb, "docs-site")
    monkeypatch.setenv("GITHUB_API_URL", "http://127.0.0.1:9/api/v3")  # nothing listens there
    assert cli("acme/docs-site", *ONLY, "--github-url", sb.api_url) == 0
    assert capsys.readouterr().out.startswith("acme/docs-site: no-changes\n")


def test_file_errors_exit_3_but_the_rest_is_handled(sb: Sandbox,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    files = dict(example_files("webapp"))
    files[".github/workflows/broken.yml"] = "jobs: [unclosed\n"
    sb.create_repo("acme", "mixed", files)
    assert cli("acme/mixed", *ONLY, "--format", "json") == 3
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "pr-opened"
    assert [(f["path"], f["status"]) for f in out["files"]] == [
        (".github/workflows/broken.yml", "error"), (".github/workflows/ci.yml", "changed")]
    body = client(sb).get_repo("acme/mixed").get_pull(1).body
    assert "- `.github/workflows/broken.yml`: not processed: " in body
