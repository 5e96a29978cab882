"""CRLF and BOM at scale: every corpus file, converted to CRLF line endings with a BOM, gets
exactly the fix it gets as LF (with CRLF line endings and the BOM kept)."""

from __future__ import annotations

from pathlib import Path

from fixbot import engine
from fixbot.transforms import REGISTRY
from fixbot.workflow import RepoContext


def test_crlf_bom_copies_get_the_same_fixes(corpus_tree: Path) -> None:
    transforms = list(REGISTRY.values())
    checked = 0
    mismatches = []
    for f in sorted(corpus_tree.glob("*/.github/workflows/*")):
        lf = f.read_text(encoding="utf-8")
        if "\r" in lf:
            continue
        crlf = "\ufeff" + lf.replace("\n", "\r\n")
        a = engine.process(f.name, lf, transforms, RepoContext())
        b = engine.process(f.name, crlf, transforms, RepoContext())
        checked += 1
        want = None if a.updated is None else "\ufeff" + a.updated.replace("\n", "\r\n")
        if (a.status, a.error) != (b.status, b.error) or b.updated != want or \
                [c.summary for c in a.changes] != [c.summary for c in b.changes]:
            mismatches.append(f.relative_to(corpus_tree).as_posix())
    assert checked > 1200
    assert mismatches == []
