"""REST: Actions secrets (repository, environment, organisation), their public keys, environments.

Values are write-only, as on GitHub: lists and gets show names and dates, never values. Who may
do what, like GitHub:

* a classic user token: everything (in the sandbox a user administers every repository and owns
  every organisation);
* a fine-grained user token or an App installation: only what it was granted — ``secrets``
  (read / write) for repository secrets and the organisation secrets a repository can use,
  ``environments`` for environment secrets, ``organization_secrets`` for an organisation's list;
  otherwise 403 "Resource not accessible by ..." with ``X-Accepted-GitHub-Permissions``, so a
  client can tell "cannot list secrets" from "there are none". The sandbox App's default grants
  (:data:`~fixbot.sandbox.api_core.APP_PERMISSIONS`) hold no secrets permission.

A ``PUT`` must seal its value for the scope's current key: another ``key_id`` or a box that does
not open is answered 422 and nothing is stored. Nothing here logs or echoes a value.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote

from fixbot.sandbox import payloads as P
from fixbot.sandbox import secret_box as S
from fixbot.sandbox.api_core import (
    ApiError,
    ApiRequest,
    ApiResponse,
    not_found,
    paginate,
    route,
    validation_failed,
)
from fixbot.sandbox.gitstore import BareRepo, find_owner_dir

SECRETS_DOC = "https://docs.github.com/enterprise-server@3.19/rest/actions/secrets"
ENVIRONMENTS_DOC = "https://docs.github.com/enterprise-server@3.19/rest/deployments/environments"
_LEVELS = {"read": 1, "write": 2, "admin": 3}


def require(req: ApiRequest, permission: str, level: str) -> None:
    """403 unless the caller's grants include ``permission`` at ``level`` or above."""
    principal = req.principal
    assert principal is not None  # routes use auth="token"
    granted = req.forge.granted(principal)
    if granted is None:
        return
    if _LEVELS.get(granted.get(permission, ""), 0) >= _LEVELS[level]:
        return
    who = "integration" if principal.kind == "installation" else "personal access token"
    raise ApiError(403, f"Resource not accessible by {who}", documentation_url=SECRETS_DOC,
                   headers={"X-Accepted-GitHub-Permissions": f"{permission}={level}"})


def _repo(req: ApiRequest) -> BareRepo:
    return req.repo(req.params["owner"], req.params["repo"])


def _private(repo: BareRepo) -> bool:
    visibility = repo.flags().get("visibility", "")
    return visibility in ("private", "internal") or repo.flag("private")


def _secret(row: dict[str, Any]) -> dict[str, Any]:
    return {"name": row["name"], "created_at": row["created_at"], "updated_at": row["updated_at"]}


def _listing(req: ApiRequest, bodies: list[dict[str, Any]]) -> ApiResponse:
    return paginate(req, bodies, lambda chunk: {"total_count": len(bodies), "secrets": chunk})


def _public_key(req: ApiRequest, scope: S.Scope) -> ApiResponse:
    key_id, key = S.public_key(req.forge.store, scope)
    return ApiResponse(200, {"key_id": key_id, "key": key})


def _get(req: ApiRequest, scope: S.Scope) -> ApiResponse:
    row = S.secret(req.forge.store, scope, unquote(req.params["name"]))
    if row is None:
        raise not_found()
    return ApiResponse(200, _secret(row))


