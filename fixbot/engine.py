"""The engine: run transforms over one workflow, apply their edits, and guard the result."""

from __future__ import annotations

from collections.abc import Sequence

from fixbot import files, yamledit
from fixbot.errors import GuardError, InputError, TransformError
from fixbot.guard import check
from fixbot.types import Change, FileResult, Note, Transform, TransformOutcome
from fixbot.workflow import RepoContext, Workflow
from fixbot.yamlmodel import Document


def process(path: str, text: str, transforms: Sequence[Transform],
            ctx: RepoContext | None = None) -> FileResult:
    """Run ``transforms`` in order on ``text`` (a decoded file, BOM kept).

    Each transform sees the output of the last one that applied, and has one outcome: applied,
    skipped or failed (see :func:`run_one`). A file that fails to parse is an error and keeps its
    text. A failed transform never takes the others' changes with it: when at least one
    transform applied, the file is ``changed`` and each failure is a note naming its error;
    when none applied, the failures make the file an ``error`` (docs/engine.md says why).
    """
    ctx = ctx or RepoContext()
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom):]
    try:
        doc = Document(body)
    except InputError as e:
        return FileResult(path=path, status="error", error=str(e), original=text)
    except RecursionError:
        return FileResult(path=path, status="error", error="nesting too deep", original=text)
    result = FileResult(path=path, original=text)
    if not transforms:
        return result
    wf = Workflow(path, doc)  # rebuilt only when a transform changed the document
    for t in transforms:
        outcome, new_body, new_doc = run_one(t, wf, ctx)
        result.outcomes.append(outcome)
        if new_doc is not None:
            body = new_body
            wf = Workflow(path, new_doc)
    applied = any(o.status == "applied" for o in result.outcomes)
    for o in result.outcomes:
        result.changes.extend(o.changes)
        result.notes.extend(o.notes)
        if o.status == "failed" and applied:
            result.notes.append(Note(o.transform, "", f"not applied to this file: {o.error} (the "
                                     "other transforms' changes were applied and checked on their own)"))
    if applied:
        result.status = "changed"
        result.updated = bom + body
    elif result.failed:
        result.status = "error"
        result.error = "; ".join(f"{o.transform}: {o.error}" for o in result.failed)
    return result


def run_one(t: Transform, wf: Workflow, ctx: RepoContext) -> tuple[TransformOutcome, str, Document | None]:
    """One transform on one workflow: its outcome, and the new text and document when it applied.

    ``failed`` when ``analyze`` raises a TransformError (or recurses too deep), when its edits
    cannot be spliced (overlap), or when the guard rejects the result; the text is then left as
    it was for the next transform.
    """
    try:
        findings = t.analyze(wf, ctx)
    except TransformError as e:
        return TransformOutcome(t.ID, "failed", error=str(e)), wf.text, None
    except RecursionError:
        return TransformOutcome(t.ID, "failed", error="nesting too deep"), wf.text, None
    changes = tuple(f for f in findings if isinstance(f, Change))
    notes = tuple(f for f in findings if isinstance(f, Note))
    edits = [e for c in changes for e in c.edits]
    if not edits:
        return TransformOutcome(t.ID, "skipped", notes=notes), wf.text, None
    try:
        new_body = yamledit.apply(wf.text, edits)
        new_doc = check(new_body, wf.doc, [e.op for e in edits])
    except (TransformError, GuardError) as e:
        return TransformOutcome(t.ID, "failed", error=str(e)), wf.text, None
    except RecursionError:
        return TransformOutcome(t.ID, "failed", error="the edited file nests too deep"), wf.text, None
    return TransformOutcome(t.ID, "applied", changes, notes), new_body, new_doc


def process_target(target: files.Target, transforms: Sequence[Transform],
                   ctx: RepoContext) -> FileResult:
    """Read one discovered workflow file safely and process it (nothing is written)."""
    try:
        text = files.read_workflow(target)
    except InputError as e:
        return FileResult(path=target.display, status="error", error=str(e))
    return process(target.display, text, transforms, ctx)
