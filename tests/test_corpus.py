"""Invariants over the real-world corpus (../shared/corpus, read in place, copied to a tmp dir).

- no transform selected: every file byte-identical and not even touched;
- persist-credentials: outputs re-parse (the guard), a second run changes nothing, and every
  diff is pure insertion;
- zizmor --offline: artipacked findings drop on changed files and no new finding appears.
"""

from __future__ import annotations

import difflib
import shutil
from collections import Counter
from pathlib import Path

import pytest

from fixbot.commands.fix import fix_paths
from fixbot.transforms import REGISTRY

UNPARSABLE = {  # documented in the corpus README: template placeholders as mapping keys
    "actions__starter-workflows@head/.github/workflows/code-scanning__nowsecure.yml",
    "actions__starter-workflows@head/.github/workflows/code-scanning__nowsecure-mobile-sbom.yml",
}


def repos(tree: Path) -> list[str]:
    return [str(p) for p in sorted(tree.iterdir()) if p.is_dir()]


def snapshot(tree: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(tree).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in tree.rglob("*") if p.is_file()}


def rel(tree: Path, display: str) -> str:
    return Path(display).relative_to(tree).as_posix()


def test_no_transform_leaves_every_file_untouched(corpus_tree: Path) -> None:
    before = snapshot(corpus_tree)
    results = fix_paths(repos(corpus_tree), [], write=True)
    assert snapshot(corpus_tree) == before
    assert len(results) == 1259
    errors = {rel(corpus_tree, r.path) for r in results if r.status == "error"}
    assert errors == UNPARSABLE
    assert {r.status for r in results if rel(corpus_tree, r.path) not in UNPARSABLE} == {"unchanged"}


def pure_insertion(diff: list[str]) -> bool:
    """Every removed line comes back as itself with text inserted (flow mappings edited inline)."""
    removed = [x[1:] for x in diff if x.startswith("-") and not x.startswith("---")]
    added = [x[1:] for x in diff if x.startswith("+") and not x.startswith("+++")]
    for r in removed:
        match = next((a for a in added if _inserted(r, a)), None)
        if match is None:
            return False
        added.remove(match)
    return True


def _inserted(old: str, new: str) -> bool:
    p = 0
    while p < len(old) and p < len(new) and old[p] == new[p]:
        p += 1
    return len(new) > len(old) and new.endswith(old[p:])


@pytest.fixture(scope="module")
def fixed_tree(corpus_tree: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    dest = tmp_path_factory.mktemp("fixed") / "tree"
    shutil.copytree(corpus_tree, dest)
    results = fix_paths(repos(dest), [REGISTRY["persist-credentials"]], write=True)
    return dest, results


def test_persist_credentials_over_corpus(corpus_tree: Path, fixed_tree) -> None:
    dest, results = fixed_tree
    changed = [r for r in results if r.status == "changed"]
    errors = {rel(dest, r.path) for r in results if r.status == "error"}
    assert errors == UNPARSABLE
    print(f"\npersist-credentials: {len(changed)} of {len(results)} files changed, "
          f"{sum(len(r.changes) for r in changed)} checkout steps")
    not_pure = []
    for r in changed:
        name = rel(dest, r.path)
        original = (corpus_tree / name).read_text(encoding="utf-8")
        assert r.original == original
        assert (dest / name).read_text(encoding="utf-8") == r.updated
        diff = list(difflib.unified_diff(original.splitlines(), r.updated.splitlines(), lineterm=""))
        if not pure_insertion(diff):
            not_pure.append(name)
    assert not_pure == []
    again = fix_paths(repos(dest), [REGISTRY["persist-credentials"]], write=False)
    assert [r.path for r in again if r.status == "changed"] == []


def test_zizmor_artipacked_drops_and_nothing_new(fixed_tree, zizmor_baseline) -> None:
    dest, results = fixed_tree
    before, zizmor_after = zizmor_baseline
    after = zizmor_after(dest)
    changed = {rel(dest, r.path) for r in results if r.status == "changed"}
    new = {k: n for k, n in after.items() if n > before.get(k, 0)}
    assert new == {}
    b = sum(n for (f, i), n in before.items() if i == "artipacked" and f in changed)
    a = sum(n for (f, i), n in after.items() if i == "artipacked" and f in changed)
    total_b = sum(n for (_, i), n in before.items() if i == "artipacked")
    total_a = sum(n for (_, i), n in after.items() if i == "artipacked")
    print(f"\nzizmor artipacked on changed files: {b} -> {a}; whole corpus {total_b} -> {total_a}")
    flagged = {f for f in changed if before[(f, "artipacked")]}
    assert len(flagged) > 0.95 * len(changed)  # the rest zizmor could not load or did not flag
    for f in flagged:
        assert after[(f, "artipacked")] < before[(f, "artipacked")], f
    assert Counter({k: v for k, v in after.items() if k[1] != "artipacked"}) == \
        Counter({k: v for k, v in before.items() if k[1] != "artipacked"})


def test_parallel_and_serial_runs_agree(corpus_tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fixbot import report

    everything = list(REGISTRY.values())
    monkeypatch.setenv("FIXBOT_JOBS", "2")
    parallel = fix_paths(repos(corpus_tree), everything, write=False)
    monkeypatch.setenv("FIXBOT_JOBS", "1")
    serial = fix_paths(repos(corpus_tree), everything, write=False)
    assert report.fix_json(parallel) == report.fix_json(serial)
    assert [r.updated for r in parallel] == [r.updated for r in serial]
