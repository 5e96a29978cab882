"""A declined change stays declined, per change, on the real sandbox forge.

A person closing fixbot's pull request unmerged declines each change in it (the keys in the
body's changes marker); later runs leave those changes out, say so with a link to the closed
pull request, and still propose the others. A pull request fixbot closed itself is never
counted as declined by a person: its closer (the issue's ``closed_by``) is the account that
opened it.
"""

from __future__ import annotations

import json

import pytest
from e2e_helpers import BRANCH, branch_diff, cli, client, rest_lines, seed

from fixbot.commands import run as run_cmd
from fixbot.forge import Forge
from fixbot.sandbox import Sandbox

ONLY = ("--only", "persist-credentials")
NEW_WORKFLOW = ("name: nightly\non:\n  schedule:\n    - cron: '0 3 * * *'\njobs:\n  e2e:\n"
                "    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
                "      - run: make e2e\n")
CI = ".github/workflows/ci.yml"


def run_json(capsys: pytest.CaptureFixture[str], repo: str) -> dict:
    capsys.readouterr()
    code = cli(repo, *ONLY, "--format", "json")
    out = json.loads(capsys.readouterr().out)
    assert code == 0, out
    return out


def decline(sb: Sandbox, repo: str, number: int) -> None:
    """A person (alice, not fixbot's account) closes the pull request unmerged."""
    client(sb).get_repo(repo).get_pull(number).edit(state="closed")


def notes(out: dict, path: str = CI) -> list[tuple[str, str]]:
    return [(n["location"], n["message"]) for f in out["files"] if f["path"] == path
            for n in f["notes"]]


def left_out(sb: Sandbox, number: int) -> list[tuple[str, str]]:
    msg = (f"left out: declined in #{number} ({sb.url}/acme/webapp/pull/{number}): set "
           "`persist-credentials: false` on actions/checkout")
    return [("jobs.test.steps[0]", msg), ("jobs.lint.steps[0]", msg)]


