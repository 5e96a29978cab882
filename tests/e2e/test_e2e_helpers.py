"""The e2e golden helper: a missing golden file fails; only --regen-golden writes one."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_helpers import golden


def test_missing_golden_file_fails_and_is_not_written(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="golden file .*new.body.md is missing; write it "
                                             "with pytest --regen-golden"):
        golden("new.body.md", "text\n", False, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_regen_writes_and_a_difference_fails(tmp_path: Path) -> None:
    golden("x.md", "one\n", True, tmp_path)
    assert (tmp_path / "x.md").read_text() == "one\n"
    golden("x.md", "one\n", False, tmp_path)
    with pytest.raises(AssertionError, match="differs from golden"):
        golden("x.md", "two\n", False, tmp_path)
    assert (tmp_path / "x.md").read_text() == "one\n"
