"""``fixbot run`` never closes or overwrites its pull request when a file errored, or when the
run's transform selection differs from the one recorded in the PR's marker (issue 7, item 10).

Real git, real PyGithub, the real sandbox; state is read back from the forge and the bare
repositories.
"""

from __future__ import annotations

import json

import pytest
from e2e_helpers import BOT_TOKEN, BRANCH, cli, client, rest_lines, seed

from fixbot.sandbox import Sandbox
from fixbot.transforms import REGISTRY

# the marker of a full run names every transform, sorted
ALL = ",".join(sorted(REGISTRY))

CI = ("on: push\npermissions:\n  contents: read\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
      "    steps:\n      - uses: actions/checkout@v4\n      - run: make test\n")
BROKEN = "on: push\njobs:\n  test: [unclosed\n"
BROKEN_ERROR = ("invalid YAML: line 4, column 1: did not find expected ',' or ']' (while parsing "
                "a flow sequence)")


def run_json(capsys: pytest.CaptureFixture[str], repo: str, *argv: str) -> tuple[int, dict]:
    capsys.readouterr()
    code = cli(repo, "--format", "json", *argv)
    return code, json.loads(capsys.readouterr().out)


def writes(sb: Sandbox) -> list[str]:
    """Every REST write and every push since the log was last cleared."""
    rest = [ln for ln in rest_lines(sb) if not ln.startswith("GET ")]
    return rest + [f"{e.method} {e.path}" for e in sb.access_log if "receive-pack" in e.path
                   and e.method == "POST"]


def comments(sb: Sandbox, repo: str, number: int) -> list[str]:
    return [c.body for c in client(sb).get_repo(repo).get_issue(number).get_comments()]


