"""The before/after example in docs/transforms/permissions.md is a golden case, byte for byte."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "transforms" / "permissions.md"
GOLDEN = ROOT / "tests" / "transforms" / "permissions"
MARK = re.compile(r"<!-- golden: permissions/([\w-]+) -->\s*```yaml\n(.*?)```\s*```yaml\n(.*?)```",
                  re.S)


def test_doc_example_equals_golden_case() -> None:
    found = MARK.findall(DOC.read_text(encoding="utf-8"))
    assert found, "no golden example in docs/transforms/permissions.md"
    for case, before, after in found:
        assert before == (GOLDEN / f"{case}.in.yml").read_text(encoding="utf-8")
        assert after == (GOLDEN / f"{case}.out.yml").read_text(encoding="utf-8")


def test_doc_names_the_rules_it_relies_on() -> None:
    text = DOC.read_text(encoding="utf-8")
    for needle in ("docs.github.com", "## What is changed", "## What is left alone",
                   "## Before / after", "startup_failure", "contents: write"):
        assert needle in text
