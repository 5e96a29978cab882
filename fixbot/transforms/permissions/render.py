"""Stage 4 of ``permissions``: a plan rendered as edits, explanations and notes.

Every change carries one edit (a ``permissions:`` block set on the workflow or a job), a summary,
and an explanation that says why it is safe: each scope with the step that needs it, the
knowledge base's reason and its source, and what the workflow's triggers mean for the token.
In the file itself, each scope of a block written (but ``contents: read``) gets a short
end-of-line comment naming what needs it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from collections.abc import Mapping as Map

from fixbot import yamledit
from fixbot.kb import Need
from fixbot.kb.triggers import explanation_notes, verification
from fixbot.transforms.permissions.decide import PUSH_DOC, Found, granted_oidc_need
from fixbot.transforms.permissions.grants import Grant, describe, excess_writes, missing, ordered
from fixbot.transforms.permissions.plan import JobPlan, Plan
from fixbot.types import Change, Finding, Note
from fixbot.workflow import Workflow, scalar_text
from fixbot.yamlmodel import Mapping, Scalar, to_plain

ID = "permissions"
TOKEN_DOC = ("https://docs.github.com/en/actions/security-for-github-actions/security-guides/"
             "automatic-token-authentication#modifying-the-permissions-for-the-github_token")
DOCS = TOKEN_DOC
WIDTH = 100  # the longest line a scope's comment makes, where the names in it allow
KEPT = "kept from the workflow level (the job's token use is unknown)"
KEPT_AS_SET = "kept from the workflow level, as a person set it"
KEPT_OIDC = "kept as granted: any step of the job may ask for an OIDC token"
PUSH_BOUND = ("What a step that may push with the credentials a checkout persisted can need is "
              "bounded by `contents: write`: a push needs it, and those credentials can do "
              "nothing else.")
_STEP_NUMBER = re.compile(r'\bstep \d+ (?=")')  # a named step goes by its name
_REF = re.compile(r"([\w.-]+/[^\s()`@]*)@[^\s()`]+")  # owner/action@ref, owner/repo/path@ref
_CALLED = re.compile(r"`[^`\s]*/([^/`\s]+\.ya?ml)`")  # `./.github/workflows/x.yml`: `x.yml`


def render(wf: Workflow, plan: Plan) -> list[Finding]:
    """The changes (the first one carrying the follow-up action) and the notes of a plan."""
    governed = [p for p in plan.jobs if not p.own]
    blocked = plan.blocked
    found: list[Finding] = []
    if plan.new_top is not None:
        found.append(_top_change(wf, plan.root, plan.new_top, plan.top,
                                 [p for p in governed if p not in plan.moved]))
    for p in sorted(plan.job_blocks + plan.moved, key=lambda p: p.line):
        if p in plan.moved:
            found.append(_moved_change(wf, p, plan.root))
        else:
            found.append(_job_change(wf, p, [] if plan.moved or plan.new_top is not None
                                     else blocked))
    if found and isinstance(found[0], Change):
        first = found[0]
        extra = trigger_notes(plan.triggers)
        found[0] = Change(first.transform, first.location, first.line, first.summary,
                          first.explanation + (f" {extra}" if extra else ""), first.edits,
                          (todo(wf, _changed_jobs(plan)),), first.docs)
    found += _notes(plan.jobs, blocked, plan.callee and not plan.top_present, plan.top_present,
                    plan.new_top is not None)
    return found


def _top_change(wf: Workflow, root: Mapping, grant: Grant, old: Grant | None,
                governed: list[JobPlan]) -> Change:
    users = [(f"job {p.id}: {f.where}", f.need) for p in governed if p.want == grant
             for f in p.found]
    edit = yamledit.set_key(wf.doc, root, "permissions", ordered(grant), wf.style, before=("jobs",),
                            remarks=remarks(grant, users, _scope_col(root, wf)))
    key = root.key_node("permissions") or root.key_node("jobs")
    line = (key.line if key else root.line) + 1
    old_text = f"`permissions: {describe(old)}`" if old is not None else None
    summary = (f"add a read-only workflow-level `permissions:` ({describe(grant)})"
               if old is None else
               f"replace workflow-level `permissions: {describe(old)}` with a read-only "
               f"default ({describe(grant)})")
    covered = [p.id for p in governed if p.want == grant]
    why = top_explanation(grant, old_text, covered)
    why += _evidence([e for p in governed if p.want == grant for e in p.evidence],
                     [e for p in governed if p.want == grant for e in p.credentials])
    return Change(ID, "", line, summary, why, (edit,), docs=DOCS)


def _job_change(wf: Workflow, p: JobPlan, blocked: list[JobPlan]) -> Change:
    before = () if p.caller else ("steps",)
    users = [(f.where, f.need) for f in p.found]
    edit = yamledit.set_key(wf.doc, p.node, "permissions", ordered(p.want), wf.style, before=before,
                            remarks=remarks(p.want, users, _scope_col(p.node, wf)))
    old = None
    if p.own and p.cap is not None:
        old = f"`permissions: {describe(p.cap)}`"
    elif p.cap is not None:
        old = f"the workflow-level `permissions: {describe(p.cap)}`"
    verb = "narrow" if old else "add"
    summary = (f"{verb} job `{p.id}` permissions to {describe(p.want)}" if old else
               f"add job-level `permissions:` to `{p.id}` ({describe(p.want)})")
    why = job_explanation(p.id, p.want, p.found, old, p.caller)
    why += _evidence(list(p.evidence), list(p.credentials))
    if blocked and not p.own and p.cap is None:
        names = ", ".join(f"`{b.id}`" for b in blocked)
        why += (f" It gets a job-level block rather than a workflow-level default because "
                f"{names} must keep the repository default (the note on "
                f"{'that job' if len(blocked) == 1 else 'each of them'} says why).")
    return Change(ID, f"jobs.{p.id}", p.line, summary, why, (edit,), docs=DOCS)


def _evidence(metadata: list[str], credentials: list[str]) -> str:
    """Why steps that could look like they use the token need nothing of it: actions read from
    their action.yml, and actions given another credential."""
    out = ""
    if metadata:
        out += (" Actions the knowledge base does not know, read from their action.yml: "
                + "; ".join(dict.fromkeys(metadata)) + ".")
    if credentials:
        out += " Another credential: " + "; ".join(dict.fromkeys(credentials)) + "."
    return out


def _moved_change(wf: Workflow, p: JobPlan, root: Mapping) -> Change:
    node = root.get("permissions")
    value = node.value if isinstance(node, Scalar) else ordered(p.cap or {})
    before = () if p.caller else ("steps",)
    kept = KEPT if p.status == "unknown" else KEPT_AS_SET
    notes = remarks(value, [], _scope_col(p.node, wf), kept) if isinstance(value, dict) else None
    edit = yamledit.set_key(wf.doc, p.node, "permissions", value, wf.style, before=before,
                            remarks=notes)
    grant = describe(p.cap or {})
    return Change(
        ID, f"jobs.{p.id}", p.line,
        f"keep job `{p.id}` at the workflow-level permissions ({grant}) as its own block",
        f"{_why_kept(p)}, so it keeps exactly what it had: the workflow-level "
        f"`permissions: {grant}` is copied onto it, so that the workflow level can become "
        "read-only (for the other jobs, and for jobs added later).",
        (edit,), docs=DOCS)


def _why_kept(p: JobPlan) -> str:
    if p.status == "unknown":
        return f"What job `{p.id}` does with the token is unknown (its note says why)"
    if p.status == "under":
        return (f"Job `{p.id}` is granted less than its steps use (its note says which), and "
                "fixbot does not change a grant a person chose")
    return f"Job `{p.id}`'s permissions are left as they are (its note says why)"


def remarks(grant: Map[str, str], users: Sequence[tuple[str, Need]], col: int,
            fallback: str = "") -> dict[str, str]:
    """The end-of-line comment of each scope of a block whose scopes sit at ``col``: every scope
    but ``contents: read`` (exactly the ones zizmor's pedantic ``undocumented-permissions``
    asks about), naming the first of ``users`` (where, need) that needs it at that level and
    how many more do (``fallback`` where none does).

    ``pull-requests: write  # comment on the PR (step "Report") +1 more``, with the need's
    ``purpose`` where the knowledge base gives one, else the step alone; shortened to keep the
    line within :data:`WIDTH`.
    """
    out: dict[str, str] = {}
    for scope, level in grant.items():
        if scope == "contents" and level == "read":
            continue
        at = ([(w, n) for w, n in users if n.scopes.get(scope) == level]
              or [(w, n) for w, n in users if scope in n.scopes])
        places = list(dict.fromkeys(w for w, _ in at))
        more = f" +{len(places) - 1} more" if len(places) > 1 else ""
        room = max(WIDTH - col - len(f"{scope}: {level}  # {more}"), 30)
        if at:
            out[scope] = _fit(_phrase(*at[0]), room) + more
        elif fallback:
            out[scope] = _fit(fallback, room)
    return out


def _phrase(where: str, need: Need) -> str:
    """What needs a scope: the need's purpose and where, or where alone."""
    if need == granted_oidc_need():
        return KEPT_OIDC
    where = _STEP_NUMBER.sub("step ", where)
    return f"{need.purpose} ({where})" if need.purpose.strip() else where


