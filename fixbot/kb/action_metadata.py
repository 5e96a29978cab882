"""What an action's own metadata (``action.yml``) says about the job token reaching it.

An action the knowledge base does not know can still be judged from its metadata: the token
reaches a JavaScript or Docker action only through what the runner hands it, which is

- its inputs (every input reaches the action as ``INPUT_<NAME>``): one the step gives the job
  token, or one whose default names it (``default: ${{ github.token }}``);
- its environment: the workflow's, job's and step's ``env:`` (a ``GITHUB_TOKEN`` set there), and
  for a Docker action the ``runs.env`` and ``runs.args`` of its metadata;
- credentials earlier steps left on the runner: a tool configured with the token (a registry
  login, ``gh auth``) and the git credentials ``actions/checkout`` persisted.

Without any of these, the action cannot use the job token, whatever its code does, so it needs
no scope of it. GitHub warns that an action can read the token "through the ``github.token``
context even if the workflow does not explicitly pass" it: that context is evaluated in the
action's metadata (an input default, ``runs.env``), which is exactly what is read here; the
runner does not put the token in a JavaScript action's environment by itself.
Sources: https://docs.github.com/en/actions/security-for-github-actions/security-guides/automatic-token-authentication
(the "Important" note), the metadata syntax (inputs become ``INPUT_<NAME>`` variables)
https://docs.github.com/en/actions/sharing-automations/creating-actions/metadata-syntax-for-github-actions ,
and https://github.com/activescott/automate-environment-deployment-approval/issues/20
(``process.env.GITHUB_TOKEN`` is not set in a JavaScript action).

Git credentials persisted by a checkout are the one path the metadata cannot rule out: any code
can run ``git push``. An action whose metadata speaks of git writes (committing, pushing, tags,
branches, releases, deployments, pages) may push with them; others are taken not to.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fixbot.kb.token import any_secret, names_job_token

_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
_ENV_REF = re.compile(r"^\s*env\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)\s*$", re.IGNORECASE)
_WORD = re.compile(r"[a-z]+")

# words in an action's name, description or inputs that say it may write with git
GIT_WRITE_WORDS = frozenset({
    "git", "commit", "commits", "committed", "committing", "push", "pushes", "pushed",
    "pushing", "tag", "tags", "tagging", "branch", "branches", "release", "releases",
    "publish", "publishes", "publishing", "deploy", "deploys", "deployment", "pages", "merge",
    "merges", "rebase", "amend", "changelog", "bump",
})

# tools configured with the job token that an action's code may use without being told
_CONFIGURED = ("docker", "helm", "nuget", "gh", "disk", "curl")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def carries_job_token(value: str, env: Mapping[str, str]) -> bool:
    """Whether a value the runner evaluates (an input, an ``env:`` value) may be the job token:
    an expression naming it, an ``env.X`` holding it, or a computed pick among all secrets."""
    if "${{" not in value:
        return False
    if names_job_token(value) or any_secret(value):
        return True
    for m in _EXPRESSION.finditer(value):
        ref = _ENV_REF.match(m.group(1))
        if ref and names_job_token(env.get(ref.group(1), "")):
            return True
    return False


@dataclass(frozen=True)
class Reach:
    """How the job token can reach a JavaScript or Docker action (empty: it cannot)."""

    carriers: tuple[str, ...]  # e.g. "input `token` (default `${{ github.token }}`)"
    git_words: tuple[str, ...]  # words of its metadata that speak of git writes


def input_values(data: Mapping[str, Any], given: Mapping[str, str]) -> dict[str, tuple[str, bool]]:
    """Each input the action gets: name (lower-cased) -> (value, whether it is the default)."""
    declared = data.get("inputs") if isinstance(data.get("inputs"), dict) else {}
    out: dict[str, tuple[str, bool]] = {}
    for name, spec in (declared or {}).items():
        default = spec.get("default") if isinstance(spec, dict) else None
        if default is not None:
            out[str(name).lower()] = (_text(default), True)
    for name, value in given.items():  # undeclared inputs reach the action too (a warning only)
        key = str(name).lower()
        # an empty value may leave the default in force: keep the default then
        if _text(value).strip() or key not in out:
            out[key] = (_text(value), False)
    return out


def reach(data: Mapping[str, Any], given: Mapping[str, str], env: Mapping[str, str],
          stores: frozenset[str]) -> Reach:
    """How the job token can reach a non-composite action with metadata ``data``, run by a step
    with inputs ``given`` in environment ``env`` after steps that configured ``stores``."""
    carriers: list[str] = []
    for name, (value, default) in sorted(input_values(data, given).items()):
        if carries_job_token(value, env):
            how = f"default `{value.strip()}`" if default else f"`with: {name}`"
            carriers.append(f"input `{name}` ({how})")
    for name in sorted(env):
        if carries_job_token(env[name], env):
            carriers.append(f"`{name}` in its environment")
    runs = data.get("runs")
    # a Docker action's `env` and `args`, `pre-if`, `entrypoint`
    for key, value in (runs.items() if isinstance(runs, dict) else ()):
        if any(carries_job_token(v, env) for v in _strings(value)):
            carriers.append(f"its `runs.{key}`")
    configured = sorted(s for s in stores if s in _CONFIGURED)
    if configured:
        carriers.append(f"the credentials an earlier step configured ({', '.join(configured)})")
    return Reach(tuple(carriers), git_write_words(data))


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [_text(value)]


def git_write_words(data: Mapping[str, Any]) -> tuple[str, ...]:
    """The words of the action's name, description and inputs that speak of git writes."""
    parts = [_text(data.get("name")), _text(data.get("description"))]
    declared = data.get("inputs") if isinstance(data.get("inputs"), dict) else {}
    for name, spec in (declared or {}).items():
        parts.append(str(name))
        if isinstance(spec, dict):
            parts.append(_text(spec.get("description")))
    words = {w for p in parts for w in _WORD.findall(p.lower().replace("_", " ").replace("-", " "))}
    return tuple(sorted(words & GIT_WRITE_WORDS))


