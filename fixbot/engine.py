"""The engine: run transforms over one workflow, apply their edits, and guard the result."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from fixbot import files, ignore, yamledit
from fixbot.errors import GuardError, InputError, TransformError
from fixbot.guard import check
from fixbot.types import Change, FileResult, Note, Transform, TransformOutcome
from fixbot.workflow import RepoContext, Workflow
from fixbot.yamlmodel import Document


@dataclass(frozen=True)
class Declined:
    """The pull request a person closed unmerged with a change in it."""

    number: int
    url: str


def change_key(path: str, c: Change) -> str:
    """A change's own fingerprint: its file, transform, location and inserted text (12 hex
    digits). Line numbers and wording are left out, so the change keeps its key while the
    lines around it move and while fixbot's explanations are reworded."""
    blob = json.dumps([path, c.transform, c.location, sorted(e.new for e in c.edits)],
                      ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:12]


@dataclass
class KeepAway:
    """What keeps a transform's changes out of one file: its ignore comments (read from the
    input document, so their lines are the input's) and the changes people declined, by
    :func:`change_key`."""

    path: str
    ignores: list[ignore.Ignore] = field(default_factory=list)
    declined: Mapping[str, Declined] = field(default_factory=dict)

    def skips(self, transform: str) -> list[ignore.Ignore]:
        """The workflow-level ignore comments naming ``transform``: it is not run at all."""
        return [i for i in self.ignores if i.location == "" and i.covers(transform)]

    def filter(self, transform: str, changes: Sequence[Change]) -> tuple[list[Change], list[Note]]:
        """The changes to apply, and the notes saying what was kept away and why.

        A change at or under an ignored location is dropped, and so is a declined change. A
        change may rely on the changes at or under its own location (a workflow-level
        ``permissions:`` default on the job-level blocks that let it be read-only), so a change
        at a location holding a dropped one is dropped too."""
        scopes = [i for i in self.ignores if i.covers(transform)]
        notes = [Note(transform, i.location, f"ignored by `{i.directive}` on line {i.line}")
                 for i in scopes]
        why: dict[int, str] = {}
        for n, c in enumerate(changes):
            hit = next((i for i in scopes if ignore.at_or_under(c.location, i.location)), None)
            d = self.declined.get(change_key(self.path, c)) if hit is None else None
            if hit is not None:
                why[n] = f"ignored by `{hit.directive}` on line {hit.line}"
            elif d is not None:
                why[n] = f"declined in #{d.number}"
                notes.append(Note(transform, c.location,
                                  f"left out: declined in #{d.number} ({d.url}): {c.summary}"))
        dropped = dict(why)
        for n, c in enumerate(changes):
            under = next((m for m in dropped if changes[m].location != c.location
                          and ignore.at_or_under(changes[m].location, c.location)), None)
            if n in why or under is None:
                continue
            inner = changes[under].location or "the workflow"
            why[n] = dropped[under]
            notes.append(Note(transform, c.location,
                              f"left out: {c.summary}: it goes with the change to `{inner}`, "
                              f"which is {dropped[under]}"))
        return [c for n, c in enumerate(changes) if n not in why], notes


