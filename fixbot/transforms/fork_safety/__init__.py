"""``fork-safety``: jobs a fork's pull request can turn against the repository, and jobs that
cannot work for forks, rewritten into patterns that are safe and work (docs/fork-safety.md).

1. ``pull_request_target`` (or ``workflow_run``, ``issue_comment``) jobs that fetch the pull
   request's code and then run it while holding a write token or secrets: split in two
   (:mod:`.split`) where the job's shape allows it, else a note naming the risk.
2. ``pull_request`` workflows whose jobs only act on the pull request through the API (labels,
   comments, title checks) and never run its code: ``pull_request_target``.
3. ``pull_request`` jobs that run the pull request's code and then comment on it (which fails
   for forks: their token is read-only): the same split as 1.
4. A local action used after a checkout of the pull request's head in a privileged job runs
   the fork's version: ``$/…`` (the base commit's), where the forge is github.com.

Every other workflow on a privileged trigger gets a note naming its risk.
"""

from __future__ import annotations

from fixbot import yamledit
from fixbot.kb import fork
from fixbot.transforms.fork_safety import split
from fixbot.transforms.fork_safety.read import PRIVILEGED, JobView, read_job
from fixbot.types import Change, Finding, Note
from fixbot.workflow import RepoContext, Workflow, scalar_text
from fixbot.yamlmodel import Mapping, Scalar

ID = "fork-safety"
SUMMARY = ("jobs that run a fork's code with a write token, or need one on pull_request: "
           "split, moved to a safe trigger, or explained")
DOCS = fork.GUIDE


def analyze(wf: Workflow, ctx: RepoContext) -> list[Finding]:
    root = wf.root
    if root is None:
        return []
    triggers = wf.triggers()
    privileged = sorted(triggers & set(PRIVILEGED))
    if not privileged and "pull_request" not in triggers:
        return []
    jobs = [read_job(wf, jid, job, ctx) for jid, job in wf.jobs()]
    if privileged:
        return _privileged(wf, ctx, privileged, triggers, jobs)
    if "pull_request" in triggers:
        return _pull_request(wf, ctx, triggers, jobs)
    return []


# -- privileged triggers ------------------------------------------------------------------------

def _privileged(wf: Workflow, ctx: RepoContext, events: list[str], triggers: set[str],
                jobs: list[JobView]) -> list[Finding]:
    out: list[Finding] = []
    risky = [j for j in jobs if j.head_at is not None]
    for j in risky:
        out += _pwn_job(wf, ctx, events, triggers, jobs, j)
    if not risky:
        ev = events[0]
        why = PRIVILEGED[ev]
        extra = (" Artifacts it downloads from the run it follows hold the fork's data: read "
                 "them as data, never run them." if ev == "workflow_run" else "")
        pasted = _pasted(jobs)
        risk = (f"but `{pasted}` is pasted into a script, where text a fork writes runs as code "
                f"(the `template-injection` transform moves such expressions into `env:`); "
                f"keep no checkout of the pull request's head" if pasted else
                "so a fork cannot run code here; keep it that way (no checkout of the pull "
                "request's head, no `${{ github.event.* }}` text in scripts)")
        out.append(Note(ID, "on", (
            f"runs on `{ev}`: {why}. No job checks out or fetches the pull request's code, "
            f"{risk}.{extra} ({fork.GUIDE})")))
    return out


def _pasted(jobs: list[JobView]) -> str | None:
    """The first attacker-controllable expression pasted into a `run:` or github-script."""
    from fixbot.kb.expressions import swap_out
    from fixbot.kb.injection import Facts, verdict

    for j in jobs:
        for s in j.steps:
            w = s.node.get("with")
            texts = [scalar_text(s.node.get("run")),
                     scalar_text(w.get("script")) if isinstance(w, Mapping) else None]
            for text in texts:
                for expr in swap_out(text or "")[1]:
                    if verdict(expr, Facts({}, True)).kind == "attacker":
                        return expr
    return None


