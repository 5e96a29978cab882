"""``persist-credentials``: stop actions/checkout from leaving the job token in ``.git/config``.

By default actions/checkout writes the token it used into the local git config, where every
later step (and any artifact upload of the workspace) can read it. We add
``persist-credentials: false`` unless a later step of the same job needs git to authenticate
(``git push``, ``git fetch``/``pull`` of private refs, tag pushes, actions documented to push with
the persisted credentials); those checkouts are left alone with a note.
"""

from __future__ import annotations

import re

from fixbot import yamledit
from fixbot.errors import TransformError
from fixbot.kb.git_use import may_push_by_name, pushing_tool, script_calls
from fixbot.types import Change, Finding, Note
from fixbot.workflow import RepoContext, Workflow, scalar_text
from fixbot.yamlmodel import Mapping, Scalar

ID = "persist-credentials"
SUMMARY = "add persist-credentials: false to actions/checkout where no later step needs the token"
DOCS = "https://github.com/actions/checkout#usage"

# Actions that push or fetch with the credentials actions/checkout persisted (lower case).
PUSHING_ACTIONS = {
    "stefanzweifel/git-auto-commit-action": "commits and pushes with the persisted credentials",
    "endbug/add-and-commit": "commits and pushes with the persisted credentials",
    "changesets/action": "pushes the version branch with git",
    "korthout/backport-action": "pushes backport branches with git",
    "release-plz/action": "pushes release commits and tags with git",
    "homebrew/actions/git-try-push": "pushes with git",
    "ad-m/github-push-action": "pushes with git",
    "devops-infra/action-commit-push": "commits and pushes with git",
    "planetscale/ghcommit-action": "commits with git",
    "gr2m/create-or-update-pull-request-action": "pushes a branch with git",
    "cpina/github-action-push-to-another-repository": "pushes with git",
}

_GIT_NETWORK = re.compile(
    r"(?<![\w./-])git\s+(?:(?:-c\s+\S+|-C\s+\S+|--[\w-]+(?:=\S+)?)\s+)*"
    r"(push|fetch|pull|ls-remote|remote\s+update|submodule\s+(?:update|sync|foreach))\b")
# Commands that fetch with git's stored credentials without saying `git fetch`.
_FETCHING_TOOLS = re.compile(r"(?<![\w./-])gh\s+pr\s+checkout\b")


def _strip_comments(script: str) -> str:
    return "\n".join(re.sub(r"(^|\s)#.*$", r"\1", line) for line in script.splitlines())


def _script_needs(script: str, ctx: RepoContext, depth: int = 0) -> str | None:
    """Why a shell script needs the persisted credentials, or None."""
    body = _strip_comments(script)
    m = _GIT_NETWORK.search(body)
    if m:
        return f"runs `git {m.group(1).split()[0]}`"
    fetching = _FETCHING_TOOLS.search(body)
    tool = pushing_tool(body) or (fetching.group(0) if fetching else None)
    if tool:
        return f"runs `{tool}`, which uses git with the persisted credentials"
    for path in script_calls(body):
        text = ctx.read_text(path) if depth < 2 else None
        if text is not None:
            why = _script_needs(text, ctx, depth + 1)
            if why:
                return f"runs `{path}`, which {why}"
        elif may_push_by_name(path):
            return f"runs `{path}`, which may push (it is not in the clone to check)"
    return None


def _step_needs(step: Mapping, ctx: RepoContext) -> str | None:
    uses = scalar_text(step.get("uses"))
    if uses:
        name = uses.split("@", 1)[0].lower().rstrip("/")
        for action, why in PUSHING_ACTIONS.items():
            if name == action or name.startswith(action + "/"):
                return f"uses `{uses}`, which {why}"
        if name.startswith("./"):
            return _local_action_needs(uses.split("@", 1)[0].rstrip("/"), ctx)
    run = scalar_text(step.get("run"))
    if run:
        return _script_needs(run, ctx)
    return None


def _local_action_needs(uses: str, ctx: RepoContext) -> str | None:
    doc = ctx.local_action(uses)
    if doc is None:
        return f"uses the local action `{uses}`, whose steps could not be read"
    runs = doc.node_at(("runs", "steps"))
    for item in getattr(runs, "items", []):
        if isinstance(item, Mapping):
            why = _step_needs(item, ctx)
            if why:
                return f"uses the local action `{uses}`, which {why}"
    return None


def _is_checkout(uses: str) -> bool:
    return uses.split("@", 1)[0].lower().rstrip("/") == "actions/checkout"


def _major(uses: str) -> int | None:
    m = re.match(r"v?(\d+)", uses.split("@", 1)[1]) if "@" in uses else None
    return int(m.group(1)) if m else None


def analyze(wf: Workflow, ctx: RepoContext) -> list[Finding]:
    found: list[Finding] = []
    for job_id, job in wf.jobs():
        steps = list(wf.steps(job))
        for pos, (index, step) in enumerate(steps):
            uses = scalar_text(step.get("uses"))
            if uses is None or not _is_checkout(uses):
                continue
            where = f"jobs.{job_id}.steps[{index}]"
            major = _major(uses)
            if major is not None and major < 2:
                continue  # v1 has no persist-credentials input
            with_ = step.get("with")
            current = with_.get("persist-credentials") if isinstance(with_, Mapping) else None
            if current is not None:
                if scalar_text(current) not in ("false", "False"):
                    found.append(Note(ID, where, "actions/checkout sets persist-credentials "
                                      "explicitly; left as it is"))
                continue
            if step.shared:
                found.append(Note(ID, where, "the step is part of a YAML anchor used in several "
                                  "places; left alone so the other uses do not change"))
                continue
            need = next((why for _, later in steps[pos + 1:]
                         if (why := _step_needs(later, ctx))), None)
            if need:
                found.append(Note(ID, where, f"kept the persisted credentials: a later step {need}"))
                continue
            found.append(_change(wf, job_id, where, step, with_))
    return found


def _change(wf: Workflow, job_id: str, where: str, step: Mapping,
            with_: object) -> Change:
    if isinstance(with_, Mapping):
        edit = yamledit.set_key(wf.doc, with_, "persist-credentials", False, wf.style)
    elif with_ is None:
        edit = yamledit.set_key(wf.doc, step, "with", {"persist-credentials": False}, wf.style)
    elif isinstance(with_, Scalar) and with_.value is None:
        edit = yamledit.replace_value(wf.doc, step, "with", {"persist-credentials": False},
                                      wf.style)
    else:
        raise TransformError(f"{where}: `with:` is not a mapping")
    return Change(
        transform=ID, location=where, line=step.line + 1,
        summary="set `persist-credentials: false` on actions/checkout",
        explanation=(
            "actions/checkout saves the job's token in .git/config by default, where every "
            f"later step of job `{job_id}` can read it and where a workspace upload can leak it. "
            "No later step in this job pushes or fetches with git, so nothing needs the saved "
            "token after the checkout."),
        edits=(edit,), docs=DOCS)
