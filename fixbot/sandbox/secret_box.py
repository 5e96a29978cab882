"""Actions secrets in the sandbox's store: key pairs, sealed values, environments.

Like GitHub, every *scope* that holds secrets (a repository, one of its environments, an
organisation) has its own Curve25519 key pair, made on first use; clients fetch the public half
(``.../secrets/public-key``) and send each value as a libsodium sealed box for it. The sandbox
keeps the private half so that it can check what it is sent and, for tests only, read a stored
secret back (:func:`read_secret`). Values are stored only as the sealed boxes clients sent.

Seeding, for tests and for people (secrets "a person created"): :func:`add_repo_secret`,
:func:`add_environment_secret`, :func:`add_org_secret`, :func:`add_environment`, each on a
:class:`~fixbot.sandbox.store.Store` — the running sandbox's (``Sandbox.server.forge.store``,
or the ``Sandbox`` methods of the same names) or one opened on a served root
(``Store(ROOT / "forge.sqlite3")``; SQLite lets both processes use it).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from dataclasses import dataclass

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

from fixbot.sandbox.store import Row, Store, now_iso

VISIBILITIES = ("all", "private", "selected")
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class SealError(Exception):
    """A sealed value the sandbox cannot accept; ``field`` is ``key_id`` or ``encrypted_value``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Scope:
    """Where a secret lives: ``repo`` (``owner/name``), ``env`` (``owner/name`` + environment)
    or ``org`` (``owner`` only)."""

    kind: str
    owner: str
    repo: str = ""
    environment: str = ""

    @property
    def key(self) -> str:
        if self.kind == "org":
            return f"org:{self.owner}".lower()
        if self.kind == "env":
            return f"env:{self.owner}/{self.repo}:{self.environment}".lower()
        return f"repo:{self.owner}/{self.repo}".lower()

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo}"


def repo_scope(full: str) -> Scope:
    owner, _, name = full.partition("/")
    return Scope("repo", owner, name)


def env_scope(full: str, environment: str) -> Scope:
    owner, _, name = full.partition("/")
    return Scope("env", owner, name, environment)


def org_scope(org: str) -> Scope:
    return Scope("org", org)


def valid_name(name: str) -> bool:
    """GitHub's rules: letters, digits and ``_``; not starting with a digit or ``GITHUB_``."""
    return bool(_NAME_RE.match(name)) and not name.upper().startswith("GITHUB_")


# -- keys ---------------------------------------------------------------------------------------
def public_key(store: Store, scope: Scope) -> tuple[str, str]:
    """(key_id, base64 public key) of ``scope``; the pair is made on first use."""
    row = store.one("SELECT key_id, public_key FROM secret_keys WHERE scope = ?", scope.key)
    if row is None:
        private = PrivateKey.generate()
        with store.tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO secret_keys(scope, key_id, public_key, private_key, "
                "created_at) VALUES (?, ?, ?, ?, ?)",
                (scope.key, str(secrets.randbits(62)),
                 base64.b64encode(bytes(private.public_key)).decode(),
                 base64.b64encode(bytes(private)).decode(), now_iso()))
        row = store.one("SELECT key_id, public_key FROM secret_keys WHERE scope = ?", scope.key)
    assert row is not None
    return str(row["key_id"]), str(row["public_key"])


def seal(public_key_b64: str, value: str) -> str:
    """``value`` as a base64 libsodium sealed box for ``public_key_b64`` (what clients send)."""
    box = SealedBox(PublicKey(base64.b64decode(public_key_b64)))
    return base64.b64encode(box.encrypt(value.encode("utf-8"))).decode()


def open_sealed(store: Store, scope: Scope, key_id: str, encrypted_value: str) -> str:
    """The value sealed in ``encrypted_value``; :class:`SealError` when ``key_id`` is not the
    scope's current key or the box does not open with it. The messages never hold the value."""
    row = store.one("SELECT key_id, private_key FROM secret_keys WHERE scope = ?", scope.key)
    if row is None or str(row["key_id"]) != key_id:
        raise SealError("key_id", "key_id does not match the current public key")
    try:
        raw = base64.b64decode(encrypted_value, validate=True)
    except (binascii.Error, ValueError):
        raise SealError("encrypted_value", "encrypted_value is not base64") from None
    box = SealedBox(PrivateKey(base64.b64decode(row["private_key"])))
    try:
        plain = box.decrypt(raw)
    except (CryptoError, ValueError, TypeError):
        raise SealError("encrypted_value",
                        "encrypted_value is not a sealed box for this key") from None
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError:
        raise SealError("encrypted_value", "the sealed value is not UTF-8 text") from None


