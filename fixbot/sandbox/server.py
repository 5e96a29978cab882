"""The HTTP server: git smart HTTP at ``/<owner>/<name>(.git)/...``, REST under ``/api/v3``, and
a read-only HTML view of the pull requests for people (:mod:`fixbot.sandbox.html_view`)."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl, urlsplit

# Importing the route modules registers their handlers.
from fixbot.sandbox import (  # noqa: F401
    api_apps,
    api_git,
    api_issues,
    api_people,
    api_pulls,
    api_repos,
    api_secrets,
    auth,
    html_view,
)
from fixbot.sandbox.api_core import (
    ApiError,
    ApiRequest,
    ApiResponse,
    AppConfig,
    Forge,
    Principal,
    RateBook,
    find_route,
)
from fixbot.sandbox.faults import AccessLog, Fault, FaultBook, LogEntry
from fixbot.sandbox.gitstore import find_repo
from fixbot.sandbox.http_git import CHUNK, GIT_PATH_RE, run_http_backend
from fixbot.sandbox.store import Store

API_PREFIX = "/api/v3"
GRAPHQL_PATH = "/api/graphql"  # GitHub Enterprise Server's (github.com: /graphql)


class SandboxServer(ThreadingHTTPServer):
    """A GitHub-like forge on loopback. Attributes tests use: ``forge``, ``faults``, ``log``."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 0,
                 app: AppConfig | None = None, access_log: IO[str] | None = None,
                 token_ttl: int = 3600, quiet: bool = True,
                 graphql_schema: Path | None = None, rate_limit: int | None = None,
                 rate_window: int = 3600, fail_rate: float = 0.0, seed: int = 0,
                 slow_ms: int = 0) -> None:
        super().__init__((host, port), _Handler)  # bind first: a busy port leaves nothing behind
        root.mkdir(parents=True, exist_ok=True)
        self.forge = Forge(root=root, store=Store(root / "forge.sqlite3"), app=app,
                           token_ttl=token_ttl)
        if graphql_schema is not None:
            from fixbot.sandbox.graphql_api import GraphQL

            self.forge.graphql = GraphQL.load(graphql_schema)
        if rate_limit is not None:
            self.forge.rates = RateBook(rate_limit, rate_window)
        self.faults = FaultBook(fail_rate, seed, slow_ms)
        self.log = AccessLog(file=access_log)
        self.quiet = quiet

    def server_close(self) -> None:
        super().server_close()
        if hasattr(self, "forge"):  # absent when binding failed
            self.forge.store.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (a git killed by Ctrl-C, a closed browser tab) is not worth
        a traceback; anything else is a sandbox bug and is printed."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _read_body(handler: BaseHTTPRequestHandler) -> tuple[IO[bytes], int, int]:
    """(body file at offset 0, body length, raw bytes read); de-chunks ``Transfer-Encoding``."""
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    raw = 0
    if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
        while True:
            line = handler.rfile.readline()
            raw += len(line)
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while True:  # trailers up to the empty line
                    trailer = handler.rfile.readline()
                    raw += len(trailer)
                    if trailer in (b"\r\n", b"\n", b""):
                        break
                break
            remaining = size
            while remaining:
                data = handler.rfile.read(min(remaining, CHUNK))
                if not data:
                    raise ConnectionError("client closed mid-chunk")
                spool.write(data)
                remaining -= len(data)
            raw += size + len(handler.rfile.readline())
    else:
        remaining = int(handler.headers.get("Content-Length") or 0)
        while remaining:
            data = handler.rfile.read(min(remaining, CHUNK))
            if not data:
                break
            spool.write(data)
            remaining -= len(data)
            raw += len(data)
    length = spool.tell()
    spool.seek(0)
    return spool, length, raw


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms stalls
    server: SandboxServer
    server_version = "GitHub.com"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_GET

    # -- plumbing ------------------------------------------------------------------------------
    def _handle(self) -> None:
        body, length, raw_in = _read_body(self)
        split = urlsplit(self.path)
        path, query = split.path, split.query
        self._login: str | None = None
        self._log_path, self._raw_in = path, raw_in
        self._late_fault: Fault | None = None
        try:
            if self.server.faults.slow_ms:
                time.sleep(self.server.faults.slow_ms / 1000)
            fault = self.server.faults.take(self.command, path)
            if fault is not None and fault.kind == "500-after":
                self._late_fault = fault  # carried out below; only the reply is a 500
                fault = None
            if fault is not None:
                self._send(*fault.reply())
            elif path == GRAPHQL_PATH:
                self._graphql(body, length)
            elif GIT_PATH_RE.match(path) and not path.startswith("/api/"):
                self._git(path, query, body, length)
            elif path == API_PREFIX or path.startswith(API_PREFIX + "/"):
                self._api(path[len(API_PREFIX):] or "/", query, body, length)
            elif self.command in ("GET", "HEAD") and html_view.handles(path):
                self._html(path)
            else:
                self._json(404, {"message": "Not Found", "documentation_url":
                                 "https://docs.github.com/enterprise-server@3.19/rest"})
        except ConnectionError:  # the client left mid-request (e.g. Ctrl-C): nobody to tell
            self.close_connection = True
        except Exception:  # a bug in the sandbox: say so loudly, keep serving
            traceback.print_exc(file=sys.stderr)
            self._json(500, {"message": "Server Error (sandbox bug)",
                             "documentation_url": "https://docs.github.com"})
        finally:
            body.close()

    def _send(self, status: int, headers: dict[str, str] | list[tuple[str, str]],
              data: bytes | IO[bytes] = b"", length: int | None = None) -> int:
        if self._late_fault is not None:  # the work is done; the client sees a 500
            status, headers, data = self._late_fault.reply()
            self._late_fault = None
        if isinstance(data, bytes):
            length = len(data)
        assert length is not None
        # Logged before the reply leaves, so a client that got its answer also finds the entry.
        self.server.log.record(LogEntry(self.command, self._log_path, status, self._raw_in,
                                        0 if self.command == "HEAD" else length, self._login))
        self.send_response(status)
        items = headers.items() if isinstance(headers, dict) else headers
        for name, value in items:
            if name.lower() not in ("content-length", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        if self.command == "HEAD":
            return 0
        if isinstance(data, bytes):
            self.wfile.write(data)
        else:
            shutil.copyfileobj(data, self.wfile, CHUNK)
        return length

    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> int:
        all_headers = {"Content-Type": "application/json; charset=utf-8",
                       "X-GitHub-Media-Type": "github.v3; format=json",
                       "X-GitHub-Request-Id": uuid.uuid4().hex[:20].upper(),
                       **(headers or {})}
        data = b"" if body is None else json.dumps(body).encode()
        return self._send(status, all_headers, data)

    def _base(self) -> str:
        address = self.server.server_address
        host = self.headers.get("Host") or f"{address[0]!s}:{address[1]}"
        return f"http://{host}"

    # -- git -----------------------------------------------------------------------------------
    def _git(self, path: str, query: str, body: IO[bytes], length: int) -> None:
        m = GIT_PATH_RE.match(path)
        assert m is not None
        challenge = {"WWW-Authenticate": 'Basic realm="GitHub"',
                     "Content-Type": "text/plain; charset=utf-8"}
        forge = self.server.forge
        try:
            principal = auth.resolve(self.headers.get("Authorization"), forge.store, forge.app)
        except ApiError:
            principal = None
        if principal is None or principal.kind == "app":
            self._send(401, challenge, b"Invalid username or token.\n")
            return
        self._login = principal.login
        repo = find_repo(forge.root, m["owner"], m["name"])
        if repo is None or not forge.can_see(principal, repo):
            self._send(404, {"Content-Type": "text/plain"}, b"Repository not found.\n")
            return
        reply = run_http_backend(
            forge.root, body, length, method=self.command,
            path_info=f"/{repo.owner}/{repo.name}.git{m['rest']}", query=query,
            content_type=self.headers.get("Content-Type", ""), remote_user=principal.login,
            content_encoding=self.headers.get("Content-Encoding", ""),
            git_protocol=self.headers.get("Git-Protocol", ""),
        )
        try:
            if reply.stderr and not self.server.quiet:
                sys.stderr.write(reply.stderr)
            self._send(reply.status, reply.headers, reply.body, reply.length)
        finally:
            reply.body.close()

    # -- HTML for people -----------------------------------------------------------------------
    def _html(self, path: str) -> None:
        """A page of the read-only view; credentials as for git (a browser asks for them)."""
        forge = self.server.forge
        try:
            principal = auth.resolve(self.headers.get("Authorization"), forge.store, forge.app)
        except ApiError:
            principal = None
        if principal is None or principal.kind == "app":
            self._send(401, {"WWW-Authenticate": 'Basic realm="GitHub"',
                             "Content-Type": "text/plain; charset=utf-8"},
                       b"Sign in: any user name, and a token of this sandbox as the password.\n")
            return
        self._login = principal.login
        self._send(*html_view.page(forge, principal, path, self._base()))

    # -- REST ----------------------------------------------------------------------------------
    def _api(self, path: str, query: str, body: IO[bytes], length: int) -> None:
        forge = self.server.forge
        headers: dict[str, str] = {}
        try:
            principal = auth.resolve(self.headers.get("Authorization"), forge.store, forge.app)
            self._login = principal.login if principal else None
            payload: Any = None
            if length:
                try:
                    payload = json.loads(body.read().decode("utf-8"))
                except (UnicodeDecodeError, ValueError):
                    raise ApiError(400, "Problems parsing JSON") from None
            found = find_route(self.command, path.rstrip("/") or "/")
            if found is None:
                raise ApiError(404, "Not Found")
            route, params = found
            self._check_auth(route.auth, principal)
            if principal is not None and principal.kind != "app":
                headers = self._rate_headers(principal, cost=0 if path == "/rate_limit" else 1)
            req = ApiRequest(self.command, path, dict(parse_qsl(query)), payload, self._base(),
                             f"{self._base()}{API_PREFIX}{path}?{query}", principal, forge,
                             params)
            response: ApiResponse = route.handler(req)
            self._json(response.status, response.body, {**headers, **response.headers})
        except ApiError as e:
            self._json(e.status, e.body(), {**headers, **e.headers})

    def _graphql(self, body: IO[bytes], length: int) -> None:
        """``POST /api/graphql`` (:mod:`fixbot.sandbox.graphql_api`); 404 without a schema."""
        forge = self.server.forge
        headers: dict[str, str] = {}
        try:
            if forge.graphql is None or self.command != "POST":
                raise ApiError(404, "Not Found")
            principal = auth.resolve(self.headers.get("Authorization"), forge.store, forge.app)
            self._login = principal.login if principal else None
            if principal is None or principal.kind == "app":
                raise ApiError(401, "This endpoint requires you to be authenticated.",
                               documentation_url="https://docs.github.com/graphql/guides/"
                                                 "forming-calls-with-graphql#authenticating-"
                                                 "with-graphql")
            headers = {**self._rate_headers(principal, cost=1), "X-RateLimit-Resource": "graphql"}
            try:
                payload = json.loads(body.read(length).decode("utf-8")) if length else None
            except (UnicodeDecodeError, ValueError):
                raise ApiError(400, "Problems parsing JSON") from None
            if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
                self._json(200, {"errors": [{"message": "A query attribute must be specified "
                                             "and must be a string."}]}, headers)
                return
            variables = payload.get("variables")
            out = forge.graphql.execute(forge, principal, self._base(), payload["query"],
                                        variables if isinstance(variables, dict) else None)
            self._json(200, out, headers)
        except ApiError as e:
            self._json(e.status, e.body(), {**headers, **e.headers})

    @staticmethod
    def _check_auth(required: str, principal: Principal | None) -> None:
        if required == "none":
            return
        if required == "app":
            if principal is None or principal.kind != "app":
                raise ApiError(401, auth.BAD_JWT)
            return
        if principal is None:
            raise ApiError(401, auth.REQUIRES_AUTH)
        if principal.kind == "app":
            raise ApiError(401, auth.BAD_CREDENTIALS)
        if required == "user" and principal.kind != "user":
            raise ApiError(403, "Resource not accessible by integration")

    def _rate_headers(self, principal: Principal, cost: int) -> dict[str, str]:
        rates = self.server.forge.rates
        remaining, reset, used = rates.spend(principal.login, cost)
        headers = {"X-RateLimit-Limit": str(rates.limit), "X-RateLimit-Remaining": str(remaining),
                   "X-RateLimit-Reset": str(reset), "X-RateLimit-Used": str(used),
                   "X-RateLimit-Resource": "core"}
        if used > rates.limit:
            raise ApiError(403, f"API rate limit exceeded for {principal.login}.",
                           documentation_url="https://docs.github.com/rest/using-the-rest-api/"
                                             "rate-limits-for-the-rest-api", headers=headers)
        return headers
