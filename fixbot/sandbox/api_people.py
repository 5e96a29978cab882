"""REST: what people and CI do around a pull request, for ``fixbot status`` and the dashboard
issue: issues (create, edit, list), pull request reviews, commit statuses and check runs."""

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
from fixbot.sandbox.store import now_iso

ISSUES_DOC = "https://docs.github.com/enterprise-server@3.19/rest/issues/issues"
REVIEW_STATES = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED",
                 "COMMENT": "COMMENTED"}
STATUS_STATES = ("error", "failure", "pending", "success")


def _repo(req: ApiRequest) -> tuple[BareRepo, int]:
    repo = req.repo(req.params["owner"], req.params["repo"])
    return repo, int(req.forge.store.repo_row(repo.full_name)["id"])


def _number(req: ApiRequest) -> int:
    try:
        return int(req.params["number"])
    except ValueError:
        raise not_found() from None


# -- issues --------------------------------------------------------------------------------------
@route("POST", "/repos/{owner}/{repo}/issues")
def create_issue(req: ApiRequest) -> ApiResponse:
    repo, repo_id = _repo(req)
    title = req.field("title", str, required=True)
    if not title.strip():
        raise validation_failed([{"resource": "Issue", "field": "title", "code": "missing_field"}],
                                ISSUES_DOC)
    row = req.forge.store.create_issue(repo_id, is_pull=0, title=title,
                                       body=req.field("body", str), user_login=req.login)
    labels = req.field("labels", list) or []
    if labels:
        req.forge.store.add_labels(repo_id, int(row["id"]), [str(x) for x in labels], False)
    return ApiResponse(201, PP.issue(req, repo, row))


@route("PATCH", "/repos/{owner}/{repo}/issues/{number}")
def update_issue(req: ApiRequest) -> ApiResponse:
    repo, repo_id = _repo(req)
    row = req.forge.store.issue(repo_id, _number(req))
    if row is None:
        raise not_found()
    fields: dict[str, Any] = {}
    if req.field("title", str) is not None:
        fields["title"] = req.field("title", str)
    if isinstance(req.body, dict) and "body" in req.body:
        fields["body"] = req.field("body", str)
    state = req.field("state", str)
    if state is not None:
        if state not in ("open", "closed"):
            raise validation_failed([{"resource": "Issue", "field": "state", "code": "invalid"}],
                                    ISSUES_DOC)
        fields["state"] = state
        fields["closed_at"] = now_iso() if state == "closed" else None
        fields["closed_by"] = req.login if state == "closed" else None
    if fields:
        req.forge.store.update_issue(int(row["id"]), **fields)
    fresh = req.forge.store.issue(repo_id, int(row["number"]))
    assert fresh is not None
    return ApiResponse(200, PP.issue(req, repo, fresh))


@route("GET", "/repos/{owner}/{repo}/issues")
def list_issues(req: ApiRequest) -> ApiResponse:
    """Issues and pull requests, newest first; filters ``state``, ``creator``, ``labels``."""
    repo, repo_id = _repo(req)
    state = req.query.get("state", "open")
    creator = req.query.get("creator")
    wanted = {x.strip().lower() for x in req.query.get("labels", "").split(",") if x.strip()}
    rows = req.forge.store.all("SELECT * FROM issues WHERE repo_id = ? ORDER BY number DESC",
                               repo_id)
    out = []
    for row in rows:
        if state != "all" and row["state"] != state:
            continue
        if creator and row["user_login"].lower() != creator.lower():
            continue
        if wanted:
            have = {lb["name"].lower() for lb in req.forge.store.issue_labels(int(row["id"]))}
            if not wanted <= have:
                continue
        out.append(row)
    return paginate(req, [PP.issue(req, repo, r) for r in out])


# -- reviews -------------------------------------------------------------------------------------
def _pull(req: ApiRequest) -> tuple[BareRepo, dict[str, Any]]:
    repo, repo_id = _repo(req)
    row = req.forge.store.issue(repo_id, _number(req))
    if row is None or not row["is_pull"]:
        raise not_found()
    return repo, row