# -- secrets ------------------------------------------------------------------------------------
def put_secret(store: Store, scope: Scope, name: str, encrypted_value: str, key_id: str,
               visibility: str | None = None, selected: list[str] | None = None) -> bool:
    """Store a sealed value as secret ``name`` (upper-cased, as GitHub shows names); True when
    it was created, False when it replaced one."""
    stamp = now_iso()
    name = name.upper()
    picked = json.dumps(selected) if selected is not None else None
    with store.tx() as db:
        cur = db.execute(
            "UPDATE secrets SET encrypted_value = ?, key_id = ?, updated_at = ?, "
            "visibility = COALESCE(?, visibility), selected_repos = COALESCE(?, selected_repos) "
            "WHERE scope = ? AND name = ?",
            (encrypted_value, key_id, stamp, visibility, picked, scope.key, name))
        if cur.rowcount:
            return False
        db.execute(
            "INSERT INTO secrets(scope, name, encrypted_value, key_id, visibility, "
            "selected_repos, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (scope.key, name, encrypted_value, key_id, visibility, picked, stamp, stamp))
    return True


def _row(row: Row) -> Row:
    row["selected_repos"] = json.loads(row["selected_repos"]) if row["selected_repos"] else None
    return row


def secret(store: Store, scope: Scope, name: str) -> Row | None:
    row = store.one("SELECT * FROM secrets WHERE scope = ? AND name = ?", scope.key, name)
    return _row(row) if row is not None else None


def secret_rows(store: Store, scope: Scope) -> list[Row]:
    return [_row(r) for r in store.all("SELECT * FROM secrets WHERE scope = ? ORDER BY name",
                                       scope.key)]


def delete_secret(store: Store, scope: Scope, name: str) -> bool:
    with store.tx() as db:
        return db.execute("DELETE FROM secrets WHERE scope = ? AND name = ?",
                          (scope.key, name)).rowcount > 0


def org_secret_visible(row: Row, repo_full: str, repo_private: bool) -> bool:
    """Whether an organisation secret reaches a repository of that organisation."""
    visibility = row["visibility"] or "all"
    if visibility == "private":
        return repo_private
    if visibility == "selected":
        names = {f"{n}".lower() for n in row["selected_repos"] or []}
        short = repo_full.partition("/")[2].lower()
        return repo_full.lower() in names or short in names
    return True


# -- environments -------------------------------------------------------------------------------
def add_environment(store: Store, full: str, name: str) -> Row:
    """The environment ``name`` of repository ``full``, created if absent."""
    stamp = now_iso()
    with store.tx() as db:
        db.execute("INSERT OR IGNORE INTO environments(repo, name, created_at, updated_at) "
                   "VALUES (?, ?, ?, ?)", (full, name, stamp, stamp))
    row = environment(store, full, name)
    assert row is not None
    return row


def environment(store: Store, full: str, name: str) -> Row | None:
    return store.one("SELECT * FROM environments WHERE repo = ? AND name = ?", full, name)


def environments(store: Store, full: str) -> list[Row]:
    return store.all("SELECT * FROM environments WHERE repo = ? ORDER BY name", full)


# -- seeding and reading back (tests, people) ---------------------------------------------------
def _seed(store: Store, scope: Scope, name: str, value: str, visibility: str | None = None,
          selected: list[str] | None = None) -> None:
    if not valid_name(name):
        raise ValueError(f"not a valid secret name: {name!r}")
    key_id, key = public_key(store, scope)
    put_secret(store, scope, name, seal(key, value), key_id, visibility, selected)


def add_repo_secret(store: Store, full: str, name: str, value: str = "seeded") -> None:
    """Repository secret ``name`` of ``owner/name``, as if a person had created it."""
    _seed(store, repo_scope(full), name, value)


def add_environment_secret(store: Store, full: str, environment_name: str, name: str,
                           value: str = "seeded") -> None:
    """Secret ``name`` of an environment of ``owner/name`` (the environment is created)."""
    add_environment(store, full, environment_name)
    _seed(store, env_scope(full, environment_name), name, value)


def add_org_secret(store: Store, org: str, name: str, value: str = "seeded",
                   visibility: str = "all", repos: list[str] | None = None) -> None:
    """Organisation secret ``name``; ``visibility`` ``all``, ``private`` (private and internal
    repositories) or ``selected`` (``repos``: repository names, with or without the owner)."""
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}")
    _seed(store, org_scope(org), name, value, visibility,
          (repos or []) if visibility == "selected" else None)


def read_secret(store: Store, scope: Scope, name: str) -> str:
    """TESTS ONLY: the stored secret decrypted with the sandbox's private key
    (``KeyError`` when there is no such secret)."""
    row = secret(store, scope, name)
    if row is None:
        raise KeyError(f"no secret {name} in {scope.key}")
    return open_sealed(store, scope, str(row["key_id"]), str(row["encrypted_value"]))
