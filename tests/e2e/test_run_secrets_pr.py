"""``fixbot run`` with the second pull request (DESIGN.md, "Pull requests"): the changes that
need a person first (a credential moved into the secrets context) go to
``fixbot/move-secrets``, the others to ``fixbot/harden-workflows``; the checklist of the
secrets pull request is ticked from the secret names the repository can see, and
``--create-secrets`` stores the credential as the secret.

Real sandbox, real git, the real ``secrets`` transform; the credential is a made-up value of
the shape of a GitHub personal access token, and it must appear in none of what fixbot shows.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import BRANCH, cli, client, rest_lines

from fixbot.sandbox import Sandbox

SECRETS_BRANCH = "fixbot/move-secrets"
TOKEN = "ghp_" + "Zq7Lk2Vb9Xw4Rt6Yp1Mn8Hc3Jd5Fg0Se2Ua7"  # made up, of the classic PAT's shape
WORKFLOW = ("name: release\non: push\njobs:\n  publish:\n    runs-on: ubuntu-latest\n"
            "    steps:\n      - run: echo publishing\n      - run: ./publish.sh\n"
            f"        env:\n          RELEASE_TOKEN: {TOKEN}\n")
FULL = "acme/shop"


def seed(sb: Sandbox, workflow: str = WORKFLOW) -> None:
    sb.create_repo("acme", "shop", {".github/workflows/release.yml": workflow,
                                    "publish.sh": "#!/bin/sh\necho publish\n"})


def run_json(capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    capsys.readouterr()
    code = cli(FULL, "--format", "json", *extra)
    captured = capsys.readouterr()
    out: dict[str, Any] = json.loads(captured.out)
    assert TOKEN not in captured.out and TOKEN not in captured.err
    assert code == (3 if out["status"] == "error" else 0), out
    return out


def diff(sb: Sandbox, branch: str) -> str:
    return sb.repo("acme", "shop").git("diff", "main", branch).decode()


def shown_texts(sb: Sandbox) -> list[str]:
    """Every title, body and comment of the repository's pull requests."""
    repo = client(sb).get_repo(FULL)
    out = []
    for p in repo.get_pulls(state="all"):
        out += [p.title, p.body] + [c.body for c in p.get_issue_comments()]
    return out


