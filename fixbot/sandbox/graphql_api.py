"""GraphQL at ``POST /api/graphql``, executed by graphql-core against GitHub's published schema.

The schema is the introspection result in npm ``@octokit/graphql-schema`` (its
``schema.json``). It is not part of fixbot: :func:`fetch_schema` downloads the pinned package
from the npm registry (checked against its SHA-256) into the cache, and a sandbox started without
a schema answers ``/api/graphql`` with 404, as a forge without GraphQL would, so that clients
fall back to REST.

What is resolved (the rest of the schema answers null): ``repository(owner, name)`` with
``name``, ``nameWithOwner``, ``owner { login }``, ``isArchived``, ``isFork``, ``isDisabled``,
``isEmpty``, ``isPrivate``, ``url``, ``defaultBranchRef { name target { oid } }``,
``ref(qualifiedName)``, ``object(expression: "REV:path")`` (``Tree { entries { name type mode
oid object } }`` and ``Blob { text byteSize isBinary oid }``), ``pullRequests(headRefName,
states, first)``; ``organization(login) { repositories(first, after) }``; ``rateLimit``.
A repository that does not exist (or the caller cannot see) is null with a ``NOT_FOUND`` error
naming its alias, and the other aliases are still answered, as on GitHub.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import threading
import urllib.request
from datetime import UTC
from pathlib import Path
from typing import Any

from fixbot.sandbox.api_core import Forge, Principal
from fixbot.sandbox.gitstore import BareRepo, find_repo, list_repos

SCHEMA_VERSION = "15.26.1"
TARBALL = (f"https://registry.npmjs.org/@octokit/graphql-schema/-/graphql-schema-"
           f"{SCHEMA_VERSION}.tgz")
TARBALL_SHA256 = "053e74249dafce2118fd9b7ae499b067d57c5f910c57745699ac45108bc68d1e"
MAX_TEXT = 512 * 1024  # GitHub leaves Blob.text null for larger or binary blobs


class Unavailable(Exception):
    """The schema cannot be had (no cache, no registry): the reason."""


def cache_path(env: dict[str, str] | None = None) -> Path:
    env = dict(os.environ) if env is None else env
    root = env.get("FIXBOT_CACHE_DIR") or os.path.join(
        env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "fixbot")
    return Path(root) / "graphql-schema" / SCHEMA_VERSION / "schema.json"


def fetch_schema(env: dict[str, str] | None = None, timeout: float = 60) -> Path:
    """The cached ``schema.json``, downloaded from the npm registry first when absent."""
    path = cache_path(env)
    if path.is_file():
        return path
    try:
        with urllib.request.urlopen(TARBALL, timeout=timeout) as r:  # noqa: S310 (fixed https)
            data = r.read()
    except OSError as e:
        raise Unavailable(f"cannot download @octokit/graphql-schema {SCHEMA_VERSION} from the "
                          f"npm registry: {e}") from None
    if hashlib.sha256(data).hexdigest() != TARBALL_SHA256:
        raise Unavailable(f"@octokit/graphql-schema {SCHEMA_VERSION}: the tarball's SHA-256 is "
                          "not the pinned one")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        member = tar.extractfile("package/schema.json")
        if member is None:
            raise Unavailable("@octokit/graphql-schema: no package/schema.json in the tarball")
        text = member.read()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(text)
    tmp.replace(path)
    return path


class GraphQL:
    """The executable schema (built once; graphql-core execution is thread-safe)."""

    _cache: dict[Path, GraphQL] = {}
    _lock = threading.Lock()

    def __init__(self, path: Path) -> None:
        from graphql import build_client_schema, validate_schema

        data = json.loads(path.read_text(encoding="utf-8"))
        self.schema = build_client_schema(data.get("data", data))
        # graphql-core 3.3 rejects GitHub's schema for deprecating, on some object types, a
        # field their interface does not deprecate; that breaks no query. Any other problem does.
        problems = [e for e in validate_schema(self.schema)
                    if "must not be deprecated" not in e.message]
        if problems:
            raise Unavailable(f"{path}: not a usable schema: {problems[0].message}")
        self.schema._validation_errors = []  # checked above

    @classmethod
    def load(cls, path: Path) -> GraphQL:
        with cls._lock:
            if path not in cls._cache:
                cls._cache[path] = cls(path)
            return cls._cache[path]

    def execute(self, forge: Forge, principal: Principal, base: str,
                query: str, variables: dict[str, Any] | None) -> dict[str, Any]:
        from graphql import graphql_sync

        root = _Root(forge, principal, base)
        result = graphql_sync(self.schema, query, root_value=root.value(),
                              variable_values=variables)
        out: dict[str, Any] = {"data": result.data}
        if result.errors:
            out["errors"] = [_error(e) for e in result.errors]
        return out


class _NotFound(Exception):
    pass


def _error(e: Any) -> dict[str, Any]:
    out: dict[str, Any] = e.formatted
    if isinstance(e.original_error, _NotFound):
        out = {"type": "NOT_FOUND", **out}
    return out


class _Root:
    def __init__(self, forge: Forge, principal: Principal, base: str) -> None:
        self.forge, self.principal, self.base = forge, principal, base

    def value(self) -> dict[str, Any]:
        return {"repository": self.repository, "organization": self.organization,
                "repositoryOwner": self.organization, "rateLimit": self.rate_limit}

    def _visible(self, repo: BareRepo | None) -> bool:
        return repo is not None and self.forge.can_see(self.principal, repo)

    def repository(self, _info: Any, owner: str, name: str, **_: Any) -> dict[str, Any]:
        repo = find_repo(self.forge.root, owner, name)
        if repo is None or not self._visible(repo):
            raise _NotFound(f"Could not resolve to a Repository with the name '{owner}/{name}'.")
        return _repository(self, repo)

    def organization(self, _info: Any, login: str) -> dict[str, Any]:
        repos = [r for r in list_repos(self.forge.root, login) if self._visible(r)]
        if not repos and self.forge.store.known_account(login) is None:
            raise _NotFound(f"Could not resolve to an Organization with the login of '{login}'.")

        def repositories(_info: Any, first: int | None = None, after: str | None = None,
                         **_: Any) -> dict[str, Any]:
            start = int(after) if after and after.isdigit() else 0
            size = max(1, min(first or 100, 100))
            page = repos[start:start + size]
            end = start + len(page)
            return {"totalCount": len(repos),
                    "pageInfo": {"hasNextPage": end < len(repos),
                                 "endCursor": str(end) if page else None,
                                 "hasPreviousPage": start > 0,
                                 "startCursor": str(start) if page else None},
                    "nodes": [_repository(self, r) for r in page]}

        return {"__typename": "Organization", "login": login, "repositories": repositories}

    def rate_limit(self, _info: Any, **_: Any) -> dict[str, Any]:
        rates = self.forge.rates
        remaining, reset, used = rates.spend(self.principal.login, 0)
        from datetime import datetime

        return {"cost": 1, "limit": rates.limit, "remaining": remaining, "used": used,
                "nodeCount": 0,
                "resetAt": datetime.fromtimestamp(reset, UTC).strftime(
                    "%Y-%m-%dT%H:%M:%SZ")}


def _repository(root: _Root, repo: BareRepo) -> dict[str, Any]:
    default = repo.default_branch()
    head = repo.branch_sha(default) if default else None

    def obj(_info: Any, expression: str | None = None, oid: str | None = None) -> Any:
        if oid:
            kind = repo.object_type(oid)
            return _object(repo, oid, kind, "") if kind else None
        if expression is None:
            return None
        rev, sep, path = expression.partition(":")
        commit = repo.resolve(rev or "HEAD") if head else None
        if commit is None:
            return None
        if not sep:
            return {"__typename": "Commit", "oid": commit}
        entry = repo.entry(commit, path.strip("/"))
        return _object(repo, entry.sha, entry.type, entry.mode) if entry else None

    def ref(_info: Any, qualifiedName: str) -> Any:  # noqa: N803 (GraphQL's name)
        full = qualifiedName if qualifiedName.startswith("refs/") else f"refs/heads/{qualifiedName}"
        sha = repo.ref_sha(full)
        if sha is None:
            return None
        commit = repo.commit(sha)
        return {"name": full.rsplit("/", 1)[-1] if full.startswith("refs/heads/") else full,
                "prefix": "refs/heads/", "target": _commit(sha, commit)}

    def pulls(_info: Any, headRefName: str | None = None,  # noqa: N803
              states: list[str] | None = None, first: int | None = None,
              **_: Any) -> dict[str, Any]:
        row = root.forge.store.repo_row(repo.full_name)
        wanted = {s.upper() for s in states} if states else None
        nodes = []
        for p in root.forge.store.pulls(int(row["id"])):
            state = "MERGED" if p["merged_at"] else str(p["state"]).upper()
            if headRefName is not None and p["head_ref"] != headRefName:
                continue
            if wanted is not None and state not in wanted:
                continue
            nodes.append({"number": int(p["number"]), "state": state, "title": p["title"],
                          "body": p["body"] or "", "headRefName": p["head_ref"],
                          "headRefOid": repo.branch_sha(p["head_ref"]) or p["head_sha"] or "",
                          "url": f"{root.base}/{repo.full_name}/pull/{int(p['number'])}",
                          "createdAt": p["created_at"],
                          "author": {"__typename": "User", "login": p["user_login"]}})
        nodes = nodes[: max(1, min(first or 100, 100))]
        return {"totalCount": len(nodes), "nodes": nodes,
                "pageInfo": {"hasNextPage": False, "endCursor": None}}

    owner_type = "User" if root.forge.owner_type(repo.owner) == "User" else "Organization"
    return {
        "__typename": "Repository", "name": repo.name, "nameWithOwner": repo.full_name,
        "owner": {"__typename": owner_type, "login": repo.owner},
        "isArchived": repo.flag("archived"), "isFork": repo.flag("fork"),
        "isDisabled": repo.flag("disabled"), "isPrivate": repo.flag("private"),
        "isEmpty": head is None, "url": f"{root.base}/{repo.full_name}",
        "defaultBranchRef": ({"name": default, "prefix": "refs/heads/",
                              "target": _commit(head, repo.commit(head))} if head else None),
        "object": obj, "ref": ref, "pullRequests": pulls,
    }


def _commit(sha: str, info: Any) -> dict[str, Any]:
    parents = list(info.parents) if info is not None else []
    return {"__typename": "Commit", "oid": sha,
            "parents": lambda _info, **_: {"totalCount": len(parents),
                                            "nodes": [{"oid": p} for p in parents]}}


def _object(repo: BareRepo, sha: str, kind: str, mode: str) -> dict[str, Any] | None:
    if kind == "tree":
        def entries(_info: Any) -> list[dict[str, Any]]:
            return [{"name": e.path, "type": e.type, "mode": int(e.mode, 8), "oid": e.sha,
                     "path": e.path, "object": _object(repo, e.sha, e.type, e.mode)}
                    for e in repo.tree(sha, recursive=False)]

        return {"__typename": "Tree", "oid": sha, "entries": entries}
    if kind == "blob":
        held: list[bytes] = []

        def data() -> bytes:
            if not held:
                held.append(repo.blob(sha))
            return held[0]

        def text(_info: Any) -> str | None:
            raw = data()
            if len(raw) > MAX_TEXT or b"\0" in raw[:8000]:
                return None
            return raw.decode("utf-8", "replace")

        return {"__typename": "Blob", "oid": sha, "text": text,
                "byteSize": lambda _info: len(data()),
                "isBinary": lambda _info: b"\0" in data()[:8000],
                "isTruncated": lambda _info: len(data()) > MAX_TEXT}
    if kind == "commit":
        return {"__typename": "Commit", "oid": sha}
    return None
