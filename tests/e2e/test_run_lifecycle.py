"""``fixbot run`` against the sandbox forge: every step of a pull request's life.

Real git, real PyGithub, real sandbox; state is read back from the forge (PRs, comments, labels)
and from the bare repositories (branch contents, commit authors).
"""

from __future__ import annotations

import json

import pytest
from e2e_helpers import (
    BRANCH,
    branch_commits,
    branch_diff,
    cli,
    client,
    golden,
    rest_lines,
    seed,
)

from fixbot.forge import Forge
from fixbot.sandbox import Sandbox

ONLY = ("--only", "persist-credentials")
TITLE = "Harden workflows: persist-credentials (2 changes in 1 file)"
FIXBOT = "fixbot@users.noreply.github.com"
NEW_WORKFLOW = ("name: nightly\non:\n  schedule:\n    - cron: '0 3 * * *'\njobs:\n  e2e:\n"
                "    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
                "      - run: make e2e\n")


def run_json(capsys: pytest.CaptureFixture[str], repo: str, *extra: str) -> dict:
    capsys.readouterr()
    code = cli(repo, *ONLY, "--format", "json", *extra)
    out = json.loads(capsys.readouterr().out)
    assert code == (3 if out["status"] == "error" else 0)
    return out


def test_opens_pull_request(sb: Sandbox, capsys: pytest.CaptureFixture[str],
                            regen: bool) -> None:
    repo = seed(sb, "webapp")
    out = run_json(capsys, repo)
    assert out["status"] == "pr-opened"
    assert out["repo"] == repo and out["reason"] is None
    assert out["pr"] == {"number": 1, "url": f"{sb.url}/acme/webapp/pull/1"}
    assert [f["path"] for f in out["files"]] == [".github/workflows/ci.yml"]
    assert [c["location"] for c in out["files"][0]["changes"]] == [
        "jobs.test.steps[0]", "jobs.lint.steps[0]"]

    pull = client(sb).get_repo(repo).get_pull(1)
    assert pull.title == TITLE
    golden("webapp.body.md", pull.body, regen)
    assert [label.name for label in pull.labels] == ["fixbot"]
    assert (pull.head.ref, pull.base.ref, pull.state) == (BRANCH, "main", "open")
    # One commit by fixbot on top of main, holding exactly the change the body explains.
    assert branch_commits(sb, repo) == [f"{FIXBOT} {FIXBOT} {TITLE}"]
    golden("webapp.diff", branch_diff(sb, repo), regen)


