"""The test loops: `.ci/run` runs the README's test command, and that command runs every test,
while a developer's bare `pytest` leaves out the corpus-wide `slow` ones (issue 7, "Also")."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# a module with one slow test (marked by hand), and one whose only test is marked through the
# corpus fixtures (tests/conftest.py)
PROBES = ["tests/test_actionlint.py", "tests/test_corpus_crlf_bom.py"]


def readme_test_command() -> str:
    block = re.search(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    assert block is not None
    return block.group(1).splitlines()[1]


def pytest_args(command: str) -> list[str]:
    argv = shlex.split(command.rsplit("&&", 1)[1])
    assert argv[0] == ".venv/bin/pytest", argv
    return argv[1:]


def collect(*args: str) -> tuple[int, list[str]]:
    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p",
                           "no:cacheprovider", *args], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    return proc.returncode, [ln for ln in proc.stdout.splitlines() if "::" in ln]


def test_ci_runs_the_readme_test_command() -> None:
    lines = [ln for ln in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
             if ln.strip() and not ln.lstrip().startswith("#")]
    assert lines[-1] == readme_test_command()
    assert "set -euo pipefail" in lines  # any non-zero exit fails CI, 5 (no test collected) too


def test_the_readme_command_runs_the_slow_tests_the_default_loop_leaves_out() -> None:
    code, default = collect(*PROBES)
    assert code == 0
    assert default == ["tests/test_actionlint.py::test_the_oracle_sees_what_a_wrong_fix_would_break",
                       "tests/test_actionlint.py::test_normalize_drops_line_and_column_numbers"]
    code, everything = collect(*pytest_args(readme_test_command()), *PROBES)
    assert code == 0
    assert sorted(everything) == sorted(default + [
        "tests/test_actionlint.py::test_actionlint_finds_nothing_new_on_corpus_files_fixbot_changes",
        "tests/test_corpus_crlf_bom.py::test_crlf_bom_copies_get_the_same_fixes"])


def test_a_default_loop_that_selects_nothing_is_not_green() -> None:
    code, selected = collect(PROBES[1])
    assert (code, selected) == (5, [])
