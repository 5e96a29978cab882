"""The split: a job that runs a pull request's code and then acts on the pull request becomes
two. The original file keeps the untrusted part on ``pull_request`` with a read-only token and
uploads what the acting steps need (the files they read and the pull request's number) as an
artifact; a new workflow, named after the original, runs on ``workflow_run`` with the write
token, downloads the artifact, checks the number against the run it follows, and runs the
acting steps on that data. It never runs the pull request's code.

The split is made only for the shape it is proved for (one job, acting steps last, each a
known action whose inputs are plain files and the pull request's number); any other shape
gets the reason why, for a note.
"""

from __future__ import annotations

import posixpath
import shlex
from typing import Any

from fixbot import yamledit
from fixbot.action_source import Found
from fixbot.errors import InputError, TransformError
from fixbot.kb import fork
from fixbot.transforms.fork_safety.read import JobView, effective_permissions
from fixbot.types import Change, Edit, FileEdit, SetOp
from fixbot.workflow import RepoContext, Workflow, scalar_text
from fixbot.yamledit import Style
from fixbot.yamlmodel import Document, Mapping, Scalar, Sequence, YNode, to_plain

DATA_DIR = "fixbot-pr-data"
_NUMBER_EXPRS = ("github.event.pull_request.number", "github.event.number")
_STEP_KEYS = {"name", "id", "uses", "with"}
_JOB_KEYS_BLOCKING = ("strategy", "needs", "outputs", "uses", "environment")


def new_path(path: str) -> str:
    """``.github/workflows/coverage.yml`` -> ``.github/workflows/coverage-privileged.yml``."""
    stem, ext = posixpath.splitext(path)
    return f"{stem}-privileged{ext or '.yml'}"


def split(wf: Workflow, ctx: RepoContext, j: JobView, jobs: list[JobView],
          triggers: set[str], ev: str) -> Change | str:
    """The split of job ``j`` (on event ``ev``), or why it cannot be made."""
    try:
        return _split(wf, ctx, j, jobs, triggers, ev)
    except (TransformError, ValueError, KeyError, IndexError) as e:
        return f"the split cannot be written ({e})"


def _shared(node: YNode) -> bool:
    """Whether a node or anything under it is an anchor or an alias."""
    if node.shared:
        return True
    if isinstance(node, Mapping):
        return any(_shared(v) or _shared(k) for k, v in node.items)
    if isinstance(node, Sequence):
        return any(_shared(v) for v in node.items)
    return False


