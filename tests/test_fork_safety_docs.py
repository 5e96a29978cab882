"""docs/transforms/fork-safety.md shows the split's new workflow exactly as the golden case
carries it (tests/test_docs.py checks the before/after pairs)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_new_workflow_in_the_docs_is_the_golden_one() -> None:
    doc = (ROOT / "docs" / "transforms" / "fork-safety.md").read_text(encoding="utf-8")
    new = (ROOT / "tests" / "transforms" / "fork-safety" / "pwn-request-split.files"
           / "pwn-request-split.in-privileged.yml").read_text(encoding="utf-8")
    assert f"```yaml\n{new}```" in doc
