"""What the steps of one job do with the job token (``permissions`` transform, private).

Steps are read as plain data. Each token use becomes a :class:`Found` (where, and the KB need
with its reason and source); anything whose use of the token cannot be told becomes an entry
of ``unknown``, which makes the whole job unknown to the transform.
"""

from __future__ import annotations

import re
from collections.abc import Mapping as Map
from dataclasses import replace
from typing import Any

from fixbot.kb import Need, analyze_github_script, is_job_token, lookup_action
from fixbot.kb.actions import stores_of
from transforms._perm_model import (
    EXPORTED_TOKEN,
    OIDC_DOC,
    Analysis,
    Surroundings,
    env_map,
    mentions_job_token,
    text,
    token_vars,
)
from transforms._perm_shell import run_script

_INPUT_EXPR = re.compile(r"\$\{\{\s*((?:inputs|secrets)\.[A-Za-z0-9_-]+)\s*\}\}")
_REQUIRE = re.compile(r"require\(\s*[`'\"](?:\$\{\s*process\.env\.GITHUB_WORKSPACE\s*\}/|\./)"
                      r"([^`'\"]+)[`'\"]\s*\)")


def substitute(value: Any, inputs: Map[str, str] | None) -> Any:
    """Replace ``${{ inputs.x }}`` by the value the action was given (recursively)."""
    if inputs is None:
        return value
    if isinstance(value, str):
        return _INPUT_EXPR.sub(lambda m: inputs.get(m.group(1).lower(), m.group(0)), value)
    if isinstance(value, dict):
        return {k: substitute(v, inputs) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, inputs) for v in value]
    return value


def _label(n: int, step: Map[str, Any]) -> str:
    name = step.get("name")
    uses = step.get("uses")
    out = f"step {n}"
    if isinstance(name, str) and name.strip() and "${{" not in name:
        out += f' "{name.strip()}"'
    if isinstance(uses, str):
        out += f" ({uses.strip()})"
    elif not isinstance(name, str) and isinstance(step.get("run"), str):
        first = next((ln.strip() for ln in step["run"].splitlines() if ln.strip()), "")
        out += f" (`{first[:40]}{'…' if len(first) > 40 else ''}`)"
    return out


def _action_name(uses: str) -> str:
    return uses.split("@", 1)[0].strip().lower().rstrip("/")


def analyze_steps(steps: list[tuple[Any, str | None]], sur: Surroundings) -> Analysis:
    """Needs of a list of steps, each given with the version comment after its ``uses:``."""
    out = Analysis()
    persisted = False  # a checkout left the job token in .git/config
    stores: frozenset[str] = frozenset()  # tools a step configured with the job token
    exported: dict[str, str] = {}  # the token written to $GITHUB_ENV reaches every later step
    for n, (raw, comment) in enumerate(steps, 1):
        if not isinstance(raw, dict):
            continue
        step = substitute(raw, sur.inputs)
        where = _label(n, step)
        env = env_map(step.get("env"))
        if env is None:
            out.unknown.append(f"{where}: `env:` is an expression that may hold the job token")
            continue
        env = {**sur.env, **exported, **env}
        uses = step.get("uses")
        if isinstance(uses, str):
            with_ = step.get("with") if isinstance(step.get("with"), dict) else {}
            inputs = {str(k): text(v) for k, v in with_.items()}
            _uses(uses.strip(), inputs, comment, env, where, sur, out)
            if _action_name(uses) == "actions/checkout":
                persisted = persisted or _persists(inputs)
            stores |= frozenset(stores_of(uses, inputs, env))
        elif "run" in step:
            shell = step.get("shell") if "shell" in step else sur.shell
            script = text(step.get("run"))
            stores = run_script(script, shell, env, persisted or "git" in stores, where, sur, out,
                                stores)
            if "GITHUB_ENV" in script and (mentions_job_token(script) or any(
                    v in script for v in token_vars(env))):
                exported[EXPORTED_TOKEN] = "${{ github.token }}"
    return out


def _persists(inputs: Map[str, str]) -> bool:
    if inputs.get("persist-credentials", "true").strip().lower() == "false":
        return False
    if inputs.get("ssh-key", "").strip():
        return False
    token = inputs.get("token")
    return token is None or is_job_token(token)


