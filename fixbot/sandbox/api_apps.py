"""REST: the GitHub App flow (installations, installation access tokens)."""

from __future__ import annotations

import datetime as dt
import secrets
import string
import time
from typing import Any

from fixbot.sandbox import payloads as P
from fixbot.sandbox.api_core import (
    APP_PERMISSIONS,
    ApiError,
    ApiRequest,
    ApiResponse,
    not_found,
    paginate,
    route,
)
from fixbot.sandbox.gitstore import find_owner_dir, find_repo, list_repos

PERMISSIONS = APP_PERMISSIONS
_ALPHABET = string.ascii_letters + string.digits


def new_token(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(36))


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def granted(row: dict[str, Any]) -> dict[str, str]:
    """An installation's permissions: its own, else the App's defaults."""
    return dict(PERMISSIONS if row["permissions"] is None else row["permissions"])


def bot_login(req: ApiRequest) -> str:
    assert req.forge.app is not None
    return f"{req.forge.app.slug}[bot]"


def installation(req: ApiRequest, row: dict[str, Any]) -> dict[str, Any]:
    app = req.forge.app
    assert app is not None
    account = P.user(req, row["account"], req.forge.owner_type(row["account"]))
    # GitHub's list-installations schema combines simple-user and enterprise fields (allOf).
    account.update({"name": account["login"], "slug": account["login"],
                    "created_at": row["created_at"], "updated_at": row["created_at"]})
    url = f"{req.api}/app/installations/{row['id']}"
    return {
        "id": int(row["id"]), "account": account,
        "repository_selection": "all" if row["repos"] is None else "selected",
        "access_tokens_url": f"{url}/access_tokens",
        "repositories_url": f"{req.api}/installation/repositories",
        "html_url": f"{req.base}/organizations/{row['account']}/settings/installations/{row['id']}",
        "app_id": app.app_id, "app_slug": app.slug, "target_id": account["id"],
        "target_type": account["type"], "permissions": granted(row),
        "events": [],
        "created_at": row["created_at"], "updated_at": row["created_at"],
        "single_file_name": None, "has_multiple_single_files": False, "single_file_paths": [],
        "suspended_by": None, "suspended_at": None,
    }


def _installation_row(req: ApiRequest, installation_id: str) -> dict[str, Any]:
    try:
        row = req.forge.store.installation(int(installation_id))
    except ValueError:
        row = None
    if row is None:
        raise not_found()
    return row


@route("GET", "/app", auth="app")
def get_app(req: ApiRequest) -> ApiResponse:
    app = req.forge.app
    assert app is not None
    stamp = P.EPOCH
    return ApiResponse(200, {
        "id": app.app_id, "slug": app.slug, "node_id": P.node_id("Integration", app.app_id),
        "client_id": f"Iv1.{app.app_id:016x}", "owner": P.user(req, app.owner),
        "name": app.name, "description": None, "external_url": f"{req.base}/apps/{app.slug}",
        "html_url": f"{req.base}/apps/{app.slug}", "created_at": stamp, "updated_at": stamp,
        "permissions": PERMISSIONS, "events": [],
        "installations_count": len(req.forge.store.installations()),
    })


@route("GET", "/app/installations", auth="app")
def list_installations(req: ApiRequest) -> ApiResponse:
    rows = req.forge.store.installations()
    return paginate(req, [installation(req, r) for r in rows])


@route("GET", "/app/installations/{installation_id}", auth="app")
def get_installation(req: ApiRequest) -> ApiResponse:
    return ApiResponse(200, installation(req, _installation_row(req, req.params["installation_id"])))


@route("POST", "/app/installations/{installation_id}/access_tokens", auth="app")
def create_access_token(req: ApiRequest) -> ApiResponse:
    row = _installation_row(req, req.params["installation_id"])
    token = new_token("ghs_")
    expires = time.time() + req.forge.token_ttl
    req.forge.store.add_token(bot_login(req), token, installation_id=int(row["id"]),
                              expires_at=expires, account_type="Bot")
    body = {
        "token": token, "expires_at": _iso(expires),
        "permissions": granted(row),
        "repository_selection": "all" if row["repos"] is None else "selected",
    }
    return ApiResponse(201, body)


def _installation_for(req: ApiRequest, owner: str, repo_name: str | None) -> ApiResponse:
    for row in req.forge.store.installations():
        if row["account"].lower() != owner.lower():
            continue
        if repo_name is None or row["repos"] is None or repo_name.lower() in {
                r.lower() for r in row["repos"]}:
            return ApiResponse(200, installation(req, row))
    raise not_found()


@route("GET", "/repos/{owner}/{repo}/installation", auth="app")
def get_repo_installation(req: ApiRequest) -> ApiResponse:
    repo = find_repo(req.forge.root, req.params["owner"], req.params["repo"])
    if repo is None:
        raise not_found()
    return _installation_for(req, repo.owner, repo.name)


@route("GET", "/orgs/{org}/installation", auth="app")
def get_org_installation(req: ApiRequest) -> ApiResponse:
    return _installation_for(req, req.params["org"], None)


@route("GET", "/users/{user}/installation", auth="app")
def get_user_installation(req: ApiRequest) -> ApiResponse:
    return _installation_for(req, req.params["user"], None)


@route("GET", "/installation/repositories")
def list_installation_repos(req: ApiRequest) -> ApiResponse:
    p = req.principal
    if p is None or p.kind != "installation":
        raise ApiError(403, "This endpoint can only be accessed with an installation token")
    row = _installation_row(req, str(p.installation_id))
    owner = find_owner_dir(req.forge.root, row["account"])
    repos = [r for r in list_repos(req.forge.root, owner) if req.can_see(r)] if owner else []
    response = paginate(req, repos)
    response.body = {
        "total_count": len(repos),
        "repository_selection": "all" if row["repos"] is None else "selected",
        "repositories": [P.repository(req, r) for r in response.body],
    }
    return response