def _fit(text: str, room: int) -> str:
    """``text`` on one line of printable characters, in at most ``room`` of them: without the
    ``@ref`` of actions, then without the folders of a called workflow, then cut."""
    text = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    for short, by in ((_REF, r"\1"), (_CALLED, r"`\1`")):
        if len(text) > room:
            text = short.sub(by, text)
    if len(text) > room:
        text = text[:room - 1].rstrip() + "…"
    return text


def _scope_col(node: Mapping, wf: Workflow) -> int:
    """The column the scopes of a block under ``node`` go to (in block style; 0 in a flow
    mapping, where the comment follows the whole value on its line)."""
    if node.flow:
        return 0
    return (node.items[0][0].col if node.items else node.col) + wf.style.indent


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
                              f"token is unknown ({'; '.join(p.unknown)}).{extra}"))
        elif p.status == "unreadable":
            notes.append(Note(ID, where, f"job `{p.id}` left as it is: its `permissions:` "
                              "cannot be read exactly (an expression or an unknown scope)"))
        elif p.status == "under":
            lack = missing(p.cap or {}, p.needs)
            wheres = "; ".join(f.where for f in p.found
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


def trigger_notes(triggers: Iterable[str]) -> str:
    """What the token's scopes mean under the workflow's triggers (once per workflow)."""
    return " ".join(explanation_notes(set(triggers)))


def reasons(found: Iterable[Found], grant: Map[str, str]) -> str:
    """``contents: write for step 3 (softprops/action-gh-release@v2): creates … (source)``; …
    (``contents: read`` alone is the floor every job keeps: not listed)."""
    parts: list[str] = []
    for f in found:
        scopes = ", ".join(f"{s}: {lvl}" for s, lvl in sorted(f.need.scopes.items())
                           if grant.get(s) is not None and (s, lvl) != ("contents", "read"))
        if scopes:
            parts.append(f"{scopes} for {f.where}: {f.need.reason} ({f.need.source})")
    return "; ".join(parts)


def job_explanation(job_id: str, grant: Map[str, str], found: list[Found], old: str | None,
                    caller: bool) -> str:
    head = (f"Job `{job_id}` gets exactly the scopes it uses ({describe(grant)})"
            if old is None else
            f"Job `{job_id}` had {old}; it now gets exactly the scopes it uses ({describe(grant)})")
    why = reasons(found, grant)
    floor = (" `contents: read` is the read-only default every job keeps."
             if grant.get("contents") == "read" else "")
    rule = (" A job-level block replaces the workflow-level one for this job (scopes it does "
            "not list become `none`), so it lists every scope the job needs.")
    if caller:
        rule = (" A called workflow can only lower the permissions its caller grants, so the "
                "caller grants what the called jobs ask for or use.")
    bound = (f" {PUSH_BOUND}" if any(f.need.source == PUSH_DOC and grant.get("contents") ==
                                     "write" for f in found) else "")
    return f"{head}.{rule}{floor}{bound}" + (f" Needs: {why}." if why else
                                             " No step uses the token for anything else.")


def top_explanation(grant: Map[str, str], old: str | None, covered: list[str]) -> str:
    what = (f"Adds a read-only workflow-level default ({describe(grant)})." if old is None else
            f"Replaces {old} with a read-only workflow-level default ({describe(grant)}).")
    scope = (" Every job without a block of its own runs with it, and its steps use nothing "
             "more; a job with a block of its own keeps that block.")
    jobs = (f" Jobs it covers: {', '.join(f'`{j}`' for j in covered)}." if covered else
            " Jobs it covers: none yet (every job has a block of its own); it will cover any "
            "job added later.")
    old_default = (" Without any block the token gets the repository default, which is "
                   "read-write on repositories and organisations created before February 2023."
                   if old is None else "")
    return f"{what}{scope}{old_default}{jobs}"


def _changed_jobs(plan: Plan) -> list[JobPlan]:
    """The jobs whose token this plan changes: those that get a block of their own, and, under
    a new workflow-level default, those it covers (a job that keeps a copy of the old
    workflow-level block keeps its token)."""
    covered = ([p for p in plan.jobs if not p.own and p not in plan.moved]
               if plan.new_top is not None else [])
    return sorted({id(p): p for p in plan.job_blocks + covered}.values(), key=lambda p: p.line)


def todo(wf: Workflow, jobs: Sequence[JobPlan]) -> str:
    """How to see the new permissions at work: which runs of the pull request use them (and
    which changed jobs may be skipped there), else a manual run on the branch or the event to
    watch after merging (:func:`fixbot.kb.triggers.verification`)."""
    root = wf.root
    on = None
    if root is not None:
        node = root.get("on")
        if node is None:
            node = root.get(True)  # type: ignore[arg-type]
        on = to_plain(node) if node is not None else None
    return verification(wf.path, on, [(p.id, scalar_text(p.node.get("if"))) for p in jobs])
