"""The diffs of a pull request's body: one per changed file, its hunks in line order with the
line numbers of the changed file, each hunk headed by the locations of the changes it holds.

The engine applied each transform's edits to the text the previous transform left, so the
edits are replayed transform by transform to find where each change's new text ends up.
"""

from __future__ import annotations

import bisect
import difflib
import html
import re
from dataclasses import dataclass
from itertools import groupby

from fixbot import yamledit
from fixbot.errors import FixbotError
from fixbot.types import Change, Edit, FileResult

MAX_HUNK_LINES = 30  # per change a hunk holds
# Transforms whose removed lines may hold a credential: their diffs show only the new lines.
SENSITIVE = {"secrets"}


@dataclass
class FileDiff:
    """A changed file as the body shows it: its changes in line order, each with its first
    line in the final file, and its diff's hunks with the changes each holds."""

    result: FileResult
    changes: list[tuple[Change, int]]  # (change, line in the final file), in line order
    hunks: list[tuple[str, list[Change]]] | None  # None: the edits could not be replayed


def in_line_order(r: FileResult) -> list[Change]:
    """The changes of ``r`` in the order of their lines in the changed file."""
    return [c for c, _ in _placed(r)[0]]


def _placed(r: FileResult) -> tuple[list[tuple[Change, int]], list[tuple[int, int]] | None]:
    """The changes of ``r`` with their first line in the final file, in line order, and each
    one's line range there (None when the edits cannot be replayed onto the original)."""
    spans = _final_spans(r)
    if spans is None:
        return sorted(((c, c.line) for c in r.changes), key=lambda cl: cl[1]), None
    text, per_change = spans
    ranges = []
    for new_text_spans in per_change:
        start = min((s for s, _ in new_text_spans), default=0)
        end = max((e for _, e in new_text_spans), default=start)
        region = text[start:end]
        start += len(region) - len(region.lstrip("\r\n"))
        ranges.append((text.count("\n", 0, start) + 1,
                       text.count("\n", 0, max(start, end - 1)) + 1))
    order = sorted(range(len(r.changes)), key=lambda i: (ranges[i][0], i))
    return [(r.changes[i], ranges[i][0]) for i in order], [ranges[i] for i in order]


def _final_spans(r: FileResult) -> tuple[str, list[list[tuple[int, int]]]] | None:
    """The final (BOM-less) text and, per change, the spans of its new text in it: the edits
    are replayed transform by transform, as the engine applied them."""
    replayed = _replay(r)
    if replayed is None:
        return None
    text, spans, _ = replayed
    return text, [[(fs, fe) for _, _, fs, fe in per] for per in spans]


Span = tuple[int, int, int, int]  # an edit's span in the original text, then its new text's


def _replay(r: FileResult) -> tuple[str, list[list[Span]], str] | None:
    """Replay the edits transform by transform, as the engine applied them: the final
    (BOM-less) text, per change the spans of each of its edits (in the original text, and of
    its new text in the final one), and the original text; None where they do not replay."""
    if r.original is None or r.updated is None:
        return None
    original = text = r.original.removeprefix("\ufeff")
    spans: list[list[Span]] = [[] for _ in r.changes]
    batches: list[_Batch] = []
    try:
        for _, group in groupby(enumerate(r.changes), key=lambda ic: ic[1].transform):
            edits = sorted(((e, i) for i, c in group for e in c.edits),
                           key=lambda ei: (ei[0].start, ei[0].end, ei[1]))
            batch = _Batch([e for e, _ in edits])
            for lst in spans:
                lst[:] = [(os, oe, batch.shift(fs, False), batch.shift(fe, True))
                          for os, oe, fs, fe in lst]
            for k, (e, i) in enumerate(edits):
                os, oe = _back(e.start, batches), _back(e.end, batches)
                if os is None or oe is None:
                    return None
                at = e.start + batch.prefix[k]
                spans[i].append((os, oe, at, at + len(e.new)))
            text = yamledit.apply(text, batch.edits)
            batches.append(batch)
    except FixbotError:
        return None
    if text != r.updated.removeprefix("\ufeff"):
        return None
    return text, spans, original


class _Batch:
    """One transform's edits (sorted, not overlapping) and where offsets move through them."""

    def __init__(self, edits: list[Edit]) -> None:
        self.edits = edits
        self.ends = [e.end for e in edits]
        self.prefix = [0]  # the length change of the edits before each one
        for e in edits:
            self.prefix.append(self.prefix[-1] + len(e.new) - (e.end - e.start))
        self.new_starts = [e.start + d for e, d in zip(edits, self.prefix, strict=False)]

    def shift(self, p: int, end: bool) -> int:
        """Where offset ``p`` of the text before the edits is after them (the end of a span
        stays before text inserted right at it)."""
        k = bisect.bisect_right(self.ends, p)
        while end and k and self.edits[k - 1].start >= p:
            k -= 1
        return p + self.prefix[k]

    def back(self, p: int) -> int | None:
        """Where offset ``p`` of the text after the edits was before them; None inside text
        an edit wrote."""
        k = bisect.bisect_left(self.new_starts, p)
        if k and p < self.new_starts[k - 1] + len(self.edits[k - 1].new):
            return None
        return p - self.prefix[k]


