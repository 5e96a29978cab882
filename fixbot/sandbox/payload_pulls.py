"""JSON bodies for pull requests and issues; head/base SHAs are read live from the bare repo."""

from __future__ import annotations

import re
from typing import Any

from fixbot.sandbox import payloads as P
from fixbot.sandbox.api_core import ApiRequest
from fixbot.sandbox.gitstore import BareRepo

Row = dict[str, Any]


def live_shas(repo: BareRepo, row: Row) -> tuple[str, str]:
    """(head sha, base sha): the branches' current tips while open, the recorded ones after."""
    head, base = row["head_sha"] or "", row["base_sha"] or ""
    if row["state"] == "open":
        head = repo.branch_sha(row["head_ref"]) or head
        base = repo.branch_sha(row["base_ref"]) or base
    return head, base


def _association(req: ApiRequest, repo: BareRepo, login: str) -> str:
    if login.lower() == repo.owner.lower():
        return "OWNER"
    row = req.forge.store.known_account(login)
    return "MEMBER" if row and row["type"] == "User" else "NONE"


def _diff_stats(repo: BareRepo, base: str, head: str) -> tuple[int, int, int]:
    if not base or not head:
        return 0, 0, 0
    out = repo.git("diff", "--shortstat", f"{base}...{head}", check=False).decode()

    def num(word: str) -> int:
        m = re.search(rf"(\d+) {word}", out)
        return int(m.group(1)) if m else 0

    return num("insertion"), num("deletion"), num("files? changed")


def _branch(req: ApiRequest, repo: BareRepo, ref: str, sha: str, repo_body: Row) -> Row:
    return {
        "label": f"{repo.owner}:{ref}", "ref": ref, "sha": sha,
        "user": P.user(req, repo.owner, req.forge.owner_type(repo.owner)), "repo": repo_body,
    }


def labels_of(req: ApiRequest, repo: BareRepo, row: Row) -> list[Row]:
    return [P.label(req, repo, lab) for lab in req.forge.store.issue_labels(int(row["id"]))]


def pull(req: ApiRequest, repo: BareRepo, row: Row, full: bool = True) -> Row:
    """A pull-request body (``full``) or a pull-request-simple one (list items)."""
    api = f"{req.api}/repos/{repo.full_name}"
    html = f"{req.base}/{repo.full_name}"
    n = int(row["number"])
    url = f"{api}/pulls/{n}"
    issue_url = f"{api}/issues/{n}"
    head_sha, base_sha = live_shas(repo, row)
    repo_body = P.repository(req, repo)

    def link(href: str) -> dict[str, str]:
        return {"href": href}

    body: Row = {
        "url": url, "id": int(row["id"]), "node_id": P.node_id("PullRequest", row["id"]),
        "html_url": f"{html}/pull/{n}", "diff_url": f"{html}/pull/{n}.diff",
        "patch_url": f"{html}/pull/{n}.patch", "issue_url": issue_url,
        "commits_url": f"{url}/commits", "review_comments_url": f"{url}/comments",
        "review_comment_url": f"{api}/pulls/comments{{/number}}",
        "comments_url": f"{issue_url}/comments", "statuses_url": f"{api}/statuses/{head_sha}",
        "number": n, "state": row["state"], "locked": False, "title": row["title"],
        "user": P.user(req, row["user_login"], "User"), "body": row["body"],
        "labels": labels_of(req, repo, row), "milestone": None, "active_lock_reason": None,
        "created_at": row["created_at"], "updated_at": row["updated_at"],
        "closed_at": row["closed_at"], "merged_at": row["merged_at"],
        "merge_commit_sha": row["merge_commit_sha"], "assignee": None, "assignees": [],
        "requested_reviewers": [
            P.user(req, r["login"], "User") for r in req.forge.store.all(
                "SELECT login FROM review_requests WHERE issue_id = ? ORDER BY login",
                int(row["id"]))],
        "requested_teams": [],
        "head": _branch(req, repo, row["head_ref"], head_sha, repo_body),
        "base": _branch(req, repo, row["base_ref"], base_sha, repo_body),
        "_links": {
            "self": link(url), "html": link(f"{html}/pull/{n}"), "issue": link(issue_url),
            "comments": link(f"{issue_url}/comments"),
            "review_comments": link(f"{url}/comments"),
            "review_comment": link(f"{api}/pulls/comments{{/number}}"),
            "commits": link(f"{url}/commits"), "statuses": link(f"{api}/statuses/{head_sha}"),
        },
        "author_association": _association(req, repo, row["user_login"]), "auto_merge": None,
        "draft": bool(row["draft"]),
    }
    if full:
        additions, deletions, changed = _diff_stats(repo, base_sha, head_sha)
        merged = row["merged_at"] is not None
        commits = len(repo.commits_between(base_sha, head_sha)) if head_sha and base_sha else 0
        body.update({
            "merged": merged,
            "mergeable": None if row["state"] != "open" else True,
            "rebaseable": None if row["state"] != "open" else True,
            "mergeable_state": "clean" if row["state"] == "open" else "unknown",
            "merged_by": P.user(req, row["merged_by"], "User") if row["merged_by"] else None,
            "comments": req.forge.store.comment_count(int(row["id"])), "review_comments": 0,
            "maintainer_can_modify": bool(row["maintainer_can_modify"]),
            "commits": commits, "additions": additions, "deletions": deletions,
            "changed_files": changed,
        })
    return body


def _closed_by(req: ApiRequest, row: Row) -> Row | None:
    """Who closed it (GitHub's ``closed_by``): the account that closed it through the API, or
    merged it; None while open, or when a push closed it (the pusher is unknown)."""
    if row["state"] != "closed":
        return None
    login = row.get("closed_by") or row["merged_by"]
    return P.user(req, login, "User") if login else None


def issue(req: ApiRequest, repo: BareRepo, row: Row) -> Row:
    api = f"{req.api}/repos/{repo.full_name}"
    html = f"{req.base}/{repo.full_name}"
    n = int(row["number"])
    url = f"{api}/issues/{n}"
    body: Row = {
        "id": int(row["id"]), "node_id": P.node_id("Issue", row["id"]), "url": url,
        "repository_url": api, "labels_url": f"{url}/labels{{/name}}",
        "comments_url": f"{url}/comments", "events_url": f"{url}/events",
        "html_url": f"{html}/{'pull' if row['is_pull'] else 'issues'}/{n}", "number": n,
        "state": row["state"], "title": row["title"], "body": row["body"],
        "user": P.user(req, row["user_login"], "User"), "labels": labels_of(req, repo, row),
        "assignee": None, "assignees": [], "milestone": None, "locked": False,
        "active_lock_reason": None, "comments": req.forge.store.comment_count(int(row["id"])),
        "closed_at": row["closed_at"], "created_at": row["created_at"],
        "updated_at": row["updated_at"], "closed_by": _closed_by(req, row),
        "author_association": _association(req, repo, row["user_login"]),
    }
    if row["state"] == "closed":
        body["state_reason"] = "completed" if row["merged_at"] else "not_planned"
    if row["is_pull"]:
        body["pull_request"] = {
            "url": f"{api}/pulls/{n}", "html_url": f"{html}/pull/{n}",
            "diff_url": f"{html}/pull/{n}.diff", "patch_url": f"{html}/pull/{n}.patch",
            "merged_at": row["merged_at"],
        }
        body["draft"] = bool(row["draft"])
    return body