def test_the_pull_request_records_each_change(sb: Sandbox,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    repo = seed(sb, "webapp")
    run_json(capsys, repo)
    body = client(sb).get_repo(repo).get_pull(1).body
    keys = run_cmd.keys_of(body)
    assert keys is not None and len(keys) == 2  # one per change: test and lint checkouts
    lines = body.rstrip("\n").splitlines()
    assert lines[-2] == f"<!-- fixbot:changes={','.join(sorted(keys))} -->"
    assert lines[-1].startswith("<!-- fixbot:fingerprint=")  # still the body's last line


def test_declined_changes_are_left_out_and_the_others_proposed(
        sb: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    repo = seed(sb, "webapp")
    run_json(capsys, repo)
    decline(sb, repo, 1)
    sb.push_files("acme", "webapp", "main", {".github/workflows/nightly.yml": NEW_WORKFLOW},
                  "Add a nightly run", author="alice")
    sb.clear_log()
    out = run_json(capsys, repo)
    assert (out["status"], out["pr"]["number"], out["reason"]) == ("pr-opened", 2, None)
    assert rest_lines(sb) == ["GET /api/v3/repos/acme/webapp",
                              "GET /api/v3/repos/acme/webapp/pulls",
                              "GET /api/v3/repos/acme/webapp/issues/1",  # who closed #1
                              "POST /api/v3/repos/acme/webapp/pulls",
                              "POST /api/v3/repos/acme/webapp/issues/2/labels"]
    files = {f["path"]: (f["status"], [c["location"] for c in f["changes"]])
             for f in out["files"]}
    assert files == {CI: ("unchanged", []),
                     ".github/workflows/nightly.yml": ("changed", ["jobs.e2e.steps[0]"])}
    assert notes(out) == left_out(sb, 1)
    # The new pull request holds only the new change, and links the declined one.
    pull = client(sb).get_repo(repo).get_pull(2)
    assert pull.title.endswith("persist-credentials (1 change in 1 file)")
    assert f"left out: declined in #1 ({sb.url}/acme/webapp/pull/1)" in pull.body
    assert branch_diff(sb, repo).count("persist-credentials: false") == 1
    assert "nightly.yml" in branch_diff(sb, repo) and CI not in branch_diff(sb, repo)
    keys = run_cmd.keys_of(pull.body)
    assert keys is not None and len(keys) == 1
    assert client(sb).get_repo(repo).get_pull(1).state == "closed"
    # Rerunning changes nothing: the declined changes stay out, #2 is up to date.
    sb.clear_log()
    out = run_json(capsys, repo)
    assert (out["status"], out["pr"]["number"]) == ("up-to-date", 2)
    assert notes(out) == left_out(sb, 1)
    assert [ln for ln in rest_lines(sb) if not ln.startswith("GET ")] == []


def test_every_change_declined_is_declined(sb: Sandbox,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    repo = seed(sb, "webapp")
    run_json(capsys, repo)
    decline(sb, repo, 1)
    # The base moves in the file itself: the changes' lines move, their keys do not.
    text = sb.repo("acme", "webapp").git("show", f"main:{CI}").decode()
    sb.push_files("acme", "webapp", "main", {CI: "# A note on top.\n\n" + text},
                  "Explain the workflow", author="alice")
    sb.clear_log()
    out = run_json(capsys, repo)
    assert (out["status"], out["pr"]) == (
        "declined", {"number": 1, "url": f"{sb.url}/acme/webapp/pull/1"})
    assert out["reason"] == "a person closed #1 with the same changes; it is not reopened"
    assert notes(out) == left_out(sb, 1)
    assert rest_lines(sb) == ["GET /api/v3/repos/acme/webapp",
                              "GET /api/v3/repos/acme/webapp/pulls",
                              "GET /api/v3/repos/acme/webapp/issues/1"]
    assert not any("receive-pack" in e.path for e in sb.access_log)  # nothing pushed
    assert [p.number for p in client(sb).get_repo(repo).get_pulls(state="all")] == [1]


def test_a_changed_change_is_proposed_again(sb: Sandbox,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """A person declined both checkouts; then the test job's checkout gets a `with:` of its
    own, so fixbot's change there is another change (other inserted text): it is proposed,
    the lint job's change stays declined."""
    repo = seed(sb, "webapp")
    run_json(capsys, repo)
    decline(sb, repo, 1)
    text = sb.repo("acme", "webapp").git("show", f"main:{CI}").decode()
    text = text.replace("      - uses: actions/checkout@v4\n      - uses: actions/setup-node",
                        "      - uses: actions/checkout@v4\n        with:\n          submodules: "
                        "true\n      - uses: actions/setup-node")
    sb.push_files("acme", "webapp", "main", {CI: text}, "Check out submodules", author="alice")
    out = run_json(capsys, repo)
    assert (out["status"], out["pr"]["number"]) == ("pr-opened", 2)
    assert [c["location"] for f in out["files"] for c in f["changes"]] == ["jobs.test.steps[0]"]
    assert notes(out) == left_out(sb, 1)[1:]


def test_a_pull_request_fixbot_closed_is_not_declined(
        sb: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    """fixbot closes #1 because the fix landed on the base branch by hand; someone reverts
    that; the same changes are proposed again in #2 (fixbot's own close declines nothing)."""
    repo = seed(sb, "webapp")
    run_json(capsys, repo)
    bare = sb.repo("acme", "webapp")
    original = bare.git("show", f"main:{CI}").decode()
    fixed = bare.git("show", f"{BRANCH}:{CI}").decode()
    sb.push_files("acme", "webapp", "main", {CI: fixed}, "Harden checkout by hand",
                  author="alice")
    out = run_json(capsys, repo)
    assert (out["status"], out["pr"]["number"]) == ("no-changes", 1)
    assert client(sb).get_repo(repo).get_issue(1).closed_by.login == "fixbot-bot"
    sb.push_files("acme", "webapp", "main", {CI: original}, "Revert the hardening",
                  author="alice")
    out = run_json(capsys, repo)
    assert (out["status"], out["pr"]["number"]) == ("pr-opened", 2)
    assert [c["location"] for f in out["files"] for c in f["changes"]] == [
        "jobs.test.steps[0]", "jobs.lint.steps[0]"]
    assert notes(out) == []


def test_a_pull_request_from_before_the_changes_marker_declines_its_whole_change_set(
        sb: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    repo = seed(sb, "webapp")
    run_json(capsys, repo)
    pull = client(sb).get_repo(repo).get_pull(1)
    old = "\n".join(ln for ln in pull.body.split("\n")
                    if not ln.startswith(run_cmd.CHANGES_PREFIX))
    pull.edit(body=old, state="closed")
    assert run_cmd.keys_of(old) is None
    out = run_json(capsys, repo)
    assert (out["status"], out["pr"]["number"]) == ("declined", 1)
    assert notes(out) == left_out(sb, 1)
    # Another change set: the old pull request cannot tell its changes apart, so all are
    # proposed.
    sb.push_files("acme", "webapp", "main", {".github/workflows/nightly.yml": NEW_WORKFLOW},
                  "Add a nightly run", author="alice")
    out = run_json(capsys, repo)
    assert (out["status"], out["pr"]["number"]) == ("pr-opened", 2)
    assert len([c for f in out["files"] for c in f["changes"]]) == 3


def test_a_dry_run_reports_declined_changes_without_writing(
        sb: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    repo = seed(sb, "webapp")
    run_json(capsys, repo)
    decline(sb, repo, 1)
    sb.clear_log()
    capsys.readouterr()
    assert cli(repo, *ONLY, "--format", "json", "--dry-run") == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["status"], out["pr"]["number"]) == ("declined", 1)
    assert [ln for ln in rest_lines(sb) if not ln.startswith("GET ")] == []


def test_closed_by(sb: Sandbox, forge: Forge, capsys: pytest.CaptureFixture[str]) -> None:
    """The forge client reads the issue's ``closed_by``; the sandbox records who closed a pull
    request through the API or merged it (none while it is open)."""
    repo = seed(sb, "webapp")
    run_json(capsys, repo)
    assert forge.closed_by(repo, 1) is None
    assert [p.author for p in forge.pulls(repo, BRANCH)] == ["fixbot-bot"]
    decline(sb, repo, 1)
    assert forge.closed_by(repo, 1) == "alice"
    client(sb).get_repo(repo).get_pull(1).edit(state="open")  # reopened: no closer
    assert forge.closed_by(repo, 1) is None
    sb.merge_pull("acme", "webapp", 1, login="bob")
    assert forge.closed_by(repo, 1) == "bob"
