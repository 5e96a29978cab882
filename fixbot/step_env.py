"""The environment a step's script sees, and a variable name free to add to it.

Shared by the transforms that move a ``${{ }}`` expression out of a ``run:`` script into the
step's ``env:`` (``template-injection``; ``secrets`` has the same rule in
``fixbot/transforms/secrets/names.py``, whose owners may switch to this module).
"""

from __future__ import annotations

from fixbot.workflow import Workflow
from fixbot.yamlmodel import Mapping, Scalar

_IDENT = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


def env_layers(wf: Workflow, job: Mapping | None, step: Mapping | None) -> list[dict[str, str]]:
    """The ``env:`` of the workflow, the job and the step (each ``{name: value as written}``,
    non-string values as their text), outermost first."""
    out: list[dict[str, str]] = []
    for owner in (wf.root, job, step):
        env = owner.get("env") if isinstance(owner, Mapping) else None
        layer: dict[str, str] = {}
        if isinstance(env, Mapping):
            for k, v in env.items:
                layer[str(k.value)] = str(v.value) if isinstance(v, Scalar) else ""
        out.append(layer)
    return out


def effective_env(layers: list[dict[str, str]]) -> dict[str, str]:
    """What the step's environment holds: inner layers override outer ones."""
    out: dict[str, str] = {}
    for layer in layers:
        out.update(layer)
    return out


def free_variable(name: str, script: str, taken: set[str]) -> str:
    """``name``, or ``name_2``…, so that the script does not mention it and no env sets it."""
    spans = []
    at = script.find("${{")
    while at >= 0:  # what an expression names is not a variable of the script
        end = script.find("}}", at)
        end = len(script) if end < 0 else end + 2
        spans.append(script[at:end])
        at = script.find("${{", end)
    for s in spans:
        script = script.replace(s, " ")
    words = set("".join(c if c in _IDENT else " " for c in script).split())
    candidate, n = name, 1
    while candidate in taken or candidate in words:
        n += 1
        candidate = f"{name}_{n}"
    return candidate
