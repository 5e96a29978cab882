"""Review of ``fixbot run`` safety (issue 7, items 10 and 13), tried as an attacker and as a
demanding user would, with real git, real PyGithub and the real loopback sandbox forge.

Failing today (defects):

* ``test_a_marker_in_workflow_text_does_not_hide_the_declined_pr`` and
  ``test_a_marker_in_workflow_text_does_not_hold_the_pr_forever``: the PR body quotes workflow
  text (the diff context of each change) *before* fixbot's own marker, and ``pr.fingerprint_of``
  / ``pr.selection_of`` take the *first* marker in the body. A comment in a workflow that looks
  like a marker therefore replaces fixbot's: a declined PR is reopened as a new one on every
  run, or fixbot's own PR is held for ever ("made with transforms (none)").
* ``test_the_landed_comment_is_not_posted_twice``: when closing the PR fails after the
  "changes landed" comment was posted, the next run posts the same comment again (the
  comment is de-duplicated only within one retry loop, not across runs).

Passing today (defences that hold): the token never reaches ``.git`` of the clone, stdout or
stderr (``-vv``), nor an error message; ``--dry-run`` makes no REST write and no push;
a comment POST answered 500 after it was carried out is not duplicated.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from base64 import b64encode
from pathlib import Path

import pytest
from e2e_helpers import BOT_TOKEN, BRANCH, cli, client, rest_lines

from fixbot.commands import run as run_cmd
from fixbot.forge import Forge, Policy, TokenCredentials
from fixbot.sandbox import Sandbox
from fixbot.transforms import select

FORGED = "<!-- fixbot:fingerprint=" + "0" * 64 + " transforms= -->"
CI = ("on: push\npermissions:\n  contents: read\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
      "    steps:\n      - uses: actions/checkout@v4\n      - run: make test\n")
# the same workflow with a marker-like comment next to the line fixbot changes: it is quoted in
# the diff context of the PR body, above fixbot's marker
CI_WITH_MARKER = CI.replace("      - uses:", f"      # {FORGED}\n      - uses:")
FIXED_CI = CI.replace("actions/checkout@v4\n", "actions/checkout@v4\n        with:\n"
                      "          persist-credentials: false\n")
LANDED = ("The base branch no longer needs these changes (they landed there some other way), "
          "so fixbot closes this pull request and deletes its branch.\n\n<!-- fixbot:landed -->")
HUMAN = ("fixbot found commits by a person on this branch, so it will not update it any more: "
         "merge or close this pull request as you see fit. Delete the branch to let fixbot "
         "propose its changes again.\n\n<!-- fixbot:human-commits -->")
FIXBOT = Path(sys.executable).with_name("fixbot")


def run_json(capsys: pytest.CaptureFixture[str], repo: str, *argv: str) -> tuple[int, dict]:
    capsys.readouterr()
    code = cli(repo, "--format", "json", *argv)
    return code, json.loads(capsys.readouterr().out)


def writes(sb: Sandbox) -> list[str]:
    rest = [ln for ln in rest_lines(sb) if not ln.startswith("GET ")]
    return rest + [f"{e.method} {e.path}" for e in sb.access_log
                   if "receive-pack" in e.path and e.method == "POST"]


def comments(sb: Sandbox, repo: str, number: int) -> list[str]:
    return [c.body for c in client(sb).get_repo(repo).get_issue(number).get_comments()]


# -- defects -----------------------------------------------------------------------------------

def test_a_marker_in_workflow_text_does_not_hide_the_declined_pr(
        sb: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    """A person closes fixbot's PR; the repository's workflow holds a comment shaped like
    fixbot's marker next to the changed line. The rerun must see the declined change set
    (fixbot's own marker is the last line of the body) and must not open PR #2; today the
    quoted comment is read as the marker and a new PR is opened on every run."""
    sb.create_repo("acme", "svc", {".github/workflows/ci.yml": CI_WITH_MARKER, "README.md": "x\n"})
    code, out = run_json(capsys, "acme/svc", "--only", "persist-credentials")
    assert (code, out["status"], out["pr"]["number"]) == (0, "pr-opened", 1)
    body = client(sb).get_repo("acme/svc").get_pull(1).body
    assert body.index(FORGED) < body.rindex("<!-- fixbot:fingerprint=")  # fixbot's is last
    client(sb).get_repo("acme/svc").get_pull(1).edit(state="closed")  # a person declines
    sb.clear_log()
    code, out = run_json(capsys, "acme/svc", "--only", "persist-credentials")
    assert (code, out["status"], out["pr"]) == (
        0, "declined", {"number": 1, "url": f"{sb.url}/acme/svc/pull/1"})
    assert out["reason"] == "a person closed #1 with the same changes; it is not reopened"
    assert [p.number for p in client(sb).get_repo("acme/svc").get_pulls(state="all")] == [1]
    assert writes(sb) == []


def test_a_marker_in_workflow_text_does_not_hold_the_pr_forever(
        sb: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    """Same planted comment (``transforms=`` empty). After the base branch moves, the rerun with
    the same selection must rebase fixbot's PR; today the quoted comment is read as the
    recorded selection "(none)" and the PR is held for ever."""
    sb.create_repo("acme", "svc", {".github/workflows/ci.yml": CI_WITH_MARKER, "README.md": "x\n"})
    code, out = run_json(capsys, "acme/svc", "--only", "persist-credentials")
    assert (code, out["status"]) == (0, "pr-opened")
    sb.push_files("acme", "svc", "main", {"README.md": "y\n"}, "base moves", author="alice")
    code, out = run_json(capsys, "acme/svc", "--only", "persist-credentials")
    assert (code, out["status"], out["reason"]) == (0, "pr-updated", "rebased onto the new base")
    bare = sb.repo("acme", "svc")
    assert bare.git("rev-parse", f"{BRANCH}^").decode().strip() == bare.branch_sha("main")


def test_the_landed_comment_is_not_posted_twice(
        sb: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    """The fix lands on the base branch; fixbot comments, then closing the PR fails (500 on
    every attempt). The next run closes the PR and must not post the "landed" comment a second
    time; today it does (``_landed`` calls ``forge.comment`` without ``has_comment``)."""
    sb.create_repo("acme", "svc", {".github/workflows/ci.yml": CI, "README.md": "x\n"})
    code, out = run_json(capsys, "acme/svc", "--only", "persist-credentials")
    assert (code, out["status"]) == (0, "pr-opened")
    sb.push_files("acme", "svc", "main", {".github/workflows/ci.yml": FIXED_CI}, "by hand",
                  author="alice")
    sb.inject_fault(r"/pulls/1$", "500", count=4, method="PATCH")
    code, out = run_json(capsys, "acme/svc", "--only", "persist-credentials")
    assert (code, out["status"]) == (3, "error")
    code, out = run_json(capsys, "acme/svc", "--only", "persist-credentials")
    assert (code, out["status"]) == (0, "no-changes")
    assert client(sb).get_repo("acme/svc").get_pull(1).state == "closed"
    assert comments(sb, "acme/svc", 1) == [LANDED]


# -- defences that hold ------------------------------------------------------------------------

def test_the_token_never_reaches_the_clone_output_or_logs(sb: Sandbox, tmp_path: Path) -> None:
    """``-vv`` run through the real CLI, then a kept clone: neither the token nor its Basic
    encoding is in stdout, stderr or any file under the clone."""
    sb.create_repo("acme", "svc", {".github/workflows/ci.yml": CI, "README.md": "x\n"})
    env = dict(os.environ, FIXBOT_TOKEN=BOT_TOKEN, GITHUB_API_URL=sb.api_url)
    p = subprocess.run([str(FIXBOT), "-vv", "run", "acme/svc"], capture_output=True, text=True,
                       env=env, timeout=120)
    basic = b64encode(f"x-access-token:{BOT_TOKEN}".encode()).decode()
    assert p.returncode == 0, p.stderr
    for secret in (BOT_TOKEN, basic):
        assert secret not in p.stdout and secret not in p.stderr
    forge = Forge(sb.api_url, TokenCredentials(BOT_TOKEN))
    sb.push_files("acme", "svc", "main", {"README.md": "y\n"}, "moves", author="alice")
    out = run_cmd.run_repo(forge, "acme/svc", select(None, None), workdir=tmp_path / "w")
    assert out.status == "pr-updated"
    leaked = [f for f in (tmp_path / "w").rglob("*") if f.is_file()
              and (BOT_TOKEN.encode() in f.read_bytes() or basic.encode() in f.read_bytes())]
    assert leaked == []


def test_errors_name_no_token(sb: Sandbox, tmp_path: Path) -> None:
    """401 (a wrong token), an unreachable forge and a failing clone of a URL with userinfo:
    every message is free of the token."""
    bad = "ghp_wrongwrongwrong0000000000000000000000"
    out = run_cmd.run_repo(Forge(sb.api_url, TokenCredentials(bad), Policy(sleep=lambda s: None)),
                           "acme/none", select(None, None))
    assert (out.status, out.reason) == ("error", "acme/none: get repository: authentication "
                                        "failed (401 Bad credentials); check FIXBOT_TOKEN, "
                                        "GITHUB_TOKEN or the GitHub App settings")
    out = run_cmd.run_repo(Forge("http://127.0.0.1:9/api/v3", TokenCredentials(bad),
                                 Policy(sleep=lambda s: None)), "acme/none", select(None, None))
    assert (out.status, out.reason) == ("error", (
        "acme/none: get repository: cannot reach the forge at http://127.0.0.1:9/api/v3 after 4 "
        "attempt(s): connection refused: nothing listens on 127.0.0.1:9 (is the forge running, "
        "and are the host and port in the URL right?)"))
    url = f"http://x-access-token:{bad}@127.0.0.1:{sb.port}/acme/none.git"
    out = run_cmd.run_local(url, select(None, None), workdir=tmp_path)
    assert (out.status, out.repo, out.reason) == (
        "error", f"http://127.0.0.1:{sb.port}/acme/none",
        "git clone failed: remote: Invalid username or token.; fatal: Authentication failed for "
        f"'http://127.0.0.1:{sb.port}/acme/none.git/")


def test_dry_run_writes_nothing_remote(sb: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    """A dry run over a repository with an open PR and a moved base: only reads."""
    sb.create_repo("acme", "svc", {".github/workflows/ci.yml": CI, "README.md": "x\n"})
    run_json(capsys, "acme/svc")
    sb.push_files("acme", "svc", "main", {"README.md": "y\n"}, "moves", author="alice")
    tip = sb.repo("acme", "svc").branch_sha(BRANCH)
    sb.clear_log()
    code, out = run_json(capsys, "acme/svc", "--dry-run")
    assert (code, out["status"], out["reason"]) == (
        0, "pr-updated", "dry run: would be pr-updated (rebased onto the new base)")
    assert writes(sb) == []
    assert sb.repo("acme", "svc").branch_sha(BRANCH) == tip


def test_a_comment_answered_500_after_it_was_made_is_not_duplicated(
        sb: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    """A person's commit on the branch: fixbot comments once; the comment POST is carried out
    and answered 500; the retry finds it by its marker."""
    sb.create_repo("acme", "svc", {".github/workflows/ci.yml": CI, "README.md": "x\n"})
    run_json(capsys, "acme/svc")
    sb.push_files("acme", "svc", BRANCH, {"notes.md": "mine\n"}, "mine", author="alice")
    sb.inject_fault(r"/issues/1/comments$", "500-after", count=1, method="POST")
    code, out = run_json(capsys, "acme/svc")
    assert (code, out["status"]) == (0, "skipped")
    assert comments(sb, "acme/svc", 1) == [HUMAN]
