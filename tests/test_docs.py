"""Docs stay true: every transform has a docs section, and before/after examples marked
``<!-- golden: <id>/<case> -->`` equal the golden files they name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fixbot.transforms import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted((ROOT / "docs").rglob("*.md"))
MARK = re.compile(r"<!-- golden: ([\w-]+)/([\w-]+) -->\s*```yaml\n(.*?)```\s*```yaml\n(.*?)```", re.S)


@pytest.mark.parametrize("tid", sorted(REGISTRY))
def test_every_transform_is_documented(tid: str) -> None:
    doc = ROOT / "docs" / "transforms" / f"{tid}.md"
    assert doc.is_file(), f"docs/transforms/{tid}.md is missing"
    assert "## Before / after" in doc.read_text(encoding="utf-8")


EXAMPLES = [(d, m) for d in DOCS for m in MARK.finditer(d.read_text(encoding="utf-8"))]


@pytest.mark.parametrize("doc,match", EXAMPLES,
                         ids=[f"{m.group(1)}/{m.group(2)}" for _, m in EXAMPLES])
def test_docs_examples_match_golden_files(doc: Path, match: re.Match[str]) -> None:
    tid, case, before, after = match.groups()
    base = ROOT / "tests" / "transforms" / tid / case
    assert before == base.with_name(case + ".in.yml").read_text(encoding="utf-8")
    assert after == base.with_name(case + ".out.yml").read_text(encoding="utf-8")


def test_docs_have_examples_for_every_transform() -> None:
    covered = {m.group(1) for _, m in EXAMPLES}
    assert set(REGISTRY) <= covered
