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
from fixbot.yamlmodel import Mapping, Scalar, to_plain

SiteKind = Literal["value", "run"]


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


def sites(wf: Workflow, ctx: RepoContext) -> Iterator[Site]:
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
                found = ScriptReader(ctx.read_text).run_step(run.value, step_shell, {}, False, cwd=cwd)
                yield Site("run", run, sloc, f"the `run` script of {label}", step=step,
                           shell=step_shell, scripts=list(found.python_files))


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
