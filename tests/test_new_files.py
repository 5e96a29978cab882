"""New files a change carries (a split's second workflow): created only where no file, link
or directory of that name exists, never through a link, and a workflow whose new file cannot
be written keeps its bytes (file_edits.write)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fixbot import file_edits, files
from fixbot.errors import InputError
from fixbot.types import Change, FileEdit, FileResult


def test_creates_the_file(tmp_path: Path) -> None:
    files.create_new(tmp_path / "new.yml", b"on: push\n", tmp_path)
    assert (tmp_path / "new.yml").read_bytes() == b"on: push\n"
    assert oct((tmp_path / "new.yml").stat().st_mode & 0o777) == "0o644"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.yml"]  # no temporary left


def test_never_over_an_existing_file_or_link(tmp_path: Path) -> None:
    (tmp_path / "taken.yml").write_bytes(b"mine\n")
    with pytest.raises(InputError, match="a file of that name exists"):
        files.create_new(tmp_path / "taken.yml", b"theirs\n", tmp_path)
    assert (tmp_path / "taken.yml").read_bytes() == b"mine\n"
    os.symlink("/etc/passwd", tmp_path / "link.yml")
    with pytest.raises(InputError, match="a file of that name exists"):
        files.create_new(tmp_path / "link.yml", b"x\n", tmp_path)
    assert os.readlink(tmp_path / "link.yml") == "/etc/passwd"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.yml", "taken.yml"]


def test_never_through_a_directory_link(tmp_path: Path) -> None:
    repo, outside = tmp_path / "repo", tmp_path / "outside"
    repo.mkdir()
    outside.mkdir()
    os.symlink(outside, repo / "wf")
    with pytest.raises(InputError, match="leaves the repository"):
        files.create_new(repo / "wf" / "x.yml", b"x\n", repo)
    assert list(outside.iterdir()) == []


def test_a_workflow_keeps_its_bytes_when_its_new_file_cannot_be_written(tmp_path: Path) -> None:
    wf_dir = tmp_path / ".github" / "workflows"
    wf_dir.mkdir(parents=True)
    (wf_dir / "a.yml").write_text("old\n")
    (wf_dir / "a-privileged.yml").write_text("someone's\n")  # appeared after fixbot read
    target = files.Target(wf_dir / "a.yml", tmp_path, ".github/workflows/a.yml",
                          ".github/workflows/a.yml")
    change = Change("fork-safety", "jobs.a", 1, "split", "why", (),
                    files=(FileEdit(".github/workflows/a-privileged.yml", None, "new\n"),))
    result = FileResult(path=".github/workflows/a.yml", status="changed", original="old\n",
                        updated="new a\n", changes=[change])
    extras = file_edits.plan([result], [tmp_path])
    (wf_dir / "a.yml").write_text("new a\n")  # the workflow was written first
    out = file_edits.write(extras, [target], [result])
    assert out[0].status == "error" and "a file of that name exists" in (out[0].error or "")
    assert (wf_dir / "a.yml").read_text() == "old\n"
    assert (wf_dir / "a-privileged.yml").read_text() == "someone's\n"


def test_fix_diff_shows_a_new_file_that_git_applies(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    import shutil
    import subprocess

    from fixbot.cli import main

    case = Path(__file__).parent / "transforms" / "fork-safety" / "pwn-request-split.in.yml"
    trees = {}
    for name in ("patched", "fixed"):
        wf = tmp_path / name / ".github" / "workflows"
        wf.mkdir(parents=True)
        shutil.copy(case, wf / "coverage.yml")
        trees[name] = tmp_path / name
    capsys.readouterr()
    assert main(["fix", "--diff", "--only", "fork-safety", str(trees["patched"])]) == 1
    patch = capsys.readouterr().out
    assert "--- /dev/null\n+++ b/.github/workflows/coverage-privileged.yml\n" in patch
    subprocess.run(["git", "apply", "-"], input=patch, text=True, check=True,
                   cwd=trees["patched"])
    assert main(["fix", "--only", "fork-safety", str(trees["fixed"])]) == 0
    for rel in (".github/workflows/coverage.yml", ".github/workflows/coverage-privileged.yml"):
        assert (trees["patched"] / rel).read_bytes() == (trees["fixed"] / rel).read_bytes()
