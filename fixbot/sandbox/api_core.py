"""REST plumbing: the forge context, requests, responses, GitHub error bodies, routing, pagination."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from fixbot.sandbox.gitstore import BareRepo, find_repo
from fixbot.sandbox.store import Store

DOCS = "https://docs.github.com/enterprise-server@3.19/rest"
# What the sandbox's GitHub App is granted on an installation unless the installation says
# otherwise (``Sandbox.add_installation(..., permissions=...)``). No secrets: like an App that
# was not given "Secrets", it is answered 403 on the secrets endpoints.
APP_PERMISSIONS = {"contents": "write", "pull_requests": "write", "issues": "write",
                   "metadata": "read", "workflows": "write"}


@dataclass
class AppConfig:
    """The one GitHub App this forge knows: its id and the public half of its key."""

    app_id: int
    public_key_pem: bytes
    slug: str = "fixbot-sandbox"
    name: str = "fixbot sandbox app"
    owner: str = "sandbox"


@dataclass
class Principal:
    """Who a request acts as. ``kind`` is ``user``, ``installation`` or ``app`` (a JWT).

    ``permissions``: a fine-grained user token's grants (``{"secrets": "read"}``); None for a
    classic token, which has every right of its login (in the sandbox a user administers every
    repository and owns every organisation)."""

    login: str
    kind: str
    installation_id: int | None = None
    permissions: dict[str, str] | None = None


class RateBook:
    """Primary rate limit bookkeeping per login (limit 5,000 per hour, like GitHub.com)."""

    def __init__(self, limit: int = 5000, window: int = 3600) -> None:
        self.limit = limit
        self.window = window
        self._lock = threading.Lock()
        self._used: dict[str, tuple[int, int]] = {}  # login -> (reset epoch, used)

    def spend(self, login: str, cost: int = 1) -> tuple[int, int, int]:
        """Record ``cost`` requests; returns (remaining, reset, used)."""
        with self._lock:
            now = int(time.time())
            reset, used = self._used.get(login, (now + self.window, 0))
            if now >= reset:
                reset, used = now + self.window, 0
            used += cost
            self._used[login] = (reset, used)
            return max(self.limit - used, 0), reset, used


@dataclass
class Forge:
    """Everything the REST handlers read: repositories on disk, SQLite state, app settings."""

    root: Path
    store: Store
    app: AppConfig | None = None
    token_ttl: int = 3600
    rates: RateBook = field(default_factory=RateBook)
    graphql: Any = None  # a graphql_api.GraphQL, or None: /api/graphql answers 404

    def can_see(self, principal: Principal | None, repo: BareRepo) -> bool:
        """Users see everything; an installation sees its account's (selected) repositories."""
        if principal is None:
            return not repo.flag("private")
        if principal.kind != "installation":
            return True
        inst = self.store.installation(principal.installation_id or 0)
        if inst is None or inst["account"].lower() != repo.owner.lower():
            return False
        return inst["repos"] is None or repo.name.lower() in {r.lower() for r in inst["repos"]}

    def granted(self, principal: Principal) -> dict[str, str] | None:
        """The permissions that limit ``principal`` (an installation's, or a fine-grained
        token's); None when only the login's own rights apply (a classic token)."""
        if principal.kind == "installation":
            inst = self.store.installation(principal.installation_id or 0)
            perms = inst["permissions"] if inst is not None else None
            return dict(perms) if perms is not None else dict(APP_PERMISSIONS)
        return principal.permissions

    def owner_type(self, login: str) -> str:
        row = self.store.known_account(login)
        return str(row["type"]) if row else "Organization"


class ApiError(Exception):
    """An error reply with GitHub's body: ``{"message", "documentation_url"[, "errors"]}``."""

    def __init__(self, status: int, message: str, errors: list[dict[str, Any]] | None = None,
                 documentation_url: str = DOCS, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.documentation_url = documentation_url
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message}
        if self.errors is not None:
            out["errors"] = self.errors
        out["documentation_url"] = self.documentation_url
        return out


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


def validation_failed(errors: list[dict[str, Any]], doc: str = DOCS) -> ApiError:
    return ApiError(422, "Validation Failed", errors, doc)


