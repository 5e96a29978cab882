"""What a job does with a pull request's code: where it fetches it, what it runs from the
workspace afterwards, and what privileges it holds while doing so."""

from __future__ import annotations

from dataclasses import dataclass, field

from fixbot.transforms.fork_safety.steps import StepView, view
from fixbot.workflow import RepoContext, Workflow, scalar_text
from fixbot.yamlmodel import Mapping, Scalar

# Triggers whose runs hold the base repository's write token and secrets while a fork can
# start them (and what a fork controls there).
PRIVILEGED = {
    "pull_request_target": "a fork's pull request starts it, and it runs with the base "
                           "repository's write token and secrets",
    "workflow_run": "a fork's pull request can start the workflow it follows, and it runs with "
                    "the base repository's write token and secrets; what that run uploaded "
                    "(artifacts, caches) comes from the fork",
    "issue_comment": "anyone who can comment starts it, and it runs with the base repository's "
                     "write token and secrets",
}


@dataclass
class JobView:
    """One job of a workflow as fork-safety reads it."""

    id: str
    node: Mapping
    steps: list[StepView]
    head_at: int | None = None  # index into steps of the step fetching the PR's code
    head_how: str = ""
    runs: list[tuple[int, str]] = field(default_factory=list)  # after head_at: (index, what)
    privileges: list[str] = field(default_factory=list)
    code: list[tuple[int, str]] = field(default_factory=list)  # every step that runs code


def effective_permissions(wf: Workflow, job: Mapping) -> object:
    """The job's ``permissions:`` (plain), else the workflow's, else None (the default)."""
    from fixbot.yamlmodel import to_plain

    for holder in (job, wf.root):
        if holder is not None and holder.get("permissions") is not None:
            return to_plain(holder.get("permissions"))  # type: ignore[arg-type]
    return None


def privileges(wf: Workflow, job: Mapping) -> list[str]:
    """What the job holds that a fork must not reach: write scopes, secrets."""
    out: list[str] = []
    perms = effective_permissions(wf, job)
    if perms is None:
        out.append("the default token (read and write on most scopes where the repository or "
                   "organization allows it)")
    elif perms == "write-all":
        out.append("a token that can write everywhere (`write-all`)")
    elif isinstance(perms, dict):
        writes = sorted(str(k) for k, v in perms.items() if v == "write")
        if writes:
            out.append("a token that can write " + ", ".join(f"`{w}`" for w in writes))
    names, every = secrets_named(wf, job)
    if every:
        out.append(f"every secret ({every})")
    elif names:
        out.append("the secrets " + ", ".join(f"`{n}`" for n in names[:5])
                   + (f" and {len(names) - 5} more" if len(names) > 5 else ""))
    if isinstance(job.get("secrets"), Scalar) and scalar_text(job.get("secrets")) == "inherit":
        out.append("every secret (`secrets: inherit`)")
    return out


def secrets_named(wf: Workflow, job: Mapping) -> tuple[list[str], str]:
    """The secrets the job reads (its own text, and the workflow's ``env:`` and ``defaults:``
    it inherits), read from its expressions; and how it reads every secret at once
    (``toJSON(secrets)``, ``secrets[…]``), or ""."""
    from fixbot.kb.expressions import swap_out
    from fixbot.kb.injection import refs, tokens

    texts = [wf.text[job.start:job.end]]
    root = wf.root
    for key in ("env", "defaults"):
        node = root.get(key) if root is not None else None
        if node is not None:
            texts.append(wf.text[node.start:node.end])
    names: set[str] = set()
    every = ""
    for text in texts:
        for expr in swap_out(text)[1]:
            toks = tokens(expr[3:-2])
            if toks is None:
                continue
            for r in refs(toks):
                if r.parts[0] != "secrets":
                    continue
                if len(r.parts) < 2 or r.parts[1] in ("*", "?"):
                    every = every or f"`{expr}`"
                elif r.parts[1] != "github_token":
                    names.add(r.text[len("secrets"):].strip(".[]'\" "))
    return sorted(names), every


def read_job(wf: Workflow, jid: str, job: Mapping, ctx: RepoContext) -> JobView:
    from fixbot.transforms.fork_safety.steps import env_values

    job_env = {**env_values(wf.root.get("env") if wf.root is not None else None),
               **env_values(job.get("env"))}
    steps = [view(i, s, ctx, job_env) for i, s in Workflow.steps(job)]
    jv = JobView(jid, job, steps, privileges=privileges(wf, job))
    jv.code = [(n, s.runs_code) for n, s in enumerate(steps) if s.runs_code]
    for n, s in enumerate(steps):
        if jv.head_at is None:
            if s.fetches_head:
                jv.head_at, jv.head_how = n, s.fetches_head
                if s.runs_code and scalar_text(s.node.get("run")) is not None:
                    jv.runs.append((n, s.runs_code))  # the same script may run what it fetched
            continue
        if s.runs_code:
            jv.runs.append((n, s.runs_code))
    return jv
