"""Merge a pull request with real git, without a work tree (fast-forward or a merge commit)."""

from __future__ import annotations

import subprocess

from fixbot.sandbox.gitstore import BareRepo, GitFailed, git_env
from fixbot.sandbox.store import Store, now_iso


class MergeConflict(Exception):
    """The head does not merge cleanly onto the base."""


def merge_refs(repo: BareRepo, base_ref: str, head_sha: str, message: str, login: str,
               fast_forward: bool = True) -> str:
    """Move ``refs/heads/<base_ref>`` to include ``head_sha``; returns the new tip."""
    base_sha = repo.branch_sha(base_ref)
    if base_sha is None:
        raise GitFailed(f"base branch {base_ref} does not exist")
    if repo.is_ancestor(head_sha, base_sha):
        return base_sha  # already merged
    if fast_forward and repo.is_ancestor(base_sha, head_sha):
        repo.update_ref(f"refs/heads/{base_ref}", head_sha, base_sha)
        return head_sha
    merged = subprocess.run(
        ["git", "--git-dir", str(repo.path), "merge-tree", "--write-tree", base_sha, head_sha],
        capture_output=True, env=git_env(repo.root),
    )
    if merged.returncode != 0:
        raise MergeConflict(merged.stdout.decode(errors="replace").splitlines()[0:1])
    tree = merged.stdout.decode().split()[0]
    env = git_env(repo.root)
    for prefix in ("AUTHOR", "COMMITTER"):
        env[f"GIT_{prefix}_NAME"] = login
        env[f"GIT_{prefix}_EMAIL"] = f"{login}@users.noreply.sandbox"
    proc = subprocess.run(
        ["git", "--git-dir", str(repo.path), "commit-tree", tree, "-p", base_sha, "-p", head_sha],
        input=message.encode(), capture_output=True, env=env, check=True,
    )
    new = proc.stdout.decode().strip()
    repo.update_ref(f"refs/heads/{base_ref}", new, base_sha)
    return new


def merge_pull(store: Store, repo: BareRepo, number: int, login: str,
               fast_forward: bool = True) -> str:
    """Merge an open pull request, record it as merged and closed; returns the merge commit SHA."""
    repo_id = int(store.repo_row(repo.full_name)["id"])
    row = store.issue(repo_id, number)
    if row is None or not row["is_pull"]:
        raise KeyError(f"{repo.full_name}#{number} is not a pull request")
    if row["state"] != "open":
        raise ValueError(f"{repo.full_name}#{number} is not open")
    head_sha = repo.branch_sha(row["head_ref"]) or row["head_sha"]
    base_before = repo.branch_sha(row["base_ref"]) or row["base_sha"]
    message = f"Merge pull request #{number} from {repo.owner}/{row['head_ref']}\n\n{row['title']}\n"
    new = merge_refs(repo, row["base_ref"], head_sha, message, login, fast_forward)
    stamp = now_iso()
    store.update_issue(
        int(row["id"]), state="closed", closed_at=stamp, merged_at=stamp, merge_commit_sha=new,
        merged_by=login, head_sha=head_sha, base_sha=base_before, updated_at=stamp,
    )
    return new