def test_a_file_that_no_longer_parses_does_not_close_the_pull_request(
        sb: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    sb.create_repo("acme", "svc", {".github/workflows/ci.yml": CI, "README.md": "svc\n"})
    code, out = run_json(capsys, "acme/svc", "--only", "persist-credentials")
    assert (code, out["status"]) == (0, "pr-opened")
    tip = sb.repo("acme", "svc").branch_sha(BRANCH)
    sb.push_files("acme", "svc", "main", {".github/workflows/ci.yml": BROKEN}, "oops",
                  author="alice")
    sb.clear_log()
    code, out = run_json(capsys, "acme/svc", "--only", "persist-credentials")
    assert code == 3
    assert out == {
        "repo": "acme/svc", "status": "skipped",
        "pr": {"number": 1, "url": f"{sb.url}/acme/svc/pull/1"},
        "reason": "nothing to change in this run, but #1 is left open: 1 workflow file(s) could "
                  "not be processed (.github/workflows/ci.yml), so its changes to them would be "
                  "lost; fix the file(s) and rerun",
        "files": [{"path": ".github/workflows/ci.yml", "status": "error", "error": BROKEN_ERROR,
                   "changes": [], "notes": []}], "secrets": None}
    assert client(sb).get_repo("acme/svc").get_pull(1).state == "open"
    assert sb.repo("acme", "svc").branch_sha(BRANCH) == tip
    assert writes(sb) == []
    assert comments(sb, "acme/svc", 1) == []


def test_an_errored_file_does_not_let_the_other_changes_overwrite_the_branch(
        sb: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    sb.create_repo("acme", "svc", {".github/workflows/ci.yml": CI,
                                   ".github/workflows/docs.yml": CI, "README.md": "svc\n"})
    code, out = run_json(capsys, "acme/svc", "--only", "persist-credentials")
    assert (code, out["status"]) == (0, "pr-opened")
    tip = sb.repo("acme", "svc").branch_sha(BRANCH)
    body = client(sb).get_repo("acme/svc").get_pull(1).body
    sb.push_files("acme", "svc", "main", {".github/workflows/docs.yml": BROKEN}, "oops",
                  author="alice")
    sb.clear_log()
    for dry in ((), ("--dry-run",)):
        code, out = run_json(capsys, "acme/svc", "--only", "persist-credentials", *dry)
        assert code == 3
        reason = ("#1 is left as it is: 1 workflow file(s) could not be processed "
                  "(.github/workflows/docs.yml), so its changes to them would be lost; fix the "
                  "file(s) and rerun")
        assert (out["status"], out["pr"]["number"], out["reason"]) == (
            "skipped", 1, f"dry run: would be skipped ({reason})" if dry else reason)
        assert [(f["path"], f["status"]) for f in out["files"]] == [
            (".github/workflows/ci.yml", "changed"), (".github/workflows/docs.yml", "error")]
    assert sb.repo("acme", "svc").branch_sha(BRANCH) == tip
    assert client(sb).get_repo("acme/svc").get_pull(1).body == body
    assert writes(sb) == []


def test_another_selection_does_not_close_the_pull_request(
        sb: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    """`--only permissions` finds nothing here; the PR holds persist-credentials changes."""
    sb.create_repo("acme", "svc", {".github/workflows/ci.yml": CI, "README.md": "svc\n"})
    code, out = run_json(capsys, "acme/svc", "--only", "persist-credentials")
    assert (code, out["status"]) == (0, "pr-opened")
    assert client(sb).get_repo("acme/svc").get_pull(1).body.rstrip().endswith(
        " transforms=persist-credentials -->")
    tip = sb.repo("acme", "svc").branch_sha(BRANCH)
    sb.clear_log()
    code, out = run_json(capsys, "acme/svc", "--only", "permissions")
    assert code == 0
    assert (out["status"], out["pr"]["number"], out["reason"]) == (
        "skipped", 1, "nothing to change in this run, but #1 is left open: it was made with "
                      "transforms persist-credentials, and this run selected permissions; rerun "
                      "with the same --only/--skip to update it")
    assert client(sb).get_repo("acme/svc").get_pull(1).state == "open"
    assert sb.repo("acme", "svc").branch_sha(BRANCH) == tip
    assert writes(sb) == []
    # the same selection as the PR's still updates it as before
    code, out = run_json(capsys, "acme/svc", "--only", "persist-credentials")
    assert (code, out["status"]) == (0, "up-to-date")


def test_another_selection_does_not_force_push_over_the_pull_request(
        sb: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    """`--only permissions` has changes of its own on webapp: it must not replace the
    persist-credentials changes of the open PR."""
    repo = seed(sb, "webapp")
    code, out = run_json(capsys, repo, "--only", "persist-credentials")
    assert (code, out["status"]) == (0, "pr-opened")
    tip = sb.repo("acme", "webapp").branch_sha(BRANCH)
    pull = client(sb).get_repo(repo).get_pull(1)
    title, body = pull.title, pull.body
    sb.clear_log()
    for argv in (("--only", "permissions"), ("--skip", "persist-credentials"), ()):
        code, out = run_json(capsys, repo, *argv)
        assert code == 0
        assert (out["status"], out["pr"]["number"]) == ("skipped", 1), argv
        assert out["reason"].startswith("#1 is left as it is: it was made with transforms "
                                        "persist-credentials, and this run selected ")
    assert sb.repo("acme", "webapp").branch_sha(BRANCH) == tip
    pull = client(sb).get_repo(repo).get_pull(1)
    assert (pull.title, pull.body, pull.state) == (title, body, "open")
    assert writes(sb) == []


def test_a_pull_request_without_a_recorded_selection_is_only_updated_by_a_full_run(
        sb: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    """A PR opened before the marker recorded the selection: only the default selection (all
    transforms) may update or close it."""
    sb.create_repo("acme", "svc", {".github/workflows/ci.yml": CI, "README.md": "svc\n"})
    code, out = run_json(capsys, "acme/svc")
    assert (code, out["status"]) == (0, "pr-opened")
    gh_pull = client(sb, token=BOT_TOKEN).get_repo("acme/svc").get_pull(1)
    legacy = gh_pull.body.replace(f" transforms={ALL} -->", " -->")
    assert legacy != gh_pull.body
    gh_pull.edit(body=legacy)
    code, out = run_json(capsys, "acme/svc", "--only", "permissions")
    assert (out["status"], out["reason"]) == (
        "skipped", "nothing to change in this run, but #1 is left open: it was made with an "
                   "unrecorded transform selection, and this run selected permissions; rerun "
                   "with the same --only/--skip to update it")
    code, out = run_json(capsys, "acme/svc")
    assert (out["status"], out["reason"]) == ("pr-updated", "refreshed the title and description")
    assert client(sb).get_repo("acme/svc").get_pull(1).body.rstrip().endswith(
        f" transforms={ALL} -->")


PLAIN = ("on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
         "      - uses: actions/checkout@v4\n      - run: make test\n")
# A person's edit that persist-credentials cannot make its change to (a comment inside an empty
# flow mapping cannot be kept by an edit there), while permissions still applies.
COMMENTED = PLAIN.replace("@v4\n", "@v4\n        with: {  # options to come\n        }\n")
PC_FAILED = ("not applied to this file: line 7: an empty flow mapping holds a comment; not edited, "
             "so that the comment is kept (the other transforms' changes were applied and checked "
             "on their own)")


def test_a_failed_transform_does_not_let_the_others_overwrite_its_changes_in_the_pull_request(
        sb: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    """The PR holds ci.yml with both transforms' changes; after a person's edit to ci.yml on the
    base branch, persist-credentials fails there and only permissions applies. Pushing that
    version would silently take `persist-credentials: false` out of the PR."""
    sb.create_repo("acme", "svc", {".github/workflows/ci.yml": PLAIN, "README.md": "svc\n"})
    code, out = run_json(capsys, "acme/svc")
    assert (code, out["status"]) == (0, "pr-opened")
    diff = sb.repo("acme", "svc").git("diff", "main", BRANCH).decode()
    assert "+          persist-credentials: false" in diff and "+  contents: read" in diff
    tip = sb.repo("acme", "svc").branch_sha(BRANCH)
    pull = client(sb).get_repo("acme/svc").get_pull(1)
    title, body = pull.title, pull.body
    sb.push_files("acme", "svc", "main", {".github/workflows/ci.yml": COMMENTED}, "options",
                  author="alice")
    sb.clear_log()
    for dry in (("--dry-run",), ()):
        code, out = run_json(capsys, "acme/svc", *dry)
        assert code == 0  # the file is `changed` (permissions applied), as `fixbot fix` reports it
        reason = ("#1 is left as it is: a transform failed on 1 workflow file(s) "
                  "(.github/workflows/ci.yml: persist-credentials), so its changes to them would "
                  "be lost; see the file's notes, fix the cause and rerun")
        assert (out["status"], out["pr"], out["reason"]) == (
            "skipped", {"number": 1, "url": f"{sb.url}/acme/svc/pull/1"},
            f"dry run: would be skipped ({reason})" if dry else reason)
        (f,) = out["files"]
        assert (f["path"], f["status"], f["error"]) == (".github/workflows/ci.yml", "changed", None)
        assert [c["transform"] for c in f["changes"]] == ["permissions"]
        assert f["notes"] == [{"transform": "persist-credentials", "location": "",
                               "message": PC_FAILED}]
    assert sb.repo("acme", "svc").branch_sha(BRANCH) == tip
    pull = client(sb).get_repo("acme/svc").get_pull(1)
    assert (pull.title, pull.body, pull.state) == (title, body, "open")
    assert writes(sb) == []
    assert comments(sb, "acme/svc", 1) == []
    # once the person's edit lets persist-credentials apply again, the PR is updated as usual
    sb.push_files("acme", "svc", "main", {".github/workflows/ci.yml": PLAIN.replace(
        "make test", "make check")}, "check", author="alice")
    code, out = run_json(capsys, "acme/svc")
    assert (code, out["status"], out["reason"]) == (0, "pr-updated", "rebased onto the new base")
    diff = sb.repo("acme", "svc").git("diff", "main", BRANCH).decode()
    assert "+          persist-credentials: false" in diff and "+  contents: read" in diff


def test_a_failed_transform_still_lets_a_first_pull_request_open(
        sb: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    """Without an earlier PR nothing can be lost: the PR opens with the changes that applied,
    and its notes say which fix is missing from ci.yml and why."""
    sb.create_repo("acme", "svc", {".github/workflows/ci.yml": COMMENTED, "README.md": "svc\n"})
    code, out = run_json(capsys, "acme/svc")
    assert (code, out["status"], out["pr"]["number"]) == (0, "pr-opened", 1)
    assert [n["message"] for n in out["files"][0]["notes"]] == [PC_FAILED]
    body = client(sb).get_repo("acme/svc").get_pull(1).body
    assert PC_FAILED.split(": ", 1)[1].split(" (")[0] in body