def _back(p: int | None, batches: list[_Batch]) -> int | None:
    """Where offset ``p`` of the text the ``batches`` made was in the original text."""
    for batch in reversed(batches):
        if p is None:
            return None
        p = batch.back(p)
    return p


def file_diff(r: FileResult) -> FileDiff:
    placed, ranges = _placed(r)
    replayed = _replay(r)
    if ranges is None or replayed is None:
        return FileDiff(r, placed, None)
    final, spans, original = replayed
    before, after = _lines(original), _lines(final)
    ops = _line_ops(original, final, [s for per in spans for s in per])
    lines = _unified(before, after, ops) if ops is not None else \
        list(difflib.unified_diff(before, after, n=2, lineterm=""))[2:]
    hunks: list[tuple[str, list[Change]]] = []
    for _, group in groupby(_hunk_ids(lines), key=lambda il: il[0]):
        body = [line.rstrip("\r") for _, line in group]
        m = re.match(r"@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", body[0])
        first = int(m.group(1)) if m else 0
        last = first + max(int(m.group(2) if m and m.group(2) is not None else 1), 1) - 1
        inside = [c for (c, _), (lo, hi) in zip(placed, ranges, strict=True)
                  if lo <= last and hi >= first]
        hunks.append(_hunk(body, inside))
    return FileDiff(r, placed, hunks)


def carried_diffs(results: list[FileResult]) -> list[FileDiff]:
    """The diffs of the other files the changes carry (:class:`fixbot.types.FileEdit`: a
    script that now reads a credential from its environment), one per path: its hunks headed
    by the changes it goes with. Removed lines are never shown: they held the credential."""
    out: dict[str, FileDiff] = {}
    for r in results:
        if r.status != "changed":
            continue
        for c in r.changes:
            for fe in c.files:
                f = out.get(fe.path)
                if f is None:
                    carried = FileResult(path=fe.path, status="changed",
                                         original=fe.before or "",
                                         updated=fe.after)
                    f = out[fe.path] = FileDiff(carried, [], [])
                f.changes.append((c, 1))
    for f in out.values():
        before, after = _lines(f.result.original or ""), _lines(f.result.updated or "")
        lines = list(difflib.unified_diff(before, after, n=2, lineterm=""))[2:]
        where = ", ".join(dict.fromkeys(f"{r_path(c, results)} {c.location or 'top level'}"
                                        for c, _ in f.changes))
        f.hunks = []
        for _, group in groupby(_hunk_ids(lines), key=lambda il: il[0]):
            body = [line.rstrip("\r") for _, line in group]
            rest = [ln if not ln.startswith("-") else "-(a removed line is not shown here: it "
                    "may hold a credential)" for ln in body[1:]]
            if len(rest) > MAX_HUNK_LINES:
                rest = rest[:MAX_HUNK_LINES] + [f"... ({len(rest) - MAX_HUNK_LINES} more lines)"]
            f.hunks.append(("\n".join([f"{body[0]} with {where}", *rest]),
                            [c for c, _ in f.changes]))
    return list(out.values())


def r_path(c: Change, results: list[FileResult]) -> str:
    """The path of the workflow whose change ``c`` is."""
    return next((r.path for r in results if any(x is c for x in r.changes)), "")


def _lines(text: str) -> list[str]:
    """The lines of ``text`` split at ``\\n`` only, as the line numbers count them."""
    return text.removesuffix("\n").split("\n") if text else []


Op = tuple[int, int, int, int]  # lines a1:a2 of the original replaced by lines b1:b2