def assert_value_nowhere(sb: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    for text in shown_texts(sb):
        assert TOKEN not in text
    assert not any(TOKEN in r.getMessage() for r in caplog.records)
    assert not any(TOKEN in f"{e.method} {e.path}" for e in sb.access_log)


def test_two_pull_requests_each_with_its_own_changes(
        sb: Sandbox, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    seed(sb)
    out = run_json(capsys)
    assert (out["status"], out["pr"]["number"]) == ("pr-opened", 1)
    assert out["secrets"] == {"status": "pr-opened", "reason": None, "missing": ["RELEASE_TOKEN"],
                              "pr": {"number": 2, "url": f"{sb.url}/acme/shop/pull/2"}}
    assert {c["transform"] for f in out["files"] for c in f["changes"]} == {"permissions"}

    repo = client(sb).get_repo(FULL)
    hardening, secrets = repo.get_pull(1), repo.get_pull(2)
    assert (hardening.head.ref, secrets.head.ref) == (BRANCH, SECRETS_BRANCH)
    assert [lb.name for lb in secrets.labels] == ["fixbot"]
    assert secrets.title == "Move 1 hardcoded credential into secrets (1 to create)"
    # Each branch holds only its own changes.
    hard_diff, secret_diff = diff(sb, BRANCH), diff(sb, SECRETS_BRANCH)
    assert "permissions:" in hard_diff and "secrets.RELEASE_TOKEN" not in hard_diff
    assert "+          RELEASE_TOKEN: ${{ secrets.RELEASE_TOKEN }}" in secret_diff
    assert "permissions" not in secret_diff
    # The checklist: create the secret (not there yet), rotate the credential.
    assert "- [ ] create secret `RELEASE_TOKEN`" in secrets.body
    assert any(ln.startswith("- [ ] rotate ") for ln in secrets.body.splitlines())
    assert "create secret" not in hardening.body
    assert_value_nowhere(sb, caplog)


def test_a_created_secret_ticks_the_checklist_and_only_edits_the_body(
        sb: Sandbox, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    seed(sb)
    run_json(capsys)
    bare = sb.repo("acme", "shop")
    tips = (bare.branch_sha(BRANCH), bare.branch_sha(SECRETS_BRANCH))

    sb.add_secret(FULL, "RELEASE_TOKEN")  # a person creates it in the settings
    sb.clear_log()
    out = run_json(capsys)
    assert out["status"] == "up-to-date"
    assert out["secrets"] == {"status": "pr-updated", "reason": "refreshed the title and description",
                              "missing": [],
                              "pr": {"number": 2, "url": f"{sb.url}/acme/shop/pull/2"}}
    assert (bare.branch_sha(BRANCH), bare.branch_sha(SECRETS_BRANCH)) == tips
    assert not any("receive-pack" in e.path for e in sb.access_log)  # nothing pushed
    assert [ln for ln in rest_lines(sb) if not ln.startswith("GET ")] == [
        "PATCH /api/v3/repos/acme/shop/pulls/2"]
    pull = client(sb).get_repo(FULL).get_pull(2)
    assert pull.title == "Move 1 hardcoded credential into secrets (created)"
    assert "- [x] create secret `RELEASE_TOKEN`" in pull.body
    assert any(ln.startswith("- [ ] rotate ") for ln in pull.body.splitlines())

    sb.clear_log()  # a third run: nothing changed, nothing written
    out = run_json(capsys)
    assert (out["status"], out["secrets"]["status"]) == ("up-to-date", "up-to-date")
    assert [ln for ln in rest_lines(sb) if not ln.startswith("GET ")] == []
    assert_value_nowhere(sb, caplog)


def test_create_secrets_stores_the_value(sb: Sandbox, capsys: pytest.CaptureFixture[str],
                                         caplog: pytest.LogCaptureFixture,
                                         tmp_path: Path) -> None:
    caplog.set_level(logging.DEBUG)
    seed(sb)
    out = run_json(capsys, "--create-secrets")
    assert sb.read_secret(FULL, "RELEASE_TOKEN") == TOKEN
    assert out["secrets"]["status"] == "pr-opened" and out["secrets"]["missing"] == []
    assert out["secrets"]["reason"] == ("created secret(s) RELEASE_TOKEN; rotate the "
                                        "credential(s) all the same")
    pull = client(sb).get_repo(FULL).get_pull(2)
    assert pull.title == "Move 1 hardcoded credential into secrets (created)"
    assert "- [x] create secret `RELEASE_TOKEN`" in pull.body
    assert any(ln.startswith("- [ ] rotate ") for ln in pull.body.splitlines())
    # A rerun sees the secret: the same body, nothing written.
    sb.clear_log()
    out = run_json(capsys, "--create-secrets")
    assert out["secrets"]["status"] == "up-to-date"
    assert [ln for ln in rest_lines(sb) if not ln.startswith("GET ")] == []
    assert_value_nowhere(sb, caplog)


def test_create_secrets_without_the_right_is_a_note(
        sb: Sandbox, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    token = sb.add_token("fixbot-bot", permissions={
        "contents": "write", "pull_requests": "write", "issues": "write", "metadata": "read",
        "workflows": "write", "secrets": "read"})
    monkeypatch.setenv("FIXBOT_TOKEN", token)
    seed(sb)
    out = run_json(capsys, "--create-secrets")
    assert out["secrets"]["status"] == "pr-opened"
    assert out["secrets"]["missing"] == ["RELEASE_TOKEN"]
    assert "could not create secret RELEASE_TOKEN: the token may not manage" in \
        out["secrets"]["reason"]
    with pytest.raises(KeyError):
        sb.read_secret(FULL, "RELEASE_TOKEN")
    assert_value_nowhere(sb, caplog)


def test_create_secrets_in_local_mode_is_a_usage_error(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from fixbot.cli import main

    assert main(["run", str(tmp_path), "--create-secrets"]) == 2
    assert "--create-secrets needs a repository on the forge" in capsys.readouterr().err


def test_the_hardening_diff_never_quotes_the_credential(
        sb: Sandbox, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    """The permissions block lands right after the line holding the credential: the hardening
    pull request's diff shows it as context, redacted."""
    seed(sb, f"name: release\non: push\nenv:\n  RELEASE_TOKEN: {TOKEN}\njobs:\n  publish:\n"
             "    runs-on: ubuntu-latest\n    steps:\n      - run: ./publish.sh\n")
    out = run_json(capsys)
    assert (out["status"], out["secrets"]["status"]) == ("pr-opened", "pr-opened")
    hardening = client(sb).get_repo(FULL).get_pull(1)
    assert "   RELEASE_TOKEN: ghp_**** (40 chars)" in hardening.body
    assert_value_nowhere(sb, caplog)


def test_a_python_script_changes_with_its_workflow(
        sb: Sandbox, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    """The script lies outside the sparse checkout: it is checked out, rewritten and committed
    on the secrets branch together with the workflow; the body shows its diff, not its value."""
    sb.create_repo("acme", "shop", {
        ".github/workflows/release.yml": (
            "name: release\non: push\njobs:\n  publish:\n    runs-on: ubuntu-latest\n"
            "    steps:\n      - uses: actions/checkout@v4\n"
            "      - run: python scripts/publish.py\n"),
        "scripts/publish.py": f'import sys\n\nAPI_TOKEN = "{TOKEN}"  # the bot\'s\nprint(sys.argv)\n'})
    out = run_json(capsys)
    assert out["secrets"]["status"] == "pr-opened"
    changed = sb.repo("acme", "shop").git("diff", "--name-only", "main", SECRETS_BRANCH).decode()
    assert changed.split() == [".github/workflows/release.yml", "scripts/publish.py"]
    script = sb.repo("acme", "shop").git("show", f"{SECRETS_BRANCH}:scripts/publish.py").decode()
    assert TOKEN not in script and "os.environ" in script
    hardened = sb.repo("acme", "shop").git("diff", "--name-only", "main", BRANCH).decode()
    assert hardened.split() == [".github/workflows/release.yml"]
    body = client(sb).get_repo(FULL).get_pull(2).body
    assert "<code>scripts/publish.py</code>" in body
    assert_value_nowhere(sb, caplog)
