"""What a ``run:`` script does with the job token (``permissions`` transform, private).

A script counts only where it can reach the token: a variable of its environment set to
``github.token``/``secrets.GITHUB_TOKEN``, the token written into the script, or git with the
credentials ``actions/checkout`` persisted. Scripts are read with real parsers (bash through
tree-sitter-bash, PowerShell through tree-sitter-powershell, Python through libcst); a script no
parser reads, or one that fails to parse, is unknown wherever the token can reach it.
"""

from __future__ import annotations

from collections.abc import Mapping as Map
from typing import Any

from fixbot.kb import Need
from fixbot.kb.git_use import may_push_by_name
from fixbot.kb.model import ScriptAnalysis
from fixbot.kb.script_files import ScriptReader
from fixbot.kb.token import names_job_token, token_vars
from transforms._perm_model import EXPORTED_TOKEN, OIDC_DOC, Analysis, Surroundings, text

CONTENTS_DOC = ("https://docs.github.com/en/rest/authentication/permissions-required-for-github-apps"
                "#repository-permissions-for-contents")


def run_script(script: str, shell: Any, env: Map[str, str], persisted: bool, where: str,
               sur: Surroundings, out: Analysis, stores: frozenset[str] = frozenset()
               ) -> frozenset[str]:
    """Adds what the script needs to ``out``; returns the tools (``git``, ``docker``...) that are
    configured with the job token after it."""
    reach = bool(token_vars(env)) or names_job_token(script) or bool(stores)
    reader = ScriptReader(sur.ctx.read_text)
    result = reader.run_step(script, text(shell), env, persisted, stores)
    for maybe in result.oidc_tools:
        out.maybe.append(_oidc_maybe(where, maybe))
    _apply(result.analysis, where, reach, persisted, env, out)
    for path, why in result.unread:
        if reach:
            out.unknown.append(f"{where}: runs `{path}` with the job token ({why})")
        elif persisted and may_push_by_name(path):
            out.may_push.append(f"{where}: runs `{path}`, which may push with the persisted "
                                f"credentials ({why})")
    return frozenset(result.analysis.stores)


def _apply(a: ScriptAnalysis, where: str, reach: bool, persisted: bool, env: Map[str, str],
           out: Analysis) -> None:
    for need in a.needs:
        out.add(where, need)
    if reach or persisted:
        via = ""
        names = token_vars(env)
        if names:
            via = (" (a token an earlier step wrote to $GITHUB_ENV)" if names[0] == EXPORTED_TOKEN
                   else f" (in ${names[0]})")
        out.unknown.extend(f"{where}: {u}{via if 'runs with the job token' in u else ''}"
                           for u in a.unknown)
    out.may_push.extend(f"{where}: {m}" for m in a.may_push)


def _oidc_maybe(where: str, tool: str) -> Any:
    from transforms._perm_model import Found

    return Found(where, Need({"id-token": "write"}, f"`{tool}` can publish or sign with an OIDC "
                             "token (trusted publishing, keyless signing) when the job is granted "
                             "one", OIDC_DOC, via_token=False))