def _line_ops(original: str, final: str, spans: list[Span]) -> list[Op] | None:
    """The changed lines, from where the edits are (no line matching, so a workflow of many
    alike jobs aligns exactly as edited): the lines each edit touches, merged where they
    overlap and without the lines they keep as they were. None where the lines between them
    do not match (then a line diff is used)."""
    a, b = _lines(original), _lines(final)
    touched = sorted((original.count("\n", 0, os), original.count("\n", 0, oe) + 1,
                      final.count("\n", 0, fs), final.count("\n", 0, fe) + 1)
                     for os, oe, fs, fe in spans)
    merged: list[list[int]] = []
    for a1, a2, b1, b2 in touched:
        if merged and (a1 < merged[-1][1] or b1 < merged[-1][3]):
            merged[-1] = [min(merged[-1][0], a1), max(merged[-1][1], a2),
                          min(merged[-1][2], b1), max(merged[-1][3], b2)]
        else:
            merged.append([a1, a2, b1, b2])
    ops: list[Op] = []
    prev_a = prev_b = 0
    for a1, a2, b1, b2 in merged:
        if a1 - prev_a != b1 - prev_b or a[prev_a:a1] != b[prev_b:b1]:
            return None
        prev_a, prev_b = a2, b2
        while a1 < a2 and b1 < b2 and a[a1] == b[b1]:
            a1, b1 = a1 + 1, b1 + 1
        while a2 > a1 and b2 > b1 and a[a2 - 1] == b[b2 - 1]:
            a2, b2 = a2 - 1, b2 - 1
        if a1 < a2 or b1 < b2:
            ops.append((a1, a2, b1, b2))
    if a[prev_a:] != b[prev_b:]:
        return None
    return ops


def _unified(a: list[str], b: list[str], ops: list[Op], n: int = 2) -> list[str]:
    """The hunks of a unified diff (no file header) of ``ops`` with ``n`` lines of context."""
    groups: list[list[Op]] = []
    for op in ops:
        if groups and op[0] - groups[-1][-1][1] <= 2 * n:
            groups[-1].append(op)
        else:
            groups.append([op])
    out: list[str] = []
    for group in groups:
        a_start = max(group[0][0] - n, 0)
        b_start = group[0][2] - (group[0][0] - a_start)
        a_end = min(group[-1][1] + n, len(a))
        b_end = group[-1][3] + (a_end - group[-1][1])
        out.append(f"@@ -{_range(a_start, a_end)} +{_range(b_start, b_end)} @@")
        at = a_start
        for a1, a2, b1, b2 in group:
            out += [f" {line}" for line in a[at:a1]]
            out += [f"-{line}" for line in a[a1:a2]] + [f"+{line}" for line in b[b1:b2]]
            at = a2
        out += [f" {line}" for line in a[at:a_end]]
    return out


def _range(start: int, stop: int) -> str:
    """A hunk range as ``diff -u`` writes it (``difflib._format_range_unified``)."""
    length = stop - start
    first = start + 1 if length else start
    return str(first) if length == 1 else f"{first},{length}"


def _hunk_ids(lines: list[str]) -> list[tuple[int, str]]:
    out, n = [], -1
    for line in lines:
        n += line.startswith("@@ ")
        out.append((n, line))
    return out


def _hunk(lines: list[str], inside: list[Change]) -> tuple[str, list[Change]]:
    """A hunk headed by the locations of its changes; removed lines of a change that may hold a
    credential are not shown; at most :data:`MAX_HUNK_LINES` lines per change."""
    places = list(dict.fromkeys(c.location or "top level" for c in inside))
    where = ", ".join(places) if len(places) <= 3 else \
        f"{places[0]} … {places[-1]} ({len(inside)} changes)"
    head, rest = lines[0], lines[1:]
    if any(c.transform in SENSITIVE for c in inside):
        rest = [ln if not ln.startswith("-") else "-(a removed line is not shown here: it may "
                "hold a credential)" for ln in rest]
    cap = MAX_HUNK_LINES * max(len(inside), 1)  # close changes share a hunk
    if len(rest) > cap:
        rest = rest[:cap] + [f"... ({len(rest) - cap} more lines)"]
    return "\n".join([f"{head} {where}".rstrip(), *rest]), inside


def change_diffs(r: FileResult) -> list[str] | None:
    """The diff hunks of ``r`` (final-file line numbers, in line order), or None when the edits
    cannot be replayed onto the original text."""
    hunks = file_diff(r).hunks
    return None if hunks is None else [text for text, _ in hunks]


def diff_block(f: FileDiff) -> str:
    path = html.escape(f.result.path)
    count = plural(len(f.changes), "change")
    if f.hunks is None:
        return (f"<details><summary><code>{path}</code> · {count}</summary>\n\n"
                "(no diff: the edits could not be replayed; the Files changed tab has it)\n\n"
                "</details>\n")
    text = "\n".join(t for t, _ in f.hunks)
    return (f"<details><summary><code>{path}</code> · {count}</summary>\n\n"
            f"{fence(text)}\n\n</details>\n")


def fence(text: str) -> str:
    ticks = "```"
    while ticks in text:
        ticks += "`"
    return f"{ticks}diff\n{text}\n{ticks}"


def plural(n: int, word: str) -> str:
    """``1 change``, ``2 changes``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
