"""One step as fork-safety reads it: does it fetch the pull request's code, does it run code
from the workspace, does it act on the pull request through the API."""

from __future__ import annotations

from dataclasses import dataclass

from fixbot.action_source import Found
from fixbot.kb import fork
from fixbot.kb.action_metadata import kind as action_kind
from fixbot.workflow import RepoContext, is_local, scalar_text
from fixbot.yamlmodel import Mapping

_BASH = ("bash", "sh", "")


@dataclass
class StepView:
    index: int  # in the job's steps
    node: Mapping
    label: str  # "step 3 (`Build`)"
    uses: str = ""
    fetches_head: str = ""  # how it fetches the PR's code ("" when it does not)
    runs_code: str = ""  # what it runs from the workspace ("" when nothing)
    pr_action: fork.PrAction | None = None  # it acts on the pull request through the API
    local_kind: str = ""  # a local action's kind ("composite", "node20", "docker", "" unknown)
    local_inner: str = ""  # what a local action runs from the workspace itself


def _label(i: int, step: Mapping) -> str:
    name = scalar_text(step.get("name"))
    what = name or scalar_text(step.get("uses")) or (scalar_text(step.get("run")) or "").split("\n")[0]
    what = what if len(what) <= 60 else what[:57] + "..."
    return f"step {i + 1} (`{what}`)"


def _with(step: Mapping, key: str) -> str:
    w = step.get("with")
    return (scalar_text(w.get(key)) or "") if isinstance(w, Mapping) else ""


def _local_runs(uses: str, ctx: RepoContext) -> tuple[str, str]:
    """(kind, what it runs from the workspace) of a local action read from the base
    repository: a composite's ``run:`` steps and local actions run workspace files."""
    doc = ctx.local_action(uses)
    data = doc.data if doc is not None else None
    if not isinstance(data, dict):
        return "", f"`{uses}` (its action.yml is not in the repository context)"
    k = action_kind(data) or ""
    if k != "composite":
        return k, ""
    for s in (data.get("runs") or {}).get("steps") or []:
        if not isinstance(s, dict):
            continue
        inner = str(s.get("uses") or "")
        if "run" in s or inner.startswith(("./", "docker://")):
            return k, "a step of its own that runs in the workspace"
        if inner and fork.action_name(inner) not in fork.no_pr_code() | set(fork.pr_actions()):
            return k, f"`{inner}` from its own steps"
    return k, ""


def env_values(node: object) -> dict[str, str]:
    if not isinstance(node, Mapping):
        return {}
    return {str(k.value): scalar_text(v) or "" for k, v in node.items}


def view(i: int, step: Mapping, ctx: RepoContext, job_env: dict[str, str] | None = None
         ) -> StepView:
    s = StepView(i, step, _label(i, step))
    uses = scalar_text(step.get("uses")) or ""
    s.uses = uses
    if uses:
        name = fork.action_name(uses)
        if name == "actions/checkout":
            for key in ("ref", "repository"):
                value = _with(step, key)
                if fork.names_head(value):
                    s.fetches_head = f"`actions/checkout` with `{key}: {value}`"
                    break
                if "${{" in value and any(u in value.replace(" ", "")
                                          for u in fork.UNTRACED_REFS):
                    s.fetches_head = (f"`actions/checkout` with `{key}: {value}`, an expression "
                                      "fixbot does not trace, which may name the pull "
                                      "request's head")
                    break
        elif is_local(uses):
            if uses.startswith("./"):
                s.local_kind, inner = _local_runs(uses, ctx)
                s.local_inner = inner
                s.runs_code = f"the local action `{uses}` from the checkout" + (
                    f" ({inner})" if inner else "")
            else:
                s.local_kind, inner = _local_runs(uses, ctx)
                if inner:
                    s.runs_code = f"`{uses}`, whose steps run in the workspace ({inner})"
        elif name.startswith("docker://"):
            s.runs_code = f"`{uses}`, a container with the workspace mounted"
        elif name in fork.pr_actions():
            s.pr_action = fork.pr_actions()[name]
        elif name == "actions/github-script":
            script = _with(step, "script")
            if "require(" in script or "exec" in script:
                s.runs_code = f"`{uses}` whose script loads or runs other programs"
        elif name not in fork.no_pr_code():
            answer = ctx.actions.lookup(uses)
            if isinstance(answer, Found):
                doc = ctx.actions.document(answer)
                if doc is not None and isinstance(doc.data, dict) \
                        and action_kind(doc.data) == "composite":
                    s.runs_code = f"`{uses}`, a composite action that may run the workspace's code"
                else:
                    s.runs_code = f"`{uses}`, which may build, test or install what it finds"
            else:
                s.runs_code = f"`{uses}`, which may build, test or install what it finds"
        return s
    run = scalar_text(step.get("run"))
    if run is None:
        return s
    shell = (scalar_text(step.get("shell")) or "").split(" ")[0]
    if shell not in _BASH:
        s.runs_code = f"a `{shell}` script"
        if any(fork.names_head(w) for w in run.split()):
            s.fetches_head = f"unknown: a `{shell}` script that names the pull request's head"
        return s
    s.fetches_head = fork.fetches_head(run, {**(job_env or {}), **env_values(step.get("env"))}) or ""
    s.runs_code = fork.runs_workspace_code(run) or ""
    return s