def _split(wf: Workflow, ctx: RepoContext, j: JobView, jobs: list[JobView],
           triggers: set[str], ev: str) -> Change | str:
    root = wf.root
    assert root is not None
    if ev not in ("pull_request_target", "pull_request"):
        return (f"fixbot does not split `{ev}` jobs (the pull request they act on is not the "
                f"event's own)")
    if triggers != {ev}:
        return "the workflow has other triggers, which a split would change too"
    if len(jobs) != 1:
        return "the workflow has more than one job, and fixbot splits only single-job workflows"
    name = scalar_text(root.get("name"))
    if not name:
        return "the workflow has no `name:`, which the `workflow_run` half must name"
    if "\n" in name or "${{" in name:
        return "the workflow's `name:` spans lines or holds an expression, which the " \
               "`workflow_run` half could not name exactly"
    blocking = [k for k in _JOB_KEYS_BLOCKING if j.node.get(k) is not None]
    if blocking:
        return f"the job has `{blocking[0]}:`, which fixbot does not carry across a split"
    cond = scalar_text(j.node.get("if")) or ""
    if "event_name" in cond or "pull_request_target" in cond:
        return "the job's `if:` names the event, which changes with a split"
    acting = [n for n, s in enumerate(j.steps) if s.pr_action]
    if not acting:
        return "no step acts on the pull request through an action fixbot knows"
    first = acting[0]
    if acting != list(range(first, len(j.steps))) or first == 0:
        return ("the steps that act on the pull request are not the job's last ones, after "
                "the steps that run its code")
    if len(j.steps) != len(list(Workflow.steps(j.node))) or not isinstance(
            j.node.get("steps"), Sequence):
        return "the job's steps are not all plain mappings"
    steps_node = j.node.get("steps")
    if isinstance(steps_node, Sequence) and steps_node.flow:
        return "the job's steps are written in flow style (`[…]`), which fixbot does not split"
    untrusted, privileged = j.steps[:first], j.steps[first:]
    if any(_shared(s.node) for s in privileged):
        return "the steps that act on the pull request use YAML anchors or aliases"
    perms = effective_permissions(wf, j.node)
    kept_scopes = {"contents", "pull-requests", "issues", "metadata"}
    if not isinstance(perms, dict) or set(map(str, perms)) - kept_scopes:
        return ("the job's token has scopes other than `contents`, `pull-requests` and "
                "`issues` (or the default token), which the `pull_request` half would lose")
    if ev == "pull_request_target":
        from fixbot.transforms.fork_safety.read import secrets_named

        names, every = secrets_named(wf, j.node)
        if names or every:
            return ("the job reads secrets (" + (every or ", ".join(f"`{n}`" for n in names))
                    + "), which a `pull_request` run from a fork does not get")
    files: dict[str, str] = {}  # basename -> workspace path
    steps_out: list[dict[str, Any]] = []
    for s in privileged:
        got = _privileged_step(s.node, s.pr_action, ctx, files)  # type: ignore[arg-type]
        if isinstance(got, str):
            return f"{s.label if s.uses.split('@')[0] not in got else 'it'}: {got}"
        steps_out.append(got)
    target = new_path(wf.path)
    if target in ctx.workflows or ctx.read_text(target) is not None:
        return f"`{target}`, the name the split's second workflow would take, exists"
    seq = j.node.get("steps")
    assert isinstance(seq, Sequence)
    start = yamledit._line_start(wf.text, seq.items[first].start)
    end = yamledit._line_end(wf.text, yamledit._content_end(wf.text, seq.items[-1]))
    # a version comment on a moved step's `uses:` line moves with it; any other comment there
    # would be lost, so the job is left as it is
    version: dict[int, str] = {}  # index into privileged -> its `uses:` line's comment
    for c in wf.doc.comments(start, end):
        at = next((n for n, s in enumerate(privileged)
                   if isinstance(s.node.get("uses"), Scalar) and not c.own_line
                   and wf.doc.line_of(c.start) == s.node.get("uses").line + 1), None)  # type: ignore[union-attr]
        if at is None or at in version:
            return ("comments sit among the steps that act on the pull request; fixbot keeps "
                    "them")
        version[at] = c.text
    stem = posixpath.splitext(posixpath.basename(wf.path))[0]
    artifact = f"{stem}-pr-data"
    new_name = f"{name} (privileged)"
    handover = _handover(artifact, new_name, files)
    kept = [to_plain(n) for n in seq.items[:first]]
    edits = []
    if ev == "pull_request_target":
        edits.append(rename_trigger(wf, "pull_request_target", "pull_request"))
    edits.append(yamledit.set_key(wf.doc, j.node, "permissions", {"contents": "read"},
                                  wf.style, before=("steps",)))
    nl = wf.style.newline
    lines = render(handover, seq.col, wf.style)
    edits.append(Edit(start, end, _pinned(nl.join(lines)),
                      SetOp(seq.path, kept + handover)))
    scopes = sorted({sc for s in privileged for sc in s.pr_action.scopes})  # type: ignore[union-attr]
    runs_node = j.node.get("runs-on")
    runs_on = to_plain(runs_node) if runs_node is not None else "ubuntu-latest"
    text = _new_workflow(wf.path, name, new_name, j, runs_on, scopes, artifact, steps_out,
                         wf.style, version)
    acts = ", ".join(dict.fromkeys(f"`{s.uses.split('@')[0]}`" for s in privileged))
    first_run = j.steps[j.code[0][0]].label if j.code else untrusted[-1].label
    why_now = (f"On `pull_request_target` this job runs the pull request's code ({first_run}) "
               f"with {' and '.join(j.privileges)}: any fork could use them (a \"pwn request\")."
               if ev == "pull_request_target" else
               f"On a fork's `pull_request` the token is read-only and secrets are empty, so "
               f"{acts} cannot act on the pull request there.")
    explanation = (
        f"{why_now} Split in two: this job now runs on `pull_request` with `contents: read` and "
        f"uploads the artifact `{artifact}` (the pull request's number"
        + ("" if not files else " and " + ", ".join(f"`{p}`" for p in files.values()))
        + f"); the new workflow `{target}` (\"{new_name}\") runs on `workflow_run` after it, "
        f"with only the scopes {acts} need{'s' if len(privileged) == 1 else ''}, downloads the "
        f"artifact, checks that the number names the pull request whose head that run built, "
        f"and runs {acts} on that data. It never runs the pull request's code. The job's name "
        f"and `if:` stay on the `pull_request` half.")
    todo = (f"Check that the artifact `{artifact}` carries everything {acts} read "
            f"(`{target}` downloads only it)",
            f"`{target}` runs only once it is on the default branch (`workflow_run` workflows "
            f"run from there): after merging, check its first run on a pull request")
    return Change("fork-safety", f"jobs.{j.id}", j.node.line + 1,
                  f"split into `pull_request` (read-only) and a `workflow_run` workflow "
                  f"`{posixpath.basename(target)}` that acts on the pull request",
                  explanation, tuple(edits), todo=todo, docs=fork.GUIDE,
                  files=(FileEdit(target, None, text),),
                  moved_comments=tuple(version.values()))