def _uses(uses: str, inputs: Map[str, str], comment: str | None, env: Map[str, str],
          where: str, sur: Surroundings, out: Analysis) -> None:
    if "${{" in uses:
        out.unknown.append(f"{where}: the action is chosen by an expression")
        return
    if uses.startswith("./"):
        _local_action(uses, inputs, env, where, sur, out)
        return
    if uses.startswith("docker://"):
        if token_vars(env) or any(mentions_job_token(v) for v in inputs.values()):
            out.unknown.append(f"{where}: a Docker container that receives the job token")
        return
    if _action_name(uses) == "actions/github-script":
        _github_script(inputs, where, sur, out)
        return
    info = lookup_action(uses, inputs, comment)
    if info is None:
        out.unknown.append(f"{where}: `{uses.split('@', 1)[0]}` is not in the knowledge base")
        return
    for need in info.needs:
        out.add(where, need)


def _github_script(inputs: Map[str, str], where: str, sur: Surroundings, out: Analysis) -> None:
    script = inputs.get("script", "")
    if "getIDToken" in script or "ACTIONS_ID_TOKEN_REQUEST" in script:
        out.add(where, Need({"id-token": "write"}, "core.getIDToken() requests an OIDC token",
                            OIDC_DOC, via_token=False))
    token = inputs.get("github-token")
    if token is not None and not is_job_token(token):
        return  # the script's octokit client uses another credential
    sources = [script]
    for m in _REQUIRE.finditer(script):
        body = sur.ctx.read_text(m.group(1))
        if body is None:
            out.unknown.append(f"{where}: runs `{m.group(1)}`, which is not in the repository "
                               "context to read")
            return
        sources.append(body)
    for src in sources:
        found = analyze_github_script(src)
        for need in found.needs:
            out.add(where, need)
        out.unknown.extend(f"{where}: `{u}`" for u in found.unknown)



def _local_action(uses: str, inputs: Map[str, str], env: Map[str, str], where: str,
                  sur: Surroundings, out: Analysis) -> None:
    doc = sur.ctx.local_action(uses)
    if doc is None or not isinstance(doc.data, dict):
        out.unknown.append(f"{where}: the local action's action.yml is not in the repository "
                           "context to read")
        return
    data: dict[str, Any] = doc.data
    declared: dict[str, Any] = data["inputs"] if isinstance(data.get("inputs"), dict) else {}
    values: dict[str, str] = {}
    for name, spec in declared.items():
        given = inputs.get(str(name)) or next(
            (v for k, v in inputs.items() if k.lower() == str(name).lower()), None)
        default = spec.get("default") if isinstance(spec, dict) else None
        values[f"inputs.{name}".lower()] = given if given is not None else text(default)
    runs: dict[str, Any] = data["runs"] if isinstance(data.get("runs"), dict) else {}
    using = text(runs.get("using")).lower()
    if using == "composite" and isinstance(runs.get("steps"), list):
        if sur.depth >= 4:
            out.unknown.append(f"{where}: local actions nested too deep to follow")
            return
        seq = doc.node_at(("runs", "steps"))
        comments = version_comments(doc.text, seq) if seq is not None else []
        steps = [(s, comments[i] if i < len(comments) else None)
                 for i, s in enumerate(runs["steps"])]
        inner = analyze_steps(steps, replace(sur, env=env, inputs=values, depth=sur.depth + 1))
        out.extend(inner, f"{where} → ")
        return
    carried = [*values.values(), *(text(v) for v in (env_map(runs.get("env")) or {}).values()),
               *(text(a) for a in runs.get("args", []) if isinstance(runs.get("args"), list))]
    if token_vars(env) or any(mentions_job_token(v) for v in carried):
        kind = "JavaScript" if using.startswith("node") else "Docker" if using == "docker" else using
        out.unknown.append(f"{where}: a local {kind} action that receives the job token")


def version_comments(doc_text: str, seq: Any) -> list[str | None]:
    """For each item of a steps sequence node, the comment after its ``uses:`` value."""
    from fixbot.yamlmodel import Mapping, Scalar

    out: list[str | None] = []
    for item in getattr(seq, "items", []):
        uses = item.get("uses") if isinstance(item, Mapping) else None
        comment = None
        if isinstance(uses, Scalar):
            eol = doc_text.find("\n", uses.end)
            rest = doc_text[uses.end:eol if eol >= 0 else len(doc_text)]
            m = re.match(r"\s*#\s*(\S.*?)\s*$", rest)
            comment = m.group(1) if m else None
        out.append(comment)
    return out
