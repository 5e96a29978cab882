"""Pull-request text: title, body, follow-up comment and commit message, rendered from the
results alone.

Everything here is a pure function of the ``FileResult`` list (its ``Change`` and ``Note``
values and the original/updated texts): the same results always give the same text, so reruns
can compare bodies, and the hidden fingerprint marker identifies the change set.

The body is written for a reviewer who has a minute: a table of the kinds of change (riskiest
first), one explanation per kind with a compact list of where each change is and what is
particular to it, the diffs folded per file, then what to check and what was left alone. It
stays within :data:`BUDGET`; what does not fit goes to one follow-up comment
(:func:`render`), and the checklist, the permissions changes and the notes are never dropped.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from fixbot import yamlmodel
from fixbot.errors import FixbotError
from fixbot.kb import triggers as kb_triggers
from fixbot.pr_diff import (
    FileDiff,
    carried_diffs,
    diff_block,
    file_diff,
    in_line_order,
    plural,
)
from fixbot.pr_kinds import SHA, Kind, general, group, job_of, kind_section, short_path
from fixbot.types import FileResult, Note

BRANCH = "fixbot/harden-workflows"
LABEL = "fixbot"
MARKER_PREFIX = "<!-- fixbot:fingerprint="
_MARKER_RE = re.compile(r"<!-- fixbot:fingerprint=([0-9a-f]{64})(?: transforms=([a-z0-9,-]*))? -->")
DETAILS_PREFIX = "<!-- fixbot:details="  # the follow-up comment's marker (per change set)
BUDGET = 50_000  # characters of a body; GitHub rejects bodies over 65,536
COMMENT_BUDGET = 60_000  # characters of the follow-up comment
MAX_SUBJECT = 72  # the commit subject (and the title)
CAP = 500  # characters of what is particular to a permissions change, in the last resort
_SHORT_NOTE = 300  # characters of a note's text when the notes are shortened to fit
_SHORT_PLACES = 8  # places a group of notes lists when shortened to fit
# How a reviewer keeps fixbot away from part of a workflow (docs/engine.md, "Ignore comments").
OPT_OUT = ("To keep fixbot away from a workflow, job or step, put `# fixbot: ignore[ID]` on its "
           "line, ID being a transform id shown above (several: `ignore[permissions,"
           "persist-credentials]`; all: `# fixbot: ignore`). Closing this pull request unmerged "
           "declines each change in it: fixbot does not propose them again.")


def changed(results: Sequence[FileResult]) -> list[FileResult]:
    return [r for r in results if r.status == "changed" and r.changes]


def fingerprint(results: Sequence[FileResult]) -> str:
    """sha256 of the change set: per changed file, each change's transform, location, summary
    and inserted text. Line numbers and unrelated text are left out, so a base branch moving
    elsewhere keeps the fingerprint (a declined change set stays declined)."""
    items = []
    for r in sorted(changed(results), key=lambda r: r.path):
        for c in r.changes:
            items.append([r.path, c.transform, c.location, c.summary,
                          sorted(e.new for e in c.edits)])
    items.sort()
    blob = json.dumps(items, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def marker(fp: str, selection: Sequence[str] | None = None) -> str:
    """The hidden marker: the change-set fingerprint and, when known, the sorted ids of the
    transforms the run selected (``--only``/``--skip``)."""
    if selection is None:
        return f"{MARKER_PREFIX}{fp} -->"
    return f"{MARKER_PREFIX}{fp} transforms={','.join(sorted(selection))} -->"


def details_marker(fp: str) -> str:
    """The follow-up comment's marker: one comment per change set."""
    return f"{DETAILS_PREFIX}{fp} -->"


def _last_marker(body: str | None) -> re.Match[str] | None:
    """fixbot's own marker: the last one in the body (the body quotes workflow text before it,
    which may hold a line shaped like a marker)."""
    found = list(_MARKER_RE.finditer(body or ""))
    return found[-1] if found else None


def fingerprint_of(body: str | None) -> str | None:
    """The fingerprint recorded in a PR body by :func:`body`, or None."""
    m = _last_marker(body)
    return m.group(1) if m else None


def selection_of(body: str | None) -> frozenset[str] | None:
    """The transform selection recorded in a PR body's marker, or None when the body has no
    marker or one written before selections were recorded."""
    m = _last_marker(body)
    if m is None or m.group(2) is None:
        return None
    return frozenset(i for i in m.group(2).split(",") if i)


def _counts(results: Sequence[FileResult]) -> tuple[int, int, list[str]]:
    files = changed(results)
    n = sum(len(r.changes) for r in files)
    ids = list(dict.fromkeys(c.transform for r in files for c in r.changes))
    return n, len(files), ids


