"""Stage 1a of ``permissions``: plain values read out of workflow and action YAML (strings of
``env:`` and ``with:``, ``${{ inputs.x }}`` substituted, version comments, step labels)."""

from __future__ import annotations

import re
from collections.abc import Mapping as Map
from typing import Any

from fixbot.kb.token import with_token_outputs
from fixbot.yamlmodel import Mapping, Scalar

_INPUT_EXPR = re.compile(r"\$\{\{\s*((?:inputs|secrets)\.[A-Za-z0-9_-]+)\s*\}\}")


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def env_map(value: Any) -> dict[str, str] | None:
    """A plain ``env:`` value as strings (None when it is not a mapping, e.g. an expression)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        return None
    return {str(k): text(v) for k, v in value.items()}


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


def version_comments(doc_text: str, seq: Any) -> list[str | None]:
    """For each item of a steps sequence node, the comment after its ``uses:`` value."""
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


def label(n: int, step: Map[str, Any]) -> str:
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


def action_name(uses: str) -> str:
    return uses.split("@", 1)[0].strip().lower().rstrip("/")


def token_outputs_resolved(value: Any, steps: set[str]) -> Any:
    """``value`` with references to token-carrying step outputs written as the job token."""
    if not steps:
        return value
    if isinstance(value, str):
        return with_token_outputs(value, steps)
    if isinstance(value, dict):
        return {k: token_outputs_resolved(v, steps) for k, v in value.items()}
    if isinstance(value, list):
        return [token_outputs_resolved(v, steps) for v in value]
    return value


def given_to_callee(callee: dict[str, Any], caller: dict[str, Any]) -> dict[str, str]:
    """What the caller passes: ``inputs.x`` (or the callee's defaults) and ``secrets.x`` (under
    ``secrets: inherit`` the names keep their meaning, ``secrets.GITHUB_TOKEN`` included)."""
    on = callee.get("on")
    call = on.get("workflow_call") if isinstance(on, dict) else None
    declared = call.get("inputs") if isinstance(call, dict) else None
    out: dict[str, str] = {}
    for name, spec in (declared.items() if isinstance(declared, dict) else ()):
        if isinstance(spec, dict) and "default" in spec:
            out[f"inputs.{name}".lower()] = text(spec.get("default"))
    with_ = caller.get("with")
    for name, value in (with_.items() if isinstance(with_, dict) else ()):
        out[f"inputs.{name}".lower()] = text(value)
    secrets = caller.get("secrets")
    for name, value in (secrets.items() if isinstance(secrets, dict) else ()):
        out[f"secrets.{name}".lower()] = text(value)
    return out