def _put(req: ApiRequest, scope: S.Scope) -> ApiResponse:
    name = unquote(req.params["name"])
    body = req.body if isinstance(req.body, dict) else {}
    for field in ("encrypted_value", "key_id"):
        if not isinstance(body.get(field), str) or not body[field]:
            code = "missing_field" if body.get(field) is None else "invalid"
            raise validation_failed([{"resource": "Secret", "code": code, "field": field}],
                                    SECRETS_DOC)
    if not S.valid_name(name):
        raise validation_failed([{"resource": "Secret", "code": "invalid", "field": "name",
                                  "message": "Secret names can only contain alphanumeric "
                                             "characters ([a-z], [A-Z], [0-9]) or underscores "
                                             "(_), and must not start with a number or GITHUB_"}],
                                SECRETS_DOC)
    store = req.forge.store
    S.public_key(store, scope)  # a client that never asked for the key still gets a 422
    try:
        S.open_sealed(store, scope, body["key_id"], body["encrypted_value"])
    except S.SealError as e:
        raise validation_failed([{"resource": "Secret", "code": "invalid", "field": e.field,
                                  "message": str(e)}], SECRETS_DOC) from None
    created = S.put_secret(store, scope, name, body["encrypted_value"], body["key_id"])
    return ApiResponse(201, {}) if created else ApiResponse(204, None)


def _delete(req: ApiRequest, scope: S.Scope) -> ApiResponse:
    if not S.delete_secret(req.forge.store, scope, unquote(req.params["name"])):
        raise not_found()
    return ApiResponse(204, None)


# -- repository secrets (public-key first: it would match {name}) -------------------------------
def _repo_scope(req: ApiRequest, level: str) -> S.Scope:
    repo = _repo(req)
    require(req, "secrets", level)
    return S.repo_scope(repo.full_name)


@route("GET", "/repos/{owner}/{repo}/actions/secrets")
def list_repo_secrets(req: ApiRequest) -> ApiResponse:
    scope = _repo_scope(req, "read")
    return _listing(req, [_secret(r) for r in S.secret_rows(req.forge.store, scope)])


@route("GET", "/repos/{owner}/{repo}/actions/secrets/public-key")
def get_repo_public_key(req: ApiRequest) -> ApiResponse:
    return _public_key(req, _repo_scope(req, "read"))


@route("GET", "/repos/{owner}/{repo}/actions/secrets/{name}")
def get_repo_secret(req: ApiRequest) -> ApiResponse:
    return _get(req, _repo_scope(req, "read"))


@route("PUT", "/repos/{owner}/{repo}/actions/secrets/{name}")
def put_repo_secret(req: ApiRequest) -> ApiResponse:
    return _put(req, _repo_scope(req, "write"))


@route("DELETE", "/repos/{owner}/{repo}/actions/secrets/{name}")
def delete_repo_secret(req: ApiRequest) -> ApiResponse:
    return _delete(req, _repo_scope(req, "write"))


@route("GET", "/repos/{owner}/{repo}/actions/organization-secrets")
def list_repo_org_secrets(req: ApiRequest) -> ApiResponse:
    """The organisation's secrets this repository can use (none for a user's repository)."""
    repo = _repo(req)
    require(req, "secrets", "read")
    rows: list[dict[str, Any]] = []
    if req.forge.owner_type(repo.owner) == "Organization":
        rows = [r for r in S.secret_rows(req.forge.store, S.org_scope(repo.owner))
                if S.org_secret_visible(r, repo.full_name, _private(repo))]
    return _listing(req, [_secret(r) for r in rows])


# -- environments and their secrets -------------------------------------------------------------
def _environment_body(req: ApiRequest, repo: BareRepo, row: dict[str, Any]) -> dict[str, Any]:
    name = str(row["name"])
    return {
        "id": int(row["id"]), "node_id": P.node_id("Environment", int(row["id"])), "name": name,
        "url": f"{req.api}/repos/{repo.full_name}/environments/{quote(name, safe='')}",
        "html_url": f"{req.base}/{repo.full_name}/deployments/activity_log?"
                    f"environments_filter={quote(name, safe='')}",
        "created_at": row["created_at"], "updated_at": row["updated_at"],
        "protection_rules": [], "deployment_branch_policy": None,
    }


