"""``persist-credentials``: stop actions/checkout from leaving the job token in ``.git/config``.

By default actions/checkout writes the token it used into the local git config, where every
later step (and any artifact upload of the workspace) can read it. We add
``persist-credentials: false`` unless a later step of the same job needs git to authenticate
(``git push``, ``git fetch``/``pull`` of private refs, tag pushes, actions documented to push with
the persisted credentials); those checkouts are left alone with a note.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fixbot import yamledit
from fixbot.action_source import ActionRef, Found
from fixbot.errors import TransformError
from fixbot.kb.action_metadata import git_write_words
from fixbot.kb.action_metadata import kind as action_kind
from fixbot.kb.actions import checkout_credentials, git_credential_use
from fixbot.kb.git_use import may_push_by_name, reads_persisted_credentials
from fixbot.kb.github_script import analyze_github_script, github_script_sources
from fixbot.kb.script_files import ScriptReader, repo_dir, run_defaults
from fixbot.kb.token import names_job_token
from fixbot.kb.versions import ref_range
from fixbot.types import Change, Finding, Note
from fixbot.workflow import RepoContext, Workflow, scalar_text
from fixbot.yamlmodel import Document, Mapping, Scalar

ID = "persist-credentials"
SUMMARY = "add persist-credentials: false to actions/checkout where no later step needs the token"
DOCS = "https://github.com/actions/checkout#usage"

@dataclass
class _Later:
    """What the steps after a checkout carry from one to the next."""

    stores: frozenset[str] = frozenset()  # tools configured by earlier steps, $GITHUB_PATH dirs
    checkout_dir: str = ""  # where the repository sits in the workspace (checkout's `path:`)
    workdir: str = ""  # `defaults.run.working-directory`


def _step_needs(step: Mapping, ctx: RepoContext, shell: str, env: dict[str, str],
                later: _Later, depth: int = 0) -> str | None:
    """Why a later step needs (or may need) the persisted credentials, or None.

    Returns a reason that starts with "may" where the need cannot be ruled out (unknown).
    """
    uses = scalar_text(step.get("uses"))
    if uses:
        name = uses.split("@", 1)[0].strip().rstrip("/")
        if name.startswith(("./", "$/")):
            return _local_action_needs(name, ctx, later, depth)
        if name.startswith("docker://"):
            # the container gets the workspace mounted, the saved credentials with it
            return f"may use them: `{name}` runs a container with the workspace mounted"
        if "${{" in name:
            return f"may use them: `{uses}` is chosen by an expression"
        if name.lower() == "actions/github-script":
            return _github_script_needs(step, ctx, env)
        why = git_credential_use(uses)
        if why is None:
            return _remote_action_needs(uses, ctx, later, depth)
        return f"uses `{uses}`, which {why}" if why else None
    run = scalar_text(step.get("run"))
    if run is None:
        return None
    step_shell = scalar_text(step.get("shell")) or shell
    # Only git's use of the persisted credentials matters here: a program that holds the job
    # token in its environment is the permissions transform's concern, not this one's.
    env = {k: v for k, v in env.items() if not names_job_token(v)}
    if reads_persisted_credentials(run):
        return "reads the persisted credentials back out of git's configuration"
    cwd = repo_dir(scalar_text(step.get("working-directory")) or later.workdir, later.checkout_dir)
    result = ScriptReader(ctx.read_text).run_step(run, step_shell, env, True, later.stores, cwd)
    a = result.analysis
    later.stores = frozenset(a.stores)
    if a.git_uses:
        return a.git_uses[0]
    if a.unknown:
        return f"may use them: {a.unknown[0]}"
    if a.may_push:
        return f"may use them: {a.may_push[0]}"
    for path, why in result.unread:
        if may_push_by_name(path):
            return f"may use them: runs `{path}`, which may push ({why})"
    return None


def _github_script_needs(step: Mapping, ctx: RepoContext, env: dict[str, str]) -> str | None:
    """A github-script that runs processes (``exec``, ``child_process``) may run git."""
    with_ = step.get("with")
    script = scalar_text(with_.get("script")) if isinstance(with_, Mapping) else None
    sources, unread = github_script_sources(script or "", ctx.read_text)
    if unread is not None:
        return f"may use them: the github-script loads `{unread}`, which is not in the " \
               "repository context to read"
    for src in sources:
        a = analyze_github_script(src, env, job_client=False, git=True)
        if a.git_uses:
            return f"runs a github-script that {a.git_uses[0]}"
        if a.may_push:
            return f"may use them: the github-script {a.may_push[0]}"
    return None


def _remote_action_needs(uses: str, ctx: RepoContext, later: _Later, depth: int) -> str | None:
    """An action the knowledge base does not know, judged by its action.yml: a composite's steps
    are followed; other code may run git, and is taken to when its metadata speaks of git
    writes (committing, pushing, tags, branches, releases)."""
    name = uses.split("@", 1)[0].strip()
    answer = ctx.actions.lookup(uses)
    doc = ctx.actions.document(answer) if isinstance(answer, Found) else None
    if doc is None or not isinstance(doc.data, dict):
        return f"may use them: `{name}` is not in the knowledge base"
    if action_kind(doc.data) == "composite":
        assert isinstance(answer, Found)
        return _composite_needs(doc, f"the action `{uses}`", ctx, later, depth, answer.ref)
    words = git_write_words(doc.data)
    if words:
        said = ", ".join(f"“{w}”" for w in words[:3])
        return f"may use them: `{name}` may run git (its action.yml speaks of {said})"
    return None


def _composite_needs(doc: Document, label: str, ctx: RepoContext, later: _Later,
                     depth: int, origin: ActionRef | None = None) -> str | None:
    """The first step of a composite action that needs the credentials; ``origin``: the remote
    repository and ref it comes from (its `$/path` steps name files there)."""
    if depth >= 4:
        return f"may use them: composite actions nested too deep to follow ({label})"
    node = doc.node_at(("runs", "steps"))
    for item in getattr(node, "items", []):
        if isinstance(item, Mapping):
            uses = scalar_text(item.get("uses")) or ""
            if origin is not None and uses.strip().startswith("$/"):
                why = _remote_action_needs(origin.in_repo(uses), ctx, later, depth + 1)
            else:
                why = _step_needs(item, ctx, "", {}, later, depth + 1)
            if why:
                return f"uses {label}, which {why}"
    return None


def _local_action_needs(uses: str, ctx: RepoContext, later: _Later, depth: int) -> str | None:
    doc = ctx.local_action(uses)
    if doc is None or not isinstance(doc.data, dict):
        return f"may use them: the local action `{uses}` is not in the repository context to read"
    runs = doc.data.get("runs")
    using = str(runs.get("using", "")).lower() if isinstance(runs, dict) else ""
    if using != "composite":
        return f"may use them: the local action `{uses}` runs {using or 'unknown'} code"
    return _composite_needs(doc, f"the local action `{uses}`", ctx, later, depth)


def _is_checkout(uses: str) -> bool:
    return uses.split("@", 1)[0].lower().rstrip("/") == "actions/checkout"


def _version(uses: str, comment: str | None) -> tuple[int, int] | None:
    """(lowest, highest) major version the ref can stand for (a SHA by its ``# vX`` comment)."""
    rng = ref_range(uses.split("@", 1)[1], comment) if "@" in uses else None
    return (rng[0][0], rng[1][0]) if rng else None


def analyze(wf: Workflow, ctx: RepoContext) -> list[Finding]:
    found: list[Finding] = []
    data = wf.doc.data if isinstance(wf.doc.data, dict) else {}
    jobs: dict[str, Any] = data["jobs"] if isinstance(data.get("jobs"), dict) else {}
    for job_id, job in wf.jobs():
        steps = list(wf.steps(job))
        shell, workdir = run_defaults(data, jobs.get(job_id))
        for pos, (index, step) in enumerate(steps):
            uses = scalar_text(step.get("uses"))
            if uses is None or not _is_checkout(uses):
                continue
            where = f"jobs.{job_id}.steps[{index}]"
            version = _version(uses, _comment_after(wf, step))
            if version is None:
                found.append(Note(ID, where, f"left as it is: the version of `{uses.strip()}` "
                                  "cannot be told (a commit SHA needs a `# vX` comment); "
                                  "actions/checkout v1 has no persist-credentials input"))
                continue
            if version[0] < 2:
                found.append(Note(ID, where, f"left as it is: `{uses.strip()}` "
                                  f"{'is' if version[1] < 2 else 'may be'} actions/checkout v1, "
                                  "which has no persist-credentials input"))
                continue
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
            env = _env(wf.root, job)
            path = scalar_text(with_.get("path")) if isinstance(with_, Mapping) else None
            state = _Later(checkout_dir=(path or "").strip().strip("/").removeprefix("./"),
                           workdir=workdir)
            need = next((why for _, after in steps[pos + 1:]
                         if (why := _step_needs(after, ctx, shell, {**env, **_env(after)},
                                                state))), None)
            if need and need.startswith("may use them: "):
                found.append(Note(ID, where, "kept the persisted credentials: whether a later "
                                  f"step needs them is unknown ({need.removeprefix('may use them: ')})"))
                continue
            if need:
                found.append(Note(ID, where, f"kept the persisted credentials: a later step {need}"))
                continue
            found.append(_change(wf, job_id, where, step, with_, version))
    return found


def _env(*nodes: Mapping | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for node in nodes:
        env = node.get("env") if isinstance(node, Mapping) else None
        if isinstance(env, Mapping):
            for k, v in env.items:
                if isinstance(k, Scalar) and isinstance(v, Scalar):
                    out[str(k.value)] = "" if v.value is None else str(v.value)
    return out


def _comment_after(wf: Workflow, step: Mapping) -> str | None:
    """The comment after a step's ``uses:`` value (``# v4.2.2``), or None."""
    node = step.get("uses")
    if not isinstance(node, Scalar):
        return None
    text = wf.doc.text
    eol = text.find("\n", node.end)
    rest = text[node.end:eol if eol >= 0 else len(text)].strip()
    return rest.lstrip("#").strip() if rest.startswith("#") else None


def _change(wf: Workflow, job_id: str, where: str, step: Mapping,
            with_: object, version: tuple[int, int]) -> Change:
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
        explanation=_explanation(job_id, version), edits=(edit,), docs=DOCS)


def _explanation(job_id: str, version: tuple[int, int]) -> str:
    """Why the saved token is a risk for this checkout's version (facts from the knowledge base)."""
    kept = "; or, depending on the version, ".join(
        f"it keeps the job's token {k.where}, where {k.risk} ({k.source})"
        for k in checkout_credentials(*version))
    return (f"Unless told not to, actions/checkout saves the token it used: {kept}. No later step "
            f"of job `{job_id}` pushes or fetches with git, so nothing needs the saved token after "
            "the checkout.")
