"""REST: pull requests (list, create, get, update, commits, merge)."""

from __future__ import annotations

from typing import Any

from fixbot.sandbox import payload_pulls as PP
from fixbot.sandbox import payloads as P
from fixbot.sandbox.api_core import (
    ApiError,
    ApiRequest,
    ApiResponse,
    not_found,
    paginate,
    route,
    validation_failed,
)
from fixbot.sandbox.gitstore import BareRepo
from fixbot.sandbox.merging import MergeConflict, merge_pull
from fixbot.sandbox.store import now_iso

CREATE_DOC = "https://docs.github.com/enterprise-server@3.19/rest/pulls/pulls#create-a-pull-request"
UPDATE_DOC = "https://docs.github.com/enterprise-server@3.19/rest/pulls/pulls#update-a-pull-request"


def _repo_and_id(req: ApiRequest) -> tuple[BareRepo, int]:
    repo = req.repo(req.params["owner"], req.params["repo"])
    return repo, int(req.forge.store.repo_row(repo.full_name)["id"])


def reconcile(req: ApiRequest, repo: BareRepo, row: dict[str, Any]) -> dict[str, Any]:
    """Apply what GitHub does on pushes to an open pull request's branches, lazily: a head
    branch that was deleted closes it; head commits that reached the base mark it merged."""
    if row["state"] != "open":
        return row
    head = repo.branch_sha(row["head_ref"])
    base = repo.branch_sha(row["base_ref"])
    stamp = now_iso()
    if head is None:
        changes: dict[str, Any] = {"state": "closed", "closed_at": stamp,
                                   "base_sha": base or row["base_sha"]}
    elif base is not None and head != row["base_sha"] and repo.is_ancestor(head, base):
        changes = {"state": "closed", "closed_at": stamp, "merged_at": stamp,
                   "merge_commit_sha": head, "head_sha": head}  # the pusher is unknown
    else:
        return row
    req.forge.store.update_issue(int(row["id"]), **changes)
    return {**row, **changes, "updated_at": stamp}


def _pull_row(req: ApiRequest) -> tuple[BareRepo, dict[str, Any]]:
    repo, repo_id = _repo_and_id(req)
    try:
        number = int(req.params["number"])
    except ValueError:
        raise not_found() from None
    row = req.forge.store.issue(repo_id, number)
    if row is None or not row["is_pull"]:
        raise not_found()
    return repo, reconcile(req, repo, row)


@route("GET", "/repos/{owner}/{repo}/pulls")
def list_pulls(req: ApiRequest) -> ApiResponse:
    repo, repo_id = _repo_and_id(req)
    rows = [reconcile(req, repo, r) for r in req.forge.store.pulls(repo_id)]
    state = req.query.get("state", "open")
    if state != "all":
        rows = [r for r in rows if r["state"] == state]
    head = req.query.get("head", "")
    if ":" in head:  # GitHub ignores a head filter without "owner:" (returns every PR)
        owner, _, branch = head.partition(":")
        rows = [r for r in rows
                if r["head_owner"].lower() == owner.lower() and r["head_ref"] == branch]
    if req.query.get("base"):
        rows = [r for r in rows if r["base_ref"] == req.query["base"]]
    sort = req.query.get("sort", "created")
    key = "updated_at" if sort in ("updated", "long-running") else "created_at"
    default_dir = "desc" if sort == "created" or "sort" not in req.query else "asc"
    desc = req.query.get("direction", default_dir) == "desc"
    rows.sort(key=lambda r: (r[key], r["number"]), reverse=desc)
    response = paginate(req, rows)
    response.body = [PP.pull(req, repo, r, full=False) for r in response.body]
    return response


