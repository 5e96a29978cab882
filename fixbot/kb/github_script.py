"""What ``actions/github-script`` scripts do with the token (octokit calls on ``github``)."""

from __future__ import annotations

import re

from fixbot.kb.collect import Collector
from fixbot.kb.model import Need, ScriptAnalysis
from fixbot.kb.tables import normalize_api_path, octokit_need, rest_need, tables

# --- actions/github-script ------------------------------------------------------------------

_JS_COMMENT = re.compile(
    r"//[^\n]*|/\*.*?\*/|(\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`)", re.DOTALL
)
_OCTOKIT = re.compile(r"(?<![.\w$])github\s*\.\s*(?:rest\s*\.\s*)?([A-Za-z]+)\s*\.\s*([A-Za-z]+)\b")
_REQUEST = re.compile(r"\bgithub\s*\.\s*(request|paginate)\s*\(\s*(['\"`])([A-Z]+)\s+([^'\"`]+)\2")
_GRAPHQL = re.compile(r"\bgithub\s*\.\s*graphql\b")
_NOT_NAMESPACES = frozenset({"paginate", "request", "graphql", "hook", "log", "auth", "rest"})


def _strip_js_comments(src: str) -> str:
    return _JS_COMMENT.sub(lambda m: m.group(1) or "", src)


def analyze_github_script(script: str) -> ScriptAnalysis:
    """Needs of an ``actions/github-script`` ``script:`` (octokit calls on ``github``)."""
    out = Collector()
    src = _strip_js_comments(re.sub(r"\$\{\{.*?\}\}", "0", script, flags=re.DOTALL))
    for m in _OCTOKIT.finditer(src):
        ns, method = m.group(1), m.group(2)
        if ns in _NOT_NAMESPACES:
            continue
        need, known = octokit_need(ns, method)
        if known:
            out.need(need)
        else:
            out.unknown_use(f"github.rest.{ns}.{method}")
    for m in _REQUEST.finditer(src):
        method, path = m.group(3), m.group(4).strip()
        segs = normalize_api_path(path)
        need, known = rest_need(method, segs) if segs else (None, False)
        if known:
            out.need(need)
        else:
            out.unknown_use(f"github.{m.group(1)} {method} {path}")
    if re.search(r"\bcore\s*\.\s*getIDToken\s*\(", src):
        out.need(tables().oidc)
    if _GRAPHQL.search(src):
        out.unknown_use("github.graphql")
    if re.search(r"\bgithub\s*\.\s*request\s*\(\s*(?![\s'\"`])", src):
        out.unknown_use("github.request")  # a computed route
    if re.search(r"\bgithub\s*(?:\.\s*rest\s*)?\[", src):
        out.unknown_use("github.rest[...]")  # a method chosen at run time
    return out.result()


def github_script_oidc(script: str) -> Need | None:
    """``id-token: write`` when a ``script:`` names the OIDC request anywhere (whatever token its
    octokit client uses), else None."""
    markers, need = tables().github_script_oidc
    return need if any(m in script for m in markers) else None


def required_files(script: str) -> list[str]:
    """Repository files a ``script:`` runs through ``require()``, in the order they appear."""
    return [m.group(1) for pattern in tables().github_script_require for m in pattern.finditer(script)]