@route("GET", "/repos/{owner}/{repo}/environments")
def list_environments(req: ApiRequest) -> ApiResponse:
    repo = _repo(req)  # anyone who can read the repository may list them
    rows = [_environment_body(req, repo, r) for r in S.environments(req.forge.store,
                                                                     repo.full_name)]
    return paginate(req, rows,
                    lambda chunk: {"total_count": len(rows), "environments": chunk})


def _environment(req: ApiRequest) -> tuple[BareRepo, dict[str, Any]]:
    repo = _repo(req)
    row = S.environment(req.forge.store, repo.full_name, unquote(req.params["env"]))
    if row is None:
        raise not_found()
    return repo, row


@route("GET", "/repos/{owner}/{repo}/environments/{env}")
def get_environment(req: ApiRequest) -> ApiResponse:
    repo, row = _environment(req)
    return ApiResponse(200, _environment_body(req, repo, row))


def _env_scope(req: ApiRequest, level: str) -> S.Scope:
    repo, row = _environment(req)
    require(req, "environments", level)
    return S.env_scope(repo.full_name, str(row["name"]))


@route("GET", "/repos/{owner}/{repo}/environments/{env}/secrets")
def list_environment_secrets(req: ApiRequest) -> ApiResponse:
    scope = _env_scope(req, "read")
    return _listing(req, [_secret(r) for r in S.secret_rows(req.forge.store, scope)])


@route("GET", "/repos/{owner}/{repo}/environments/{env}/secrets/public-key")
def get_environment_public_key(req: ApiRequest) -> ApiResponse:
    return _public_key(req, _env_scope(req, "read"))


@route("GET", "/repos/{owner}/{repo}/environments/{env}/secrets/{name}")
def get_environment_secret(req: ApiRequest) -> ApiResponse:
    return _get(req, _env_scope(req, "read"))


@route("PUT", "/repos/{owner}/{repo}/environments/{env}/secrets/{name}")
def put_environment_secret(req: ApiRequest) -> ApiResponse:
    return _put(req, _env_scope(req, "write"))


@route("DELETE", "/repos/{owner}/{repo}/environments/{env}/secrets/{name}")
def delete_environment_secret(req: ApiRequest) -> ApiResponse:
    return _delete(req, _env_scope(req, "write"))


# -- organisation secrets -----------------------------------------------------------------------
def _org_scope(req: ApiRequest, level: str) -> S.Scope:
    org = find_owner_dir(req.forge.root, req.params["org"])
    if org is None or req.forge.owner_type(org) != "Organization":
        raise not_found()
    principal = req.principal
    if principal is not None and principal.kind == "installation":
        inst = req.forge.store.installation(principal.installation_id or 0)
        if inst is None or str(inst["account"]).lower() != org.lower():
            raise not_found()
    require(req, "organization_secrets", level)
    return S.org_scope(org)


def _org_secret(req: ApiRequest, org: str, row: dict[str, Any]) -> dict[str, Any]:
    out = {**_secret(row), "visibility": row["visibility"] or "all"}
    if out["visibility"] == "selected":
        out["selected_repositories_url"] = (f"{req.api}/orgs/{org}/actions/secrets/"
                                            f"{row['name']}/repositories")
    return out


@route("GET", "/orgs/{org}/actions/secrets")
def list_org_secrets(req: ApiRequest) -> ApiResponse:
    scope = _org_scope(req, "read")
    return _listing(req, [_org_secret(req, scope.owner, r)
                          for r in S.secret_rows(req.forge.store, scope)])


@route("GET", "/orgs/{org}/actions/secrets/public-key")
def get_org_public_key(req: ApiRequest) -> ApiResponse:
    return _public_key(req, _org_scope(req, "read"))


@route("GET", "/orgs/{org}/actions/secrets/{name}")
def get_org_secret(req: ApiRequest) -> ApiResponse:
    scope = _org_scope(req, "read")
    row = S.secret(req.forge.store, scope, unquote(req.params["name"]))
    if row is None:
        raise not_found()
    return ApiResponse(200, _org_secret(req, scope.owner, row))