@route("POST", "/repos/{owner}/{repo}/pulls")
def create_pull(req: ApiRequest) -> ApiResponse:
    repo, repo_id = _repo_and_id(req)
    head = req.field("head", str, required=True)
    base = req.field("base", str, required=True)
    title = req.field("title", str, required=True)
    body = req.field("body", str)
    draft = bool(req.field("draft", bool))
    mcm = req.field("maintainer_can_modify", bool)
    head_owner, _, head_ref = head.rpartition(":")
    head_owner = head_owner or repo.owner

    def invalid(field: str) -> ApiError:
        return validation_failed([{"resource": "PullRequest", "field": field,
                                   "code": "invalid"}], CREATE_DOC)

    def custom(message: str) -> ApiError:
        return validation_failed([{"resource": "PullRequest", "code": "custom",
                                   "message": message}], CREATE_DOC)

    base_sha = repo.branch_sha(base)
    if base_sha is None:
        raise invalid("base")
    head_sha = repo.branch_sha(head_ref) if head_owner.lower() == repo.owner.lower() else None
    if head_sha is None:
        raise invalid("head")
    for row in (reconcile(req, repo, r) for r in req.forge.store.pulls(repo_id)):
        if (row["state"] == "open" and row["head_ref"] == head_ref and row["base_ref"] == base
                and row["head_owner"].lower() == head_owner.lower()):
            raise custom(f"A pull request already exists for {repo.owner}:{head_ref}.")
    if not repo.commits_between(base_sha, head_sha, limit=1):
        raise custom(f"No commits between {base} and {head_ref}")
    row = req.forge.store.create_issue(
        repo_id, is_pull=1, title=title, body=body, user_login=req.login, head_ref=head_ref,
        head_owner=repo.owner, base_ref=base, head_sha=head_sha, base_sha=base_sha,
        draft=int(draft), maintainer_can_modify=int(bool(mcm)),
    )
    out = PP.pull(req, repo, row)
    return ApiResponse(201, out, {"Location": out["url"]})


@route("GET", "/repos/{owner}/{repo}/pulls/{number}")
def get_pull(req: ApiRequest) -> ApiResponse:
    repo, row = _pull_row(req)
    return ApiResponse(200, PP.pull(req, repo, row))


@route("PATCH", "/repos/{owner}/{repo}/pulls/{number}")
def update_pull(req: ApiRequest) -> ApiResponse:
    repo, row = _pull_row(req)
    changes: dict[str, Any] = {}
    for name in ("title", "body"):
        if isinstance(req.body, dict) and name in req.body:
            changes[name] = req.field(name, str)
    base = req.field("base", str)
    if base is not None:
        if repo.branch_sha(base) is None:
            raise validation_failed([{"resource": "PullRequest", "field": "base",
                                      "code": "invalid"}], UPDATE_DOC)
        changes["base_ref"] = base
    if req.field("maintainer_can_modify", bool) is not None:
        changes["maintainer_can_modify"] = int(req.body["maintainer_can_modify"])
    state = req.field("state", str)
    if state is not None:
        if state not in ("open", "closed"):
            raise validation_failed([{"resource": "PullRequest", "field": "state",
                                      "code": "invalid"}], UPDATE_DOC)
        if row["merged_at"] is not None and state == "open":
            raise validation_failed([{"resource": "PullRequest", "code": "custom",
                                      "message": "Cannot reopen a merged pull request"}],
                                    UPDATE_DOC)
        if state != row["state"]:
            head, base_sha = PP.live_shas(repo, row)
            changes.update(state=state, head_sha=head, base_sha=base_sha,
                           closed_at=now_iso() if state == "closed" else None,
                           closed_by=req.login if state == "closed" else None)
    if changes:
        req.forge.store.update_issue(int(row["id"]), **changes)
    _, row = _pull_row(req)
    return ApiResponse(200, PP.pull(req, repo, row))


@route("GET", "/repos/{owner}/{repo}/pulls/{number}/commits")
def list_pull_commits(req: ApiRequest) -> ApiResponse:
    repo, row = _pull_row(req)
    head, base = PP.live_shas(repo, row)
    # After a merge the recorded base is the base tip from before the merge.
    shas = repo.commits_between(base, head) if base and head else []
    response = paginate(req, shas)
    commits = []
    for sha in response.body:
        info = repo.commit(sha)
        if info is not None:
            commits.append(P.commit(req, repo, info))
    response.body = commits
    return response


@route("GET", "/repos/{owner}/{repo}/pulls/{number}/merge")
def is_merged(req: ApiRequest) -> ApiResponse:
    _, row = _pull_row(req)
    if row["merged_at"] is None:
        raise not_found()
    return ApiResponse(204, None)


@route("PUT", "/repos/{owner}/{repo}/pulls/{number}/merge")
def merge(req: ApiRequest) -> ApiResponse:
    repo, row = _pull_row(req)
    if row["state"] != "open":
        raise ApiError(405, "Pull Request is not mergeable")
    method = req.field("merge_method", str) or "merge"
    try:
        sha = merge_pull(req.forge.store, repo, int(row["number"]), req.login,
                         fast_forward=method != "merge")
    except MergeConflict:
        raise ApiError(405, "Pull Request is not mergeable") from None
    return ApiResponse(200, {"sha": sha, "merged": True,
                             "message": "Pull Request successfully merged"})