def _privileged_step(step: Mapping, action: fork.PrAction, ctx: RepoContext,
                     files: dict[str, str]) -> dict[str, Any] | str:
    """The step as the ``workflow_run`` half runs it, or why it cannot move."""
    extra = sorted(str(k.value) for k, _ in step.items if str(k.value) not in _STEP_KEYS)
    if extra:
        return f"it has `{extra[0]}:`, which fixbot does not carry across a split"
    uses = scalar_text(step.get("uses")) or ""
    declared = _inputs(uses, ctx)
    if declared is None and len(action.number) > 1:
        return (f"fixbot cannot read the action.yml of `{uses}` to tell which of "
                + ", ".join(f"`{n}`" for n in action.number) + " names the pull request")
    number_input = next((n for n in action.number if declared is None or n in declared), None)
    if number_input is None:
        return f"`{uses}` takes no input naming the pull request"
    out: dict[str, Any] = {k: to_plain(v) for k, v in ((str(k.value), v) for k, v in step.items)
                           if k != "with"}
    with_: dict[str, Any] = {}
    w = step.get("with")
    if w is not None and not isinstance(w, Mapping):
        return "its `with:` is not a mapping"
    for k, v in (w.items if isinstance(w, Mapping) else []):
        key = str(k.value)
        if not isinstance(v, Scalar):
            return f"its input `{key}` is not a plain value"
        value = "" if v.value is None else scalar_text(v) or ""
        if key in action.number:
            continue
        if key in action.files:
            p = value.removeprefix("./")
            if "${{" in p or p.startswith("/") or ".." in p.split("/") or not p:
                return f"its input `{key}: {value}` is not a plain path in the workspace"
            base = posixpath.basename(p)
            if files.get(base, p) != p:
                return f"two files named `{base}` would meet in the artifact"
            files[base] = p
            with_[key] = f"{DATA_DIR}/{base}"
            continue
        if "${{" in value:
            inner = value.replace(" ", "")
            if not all(part.startswith(("secrets.", "github.token"))
                       for part in (x.split("}}")[0] for x in inner.split("${{")[1:])):
                return (f"its input `{key}` reads the `pull_request` event, which the "
                        f"`workflow_run` half does not have")
        with_[key] = v.value
    with_[number_input] = "${{ steps.pr.outputs.number }}"
    out["with"] = with_
    return out


def _inputs(uses: str, ctx: RepoContext) -> set[str] | None:
    """The inputs the action's action.yml declares, or None where fixbot cannot read it."""
    answer = ctx.actions.lookup(uses)
    doc = ctx.actions.document(answer) if isinstance(answer, Found) else None
    data = doc.data if doc is not None else None
    if not isinstance(data, dict) or not isinstance(data.get("inputs"), dict):
        return None
    return {str(k) for k in data["inputs"]}


