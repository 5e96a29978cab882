"""SARIF 2.1.0 output for ``fixbot fix --format sarif`` (code-scanning upload).

One result per change (level ``warning``: the workflow is fixable) and per file error (level
``error``); notes are not results. Each change carries its explanation and a SARIF ``fix`` with
the replacement text, so viewers can show the exact edit.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from fixbot import __version__
from fixbot.types import Change, FileResult

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _rules(rules_info: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    rules = [{"id": tid, "name": tid, "shortDescription": {"text": text}, "helpUri": docs}
             for tid, (text, docs) in sorted(rules_info.items())]
    rules.append({"id": "fixbot/input-error", "name": "input-error",
                  "shortDescription": {"text": "the file could not be processed"}})
    return rules


def _uri(path: str) -> str:
    """A path as a SARIF ``uri`` (an RFC 3986 URI reference): spaces, ``#``, ``%`` and non-ASCII
    characters %-escaped, ``/`` kept."""
    return quote(path, safe="/")


def _region(text: str, start: int, end: int) -> dict[str, int]:
    line = text.count("\n", 0, start) + 1
    col = start - (text.rfind("\n", 0, start) + 1) + 1
    end_line = text.count("\n", 0, end) + 1
    end_col = end - (text.rfind("\n", 0, end) + 1) + 1
    return {"startLine": line, "startColumn": col, "endLine": end_line, "endColumn": end_col}


def _change_result(r: FileResult, c: Change, base: str | None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": c.transform,
        "level": "warning",
        "message": {"text": f"{c.summary}: {c.explanation}"},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(r.path)},
                                            "region": {"startLine": c.line}},
                       "logicalLocations": [{"fullyQualifiedName": c.location or "(top level)"}]}],
    }
    if base is not None:
        body = base.removeprefix("\ufeff")
        replacements = [{"deletedRegion": _region(body, e.start, e.end),
                         "insertedContent": {"text": e.new}} for e in c.edits]
        result["fixes"] = [{"description": {"text": c.summary},
                            "artifactChanges": [{"artifactLocation": {"uri": _uri(r.path)},
                                                 "replacements": replacements}]}]
    return result


def render(results: list[FileResult], rules_info: dict[str, tuple[str, str]]) -> str:
    """SARIF for ``results``; ``rules_info`` maps transform id -> (summary, docs URL)."""
    out: list[dict[str, Any]] = []
    for r in results:
        if r.status == "error":
            out.append({"ruleId": "fixbot/input-error", "level": "error",
                        "message": {"text": r.error or "error"},
                        "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(r.path)}}}]})
            continue
        # Edits of later transforms are offsets into the text the earlier ones produced, so
        # only the first transform's changes carry a SARIF fix (regions of the original text).
        first = r.changes[0].transform if r.changes else None
        for c in r.changes:
            out.append(_change_result(r, c, r.original if c.transform == first else None))
    doc = {"$schema": SCHEMA, "version": "2.1.0",
           "runs": [{"tool": {"driver": {"name": "fixbot", "version": __version__,
                                         "rules": _rules(rules_info)}},
                     # columns count characters (code points), as Python strings do
                     "columnKind": "unicodeCodePoints",
                     "results": out}]}
    return json.dumps(doc, indent=2, ensure_ascii=False)
