"""Read and update the sandbox's bare repositories with the real ``git`` binary.

Every bare repository at ``ROOT/<owner>/<name>.git`` is a repository of the forge. Per-repository
flags live in that repository's own config under ``[forge]`` (``git config forge.archived true``).
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

ZERO_SHA = "0" * 40
_SHA_RE = re.compile(r"^[0-9a-f]{40}$")

# Environment for every git process the sandbox runs: no user or system config leaks in.
GIT_ENV_BASE = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "LC_ALL": "C",
}


def git_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_ENV_BASE)
    env["HOME"] = str(home)
    env["XDG_CONFIG_HOME"] = str(home)
    return env


class GitFailed(Exception):
    """A git command exited non-zero."""


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    date: str  # ISO 8601, UTC, "Z"


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    tree: str
    parents: tuple[str, ...]
    author: Person
    committer: Person
    message: str


@dataclass(frozen=True)
class TreeEntry:
    mode: str
    type: str  # blob | tree | commit
    sha: str
    size: int | None
    path: str


def _iso_from_git(raw: str) -> str:
    """Turn git's ``<unix> <+zone>`` into ``YYYY-MM-DDTHH:MM:SSZ``."""
    import datetime as dt

    seconds = int(raw.split()[0])
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_person(line: str) -> Person:
    m = re.match(r"^(.*?) <(.*?)> (\d+ [+-]\d{4})$", line)
    if not m:
        return Person(name=line, email="", date="1970-01-01T00:00:00Z")
    return Person(name=m.group(1), email=m.group(2), date=_iso_from_git(m.group(3)))


def _read_forge_flags(config: Path) -> dict[str, str]:
    """The ``[forge]`` section of a git config file (keys lower-cased, values as written)."""
    flags: dict[str, str] = {}
    try:
        text = config.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return flags
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[]").strip().lower()
            continue
        if section == "forge" and "=" in line:
            key, _, value = line.partition("=")
            flags[key.strip().lower()] = value.strip().strip('"')
        elif section == "forge":
            flags[line.lower()] = "true"
    return flags