def _review(req: ApiRequest, repo: BareRepo, pull: dict[str, Any], r: dict[str, Any]) -> Any:
    html = f"{req.base}/{repo.full_name}/pull/{int(pull['number'])}"
    api = f"{req.api}/repos/{repo.full_name}/pulls/{int(pull['number'])}"
    return {"id": int(r["id"]), "node_id": P.node_id("PullRequestReview", r["id"]),
            "user": P.user(req, r["user_login"], "User"), "body": r["body"], "state": r["state"],
            "html_url": f"{html}#pullrequestreview-{int(r['id'])}", "pull_request_url": api,
            "_links": {"html": {"href": f"{html}#pullrequestreview-{int(r['id'])}"},
                       "pull_request": {"href": api}},
            "submitted_at": r["submitted_at"], "commit_id": r["commit_id"],
            "author_association": PP._association(req, repo, r["user_login"])}


@route("GET", "/repos/{owner}/{repo}/pulls/{number}/reviews")
def list_reviews(req: ApiRequest) -> ApiResponse:
    repo, pull = _pull(req)
    rows = req.forge.store.all("SELECT * FROM reviews WHERE issue_id = ? ORDER BY id",
                               int(pull["id"]))
    return paginate(req, [_review(req, repo, pull, r) for r in rows])


@route("POST", "/repos/{owner}/{repo}/pulls/{number}/reviews")
def create_review(req: ApiRequest) -> ApiResponse:
    repo, pull = _pull(req)
    event = req.field("event", str) or "COMMENT"
    if event not in REVIEW_STATES:
        raise validation_failed([{"resource": "PullRequestReview", "field": "event",
                                  "code": "invalid"}])
    if pull["user_login"].lower() == req.login.lower() and event != "COMMENT":
        raise ApiError(422, f"Unprocessable Entity: Can not "
                            f"{event.lower().replace('_', ' ')} your own pull request")
    head, _base = PP.live_shas(repo, pull)
    with req.forge.store.tx() as db:
        cur = db.execute("INSERT INTO reviews(issue_id, user_login, state, body, commit_id, "
                         "submitted_at) VALUES (?, ?, ?, ?, ?, ?)",
                         (int(pull["id"]), req.login, REVIEW_STATES[event],
                          req.field("body", str) or "", head, now_iso()))
        rid = cur.lastrowid
    row = req.forge.store.one("SELECT * FROM reviews WHERE id = ?", rid)
    assert row is not None
    return ApiResponse(200, _review(req, repo, pull, row))


# -- commit statuses and check runs --------------------------------------------------------------
def _status(req: ApiRequest, repo: BareRepo, r: dict[str, Any], full: bool) -> Any:
    url = f"{req.api}/repos/{repo.full_name}/statuses/{r['sha']}"
    out = {"url": url, "avatar_url": None, "id": int(r["id"]),
           "node_id": P.node_id("StatusContext", r["id"]), "state": r["state"],
           "description": r["description"], "target_url": r["target_url"],
           "context": r["context"], "created_at": r["created_at"],
           "updated_at": r["created_at"]}
    if full:
        out["creator"] = P.user(req, r["creator"], "User")
    return out


@route("POST", "/repos/{owner}/{repo}/statuses/{sha}")
def create_status(req: ApiRequest) -> ApiResponse:
    repo, repo_id = _repo(req)
    sha = repo.resolve(req.params["sha"])
    if sha is None or sha != req.params["sha"]:
        raise validation_failed([{"resource": "Status", "field": "sha", "code": "invalid"}])
    state = req.field("state", str, required=True)
    if state not in STATUS_STATES:
        raise validation_failed([{"resource": "Status", "field": "state", "code": "invalid"}])
    with req.forge.store.tx() as db:
        cur = db.execute("INSERT INTO statuses(repo_id, sha, state, context, description, "
                         "target_url, creator, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         (repo_id, sha, state, req.field("context", str) or "default",
                          req.field("description", str), req.field("target_url", str),
                          req.login, now_iso()))
        sid = cur.lastrowid
    row = req.forge.store.one("SELECT * FROM statuses WHERE id = ?", sid)
    assert row is not None
    return ApiResponse(201, _status(req, repo, row, True))


