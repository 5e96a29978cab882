"""JSON bodies shaped like GitHub's schemas (users, organizations, repositories, git objects).

Every URL is built from the request's base (``http://HOST:PORT``), never from a fixed host.
"""

from __future__ import annotations

import base64
from typing import Any

from fixbot.sandbox.api_core import ApiRequest, Principal
from fixbot.sandbox.gitstore import BareRepo, CommitInfo, Person, TreeEntry

EPOCH = "2024-01-01T00:00:00Z"


def node_id(kind: str, ident: int | str) -> str:
    return base64.b64encode(f"0:{kind}{ident}".encode()).decode()


def user(req: ApiRequest, login: str, account_type: str | None = None) -> dict[str, Any]:
    row = req.forge.store.account(login, account_type or "Organization")
    api, uid = req.api, int(row["id"])
    url = f"{api}/users/{login}"
    return {
        "login": row["login"],
        "id": uid,
        "node_id": node_id(row["type"], uid),
        "avatar_url": f"{req.base}/avatars/u/{uid}",
        "gravatar_id": "",
        "url": url,
        "html_url": f"{req.base}/{row['login']}",
        "followers_url": f"{url}/followers",
        "following_url": f"{url}/following{{/other_user}}",
        "gists_url": f"{url}/gists{{/gist_id}}",
        "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{url}/subscriptions",
        "organizations_url": f"{url}/orgs",
        "repos_url": f"{url}/repos",
        "events_url": f"{url}/events{{/privacy}}",
        "received_events_url": f"{url}/received_events",
        "type": row["type"],
        "site_admin": False,
        "user_view_type": "public",
    }


def full_user(req: ApiRequest, login: str, private: bool) -> dict[str, Any]:
    row = req.forge.store.account(login)
    public_repos = sum(1 for r in _owner_repos(req, login) if not r.flag("private"))
    out = user(req, login)
    out.update({
        "name": row["login"], "company": None, "blog": "", "location": None, "email": None,
        "hireable": None, "bio": None, "twitter_username": None, "public_repos": public_repos,
        "public_gists": 0, "followers": 0, "following": 0,
        "created_at": row["created_at"], "updated_at": row["created_at"],
    })
    if private:
        out.update({
            "user_view_type": "private", "private_gists": 0, "total_private_repos": 0,
            "owned_private_repos": 0, "disk_usage": 0, "collaborators": 0,
            "two_factor_authentication": False,
        })
    return out


def _owner_repos(req: ApiRequest, owner: str) -> list[BareRepo]:
    from fixbot.sandbox.gitstore import list_repos

    return list_repos(req.forge.root, owner)


def organization(req: ApiRequest, login: str) -> dict[str, Any]:
    row = req.forge.store.account(login)
    api, oid = req.api, int(row["id"])
    url = f"{api}/orgs/{row['login']}"
    repos = _owner_repos(req, login)
    return {
        "login": row["login"], "id": oid, "node_id": node_id("Organization", oid), "url": url,
        "repos_url": f"{url}/repos", "events_url": f"{url}/events", "hooks_url": f"{url}/hooks",
        "issues_url": f"{url}/issues", "members_url": f"{url}/members{{/member}}",
        "public_members_url": f"{url}/public_members{{/member}}",
        "avatar_url": f"{req.base}/avatars/u/{oid}", "description": None,
        "name": row["login"], "blog": "", "is_verified": False,
        "has_organization_projects": True, "has_repository_projects": True,
        "public_repos": sum(1 for r in repos if not r.flag("private")), "public_gists": 0,
        "followers": 0, "following": 0, "html_url": f"{req.base}/{row['login']}",
        "type": "Organization", "created_at": row["created_at"], "updated_at": row["created_at"],
        "archived_at": None,
    }


def permissions(principal: Principal | None) -> dict[str, bool]:
    if principal is None:
        return {"admin": False, "maintain": False, "push": False, "triage": False, "pull": True}
    admin = principal.kind == "user"
    return {"admin": admin, "maintain": admin, "push": True, "triage": True, "pull": True}