def title(results: Sequence[FileResult]) -> str:
    """The title, which is also the commit subject: at most :data:`MAX_SUBJECT` characters."""
    n, nfiles, ids = _counts(results)
    count = f"{plural(n, 'change')} in {plural(nfiles, 'file')}"
    for text in (f"Harden GitHub Actions workflows: {', '.join(ids)} ({count})",
                 f"Harden workflows: {', '.join(ids)} ({count})",
                 f"Harden GitHub Actions workflows ({count})"):
        if len(text) <= MAX_SUBJECT:
            return text
    return f"Harden workflows ({count})"[:MAX_SUBJECT]


def commit_message(results: Sequence[FileResult], subject: str | None = None) -> str:
    """The commit message: ``subject`` (default: :func:`title`), then each change."""
    lines = [subject or title(results), ""]
    for r in changed(results):
        lines.append(f"{r.path}:")
        for c in in_line_order(r):
            where = c.location or "top level"
            lines.append(f"- {where}: {_plain(c.summary)} ({c.transform})")
    lines += ["", "Generated by fixbot; every change is explained in the pull request."]
    return "\n".join(lines) + "\n"


def _plain(text: str) -> str:
    return text.replace("`", "")


def checklist(results: Sequence[FileResult]) -> list[str]:
    """Per changed file, its changes' to-do items (once), then, unless one of them is about
    that file's runs (it starts with its path), which runs of this pull request use it
    (:func:`fixbot.kb.triggers.verification`). Workflows given the same advice share one
    item: ``a.yml` (job `x`), `b.yml` (jobs `y`, `z`), each: ADVICE``."""
    items: list[str] = []
    for r in changed(results):
        todos = [t for c in in_line_order(r) for t in c.todo]
        checked = any(t.startswith(f"`{r.path}`") for t in todos)  # a transform's own advice
        items += todos + ([] if checked else [_verification(r)])
    paths = [f"`{r.path}`" for r in changed(results)]
    alike: dict[str, list[str]] = {}
    for item in dict.fromkeys(items):
        subject, advice = _split_advice(item, paths)
        alike.setdefault(advice if subject else item, []).append(subject or item)
    return [subjects[0] if len(subjects) == 1 and subjects[0] == advice else
            f"{subjects[0]}: {advice}" if len(subjects) == 1 else
            f"{', '.join(subjects)}, each: {advice}" for advice, subjects in alike.items()]


def _split_advice(item: str, paths: list[str]) -> tuple[str, str]:
    """``(`a.yml` (job `x`), ADVICE)`` for an item about one workflow's runs, else ``("", item)``."""
    for path in paths:
        if item.startswith(path):
            rest = item[len(path):]
            if rest.startswith(": "):
                return path, rest[2:]
            if rest.startswith(" (") and "): " in rest:
                jobs, _, advice = rest.partition("): ")
                return path + jobs + ")", advice
    return "", item


def _verification(r: FileResult) -> str:
    jobs = list(dict.fromkeys(j for c in in_line_order(r) if (j := job_of(c.location))))
    on, ifs = None, {}
    try:
        doc = yamlmodel.parse((r.updated or "").removeprefix("\ufeff"))
        data = yamlmodel.to_plain(doc.root) if doc.root is not None else None
    except FixbotError:
        data = None
    if isinstance(data, dict):
        on = data.get("on", data.get(True))
        defined = data.get("jobs")
        if isinstance(defined, dict):
            ifs = {j: str(v["if"]) for j, v in defined.items()
                   if isinstance(v, dict) and v.get("if") is not None}
    return kb_triggers.verification(r.path, on, [(j, ifs.get(j)) for j in jobs])


def _failures(ids: list[str]) -> list[str]:
    """What a failed run looks like and how to undo one change (once, for the transforms of
    this pull request), with the sources."""
    known = kb_triggers.symptoms()
    seen = [known[i] for i in ids if i in known]
    if not seen:
        return []
    scope = (" (for a missing scope, add it to that job's block instead)"
             if "permissions" in ids else "")
    out = [f"If a run fails with {'; or '.join(s.text for s in seen)}, a step needed what one "
           "change took away. Undo that change alone: push a commit to this branch that removes "
           f"the lines its diff adds{scope}; fixbot then leaves the branch to you. After "
           "merging, do the same on the default branch."]
    if "permissions" in ids:
        out.append(kb_triggers.triggers()["pull_request"].note)
    return out + ["Sources: " + ", ".join(dict.fromkeys(s.source for s in seen))]


def _manual_run(items: list[str], branch: str = BRANCH) -> list[str]:
    """How to run a workflow by hand on this branch, once, when an item asks for it."""
    if not any(kb_triggers.DISPATCH in item for item in items):
        return []
    return [f"A manual run on this branch: Actions → the workflow → Run workflow → branch "
            f"`{branch}`, or `gh workflow run FILE --ref {branch}` "
            f"({kb_triggers.filter_sources()[1]})."]


