"""REST reads through real PyGithub: repositories, listings with Link pages, files, errors."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

import pytest
from github import BadCredentialsException, Github, GithubException, UnknownObjectException
from sandbox_helpers import BOT_TOKEN, HUMAN_TOKEN, WORKFLOW, make_client

from fixbot.sandbox import Sandbox


def _raw(sb: Sandbox, path: str, token: str | None = BOT_TOKEN,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], object]:
    req = urllib.request.Request(sb.api_url + path, headers=headers or {})
    if token:
        req.add_header("Authorization", f"token {token}")
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, dict(resp.headers), json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read() or b"null")


def test_get_repo_fields_and_flags(sandbox: Sandbox, gh: Github) -> None:
    sandbox.create_repo("acme", "widgets", {"README.md": "hi\n"}, branch="trunk")
    sandbox.create_repo("acme", "old", {"README.md": "x\n"}, archived=True, fork=True,
                        private=True, description="legacy")
    repo = gh.get_repo("acme/widgets")
    assert repo.full_name == "acme/widgets"
    assert repo.owner.login == "acme" and repo.owner.type == "Organization"
    assert repo.default_branch == "trunk"
    assert (repo.archived, repo.fork, repo.private, repo.visibility) == (False, False, False, "public")
    assert repo.clone_url == f"{sandbox.url}/acme/widgets.git"
    assert repo.html_url == f"{sandbox.url}/acme/widgets"
    assert repo.url == f"{sandbox.api_url}/repos/acme/widgets"
    assert repo.permissions.admin is True and repo.permissions.push is True
    old = gh.get_repo("acme/old")
    assert (old.archived, old.fork, old.private, old.visibility) == (True, True, True, "private")
    assert old.description == "legacy"
    with pytest.raises(UnknownObjectException) as err:
        gh.get_repo("acme/missing")
    assert err.value.status == 404 and err.value.data["message"] == "Not Found"


def test_urls_follow_the_host_header(sandbox: Sandbox) -> None:
    sandbox.create_repo("acme", "widgets", {"README.md": "hi\n"})
    gh = make_client(sandbox, base_url=f"http://localhost:{sandbox.port}/api/v3")
    repo = gh.get_repo("acme/widgets")
    assert repo.url == f"http://localhost:{sandbox.port}/api/v3/repos/acme/widgets"
    assert repo.get_contents("README.md").decoded_content == b"hi\n"  # follows returned URLs


def test_org_listing_over_three_link_pages(sandbox: Sandbox, gh: Github) -> None:
    names = [f"repo{i:02d}" for i in range(65)]
    for name in names:
        sandbox.create_repo("acme", name, {"README.md": name})
    org = gh.get_organization("acme")
    assert org.login == "acme" and org.public_repos == 65
    repos = org.get_repos()
    assert repos.totalCount == 65
    assert [r.name for r in repos] == names
    pages = [e for e in sandbox.access_log if e.path == "/api/v3/orgs/acme/repos"]
    assert len(pages) == 4  # totalCount probe (per_page=1) + 3 pages of 30/30/5

    status, headers, body = _raw(sandbox, "/orgs/acme/repos?page=2")
    base = f"{sandbox.api_url}/orgs/acme/repos"
    assert status == 200 and [r["name"] for r in body] == names[30:60]
    assert headers["Link"] == (f'<{base}?page=1>; rel="prev", <{base}?page=3>; rel="next", '
                               f'<{base}?page=3>; rel="last", <{base}?page=1>; rel="first"')
    status, headers, body = _raw(sandbox, "/orgs/acme/repos?per_page=100")
    assert len(body) == 65 and "Link" not in headers
    status, headers, body = _raw(sandbox, "/orgs/acme/repos?per_page=500")
    assert len(body) == 65  # capped at 100 per page
    status, headers, _ = _raw(sandbox, "/orgs/acme/repos")
    assert headers["Link"] == f'<{base}?page=2>; rel="next", <{base}?page=3>; rel="last"'


def test_user_repos_and_users(sandbox: Sandbox, gh: Github) -> None:
    sandbox.create_repo("alice", "dotfiles", {"README.md": "mine\n"})
    me = make_client(sandbox, HUMAN_TOKEN).get_user()
    assert me.login == "alice" and me.type == "User"
    assert [r.full_name for r in gh.get_user("alice").get_repos()] == ["alice/dotfiles"]
    with pytest.raises(UnknownObjectException):
        gh.get_organization("alice")  # a user, not an organization


def test_contents_tree_commit_branch(sandbox: Sandbox, gh: Github) -> None:
    sandbox.create_repo("acme", "widgets", {".github/workflows/ci.yml": WORKFLOW,
                                            ".github/workflows/release.yaml": "on: release\n",
                                            "README.md": "hi\n"})
    repo = gh.get_repo("acme/widgets")
    f = repo.get_contents(".github/workflows/ci.yml", ref="main")
    assert f.type == "file" and f.decoded_content == WORKFLOW.encode() and f.size == len(WORKFLOW)
    assert f.path == ".github/workflows/ci.yml" and f.name == "ci.yml"
    listing = repo.get_contents(".github/workflows")
    assert [(c.path, c.type) for c in listing] == [(".github/workflows/ci.yml", "file"),
                                                   (".github/workflows/release.yaml", "file")]
    assert listing[1].decoded_content == b"on: release\n"  # lazily completed through its url
    with pytest.raises(UnknownObjectException):
        repo.get_contents("nope.yml")

    branch = repo.get_branch("main")
    head = sandbox.repo("acme", "widgets").branch_sha("main")
    assert branch.name == "main" and branch.commit.sha == head and branch.protected is False

    tree = repo.get_git_tree("main", recursive=True)
    assert [(e.path, e.type) for e in tree.tree] == [
        (".github", "tree"), (".github/workflows", "tree"), (".github/workflows/ci.yml", "blob"),
        (".github/workflows/release.yaml", "blob"), ("README.md", "blob")]
    assert tree.tree[2].size == len(WORKFLOW)

    commit = repo.get_git_commit(head)
    assert commit.sha == head and commit.message == "Initial commit\n"
    assert commit.tree.sha == tree.sha and commit.parents == []
    assert commit.author.email == "seed@sandbox.invalid"
    blob = repo.get_git_blob(tree.tree[2].sha)
    assert base64.b64decode(blob.content) == WORKFLOW.encode()


def test_git_data_writes_make_a_commit_without_a_clone(sandbox: Sandbox, gh: Github) -> None:
    from github import InputGitTreeElement

    sandbox.create_repo("acme", "widgets", {"README.md": "hi\n", "keep.txt": "keep\n"})
    repo = gh.get_repo("acme/widgets")
    main = repo.get_git_ref("heads/main")
    base = repo.get_git_commit(main.object.sha)
    tree = repo.create_git_tree([InputGitTreeElement("README.md", "100644", "blob",
                                                     content="changed\n")],
                                base_tree=repo.get_git_tree(base.tree.sha))
    new = repo.create_git_commit("Edit README", tree, [base])
    repo.create_git_ref("refs/heads/edit", new.sha)
    assert repo.get_contents("README.md", ref="edit").decoded_content == b"changed\n"
    assert repo.get_contents("keep.txt", ref="edit").decoded_content == b"keep\n"
    assert [p.sha for p in new.parents] == [base.sha]


def test_auth_errors_match_github(sandbox: Sandbox) -> None:
    sandbox.create_repo("acme", "widgets", {"README.md": "hi\n"})
    with pytest.raises(BadCredentialsException) as err:
        make_client(sandbox, "ghp_notARealToken").get_repo("acme/widgets")
    assert err.value.status == 401 and err.value.data["message"] == "Bad credentials"
    status, headers, body = _raw(sandbox, "/repos/acme/widgets", token=None)
    assert status == 401 and body["message"] == "Requires authentication"
    assert body["documentation_url"].startswith("https://docs.github.com/")


def test_rate_limit_headers_and_endpoint(sandbox: Sandbox, gh: Github) -> None:
    sandbox.create_repo("acme", "widgets", {"README.md": "hi\n"})
    status, headers, _ = _raw(sandbox, "/repos/acme/widgets")
    assert headers["X-RateLimit-Limit"] == "5000"
    assert headers["X-RateLimit-Remaining"] == "4999" and headers["X-RateLimit-Used"] == "1"
    assert headers["X-RateLimit-Resource"] == "core" and int(headers["X-RateLimit-Reset"]) > 0
    limits = gh.get_rate_limit()
    assert limits.resources.core.limit == 5000
    assert limits.resources.core.remaining == 4999  # /rate_limit itself is free


def test_validation_error_body(sandbox: Sandbox, gh: Github) -> None:
    sandbox.create_repo("acme", "widgets", {"README.md": "hi\n"})
    with pytest.raises(GithubException) as err:
        gh.get_repo("acme/widgets").create_pull(base="main", head="nope", title="t", body="b")
    assert err.value.status == 422
    assert err.value.data["message"] == "Validation Failed"
    assert err.value.data["errors"] == [{"resource": "PullRequest", "field": "head",
                                         "code": "invalid"}]


def test_any_bare_repository_dropped_under_root_is_served(sandbox: Sandbox, gh: Github, git,
                                                          tmp_path) -> None:
    src = tmp_path / "src"
    git("init", "-q", "-b", "develop", str(src))
    (src / "README.md").write_text("dropped\n")
    git("add", "README.md", cwd=src)
    git("commit", "-q", "-m", "first", cwd=src)
    bare = sandbox.root / "acme" / "dropped.git"
    git("clone", "-q", "--bare", str(src), str(bare))
    git("--git-dir", str(bare), "config", "forge.archived", "true")
    git("--git-dir", str(bare), "config", "forge.visibility", "internal")
    repo = gh.get_repo("acme/dropped")
    assert (repo.default_branch, repo.archived, repo.visibility, repo.private) == (
        "develop", True, "internal", True)
    assert repo.get_contents("README.md").decoded_content == b"dropped\n"
    git("clone", "-q", sandbox.git_url("acme", "dropped"), str(tmp_path / "back"), token=BOT_TOKEN)
    assert (tmp_path / "back" / "README.md").read_text() == "dropped\n"


def test_owner_names_cannot_escape_the_root(sandbox: Sandbox) -> None:
    sandbox.create_repo("acme", "widgets", {"README.md": "hi\n"})
    for path in ("/orgs/../repos", "/orgs/.", "/users/../repos", "/repos/../acme"):
        status, _headers, body = _raw(sandbox, path)
        assert (status, body["message"]) == (404, "Not Found"), path
