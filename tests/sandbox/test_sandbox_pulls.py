"""Pull requests, labels, comments and git refs through real PyGithub."""

from __future__ import annotations

import pytest
from github import Github, GithubException, UnknownObjectException
from sandbox_helpers import HUMAN_TOKEN, make_client

from fixbot.sandbox import Sandbox

BRANCH = "fixbot/harden-workflows"


@pytest.fixture
def widgets(sandbox: Sandbox) -> Sandbox:
    sandbox.create_repo("acme", "widgets", {"README.md": "hi\n", "ci.yml": "on: push\n"})
    sandbox.push_files("acme", "widgets", BRANCH, {"ci.yml": "on: push\npermissions: {}\n"},
                       "Harden workflows", author="fixbot-bot")
    return sandbox


def test_create_get_and_duplicate_pull(widgets: Sandbox, gh: Github) -> None:
    repo = gh.get_repo("acme/widgets")
    pr = repo.create_pull(base="main", head=BRANCH, title="Harden workflows", body="Body")
    assert pr.number == 1 and pr.state == "open" and pr.merged is False
    assert pr.title == "Harden workflows" and pr.body == "Body"
    assert pr.user.login == "fixbot-bot"
    assert pr.head.ref == BRANCH and pr.head.label == f"acme:{BRANCH}"
    assert pr.head.sha == widgets.repo("acme", "widgets").branch_sha(BRANCH)
    assert pr.base.ref == "main" and pr.base.repo.full_name == "acme/widgets"
    assert pr.issue_url == f"{widgets.api_url}/repos/acme/widgets/issues/1"
    assert pr.html_url == f"{widgets.url}/acme/widgets/pull/1"
    assert (pr.commits, pr.changed_files, pr.additions, pr.deletions) == (1, 1, 1, 0)
    assert repo.get_pull(1).title == "Harden workflows"

    with pytest.raises(GithubException) as err:
        repo.create_pull(base="main", head=f"acme:{BRANCH}", title="again", body="")
    assert err.value.status == 422
    assert err.value.data["errors"][0]["message"] == f"A pull request already exists for acme:{BRANCH}."

    repo.create_git_ref("refs/heads/same", repo.get_branch("main").commit.sha)
    with pytest.raises(GithubException) as err:
        repo.create_pull(base="main", head="same", title="nothing", body="")
    assert err.value.data["errors"][0]["message"] == "No commits between main and same"


def test_head_filter_needs_owner_prefix_like_github(widgets: Sandbox, gh: Github) -> None:
    widgets.push_files("acme", "widgets", "other", {"x.txt": "x\n"}, "other", "alice")
    repo = gh.get_repo("acme/widgets")
    repo.create_pull(base="main", head=BRANCH, title="fixbot", body="")
    repo.create_pull(base="main", head="other", title="other", body="")
    assert [p.number for p in repo.get_pulls(head=f"acme:{BRANCH}", state="all")] == [1]
    # without "owner:" GitHub ignores the filter and returns every pull request (newest first)
    assert [p.number for p in repo.get_pulls(head=BRANCH, state="all")] == [2, 1]
    assert [p.number for p in repo.get_pulls(head="acme:nope", state="all")] == []
    assert [p.number for p in repo.get_pulls(base="main")] == [2, 1]
    assert [p.number for p in repo.get_pulls(base="dev")] == []


def test_edit_close_and_state_filters(widgets: Sandbox, gh: Github) -> None:
    repo = gh.get_repo("acme/widgets")
    pr = repo.create_pull(base="main", head=BRANCH, title="t", body="b")
    pr.edit(title="new title", body="new body")
    assert (repo.get_pull(1).title, repo.get_pull(1).body) == ("new title", "new body")
    # a person closes it
    make_client(widgets, HUMAN_TOKEN).get_repo("acme/widgets").get_pull(1).edit(state="closed")
    closed = repo.get_pull(1)
    assert closed.state == "closed" and closed.merged is False and closed.closed_at is not None
    assert [p.number for p in repo.get_pulls(state="open")] == []
    assert [p.number for p in repo.get_pulls(state="closed")] == [1]
    assert [p.number for p in repo.get_pulls(head=f"acme:{BRANCH}", state="all")] == [1]


def test_head_sha_is_live_and_human_commits_are_visible(widgets: Sandbox, gh: Github) -> None:
    repo = gh.get_repo("acme/widgets")
    pr = repo.create_pull(base="main", head=BRANCH, title="t", body="b")
    human = widgets.push_files("acme", "widgets", BRANCH, {"notes.md": "mine\n"}, "human edit",
                               author="alice")
    assert repo.get_pull(pr.number).head.sha == human
    commits = list(pr.get_commits())
    assert [c.commit.message for c in commits] == ["Harden workflows\n", "human edit\n"]
    assert [c.author.login if c.author else None for c in commits] == ["fixbot-bot", "alice"]
    assert commits[1].sha == human


def test_labels_and_comments(widgets: Sandbox, gh: Github) -> None:
    pr = gh.get_repo("acme/widgets").create_pull(base="main", head=BRANCH, title="t", body="b")
    pr.add_to_labels("fixbot", "security")
    assert [label.name for label in pr.get_labels()] == ["fixbot", "security"]
    pr.set_labels("fixbot")
    assert [label.name for label in pr.get_labels()] == ["fixbot"]
    assert [label.name for label in gh.get_repo("acme/widgets").get_pull(1).labels] == ["fixbot"]
    pr.remove_from_labels("fixbot")
    assert list(pr.get_labels()) == []

    comment = pr.create_issue_comment("first")
    make_client(widgets, HUMAN_TOKEN).get_repo("acme/widgets").get_pull(1) \
        .create_issue_comment("from a person")
    assert comment.body == "first" and comment.user.login == "fixbot-bot"
    got = [(c.user.login, c.body) for c in pr.get_issue_comments()]
    assert got == [("fixbot-bot", "first"), ("alice", "from a person")]
    assert gh.get_repo("acme/widgets").get_pull(1).comments == 2