class BareRepo:
    """One bare repository of the forge."""

    def __init__(self, root: Path, owner: str, name: str) -> None:
        self.root = root
        self.owner = owner
        self.name = name
        self.path = root / owner / f"{name}.git"

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def exists(self) -> bool:
        return (self.path / "HEAD").is_file() and (self.path / "objects").is_dir()

    def git(self, *args: str, input: bytes | None = None, check: bool = True) -> bytes:
        proc = subprocess.run(
            ["git", "--git-dir", str(self.path), *args],
            input=input,
            capture_output=True,
            env=git_env(self.root),
        )
        if check and proc.returncode != 0:
            raise GitFailed(f"git {' '.join(args)}: {proc.stderr.decode(errors='replace').strip()}")
        return proc.stdout

    # -- flags and metadata ------------------------------------------------------------------
    def flags(self) -> dict[str, str]:
        return _read_forge_flags(self.path / "config")

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.flags().get(key.lower())
        if value is None:
            return default
        return value.lower() in ("true", "yes", "on", "1")

    def default_branch(self) -> str:
        try:
            head = (self.path / "HEAD").read_text(encoding="utf-8").strip()
        except OSError:
            return "main"
        if head.startswith("ref: refs/heads/"):
            return head[len("ref: refs/heads/") :]
        return "main"

    def pushed_at(self) -> str | None:
        out = self.git(
            "for-each-ref", "--sort=-committerdate", "--count=1",
            "--format=%(committerdate:unix)", "refs/heads/", check=False,
        ).decode().strip()
        if not out:
            return None
        return _iso_from_git(out + " +0000")

    def size_kb(self) -> int:
        total = 0
        for dirpath, _dirs, files in os.walk(self.path / "objects"):
            for f in files:
                with contextlib.suppress(OSError):  # gc may remove files meanwhile
                    total += os.path.getsize(os.path.join(dirpath, f))
        return -(-total // 1024)  # whole KiB, rounded up: 0 only with no objects at all

    # -- refs ----------------------------------------------------------------------------------
    def refs(self, prefix: str = "refs/") -> list[tuple[str, str]]:
        out = self.git("for-each-ref", "--format=%(refname) %(objectname)", prefix, check=False)
        pairs = []
        for line in out.decode().splitlines():
            ref, _, sha = line.partition(" ")
            pairs.append((ref, sha))
        return pairs

    def ref_sha(self, ref: str) -> str | None:
        for name, sha in self.refs(ref):
            if name == ref:
                return sha
        return None

    def branch_sha(self, branch: str) -> str | None:
        return self.ref_sha(f"refs/heads/{branch}")

    def resolve(self, rev: str, kind: str = "commit") -> str | None:
        if rev.startswith("-"):
            return None
        out = self.git("rev-parse", "--verify", "--quiet", f"{rev}^{{{kind}}}", check=False)
        sha = out.decode().strip()
        return sha if _SHA_RE.match(sha) else None

    def object_type(self, sha: str) -> str | None:
        if not _SHA_RE.match(sha):
            return None
        out = self.git("cat-file", "-t", sha, check=False).decode().strip()
        return out or None

    def update_ref(self, ref: str, new: str, old: str | None = None) -> None:
        args = ["update-ref", ref, new]
        if old is not None:
            args.append(old)
        self.git(*args)

    def delete_ref(self, ref: str) -> None:
        self.git("update-ref", "-d", ref)

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        proc = subprocess.run(
            ["git", "--git-dir", str(self.path), "merge-base", "--is-ancestor", ancestor, descendant],
            capture_output=True,
            env=git_env(self.root),
        )
        return proc.returncode == 0

    def commits_between(self, base: str, head: str, limit: int = 250) -> list[str]:
        """Commits reachable from ``head`` and not from ``base``, oldest first."""
        out = self.git("rev-list", "--reverse", f"--max-count={limit}", head, f"^{base}", check=False)
        return out.decode().split()

    # -- objects -------------------------------------------------------------------------------
    def commit(self, sha: str) -> CommitInfo | None:
        if self.object_type(sha) != "commit":
            return None
        raw = self.git("cat-file", "commit", sha).decode("utf-8", errors="replace")
        header, _, message = raw.partition("\n\n")
        tree = ""
        parents: list[str] = []
        author = committer = Person("", "", "1970-01-01T00:00:00Z")
        for line in header.splitlines():
            key, _, value = line.partition(" ")
            if key == "tree":
                tree = value
            elif key == "parent":
                parents.append(value)
            elif key == "author":
                author = _parse_person(value)
            elif key == "committer":
                committer = _parse_person(value)
        return CommitInfo(sha, tree, tuple(parents), author, committer, message)

    def tree(self, tree_ish: str, recursive: bool) -> list[TreeEntry]:
        args = ["ls-tree", "-z", "-l"]
        if recursive:
            args += ["-r", "-t"]
        out = self.git(*args, tree_ish)
        entries = []
        for item in out.split(b"\0"):
            if not item:
                continue
            meta, _, path = item.partition(b"\t")
            mode, typ, sha, size = meta.decode().split(None, 3)
            entries.append(
                TreeEntry(mode, typ, sha, None if size.strip() == "-" else int(size), path.decode())
            )
        return entries

    def entry(self, commit: str, path: str) -> TreeEntry | None:
        """The tree entry at ``path`` in ``commit`` (``path`` empty = the root tree)."""
        if not path:
            sha = self.resolve(commit, "tree")
            return TreeEntry("040000", "tree", sha, None, "") if sha else None
        out = self.git("ls-tree", "-z", "-l", commit, "--", path, check=False)
        for item in out.split(b"\0"):
            meta, _, got = item.partition(b"\t")
            if got.decode() == path:
                mode, typ, sha, size = meta.decode().split(None, 3)
                return TreeEntry(mode, typ, sha, None if size.strip() == "-" else int(size), path)
        return None

    def blob(self, sha: str) -> bytes:
        return self.git("cat-file", "blob", sha)


def list_repos(root: Path, owner: str | None = None) -> list[BareRepo]:
    """Every bare repository under ``root`` (or under one owner), sorted by full name."""
    repos: list[BareRepo] = []
    if not root.is_dir():
        return repos
    owners = [owner] if owner else sorted(p.name for p in root.iterdir() if p.is_dir())
    for o in owners:
        odir = root / o
        if not odir.is_dir():
            continue
        for p in sorted(odir.iterdir(), key=lambda p: p.name.lower()):
            if p.name.endswith(".git") and p.is_dir():
                repo = BareRepo(root, o, p.name[: -len(".git")])
                if repo.exists():
                    repos.append(repo)
    return repos


def find_owner_dir(root: Path, owner: str) -> str | None:
    """The on-disk spelling of ``owner`` (GitHub logins are case-insensitive)."""
    if not root.is_dir() or not owner or owner.startswith(".") or "/" in owner or "\\" in owner:
        return None
    if (root / owner).is_dir():
        return owner
    for p in root.iterdir():
        if p.is_dir() and p.name.lower() == owner.lower():
            return p.name
    return None


def find_repo(root: Path, owner: str, name: str) -> BareRepo | None:
    if name.endswith(".git"):
        name = name[:-4]
    if "/" in owner or "/" in name or owner.startswith(".") or name.startswith("."):
        return None
    real_owner = find_owner_dir(root, owner)
    if real_owner is None:
        return None
    repo = BareRepo(root, real_owner, name)
    if repo.exists():
        return repo
    for p in (root / real_owner).iterdir():
        if p.name.lower() == f"{name}.git".lower():
            repo = BareRepo(root, real_owner, p.name[:-4])
            if repo.exists():
                return repo
    return None
