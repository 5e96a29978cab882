"""Scripts that use the git credentials actions/checkout persisted: release tools that push, and
the repository scripts a step runs (read them where possible, else judge them by their name).

Shared by the transforms that must know whether a job pushes with git (``persist-credentials``
keeps the credentials, ``permissions`` grants ``contents: write``).
"""

from __future__ import annotations

import re

# Release and publishing tools that push commits, tags or branches with git.
_PUSHING_TOOLS = re.compile(
    r"(?<![\w./-])(?:lerna\s+(?:publish|version)|release:(?:prepare|perform)|cargo\s+release|"
    r"release-it|semantic-release|git\s+subtree\s+push|hub\s+push|mkdocs\s+gh-deploy|"
    r"mike\s+(?:deploy|delete|set-default|alias)[^\n;&|]*--push|ghp-import[^\n;&|]*\s(?:-p|--push)|"
    r"gh-pages\s+(?:-d|--dist)|changeset\s+(?:publish|tag)|git-cliff[^\n;&|]*--push)")
# A repository script a step runs, optionally through an interpreter.
_SCRIPT_CALL = re.compile(
    r"(?:^|[\s;&|(])(?:(?:bash|sh|zsh|python3?|node|pwsh|ruby|perl)\s+)?"
    r"((?:\./|\$GITHUB_WORKSPACE/|\$\{\{\s*github\.workspace\s*\}\}/)?"
    r"[\w.-]+(?:/[\w.-]+)*\.(?:sh|bash|py|js|mjs|rb|pl|ps1))\b")
_WORKSPACE = re.compile(r"^(\$GITHUB_WORKSPACE/|\$\{\{\s*github\.workspace\s*\}\}/)")
# Script names that suggest pushing, for scripts that cannot be read.
_RISKY_NAME = re.compile(r"push|publish|release|deploy|tag|commit|sync|bump|backport", re.I)


def pushing_tool(script: str) -> str | None:
    """The first release tool in ``script`` that pushes with git, as written, or None."""
    m = _PUSHING_TOOLS.search(script)
    return m.group(0).strip() if m else None


def script_calls(script: str) -> list[str]:
    """Repository scripts ``script`` runs, as written (``./`` kept), workspace prefix removed."""
    return [_WORKSPACE.sub("", m.group(1)) for m in _SCRIPT_CALL.finditer(script)]


def may_push_by_name(path: str) -> bool:
    """Whether an unreadable script's file name suggests it pushes."""
    return bool(_RISKY_NAME.search(path.rsplit("/", 1)[-1]))
