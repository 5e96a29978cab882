"""Scope maps for the ``permissions`` transform: parsing existing blocks, comparing, rendering.

A *grant* is what a ``permissions:`` block gives the job token: a map scope -> ``read``/``write``
(scopes it leaves out are ``none``). ``read-all`` and ``write-all`` are expanded to explicit maps.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping as Map

from fixbot.kb import SCOPE_LEVELS
from fixbot.yamlmodel import Mapping, Scalar, YNode

Grant = dict[str, str]

_RANK = {"none": 0, "read": 1, "write": 2}

# The read-only default every job gets: enough to clone the repository (needed on private and
# internal repositories; see the transform's docs).
FLOOR: Grant = {"contents": "read"}


def _all(level: str) -> Grant:
    out: Grant = {}
    for scope, levels in sorted(SCOPE_LEVELS.items()):
        if level in levels:
            out[scope] = level
        elif level == "write" and "read" in levels:
            out[scope] = "read"
    return out


WRITE_ALL: Grant = _all("write")
READ_ALL: Grant = _all("read")


def parse_grant(node: YNode | None) -> Grant | None:
    """The grant of an existing ``permissions:`` value, or None when it cannot be read exactly
    (an expression, an unknown scope or level, a null value)."""
    if isinstance(node, Scalar):
        if node.value == "write-all":
            return dict(WRITE_ALL)
        if node.value == "read-all":
            return dict(READ_ALL)
        return None
    if not isinstance(node, Mapping):
        return None
    out: Grant = {}
    for k, v in node.items:
        scope = k.value
        level = v.value if isinstance(v, Scalar) else None
        if not isinstance(scope, str) or scope not in SCOPE_LEVELS:
            return None
        if level == "none":
            continue
        if not isinstance(level, str) or level not in SCOPE_LEVELS[scope]:
            return None
        out[scope] = level
    return out


def rank(grant: Map[str, str], scope: str) -> int:
    return _RANK[grant.get(scope, "none")]


def missing(grant: Map[str, str], needs: Map[str, str]) -> Grant:
    """The needed scopes ``grant`` does not give (at the needed level)."""
    return {s: lvl for s, lvl in sorted(needs.items()) if rank(grant, s) < _RANK[lvl]}


def excess_writes(grant: Map[str, str], needs: Map[str, str]) -> list[str]:
    """Scopes ``grant`` gives write access to that nothing needs to write."""
    return sorted(s for s, lvl in grant.items() if lvl == "write" and needs.get(s) != "write")


def capped(grant: Map[str, str], cap: Map[str, str] | None) -> Grant:
    """``grant`` limited to what ``cap`` allows (None: no cap)."""
    if cap is None:
        return dict(grant)
    out: Grant = {}
    for s, lvl in grant.items():
        r = min(_RANK[lvl], rank(cap, s))
        if r:
            out[s] = "write" if r == 2 else "read"
    return out


def union(*grants: Map[str, str]) -> Grant:
    """Scopes any of ``grants`` has, at the highest level (keys sorted)."""
    out: Grant = {}
    for g in grants:
        for s, lvl in g.items():
            if _RANK[lvl] > rank(out, s):
                out[s] = lvl
    return ordered(out)


def desired(needs: Map[str, str], cap: Map[str, str] | None) -> Grant:
    """The block a job should have: its needs plus the read-only floor (as far as ``cap`` has it)."""
    return union(needs, capped(FLOOR, cap))


def shared_reads(grants: Iterable[Map[str, str]]) -> Grant:
    """Scopes every grant has, at read level: the read-only default a workflow can share."""
    items = list(grants)
    if not items:
        return dict(FLOOR)
    common = set(items[0])
    for g in items[1:]:
        common &= set(g)
    return {s: "read" for s in sorted(common) if "read" in SCOPE_LEVELS[s]}


def ordered(grant: Map[str, str]) -> Grant:
    """Scopes sorted by name, the order blocks are rendered in."""
    return {s: grant[s] for s in sorted(grant)}


def describe(grant: Map[str, str]) -> str:
    """``contents: read, issues: write`` (or ``{}`` for an empty grant)."""
    if not grant:
        return "{}"
    if dict(grant) == WRITE_ALL:
        return "write-all"
    if dict(grant) == READ_ALL:
        return "read-all"
    return ", ".join(f"{s}: {grant[s]}" for s in sorted(grant))
