"""What one job needs from the job token, steps and reusable-workflow calls alike (private to
the ``permissions`` transform)."""

from __future__ import annotations

from collections.abc import Mapping as Map
from typing import Any, cast

from fixbot.kb import Access, Need, is_job_token, lookup_reusable_workflow
from fixbot.kb.script_files import runner_default_shell
from fixbot.workflow import RepoContext
from fixbot.yamlmodel import Document
from transforms._perm_model import PACKAGES_DOC, Analysis, Surroundings, env_map, text
from transforms._perm_scopes import describe, parse_grant
from transforms._perm_steps import analyze_steps, substitute, version_comments

REUSE_DOC = ("https://docs.github.com/en/actions/sharing-automations/reusing-workflows"
             "#access-and-permissions")
MAX_DEPTH = 4


def analyze_job(doc: Document, job_id: str, ctx: RepoContext, depth: int = 0,
                seen: frozenset[str] = frozenset(), given: Map[str, str] | None = None
                ) -> Analysis:
    """Needs of ``jobs.<job_id>`` of ``doc`` (a workflow); ``given`` holds the values of
    ``inputs.x``/``secrets.x`` when the workflow is called by another one."""
    data = doc.data if isinstance(doc.data, dict) else {}
    job = (data.get("jobs") or {}).get(job_id)
    out = Analysis()
    if not isinstance(job, dict):
        return out
    if "uses" in job:
        _call(substitute(job, given), ctx, depth, seen, out)
        return out
    wf_env = env_map(substitute(data.get("env"), given))
    job_env = env_map(substitute(job.get("env"), given))
    if wf_env is None or job_env is None:
        out.unknown.append("`env:` is an expression that may hold the job token")
        return out
    _containers(job, out)
    steps = job.get("steps")
    if not isinstance(steps, list):
        return out
    seq = doc.node_at(("jobs", job_id, "steps"))
    comments = version_comments(doc.text, seq) if seq is not None else []
    pairs = [(s, comments[i] if i < len(comments) else None) for i, s in enumerate(steps)]
    shell = _default_shell(job) or _default_shell(data) or runner_default_shell(job)
    inner = analyze_steps(pairs, Surroundings(env={**wf_env, **job_env}, ctx=ctx, depth=depth,
                                              shell=shell, inputs=given))
    out.extend(inner, "")
    return out


def _default_shell(node: dict[str, Any]) -> Any:
    defaults = node.get("defaults")
    run = defaults.get("run") if isinstance(defaults, dict) else None
    return run.get("shell") if isinstance(run, dict) else None


def _containers(job: dict[str, Any], out: Analysis) -> None:
    """``container:``/``services:`` images pulled with the job token need ``packages: read``."""
    boxes: list[tuple[str, Any]] = [("container", job.get("container"))]
    services = job.get("services")
    if isinstance(services, dict):
        boxes += [(f"service `{k}`", v) for k, v in services.items()]
    for label, box in boxes:
        creds = box.get("credentials") if isinstance(box, dict) else None
        password = text(creds.get("password")) if isinstance(creds, dict) else ""
        if "${{" in password and is_job_token(password):
            image = text(box.get("image")) if isinstance(box, dict) else ""
            out.add(f"{label} ({image})" if image else label,
                    Need({"packages": "read"}, "pulls the image from GitHub Packages with the "
                         "job token", PACKAGES_DOC))


def _given(callee: dict[str, Any], caller: dict[str, Any]) -> dict[str, str]:
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


def _call(job: dict[str, Any], ctx: RepoContext, depth: int, seen: frozenset[str],
          out: Analysis) -> None:
    """A reusable-workflow caller needs the union of what the called jobs ask for or need."""
    uses = text(job.get("uses")).strip()
    where = f"calls `{uses}`"
    if "${{" in uses:
        out.unknown.append(f"{where}: the workflow is chosen by an expression")
        return
    if not uses.startswith("./"):
        info = lookup_reusable_workflow(uses)
        if info is None:
            out.unknown.append(f"{where}: the reusable workflow is not in the knowledge base")
            return
        for need in info.needs:
            out.add(where, need)
        return
    path = uses[2:].split("@", 1)[0]
    callee = ctx.parse(path)
    if callee is None or not isinstance(callee.data, dict):
        out.unknown.append(f"{where}: the called workflow is not in the repository context "
                           "to read")
        return
    if path in seen or depth >= MAX_DEPTH:
        out.unknown.append(f"{where}: reusable workflows nested too deep to follow")
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
            asked = parse_grant(block)
            if asked is None:
                out.unknown.append(f"{label}: its `permissions:` cannot be read exactly")
            elif asked:
                why = (f"the called job asks for {describe(asked)}; a caller that grants less "
                       "makes the run fail with startup_failure")
                out.add(label, Need(cast(dict[str, Access], asked), why, REUSE_DOC))
            continue
        given = _given(callee.data, job)
        out.extend(analyze_job(callee, str(jid), ctx, depth + 1, seen | {path}, given),
                   f"{label} → ")