def test_labels_accept_object_body(widgets: Sandbox, gh: Github) -> None:
    pr = gh.get_repo("acme/widgets").create_pull(base="main", head=BRANCH, title="t", body="b")
    _headers, data = gh.requester.requestJsonAndCheck(
        "POST", f"{pr.issue_url}/labels", input={"labels": ["a", "b"]})
    assert [d["name"] for d in data] == ["a", "b"]


def test_merge_hook_fast_forward_and_merge_commit(widgets: Sandbox, gh: Github) -> None:
    repo = gh.get_repo("acme/widgets")
    pr = repo.create_pull(base="main", head=BRANCH, title="t", body="b")
    head = pr.head.sha
    assert widgets.merge_pull("acme", "widgets", 1) == head  # fast-forward
    merged = repo.get_pull(1)
    assert merged.merged is True and merged.state == "closed" and merged.merge_commit_sha == head
    assert (merged.merged_by.login, merged.merged_by.type) == ("octocat", "User")
    assert repo.get_branch("main").commit.sha == head
    assert [c.sha for c in merged.get_commits()] == [head]

    widgets.push_files("acme", "widgets", "topic", {"a.txt": "a\n"}, "topic", "alice")
    widgets.push_files("acme", "widgets", "main", {"b.txt": "b\n"}, "main moves", "alice")
    pr2 = repo.create_pull(base="main", head="topic", title="topic", body="")
    sha = widgets.merge_pull("acme", "widgets", pr2.number)
    commit = repo.get_git_commit(sha)
    assert len(commit.parents) == 2 and commit.message.startswith("Merge pull request #2")
    assert repo.get_contents("a.txt").decoded_content == b"a\n"
    assert repo.get_contents("b.txt").decoded_content == b"b\n"
    with pytest.raises(GithubException) as err:
        repo.get_pull(1).edit(state="open")
    assert err.value.status == 422


def test_git_refs_get_create_edit_delete(widgets: Sandbox, gh: Github) -> None:
    repo = gh.get_repo("acme/widgets")
    main_sha = widgets.repo("acme", "widgets").branch_sha("main")
    branch_sha = widgets.repo("acme", "widgets").branch_sha(BRANCH)
    ref = repo.get_git_ref(f"heads/{BRANCH}")
    assert ref.ref == f"refs/heads/{BRANCH}" and ref.object.sha == branch_sha
    assert ref.object.type == "commit"
    assert ref.url == f"{widgets.api_url}/repos/acme/widgets/git/refs/heads/{BRANCH}"
    with pytest.raises(UnknownObjectException):
        repo.get_git_ref("heads/missing")

    new = repo.create_git_ref("refs/heads/copy", main_sha)
    assert new.object.sha == main_sha
    with pytest.raises(GithubException) as err:
        repo.create_git_ref("refs/heads/copy", main_sha)
    assert (err.value.status, err.value.data["message"]) == (422, "Reference already exists")

    new.edit(branch_sha)  # fast-forward
    assert repo.get_git_ref("heads/copy").object.sha == branch_sha
    with pytest.raises(GithubException) as err:
        new.edit(main_sha)  # backwards without force
    assert (err.value.status, err.value.data["message"]) == (422, "Update is not a fast forward")
    new.edit(main_sha, force=True)
    assert widgets.repo("acme", "widgets").branch_sha("copy") == main_sha

    new.delete()
    assert widgets.repo("acme", "widgets").branch_sha("copy") is None
    with pytest.raises(GithubException) as err:
        new.delete()
    assert (err.value.status, err.value.data["message"]) == (422, "Reference does not exist")


def test_repository_labels(widgets: Sandbox, gh: Github) -> None:
    repo = gh.get_repo("acme/widgets")
    created = repo.create_label("fixbot", "0E8A16", "Opened by fixbot")
    assert (created.name, created.color, created.description) == ("fixbot", "0e8a16",
                                                                   "Opened by fixbot")
    with pytest.raises(GithubException) as err:
        repo.create_label("fixbot", "0E8A16")
    assert err.value.status == 422
    assert err.value.data["errors"] == [{"resource": "Label", "code": "already_exists",
                                         "field": "name"}]
    assert repo.get_label("fixbot").color == "0e8a16"
    assert [label.name for label in repo.get_labels()] == ["fixbot"]
    with pytest.raises(UnknownObjectException):
        repo.get_label("nope")


def test_branch_pushes_close_or_merge_like_github(widgets: Sandbox, gh: Github) -> None:
    repo = gh.get_repo("acme/widgets")
    first = repo.create_pull(base="main", head=BRANCH, title="t", body="b")
    head = first.head.sha
    widgets.push_files("acme", "widgets", "other", {"o.txt": "o\n"}, "other", "alice")
    second = repo.create_pull(base="main", head="other", title="o", body="")

    # someone pushes the fixbot commits straight onto main: GitHub marks the PR merged
    bare = widgets.repo("acme", "widgets")
    bare.update_ref("refs/heads/main", head)
    landed = repo.get_pull(first.number)
    assert (landed.state, landed.merged, landed.merge_commit_sha) == ("closed", True, head)
    assert [c.sha for c in landed.get_commits()] == [head]

    # the head branch is deleted: GitHub closes the PR without merging it
    other_head = second.head.sha
    bare.delete_ref("refs/heads/other")
    assert [p.number for p in repo.get_pulls(state="open")] == []
    gone = repo.get_pull(second.number)
    assert (gone.state, gone.merged, gone.head.sha) == ("closed", False, other_head)