def _note_groups(results: Sequence[FileResult]) -> list[tuple[str, str, list[tuple[str, Note]]]]:
    """Notes grouped by transform and message (each note's own job said as "the job")."""
    groups: dict[tuple[str, str], list[tuple[str, Note]]] = {}
    for r in results:
        for n in r.notes:
            key = (n.transform, SHA.sub(r"@\1", general(n.message, n.location)))
            groups.setdefault(key, []).append((r.path, n))
    return [(t, msg, places) for (t, msg), places in groups.items()]


def _notes_section(results: Sequence[FileResult], full: bool) -> list[str]:
    groups = _note_groups(results)
    errors = [r for r in results if r.status == "error"]
    if not groups and not errors:
        return []
    count = sum(len(p) for _, _, p in groups)
    out = [f"## Left alone ({plural(count, 'note')}"
           + (f", {plural(len(errors), 'file')} not processed)" if errors else ")"), ""]
    for transform, message, places in groups:
        if len(places) == 1:
            path, n = places[0]
            text = SHA.sub(r"@\1", n.message)
            where = f" `{n.location}`" if n.location else ""
            out.append(f"- `{short_path(path)}`{where} (`{transform}`): {_cut(text, full)}")
            continue
        shown = places if full else places[:_SHORT_PLACES]
        at = ", ".join(f"`{short_path(p)}` `{n.location or 'top level'}`" for p, n in shown)
        more = f" and {len(places) - len(shown)} more" if len(shown) < len(places) else ""
        out.append(f"- (`{transform}`, {len(places)}×) {_cut(message, full)} — at {at}{more}.")
    for r in errors:
        out.append(f"- `{r.path}`: not processed: {r.error}")
    return out + [""]


def _fit(lines: list[str], room: int) -> list[str]:
    """The notes section's lines that fit in ``room`` characters, then how many groups more
    the comment below lists."""
    kept: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        if used + len(line) + 1 > room and line.startswith("- "):
            rest = sum(1 for ln in lines[i:] if ln.startswith("- "))
            return kept + [f"- … and {rest} more (the comment below lists every note)", ""]
        kept.append(line)
        used += len(line) + 1
    return kept


def _cut(text: str, full: bool) -> str:
    if full or len(text) <= _SHORT_NOTE:
        return text
    return text[:_SHORT_NOTE].rstrip() + "… (in full in the comment below)"


@dataclass(frozen=True)
class Checklist:
    """The body's checklist for people: ``items`` (done, text) in order, an optional ``note``
    above them (e.g. why nothing could be ticked), and the ``branch`` the pull request is from.
    By default (:func:`render` without one): :func:`checklist`, nothing ticked."""

    items: tuple[tuple[bool, str], ...]
    note: str | None = None
    branch: str = BRANCH


@dataclass(frozen=True)
class Rendered:
    body: str
    comment: str | None  # the follow-up comment for what did not fit (with its marker), or None


def body(results: Sequence[FileResult], selection: Sequence[str] | None = None,
         todo: Checklist | None = None) -> str:
    """The PR body (see :func:`render`)."""
    return render(results, selection, todo).body


def follow_up(results: Sequence[FileResult], selection: Sequence[str] | None = None,
              todo: Checklist | None = None) -> str | None:
    """The follow-up comment holding what did not fit in the body, or None."""
    return render(results, selection, todo).comment


def render(results: Sequence[FileResult], selection: Sequence[str] | None = None,
           todo: Checklist | None = None) -> Rendered:
    """The body: a summary table of the kinds of change, one section per kind (riskiest
    first), the diffs folded per file, the checklist with what a failure looks like, the notes
    and the marker (fingerprint and ``selection``, the transform ids the run selected). Over
    :data:`BUDGET`, diffs move to the follow-up comment file by file, then the kinds other
    than ``permissions`` list only where their changes are, then long notes are shortened,
    then the places of the other kinds are counted per file, then what is particular to each
    ``permissions`` change is cut at :data:`CAP` characters, and last their places are
    counted too: the comment holds all of it in full."""
    files = [file_diff(r) for r in changed(results)]
    kinds = group(files)
    files += carried_diffs(changed(results))  # the scripts that change with them
    items = todo or Checklist(tuple((False, i) for i in checklist(results)))
    fp = fingerprint(results)
    for level, short_notes in ((0, False), (1, False), (1, True), (2, True), (3, True),
                               (4, True)):
        head = _head(results, kinds, level)
        tail = _tail(results, items, short_notes, selection)
        room = BUDGET - len(head) - len(tail)
        diffs, moved = _diffs(files, room)
        if len(head) + len(diffs) + len(tail) <= BUDGET:
            break
    text = head + diffs + tail
    if len(text) > BUDGET:  # notes beyond any budget: the comment lists every one of them
        tail = _tail(results, items, True, selection, BUDGET - len(head) - len(diffs))
        text = head + diffs + tail
    if not (moved or level or short_notes):
        return Rendered(text, None)
    return Rendered(text, _comment(kinds, results, moved, level, short_notes, fp))


