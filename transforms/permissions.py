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
"""

from __future__ import annotations

from dataclasses import dataclass

from fixbot import yamledit
from fixbot.kb import Need
from fixbot.types import Change, Finding, Note
from fixbot.workflow import RepoContext, Workflow
from fixbot.yamlmodel import Mapping, Scalar
from transforms import _perm_text as txt
from transforms._perm_jobs import analyze_job
from transforms._perm_model import OIDC_DOC, Analysis, Found
from transforms._perm_scopes import (
    FLOOR,
    READ_ALL,
    Grant,
    capped,
    describe,
    desired,
    excess_writes,
    missing,
    ordered,
    parse_grant,
    shared_reads,
    union,
)

ID = "permissions"
SUMMARY = "add a read-only permissions: default and the exact job-level scopes each job needs"
DOCS = txt.TOKEN_DOC

PINNED = {"unknown", "unreadable", "under", "aliased"}


@dataclass
class JobPlan:
    id: str
    node: Mapping
    line: int
    own: bool  # the job has its own permissions: key
    cap: Grant | None  # what it is granted now (None: the repository default)
    analysis: Analysis
    needs: Grant
    want: Grant
    status: str  # default | ok | broad | unknown | unreadable | under | aliased
    caller: bool


def _plan(wf: Workflow, ctx: RepoContext, top_present: bool, top: Grant | None) -> list[JobPlan]:
    plans: list[JobPlan] = []
    jobs_node = wf.root.get("jobs") if wf.root is not None else None
    for jid, job in wf.jobs():
        key = jobs_node.key_node(jid) if isinstance(jobs_node, Mapping) else None
        own = job.key_node("permissions") is not None
        cap = parse_grant(job.get("permissions")) if own else top if top_present else None
        a = analyze_job(wf.doc, jid, ctx)
        a.settle()
        grant_node = job.get("permissions") if own else wf.root.get("permissions") if (
            top_present and wf.root is not None) else None
        _keep_oidc(a, cap, isinstance(grant_node, Mapping))
        needs: Grant = union(*(f.need.scopes for f in a.found))
        if a.unknown:
            status = "unknown"
        elif (own or top_present) and cap is None:
            status = "unreadable"
        elif cap is None:
            status = "default"
        elif missing(cap, needs):
            status = "under"
        elif excess_writes(cap, needs) or (cap == READ_ALL and desired(needs, cap) != cap):
            status = "broad"
        else:
            status = "ok"
        if status == "broad" and own and isinstance(job.get("permissions"), Mapping):
            status = "listed"  # a job's own scope list is a deliberate choice: only noted
        if status in ("default", "broad") and (job.shared or (
                own and (job.get("permissions") or job).shared)):
            status = "aliased"
        plans.append(JobPlan(jid, job, (key.line if key else job.line) + 1, own, cap, a, needs,
                             desired(needs, cap), status, job.get("uses") is not None))
    return plans


def _keep_oidc(a: Analysis, cap: Grant | None, listed: bool) -> None:
    """Keep a granted ``id-token: write`` that may be in use: every program of the job can ask
    for an OIDC token, so only a listed grant's or a publish command's use is assumed."""
    if cap is None or cap.get("id-token") != "write":
        return
    if any("id-token" in f.need.scopes for f in a.found):
        return
    if a.maybe:
        a.found += [f for f in a.maybe if f not in a.found]
    elif listed:
        a.found.append(Found("the job's `permissions:`", Need(
            {"id-token": "write"}, "`id-token: write` is granted explicitly, and any program in "
            "the job can request an OIDC token with it, so its use cannot be ruled out", OIDC_DOC,
            via_token=False)))


def _default_for(wants: list[Grant], old: Grant | None) -> Grant:
    """The workflow-level default: the read-only floor plus the read scopes every job uses at
    read level, when that lets some job do without a block of its own."""
    floor = capped(FLOOR, old)
    if not wants:
        return floor
    shared = union(floor, {s: "read" for s in shared_reads(wants)
                           if all(w.get(s) == "read" for w in wants)})
    return shared if any(w == shared for w in wants) else floor


def _decide(plans: list[JobPlan], top_present: bool, top: Grant | None, callee: bool
            ) -> tuple[Grant | None, list[JobPlan], list[JobPlan]]:
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
        movable = all(p.status != "aliased" for p in blocked) and any(
            excess_writes(top, p.needs) for p in known)
        if not movable:
            return None, jobs + [p for p in governed if p.status == "broad"], []
        new_top = _default_for([p.want for p in known], top)
        return new_top, jobs + [p for p in known if p.want != new_top], blocked
    if any(p.status == "broad" for p in governed) or (not governed and excess_writes(top, {})):
        new_top = _default_for([p.want for p in governed], top)
        return new_top, jobs + [p for p in governed if p.want != new_top], []
    return None, jobs, []


def analyze(wf: Workflow, ctx: RepoContext) -> list[Finding]:
    root = wf.root
    if root is None or not isinstance(root.get("jobs"), Mapping) or root.shared:
        return []
    top_present = root.key_node("permissions") is not None
    top = parse_grant(root.get("permissions")) if top_present else None
    plans = _plan(wf, ctx, top_present, top)
    if not plans:
        return []
    triggers = wf.triggers()
    callee = "workflow_call" in triggers
    governed = [p for p in plans if not p.own]
    blocked = [p for p in governed if p.status in PINNED]
    new_top, job_blocks, moved = _decide(plans, top_present, top, callee)
    found: list[Finding] = []
    if new_top is not None:
        found.append(_top_change(wf, root, new_top, top,
                                 [p for p in governed if p not in moved], triggers))
    for p in sorted(job_blocks + moved, key=lambda p: p.line):
        if p in moved:
            found.append(_moved_change(wf, p, root))
        else:
            found.append(_job_change(wf, p, triggers,
                                     [] if moved or new_top is not None else blocked))
    if found and isinstance(found[0], Change):
        first = found[0]
        found[0] = Change(first.transform, first.location, first.line, first.summary,
                          first.explanation, first.edits, (txt.todo(wf.path, triggers),),
                          first.docs)
    found += _notes(plans, blocked, callee and not top_present, top_present,
                    new_top is not None)
    return found


def _top_change(wf: Workflow, root: Mapping, grant: Grant, old: Grant | None,
                governed: list[JobPlan], triggers: set[str]) -> Change:
    edit = yamledit.set_key(wf.doc, root, "permissions", ordered(grant), wf.style, before=("jobs",))
    key = root.key_node("permissions") or root.key_node("jobs")
    line = (key.line if key else root.line) + 1
    old_text = f"`permissions: {describe(old)}`" if old is not None else None
    summary = (f"add a read-only workflow-level `permissions:` ({describe(grant)})"
               if old is None else
               f"replace workflow-level `permissions: {describe(old)}` with a read-only "
               f"default ({describe(grant)})")
    covered = [p.id for p in governed if p.want == grant]
    return Change(ID, "", line, summary,
                  txt.top_explanation(grant, old_text, covered, triggers), (edit,), docs=DOCS)


def _job_change(wf: Workflow, p: JobPlan, triggers: set[str], blocked: list[JobPlan]) -> Change:
    before = () if p.caller else ("steps",)
    edit = yamledit.set_key(wf.doc, p.node, "permissions", ordered(p.want), wf.style, before=before)
    old = None
    if p.own and p.cap is not None:
        old = f"`permissions: {describe(p.cap)}`"
    elif p.cap is not None:
        old = f"the workflow-level `permissions: {describe(p.cap)}`"
    verb = "narrow" if old else "add"
    summary = (f"{verb} job `{p.id}` permissions to {describe(p.want)}" if old else
               f"add job-level `permissions:` to `{p.id}` ({describe(p.want)})")
    why = txt.job_explanation(p.id, p.want, p.analysis.found, old, triggers, p.caller)
    if blocked and not p.own and p.cap is None:
        names = ", ".join(f"`{b.id}`" for b in blocked)
        why += (f" It gets a job-level block rather than a workflow-level default because "
                f"{names} must keep the repository default (see the notes).")
    return Change(ID, f"jobs.{p.id}", p.line, summary, why, (edit,), docs=DOCS)


def _moved_change(wf: Workflow, p: JobPlan, root: Mapping) -> Change:
    node = root.get("permissions")
    value = node.value if isinstance(node, Scalar) else ordered(p.cap or {})
    before = () if p.caller else ("steps",)
    edit = yamledit.set_key(wf.doc, p.node, "permissions", value, wf.style, before=before)
    grant = describe(p.cap or {})
    return Change(
        ID, f"jobs.{p.id}", p.line,
        f"keep job `{p.id}` at the workflow-level permissions ({grant}) as its own block",
        f"What job `{p.id}` does with the token is unknown (see the notes), so it keeps exactly "
        f"what it had: the workflow-level `permissions: {grant}` is copied onto it, so that the "
        "workflow level can become read-only for the jobs whose needs are known.",
        (edit,), docs=DOCS)


def _notes(plans: list[JobPlan], blocked: list[JobPlan], callee: bool, top_present: bool,
           top_changed: bool) -> list[Note]:
    notes: list[Note] = []
    for p in plans:
        where = f"jobs.{p.id}"
        now = (f"`permissions: {describe(p.cap)}`" if p.cap is not None else
               "the repository default permissions")
        if p.status == "unknown":
            extra = ""
            if p in blocked and top_changed:
                extra = " It keeps them as a block of its own, so the workflow level could change."
            elif p in blocked and top_present:
                extra = " The workflow-level block stays as it is, since it applies to this job."
            elif p in blocked:
                extra = " No workflow-level block is added, since it would apply to this job."
            notes.append(Note(ID, where, f"job `{p.id}` left with {now}: what it does with the "
                              f"token is unknown ({'; '.join(p.analysis.unknown)}).{extra}"))
        elif p.status == "unreadable":
            notes.append(Note(ID, where, f"job `{p.id}` left as it is: its `permissions:` "
                              "cannot be read exactly (an expression or an unknown scope)"))
        elif p.status == "under":
            lack = missing(p.cap or {}, p.needs)
            wheres = "; ".join(f.where for f in p.analysis.found
                               if any(s in lack for s in f.need.scopes))
            notes.append(Note(ID, where, f"job `{p.id}` is granted {now} but its steps use "
                              f"{describe(lack)} ({wheres}); left as it is: fixbot does not raise "
                              "permissions a person set (check that those steps still work)"))
        elif p.status == "listed":
            extra = describe({s: "write" for s in excess_writes(p.cap or {}, p.needs)})
            notes.append(Note(ID, where, f"job `{p.id}` lists {extra}, which no step is known to "
                              "use; its own block is left as it is, since a job-level list is a "
                              "deliberate choice and a use may be missing from the knowledge "
                              "base (remove the scope if nothing needs it)"))
        elif p.status == "aliased" and not top_changed:
            notes.append(Note(ID, where, f"job `{p.id}` is part of a YAML anchor used in several "
                              "places; left as it is"))
        elif callee and p.status == "default":
            notes.append(Note(ID, where, f"reusable workflow: job `{p.id}` runs with at most what "
                              "each caller grants, so no block is added here (asking for more "
                              "than a caller grants fails that caller with startup_failure); "
                              f"callers must grant {describe(p.want)}"))
    return notes