def process(path: str, text: str, transforms: Sequence[Transform],
            ctx: RepoContext | None = None,
            declined: Mapping[str, Declined] | None = None,
            keep_change: Callable[[Change], bool] | None = None) -> FileResult:
    """Run ``transforms`` in order on ``text`` (a decoded file, BOM kept).

    Each transform sees the output of the last one that applied, and has one outcome: applied,
    skipped or failed (see :func:`run_one`). A file that fails to parse is an error and keeps its
    text. A failed transform never takes the others' changes with it: when at least one
    transform applied, the file is ``changed`` and each failure is a note naming its error;
    when none applied, the failures make the file an ``error`` (docs/engine.md says why).

    ``# fixbot: ignore[...]`` comments and ``declined`` changes (by :func:`change_key`) keep
    changes out (:class:`KeepAway`). ``keep_change``, when given, keeps only the changes it
    accepts (one pull request's lane; see :func:`run_one`).
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
    ignores, unread = ignore.read(doc)
    result.notes.extend(_comment_notes(ignores, unread, transforms))
    keep = KeepAway(path, ignores, declined or {})
    wf = Workflow(path, doc)  # rebuilt only when a transform changed the document
    for t in transforms:
        outcome, new_body, new_doc = run_one(t, wf, ctx, keep, keep_change)
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


def _comment_notes(ignores: list[ignore.Ignore], unread: list[ignore.Unread],
                   transforms: Sequence[Transform]) -> list[Note]:
    """Notes on ignore comments fixbot cannot follow: unknown transform ids, an empty list,
    a ``# fixbot:`` comment that is not an ignore comment."""
    if not ignores and not unread:
        return []
    from fixbot.transforms import PLANNED, REGISTRY

    known = set(REGISTRY) | set(PLANNED) | {t.ID for t in transforms}
    listed = ", ".join(sorted(known))
    notes: list[Note] = []
    for i in ignores:
        unknown = [n for n in i.names if n not in known]
        if unknown:
            names = ", ".join(f"`{n}`" for n in unknown)
            notes.append(Note("fixbot", i.location, (
                f"`{i.directive}` on line {i.line} names an unknown transform id {names}, so "
                f"it keeps nothing away for it (transform ids: {listed})")))
        elif i.ids is not None and not i.ids:
            notes.append(Note("fixbot", i.location, (
                f"`{i.directive}` on line {i.line} names no transform, so it keeps nothing "
                "away (write `# fixbot: ignore` for every transform)")))
    for u in unread:
        notes.append(Note("fixbot", u.location, (
            f"`{u.text}` on line {u.line} is not an ignore comment fixbot can read, so it "
            "keeps nothing away (write `# fixbot: ignore[ID,…]`)")))
    return notes


def run_one(t: Transform, wf: Workflow, ctx: RepoContext, keep: KeepAway | None = None,
            keep_change: Callable[[Change], bool] | None = None
            ) -> tuple[TransformOutcome, str, Document | None]:
    """One transform on one workflow: its outcome, and the new text and document when it applied.

    ``failed`` when ``analyze`` raises a TransformError (or recurses too deep), when its edits
    cannot be spliced (overlap), or when the guard rejects the result; the text is then left as
    it was for the next transform. ``keep`` leaves out the changes ignore comments and people
    keep away (a workflow-level ignore comment: the transform does not run on the file).
    ``keep_change`` keeps only the changes it accepts, right after ``analyze``: the others are
    dropped silently (they belong to the other pull request, whose run computes them).
    """
    keep = keep or KeepAway(wf.path)
    skips = keep.skips(t.ID)
    if skips:
        notes = tuple(Note(t.ID, "", f"ignored by `{i.directive}` on line {i.line}")
                      for i in skips)
        return TransformOutcome(t.ID, "skipped", notes=notes), wf.text, None
    try:
        findings = t.analyze(wf, ctx)
    except TransformError as e:
        return TransformOutcome(t.ID, "failed", error=str(e)), wf.text, None
    except RecursionError:
        return TransformOutcome(t.ID, "failed", error="nesting too deep"), wf.text, None
    if keep_change is not None:
        findings = [f for f in findings if not isinstance(f, Change) or keep_change(f)]
    kept, kept_away = keep.filter(t.ID, [f for f in findings if isinstance(f, Change)])
    changes = tuple(kept)
    notes = tuple(kept_away) + tuple(f for f in findings if isinstance(f, Note))
    edits = [e for c in changes for e in c.edits]
    if not edits:
        return TransformOutcome(t.ID, "skipped", notes=notes), wf.text, None
    try:
        new_body = yamledit.apply(wf.text, edits)
        moved = [m for c in changes for m in c.moved_comments
                 if any(m in fe.after for fe in c.files)]
        new_doc = check(new_body, wf.doc, [e.op for e in edits], moved)
    except (TransformError, GuardError) as e:
        return TransformOutcome(t.ID, "failed", error=str(e)), wf.text, None
    except RecursionError:
        return TransformOutcome(t.ID, "failed", error="the edited file nests too deep"), wf.text, None
    return TransformOutcome(t.ID, "applied", changes, notes), new_body, new_doc


def process_target(target: files.Target, transforms: Sequence[Transform],
                   ctx: RepoContext, declined: Mapping[str, Declined] | None = None,
                   keep_change: Callable[[Change], bool] | None = None) -> FileResult:
    """Read one discovered workflow file safely and process it (nothing is written)."""
    try:
        text = files.read_workflow(target)
    except InputError as e:
        return FileResult(path=target.display, status="error", error=str(e))
    return process(target.display, text, transforms, ctx, declined, keep_change)
