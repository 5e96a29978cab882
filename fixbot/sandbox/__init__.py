"""A loopback forge that behaves like GitHub Enterprise Server for what fixbot uses.

Tests and ``fixbot demo`` use :class:`Sandbox`::

    with Sandbox() as sb:
        token = sb.add_token("fixbot-bot")
        sb.create_repo("acme", "widgets", {".github/workflows/ci.yml": "on: push\\n"})
        gh = Github(base_url=sb.api_url, auth=Auth.Token(token), retry=None, ...)

It shares no code with fixbot's forge client (``fixbot/forge/``) so a bug cannot hide in both.
"""

from __future__ import annotations

import secrets
import shutil
import string
import sys
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO

from fixbot.sandbox import secret_box
from fixbot.sandbox.api_core import AppConfig
from fixbot.sandbox.faults import Fault, LogEntry
from fixbot.sandbox.gitstore import BareRepo, find_repo
from fixbot.sandbox.merging import merge_pull
from fixbot.sandbox.seed import commit_files, create_repo
from fixbot.sandbox.server import SandboxServer

__all__ = ["Sandbox", "SandboxServer", "LogEntry", "Fault", "serve", "new_token"]

_ALPHABET = string.ascii_letters + string.digits


def new_token(prefix: str = "ghp_") -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(36))