def combined_state(states: list[str]) -> str:
    """GitHub's rule: failure if any context failed or errored, pending if any is pending or
    there are none, else success."""
    if any(s in ("error", "failure") for s in states):
        return "failure"
    if not states or any(s == "pending" for s in states):
        return "pending"
    return "success"


@route("GET", "/repos/{owner}/{repo}/commits/{ref}/status")
def combined_status(req: ApiRequest) -> ApiResponse:
    repo, repo_id = _repo(req)
    sha = repo.resolve(req.params["ref"])
    if sha is None:
        raise ApiError(422, f"No commit found for SHA: {req.params['ref']}")
    rows = req.forge.store.all("SELECT * FROM statuses WHERE repo_id = ? AND sha = ? "
                               "ORDER BY id DESC", repo_id, sha)
    latest: dict[str, dict[str, Any]] = {}
    for r in rows:  # the newest status of each context counts
        latest.setdefault(r["context"], r)
    statuses = [_status(req, repo, r, False) for r in latest.values()]
    api = f"{req.api}/repos/{repo.full_name}"
    return ApiResponse(200, {"state": combined_state([s["state"] for s in statuses]),
                             "statuses": statuses, "sha": sha, "total_count": len(statuses),
                             "repository": P.repository(req, repo),
                             "commit_url": f"{api}/commits/{sha}",
                             "url": f"{api}/commits/{sha}/status"})


@route("GET", "/repos/{owner}/{repo}/commits/{ref}/check-runs")
def check_runs(req: ApiRequest) -> ApiResponse:
    """The sandbox runs no GitHub Actions: no check runs, ever (statuses stand in for CI)."""
    repo, _ = _repo(req)
    if repo.resolve(req.params["ref"]) is None:
        raise ApiError(422, f"No commit found for SHA: {req.params['ref']}")
    return ApiResponse(200, {"total_count": 0, "check_runs": []})


# -- review requests -----------------------------------------------------------------------------
@route("POST", "/repos/{owner}/{repo}/pulls/{number}/requested_reviewers")
def request_reviewers(req: ApiRequest) -> ApiResponse:
    """Ask people to review; a login the sandbox does not know is refused as on GitHub (422)."""
    repo, pull = _pull(req)
    logins = req.field("reviewers", list) or []
    unknown = [x for x in logins if not isinstance(x, str)
               or req.forge.store.known_account(x) is None]
    if unknown:
        raise ApiError(422, "Reviews may only be requested from collaborators. One or more of "
                            "the users or teams you specified is not a collaborator of the "
                            f"{repo.full_name} repository.")
    with req.forge.store.tx() as db:
        for login in logins:
            db.execute("INSERT OR IGNORE INTO review_requests(issue_id, login) VALUES (?, ?)",
                       (int(pull["id"]), login))
    body = PP.pull(req, repo, pull)
    # the answer is a pull-request-simple, whose labels' description is a string
    body["labels"] = [{**lb, "description": lb.get("description") or ""}
                      for lb in body.get("labels", [])]
    return ApiResponse(201, body)


@route("GET", "/repos/{owner}/{repo}/pulls/{number}/requested_reviewers")
def list_requested_reviewers(req: ApiRequest) -> ApiResponse:
    repo, pull = _pull(req)
    rows = req.forge.store.all("SELECT login FROM review_requests WHERE issue_id = ? "
                               "ORDER BY login", int(pull["id"]))
    return ApiResponse(200, {"users": [P.user(req, r["login"], "User") for r in rows],
                             "teams": []})
