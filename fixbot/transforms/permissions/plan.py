"""Stage 3 of ``permissions``: the blocks each job and the workflow should get.

Per job: what it is granted now, what it needs, and its status (``default`` no block anywhere,
``ok``, ``broad`` grants writes nothing uses, ``listed`` its own list does, ``unknown``,
``unreadable``, ``under`` granted less than it needs, ``aliased`` inside a YAML anchor,
``ignored`` by a ``# fixbot: ignore[permissions]`` comment on it or one of its steps). Then
for the workflow: the new workflow-level default (if any), the jobs that get their exact block,
and the jobs of unknown needs that keep the workflow-level block as their own.
"""

from __future__ import annotations

from collections.abc import Mapping as Map
from dataclasses import dataclass

from fixbot import ignore
from fixbot.transforms.permissions.decide import Analysis, Found, granted_oidc_need
from fixbot.transforms.permissions.grants import (
    FLOOR,
    READ_ALL,
    Grant,
    capped,
    desired,
    excess_writes,
    missing,
    parse_grant,
    shared_reads,
    union,
)
from fixbot.workflow import Workflow
from fixbot.yamlmodel import Mapping

# Jobs that cannot be edited (inside a YAML anchor, or kept away by an ignore comment): nothing
# may be moved onto them.
_FIXED = ("aliased", "ignored")
# Jobs whose effective permissions must not change.
PINNED = {"unknown", "unreadable", "under", *_FIXED}


@dataclass
class JobPlan:
    id: str
    node: Mapping
    line: int
    own: bool  # the job has its own permissions: key
    cap: Grant | None  # what it is granted now (None: the repository default)
    found: list[Found]  # what its steps need, and why
    unknown: list[str]  # what its steps do with the token that cannot be told
    needs: Grant
    want: Grant
    status: str  # default | ok | broad | listed | unknown | unreadable | under | aliased | ignored
    caller: bool
    evidence: tuple[str, ...] = ()  # actions shown by their action.yml to need nothing
    credentials: tuple[str, ...] = ()  # steps whose action gets another credential (decide)


@dataclass
class Plan:
    root: Mapping
    top_present: bool
    top: Grant | None  # the workflow-level grant now (None: absent or unreadable)
    triggers: set[str]
    callee: bool  # a reusable workflow (on: workflow_call)
    jobs: list[JobPlan]
    new_top: Grant | None  # the new workflow-level default, if it changes
    job_blocks: list[JobPlan]  # jobs that get their exact block
    moved: list[JobPlan]  # jobs of unknown needs that keep the workflow-level block as their own

    @property
    def blocked(self) -> list[JobPlan]:
        """Jobs without a block of their own whose permissions must not change."""
        return [p for p in self.jobs if not p.own and p.status in PINNED]


def plan_workflow(wf: Workflow, root: Mapping, needs: Map[str, Analysis]) -> Plan | None:
    """The plan for a workflow whose jobs need ``needs`` (by job id); None without jobs."""
    top_present = root.key_node("permissions") is not None
    top = parse_grant(root.get("permissions")) if top_present else None
    jobs = _jobs(wf, root, needs, top_present, top)
    if not jobs:
        return None
    triggers = wf.triggers()
    callee = "workflow_call" in triggers
    new_top, job_blocks, moved = _blocks(jobs, top_present, top, callee,
                                         isinstance(root.get("permissions"), Mapping))
    return Plan(root, top_present, top, triggers, callee, jobs, new_top, job_blocks, moved)


def _jobs(wf: Workflow, root: Mapping, needs: Map[str, Analysis], top_present: bool,
          top: Grant | None) -> list[JobPlan]:
    plans: list[JobPlan] = []
    jobs_node = root.get("jobs")
    # An ignored job, or a job with an ignored step, keeps its effective permissions exactly.
    kept = ignore.kept_away(wf.doc, "permissions")
    for jid, job in wf.jobs():
        key = jobs_node.key_node(jid) if isinstance(jobs_node, Mapping) else None
        own = job.key_node("permissions") is not None
        cap = parse_grant(job.get("permissions")) if own else top if top_present else None
        a = needs[jid]
        grant_node = job.get("permissions") if own else root.get("permissions") if (
            top_present) else None
        found = _keep_oidc(a, cap, isinstance(grant_node, Mapping)) + _keep_push(a, cap)
        used: Grant = union(*(f.need.scopes for f in found))
        if a.unknown:
            status = "unknown"
        elif (own or top_present) and cap is None:
            status = "unreadable"
        elif cap is None:
            status = "default"
        elif missing(cap, used):
            status = "under"
        elif excess_writes(cap, used) or (cap == READ_ALL and desired(used, cap) != cap):
            status = "broad"
        else:
            status = "ok"
        if status == "broad" and own and isinstance(job.get("permissions"), Mapping):
            status = "listed"  # a job's own scope list is a deliberate choice: only noted
        if status in ("default", "broad") and (job.shared or (
                own and (job.get("permissions") or job).shared)):
            status = "aliased"
        if any(ignore.at_or_under(where, f"jobs.{jid}") for where in kept):
            status = "ignored"
        plans.append(JobPlan(jid, job, (key.line if key else job.line) + 1, own, cap, found,
                             list(a.unknown), used, desired(used, cap), status,
                             job.get("uses") is not None, tuple(a.evidence),
                             tuple(a.credentials)))
    return plans