def _pwn_job(wf: Workflow, ctx: RepoContext, events: list[str], triggers: set[str],
             jobs: list[JobView], j: JobView) -> list[Finding]:
    ev = events[0]
    head = j.steps[j.head_at].label if j.head_at is not None else ""
    where = f"`jobs.{j.id}`"
    if not j.runs:
        return [Note(ID, f"jobs.{j.id}", (
            f"runs on `{ev}` and fetches the pull request's code at {_at(head, j.head_how)}, "
            f"but no later step runs it; keep it that way: a build, test, "
            f"install or local action after that step would run a fork's code with "
            f"{_held(j)}. ({fork.GUIDE})"))]
    if not j.privileges:
        return [Note(ID, f"jobs.{j.id}", (
            f"runs on `{ev}` and runs the pull request's code at "
            f"{_at(j.steps[j.runs[0][0]].label, j.runs[0][1])} after fetching it at {head}, "
            f"with a read-only token and no secrets; the run can still write the base "
            f"branch's cache, which a fork could poison: prefer `pull_request` for it. "
            f"({fork.GUIDE})"))]
    guard = fork.same_repository_guard(scalar_text(j.node.get("if")) or "") \
        if ev == "pull_request_target" else None
    if guard is not None:
        return [Note(ID, f"jobs.{j.id}", (
            f"runs on `{ev}`, fetches the pull request's code at {_at(head, j.head_how)} and "
            f"runs it at {_at(j.steps[j.runs[0][0]].label, j.runs[0][1])} with {_held(j)}, "
            f"but its `if:` (`{guard}`) lets it run only for pull requests whose branch is in "
            f"this repository, which no fork can open: keep that condition (anyone who can "
            f"push a branch here can still run code with them). ({fork.GUIDE})"))]
    # pattern 4: every step running code is a local action, and $/ names the base's version
    locals_only = all(j.steps[n].uses.startswith("./") and j.steps[n].local_kind
                      and not j.steps[n].local_inner for n, _ in j.runs)
    if locals_only and ctx.self_repository:
        return [_self_repository(wf, j, ev)]
    done = split.split(wf, ctx, j, jobs, triggers, ev)
    if isinstance(done, Change):
        return [done]
    first = j.steps[j.runs[0][0]]
    why_not = done
    if locals_only and not ctx.self_repository:
        why_not = ("`$/…` would run the base repository's version of the local action, but "
                   "it is not available on GitHub Enterprise Server and fixbot does not know this "
                   "forge to be github.com, and "
                   + why_not)
    return [Note(ID, f"jobs.{j.id}", (
        f"a fork can run code with {_held(j)}: {where} runs on `{ev}`, fetches the pull "
        f"request's code at {_at(head, j.head_how)} and runs it at "
        f"{_at(first.label, j.runs[0][1])} (a \"pwn request\"). Left as it is: {why_not}. "
        f"Split it by hand: run the pull request's code on `pull_request` with a read-only "
        f"token, upload what the privileged steps need as an artifact, and act on it from a "
        f"`workflow_run` workflow that reads the artifact as data. ({fork.GUIDE})"))]


def _at(label: str, what: str) -> str:
    """``step 3 (`make`)``, and what it does where the label does not say it already."""
    return label if what.strip("`") in label else f"{label} ({what})"


def _held(j: JobView) -> str:
    return " and ".join(j.privileges) if j.privileges else "the run's token"


def _self_repository(wf: Workflow, j: JobView, ev: str) -> Change:
    edits = []
    names = []
    for n, _ in j.runs:
        s = j.steps[n]
        node = s.node.get("uses")
        assert isinstance(node, Scalar)
        new = "$/" + s.uses[2:]
        edits.append(yamledit.replace_scalar(wf.doc, node, new))
        names.append(f"`{s.uses}` → `{new}`")
    return Change(ID, f"jobs.{j.id}", j.node.line + 1,
                  f"use the base repository's version of {len(names)} local action(s) "
                  f"after the checkout of the pull request's head",
                  (f"On `{ev}` the job holds {_held(j)}, and `./…` after the checkout of the pull "
                   f"request's head ({j.head_how}) runs the fork's version of the action. `$/…` "
                   f"(GitHub's self-repository syntax) runs the version at the workflow's own "
                   f"commit, the base repository's: " + ", ".join(names) + ". Keep the checkout's "
                   "token off the disk too (`persist-credentials: false`, see that transform). "
                   "`$/…` is not available on GitHub Enterprise Server."),
                  tuple(edits), docs=fork.GUIDE)


