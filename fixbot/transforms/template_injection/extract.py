"""Extract: every script a step hands to an interpreter, with the facts that decide it.

A *site* is a ``run:`` script (with the shell it runs in) or the ``script:`` input of
``actions/github-script``, with the workflow's facts about its values (input types, whether
the job's matrix is literal) and the step's environment.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from fixbot.kb.injection import Facts
from fixbot.kb.script_files import run_defaults
from fixbot.workflow import Workflow, scalar_text
from fixbot.yamlmodel import Mapping, Scalar, to_plain

SiteKind = Literal["run", "github-script"]


@dataclass
class Site:
    kind: SiteKind
    node: Scalar  # the script
    location: str  # "jobs.<id>.steps[<n>]"
    label: str  # "step 2 of job `check`"
    job: Mapping
    step: Mapping
    shell: str  # run: the step's shell as written, else the job's or workflow's default
    facts: Facts


def input_types(plain_root: object) -> dict[str, str]:
    """Input name (lower-case) -> type, over ``workflow_dispatch`` and ``workflow_call``; a name
    the two declare with different types counts as a string."""
    out: dict[str, str] = {}
    on = plain_root.get("on", plain_root.get(True)) if isinstance(plain_root, dict) else None
    if not isinstance(on, dict):
        return out
    for trigger in ("workflow_dispatch", "workflow_call"):
        spec = on.get(trigger)
        inputs = spec.get("inputs") if isinstance(spec, dict) else None
        if not isinstance(inputs, dict):
            continue
        for name, decl in inputs.items():
            kind = str(decl.get("type", "string")) if isinstance(decl, dict) else "string"
            key = str(name).lower()
            out[key] = kind if out.get(key, kind) == kind else "string"
    return out


def _literal_matrix(plain_job: object) -> bool:
    strategy = plain_job.get("strategy") if isinstance(plain_job, dict) else None
    return "${{" not in repr(strategy)


def sites(wf: Workflow) -> Iterator[Site]:
    root = wf.root
    if root is None:
        return
    plain_root = to_plain(root)
    types = input_types(plain_root)
    for job_id, job in wf.jobs():
        plain_job = to_plain(job)
        facts = Facts(types, _literal_matrix(plain_job))
        shell, _ = run_defaults(plain_root, plain_job)
        for i, step in wf.steps(job):
            loc = f"jobs.{job_id}.steps[{i}]"
            label = f"step {i + 1} of job `{job_id}`"
            run = step.get("run")
            if isinstance(run, Scalar) and isinstance(run.value, str):
                if "${{" in run.value:
                    yield Site("run", run, loc, label, job, step,
                               scalar_text(step.get("shell")) or shell, facts)
                continue
            uses = (scalar_text(step.get("uses")) or "").split("@", 1)[0].strip().lower()
            with_ = step.get("with")
            script = with_.get("script") if isinstance(with_, Mapping) else None
            if uses == "actions/github-script" and isinstance(script, Scalar) \
                    and isinstance(script.value, str) and "${{" in script.value:
                yield Site("github-script", script, loc, label, job, step, "", facts)
