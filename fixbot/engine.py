"""The engine: run transforms over one workflow, apply their edits, and guard the result."""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType

from fixbot import files, yamledit
from fixbot.errors import GuardError, InputError, TransformError
from fixbot.guard import check
from fixbot.types import Change, FileResult, Note
from fixbot.workflow import RepoContext, Workflow
from fixbot.yamlmodel import Document


def process(path: str, text: str, transforms: Sequence[ModuleType],
            ctx: RepoContext | None = None) -> FileResult:
    """Run ``transforms`` in order on ``text`` (a decoded file, BOM kept).

    Each transform sees the output of the ones before it. A file that fails to parse, or whose
    edits fail the guard, is reported as an error and keeps its original text.
    """
    ctx = ctx or RepoContext()
    result = FileResult(path=path, original=text)
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom):]
    try:
        doc = Document(body)
        if not transforms:
            return result
        wf = Workflow(path, doc)  # rebuilt only when a transform changed the document
        for t in transforms:
            try:
                findings = t.analyze(wf, ctx)
            except TransformError as e:
                raise TransformError(f"{t.ID}: {e}") from e
            changes = [f for f in findings if isinstance(f, Change)]
            result.notes.extend(f for f in findings if isinstance(f, Note))
            edits = [e for c in changes for e in c.edits]
            if not edits:
                continue
            try:
                new_body = yamledit.apply(body, edits)
            except TransformError as e:
                raise GuardError(f"{t.ID}: {e}") from e
            try:
                doc = check(new_body, doc, [e.op for e in edits])
            except GuardError as e:
                raise GuardError(f"{t.ID}: {e}") from e
            body = new_body
            wf = Workflow(path, doc)
            result.changes.extend(changes)
    except (InputError, GuardError, TransformError, RecursionError) as e:
        message = str(e) if not isinstance(e, RecursionError) else "nesting too deep"
        return FileResult(path=path, status="error", error=message, original=text)
    if result.changes:
        result.status = "changed"
        result.updated = bom + body
    return result


def process_target(target: files.Target, transforms: Sequence[ModuleType],
                   ctx: RepoContext) -> FileResult:
    """Read one discovered workflow file safely and process it (nothing is written)."""
    try:
        text = files.read_workflow(target)
    except InputError as e:
        return FileResult(path=target.display, status="error", error=str(e))
    return process(target.display, text, transforms, ctx)
