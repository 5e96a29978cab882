"""What the ``fork-safety`` transform knows (``fork.toml``): actions that act on a pull request
through the API, actions that run none of the workspace's code, the pinned artifact actions a
split adds; and how a step fetches a pull request's code or runs what is in the workspace."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from fixbot.kb import shell

GUIDE = "https://docs.github.com/en/actions/reference/security/securely-using-pull_request_target"
WORKFLOW_RUN = ("https://docs.github.com/en/actions/reference/workflows-and-actions/"
                "events-that-trigger-workflows#workflow_run")

# Expression fragments that name the pull request's own code (its head, or its merge commit).
HEAD_REFS = ("github.event.pull_request.head.", "github.head_ref", "refs/pull/",
             "github.event.workflow_run.head_", "github.event.pull_request.merge_commit_sha",
             "github.event.issue.number", "github.event.after")
# a checkout `ref:` read from these is traced by nobody here: it may name the head
UNTRACED_REFS = ("steps.", "needs.", "env.", "inputs.", "github.event.inputs.")

# Programs that read the workspace as data at most: running them after a checkout of the pull
# request's head runs none of its code. Anything else (make, npm, python, ./x.sh...) may.
DATA_PROGRAMS = frozenset({
    "echo", "printf", "cat", "ls", "test", "[", "[[", "true", "false", "exit", "cd", "mkdir",
    "cp", "mv", "rm", "touch", "jq", "grep", "egrep", "fgrep", "head", "tail", "wc", "sort",
    "uniq", "cut", "tr", "date", "sleep", "basename", "dirname", "pwd", "export", "set", "tee",
    "diff", "cmp", "sha256sum", "md5sum", "stat", "du", "df", "realpath", "readlink",
})


@dataclass(frozen=True)
class PrAction:
    uses: str
    number: tuple[str, ...]
    files: tuple[str, ...]
    scopes: tuple[str, ...]
    source: str


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    text = resources.files("fixbot.kb").joinpath("fork.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@lru_cache(maxsize=1)
def pr_actions() -> Mapping[str, PrAction]:
    out = {}
    for raw in _data()["pr_action"]:
        a = PrAction(str(raw["uses"]).lower(), tuple(raw["number"]), tuple(raw["files"]),
                     tuple(raw["scopes"]), str(raw["source"]))
        out[a.uses] = a
    return out


@lru_cache(maxsize=1)
def no_pr_code() -> frozenset[str]:
    return frozenset(a.lower() for a in _data()["no_pr_code"]["actions"])


def pin(name: str) -> str:
    """``owner/repo@sha # vX`` of an action a split adds (``upload-artifact``...)."""
    return str(_data()["pins"][name])


def action_name(uses: str) -> str:
    """``Owner/Repo/path@ref`` -> ``owner/repo/path``."""
    return uses.split("@", 1)[0].strip().rstrip("/").lower()


def names_head(text: str) -> bool:
    """Whether an expression or argument names the pull request's own code."""
    squeezed = text.replace(" ", "")
    return any(h in squeezed for h in HEAD_REFS)


def fetches_head(script: str, env: Mapping[str, str] | None = None) -> str | None:
    """How a bash script fetches the pull request's code (``gh pr checkout``, ``git fetch``,
    ``clone`` or ``checkout`` of a pull request's ref or repository, also through a variable of
    the step's ``env``), or None; "unknown: ..." where the script cannot be read."""
    parsed = shell.parse(script)
    for cmd in parsed.commands:
        heads = [n for n, v in (env or {}).items() if names_head(v)]
        words = tuple(w + "".join(" github.head_ref" for n in heads  # a variable naming it
                                  if f"${n}" in w or f"${{{n}}}" in w) for w in cmd.args)
        if cmd.program in ("gh", "hub") and words[:2] == ("pr", "checkout"):
            return f"`{cmd.text}`"
        if cmd.program == "hub" and words[:1] == ("checkout",):
            return f"`{cmd.text}`"
        if cmd.program == "git" and any(w in ("fetch", "checkout", "switch", "pull", "reset",
                                              "clone", "worktree") for w in words[:2]) \
                and any(names_head(w) or "pull/" in w for w in words):
            return f"`{cmd.text}`"
    if parsed.error:
        return f"unknown: the script cannot be parsed ({parsed.error})"
    return None


def runs_workspace_code(script: str) -> str | None:
    """The first command of a bash script that may run code from the workspace, or None."""
    parsed = shell.parse(script)
    if parsed.error:
        return f"a script fixbot cannot parse ({parsed.error})"
    for cmd in parsed.commands:
        if cmd.program == "git" or cmd.program == "gh" or cmd.program == "curl":
            continue
        if cmd.program not in DATA_PROGRAMS:
            return f"`{cmd.text}`"
    return None


_HEAD_REPO = "github.event.pull_request.head.repo."


def same_repository_guard(condition: str) -> str | None:
    """The part of a job's ``if:`` that lets it run only for pull requests whose head branch is
    in the repository itself (``github.event.pull_request.head.repo.full_name == 'o/r'`` or
    ``== github.repository``, ``head.repo.fork == false``, ``!…head.repo.fork``), which a
    fork's pull request never passes; None when there is none, or when an ``||`` or
    parentheses around it may let other runs through."""
    from fixbot.kb.injection import tokens

    inner = condition.strip()
    if inner.startswith("${{") and inner.endswith("}}"):
        inner = inner[3:-2]
    toks = tokens(inner)
    if toks is None or any(t in (("op", "||"), ("op", "("), ("op", ")")) for t in toks):
        return None
    parts: list[list[tuple[str, str]]] = [[]]
    for t in toks:
        if t == ("op", "&&"):
            parts.append([])
        else:
            parts[-1].append(t)
    for part in parts:
        text = "".join(v if k != "op" or v in (".", "!") else f" {v} "
                       for k, v in part).strip()
        flat = text.replace(" ", "").lower()
        if flat.startswith("!") and flat[1:] == _HEAD_REPO + "fork":
            return text
        for a, b in (flat.split("==", 1),) if flat.count("==") == 1 else ():
            for x, y in ((a, b), (b, a)):
                if x == _HEAD_REPO + "full_name" and (y == "github.repository"
                                                     or y[:1] in "'\"" and "/" in y):
                    return text
                if x == _HEAD_REPO + "fork" and y == "false":
                    return text
    return None