def _head(results: Sequence[FileResult], kinds: list[Kind], level: int) -> str:
    """The summary and the kinds: ``level`` 0 in full; 1, the kinds other than
    ``permissions`` list only where their changes are; 2, they count them per file; 3, what
    is particular to each ``permissions`` change is cut at :data:`CAP` characters; 4, their
    places are counted per file too."""
    n, nfiles, ids = _counts(results)
    out = [f"fixbot proposes {plural(n, 'change')} to {plural(nfiles, 'workflow file')}. "
           "Each kind of change is explained once below, riskiest first; everything else in "
           "these files is byte-for-byte unchanged.", "",
           "| change | transform | count | risk |", "|---|---|---:|---|"]
    out += [f"| {_cell(k.label)} | `{k.transform}` | {len(k.items)} | {k.risk.text} |"
            for k in kinds]
    out += ["", "## What changes and why", ""]
    for k in kinds:
        perms = k.transform == "permissions"
        out += kind_section(k, level == 0 or perms, level < (4 if perms else 2),
                            CAP if perms and level >= 3 else 0)
    if level == 1 and any(k.transform != "permissions" and any(it.specific for it in k.items)
                          for k in kinds):
        out += ["What is particular to each of the other changes is in the comment below.", ""]
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _tail(results: Sequence[FileResult], cl: Checklist, short_notes: bool,
          selection: Sequence[str] | None, room: int | None = None) -> str:
    """The checklist, what a failure looks like, the notes and the footer; with ``room``, the
    notes section keeps the groups that fit in it and says how many more the comment lists."""
    _, _, ids = _counts(results)
    out = ["## Checklist for people", ""] + ([cl.note, ""] if cl.note else [])
    out += [f"- [{'x' if done else ' '}] {item}" for done, item in cl.items]
    texts = [item for _, item in cl.items]
    out += [""] + [p for para in _manual_run(texts, cl.branch) + _failures(ids)
                   for p in (para, "")]
    notes = _notes_section(results, not short_notes)
    if room is not None:
        notes = _fit(notes, room - len("\n".join(out)) - 2_000)
    out += notes
    out += ["---", "Opened by fixbot. Rerunning fixbot updates this pull request; it never "
            "overwrites commits pushed by people and never reopens a closed one.", "", OPT_OUT,
            "", marker(fingerprint(results), selection)]
    return "\n".join(out) + "\n"


def _diffs(files: list[FileDiff], room: int) -> tuple[str, list[FileDiff]]:
    """The diffs section holding the files' diffs that fit in ``room``, and the files whose
    diffs do not (they go to the comment)."""
    blocks = [diff_block(f) for f in files]
    head = "## Diffs\n\nLine numbers are those of the changed files.\n\n"
    kept, moved, used = [], [], len(head) + 200
    for f, b in zip(files, blocks, strict=True):
        if used + len(b) + 1 <= room:
            kept.append(b)
            used += len(b) + 1
        else:
            moved.append(f)
    note = (f"The diffs of {plural(len(moved), 'file')} did not fit here: they are in the "
            "comment below.\n\n" if moved else "")
    return head + "\n".join(kept) + ("\n" if kept else "") + note, moved


def _comment(kinds: list[Kind], results: Sequence[FileResult], moved: list[FileDiff],
             level: int, short_notes: bool, fp: str) -> str:
    """The follow-up comment: what the body left out, within :data:`COMMENT_BUDGET`."""
    out = ["fixbot: what did not fit in the pull request's description.", ""]
    for k in kinds:
        perms = k.transform == "permissions"
        if (level >= 3 and perms) or (level >= 2 and not perms) or (
                level == 1 and not perms and any(it.specific for it in k.items)):
            out += kind_section(k, True)
    if short_notes:
        out += _notes_section(results, True)
    out += [diff_block(f) for f in moved]
    end = f"\n{details_marker(fp)}\n"
    text = "\n".join(out).rstrip("\n") + "\n"
    if len(text) + len(end) > COMMENT_BUDGET:
        cut = text[:COMMENT_BUDGET - len(end) - 200].rsplit("\n", 1)[0]
        text = (f"{cut}\n\n(cut here: `fixbot fix --diff` and `fixbot fix --format json` on "
                "the repository show everything)\n")
    return text + end
