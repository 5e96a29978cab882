"""REST: repositories, organizations, users, branches, rate limit."""

from __future__ import annotations

import time
from typing import Any

from fixbot.sandbox import payloads as P
from fixbot.sandbox.api_core import (
    ApiError,
    ApiRequest,
    ApiResponse,
    not_found,
    page_params,
    paginate,
    route,
    route_path,
)
from fixbot.sandbox.gitstore import BareRepo, find_owner_dir, list_repos


@route("GET", "/repos/{owner}/{repo}")
def get_repo(req: ApiRequest) -> ApiResponse:
    repo = req.repo(req.params["owner"], req.params["repo"])
    return ApiResponse(200, P.repository(req, repo))


def _visible_repos(req: ApiRequest, owner: str) -> list[BareRepo]:
    real = find_owner_dir(req.forge.root, owner)
    if real is None:
        return []
    return [r for r in list_repos(req.forge.root, real) if req.can_see(r)]


def _filter_type(req: ApiRequest, repos: list[BareRepo]) -> list[BareRepo]:
    kind = req.query.get("type", "all")
    if kind in ("public", "private"):
        return [r for r in repos if r.flag("private") == (kind == "private")]
    if kind == "forks":
        return [r for r in repos if r.flag("fork")]
    if kind == "sources":
        return [r for r in repos if not r.flag("fork")]
    return repos


def _sorted(req: ApiRequest, repos: list[BareRepo]) -> list[BareRepo]:
    """Sorted by full name (``sort=full_name``); other sort keys use creation order = name."""
    out = sorted(repos, key=lambda r: r.full_name.lower())
    if req.query.get("direction") == "desc":
        out.reverse()
    return out


def _repo_listing(req: ApiRequest, owner: str) -> ApiResponse:
    repos = _sorted(req, _filter_type(req, _visible_repos(req, owner)))
    page, per_page = page_params(req)
    # Build bodies only for the page served: listing 1,000 repositories stays cheap.
    window = repos[(page - 1) * per_page : page * per_page]
    bodies = {r.full_name: P.repository(req, r) for r in window}
    response = paginate(req, repos)
    response.body = [bodies[r.full_name] for r in response.body]
    return response


@route("GET", "/orgs/{org}")
def get_org(req: ApiRequest) -> ApiResponse:
    owner = find_owner_dir(req.forge.root, req.params["org"])
    if owner is None or req.forge.owner_type(owner) != "Organization":
        raise not_found()
    return ApiResponse(200, P.organization(req, owner))


@route("GET", "/orgs/{org}/repos")
def list_org_repos(req: ApiRequest) -> ApiResponse:
    owner = find_owner_dir(req.forge.root, req.params["org"])
    if owner is None or req.forge.owner_type(owner) != "Organization":
        raise not_found()
    return _repo_listing(req, owner)


@route("GET", "/users/{user}/repos")
def list_user_repos(req: ApiRequest) -> ApiResponse:
    login = req.params["user"]
    owner = find_owner_dir(req.forge.root, login)
    if owner is None:
        if req.forge.store.known_account(login) is None:
            raise not_found()
        return paginate(req, [])
    return _repo_listing(req, owner)


@route("GET", "/users/{user}")
def get_user(req: ApiRequest) -> ApiResponse:
    login = req.params["user"]
    row = req.forge.store.known_account(login)
    owner = find_owner_dir(req.forge.root, login)
    if row is None and owner is None:
        raise not_found()
    return ApiResponse(200, P.full_user(req, row["login"] if row else str(owner), private=False))


@route("GET", "/user", auth="user")
def get_authenticated_user(req: ApiRequest) -> ApiResponse:
    return ApiResponse(200, P.full_user(req, req.login, private=True))


def _rate(limit: int, remaining: int, reset: int, used: int) -> dict[str, int]:
    return {"limit": limit, "remaining": remaining, "reset": reset, "used": used}


@route("GET", "/rate_limit")
def rate_limit(req: ApiRequest) -> ApiResponse:
    remaining, reset, used = req.forge.rates.spend(req.login, cost=0)
    limit = req.forge.rates.limit
    core = _rate(limit, remaining, reset, used)
    hour = int(time.time()) + 3600
    minute = int(time.time()) + 60
    resources: dict[str, Any] = {
        "core": core,
        "search": _rate(30, 30, minute, 0),
        "graphql": _rate(5000, 5000, hour, 0),
        "integration_manifest": _rate(5000, 5000, hour, 0),
        "source_import": _rate(100, 100, minute, 0),
        "code_scanning_upload": _rate(1000, 1000, hour, 0),
        "actions_runner_registration": _rate(10000, 10000, hour, 0),
        "scim": _rate(15000, 15000, hour, 0),
        "code_search": _rate(10, 10, minute, 0),
    }
    return ApiResponse(200, {"resources": resources, "rate": core})


@route_path("GET", "/repos/{owner}/{repo}/branches/{branch}")
def get_branch(req: ApiRequest) -> ApiResponse:
    repo = req.repo(req.params["owner"], req.params["repo"])
    branch = req.params["branch"]
    sha = repo.branch_sha(branch)
    if sha is None:
        raise ApiError(404, "Branch not found",
                       documentation_url="https://docs.github.com/rest/branches/branches#get-a-branch")
    info = repo.commit(sha)
    assert info is not None
    url = f"{req.api}/repos/{repo.full_name}/branches/{branch}"
    body = {
        "name": branch,
        "commit": P.commit(req, repo, info),
        "_links": {"self": url, "html": f"{req.base}/{repo.full_name}/tree/{branch}"},
        "protected": False,
        "protection": {"enabled": False, "required_status_checks": {
            "enforcement_level": "off", "contexts": [], "checks": []}},
        "protection_url": f"{url}/protection",
    }
    return ApiResponse(200, body)


@route("GET", "/repos/{owner}/{repo}/branches")
def list_branches(req: ApiRequest) -> ApiResponse:
    repo = req.repo(req.params["owner"], req.params["repo"])
    api = f"{req.api}/repos/{repo.full_name}"
    items = [{"name": ref[len("refs/heads/"):],
              "commit": {"sha": sha, "url": f"{api}/commits/{sha}"}, "protected": False}
             for ref, sha in repo.refs("refs/heads/")]
    return paginate(req, items)


@route("GET", "/repos/{owner}/{repo}/commits/{sha}")
def get_repo_commit(req: ApiRequest) -> ApiResponse:
    repo = req.repo(req.params["owner"], req.params["repo"])
    sha = repo.resolve(req.params["sha"], "commit")
    info = repo.commit(sha) if sha else None
    if info is None:
        raise ApiError(422, f"No commit found for SHA: {req.params['sha']}",
                       documentation_url="https://docs.github.com/rest/commits/commits#get-a-commit")
    return ApiResponse(200, P.commit(req, repo, info))