@dataclass
class ApiResponse:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class ApiRequest:
    method: str
    path: str  # below /api/v3, no query string
    query: dict[str, str]
    body: Any
    base: str  # scheme://host[:port] from the Host header
    full_url: str  # the URL as requested, with query string
    principal: Principal | None
    forge: Forge
    params: dict[str, str] = field(default_factory=dict)

    @property
    def api(self) -> str:
        return f"{self.base}/api/v3"

    @property
    def login(self) -> str:
        assert self.principal is not None
        return self.principal.login

    def field(self, name: str, kind: type | tuple[type, ...] = str, required: bool = False) -> Any:
        body = self.body if isinstance(self.body, dict) else {}
        value = body.get(name)
        if value is None:
            if required:
                raise validation_failed([{"resource": self.resource(), "code": "missing_field",
                                          "field": name}])
            return None
        if not isinstance(value, kind):
            raise validation_failed([{"resource": self.resource(), "code": "invalid",
                                      "field": name}])
        return value

    def resource(self) -> str:
        if "/pulls" in self.path:
            return "PullRequest"
        if "/labels" in self.path:
            return "Label"
        if "/comments" in self.path:
            return "IssueComment"
        return "Issue"

    def repo(self, owner: str, name: str) -> BareRepo:
        """The repository, or 404 when absent or not visible to the caller."""
        repo = find_repo(self.forge.root, owner, name)
        if repo is None or not self.can_see(repo):
            raise not_found()
        return repo

    def can_see(self, repo: BareRepo) -> bool:
        return self.forge.can_see(self.principal, repo)


Handler = Callable[[ApiRequest], ApiResponse]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    auth: str  # "token" (user or installation), "user", "app" (JWT), "none"


ROUTES: list[Route] = []


def route(method: str, pattern: str, auth: str = "token") -> Callable[[Handler], Handler]:
    compiled = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")

    def register(fn: Handler) -> Handler:
        ROUTES.append(Route(method, compiled, fn, auth))
        return fn

    return register


def route_path(method: str, pattern: str, auth: str = "token") -> Callable[[Handler], Handler]:
    """Like :func:`route` but the last ``{name}`` may contain slashes (refs, file paths)."""
    compiled = re.compile(
        "^" + re.sub(r"\{(\w+)\}$", r"(?P<\1>.+)", re.sub(r"\{(\w+)\}(?!$)", r"(?P<\1>[^/]+)",
                                                          pattern)) + "$"
    )

    def register(fn: Handler) -> Handler:
        ROUTES.append(Route(method, compiled, fn, auth))
        return fn

    return register


def find_route(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for r in ROUTES:
        if r.method != method:
            continue
        m = r.pattern.match(path)
        if m:
            return r, m.groupdict()
    return None


def page_params(req: ApiRequest, default: int = 30) -> tuple[int, int]:
    def as_int(key: str, fallback: int) -> int:
        try:
            return int(req.query.get(key, fallback))
        except ValueError:
            return fallback

    per_page = min(max(as_int("per_page", default), 1), 100)
    page = max(as_int("page", 1), 1)
    return page, per_page


def page_url(req: ApiRequest, page: int) -> str:
    parts = urlsplit(req.full_url)
    query = [(k, v) for k, v in req.query.items() if k != "page"]
    query.append(("page", str(page)))
    return f"{req.base}{parts.path}?{urlencode(query)}"


def link_header(req: ApiRequest, page: int, last: int) -> str | None:
    """GitHub's ``Link`` header: ``<URL>; rel="prev", <URL>; rel="next", ... last, first``."""
    rels: list[tuple[str, int]] = []
    if page > 1:
        rels.append(("prev", min(page - 1, last)))
    if page < last:
        rels.append(("next", page + 1))
        rels.append(("last", last))
    if page > 1:
        rels.append(("first", 1))
    if not rels:
        return None
    return ", ".join(f'<{page_url(req, n)}>; rel="{rel}"' for rel, n in rels)


def paginate(req: ApiRequest, items: list[Any], wrap: Callable[[list[Any]], Any] | None = None,
             default: int = 30) -> ApiResponse:
    page, per_page = page_params(req, default)
    last = max((len(items) + per_page - 1) // per_page, 1)
    chunk = items[(page - 1) * per_page : page * per_page]
    response = ApiResponse(200, wrap(chunk) if wrap else chunk)
    link = link_header(req, page, last)
    if link:
        response.headers["Link"] = link
    return response
