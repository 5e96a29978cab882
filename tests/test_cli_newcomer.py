"""A CLI a newcomer trusts: local paths stay local and say plainly what is wrong, start-up does
not load the forge client, git or the sandbox, ``--help`` names the variables and exit codes,
contradictory flags are usage errors, ``-q`` is quiet, text and JSON tell the same story, and
connection errors name the URL and the likely cause."""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixbot.cli import main

WF = """on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make test
"""
ONLY = ["--only", "persist-credentials"]
GIT_ID = {"GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@example.com",
          "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@example.com"}


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, **GIT_ID})


def commit_repo(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    for rel, text in files.items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_text(text)
    git(path, "add", "-A")
    git(path, "commit", "-qm", "init")
    return path


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Any socket fixbot opens in this process is recorded and refused; the forge settings
    point at a forge that would answer if anything asked it."""
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise AssertionError(f"fixbot reached for the network: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setenv("FIXBOT_TOKEN", "ghp_neverUsed000000000000000000000000000")
    monkeypatch.setenv("GITHUB_API_URL", "https://ghes.example.com/api/v3")
    return attempts


# -- fixbot run on a local path: never the network, and plain words -----------------------------
def test_run_local_paths_never_reach_the_network(tmp_path: Path, no_network: list[object],
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    commit_repo(tmp_path / "acme" / "widgets", {".github/workflows/ci.yml": WF})
    # an existing path shaped like owner/name is the local repository, not a forge name
    assert main(["run", "acme/widgets", *ONLY]) == 0
    out = capsys.readouterr().out
    assert out.startswith("acme/widgets: pr-opened\n  local mode: committed on branch "
                          "fixbot/harden-workflows in ")
    assert "  .github/workflows/ci.yml: changed 1 change(s)\n" in out
    # ./x is a path even where it does not exist: a usage error, not a forge lookup of "./x"
    assert main(["run", "./acme/gone"]) == 2
    assert capsys.readouterr().err == (
        "fixbot: error: ./acme/gone: no such file or directory (REPO is owner/name on the "
        "forge, a local repository or a git URL)\n")
    assert main(["run", "../nowhere", "--format", "json"]) == 2
    assert no_network == []


def test_run_local_problems_are_said_plainly(tmp_path: Path, no_network: list[object],
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plain").mkdir()
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    commit_repo(tmp_path / "docs", {"README.md": "hi\n"})
    commit_repo(tmp_path / "nowf", {".github/workflows/notes.txt": "not a workflow\n"})
    (tmp_path / "docs" / "sub").mkdir()

    def run(target: str) -> tuple[int, dict[str, object], str]:
        rc = main(["run", target, "--format", "json"])
        out, err = capsys.readouterr()
        return rc, json.loads(out), err

    rc, data, err = run("./plain")
    assert (rc, data["status"], data["reason"]) == (3, "error", (
        "not a git repository: ./plain (to fix its workflow files in place, without a commit, "
        "run `fixbot fix ./plain`)"))
    assert err == f"fixbot: {data['reason']}\n"
    rc, data, err = run("./empty")
    assert (rc, data["status"], data["reason"], err) == (
        0, "skipped", "no commits yet: an empty repository has no workflows to fix", "")
    rc, data, _ = run("./docs")
    assert (rc, data["status"], data["reason"]) == (
        0, "no-changes", "no .github/workflows/ directory: nothing to fix")
    rc, data, _ = run("./nowf")
    assert (rc, data["status"], data["reason"]) == (
        0, "no-changes", "no workflow files (*.yml, *.yaml) in .github/workflows/: nothing to fix")
    rc, data, _ = run("./docs/sub")
    assert (rc, data["status"]) == (3, "error")
    assert data["reason"] == (f"not a git repository: ./docs/sub is a directory inside the "
                              f"repository {tmp_path / 'docs'}; give its root instead")
    rc, data, _ = run("./docs/README.md")
    assert (rc, data["reason"]) == (3, "not a git repository: ./docs/README.md is a file")
    assert main(["run", "./empty"]) == 0  # the text says the same
    assert capsys.readouterr().out == (
        "./empty: skipped\n  no commits yet: an empty repository has no workflows to fix\n")
    assert no_network == []


def test_a_local_clone_may_use_local_paths_only(tmp_path: Path) -> None:
    """Every git process of a local-mode clone runs with GIT_ALLOW_PROTOCOL=file: a remote it
    would reach (a lazy fetch, a submodule) is refused by git itself."""
    from fixbot import gitops
    from fixbot.errors import GitError

    with pytest.raises(GitError, match="transport 'http' not allowed"):
        gitops.clone("http://127.0.0.1:9/acme/widgets.git", tmp_path / "c", offline=True)


# -- start-up ----------------------------------------------------------------------------------
HEAVY = ("github", "git", "requests", "urllib3", "jwt", "fixbot.sandbox", "fixbot.forge",
         "fixbot.gitops", "fixbot.commands.run", "fixbot.commands.demo", "markdown_it")


@pytest.mark.parametrize("argv", [["list"], ["fix", "--help"], ["fix", "--check", "{repo}"],
                                  ["fix", "--help", "-q"]])
def test_start_up_loads_no_forge_client_git_or_sandbox(argv: list[str], tmp_path: Path) -> None:
    (tmp_path / ".github/workflows").mkdir(parents=True)
    (tmp_path / ".github/workflows/ci.yml").write_text(WF)
    argv = [a.replace("{repo}", str(tmp_path)) for a in argv]
    script = ("import contextlib, io, json, sys\nfrom fixbot.cli import main\n"
              "with contextlib.redirect_stdout(io.StringIO()):\n"
              "    try:\n        main(sys.argv[1:])\n    except SystemExit:\n        pass\n"
              f"heavy = {HEAVY!r}\n"
              "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in heavy\n"
              "                        or m.startswith(heavy))))\n")
    proc = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []


def test_fix_online_still_loads_the_forge_client_when_asked(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    assert main(["fix", str(tmp_path), "--github-url", "https://ghes.example.com/api/v3"]) == 2
    assert "only meaningful with --online" in capsys.readouterr().err


# -- --help --------------------------------------------------------------------------------------
@pytest.mark.parametrize("argv", [["--help"], ["fix", "--help"], ["run", "--help"]])
def test_help_names_the_token_variables_and_exit_codes(argv: list[str],
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 0
    out = capsys.readouterr().out
    for var in ("FIXBOT_TOKEN", "GITHUB_TOKEN", "FIXBOT_APP_ID", "FIXBOT_APP_PRIVATE_KEY",
                "FIXBOT_APP_PRIVATE_KEY_FILE", "GITHUB_API_URL", "/api/v3"):
        assert var in out, var
    assert ("exit codes:\n"
            "  0    success: nothing to change, or changes applied / pull requests handled\n"
            "  1    changes pending under --check / --diff\n"
            "  2    usage error\n"
            "  3    one or more files or repositories failed (the others were still processed)\n"
            "  130  interrupted (Ctrl-C); one line on stderr says what was done so far\n") in out


def test_help_of_every_command_names_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    from fixbot.commands import COMMANDS

    for name in COMMANDS:
        with pytest.raises(SystemExit):
            main([name, "--help"])
        assert "130  interrupted (Ctrl-C)" in capsys.readouterr().out, name


# -- text and JSON agree; statuses that change nothing list nothing ----------------------------
def test_run_text_and_json_agree_on_the_forge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from fixbot.sandbox import Sandbox

    token = "ghp_newcomerBot000000000000000000000000"
    monkeypatch.setenv("FIXBOT_TOKEN", token)
    monkeypatch.delenv("GITHUB_API_URL", raising=False)
    two = WF.replace("jobs:", "jobs:\n  lint:\n    runs-on: x\n    steps:\n"
                              "      - uses: actions/checkout@v4")
    with Sandbox(tmp_path / "forge") as sb:
        sb.add_token("fixbot-bot", token)
        sb.create_repo("acme", "widgets", {".github/workflows/ci.yml": two})
        url = ["--github-url", sb.api_url, *ONLY]
        assert main(["run", "acme/widgets", "--dry-run", *url]) == 0
        dry = capsys.readouterr().out
        assert main(["run", "acme/widgets", "--dry-run", "--format", "json", *url]) == 0
        data = json.loads(capsys.readouterr().out)
        assert data["status"] == "pr-opened" and data["files"][0]["status"] == "changed"
        assert "  .github/workflows/ci.yml: would change 2 change(s)\n" in dry
        assert "  1 file(s): 1 would change, 0 unchanged, 0 error(s), 2 change(s)\n" in dry
        assert main(["run", "acme/widgets", *url]) == 0
        opened = capsys.readouterr().out
        assert "  .github/workflows/ci.yml: changed 2 change(s)\n" in opened
        assert opened.count("  persist-credentials jobs.") == 2
        # the rerun changes nothing: it says so in one summary line, not change by change
        assert main(["run", "acme/widgets", *url]) == 0
        rerun = capsys.readouterr().out
        assert rerun == (f"acme/widgets: up-to-date: #1 {sb.url}/acme/widgets/pull/1\n"
                         "  1 file(s): 1 would change, 0 unchanged, 0 error(s), 2 change(s)\n")
        assert main(["run", "acme/widgets", "-q", *url]) == 0
        assert capsys.readouterr() == (f"acme/widgets: up-to-date: #1 {sb.url}/acme/widgets/pull/1\n",
                                       "")


# -- connection errors name the URL and the likely cause ----------------------------------------
def _forge(url: str):  # type: ignore[no-untyped-def]
    from fixbot.forge import Forge, Policy, TokenCredentials

    return Forge(url, TokenCredentials("ghp_x"), Policy(sleep=lambda _s: None, attempts=2))


def test_connection_refused_names_the_url_and_what_to_check() -> None:
    from fixbot.errors import ForgeError

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ForgeError) as e:
        _forge(f"http://127.0.0.1:{port}/api/v3").repo("acme/widgets")
    assert str(e.value) == (
        f"acme/widgets: get repository: cannot reach the forge at http://127.0.0.1:{port}/api/v3 "
        f"after 2 attempt(s): connection refused: nothing listens on 127.0.0.1:{port} (is the "
        "forge running, and are the host and port in the URL right?)")


def test_a_host_name_that_does_not_resolve_is_named() -> None:
    from fixbot.errors import ForgeError

    with pytest.raises(ForgeError) as e:
        _forge("http://fixbot-no-such-host.invalid/api/v3").repo("acme/widgets")
    assert "cannot reach the forge at http://fixbot-no-such-host.invalid/api/v3" in str(e.value)
    assert "the host name fixbot-no-such-host.invalid does not resolve" in str(e.value)


def test_a_ghes_url_without_api_v3_gets_a_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """The sandbox behaves like GHES: its web root answers 404 to /repos/..."""
    from fixbot.sandbox import Sandbox

    monkeypatch.setenv("FIXBOT_TOKEN", "ghp_hint0000000000000000000000000000000")
    with Sandbox(tmp_path / "forge") as sb:
        sb.add_token("fixbot-bot", "ghp_hint0000000000000000000000000000000")
        sb.create_repo("acme", "widgets", {".github/workflows/ci.yml": WF})
        assert main(["run", "acme/widgets", "--github-url", sb.url, "--format", "json"]) == 3
        reason = json.loads(capsys.readouterr().out)["reason"]
    assert reason == (
        "acme/widgets: get repository: not found (404): the repository does not exist or the "
        f"credentials cannot see it; {sb.url} has no /api/v3: a GitHub Enterprise Server's REST "
        f"API is {sb.url}/api/v3 (--github-url or GITHUB_API_URL)")


@pytest.fixture
def html_site() -> Iterator[str]:
    """A web server answering 200 with an HTML page to everything (a GHES web UI, a proxy's
    login page)."""
    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<html><body>Sign in</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_html_answer_is_not_taken_for_a_repository(html_site: str) -> None:
    """Before: a TypeError traceback (the clone URL of a 'repository' made of HTML was None)."""
    from fixbot.errors import ForgeError

    with pytest.raises(ForgeError) as e:
        _forge(html_site).repo("acme/widgets")
    assert str(e.value) == (
        f"acme/widgets: get repository: {html_site} answered without a repository: it does not "
        f"look like GitHub's REST API; {html_site} has no /api/v3: a GitHub Enterprise Server's "
        f"REST API is {html_site}/api/v3 (--github-url or GITHUB_API_URL)")


@pytest.mark.parametrize(("url", "hint"), [
    ("https://api.github.com", None),
    ("https://ghes.example.com/api/v3", None),
    ("https://ghes.example.com/api/v3/", None),
    ("https://github.com", "GitHub.com's REST API is https://api.github.com (--github-url or "
                           "GITHUB_API_URL)"),
    ("https://ghes.example.com:8443/", "https://ghes.example.com:8443/ has no /api/v3: a GitHub "
                                       "Enterprise Server's REST API is "
                                       "https://ghes.example.com:8443/api/v3 (--github-url or "
                                       "GITHUB_API_URL)"),
])
def test_url_hints(url: str, hint: str | None) -> None:
    from fixbot.forge.client import url_hint

    assert url_hint(url) == hint
