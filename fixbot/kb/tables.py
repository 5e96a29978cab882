"""Loading ``scripts.toml``: the REST table, ``gh`` subcommands and octokit methods."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, cast

from fixbot.kb.model import SCOPE_LEVELS, Access, Need

_READ_METHODS = frozenset({"GET", "HEAD"})
# octokit method names that only read
_READ_VERB = re.compile(r"^(get|list|check|compare|download|search|export)(?=[A-Z]|$)")


@dataclass(frozen=True)
class RestRule:
    method: str  # "GET", "POST", ... or "*" (any); prefix rules ignore it
    segments: tuple[str, ...]
    prefix: bool
    scope: str | None  # prefix rules: the scope (read for GET/HEAD, else write)
    need: Need | None  # exact rules: the need (None scopes = unknown)


@dataclass(frozen=True)
class GhFlag:
    command: str  # "pr view": applies to this subcommand and the ones it prefixes ("pr")
    flag: str  # "--json"
    field: str | None  # a value of the flag ("closingIssuesReferences"); None: the flag itself
    need: Need | None  # None: the flag makes the command's needs unknown


@dataclass(frozen=True)
class StoreUse:
    store: str
    program: str
    args: re.Pattern[str] | None
    need: Need


@dataclass(frozen=True)
class Tables:
    rest: tuple[RestRule, ...]
    gh: Mapping[str, Need | None]  # "pr comment" -> need; None = the command's needs vary
    octokit: Mapping[str, Need | None]  # "issues.createComment" -> need; None = unknown
    namespaces: Mapping[str, tuple[str | None, str]]  # octokit namespace -> (scope, source)
    git: Mapping[str, Need]  # "push" / "read" -> need
    oidc: Need  # requesting the run's OIDC token
    gh_flags: tuple[GhFlag, ...] = ()  # flags of gh subcommands that reach further
    store_uses: tuple[StoreUse, ...] = ()  # commands using credentials a step wrote to disk
    gh_json_required: frozenset[str] = frozenset()  # subcommands unknown without --json
    # actions/github-script: text that names the OIDC request, and the need it brings
    github_script_oidc: tuple[tuple[str, ...], Need | None] = ((), None)
    # actions/github-script: require() of a repository file (group 1: its path)
    github_script_require: tuple[re.Pattern[str], ...] = ()


def _need(raw: Mapping[str, Any], default_source: str) -> Need:
    scopes = raw.get("scopes", {})
    for k, v in scopes.items():
        if v not in ("read", "write"):
            raise ValueError(f"bad access {v!r} for {k}")
    return Need(
        scopes=cast(dict[str, Access], dict(scopes)),
        reason=str(raw["reason"]),
        source=str(raw.get("source", default_source)),
        via_token=bool(raw.get("via_token", True)),
    )


def split_path(path: str) -> tuple[str, ...]:
    return tuple(s for s in path.strip("/").split("/") if s)


@lru_cache(maxsize=1)
def tables() -> Tables:
    text = resources.files("fixbot.kb").joinpath("scripts.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    rest: list[RestRule] = []
    for r in data.get("rest", []):
        unknown = bool(r.get("unknown", False))
        rest.append(
            RestRule(
                method=str(r.get("method", "*")).upper(),
                segments=split_path(str(r["path"]).lower()),
                prefix=False,
                scope=None,
                need=None if unknown else _need(r, ""),
            )
        )
    prefixes = sorted(data.get("rest_prefix", []), key=lambda r: -len(split_path(str(r["path"]))))
    for r in prefixes:
        rest.append(
            RestRule(
                method="*",
                segments=split_path(str(r["path"]).lower()),
                prefix=True,
                scope=r.get("scope"),
                need=None
                if r.get("unknown")
                else Need(scopes={}, reason=str(r["reason"]), source=str(r["source"])),
            )
        )
    gh: dict[str, Need | None] = {}
    for r in data.get("gh", []):
        for cmd in [r["command"], *r.get("aliases", [])]:
            gh[str(cmd)] = None if r.get("unknown") else _need(r, "")
    octokit: dict[str, Need | None] = {}
    for r in data.get("octokit", []):
        for m in [r["method"], *r.get("aliases", [])]:
            octokit[str(m)] = None if r.get("unknown") else _need(r, "")
    namespaces = {
        str(r["namespace"]): (r.get("scope"), str(r["source"])) for r in data.get("octokit_namespace", [])
    }
    git = {str(r["command"]): _need(r, "") for r in data.get("git", [])}
    oidc = _need(data["oidc"][0], "")
    flags = tuple(
        GhFlag(str(command), str(r["flag"]), r.get("field"),
               None if r.get("unknown") else _need(r, ""))
        for r in data.get("gh_flag", []) for command in r["commands"])
    stores = tuple(StoreUse(str(r["store"]), str(r["program"]),
                            re.compile(str(r["args"])) if "args" in r else None, _need(r, ""))
                   for r in data.get("store_use", []))
    json_required = frozenset(str(c) for r in data.get("gh", []) if r.get("json_required")
                              for c in [r["command"], *r.get("aliases", [])])
    gs_oidc = data["github_script_oidc"][0]
    gs_require = tuple(re.compile(str(r["pattern"])) for r in data.get("github_script_require", []))
    return Tables(tuple(rest), gh, octokit, namespaces, git, oidc, flags, stores, json_required,
                  (tuple(str(m) for m in gs_oidc["markers"]), _need(gs_oidc, "")), gs_require)


def _is_var(seg: str) -> bool:
    return "$" in seg or "__FIXBOT_EXPR_" in seg or seg.startswith("{") or seg.startswith("%")


def _seg_match(pat: str, seg: str) -> bool:
    if pat.startswith("{"):
        return True
    return not _is_var(seg) and pat == seg.lower()


def _candidates(segs: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Readings of a path: a variable right after ``repos`` may be ``owner/repo`` in one."""
    out = [segs]
    if len(segs) >= 2 and segs[0].lower() == "repos" and "$" in segs[1]:
        two = (segs[0], "{owner}", "{repo}", *segs[2:])
        whole = re.search(r"github[._]repository(?![._a-z])", segs[1].lower()) is not None
        out = [two, segs] if whole else [segs, two]
    return out