def repository(req: ApiRequest, repo: BareRepo) -> dict[str, Any]:
    """A full-repository body (a superset of minimal-repository and repository)."""
    store = req.forge.store
    row = store.repo_row(repo.full_name)
    flags = repo.flags()

    def flag(key: str) -> bool:
        return flags.get(key, "false").lower() in ("true", "yes", "on", "1")

    visibility = flags.get("visibility") or ("private" if flag("private") else "public")
    private = visibility in ("private", "internal") or flag("private")
    api, html, full = req.api, req.base, repo.full_name
    url = f"{api}/repos/{full}"
    host = req.base.split("://", 1)[-1]
    open_issues = store.open_issue_count(int(row["id"]))
    pushed = repo.pushed_at() or row["created_at"]
    return {
        "id": int(row["id"]), "node_id": node_id("Repository", row["id"]), "name": repo.name,
        "full_name": full, "private": private,
        "owner": user(req, repo.owner, req.forge.owner_type(repo.owner)),
        "html_url": f"{html}/{full}", "description": flags.get("description"),
        "fork": flag("fork"), "url": url,
        "archive_url": f"{url}/{{archive_format}}{{/ref}}",
        "assignees_url": f"{url}/assignees{{/user}}", "blobs_url": f"{url}/git/blobs{{/sha}}",
        "branches_url": f"{url}/branches{{/branch}}",
        "collaborators_url": f"{url}/collaborators{{/collaborator}}",
        "comments_url": f"{url}/comments{{/number}}", "commits_url": f"{url}/commits{{/sha}}",
        "compare_url": f"{url}/compare/{{base}}...{{head}}",
        "contents_url": f"{url}/contents/{{+path}}", "contributors_url": f"{url}/contributors",
        "deployments_url": f"{url}/deployments", "downloads_url": f"{url}/downloads",
        "events_url": f"{url}/events", "forks_url": f"{url}/forks",
        "git_commits_url": f"{url}/git/commits{{/sha}}", "git_refs_url": f"{url}/git/refs{{/sha}}",
        "git_tags_url": f"{url}/git/tags{{/sha}}", "git_url": f"git://{host}/{full}.git",
        "issue_comment_url": f"{url}/issues/comments{{/number}}",
        "issue_events_url": f"{url}/issues/events{{/number}}",
        "issues_url": f"{url}/issues{{/number}}", "keys_url": f"{url}/keys{{/key_id}}",
        "labels_url": f"{url}/labels{{/name}}", "languages_url": f"{url}/languages",
        "merges_url": f"{url}/merges", "milestones_url": f"{url}/milestones{{/number}}",
        "notifications_url": f"{url}/notifications{{?since,all,participating}}",
        "pulls_url": f"{url}/pulls{{/number}}", "releases_url": f"{url}/releases{{/id}}",
        "ssh_url": f"git@{host.split(':')[0]}:{full}.git", "stargazers_url": f"{url}/stargazers",
        "statuses_url": f"{url}/statuses/{{sha}}", "subscribers_url": f"{url}/subscribers",
        "subscription_url": f"{url}/subscription", "tags_url": f"{url}/tags",
        "teams_url": f"{url}/teams", "trees_url": f"{url}/git/trees{{/sha}}",
        "clone_url": f"{html}/{full}.git", "mirror_url": None, "hooks_url": f"{url}/hooks",
        "svn_url": f"{html}/{full}", "homepage": None, "language": None, "forks_count": 0,
        "stargazers_count": 0, "watchers_count": 0, "size": repo.size_kb(),
        "default_branch": repo.default_branch(), "open_issues_count": open_issues,
        "is_template": False, "topics": [], "has_issues": True, "has_projects": True,
        "has_wiki": True, "has_pages": False, "has_downloads": True, "has_discussions": False,
        "archived": flag("archived"), "disabled": flag("disabled"), "visibility": visibility,
        "pushed_at": pushed, "created_at": row["created_at"], "updated_at": pushed,
        "permissions": permissions(req.principal), "allow_forking": True,
        "web_commit_signoff_required": False, "forks": 0, "open_issues": open_issues,
        "watchers": 0, "license": None, "network_count": 0, "subscribers_count": 0,
    }


def label(req: ApiRequest, repo: BareRepo, row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": int(row["id"]), "node_id": node_id("Label", row["id"]),
        "url": f"{req.api}/repos/{repo.full_name}/labels/{row['name']}", "name": row["name"],
        "description": row["description"], "color": row["color"], "default": False,
    }


def comment(req: ApiRequest, repo: BareRepo, number: int, row: dict[str, Any]) -> dict[str, Any]:
    full = repo.full_name
    return {
        "id": int(row["id"]), "node_id": node_id("IssueComment", row["id"]),
        "url": f"{req.api}/repos/{full}/issues/comments/{row['id']}",
        "html_url": f"{req.base}/{full}/pull/{number}#issuecomment-{row['id']}",
        "issue_url": f"{req.api}/repos/{full}/issues/{number}", "body": row["body"],
        "user": user(req, row["user_login"], "User"), "created_at": row["created_at"],
        "updated_at": row["updated_at"], "author_association": "MEMBER",
    }


def git_ref(req: ApiRequest, repo: BareRepo, ref: str, sha: str) -> dict[str, Any]:
    kind = repo.object_type(sha) or "commit"
    base = f"{req.api}/repos/{repo.full_name}/git"
    return {
        "ref": ref, "node_id": node_id("Ref", f"{repo.full_name}:{ref}"),
        "url": f"{base}/refs/{ref[len('refs/'):]}",
        "object": {"type": kind, "sha": sha, "url": f"{base}/{kind}s/{sha}"},
    }


