"""Every diff ``fixbot fix --diff`` prints applies with ``git apply`` and gives exactly the bytes
``fixbot fix`` writes (issue 7, item 12): no final newline, CRLF, a BOM, unusual line breaks."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from fixbot.cli import main
from fixbot.report import unified_diff
from fixbot.types import FileResult

WF = ("on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
      "      - run: make test\n      - uses: actions/checkout@v4")  # no final newline


def git_apply(cwd: Path, patch: str, check_only: bool = False) -> None:
    (cwd.parent / "fix.patch").write_bytes(patch.encode("utf-8"))
    args = ["git", "apply", "--check"] if check_only else ["git", "apply"]
    proc = subprocess.run([*args, str(cwd.parent / "fix.patch")], cwd=cwd, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("original,updated", [
    ("a: 1\nb: 2", "a: 1\nb: 3"),  # the last line changes, no final newline on either side
    ("a: 1\nb: 2", "a: 1\nb: 2\nc: 3"),  # lines added after a last line without a newline
    ("a: 1\nb: 2\n", "a: 1\nb: 2"),  # the final newline goes away
    ("a: 1\r\nb: 2\r\n", "a: 1\r\nx: 0\r\nb: 2\r\n"),  # CRLF
    ("\ufeffa: 1\r\nb: 2", "\ufeffa: 9\r\nb: 2\r\nc: 3"),  # BOM, CRLF, no final newline
    ("a: 'x\u2028y'\nb: 2\x0c\nc: 3\n", "a: 'x\u2028y'\nb: 2\x0c\nc: 4\n"),  # not line breaks for git
    ("a: 1\rb: 2\n", "a: 1\rb: 3\n"),  # a lone CR is part of the line
], ids=["last-line", "append", "drop-newline", "crlf", "bom-crlf-no-newline", "u2028-ff", "lone-cr"])
def test_unified_diff_applies_byte_for_byte(tmp_path: Path, original: str, updated: str) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "w.yml").write_bytes(original.encode("utf-8"))
    patch = unified_diff(FileResult(path="w.yml", status="changed", original=original,
                                    updated=updated))
    git_apply(repo, patch, check_only=True)
    git_apply(repo, patch)
    assert (repo / "w.yml").read_bytes() == updated.encode("utf-8")


def test_no_newline_marker_is_printed(tmp_path: Path) -> None:
    patch = unified_diff(FileResult(path="w.yml", status="changed", original="a\nb",
                                    updated="a\nc"))
    assert patch == ("--- a/w.yml\n+++ b/w.yml\n@@ -1,2 +1,2 @@\n a\n-b\n"
                     "\\ No newline at end of file\n+c\n\\ No newline at end of file\n")


@pytest.mark.parametrize("eol,bom", [("\n", ""), ("\r\n", ""), ("\r\n", "\ufeff")])
def test_fix_diff_of_a_file_without_final_newline_applies(tmp_path: Path, eol: str, bom: str,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    original = (bom + WF.replace("\n", eol)).encode("utf-8")
    (repo / ".github" / "workflows" / "ci.yml").write_bytes(original)
    fixed = tmp_path / "fixed"
    shutil.copytree(repo, fixed)
    capsys.readouterr()
    assert main(["fix", str(fixed), "--only", "persist-credentials"]) == 0
    want = (fixed / ".github" / "workflows" / "ci.yml").read_bytes()
    assert want != original
    capsys.readouterr()
    assert main(["fix", str(repo), "--diff", "--only", "persist-credentials"]) == 1
    patch = capsys.readouterr().out
    assert "\\ No newline at end of file\n" in patch
    git_apply(repo, patch)
    assert (repo / ".github" / "workflows" / "ci.yml").read_bytes() == want


@pytest.mark.slow
def test_every_corpus_diff_applies_and_equals_fix(corpus_tree: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """``fix --diff`` with every transform over the whole corpus, applied with ``git apply`` to
    a copy, gives the same bytes as ``fix`` writes into another copy."""
    diffed, fixed = tmp_path / "diffed", tmp_path / "fixed"
    shutil.copytree(corpus_tree, diffed, symlinks=True)
    shutil.copytree(corpus_tree, fixed, symlinks=True)
    roots = sorted(p.name for p in corpus_tree.iterdir() if p.is_dir())
    monkeypatch.chdir(diffed)
    capsys.readouterr()
    main(["fix", "--diff", *roots])
    patch = capsys.readouterr().out
    monkeypatch.chdir(fixed)
    main(["fix", *roots])
    capsys.readouterr()
    assert patch.count("\n+++ b/") > 100  # the corpus does get changed
    git_apply(diffed, patch, check_only=True)
    git_apply(diffed, patch)
    differ = [str(p.relative_to(diffed)) for p in sorted(diffed.rglob("*")) if p.is_file()
              and p.read_bytes() != (fixed / p.relative_to(diffed)).read_bytes()]
    assert differ == []
