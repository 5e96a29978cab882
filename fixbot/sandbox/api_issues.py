"""REST: issues as pull requests see them (get, labels, comments)."""

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

LABELS_DOC = "https://docs.github.com/enterprise-server@3.19/rest/issues/labels"


def _issue(req: ApiRequest) -> tuple[BareRepo, dict[str, Any]]:
    repo = req.repo(req.params["owner"], req.params["repo"])
    repo_id = int(req.forge.store.repo_row(repo.full_name)["id"])
    try:
        number = int(req.params["number"])
    except ValueError:
        raise not_found() from None
    row = req.forge.store.issue(repo_id, number)
    if row is None:
        raise not_found()
    return repo, row


@route("GET", "/repos/{owner}/{repo}/issues/{number}")
def get_issue(req: ApiRequest) -> ApiResponse:
    repo, row = _issue(req)
    return ApiResponse(200, PP.issue(req, repo, row))


def _label_names(req: ApiRequest) -> list[str]:
    """GitHub accepts a bare array, ``{"labels": [...]}``, and items as strings or ``{"name"}``."""
    body = req.body
    if isinstance(body, dict):
        body = body.get("labels", [])
    if not isinstance(body, list):
        raise validation_failed([{"resource": "Label", "field": "labels", "code": "invalid"}],
                                LABELS_DOC)
    names: list[str] = []
    for item in body:
        name = item.get("name") if isinstance(item, dict) else item
        if not isinstance(name, str) or not name.strip():
            raise validation_failed([{"resource": "Label", "field": "name", "code": "invalid"}],
                                    LABELS_DOC)
        names.append(name.strip())
    return names


def _labels_reply(req: ApiRequest, repo: BareRepo, row: dict[str, Any]) -> ApiResponse:
    return ApiResponse(200, PP.labels_of(req, repo, row))


@route("GET", "/repos/{owner}/{repo}/issues/{number}/labels")
def list_labels(req: ApiRequest) -> ApiResponse:
    repo, row = _issue(req)
    return paginate(req, PP.labels_of(req, repo, row))


@route("POST", "/repos/{owner}/{repo}/issues/{number}/labels")
def add_labels(req: ApiRequest) -> ApiResponse:
    repo, row = _issue(req)
    req.forge.store.add_labels(int(row["repo_id"]), int(row["id"]), _label_names(req), False)
    req.forge.store.update_issue(int(row["id"]))
    return _labels_reply(req, repo, row)


@route("PUT", "/repos/{owner}/{repo}/issues/{number}/labels")
def set_labels(req: ApiRequest) -> ApiResponse:
    repo, row = _issue(req)
    req.forge.store.add_labels(int(row["repo_id"]), int(row["id"]), _label_names(req), True)
    req.forge.store.update_issue(int(row["id"]))
    return _labels_reply(req, repo, row)


@route("DELETE", "/repos/{owner}/{repo}/issues/{number}/labels")
def clear_labels(req: ApiRequest) -> ApiResponse:
    _, row = _issue(req)
    req.forge.store.add_labels(int(row["repo_id"]), int(row["id"]), [], True)
    return ApiResponse(204, None)


@route("DELETE", "/repos/{owner}/{repo}/issues/{number}/labels/{name}")
def remove_label(req: ApiRequest) -> ApiResponse:
    repo, row = _issue(req)
    from urllib.parse import unquote

    if not req.forge.store.remove_label(int(row["id"]), unquote(req.params["name"])):
        raise ApiError(404, "Label does not exist",
                       documentation_url=f"{LABELS_DOC}#remove-a-label-from-an-issue")
    return _labels_reply(req, repo, row)


@route("GET", "/repos/{owner}/{repo}/issues/{number}/comments")
def list_comments(req: ApiRequest) -> ApiResponse:
    repo, row = _issue(req)
    n = int(row["number"])
    rows = req.forge.store.comments(int(row["id"]))
    response = paginate(req, rows)
    response.body = [P.comment(req, repo, n, c) for c in response.body]
    return response


@route("POST", "/repos/{owner}/{repo}/issues/{number}/comments")
def create_comment(req: ApiRequest) -> ApiResponse:
    repo, row = _issue(req)
    text = req.field("body", str, required=True)
    created = req.forge.store.add_comment(int(row["id"]), text, req.login)
    req.forge.store.update_issue(int(row["id"]))
    out = P.comment(req, repo, int(row["number"]), created)
    return ApiResponse(201, out, {"Location": out["url"]})


@route("GET", "/repos/{owner}/{repo}/issues/comments/{comment_id}")
def get_comment(req: ApiRequest) -> ApiResponse:
    repo = req.repo(req.params["owner"], req.params["repo"])
    try:
        row = req.forge.store.comment(int(req.params["comment_id"]))
    except ValueError:
        row = None
    if row is None:
        raise not_found()
    issue = req.forge.store.one("SELECT * FROM issues WHERE id = ?", row["issue_id"])
    repo_id = int(req.forge.store.repo_row(repo.full_name)["id"])
    if issue is None or int(issue["repo_id"]) != repo_id:
        raise not_found()
    return ApiResponse(200, P.comment(req, repo, int(issue["number"]), row))


# -- repository labels ------------------------------------------------------------------------
@route("GET", "/repos/{owner}/{repo}/labels")
def list_repo_labels(req: ApiRequest) -> ApiResponse:
    repo = req.repo(req.params["owner"], req.params["repo"])
    repo_id = int(req.forge.store.repo_row(repo.full_name)["id"])
    rows = req.forge.store.all("SELECT * FROM labels WHERE repo_id = ? ORDER BY name", repo_id)
    return paginate(req, [P.label(req, repo, r) for r in rows])


@route("GET", "/repos/{owner}/{repo}/labels/{name}")
def get_repo_label(req: ApiRequest) -> ApiResponse:
    from urllib.parse import unquote

    repo = req.repo(req.params["owner"], req.params["repo"])
    repo_id = int(req.forge.store.repo_row(repo.full_name)["id"])
    row = req.forge.store.one("SELECT * FROM labels WHERE repo_id = ? AND name = ?", repo_id,
                              unquote(req.params["name"]))
    if row is None:
        raise not_found()
    return ApiResponse(200, P.label(req, repo, row))


@route("POST", "/repos/{owner}/{repo}/labels")
def create_repo_label(req: ApiRequest) -> ApiResponse:
    repo = req.repo(req.params["owner"], req.params["repo"])
    repo_id = int(req.forge.store.repo_row(repo.full_name)["id"])
    name = req.field("name", str, required=True)
    color = (req.field("color", str) or "ededed").lstrip("#").lower()
    if len(color) != 6 or any(c not in "0123456789abcdef" for c in color):
        raise validation_failed([{"resource": "Label", "code": "invalid", "field": "color"}],
                                LABELS_DOC)
    store = req.forge.store
    if store.one("SELECT id FROM labels WHERE repo_id = ? AND name = ?", repo_id, name):
        raise validation_failed([{"resource": "Label", "code": "already_exists",
                                  "field": "name"}], LABELS_DOC)
    row = store.ensure_label(repo_id, name, color)
    description = req.field("description", str)
    if description is not None:
        with store.tx() as db:
            db.execute("UPDATE labels SET description = ? WHERE id = ?", (description, row["id"]))
        row["description"] = description
    return ApiResponse(201, P.label(req, repo, row))
