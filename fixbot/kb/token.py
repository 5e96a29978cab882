"""The one place that tells whether a value is the job's own ``GITHUB_TOKEN``.

Values come from workflow text (``env:``, ``with:``, scripts). GitHub substitutes ``${{ }}``
expressions before anything runs, so a value names the job token when one of its expressions
names ``github.token`` or ``secrets.GITHUB_TOKEN``. Shell variables are resolved by the caller
(it knows the environment); what cannot be resolved is :data:`VARIABLE`, which callers treat as
possibly the job token.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

Credential = Literal["job", "other", "variable", "none"]
JOB: Credential = "job"
OTHER: Credential = "other"
VARIABLE: Credential = "variable"
NONE: Credential = "none"

# The name under which a job token an earlier step wrote to $GITHUB_ENV is tracked (its real
# name is not known: it may be GH_TOKEN, overriding a job-level value).
EXPORTED_NAME = "FIXBOT_EXPORTED_TOKEN"

_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
_JOB_TOKEN = re.compile(r"(?<![\w.-])(?:github\s*\.\s*token|secrets\s*\.\s*github_token)(?![\w-])"
                        r"|github\s*\[\s*'token'\s*\]|secrets\s*\[\s*'github_token'\s*\]",
                        re.IGNORECASE)
_VAR = re.compile(r"\$env:([A-Za-z_][A-Za-z0-9_]*)|"
                  r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|([A-Za-z_][A-Za-z0-9_]*))", re.IGNORECASE)


def names_job_token(value: str) -> bool:
    """Whether a ``${{ }}`` expression in ``value`` names the job token (``github.token``,
    ``secrets.GITHUB_TOKEN``, alone or inside a larger expression)."""
    if "${{" not in value:
        return False
    return any(_JOB_TOKEN.search(m.group(1)) for m in _EXPRESSION.finditer(value))


# Expressions whose value may be the job token without naming it: an `env` value set elsewhere,
# and computed picks among all secrets or the whole github context. (A step output that carries
# the job token is resolved by the caller, which knows the steps.)
_INDIRECT = re.compile(r"(?<![\w.-])env\s*\.", re.IGNORECASE)
_ANY_SECRET = re.compile(r"tojson\s*\(\s*(?:secrets|github)\s*\)|(?<![\w.-])(?:secrets|github)\s*\[",
                         re.IGNORECASE)
_ENV_REF = re.compile(r"^\s*env\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)\s*$", re.IGNORECASE)


# a step's outputs inside an expression: `steps.<id>.outputs...` or `steps['<id>'].outputs...`
_STEP_REF = re.compile(r"(?<![\w.-])steps\s*(?:\.\s*([A-Za-z_][\w-]*)|\[\s*'([^']+)'\s*\])\s*"
                       r"(?:\.\s*outputs|\[\s*'outputs'\s*\])", re.IGNORECASE)


def with_token_outputs(value: str, steps: set[str]) -> str:
    """``value`` with every expression that reads an output of a step in ``steps`` (those whose
    outputs may carry the job token; any form: ``.outputs.x``, ``['x']``, ``a || b``) written as
    the job token."""
    if not steps or "steps" not in value:
        return value

    def one(m: re.Match[str]) -> str:
        ids = {(r.group(1) or r.group(2) or "") for r in _STEP_REF.finditer(m.group(1))}
        return "${{ github.token }}" if ids & steps else m.group(0)

    return _EXPRESSION.sub(one, value)


def any_secret(value: str) -> bool:
    """``toJSON(secrets)``, ``secrets[...]``, ``toJSON(github)``: a computed choice among every
    secret (the job token included); what it holds cannot be told."""
    return any(_ANY_SECRET.search(m.group(1)) for m in _EXPRESSION.finditer(value))


def credential(value: str, env: Mapping[str, str] | None = None, depth: int = 0) -> Credential:
    """What credential ``value`` carries: the job token, another credential (an expression that
    does not name it, e.g. ``secrets.PAT``), something whose content is not known (a shell
    variable, a command substitution, a step output, a computed choice of secrets), or none.

    ``env`` maps variable names to their values as far as they are known; ``$NAME`` and
    ``${{ env.NAME }}`` are resolved through it (a few levels deep).
    """
    if "$" not in value and "`" not in value:
        return NONE  # no expression, variable or command output: plain text
    if names_job_token(value) or any_secret(value):
        return JOB  # a computed pick among all secrets, or a whole context, is taken as it
    found: list[Credential] = []
    for m in _EXPRESSION.finditer(value):
        ref = _ENV_REF.match(m.group(1))
        if ref and env is not None and ref.group(1) in env and depth < 4:
            found.append(credential(env[ref.group(1)], env, depth + 1))
        elif _INDIRECT.search(m.group(1)):
            found.append(VARIABLE)
        else:
            found.append(OTHER)
    bare = _EXPRESSION.sub("", value)
    if "$(" in bare or "`" in bare:
        found.append(VARIABLE)  # the output of a command (`$(gh auth token)`)
    for m in _VAR.finditer(bare):
        name = m.group(1) or m.group(2) or m.group(3)
        if env is not None and name in env and depth < 4:
            found.append(credential(env[name], env, depth + 1))
        else:
            found.append(VARIABLE)
    for kind in (JOB, VARIABLE, OTHER):
        if kind in found:
            return kind
    return NONE


def is_job_token_input(value: str | None) -> bool:
    """A token *input* of an action that is the job token: one naming it, or an empty one (actions
    fall back to ``github.token``). ``None`` (absent) is not decided here."""
    if value is None:
        return False
    return not value.strip() or names_job_token(value) or any_secret(value)


def token_vars(env: Mapping[str, str]) -> list[str]:
    """Names of the environment variables that hold the job token, or may: a computed pick
    among all secrets, or the whole ``secrets``/``github`` context as JSON (it contains the
    token), is taken to be the token itself, so every program that gets it is judged as one
    that gets the token."""
    return sorted(k for k, v in env.items() if names_job_token(v) or any_secret(v))


def exports_job_token(script: str, env: Mapping[str, str]) -> bool:
    """Whether a ``run:`` script may write the job token to ``$GITHUB_ENV`` (every later step of
    the job then has it): it names ``GITHUB_ENV`` and the token or a variable holding it."""
    return "GITHUB_ENV" in script and (names_job_token(script) or any(
        v in script for v in token_vars(env)))
