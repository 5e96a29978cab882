"""Make and change bare repositories with real git plumbing (no work tree needed)."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from fixbot.sandbox.gitstore import BareRepo, git_env

Files = Mapping[str, "bytes | str | None"]
SEED_AUTHOR = "Sandbox Seed <seed@sandbox.invalid>"


def person(author: str) -> tuple[str, str]:
    """``"Name <email>"`` or a login (email ``login@users.noreply.sandbox``)."""
    m = re.match(r"^(.*?)\s*<(.+)>$", author.strip())
    if m:
        return m.group(1) or m.group(2), m.group(2)
    return author, f"{author}@users.noreply.sandbox"


def init_bare(repo: BareRepo, branch: str, flags: Mapping[str, object]) -> None:
    repo.path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "--quiet", "--bare", f"--initial-branch={branch}",
                    str(repo.path)], check=True, capture_output=True, env=git_env(repo.root))
    for key, value in flags.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        repo.git("config", f"forge.{key}", text)


def commit_files(repo: BareRepo, branch: str, files: Files, message: str,
                 author: str = SEED_AUTHOR, parent: str | None = None) -> str:
    """Commit ``files`` (``None`` deletes a path) on top of ``parent`` (default: the branch tip)
    and move the branch there; returns the new commit SHA."""
    env = git_env(repo.root)
    fd, index = tempfile.mkstemp(prefix="sandbox-seed-index-")
    os.close(fd)
    os.unlink(index)
    env["GIT_INDEX_FILE"] = index
    name, email = person(author)
    env.update({"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
                "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email})

    def run(*args: str, data: bytes | None = None) -> str:
        proc = subprocess.run(["git", "--git-dir", str(repo.path), *args], input=data,
                              capture_output=True, env=env, check=True)
        return proc.stdout.decode().strip()

    old = repo.branch_sha(branch)
    base = parent if parent is not None else old
    try:
        if base:
            run("read-tree", base)
        for path, content in files.items():
            if content is None:
                run("update-index", "--force-remove", "--", path)
                continue
            data = content.encode() if isinstance(content, str) else content
            sha = run("hash-object", "-w", "--stdin", data=data)
            run("update-index", "--add", "--cacheinfo", f"100644,{sha},{path}")
        tree = run("write-tree")
        args = ["commit-tree", tree] + (["-p", base] if base else [])
        new = run(*args, data=message.encode() + b"\n")
    finally:
        if os.path.exists(index):
            os.unlink(index)
    repo.update_ref(f"refs/heads/{branch}", new, old or "0" * 40)
    return new


def create_repo(root: Path, owner: str, name: str, files: Files, branch: str = "main",
                message: str = "Initial commit",
                flags: Mapping[str, object] | None = None) -> BareRepo:
    repo = BareRepo(root, owner, name)
    if repo.exists():
        raise FileExistsError(f"{repo.path} already exists")
    init_bare(repo, branch, flags or {})
    if files:
        commit_files(repo, branch, files, message)
    return repo
