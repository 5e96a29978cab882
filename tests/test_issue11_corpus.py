"""Issue 11 over ../shared/corpus (workflows laid out as repositories, and every corpus/repos
snapshot): template-injection's zizmor findings down by 80% or more with nothing new, and
every `dangerous-triggers` finding fixed or explained by a fork-safety note naming the risk.

The numbers are the ones `python -m bench.template_injection` prints (docs/performance.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import template_injection as ti
from bench import zizmor
from bench.corpus import copy_snapshots, lay_out
from bench.secrets import _mini_trees
from fixbot import engine, files
from fixbot.transforms import REGISTRY
from fixbot.workflow import RepoContext

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def work(corpus_root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    if zizmor.zizmor_exe() is None:
        pytest.skip("zizmor is not installed (the `test` extra)")
    w = tmp_path_factory.mktemp("issue11")
    lay_out(corpus_root, w / "workflows-before")
    copy_snapshots(corpus_root, w / "repos-before")
    trees = []
    for name in ("workflows", "repos"):
        t = ti.Tree(name)
        ti.fix_tree(t, w / f"{name}-before", w / f"{name}-after")
        assert t.errors == [] or all("invalid YAML" in e or "mapping key" in e
                                     for e in t.errors), t.errors
        trees.append(t)
    return w, trees


def test_template_injection_findings_down_by_80_percent(work: tuple[Path, list]) -> None:
    w, _ = work
    before = after = 0
    for name in ("workflows", "repos"):
        b, skipped = ti._found(w / f"{name}-before", "regular", set())
        a, _ = ti._found(w / f"{name}-after", "regular", skipped)
        before, after = before + sum(b.values()), after + sum(a.values())
    assert before > 800  # the check below is not vacuous
    assert (before - after) / before >= 0.80, (before, after)


def test_no_new_finding_of_any_kind_on_changed_files(work: tuple[Path, list]) -> None:
    w, trees = work
    b, a, rels = _mini_trees([(t, w / f"{t.name}-before", w / f"{t.name}-after")
                              for t in trees], w)
    assert len(rels) > 200
    assert ti.new_on_changed(b, a) == {p: [] for p in ti.PERSONAS}


def test_every_dangerous_trigger_is_explained(work: tuple[Path, list]) -> None:
    w, _ = work
    flagged: set[Path] = set()
    for name in ("workflows", "repos"):
        tree = w / f"{name}-before"
        found, _ = zizmor.keyed_findings(tree, ("--no-config",))
        flagged |= {tree / f for (f, i, _) in found if i == "dangerous-triggers"}
    assert len(flagged) > 80
    unexplained = []
    for path in sorted(flagged):
        text = path.read_bytes().decode("utf-8")
        ctx = RepoContext(files.repo_reader(path.parents[2]))
        r = engine.process(path.name, text, [REGISTRY["fork-safety"]], ctx)
        notes = [n.message for n in r.notes if n.transform == "fork-safety"]
        # each note names what a fork's run reaches: a write token, the default token, secrets
        if not any(w in m for m in notes for w in ("write token", "can write",
                                                   "default token", "secret")) \
                and not r.changes:
            unexplained.append(str(path))
    assert unexplained == []
