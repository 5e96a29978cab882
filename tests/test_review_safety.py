"""Review of ``fixbot fix`` writes and diffs (issue 7, items 1 and 12), tried as an attacker and
as a demanding user would: real files, real links, a real FIFO, real ``git apply``.

Failing today (defects):

* ``test_fix_diff_applies_for_names_with_a_tab_or_a_newline``: ``report.unified_diff`` writes
  the path raw into the ``---``/``+++`` headers; a tab ends the name for ``git apply`` and a
  newline splits the header, so the whole patch (every file in it) is rejected.
* ``test_an_edit_made_after_the_read_is_not_overwritten``: ``write_fixed`` writes a text
  computed from what was read, whatever the file holds at write time; a person's save in
  between (an editor's rename, or an in-place write) is silently lost. With a process pool
  the window is the whole run (every file is written after every file is processed).
* ``test_a_fifo_given_by_name_is_reported_as_not_a_regular_file``: a FIFO named ``*.yml``
  given on the command line is reported as "no such file or directory".

Passing today (defences that hold): a hard-linked workflow's other name keeps its bytes; a
read-only directory keeps the file and reports why; a repository whose ``.git`` is a file
(worktree) is fixed; a PATH that is a link to a repository elsewhere is fixed there; diffs of
names with spaces, quotes, backslashes and non-ASCII apply.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from fixbot import engine, files
from fixbot.cli import main
from fixbot.commands.fix import write_fixed
from fixbot.transforms import select
from fixbot.workflow import RepoContext

GOOD = b"on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
FIXED = GOOD + b"        with:\n          persist-credentials: false\n"
ONLY = ["--only", "persist-credentials"]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


def repo(root: Path, names: list[str], data: bytes = GOOD) -> Path:
    wf = root / ".github" / "workflows"
    wf.mkdir(parents=True)
    for n in names:
        (wf / n).write_bytes(data)
    return root


def fix_diff(root: Path, capsys: pytest.CaptureFixture[str]) -> str:
    cwd = Path.cwd()
    os.chdir(root)
    try:
        capsys.readouterr()
        assert main(["fix", "--diff", *ONLY, "."]) == 1
        return capsys.readouterr().out
    finally:
        os.chdir(cwd)


def apply(root: Path, patch: str) -> subprocess.CompletedProcess[str]:
    git(root, "init", "-q", ".")
    return subprocess.run(["git", "apply", "-"], cwd=root, input=patch, capture_output=True,
                          text=True)


# -- defects -----------------------------------------------------------------------------------

def test_fix_diff_applies_for_names_with_a_tab_or_a_newline(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Names git quotes (``"a/tab\\tx.yml"``) must be quoted in the diff headers so that
    ``git apply`` applies the printed diff and gives exactly what ``fix`` writes."""
    names = ["tab\tx.yml", "new\nline.yml", "plain.yml"]
    root = repo(tmp_path / "r", names)
    patch = fix_diff(root, capsys)
    done = apply(root, patch)
    assert (done.returncode, done.stderr) == (0, "")
    assert {n: (root / ".github/workflows" / n).read_bytes() for n in names} == {
        n: FIXED for n in names}


def test_an_edit_made_after_the_read_is_not_overwritten(tmp_path: Path) -> None:
    """fixbot reads the workflow, a person saves a new version (a new file renamed over it, as
    editors do), then fixbot writes: the person's version must stay, and the file must be
    reported as an error (changed while fixbot worked), not as changed."""
    root = repo(tmp_path / "r", ["ci.yml"])
    targets = files.discover([str(root)])
    ctx = RepoContext(files.repo_reader(root))
    results = [engine.process_target(t, select("persist-credentials", None), ctx)
               for t in targets]
    assert [r.status for r in results] == ["changed"]
    theirs = GOOD.replace(b"on: push", b"on: [push, pull_request]")
    wf = root / ".github/workflows"
    (wf / "saved.tmp").write_bytes(theirs)
    os.replace(wf / "saved.tmp", wf / "ci.yml")
    out = write_fixed(targets, results)
    assert (wf / "ci.yml").read_bytes() == theirs
    assert [r.status for r in out] == ["error"]


def test_a_fifo_given_by_name_is_reported_as_not_a_regular_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The FIFO exists: "no such file or directory" sends the user looking for a typo."""
    root = repo(tmp_path / "r", [])
    fifo = root / ".github/workflows/p.yml"
    os.mkfifo(fifo)
    capsys.readouterr()
    code = main(["fix", str(fifo)])
    err = capsys.readouterr().err
    assert (code, err) == (2, f"fixbot: error: {fifo}: not a regular file\n")


# -- defences that hold ------------------------------------------------------------------------

def test_a_hard_link_to_a_file_outside_keeps_the_outside_bytes(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yml"
    outside.write_bytes(GOOD)
    root = repo(tmp_path / "r", [])
    os.link(outside, root / ".github/workflows/ci.yml")
    assert main(["fix", *ONLY, str(root)]) == 0
    assert outside.read_bytes() == GOOD
    assert (root / ".github/workflows/ci.yml").read_bytes() == FIXED


def test_a_read_only_directory_keeps_the_file_and_says_why(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only directories")
    root = repo(tmp_path / "r", ["ci.yml"])
    wf = root / ".github/workflows"
    wf.chmod(0o555)
    try:
        capsys.readouterr()
        assert main(["fix", *ONLY, str(root)]) == 1
        out = capsys.readouterr().out
    finally:
        wf.chmod(0o755)
    assert out.splitlines()[0] == (f"{root}/.github/workflows/ci.yml: error: cannot write the "
                                   "fixed file: Permission denied")
    assert (wf / "ci.yml").read_bytes() == GOOD
    assert sorted(p.name for p in wf.iterdir()) == ["ci.yml"]


def test_a_worktree_whose_git_is_a_file_is_fixed(tmp_path: Path) -> None:
    main_repo = repo(tmp_path / "m", ["ci.yml"])
    git(main_repo, "init", "-q", ".")
    git(main_repo, "add", ".")
    git(main_repo, "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", "i")
    git(main_repo, "worktree", "add", "-q", str(tmp_path / "wt"))
    wt = tmp_path / "wt"
    assert (wt / ".git").is_file()
    assert main(["fix", *ONLY, str(wt)]) == 0
    assert (wt / ".github/workflows/ci.yml").read_bytes() == FIXED
    assert (main_repo / ".github/workflows/ci.yml").read_bytes() == GOOD


def test_a_path_that_is_a_link_to_a_repository_elsewhere(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = repo(tmp_path / "elsewhere", ["ci.yml"])
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    (cwd / "link").symlink_to(elsewhere)
    monkeypatch.chdir(cwd)
    assert main(["fix", *ONLY, "link"]) == 0
    assert (elsewhere / ".github/workflows/ci.yml").read_bytes() == FIXED
    assert (cwd / "link").is_symlink()


def test_fix_diff_applies_for_names_with_spaces_quotes_and_non_ascii(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    names = ["sp ace.yml", 'q"uote.yml', '"lead.yml', "back\\slash.yml", "é ü.yml"]
    root = repo(tmp_path / "r", names)
    patch = fix_diff(root, capsys)
    done = apply(root, patch)
    assert (done.returncode, done.stderr) == (0, "")
    assert {n: (root / ".github/workflows" / n).read_bytes() for n in names} == {
        n: FIXED for n in names}
