"""Stage 1 of ``permissions``: the steps of a job, read into typed facts.

A fact says what runs and which credentials it can reach: an action with its inputs, a ``run:``
script as the knowledge base's script reader reads it (bash through tree-sitter-bash, PowerShell
through tree-sitter-powershell, Python through libcst), an ``actions/github-script`` script with
the repository files it requires, code no reader here reads (a ``docker://`` image, a local
JavaScript or Docker action), a job or service container, a reusable workflow and what the jobs
it calls ask for. Local composite actions and local reusable workflows are followed, their facts
labelled with the path that leads to them. What cannot be read at all is an :class:`Opaque`.
Nothing here decides what a fact needs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping as Map
from dataclasses import dataclass, field
from typing import Any

from fixbot.action_source import ActionRef, Found, Missing, Unavailable
from fixbot.kb import is_job_token, lookup_action, lookup_reusable_workflow
from fixbot.kb.action_metadata import kind as action_kind
from fixbot.kb.action_metadata import reach as action_reach
from fixbot.kb.actions import persists_job_token, stores_of
from fixbot.kb.git_use import reads_persisted_credentials
from fixbot.kb.github_script import github_script_effects, github_script_sources
from fixbot.kb.script_files import ScriptReader, repo_dir, run_defaults
from fixbot.kb.token import (
    EXPORTED_NAME,
    exports_job_token,
    names_job_token,
    token_vars,
)
from fixbot.transforms.permissions.facts import (
    ActionStep,
    CalleeAsks,
    CalleeInherits,
    Container,
    Fact,
    GithubScript,
    MetaAction,
    Opaque,
    OpaqueCode,
    RemoteCall,
    ScriptStep,
    UnreadAction,
)
from fixbot.transforms.permissions.grants import parse_grant
from fixbot.transforms.permissions.read import (
    action_name,
    env_map,
    given_to_callee,
    label,
    substitute,
    text,
    token_outputs_resolved,
    version_comments,
)
from fixbot.workflow import RepoContext, is_local, local_path
from fixbot.yamlmodel import Document

MAX_DEPTH = 4  # local actions and reusable workflows followed this deep
# The name under which a token an earlier step wrote to $GITHUB_ENV is tracked.
EXPORTED_TOKEN = EXPORTED_NAME

@dataclass(frozen=True)
class _Surroundings:
    """What the steps of a job (or of a composite action) run inside."""

    env: Map[str, str]  # workflow env < job env (strings)
    ctx: RepoContext
    prefix: str  # the path to these steps, e.g. 'calls `./x.yml` → job `a` → '
    inputs: Map[str, str] | None = None  # values of ${{ inputs.x }} / ${{ secrets.x }}
    depth: int = 0
    shell: Any = None  # `defaults.run.shell` of the job or workflow
    action_path: str = ""  # a composite action's directory (``github.action_path``)
    workdir: str = ""  # `defaults.run.working-directory` of the job or workflow
    # the remote repository and ref these steps come from (a remote composite action or
    # reusable workflow): `$/path` in them names a file there, not in this repository
    origin: ActionRef | None = None


def job_facts(doc: Document, job_id: str, ctx: RepoContext) -> list[Fact]:
    """The facts of ``jobs.<job_id>`` of ``doc`` (a workflow), in document order."""
    out: list[Fact] = []
    _job(doc, job_id, ctx, 0, frozenset(), None, "", out)
    return out


def _job(doc: Document, job_id: str, ctx: RepoContext, depth: int, seen: frozenset[str],
         given: Map[str, str] | None, prefix: str, out: list[Fact],
         origin: ActionRef | None = None) -> None:
    """``given`` holds the values of ``inputs.x``/``secrets.x`` when the workflow is called."""
    data = doc.data if isinstance(doc.data, dict) else {}
    job = (data.get("jobs") or {}).get(job_id)
    if not isinstance(job, dict):
        return
    if "uses" in job:
        _call(substitute(job, given), ctx, depth, seen, prefix, out, origin)
        return
    wf_env = env_map(substitute(data.get("env"), given))
    job_env = env_map(substitute(job.get("env"), given))
    if wf_env is None or job_env is None:
        out.append(Opaque(f"{prefix}`env:` is an expression that may hold the job token"))
        return
    _containers(job, prefix, out)
    steps = job.get("steps")
    if not isinstance(steps, list):
        return
    seq = doc.node_at(("jobs", job_id, "steps"))
    comments = version_comments(doc.text, seq) if seq is not None else []
    pairs = [(s, comments[i] if i < len(comments) else None) for i, s in enumerate(steps)]
    shell, workdir = run_defaults(data, job)
    _steps(pairs, _Surroundings(env={**wf_env, **job_env}, ctx=ctx, prefix=prefix, depth=depth,
                                shell=shell, inputs=given, workdir=workdir, origin=origin), out)


def _containers(job: dict[str, Any], prefix: str, out: list[Fact]) -> None:
    boxes: list[tuple[str, Any]] = [("container", job.get("container"))]
    services = job.get("services")
    if isinstance(services, dict):
        boxes += [(f"service `{k}`", v) for k, v in services.items()]
    for what, box in boxes:
        creds = box.get("credentials") if isinstance(box, dict) else None
        password = text(creds.get("password")) if isinstance(creds, dict) else ""
        if "${{" in password and is_job_token(password):
            image = text(box.get("image")) if isinstance(box, dict) else ""
            out.append(Container(prefix + (f"{what} ({image})" if image else what)))


# GitHub substitutes ``${{ github.action_path }}`` before the step runs
_ACTION_PATH_EXPR = re.compile(r"\$\{\{\s*github\.action_path\s*\}\}")


@dataclass(frozen=True)
class _Creds:
    """Credentials earlier steps left for later ones (passed into composite actions and back)."""

    persisted: bool = False  # a checkout left the job token in .git/config
    stores: frozenset[str] = frozenset()  # tools a step configured with the job token
    exported: Map[str, str] = field(default_factory=dict)  # the token written to $GITHUB_ENV


def _steps(steps: list[tuple[Any, str | None]], sur: _Surroundings, out: list[Fact],
           creds: _Creds | None = None) -> _Creds:
    """Facts of a list of steps, each given with the version comment after its ``uses:``;
    returns the credentials they leave for the steps after them."""
    c = creds or _Creds()
    persisted, stores, exported = c.persisted, c.stores, dict(c.exported)
    token_outputs: set[str] = set()  # ids of steps whose outputs may carry the job token
    checkout_dir = ""  # where the repository was checked out (checkout's `path:`)
    for n, (raw, comment) in enumerate(steps, 1):
        if not isinstance(raw, dict):
            continue
        step = token_outputs_resolved(substitute(raw, sur.inputs), token_outputs)
        where = sur.prefix + label(n, step)
        env = env_map(step.get("env"))
        if env is None:
            out.append(Opaque(f"{where}: `env:` is an expression that may hold the job token"))
            continue
        env = {**sur.env, **exported, **env}
        uses = step.get("uses")
        if isinstance(uses, str) and uses.strip().startswith("$/") and sur.origin is not None:
            uses = sur.origin.in_repo(uses)  # a file of the remote repository
        if isinstance(uses, str):
            with_ = step.get("with") if isinstance(step.get("with"), dict) else {}
            inputs = {str(k): text(v) for k, v in with_.items()}
            after = _uses(uses.strip(), inputs, comment, env, where, sur, out,
                          _Creds(persisted, stores, exported))
            persisted, stores, exported = after.persisted, after.stores, dict(after.exported)
            if isinstance(step.get("id"), str) and _outputs_may_carry_token(uses, inputs, env, sur):
                token_outputs.add(step["id"])
            persisted = persisted or persists_job_token(uses, inputs)
            stores |= frozenset(stores_of(uses, inputs, env))
            if action_name(uses) == "actions/checkout" and not inputs.get("repository"):
                checkout_dir = inputs.get("path", "").strip().strip("/").removeprefix("./")
        elif "run" in step:
            shell = step.get("shell") if "shell" in step else sur.shell
            script = text(step.get("run"))
            if sur.action_path:
                script = _ACTION_PATH_EXPR.sub(sur.action_path, script)
            git = persisted or "git" in stores
            cwd = repo_dir(text(step.get("working-directory")) or sur.workdir, checkout_dir)
            read = ScriptReader(sur.ctx.read_text).run_step(script, text(shell), env, git, stores,
                                                            cwd)
            reach = bool(token_vars(env)) or names_job_token(script) or bool(stores) or (
                git and reads_persisted_credentials(script))
            out.append(ScriptStep(where, reach, git, tuple(token_vars(env)), read))
            stores = frozenset(read.analysis.stores)
            if exports_job_token(script, env) or "github-env" in stores:
                exported[EXPORTED_TOKEN] = "${{ github.token }}"
            if isinstance(step.get("id"), str) and (names_job_token(script) or token_vars(env)):
                token_outputs.add(step["id"])  # it (or a script it runs) may write it out
    return _Creds(persisted, stores, exported)


def _outputs_may_carry_token(uses: str, inputs: Map[str, str], env: Map[str, str],
                             sur: _Surroundings, depth: int = 0) -> bool:
    """Whether an action step's outputs may carry the job token: a github-script, or an action
    read from its action.yml (local, or remote and not in the knowledge base) that the token
    reaches (its env, its inputs, its action.yml naming it, or a nested action whose outputs
    may carry it)."""
    name = action_name(uses)
    reach = bool(token_vars(env)) or any(names_job_token(v) for v in inputs.values())
    if name == "actions/github-script":
        token = inputs.get("github-token")
        return reach or token is None or is_job_token(token)
    if is_local(uses):
        doc = sur.ctx.local_action(uses)
    elif lookup_action(uses, inputs) is None:
        answer = sur.ctx.actions.lookup(uses)
        doc = sur.ctx.actions.document(answer) if isinstance(answer, Found) else None
    else:
        return False
    if reach or doc is None or names_job_token(doc.text) or depth >= MAX_DEPTH:
        return True
    runs = doc.data.get("runs") if isinstance(doc.data, dict) else None
    steps = runs.get("steps") if isinstance(runs, dict) else None
    for step in steps if isinstance(steps, list) else []:
        nested = step.get("uses") if isinstance(step, dict) else None
        if isinstance(nested, str) and _outputs_may_carry_token(
                nested.strip(), {str(k): text(v) for k, v in (step.get("with") or {}).items()}
                if isinstance(step.get("with"), dict) else {}, {}, sur, depth + 1):
            return True
    return False


def _uses(uses: str, inputs: Map[str, str], comment: str | None, env: Map[str, str],
          where: str, sur: _Surroundings, out: list[Fact], creds: _Creds) -> _Creds:
    if "${{" in uses:
        out.append(Opaque(f"{where}: the action is chosen by an expression"))
    elif is_local(uses):
        doc = sur.ctx.local_action(uses)
        if doc is None or not isinstance(doc.data, dict):
            out.append(Opaque(f"{where}: the local action's action.yml is not in the repository "
                              "context to read"))
            return creds
        return _action(doc, local_path(uses), inputs, env, where, sur, out, creds)
    elif uses.startswith("docker://"):
        out.append(OpaqueCode(where, "a Docker container", bool(token_vars(env)) or any(
            names_job_token(v) for v in inputs.values()) or creds.persisted
            or bool({"git", "disk"} & creds.stores)))
    elif action_name(uses) == "actions/github-script":
        fact = _github_script(inputs, where, sur, env, creds)
        out.append(fact)
        effects = github_script_effects(fact.sources, env, fact.job_token)
        exported = dict(creds.exported)
        if "github-env" in effects:
            exported[EXPORTED_TOKEN] = "${{ github.token }}"
        return _Creds(creds.persisted, creds.stores | (effects - {"github-env"}), exported)
    elif lookup_action(uses, inputs, comment) is not None:
        out.append(ActionStep(where, uses, inputs, comment, dict(env)))
    else:
        return _remote_action(uses, inputs, env, where, sur, out, creds)
    return creds


def _remote_action(uses: str, inputs: Map[str, str], env: Map[str, str], where: str,
                   sur: _Surroundings, out: list[Fact], creds: _Creds) -> _Creds:
    """An action the knowledge base does not know, judged by its action.yml where a metadata
    source has it."""
    answer = sur.ctx.actions.lookup(uses)
    if isinstance(answer, Unavailable):
        out.append(UnreadAction(where, uses, answer.why))
        return creds
    if isinstance(answer, Missing):
        out.append(UnreadAction(where, uses, f"{answer.where} has no action.yml for it"))
        return creds
    doc = sur.ctx.actions.document(answer)
    if doc is None or not isinstance(doc.data, dict):
        out.append(UnreadAction(where, uses, f"its action.yml cannot be read ({answer.url})"))
        return creds
    git = creds.persisted or "git" in creds.stores
    if action_kind(doc.data) == "composite":
        out.append(MetaAction(where, uses, answer.url, "composite", (), git, ()))
        return _action(doc, "", inputs, env, where, sur, out, creds, answer.ref)
    r = action_reach(doc.data, inputs, env, creds.stores)
    out.append(MetaAction(where, uses, answer.url, action_kind(doc.data), r.carriers, git,
                          r.git_words))
    return creds


def _github_script(inputs: Map[str, str], where: str, sur: _Surroundings, env: Map[str, str],
                   creds: _Creds) -> GithubScript:
    script = inputs.get("script", "")
    token = inputs.get("github-token")
    job_token = token is None or is_job_token(token)
    sources, unread = github_script_sources(script, sur.ctx.read_text)
    return GithubScript(where, script, job_token, sources, unread, dict(env),
                        creds.persisted or bool({"git", "disk"} & creds.stores))


def _action(doc: Document, action_dir: str, inputs: Map[str, str], env: Map[str, str],
            where: str, sur: _Surroundings, out: list[Fact], creds: _Creds,
            origin: ActionRef | None = None) -> _Creds:
    """An action read from its action.yml: a local one (``action_dir`` is its directory in the
    repository) or a remote one (``action_dir`` is empty: its files are not at hand)."""
    data: dict[str, Any] = doc.data if isinstance(doc.data, dict) else {}
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
        if sur.depth >= MAX_DEPTH:
            out.append(Opaque(f"{where}: composite actions nested too deep to follow"))
            return creds
        seq = doc.node_at(("runs", "steps"))
        comments = version_comments(doc.text, seq) if seq is not None else []
        steps = [(s, comments[i] if i < len(comments) else None)
                 for i, s in enumerate(runs["steps"])]
        # the composite's steps see the caller's credentials (a checkout before the action, a
        # registry login) and leave theirs for the caller's later steps
        action_env = {"GITHUB_ACTION_PATH": action_dir} if action_dir else {}
        return _steps(steps, _Surroundings(
            env={**env, **action_env}, ctx=sur.ctx, prefix=f"{where} → ",
            inputs=values, depth=sur.depth + 1, shell=sur.shell, action_path=action_dir,
            origin=origin or sur.origin), out, creds)
    carried = [*values.values(), *(text(v) for v in (env_map(runs.get("env")) or {}).values()),
               *(text(a) for a in runs.get("args", []) if isinstance(runs.get("args"), list))]
    kind = "JavaScript" if using.startswith("node") else "Docker" if using == "docker" else using
    out.append(OpaqueCode(where, f"a local {kind} action", bool(token_vars(env)) or any(
        names_job_token(v) for v in carried) or creds.persisted or bool(creds.stores)))
    return creds


def _call(job: dict[str, Any], ctx: RepoContext, depth: int, seen: frozenset[str], prefix: str,
          out: list[Fact], origin: ActionRef | None = None) -> None:
    """A reusable-workflow call: the remote workflow, or what each local called job asks for or
    does."""
    uses = text(job.get("uses")).strip()
    where = f"{prefix}calls `{uses}`"
    if "${{" in uses:
        out.append(Opaque(f"{where}: the workflow is chosen by an expression"))
        return
    if origin is not None and uses.startswith("$/"):
        uses = origin.in_repo(uses)
    elif origin is not None and is_local(uses):
        out.append(Opaque(f"{where}: a `./` call inside a remote reusable workflow, whose "
                          "repository is not at hand"))
        return
    if not is_local(uses):
        answer = None if lookup_reusable_workflow(uses) else ctx.actions.lookup(uses)
        found = answer if isinstance(answer, Found) else None
        callee = ctx.actions.document(found) if found is not None else None
        if found is None or callee is None or not isinstance(callee.data, dict):
            out.append(RemoteCall(where, uses))
            return
        where += f" (read from {found.url})"
        path = found.ref.key
        origin = found.ref
    else:
        path = local_path(uses)
        callee = ctx.parse(path)
    if callee is None or not isinstance(callee.data, dict):
        out.append(Opaque(f"{where}: the called workflow is not in the repository context "
                          "to read"))
        return
    if path in seen or depth >= MAX_DEPTH:
        out.append(Opaque(f"{where}: reusable workflows nested too deep to follow"))
        return
    jobs = callee.data.get("jobs")
    if not isinstance(jobs, dict):
        return
    top = callee.node_at(("permissions",))
    for jid in jobs:
        own = callee.node_at(("jobs", jid, "permissions"))
        block = own if own is not None else top
        label = f"{where} → job `{jid}`"
        if block is not None:
            out.append(CalleeAsks(label, parse_grant(block)))
            continue
        out.append(CalleeInherits(label))
        _job(callee, str(jid), ctx, depth + 1, seen | {path}, given_to_callee(callee.data, job),
             f"{label} → ", out, origin)
