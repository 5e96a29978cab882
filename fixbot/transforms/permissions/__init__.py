"""``permissions``: a read-only workflow default and the exact job-level scopes each job needs.

Each job's token use is analysed (actions through the knowledge base, ``run:`` scripts that can
reach the token, ``actions/github-script``, OIDC, local actions, reusable workflows). Then:

- a workflow without ``permissions:`` gets a read-only default before ``jobs:`` (``contents:
  read`` plus what every job shares), and each job that needs more gets its own block;
- ``write-all`` and blocks granting writes nothing uses are narrowed to the needed scopes;
- correct blocks, blocks granting less than the analysis finds (never elevated) and jobs whose
  needs are unknown keep their effective permissions exactly: no workflow-level block is added
  above a job whose needs are unknown (the other jobs get job-level blocks instead);
- reusable workflows (``on: workflow_call``) get no new block: they are capped by each caller.

The transform is a one-way pipeline; each stage imports only the stages before it (and
``grants``, the scope arithmetic they share):

``extract`` (steps → typed facts) → ``decide`` (the knowledge base: needs, or unknown, per fact)
→ ``plan`` (the blocks per job and for the workflow) → ``render`` (edits, explanations, notes).
"""

from __future__ import annotations

from fixbot.transforms.permissions.decide import decide_job
from fixbot.transforms.permissions.extract import job_facts
from fixbot.transforms.permissions.plan import plan_workflow
from fixbot.transforms.permissions.render import DOCS, ID, render
from fixbot.types import Finding
from fixbot.workflow import RepoContext, Workflow
from fixbot.yamlmodel import Mapping

__all__ = ["DOCS", "ID", "SUMMARY", "analyze"]

SUMMARY = "add a read-only permissions: default and the exact job-level scopes each job needs"


def analyze(wf: Workflow, ctx: RepoContext) -> list[Finding]:
    root = wf.root
    if root is None or not isinstance(root.get("jobs"), Mapping) or root.shared:
        return []
    needs = {jid: decide_job(job_facts(wf.doc, jid, ctx)) for jid, _ in wf.jobs()}
    plan = plan_workflow(wf, root, needs)
    return render(wf, plan) if plan is not None else []