def _keep_push(a: Analysis, cap: Grant | None) -> list[Found]:
    """Steps that may push with the persisted git credentials keep ``contents: write`` where the
    job may have it now (granted, or the repository default, which may be read-write); a job
    without it cannot push today, so they need nothing more."""
    if cap is not None and cap.get("contents") != "write":
        return []
    if any(f.need.scopes.get("contents") == "write" for f in a.found):
        return []  # needed anyway: nothing to add to the explanation
    return [f for f in a.may_push if f not in a.found]


def _keep_oidc(a: Analysis, cap: Grant | None, listed: bool) -> list[Found]:
    """What the job needs, keeping a granted ``id-token: write`` that may be in use: every
    program of the job can ask for an OIDC token, so only a listed grant's or a publish
    command's use is assumed."""
    found = list(a.found)
    if cap is None or cap.get("id-token") != "write":
        return found
    if any("id-token" in f.need.scopes for f in found):
        return found
    if a.maybe:
        found += [f for f in a.maybe if f not in found]
    elif a.callees and not a.inherits:
        pass  # every called job has a block of its own: none runs with this grant
    elif listed:
        found.append(Found("the job's `permissions:`", granted_oidc_need()))
    return found


def _default_for(wants: list[Grant], old: Grant | None) -> Grant:
    """The workflow-level default: the read-only floor plus the read scopes every job uses at
    read level, when that lets some job do without a block of its own."""
    floor = capped(FLOOR, old)
    if not wants:
        return floor
    shared = union(floor, {s: "read" for s in shared_reads(wants)
                           if all(w.get(s) == "read" for w in wants)})
    return shared if any(w == shared for w in wants) else floor


def _blocks(plans: list[JobPlan], top_present: bool, top: Grant | None, callee: bool,
            listed: bool = False) -> tuple[Grant | None, list[JobPlan], list[JobPlan]]:
    """The new workflow-level default (or None), the jobs that get their exact block, and the
    jobs of unknown needs that get a copy of the workflow-level block (keeping it exactly)."""
    governed = [p for p in plans if not p.own]
    blocked = [p for p in governed if p.status in PINNED]
    known = [p for p in governed if p not in blocked]
    jobs = [p for p in plans if p.own and p.status == "broad"]
    if not top_present:
        if callee:
            return None, jobs, []
        if governed and all(p.status == "aliased" for p in blocked):
            # a job inside a YAML anchor cannot be edited, but may need no block of its own
            new_top = _default_for([p.want for p in governed], None)
            needing = [p for p in governed if p.want != new_top]
            if all(p.status != "aliased" for p in needing):
                return new_top, jobs + needing, []
        return None, jobs + [p for p in governed if p.status == "default"], []
    if top is None:
        return None, jobs, []
    if blocked:
        # Jobs of unknown needs keep exactly what they have: when the workflow level grants
        # writes some other job does not use, it moves onto them and the rest is narrowed.
        # (also when no other job gains, for write scopes listed at the workflow level: they
        # are kept off the jobs added later, which is what a workflow-level default is for;
        # `write-all` stays where it is, since moving it changes nothing it grants)
        movable = all(p.status not in _FIXED for p in blocked) and (any(
            excess_writes(top, p.needs) for p in known) or (listed and bool(excess_writes(
                top, {}))))
        if not movable:
            return None, jobs + [p for p in governed if p.status == "broad"], []
        new_top = _default_for([p.want for p in known], top)
        return new_top, jobs + [p for p in known if p.want != new_top], blocked
    if any(p.status == "broad" for p in governed) or (not governed and excess_writes(top, {})):
        new_top = _default_for([p.want for p in governed], top)
        return new_top, jobs + [p for p in governed if p.want != new_top], []
    return None, jobs, []