# -- pull_request ---------------------------------------------------------------------------------

def _pull_request(wf: Workflow, ctx: RepoContext, triggers: set[str],
                  jobs: list[JobView]) -> list[Finding]:
    acting = [j for j in jobs if any(s.pr_action for s in j.steps)]
    if not acting:
        return []
    # pattern 2: every job only acts on the pull request: pull_request_target is safe
    why = _api_only_why_not(wf, triggers, jobs)
    if why is None:
        return [_to_target(wf, jobs)]
    out: list[Finding] = []
    for j in acting:
        if j.code and len(jobs) == 1:
            done = split.split(wf, ctx, j, jobs, triggers, "pull_request")
            if isinstance(done, Change):
                out.append(done)
                continue
            why = done
        step = next(s for s in j.steps if s.pr_action)
        out.append(Note(ID, f"jobs.{j.id}", (
            f"on a fork's pull request the token is read-only and secrets are empty, so "
            f"{_at(step.label, step.uses)} cannot act on it there. Left as it is: {why}. "
            f"({fork.GUIDE})")))
    return out


def _api_only_why_not(wf: Workflow, triggers: set[str], jobs: list[JobView]) -> str | None:
    """Why the workflow cannot move to ``pull_request_target`` as it is, or None."""
    if triggers != {"pull_request"}:
        return "the workflow has other triggers than `pull_request`"
    for j in jobs:
        for s in j.steps:
            if s.runs_code:
                return f"`jobs.{j.id}` runs code at {s.label} ({s.runs_code})"
            if s.fetches_head:
                return f"`jobs.{j.id}` fetches the pull request's code at {s.label}"
            if scalar_text(s.node.get("run")) is not None:
                return f"`jobs.{j.id}` runs a script at {s.label}"
            name = fork.action_name(s.uses) if s.uses else ""
            if name == "actions/checkout":
                continue
            if not s.pr_action and name != "actions/github-script":
                return f"`jobs.{j.id}` uses `{s.uses}` at {s.label}, which fixbot does not know"
            step_with = s.node.get("with")
            script = scalar_text(step_with.get("script")) if isinstance(step_with, Mapping) \
                else None
            if name == "actions/github-script" and script is not None and "${{" in script:
                # pasted into the JavaScript before it runs: with a write token, a title
                # would become code with the base repository's credentials
                return (f"`jobs.{j.id}` pastes a `${{{{ }}}}` expression into the script of "
                        f"{s.label}, which would then run with a write token")
        text = wf.text[j.node.start:j.node.end]
        for word in ("event_name", "github.ref", "github.sha", "GITHUB_REF", "GITHUB_SHA",
                     "merge_commit_sha", "context.sha", "context.ref", "process.env.GITHUB_"):
            if word in text:
                return (f"`jobs.{j.id}` reads `{word}`, which means something else on "
                        f"`pull_request_target`")
        if isinstance(j.node.get("uses"), Scalar):
            return f"`jobs.{j.id}` calls a reusable workflow"
    return None


def _to_target(wf: Workflow, jobs: list[JobView]) -> Change:
    edit = split.rename_trigger(wf, "pull_request", "pull_request_target")
    line = wf.doc.line_of(edit.start)
    acts = sorted({f"`{s.uses.split('@')[0]}`" for j in jobs for s in j.steps if s.pr_action})
    return Change(ID, "on", line,
                  "run on `pull_request_target`: the jobs only act on the pull request through "
                  "the API",
                  ("On a fork's pull request, `pull_request` runs get a read-only token and no "
                   "secrets, so " + ", ".join(acts) + " cannot label or comment there. "
                   "`pull_request_target` runs the workflow as the base branch has it, with the "
                   "base repository's token; that is safe here because no job checks out, "
                   "fetches or runs the pull request's code and no script has a `${{ }}` "
                   "expression pasted into it (keep it that way). Run it with the "
                   "`permissions` transform (fixbot's default), which keeps the token to what "
                   "the jobs need. The same activity types, branch and path filters apply."),
                  (edit,), docs=fork.GUIDE)