def _handover(artifact: str, new_name: str, files: dict[str, str]) -> list[dict[str, Any]]:
    lines = [f'mkdir -p "$GITHUB_WORKSPACE/{DATA_DIR}"',
             f"printf '%s\\n' \"$PR_NUMBER\" > \"$GITHUB_WORKSPACE/{DATA_DIR}/pr-number\""]
    lines += [f'cp -- "$GITHUB_WORKSPACE"/{shlex.quote(p)} "$GITHUB_WORKSPACE/{DATA_DIR}/"'
              for p in files.values()]
    return [
        {"name": f"Save the data for \"{new_name}\"", "shell": "bash",
         "env": {"PR_NUMBER": "${{ github.event.pull_request.number }}"},
         "run": "\n".join(lines) + "\n"},
        {"name": f"Upload the data for \"{new_name}\"",
         "uses": fork.pin("upload-artifact").split(" # ")[0],
         "with": {"name": artifact, "path": f"{DATA_DIR}/", "if-no-files-found": "error",
                  "include-hidden-files": True,
                  "retention-days": 5}},
    ]


_CHECK = """number=$(cat {dir}/pr-number)
case "$number" in
  ''|*[!0-9]*) echo "::error::the artifact's pr-number is not a number"; exit 1 ;;
esac
head=$(gh api "repos/$GITHUB_REPOSITORY/pulls/$number" --jq .head.sha)
if [ "$head" != "$HEAD_SHA" ]; then
  echo "::error::pull request #$number is not the one the run built"; exit 1
fi
echo "number=$number" >> "$GITHUB_OUTPUT"
"""


def _new_workflow(path: str, name: str, new_name: str, j: JobView, runs_on: Any,
                  scopes: list[str], artifact: str, steps: list[dict[str, Any]],
                  style: Style, version: dict[int, str]) -> str:
    # contents: read for actions that read their configuration through the API (labeler)
    perms: dict[str, str] = {"actions": "read", "contents": "read", "pull-requests": "read"}
    perms.update({s: "write" for s in scopes})
    job: dict[str, Any] = {}
    name_node = j.node.get("name")
    shown = to_plain(name_node) if name_node is not None else j.id
    # an expression naming the pull_request event would be empty under workflow_run
    job["name"] = shown if isinstance(shown, str) and "${{" not in shown else j.id
    job["if"] = ("github.event.workflow_run.event == 'pull_request' && "
                 "github.event.workflow_run.conclusion == 'success'")
    job["runs-on"] = runs_on
    job["permissions"] = dict(sorted(perms.items()))
    job["steps"] = [
        {"name": "Download the pull request's data", "uses": fork.pin("download-artifact")
         .split(" # ")[0],
         "with": {"name": artifact, "path": DATA_DIR,
                  "run-id": "${{ github.event.workflow_run.id }}",
                  "github-token": "${{ github.token }}"}},
        {"name": "Check the pull request number", "id": "pr", "shell": "bash",
         "env": {"GH_TOKEN": "${{ github.token }}",
                 "HEAD_SHA": "${{ github.event.workflow_run.head_sha }}"},
         "run": _CHECK.format(dir=DATA_DIR)},
        *steps,
    ]
    data = {"name": new_name,
            "on": {"workflow_run": {"workflows": [name], "types": ["completed"]}},
            "permissions": {},
            # one run per pull request branch: a newer run replaces the comment of an older one
            "concurrency": {"group": "${{ github.workflow }}-${{ github.event.workflow_run"
                                     ".head_repository.full_name }}-${{ github.event"
                                     ".workflow_run.head_branch }}",
                            "cancel-in-progress": True},
            "jobs": {j.id: job}}
    one_line = " ".join(name.split())
    head = [f"# Split by fixbot (fork-safety) from {posixpath.basename(path)}: \"{one_line}\" runs",
            "# the pull request's code with a read-only token and uploads what this workflow",
            "# needs; this workflow acts on the pull request with a write token and never runs",
            "# the pull request's code.", ""]
    body = render(data, 0, Style("\n", 2, 2))
    text = "\n".join(head[:-1] + body) + "\n"
    why = {"actions": "download the artifact of the run this one follows",
           "pull-requests": ", ".join(f"`{str(st['uses']).split('@')[0]}`" for st in steps)
           + " (and reading the pull request's head)"}
    for scope, access in perms.items():
        line = f"      {scope}: {access}\n"
        reason = why.get(scope) or ", ".join(f"`{str(st['uses']).split('@')[0]}`" for st in steps)
        text = text.replace(line, f"      {scope}: {access}  # {reason}\n", 1)
    for n, comment in sorted(version.items()):
        ref = yamledit.render_scalar(str(steps[n]["uses"]))
        at = text.index(f"uses: {ref}\n", text.index("- name: Check the pull request number"))
        # the n-th moved step's line (steps using the same action are found in order)
        for _ in range(sum(1 for m in range(n) if steps[m]["uses"] == steps[n]["uses"])):
            at = text.index(f"uses: {ref}\n", at + 1)
        end = at + len(f"uses: {ref}")
        text = text[:end] + " " + comment + text[end:]
    text = _pinned(text)
    try:  # the file must read back as exactly the workflow meant (quoting, block scalars)
        back = Document(text)
    except InputError as e:
        raise TransformError(f"the new workflow would not parse: {e}") from e
    if back.root is None or to_plain(back.root) != data:
        raise TransformError("the new workflow would not read back as the steps it moves")
    return text.replace("\n", style.newline)