def _strip_query(u: str) -> str:
    """Drop ``?query`` and ``#fragment``, but not a ``?`` inside ``${VAR:?}``."""
    depth = 0
    for i, c in enumerate(u):
        if c == "{":
            depth += 1
        elif c == "}":
            depth = max(0, depth - 1)
        elif c in "?#" and depth == 0:
            return u[:i]
    return u


def normalize_api_path(url: str) -> tuple[str, ...] | None:
    """``https://api.github.com/repos/o/r/issues?x=1`` -> segments; None if not a REST path."""
    u = url.strip().strip("'\"")
    u = re.sub(r"^https?://api\.github\.com", "", u, flags=re.IGNORECASE)
    u = re.sub(r"^https?://uploads\.github\.com", "", u, flags=re.IGNORECASE)
    u = re.sub(r"^\$\{?GITHUB_API_URL\}?", "", u)
    u = re.sub(r"^https?://[^/]+/api/v3", "", u, flags=re.IGNORECASE)
    if re.match(r"^[a-z]+://", u, re.IGNORECASE):
        return None
    u = _strip_query(u)
    segs = split_path(u)
    return segs or None


def rest_need(method: str, segs: tuple[str, ...]) -> tuple[Need | None, bool]:
    """(need, known). known=False: no rule matched or the rule says the needs are unknown."""
    method = method.upper()
    readings = _candidates(segs)
    # the likelier reading first (``$GITHUB_REPOSITORY`` is owner/repo), across every rule
    for reading in readings:
        for rule in tables().rest:
            if rule.prefix:
                if len(reading) < len(rule.segments):
                    continue
            elif len(reading) != len(rule.segments):
                continue
            if rule.method not in ("*", method) and not rule.prefix:
                continue
            if not all(_seg_match(p, s) for p, s in zip(rule.segments, reading, strict=False)):
                continue
            if rule.need is None:
                return None, False
            if rule.prefix:
                if rule.scope is None:
                    return None, True
                level: Access = "read" if method in _READ_METHODS else "write"
                if level not in SCOPE_LEVELS.get(rule.scope, ()):
                    return None, False  # e.g. writing Dependabot alerts: not a token scope
                need = Need(
                    scopes={rule.scope: level},
                    reason=f"{method} /{'/'.join(rule.segments)}/...: {rule.need.reason}",
                    source=rule.need.source,
                )
                return need, True
            return rule.need, True
    return None, False


def octokit_need(namespace: str, method: str) -> tuple[Need | None, bool]:
    """Need of ``github.rest.<namespace>.<method>``; (None, False) when unknown."""
    t = tables()
    key = f"{namespace}.{method}"
    if key in t.octokit:
        need = t.octokit[key]
        return need, need is not None
    if namespace in t.namespaces:
        scope, source = t.namespaces[namespace]
        if scope is None:
            return None, False
        level: Access = "read" if _READ_VERB.match(method) else "write"
        reason = f"octokit {key} uses the {scope} API ({level})"
        return Need(scopes={scope: level}, reason=reason, source=source), True
    return None, False


@dataclass(frozen=True)
class ProgramRule:
    name: str  # the program as the shell runs it (lower case, no directory)
    args: re.Pattern[str] | None  # searched in the rest of the command line; None = any
    needs: tuple[Need, ...]  # empty: known to need no scope


@lru_cache(maxsize=1)
def program_rules() -> tuple[ProgramRule, ...]:
    """``[[program]]`` tables of ``scripts.toml``: well-known programs that use the job token."""
    text = resources.files("fixbot.kb").joinpath("scripts.toml").read_text(encoding="utf-8")
    out: list[ProgramRule] = []
    for r in tomllib.loads(text).get("program", []):
        source = str(r["source"])
        args = r.get("args")
        for name in (r["name"], *r.get("aliases", [])):
            out.append(ProgramRule(
                name=str(name).lower(),
                args=re.compile(str(args)) if args is not None else None,
                needs=tuple(_need(n, source) for n in r.get("needs", [])),
            ))
    return tuple(out)


def lookup_program(prog: str, line: str) -> tuple[Need, ...] | None:
    """Needs of a program run with the job token in its environment; None when unknown.

    ``line`` is the command line, program first. The first rule whose name matches and whose
    ``args`` pattern (if any) is found in the arguments applies.
    """
    rest = line.split(None, 1)[1] if len(line.split(None, 1)) > 1 else ""
    for rule in program_rules():
        if rule.name == prog.lower() and (rule.args is None or rule.args.search(rest)):
            return rule.needs
    return None
