"""The sandbox's SQLite state: ids, tokens, pull requests and issues, labels, comments,
installations, and the Actions secrets tables (rows read and written by
:mod:`fixbot.sandbox.secret_box`).

Git data never lives here: branches, commits and files are read from the bare repositories.
Tokens are stored as SHA-256 digests, never in clear. Secret values are stored only as the
sealed boxes clients sent; the sandbox's own private keys are stored in clear (it is a test forge).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS repos(id INTEGER PRIMARY KEY AUTOINCREMENT,
    full_name TEXT UNIQUE COLLATE NOCASE, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts(id INTEGER PRIMARY KEY AUTOINCREMENT,
    login TEXT UNIQUE COLLATE NOCASE, type TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens(digest TEXT PRIMARY KEY, login TEXT NOT NULL,
    installation_id INTEGER, expires_at REAL, permissions TEXT);
CREATE TABLE IF NOT EXISTS issues(id INTEGER PRIMARY KEY AUTOINCREMENT, repo_id INTEGER NOT NULL,
    number INTEGER NOT NULL, is_pull INTEGER NOT NULL, title TEXT NOT NULL, body TEXT,
    state TEXT NOT NULL, user_login TEXT NOT NULL, created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL, closed_at TEXT, head_ref TEXT, head_owner TEXT, base_ref TEXT,
    head_sha TEXT, base_sha TEXT, merged_at TEXT, merge_commit_sha TEXT, merged_by TEXT,
    draft INTEGER NOT NULL DEFAULT 0, maintainer_can_modify INTEGER NOT NULL DEFAULT 0,
    closed_by TEXT, UNIQUE(repo_id, number));
CREATE TABLE IF NOT EXISTS labels(id INTEGER PRIMARY KEY AUTOINCREMENT, repo_id INTEGER NOT NULL,
    name TEXT NOT NULL COLLATE NOCASE, color TEXT NOT NULL, description TEXT,
    UNIQUE(repo_id, name));
CREATE TABLE IF NOT EXISTS issue_labels(issue_id INTEGER NOT NULL, label_id INTEGER NOT NULL,
    PRIMARY KEY(issue_id, label_id));
CREATE TABLE IF NOT EXISTS comments(id INTEGER PRIMARY KEY AUTOINCREMENT,
    issue_id INTEGER NOT NULL, body TEXT NOT NULL, user_login TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS installations(id INTEGER PRIMARY KEY, account TEXT NOT NULL,
    repos TEXT, created_at TEXT NOT NULL, permissions TEXT);
CREATE TABLE IF NOT EXISTS secret_keys(scope TEXT PRIMARY KEY, key_id TEXT NOT NULL,
    public_key TEXT NOT NULL, private_key TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS secrets(scope TEXT NOT NULL, name TEXT NOT NULL COLLATE NOCASE,
    encrypted_value TEXT NOT NULL, key_id TEXT NOT NULL, visibility TEXT, selected_repos TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY(scope, name));
CREATE TABLE IF NOT EXISTS reviews(id INTEGER PRIMARY KEY AUTOINCREMENT, issue_id INTEGER NOT NULL,
    user_login TEXT NOT NULL, state TEXT NOT NULL, body TEXT NOT NULL, commit_id TEXT NOT NULL,
    submitted_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS review_requests(issue_id INTEGER NOT NULL, login TEXT NOT NULL,
    PRIMARY KEY(issue_id, login));
CREATE TABLE IF NOT EXISTS statuses(id INTEGER PRIMARY KEY AUTOINCREMENT, repo_id INTEGER NOT NULL,
    sha TEXT NOT NULL, state TEXT NOT NULL, context TEXT NOT NULL, description TEXT,
    target_url TEXT, creator TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS environments(id INTEGER PRIMARY KEY AUTOINCREMENT,
    repo TEXT NOT NULL COLLATE NOCASE, name TEXT NOT NULL COLLATE NOCASE,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE(repo, name));
"""

# Columns added after a table first shipped: (table, column, type) for older sandbox roots.
_LATE_COLUMNS = (("issues", "closed_by", "TEXT"), ("tokens", "permissions", "TEXT"),
                 ("installations", "permissions", "TEXT"))


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


