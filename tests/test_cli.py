"""The CLI contract of ``fixbot fix`` and ``fixbot list``: exit codes, JSON, --check/--diff."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fixbot.cli import main

WF = """on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make test
"""
ONLY = ["--only", "persist-credentials"]  # exact output below is that transform's
FIXED = WF.replace("checkout@v4\n", "checkout@v4\n        with:\n          persist-credentials: false\n")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "ci.yml").write_text(WF)
    (wf / "clean.yaml").write_text("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo\n")
    (wf / "notes.txt").write_text("not a workflow")
    return tmp_path


def test_check_writes_nothing_and_exits_1(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["fix", str(repo), "--check", *ONLY])
    assert rc == 1
    assert (repo / ".github/workflows/ci.yml").read_text() == WF
    assert capsys.readouterr().out == (
        ".github/workflows/ci.yml: would change 1 change(s)\n"
        "  persist-credentials jobs.test.steps[0] (line 6): set `persist-credentials: false` on actions/checkout\n"
        "2 file(s): 1 would change, 1 unchanged, 0 error(s), 1 change(s)\n")


def test_diff_prints_unified_diff(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["fix", str(repo), "--diff", *ONLY])
    assert rc == 1
    out = capsys.readouterr().out
    assert out == (
        "--- a/.github/workflows/ci.yml\n+++ b/.github/workflows/ci.yml\n"
        "@@ -4,4 +4,6 @@\n     runs-on: ubuntu-latest\n     steps:\n"
        "       - uses: actions/checkout@v4\n+        with:\n+          persist-credentials: false\n"
        "       - run: make test\n")
    assert (repo / ".github/workflows/ci.yml").read_text() == WF


def test_fix_writes_then_second_run_is_clean(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = repo / ".github/workflows/clean.yaml"
    mtime = clean.stat().st_mtime_ns
    assert main(["fix", str(repo), *ONLY]) == 0
    assert (repo / ".github/workflows/ci.yml").read_text() == FIXED
    assert clean.stat().st_mtime_ns == mtime  # a file needing no change is not touched
    assert main(["fix", str(repo), "--check", *ONLY]) == 0


def test_json_contract(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["fix", str(repo), "--check", "--format", "json", *ONLY])
    assert rc == 1
    data = json.loads(capsys.readouterr().out)
    assert data == {
        "version": 1,
        "files": [
            {"path": ".github/workflows/ci.yml", "status": "changed", "error": None,
             "changes": [{
                 "transform": "persist-credentials", "location": "jobs.test.steps[0]", "line": 6,
                 "summary": "set `persist-credentials: false` on actions/checkout",
                 "explanation": (
                     "actions/checkout saves the job's token in .git/config by default, where every "
                     "later step of job `test` can read it and where a workspace upload can leak it. "
                     "No later step in this job pushes or fetches with git, so nothing needs the "
                     "saved token after the checkout.")}],
             "notes": []},
            {"path": ".github/workflows/clean.yaml", "status": "unchanged", "error": None,
             "changes": [], "notes": []},
        ],
        "summary": {"files": 2, "changed": 1, "unchanged": 1, "errors": 0, "changes": 1},
    }


def test_file_paths_and_multiple_roots(repo: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    f = repo / ".github/workflows/ci.yml"
    assert main(["fix", str(f), "--check", "--format", "json", *ONLY]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [x["path"] for x in data["files"]] == [str(f)]


def test_usage_errors_exit_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fix", str(repo), "--only", "nope"]) == 2
    assert "unknown transform id nope" in capsys.readouterr().err
    assert main(["fix", str(repo / "missing")]) == 2
    assert "no such file or directory" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["fix", "--check", "--diff"])
    assert e.value.code == 2


def test_skip_everything_is_a_no_op(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from transforms import REGISTRY

    assert main(["fix", str(repo), "--skip", ",".join(REGISTRY)]) == 0
    assert (repo / ".github/workflows/ci.yml").read_text() == WF


def test_list_names_every_transform(capsys: pytest.CaptureFixture[str]) -> None:
    from transforms import REGISTRY

    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for tid, module in REGISTRY.items():
        assert f"{tid}" in out and module.SUMMARY in out


def test_console_script_and_module_entry_point(repo: Path) -> None:
    env = dict(os.environ)
    proc = subprocess.run([sys.executable, "-m", "fixbot", "fix", str(repo), "--check",
                           "--format", "json", *ONLY], capture_output=True, text=True, env=env)
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["summary"]["changed"] == 1
    assert proc.stderr == ""
