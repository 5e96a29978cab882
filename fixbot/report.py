"""Rendering results for people and machines: text, JSON (the contract) and unified diffs."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from typing import Any

from fixbot.types import Change, FileResult, Note


def change_json(c: Change) -> dict[str, Any]:
    return {"transform": c.transform, "location": c.location, "line": c.line,
            "summary": c.summary, "explanation": c.explanation}


def note_json(n: Note) -> dict[str, Any]:
    return {"transform": n.transform, "location": n.location, "message": n.message}


def file_json(r: FileResult) -> dict[str, Any]:
    return {"path": r.path, "status": r.status, "error": r.error,
            "changes": [change_json(c) for c in r.changes],
            "notes": [note_json(n) for n in r.notes]}


def summary(results: Iterable[FileResult]) -> dict[str, int]:
    rs = list(results)
    return {"files": len(rs),
            "changed": sum(r.status == "changed" for r in rs),
            "unchanged": sum(r.status == "unchanged" for r in rs),
            "errors": sum(r.status == "error" for r in rs),
            "changes": sum(len(r.changes) for r in rs)}


def fix_json(results: list[FileResult]) -> str:
    return json.dumps({"version": 1, "files": [file_json(r) for r in results],
                       "summary": summary(results)}, indent=2, ensure_ascii=False)


_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")
NO_NEWLINE = "\\ No newline at end of file\n"


def lines(text: str) -> list[str]:
    """``text`` split after each ``\\n`` only, as git and patch count lines (str.splitlines
    also splits at ``\\r``, form feeds, U+2028 and others, which would corrupt a patch)."""
    return _LINE.findall(text)


_C_ESCAPES = {"\a": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\v": "\\v", "\f": "\\f",
              "\r": "\\r", '"': '\\"', "\\": "\\\\"}


def git_quote(name: str) -> str:
    """A path as git writes it in a diff header: in double quotes with C escapes when it holds a
    quote, a backslash or a control character (``git apply`` reads it back exactly)."""
    if not any(c in _C_ESCAPES or ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        return name
    out = []
    for c in name:
        if c in _C_ESCAPES:
            out.append(_C_ESCAPES[c])
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\{ord(c):03o}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def unified_diff(r: FileResult, new: bool = False) -> str:
    """A unified diff that ``git apply`` and ``patch`` apply byte for byte: CRLF and a BOM are
    kept in the lines, and a last line without a newline gets git's marker. ``new``: the file
    does not exist yet (``--- /dev/null``)."""
    if r.status != "changed" or r.original is None or r.updated is None:
        return ""
    out: list[str] = []
    name = r.path.lstrip("/")
    for line in difflib.unified_diff(lines(r.original), lines(r.updated),
                                     fromfile="/dev/null" if new else git_quote(f"a/{name}"),
                                     tofile=git_quote(f"b/{name}")):
        out.append(line if line.endswith("\n") else f"{line}\n{NO_NEWLINE}")
    return "".join(out)


def fix_text(results: list[FileResult], verb: str) -> str:
    """Human-readable lines: one per changed or failed file, its changes and notes, a summary."""
    lines: list[str] = []
    for r in results:
        if r.status == "error":
            lines.append(f"{r.path}: error: {r.error}")
            continue
        if r.status == "changed":
            lines.append(f"{r.path}: {verb} {len(r.changes)} change(s)")
            for c in r.changes:
                lines.append(f"  {c.transform} {c.location} (line {c.line}): {c.summary}")
        for n in r.notes:
            lines.append(f"{r.path}: note: {n.transform} {n.location}: {n.message}")
    s = summary(results)
    lines.append(f"{s['files']} file(s): {s['changed']} {verb}, {s['unchanged']} unchanged, "
                 f"{s['errors']} error(s), {s['changes']} change(s)")
    return "\n".join(lines) + "\n"