Row = dict[str, Any]


class Store:
    """Thread-safe access to ``forge.sqlite3`` (one connection, one lock)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        for table, column, kind in _LATE_COLUMNS:  # a sandbox root made by an older sandbox
            columns = {r[1] for r in self._db.execute(f"PRAGMA table_info({table})").fetchall()}
            if column not in columns:
                self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def one(self, sql: str, *args: Any) -> Row | None:
        with self._lock:
            row = self._db.execute(sql, args).fetchone()
        return dict(row) if row is not None else None

    def all(self, sql: str, *args: Any) -> list[Row]:
        with self._lock:
            return [dict(r) for r in self._db.execute(sql, args).fetchall()]

    # -- ids -----------------------------------------------------------------------------------
    def repo_row(self, full_name: str) -> Row:
        with self.tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO repos(full_name, created_at) VALUES (?, ?)",
                (full_name, now_iso()),
            )
        row = self.one("SELECT * FROM repos WHERE full_name = ?", full_name)
        assert row is not None
        return row

    def account(self, login: str, default_type: str = "Organization") -> Row:
        with self.tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO accounts(login, type, created_at) VALUES (?, ?, ?)",
                (login, default_type, now_iso()),
            )
        row = self.one("SELECT * FROM accounts WHERE login = ?", login)
        assert row is not None
        return row

    def known_account(self, login: str) -> Row | None:
        return self.one("SELECT * FROM accounts WHERE login = ?", login)

    # -- tokens --------------------------------------------------------------------------------
    def add_token(self, login: str, token: str, *, installation_id: int | None = None,
                  expires_at: float | None = None, account_type: str = "User",
                  permissions: dict[str, str] | None = None) -> None:
        """``permissions`` (e.g. ``{"secrets": "read"}``) makes a fine-grained token limited to
        them; None is a classic token with every right its login has."""
        with self.tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO accounts(login, type, created_at) VALUES (?, ?, ?)",
                (login, account_type, now_iso()),
            )
            db.execute("UPDATE accounts SET type = ? WHERE login = ?", (account_type, login))
            db.execute(
                "INSERT OR REPLACE INTO tokens(digest, login, installation_id, expires_at, "
                "permissions) VALUES (?, ?, ?, ?, ?)",
                (digest(token), login, installation_id, expires_at,
                 json.dumps(permissions) if permissions is not None else None),
            )

    def lookup_token(self, token: str) -> Row | None:
        row = self.one("SELECT * FROM tokens WHERE digest = ?", digest(token))
        if row is None:
            return None
        if row["expires_at"] is not None and row["expires_at"] < time.time():
            return None
        return row

    def expire_installation_tokens(self) -> int:
        """Every installation token issued so far expires now (as an hour passing would do);
        returns how many. Personal tokens are not touched."""
        with self.tx() as db:
            cur = db.execute("UPDATE tokens SET expires_at = ? WHERE installation_id IS NOT NULL "
                             "AND (expires_at IS NULL OR expires_at >= ?)",
                             (time.time() - 1, time.time()))
            return int(cur.rowcount)

    # -- installations -------------------------------------------------------------------------
    def add_installation(self, installation_id: int, account: str, repos: list[str] | None,
                         permissions: dict[str, str] | None = None) -> None:
        """``permissions`` None: the App's default permissions."""
        with self.tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO installations(id, account, repos, created_at, permissions)"
                " VALUES (?, ?, ?, ?, ?)",
                (installation_id, account, json.dumps(repos) if repos is not None else None,
                 now_iso(), json.dumps(permissions) if permissions is not None else None),
            )

    @staticmethod
    def _installation_row(row: Row) -> Row:
        row["repos"] = json.loads(row["repos"]) if row["repos"] else None
        row["permissions"] = json.loads(row["permissions"]) if row.get("permissions") else None
        return row

    def installation(self, installation_id: int) -> Row | None:
        row = self.one("SELECT * FROM installations WHERE id = ?", installation_id)
        return self._installation_row(row) if row is not None else None

    def installations(self) -> list[Row]:
        return [self._installation_row(r)
                for r in self.all("SELECT * FROM installations ORDER BY id")]

    # -- issues and pulls ----------------------------------------------------------------------
    def create_issue(self, repo_id: int, **fields: Any) -> Row:
        stamp = now_iso()
        with self.tx() as db:
            (number,) = db.execute(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM issues WHERE repo_id = ?", (repo_id,)
            ).fetchone()
            cols = {"repo_id": repo_id, "number": number, "state": "open",
                    "created_at": stamp, "updated_at": stamp, **fields}
            db.execute(
                f"INSERT INTO issues({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
                tuple(cols.values()),
            )
        row = self.issue(repo_id, number)
        assert row is not None
        return row

    def issue(self, repo_id: int, number: int) -> Row | None:
        return self.one("SELECT * FROM issues WHERE repo_id = ? AND number = ?", repo_id, number)

    def update_issue(self, issue_id: int, **fields: Any) -> None:
        fields.setdefault("updated_at", now_iso())
        sets = ", ".join(f"{k} = ?" for k in fields)
        with self.tx() as db:
            db.execute(f"UPDATE issues SET {sets} WHERE id = ?", (*fields.values(), issue_id))

    def pulls(self, repo_id: int) -> list[Row]:
        return self.all(
            "SELECT * FROM issues WHERE repo_id = ? AND is_pull = 1 ORDER BY number", repo_id
        )

    def open_issue_count(self, repo_id: int) -> int:
        row = self.one(
            "SELECT COUNT(*) AS n FROM issues WHERE repo_id = ? AND state = 'open'", repo_id
        )
        return int(row["n"]) if row else 0

    # -- labels --------------------------------------------------------------------------------
    def ensure_label(self, repo_id: int, name: str, color: str = "ededed") -> Row:
        with self.tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO labels(repo_id, name, color, description) "
                "VALUES (?, ?, ?, NULL)",
                (repo_id, name, color),
            )
        row = self.one("SELECT * FROM labels WHERE repo_id = ? AND name = ?", repo_id, name)
        assert row is not None
        return row

    def issue_labels(self, issue_id: int) -> list[Row]:
        return self.all(
            "SELECT l.* FROM labels l JOIN issue_labels il ON il.label_id = l.id "
            "WHERE il.issue_id = ? ORDER BY l.name",
            issue_id,
        )

    def add_labels(self, repo_id: int, issue_id: int, names: list[str], replace: bool) -> None:
        ids = [self.ensure_label(repo_id, n)["id"] for n in names]
        with self.tx() as db:
            if replace:
                db.execute("DELETE FROM issue_labels WHERE issue_id = ?", (issue_id,))
            for label_id in ids:
                db.execute(
                    "INSERT OR IGNORE INTO issue_labels(issue_id, label_id) VALUES (?, ?)",
                    (issue_id, label_id),
                )

    def remove_label(self, issue_id: int, name: str) -> bool:
        with self.tx() as db:
            cur = db.execute(
                "DELETE FROM issue_labels WHERE issue_id = ? AND label_id IN "
                "(SELECT id FROM labels WHERE name = ?)",
                (issue_id, name),
            )
            return cur.rowcount > 0

    # -- comments ------------------------------------------------------------------------------
    def add_comment(self, issue_id: int, body: str, login: str) -> Row:
        stamp = now_iso()
        with self.tx() as db:
            cur = db.execute(
                "INSERT INTO comments(issue_id, body, user_login, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (issue_id, body, login, stamp, stamp),
            )
            comment_id = cur.lastrowid
        row = self.one("SELECT * FROM comments WHERE id = ?", comment_id)
        assert row is not None
        return row

    def comments(self, issue_id: int) -> list[Row]:
        return self.all("SELECT * FROM comments WHERE issue_id = ? ORDER BY id", issue_id)

    def comment(self, comment_id: int) -> Row | None:
        return self.one("SELECT * FROM comments WHERE id = ?", comment_id)

    def comment_count(self, issue_id: int) -> int:
        row = self.one("SELECT COUNT(*) AS n FROM comments WHERE issue_id = ?", issue_id)
        return int(row["n"]) if row else 0
