"""Writing a fixed workflow never writes through a link a repository planted (issue 7, item 1).

Real files, real symlinks, real git: a repository controls every name under
``.github/workflows/``, so fixbot must create its temporary file exclusively and refuse a target
(or a directory) that is a link, whatever it points to.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from fixbot import engine, files
from fixbot.cli import main
from fixbot.commands.fix import write_fixed
from fixbot.commands.run import run_local
from fixbot.errors import InputError
from fixbot.transforms import select
from fixbot.workflow import RepoContext

GOOD = b"on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
FIXED = GOOD + b"        with:\n          persist-credentials: false\n"
SECRET = b"export PATH=$HOME/bin:$PATH  # the user's shell start-up file\n"
ONLY = ["--only", "persist-credentials"]


def snapshot(root: Path) -> dict[str, tuple[str, bytes | str]]:
    """Every entry under ``root`` (links not followed): kind and bytes or link target."""
    out: dict[str, tuple[str, bytes | str]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = p.relative_to(root).as_posix()
            if p.is_symlink():
                out[rel] = ("link", os.readlink(p))
            elif p.is_dir():
                out[rel] = ("dir", b"")
            else:
                out[rel] = (oct(p.stat().st_mode), p.read_bytes())
    return out


def outside_world(tmp_path: Path) -> Path:
    """A home directory outside the repository, with a file and a directory to protect."""
    home = tmp_path / "home"
    (home / ".config").mkdir(parents=True)
    (home / ".bashrc").write_bytes(SECRET)
    (home / ".config" / "settings").write_bytes(b"keep me\n")
    return home


def plant(wf: Path, home: Path) -> None:
    """Links under every name the old writer used (``.{name}.fixbot-tmp``): to a file outside,
    dangling, and to a directory; and a workflow that is itself a link to a file outside."""
    for name in ("ci.yml", "lint.yml", "docs.yaml"):
        (wf / name).write_bytes(GOOD)
    os.symlink(home / ".bashrc", wf / ".ci.yml.fixbot-tmp")
    os.symlink(home / "missing" / "new-file", wf / ".lint.yml.fixbot-tmp")
    os.symlink(home / ".config", wf / ".docs.yaml.fixbot-tmp")
    os.symlink(home / ".bashrc", wf / "evil.yml")


def test_planted_links_are_never_written_through(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    home = outside_world(tmp_path)
    repo = tmp_path / "repo"
    wf = repo / ".github" / "workflows"
    wf.mkdir(parents=True)
    plant(wf, home)
    home_before = snapshot(home)
    links_before = {k: v for k, v in snapshot(repo).items() if v[0] == "link"}
    rc = main(["fix", str(repo), "--format", "json", *ONLY])
    out = json.loads(capsys.readouterr().out)
    assert rc == 3
    assert [(f["path"], f["status"], f["error"]) for f in out["files"]] == [
        (".github/workflows/ci.yml", "changed", None),
        (".github/workflows/docs.yaml", "changed", None),
        (".github/workflows/evil.yml", "error", "symlink points outside the repository; not followed"),
        (".github/workflows/lint.yml", "changed", None)]
    assert snapshot(home) == home_before
    assert (home / ".bashrc").read_bytes() == SECRET
    after = snapshot(repo)
    assert {k: v for k, v in after.items() if v[0] == "link"} == links_before
    for name in ("ci.yml", "lint.yml", "docs.yaml"):
        assert (wf / name).read_bytes() == FIXED
    # nothing else appeared: no temporary file left behind
    assert sorted(p.name for p in wf.iterdir()) == [
        ".ci.yml.fixbot-tmp", ".docs.yaml.fixbot-tmp", ".lint.yml.fixbot-tmp", "ci.yml",
        "docs.yaml", "evil.yml", "lint.yml"]


def test_a_workflows_directory_that_links_out_of_the_repository_is_not_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = outside_world(tmp_path)
    (home / "workflows").mkdir()
    (home / "workflows" / "ci.yml").write_bytes(GOOD)
    repo = tmp_path / "repo"
    (repo / ".github").mkdir(parents=True)
    os.symlink(home / "workflows", repo / ".github" / "workflows")
    before = snapshot(home)
    rc = main(["fix", str(repo), "--format", "json", *ONLY])
    out = json.loads(capsys.readouterr().out)
    assert rc == 3
    assert [(f["path"], f["status"], f["error"]) for f in out["files"]] == [
        (".github/workflows/ci.yml", "error",
         "its directory is a symlink that leaves the repository; not followed")]
    assert snapshot(home) == before


def test_a_file_swapped_for_a_link_after_reading_is_not_written_through(tmp_path: Path) -> None:
    """The target is checked again (lstat, same inode) just before the rename."""
    home = outside_world(tmp_path)
    repo = tmp_path / "repo"
    wf = repo / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "a.yml").write_bytes(GOOD)
    (wf / "b.yml").write_bytes(GOOD)
    targets = files.discover([str(repo)])
    transforms = select("persist-credentials", None)
    results = [engine.process_target(t, transforms, RepoContext()) for t in targets]
    assert [r.status for r in results] == ["changed", "changed"]
    (wf / "a.yml").unlink()
    os.symlink(home / ".bashrc", wf / "a.yml")  # swapped in between reading and writing
    written = write_fixed(targets, results)
    assert [(r.path, r.status, r.error) for r in written] == [
        (".github/workflows/a.yml", "error",
         "cannot write the fixed file: it is a symlink; not written through"),
        (".github/workflows/b.yml", "changed", None)]
    assert (home / ".bashrc").read_bytes() == SECRET
    assert os.readlink(wf / "a.yml") == str(home / ".bashrc")
    assert (wf / "b.yml").read_bytes() == FIXED
    assert sorted(p.name for p in wf.iterdir()) == ["a.yml", "b.yml"]


@pytest.mark.parametrize("kind", ["link-to-file", "dangling-link", "link-to-dir", "directory"])
def test_write_atomic_refuses_anything_but_a_regular_file(tmp_path: Path, kind: str) -> None:
    home = outside_world(tmp_path)
    target = tmp_path / "repo" / "ci.yml"
    target.parent.mkdir()
    if kind == "link-to-file":
        os.symlink(home / ".bashrc", target)
    elif kind == "dangling-link":
        os.symlink(home / "nowhere", target)
    elif kind == "link-to-dir":
        os.symlink(home / ".config", target)
    else:
        target.mkdir()
    before = snapshot(home)
    with pytest.raises(InputError) as err:
        files.write_atomic(target, FIXED, tmp_path / "repo")
    assert str(err.value) == {
        "directory": "cannot write the fixed file: not a regular file",
    }.get(kind, "cannot write the fixed file: it is a symlink; not written through")
    assert snapshot(home) == before
    assert sorted(p.name for p in target.parent.iterdir()) == ["ci.yml"]


def test_write_atomic_refuses_a_directory_outside_the_root(tmp_path: Path) -> None:
    home = outside_world(tmp_path)
    (home / "wf").mkdir()
    (home / "wf" / "ci.yml").write_bytes(GOOD)
    repo = tmp_path / "repo"
    repo.mkdir()
    os.symlink(home / "wf", repo / "wf")
    with pytest.raises(InputError, match="its directory is a symlink that leaves the repository"):
        files.write_atomic(repo / "wf" / "ci.yml", FIXED, repo)
    assert (home / "wf" / "ci.yml").read_bytes() == GOOD


@pytest.mark.parametrize("mode", [0o644, 0o600, 0o755, 0o640])
def test_write_atomic_keeps_the_mode_and_leaves_no_temporary_file(tmp_path: Path, mode: int) -> None:
    target = tmp_path / "ci.yml"
    target.write_bytes(GOOD)
    os.chmod(target, mode)
    old = os.umask(0o077)
    try:
        files.write_atomic(target, FIXED, tmp_path)
    finally:
        os.umask(old)
    assert target.read_bytes() == FIXED
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert [p.name for p in tmp_path.iterdir()] == ["ci.yml"]


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@example.com",
           "GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@example.com"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True).stdout


def test_run_on_a_repository_with_planted_links_changes_nothing_outside(tmp_path: Path) -> None:
    """``fixbot run`` clones a real git repository whose links point at the user's home."""
    home = outside_world(tmp_path)
    source = tmp_path / "source"
    wf = source / ".github" / "workflows"
    wf.mkdir(parents=True)
    plant(wf, home)
    git(source, "init", "-q", "-b", "main")
    git(source, "add", "-A")
    git(source, "commit", "-qm", "init")
    before = snapshot(home)
    work = tmp_path / "work"
    work.mkdir()
    outcome = run_local(str(source), select("persist-credentials", None), workdir=work)
    assert snapshot(home) == before
    assert outcome.status == "pr-opened"
    assert [(r.path, r.status, r.error) for r in outcome.files] == [
        (".github/workflows/ci.yml", "changed", None),
        (".github/workflows/docs.yaml", "changed", None),
        (".github/workflows/evil.yml", "error", "symlink points outside the repository; not followed"),
        (".github/workflows/lint.yml", "changed", None)]
    clone = work / "repo"
    changed = git(clone, "diff", "--name-status", "main", "HEAD").splitlines()
    assert changed == ["M\t.github/workflows/ci.yml", "M\t.github/workflows/docs.yaml",
                       "M\t.github/workflows/lint.yml"]
    assert git(clone, "status", "--porcelain") == ""
