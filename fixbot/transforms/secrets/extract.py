"""Extract: every place of a workflow where a credential can be written as text.

A *site* is one string scalar fixbot may rewrite, with what the value means there: an
``env:`` value (workflow, job, step, container, service), a ``with:`` input, a ``secrets:``
value passed to a reusable workflow, container and service ``credentials``, a ``run:`` script
(in its shell's language) and the Python scripts a step runs from the repository.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from fixbot.kb.script_files import ScriptReader, repo_dir, run_defaults
from fixbot.workflow import RepoContext, Workflow, scalar_text
from fixbot.yamlmodel import Mapping, Scalar, Sequence, to_plain

SiteKind = Literal["value", "run", "elsewhere", "action"]


@dataclass
class Site:
    kind: SiteKind
    node: Scalar
    location: str  # the Change location: "", "jobs.<id>", "jobs.<id>.steps[<n>]"
    where: str  # what the reader is told: "`env.NPM_TOKEN` of step 3 of job `publish`"
    name: str | None = None  # the key the value is assigned to (env name, input, credential)
    step: Mapping | None = None  # the step whose env a run: script or a Python file reads
    shell: str = ""  # run: the step's shell as written ("" the default)
    scripts: list[str] = field(default_factory=list)  # run: the repository Python files it runs
    cwd: str = ""  # run: the directory it runs in, from the repository root


def sites(wf: Workflow, ctx: RepoContext) -> Iterator[Site]:
    """Every place of the workflow that fixbot rewrites, then (kind ``elsewhere``) every other
    string value, where a credential is only reported, and (kind ``action``) each local action
    a step uses (``uses: ./path``), whose ``action.yml`` is only reported on: an action cannot
    read the ``secrets`` context."""
    seen: set[int] = set()
    for site in _sites(wf, ctx):
        seen.add(id(site.node))
        yield site
    if wf.root is not None:
        yield from _elsewhere(wf.root, seen, set())
        for job_id, job in wf.jobs():
            for i, step in wf.steps(job):
                uses = step.get("uses")
                used = scalar_text(uses)
                if isinstance(uses, Scalar) and used and used.startswith("./"):
                    path = used[2:].split("@")[0].strip("/")
                    yield Site("action", uses, f"jobs.{job_id}.steps[{i}]",
                               f"step {i + 1} of job `{job_id}`", name=path, step=step)


def _elsewhere(node: object, seen: set[int], done: set[int]) -> Iterator[Site]:
    """The string scalars below ``node`` (values, not keys) no other site covers."""
    if id(node) in done:
        return
    done.add(id(node))
    if isinstance(node, Mapping):
        for _, value in node.items:
            yield from _elsewhere(value, seen, done)
    elif isinstance(node, Sequence):
        for item in node.items:
            yield from _elsewhere(item, seen, done)
    elif isinstance(node, Scalar) and isinstance(node.value, str) and node.value \
            and id(node) not in seen:
        path = node.path
        loc = ""
        if len(path) >= 2 and path[0] == "jobs":
            loc = f"jobs.{path[1]}"
            if len(path) >= 4 and path[2] == "steps" and isinstance(path[3], int):
                loc += f".steps[{path[3]}]"
        shown = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
        yield Site("elsewhere", node, loc, f"`{shown}`")


def _sites(wf: Workflow, ctx: RepoContext) -> Iterator[Site]:
    root = wf.root
    if root is None:
        return
    yield from _mapping_values(root.get("env"), "", "env", "the workflow")
    plain_root = to_plain(root)
    for job_id, job in wf.jobs():
        loc = f"jobs.{job_id}"
        for part in ("env", "with", "secrets"):
            yield from _mapping_values(job.get(part), loc, part, f"job `{job_id}`")
        yield from _container(job.get("container"), loc, f"the container of job `{job_id}`")
        services = job.get("services")
        if isinstance(services, Mapping):
            for key, svc in services.items:
                yield from _container(svc, loc, f"service `{key.value}` of job `{job_id}`")
        shell, workdir = run_defaults(plain_root, to_plain(job))
        for i, step in wf.steps(job):
            sloc = f"{loc}.steps[{i}]"
            label = f"step {i + 1} of job `{job_id}`"
            yield from _mapping_values(step.get("env"), sloc, "env", label, step)
            yield from _mapping_values(step.get("with"), sloc, "with", label, step)
            run = step.get("run")
            if isinstance(run, Scalar) and isinstance(run.value, str):
                step_shell = scalar_text(step.get("shell")) or shell
                cwd = repo_dir(scalar_text(step.get("working-directory")) or workdir, "")
                found = ScriptReader(ctx.read_text).python_files(run.value, step_shell, cwd)
                yield Site("run", run, sloc, f"the `run` script of {label}", step=step,
                           shell=step_shell, scripts=found, cwd=cwd)


def _mapping_values(node: object, loc: str, prefix: str, owner: str,
                    step: Mapping | None = None) -> Iterator[Site]:
    """The string values of the mapping ``node`` (``env``, ``with``...) of ``owner``."""
    if not isinstance(node, Mapping):
        return
    for key, value in node.items:
        if isinstance(value, Scalar) and isinstance(value.value, str) and value.value:
            yield Site("value", value, loc, f"`{prefix}.{key.value}` of {owner}",
                       name=str(key.value), step=step)


def _container(node: object, loc: str, where: str) -> Iterator[Site]:
    if not isinstance(node, Mapping):
        return
    yield from _mapping_values(node.get("env"), loc, "env", where)
    creds = node.get("credentials")
    if isinstance(creds, Mapping):
        for key, value in creds.items:
            if str(key.value) == "password" and isinstance(value, Scalar) \
                    and isinstance(value.value, str) and value.value:
                yield Site("value", value, loc, f"`credentials.password` of {where}",
                           name="registry_password")