class Sandbox:
    """Runs a :class:`SandboxServer` in a background thread (``127.0.0.1``, a free port)."""

    def __init__(self, root: str | Path | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, access_log: str | Path | None = None,
                 app_id: int | None = None, app_public_key: bytes | None = None,
                 token_ttl: int = 3600, quiet: bool = True,
                 graphql_schema: str | Path | None = None, rate_limit: int | None = None,
                 rate_window: int = 3600, fail_rate: float = 0.0, seed: int = 0,
                 slow_ms: int = 0) -> None:
        self._own_root = root is None
        self.root = Path(root) if root is not None else Path(tempfile.mkdtemp(prefix="sandbox-"))
        self._log_file: IO[str] | None = (
            open(access_log, "a", encoding="utf-8") if access_log else None  # noqa: SIM115
        )
        app = AppConfig(app_id, app_public_key) if app_id and app_public_key else None
        try:
            self.server = SandboxServer(self.root, host, port, app=app,
                                        access_log=self._log_file, token_ttl=token_ttl,
                                        quiet=quiet,
                                        graphql_schema=Path(graphql_schema) if graphql_schema
                                        else None, rate_limit=rate_limit,
                                        rate_window=rate_window, fail_rate=fail_rate,
                                        seed=seed, slow_ms=slow_ms)
        except BaseException:
            if self._log_file is not None:
                self._log_file.close()
            raise
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> Sandbox:
        if self._thread is None:
            self._thread = threading.Thread(target=self.server.serve_forever,
                                            kwargs={"poll_interval": 0.05}, daemon=True,
                                            name="fixbot-sandbox")
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self.server.shutdown()
            self._thread.join()
            self._thread = None
        self.server.server_close()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- addresses -----------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.server.server_address[0]!s}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/v3"

    def git_url(self, owner: str, name: str) -> str:
        return f"{self.url}/{owner}/{name}.git"

    # -- accounts and apps ---------------------------------------------------------------------
    def add_token(self, login: str, token: str | None = None,
                  permissions: dict[str, str] | None = None) -> str:
        """Register a personal access token for ``login`` (a User); returns the token.
        ``permissions`` (e.g. ``{"secrets": "read"}``) makes it a fine-grained token limited to
        those grants; None, a classic token with every right of the login."""
        token = token or new_token("github_pat_" if permissions is not None else "ghp_")
        self.server.forge.store.add_token(login, token, permissions=permissions)
        return token

    def configure_app(self, app_id: int, public_key_pem: bytes, slug: str = "fixbot-sandbox") -> None:
        self.server.forge.app = AppConfig(app_id, public_key_pem, slug=slug)

    def add_installation(self, account: str, installation_id: int | None = None,
                         repos: list[str] | None = None,
                         permissions: dict[str, str] | None = None) -> int:
        """Install the app on ``account`` (all its repos, or only ``repos``) with
        ``permissions`` (None: the App's defaults, which hold no secrets permission); returns
        the id."""
        store = self.server.forge.store
        if installation_id is None:
            installation_id = 1000 + len(store.installations()) + 1
        store.add_installation(installation_id, account, repos, permissions)
        return installation_id

    def expire_installation_tokens(self) -> int:
        """Test switch: every App installation token issued so far expires now (the forge then
        answers 401 ``Bad credentials`` to it, as GitHub does after an hour). Returns how many."""
        return self.server.forge.store.expire_installation_tokens()

    # -- repositories --------------------------------------------------------------------------
    def create_repo(self, owner: str, name: str, files: Mapping[str, bytes | str],
                    branch: str = "main", **flags: object) -> str:
        """A bare repo with one commit holding ``files``; ``flags`` become ``forge.*`` config
        (archived, fork, private, visibility, disabled, description). Returns the clone URL."""
        create_repo(self.root, owner, name, files, branch, flags=flags)
        return self.git_url(owner, name)

    def repo(self, owner: str, name: str) -> BareRepo:
        repo = find_repo(self.root, owner, name)
        if repo is None:
            raise KeyError(f"no repository {owner}/{name}")
        return repo

    def push_files(self, owner: str, name: str, branch: str, files: Mapping[str, bytes | str | None],
                   message: str = "Update files", author: str = "octocat") -> str:
        """A commit by ``author`` (login or ``Name <email>``) on ``branch`` (created from the
        default branch if absent); ``None`` deletes a file. Returns the new SHA."""
        repo = self.repo(owner, name)
        parent = repo.branch_sha(branch) or repo.branch_sha(repo.default_branch())
        return commit_files(repo, branch, files, message, author, parent)

    def merge_pull(self, owner: str, name: str, number: int, login: str = "octocat",
                   fast_forward: bool = True) -> str:
        """Merge a PR onto its base with real git (fast-forward when possible, else a merge
        commit); marks it merged and closed. Returns the new base tip."""
        return merge_pull(self.server.forge.store, self.repo(owner, name), number, login,
                          fast_forward)

    # -- Actions secrets (as a person would create them) and reading them back ------------------
    def add_environment(self, full: str, environment: str) -> None:
        """Create deployment environment ``environment`` of ``owner/name``."""
        secret_box.add_environment(self.server.forge.store, self.repo(*full.split("/", 1)).full_name,
                                   environment)

    def add_secret(self, full: str, name: str, value: str = "seeded", *,
                   environment: str | None = None) -> None:
        """Secret ``name`` of repository ``owner/name`` (or of its ``environment``, which is
        created), as if a person had created it in the settings."""
        store, real = self.server.forge.store, self.repo(*full.split("/", 1)).full_name
        if environment is None:
            secret_box.add_repo_secret(store, real, name, value)
        else:
            secret_box.add_environment_secret(store, real, environment, name, value)

    def add_org_secret(self, org: str, name: str, value: str = "seeded",
                       visibility: str = "all", repos: list[str] | None = None) -> None:
        """Organisation secret ``name`` with ``visibility`` all / private / selected (``repos``)."""
        secret_box.add_org_secret(self.server.forge.store, org, name, value, visibility, repos)

    def read_secret(self, full: str, name: str, *, environment: str | None = None) -> str:
        """TESTS ONLY: a stored repository (or environment) secret, decrypted with the
        sandbox's private key; ``KeyError`` when it does not exist."""
        real = self.repo(*full.split("/", 1)).full_name
        scope = (secret_box.repo_scope(real) if environment is None
                 else secret_box.env_scope(real, environment))
        return secret_box.read_secret(self.server.forge.store, scope, name)

    def read_org_secret(self, org: str, name: str) -> str:
        """TESTS ONLY: a stored organisation secret, decrypted."""
        return secret_box.read_secret(self.server.forge.store, secret_box.org_scope(org), name)

    # -- test hooks ----------------------------------------------------------------------------
    def inject_fault(self, pattern: str, kind: str = "500", count: int = 1,
                     method: str | None = None, retry_after: int = 1, reset_in: int = 60) -> Fault:
        """The next ``count`` requests whose path matches ``pattern`` (regex, searched) fail:
        ``500``; ``500-after`` = carried out, then answered 500; ``secondary`` = 403 +
        ``Retry-After``; ``primary`` = 403 + ``X-RateLimit-Remaining: 0`` and
        ``X-RateLimit-Reset``."""
        return self.server.faults.add(pattern, kind, count, method, retry_after, reset_in)

    @property
    def access_log(self) -> list[LogEntry]:
        return self.server.log.snapshot()

    def clear_log(self) -> None:
        self.server.log.clear()


def serve(root: str | Path, host: str = "127.0.0.1", port: int = 0,
          tokens: Mapping[str, str] | None = None, access_log: str | Path | None = None,
          app_id: int | None = None, app_public_key: bytes | None = None,
          installs: Mapping[str, int | None] | None = None, out: IO[str] = sys.stdout,
          **options: object) -> int:
    """Run a sandbox in the foreground until Ctrl-C. ``tokens`` maps token -> login;
    ``installs`` maps account -> installation id (``None``: next free id); ``options``: the
    other :class:`Sandbox` settings (GraphQL schema, limits and injected faults)."""
    sandbox = Sandbox(root, host=host, port=port, access_log=access_log, app_id=app_id,
                      app_public_key=app_public_key, **options)  # type: ignore[arg-type]
    for token, login in (tokens or {}).items():
        sandbox.add_token(login, token)
    for account, ident in (installs or {}).items():
        sandbox.add_installation(account, ident)
    logins = ", ".join(sorted(set((tokens or {}).values()))) or "none"
    print(f"fixbot sandbox listening: git {sandbox.url}/OWNER/NAME.git, REST {sandbox.api_url} "
          f"(root {Path(root).resolve()}; token logins: {logins})", file=out, flush=True)
    try:
        sandbox.server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0