def _pinned(text: str) -> str:
    """The version comments of the pinned actions a split adds."""
    for key in ("upload-artifact", "download-artifact"):
        ref, _, version = fork.pin(key).partition(" # ")
        text = text.replace(f"uses: {ref}", f"uses: {ref} # {version}")
    return text


def render(value: Any, col: int, style: Style) -> list[str]:
    """Block-style lines for ``value``, multi-line strings as literal blocks."""
    pad = " " * col
    out: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            key = yamledit.render_scalar(k)
            if isinstance(v, dict) and v:
                out.append(f"{pad}{key}:")
                out += render(v, col + style.indent, style)
            elif isinstance(v, list) and v and any(isinstance(i, (dict, list)) for i in v):
                out.append(f"{pad}{key}:")
                out += render(v, col + style.seq_offset, style)
            elif isinstance(v, str) and "\n" in v and _literal_ok(v):
                chomp = "" if v.endswith("\n") and not v.endswith("\n\n") else "-"
                out.append(f"{pad}{key}: |{chomp}")
                out += [(" " * (col + style.indent) + ln) if ln else ""
                        for ln in v.rstrip("\n").split("\n")]
            else:
                shown = (yamledit.render_inline(v) if isinstance(v, (dict, list))
                         else yamledit.render_scalar(v))
                out.append(f"{pad}{key}: {shown}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)) and item:
                inner = render(item, col + 2, style)
                out.append(f"{pad}- {inner[0][col + 2:]}")
                out += inner[1:]
            else:
                out.append(f"{pad}- {yamledit.render_inline(item)}")
    return out


def _literal_ok(v: str) -> bool:
    """Whether a literal block (``|`` or ``|-``) keeps ``v`` exactly; else it is quoted."""
    body = v[:-1] if v.endswith("\n") else v
    lines = body.split("\n")
    return (not v.endswith("\n\n") and not lines[0].startswith(" ")
            and not any(ln != ln.rstrip(" \t") or "\t" in ln or "\r" in ln for ln in lines))


def rename_trigger(wf: Workflow, old: str, new: str) -> Edit:
    """Rename the event ``old`` to ``new`` in ``on:`` (scalar, list or mapping form)."""
    root = wf.root
    assert root is not None
    key: Any = "on"
    on = root.get("on")
    if on is None:
        on, key = root.get(True), True  # type: ignore[arg-type]
    assert on is not None
    plain: Any = to_plain(on)
    new_plain: Any
    if isinstance(on, Scalar):
        node, new_plain = on, new
    elif isinstance(on, Sequence):
        node = next(i for i in on.items if isinstance(i, Scalar) and i.value == old)
        new_plain = [new if v == old else v for v in plain]
    else:
        assert isinstance(on, Mapping) and isinstance(plain, dict)
        node = on.key_node(old)  # type: ignore[assignment]
        assert node is not None
        new_plain = {(new if k == old else k): v for k, v in plain.items()}
    return Edit(node.start, node.end, new, SetOp((key,), new_plain))