def test_rerun_with_nothing_new_is_up_to_date(sb: Sandbox,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    repo = seed(sb, "webapp")
    run_json(capsys, repo)
    tip = sb.repo("acme", "webapp").branch_sha(BRANCH)
    sb.clear_log()
    out = run_json(capsys, repo)
    assert (out["status"], out["pr"]["number"]) == ("up-to-date", 1)
    assert sb.repo("acme", "webapp").branch_sha(BRANCH) == tip
    assert not any("receive-pack" in e.path for e in sb.access_log)  # nothing pushed
    assert rest_lines(sb) == ["GET /api/v3/repos/acme/webapp",
                              "GET /api/v3/repos/acme/webapp/pulls"]


def test_base_moved_rebases_the_branch(sb: Sandbox, capsys: pytest.CaptureFixture[str],
                                       regen: bool) -> None:
    repo = seed(sb, "webapp")
    run_json(capsys, repo)
    new_main = sb.push_files("acme", "webapp", "main", {"README.md": "# webapp\n\nMore.\n"},
                             "Expand the README", author="alice")
    out = run_json(capsys, repo)
    assert (out["status"], out["pr"]["number"]) == ("pr-updated", 1)
    assert out["reason"] == "rebased onto the new base"
    bare = sb.repo("acme", "webapp")
    assert bare.git("rev-parse", f"{BRANCH}^").decode().strip() == new_main
    assert branch_commits(sb, repo) == [f"{FIXBOT} {FIXBOT} {TITLE}"]
    golden("webapp.diff", branch_diff(sb, repo), regen)
    pulls = list(client(sb).get_repo(repo).get_pulls(state="all"))
    assert [p.number for p in pulls] == [1]


def test_new_changes_update_the_pull_request(sb: Sandbox, capsys: pytest.CaptureFixture[str],
                                             regen: bool) -> None:
    repo = seed(sb, "webapp")
    run_json(capsys, repo)
    sb.push_files("acme", "webapp", "main", {".github/workflows/nightly.yml": NEW_WORKFLOW},
                  "Add a nightly run", author="alice")
    out = run_json(capsys, repo)
    assert (out["status"], out["reason"]) == ("pr-updated", "updated with new changes")
    pull = client(sb).get_repo(repo).get_pull(1)
    assert pull.title == "Harden workflows: persist-credentials (3 changes in 2 files)"
    golden("webapp-nightly.body.md", pull.body, regen)
    golden("webapp-nightly.diff", branch_diff(sb, repo), regen)
    assert len(branch_commits(sb, repo)) == 1


def test_commits_by_a_person_are_never_overwritten(sb: Sandbox,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    repo = seed(sb, "webapp")
    run_json(capsys, repo)
    human = sb.push_files("acme", "webapp", BRANCH, {"NOTES.md": "reviewed\n"},
                          "Add review notes", author="alice")
    sb.push_files("acme", "webapp", "main", {".github/workflows/nightly.yml": NEW_WORKFLOW},
                  "Add a nightly run", author="alice")
    for _ in range(2):  # the comment is made once, however often fixbot runs
        out = run_json(capsys, repo)
        assert (out["status"], out["pr"]["number"]) == ("skipped", 1)
        assert out["reason"] == (f"a person pushed commits onto {BRANCH}; fixbot does not "
                                 "overwrite them")
        assert sb.repo("acme", "webapp").branch_sha(BRANCH) == human
    comments = list(client(sb).get_repo(repo).get_issue(1).get_comments())
    assert len(comments) == 1
    assert "commits by a person" in comments[0].body


def test_declined_change_set_is_not_reopened(sb: Sandbox,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    repo = seed(sb, "webapp")
    run_json(capsys, repo)
    client(sb).get_repo(repo).get_pull(1).edit(state="closed")  # a person declines
    sb.clear_log()
    out = run_json(capsys, repo)
    assert (out["status"], out["pr"]["number"]) == ("declined", 1)
    assert out["reason"] == "a person closed #1 with the same changes; it is not reopened"
    assert client(sb).get_repo(repo).get_pull(1).state == "closed"
    assert [ln for ln in rest_lines(sb) if not ln.startswith("GET ")] == []
    # A different change set may get a new pull request.
    sb.push_files("acme", "webapp", "main", {".github/workflows/nightly.yml": NEW_WORKFLOW},
                  "Add a nightly run", author="alice")
    out = run_json(capsys, repo)
    assert (out["status"], out["pr"]["number"]) == ("pr-opened", 2)
    assert client(sb).get_repo(repo).get_pull(1).state == "closed"


def test_fix_landed_on_base_closes_the_pull_request(sb: Sandbox,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    repo = seed(sb, "webapp")
    run_json(capsys, repo)
    bare = sb.repo("acme", "webapp")
    fixed = bare.git("show", f"{BRANCH}:.github/workflows/ci.yml").decode()
    sb.push_files("acme", "webapp", "main", {".github/workflows/ci.yml": fixed},
                  "Harden checkout by hand", author="alice")
    out = run_json(capsys, repo)
    assert (out["status"], out["pr"]["number"]) == ("no-changes", 1)
    assert out["reason"] == ("the changes are already on the base branch: closed #1 and "
                             f"deleted {BRANCH}")
    gh_repo = client(sb).get_repo(repo)
    assert gh_repo.get_pull(1).state == "closed"
    assert [c.body.splitlines()[0] for c in gh_repo.get_issue(1).get_comments()] == [
        "The base branch no longer needs these changes (they landed there some other way), "
        "so fixbot closes this pull request and deletes its branch."]
    assert bare.branch_sha(BRANCH) is None
    out = run_json(capsys, repo)  # and then there is simply nothing to do
    assert (out["status"], out["pr"]) == ("no-changes", None)


def test_merged_pull_request_then_no_changes(sb: Sandbox,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    repo = seed(sb, "webapp")
    run_json(capsys, repo)
    sb.merge_pull("acme", "webapp", 1, login="alice")
    out = run_json(capsys, repo)
    assert (out["status"], out["pr"], out["reason"]) == ("no-changes", None, None)


def test_repository_needing_nothing(sb: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    repo = seed(sb, "docs-site")
    out = run_json(capsys, repo)
    assert out == {"repo": repo, "status": "no-changes", "pr": None, "reason": None,
                   "secrets": None, "files": [{"path": ".github/workflows/pages.yml", "status": "unchanged",
                              "error": None, "changes": [], "notes": []}]}
    assert rest_lines(sb) == ["GET /api/v3/repos/acme/docs-site"]


@pytest.mark.parametrize("flag,reason", [("archived", "repository is archived"),
                                         ("disabled", "repository is disabled")])
def test_archived_or_disabled_is_skipped(sb: Sandbox, capsys: pytest.CaptureFixture[str],
                                         flag: str, reason: str) -> None:
    repo = seed(sb, "webapp", **{flag: True})
    out = run_json(capsys, repo)
    assert (out["status"], out["reason"], out["files"]) == ("skipped", reason, [])
    assert rest_lines(sb) == ["GET /api/v3/repos/acme/webapp"]
    assert not any(".git/" in e.path for e in sb.access_log)  # not even cloned


def test_dry_run_pushes_nothing(sb: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    repo = seed(sb, "webapp")
    capsys.readouterr()
    assert cli(repo, *ONLY, "--dry-run") == 0
    text = capsys.readouterr().out
    assert text.startswith(f"{repo}: pr-opened\n  dry run: would be pr-opened\n")
    assert f"\n{TITLE}\n" in text and "<!-- fixbot:fingerprint=" in text
    assert sb.repo("acme", "webapp").branch_sha(BRANCH) is None
    assert not any("receive-pack" in e.path for e in sb.access_log)
    assert rest_lines(sb) == ["GET /api/v3/repos/acme/webapp",
                              "GET /api/v3/repos/acme/webapp/pulls"]


def test_request_counts(sb: Sandbox, forge: Forge, capsys: pytest.CaptureFixture[str]) -> None:
    """The exact REST requests of one run: 4 for a repository that needs changes, 1 for one
    that does not (git traffic is separate and not counted against the REST rate limit)."""
    seed(sb, "webapp")
    seed(sb, "docs-site")
    run_json(capsys, "acme/webapp")
    assert rest_lines(sb) == ["GET /api/v3/repos/acme/webapp",
                              "GET /api/v3/repos/acme/webapp/pulls",
                              "POST /api/v3/repos/acme/webapp/pulls",
                              "POST /api/v3/repos/acme/webapp/issues/1/labels"]
    sb.clear_log()
    run_json(capsys, "acme/docs-site")
    assert rest_lines(sb) == ["GET /api/v3/repos/acme/docs-site"]


def test_landed_but_a_person_has_commits_on_the_branch(sb: Sandbox,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    repo = seed(sb, "webapp")
    run_json(capsys, repo)
    bare = sb.repo("acme", "webapp")
    fixed = bare.git("show", f"{BRANCH}:.github/workflows/ci.yml").decode()
    human = sb.push_files("acme", "webapp", BRANCH, {"NOTES.md": "x\n"}, "notes", author="alice")
    sb.push_files("acme", "webapp", "main", {".github/workflows/ci.yml": fixed}, "by hand",
                  author="alice")
    out = run_json(capsys, repo)
    assert (out["status"], out["pr"]["number"]) == ("skipped", 1)
    assert out["reason"] == (f"nothing left to change, but a person pushed commits onto {BRANCH}; "
                             "#1 is left open")
    assert bare.branch_sha(BRANCH) == human
    assert client(sb).get_repo(repo).get_pull(1).state == "open"