def _person(p: Person) -> dict[str, str]:
    return {"name": p.name, "email": p.email, "date": p.date}


def _unverified() -> dict[str, Any]:
    return {"verified": False, "reason": "unsigned", "signature": None, "payload": None,
            "verified_at": None}


def git_commit(req: ApiRequest, repo: BareRepo, c: CommitInfo) -> dict[str, Any]:
    api = f"{req.api}/repos/{repo.full_name}"
    html = f"{req.base}/{repo.full_name}"
    return {
        "sha": c.sha, "node_id": node_id("Commit", c.sha), "url": f"{api}/git/commits/{c.sha}",
        "html_url": f"{html}/commit/{c.sha}", "author": _person(c.author),
        "committer": _person(c.committer), "message": c.message,
        "tree": {"sha": c.tree, "url": f"{api}/git/trees/{c.tree}"},
        "parents": [{"sha": p, "url": f"{api}/git/commits/{p}", "html_url": f"{html}/commit/{p}"}
                    for p in c.parents],
        "verification": _unverified(),
    }


def _account_for_email(req: ApiRequest, email: str) -> dict[str, Any] | None:
    local = email.split("@", 1)[0]
    local = local.split("+", 1)[-1]  # 12345+login@users.noreply...
    row = req.forge.store.known_account(local)
    return user(req, row["login"]) if row and row["type"] != "Organization" else None


def commit(req: ApiRequest, repo: BareRepo, c: CommitInfo) -> dict[str, Any]:
    """The ``commit`` schema (branches, pull request commits)."""
    api = f"{req.api}/repos/{repo.full_name}"
    html = f"{req.base}/{repo.full_name}"
    return {
        "sha": c.sha, "node_id": node_id("Commit", c.sha), "url": f"{api}/commits/{c.sha}",
        "html_url": f"{html}/commit/{c.sha}", "comments_url": f"{api}/commits/{c.sha}/comments",
        "commit": {
            "url": f"{api}/git/commits/{c.sha}", "author": _person(c.author),
            "committer": _person(c.committer), "message": c.message, "comment_count": 0,
            "tree": {"sha": c.tree, "url": f"{api}/git/trees/{c.tree}"},
            "verification": _unverified(),
        },
        "author": _account_for_email(req, c.author.email),
        "committer": _account_for_email(req, c.committer.email),
        "parents": [{"sha": p, "url": f"{api}/commits/{p}", "html_url": f"{html}/commit/{p}"}
                    for p in c.parents],
    }


def tree_item(req: ApiRequest, repo: BareRepo, e: TreeEntry) -> dict[str, Any]:
    api = f"{req.api}/repos/{repo.full_name}/git"
    item: dict[str, Any] = {"path": e.path, "mode": e.mode, "type": e.type, "sha": e.sha}
    if e.type == "blob":
        item["size"] = e.size or 0
        item["url"] = f"{api}/blobs/{e.sha}"
    elif e.type == "tree":
        item["url"] = f"{api}/trees/{e.sha}"
    return item


def content_entry(req: ApiRequest, repo: BareRepo, e: TreeEntry, ref: str) -> dict[str, Any]:
    """One entry of a contents listing (also the common part of a content-file)."""
    from urllib.parse import quote

    kind = {"blob": "file", "tree": "dir", "commit": "submodule"}.get(e.type, "file")
    if e.mode == "120000":
        kind = "symlink"
    qpath = quote(e.path)
    url = f"{req.api}/repos/{repo.full_name}/contents/{qpath}?ref={quote(ref, safe='')}"
    git_url = f"{req.api}/repos/{repo.full_name}/git/{'trees' if kind == 'dir' else 'blobs'}/{e.sha}"
    html_url = f"{req.base}/{repo.full_name}/{'tree' if kind == 'dir' else 'blob'}/{ref}/{qpath}"
    download = (f"{req.base}/{repo.full_name}/raw/{ref}/{qpath}" if kind == "file" else None)
    return {
        "type": kind, "size": e.size or 0, "name": e.path.rsplit("/", 1)[-1], "path": e.path,
        "sha": e.sha, "url": url, "git_url": git_url, "html_url": html_url,
        "download_url": download, "_links": {"self": url, "git": git_url, "html": html_url},
    }


def content_file(req: ApiRequest, repo: BareRepo, e: TreeEntry, ref: str) -> dict[str, Any]:
    data = repo.blob(e.sha)
    out = content_entry(req, repo, e, ref)
    out.update({"encoding": "base64", "content": base64.encodebytes(data).decode(),
                "size": len(data)})
    return out