def kind(data: Mapping[str, Any]) -> str:
    """``composite``, ``JavaScript``, ``Docker`` or what ``runs.using`` says."""
    runs = data.get("runs")
    using = _text(runs.get("using") if isinstance(runs, dict) else None).strip().lower()
    if using.startswith("node"):
        return "JavaScript"
    if using == "docker":
        return "Docker"
    return using or "unknown"


def action_verdict(uses: str, metadata: Any, depth: int = 0) -> str:
    """How a remote ``uses:`` (with no inputs, in no environment) is decided: ``kb`` (the
    knowledge base knows it), ``metadata`` (its action.yml shows the job token cannot reach it,
    or, for a composite, every step is decided so), or ``unknown``. ``metadata`` is a
    :class:`fixbot.action_source.Metadata`. For measuring coverage, not for decisions."""
    from fixbot.action_source import Found
    from fixbot.kb.actions import lookup_action

    if lookup_action(uses, {}) is not None:
        return "kb"
    answer = metadata.lookup(uses)
    doc = metadata.document(answer) if isinstance(answer, Found) else None
    if doc is None or not isinstance(doc.data, dict) or depth > 4:
        return "unknown"
    if kind(doc.data) != "composite":
        return "unknown" if reach(doc.data, {}, {}, frozenset()).carriers else "metadata"
    runs = doc.data.get("runs")
    steps = runs.get("steps") if isinstance(runs, dict) else None
    for step in steps if isinstance(steps, list) else []:
        if not isinstance(step, dict):
            continue
        if any(carries_job_token(v, {}) for v in _strings(step)):
            return "unknown"
        nested = step.get("uses")
        if isinstance(nested, str) and (nested.startswith(("./", "$/", "docker://")) or
                                        action_verdict(nested, metadata, depth + 1) == "unknown"):
            return "unknown"
    return "metadata"
