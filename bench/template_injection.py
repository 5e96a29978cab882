"""The ``template-injection`` transform over the corpus (issue 11), measured in one run.

Usage: python -m bench.template_injection [--out FILE] [--update-doc] [--jobs N]

Two trees are fixed with the ``template-injection`` transform alone, each in a temporary copy
(the corpus is never written): ``workflows`` (``corpus/workflows`` laid out as repositories,
bench/corpus.py ``lay_out``) and ``repos`` (every snapshot of ``corpus/repos``).

Printed: zizmor's ``template-injection`` findings before and after, for the personas
``regular`` and ``pedantic`` (``--no-config``), over every workflow of both trees, and the
reduction; every finding of any audit that is new after the fix, on the changed files, keyed
by (file, audit, route) (bench/repos.py ``by_route``: a rewritten script is the same place);
the changes, the notes left by kind of risk, and the time. ``--update-doc`` writes the report
into docs/performance.md as the section "template-injection transform over the corpus".
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import zizmor
from bench.corpus import copy_snapshots, corpus_dir, lay_out, update_doc_section
from bench.repos import by_route
from bench.secrets import _mini_trees, changed_files
from fixbot import engine, files
from fixbot.commands.fix import write_fixed
from fixbot.workflow import RepoContext

TRANSFORM = "template-injection"
AUDIT = "template-injection"
PERSONAS = ("regular", "pedantic")
DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
HEADING = "## template-injection transform over the corpus"
# what a note is about, by the words its reason starts with (fixbot/transforms/template_injection)
_NOTE_KINDS = (
    ("the command that runs", "the expression is the command name"),
    ("part of the program", "part of a program another interpreter reads (eval, bash -c, jq, sed...)"),
    ("quoted delimiter", "quoted here-document"),
    ("in a comment", "comment"),
    ("`$'…'`", "`$'…'` string"),
    ("JavaScript", "actions/github-script: pasted as code, in a comment or a regular expression"),
    ("(`$env:NAME`)", "PowerShell: a place pwsh_spots does not rewrite"),
    ("may be Windows", "runner may be Windows or not (shell unknown)"),
    ("Python script", "shell: python"),
    ("cmd", "shell: cmd"),
    ("cannot be parsed", "script tree-sitter cannot parse"),
    ("non-ASCII", "script with non-ASCII text"),
)


@dataclass
class Tree:
    name: str
    workflows: int = 0
    seconds: float = 0.0
    changes: int = 0
    errors: list[str] = field(default_factory=list)
    notes: Counter[str] = field(default_factory=Counter)
    changed: list[str] = field(default_factory=list)


def _note_kind(message: str) -> str:
    return next((label for words, label in _NOTE_KINDS if words in message), "other")


def fix_tree(tree: Tree, before: Path, after: Path) -> None:
    from fixbot.transforms import REGISTRY

    shutil.copytree(before, after, symlinks=True)
    t = time.perf_counter()
    targets = files.discover([str(p) for p in sorted(after.iterdir()) if p.is_dir()])
    results = []
    ctxs: dict[Path, RepoContext] = {}
    for target in targets:
        ctx = ctxs.setdefault(target.root, RepoContext(files.repo_reader(target.root)))
        results.append(engine.process_target(target, [REGISTRY[TRANSFORM]], ctx))
    write_fixed(targets, results)
    tree.seconds = round(time.perf_counter() - t, 1)
    tree.workflows = len(targets)
    for r in results:
        if r.status == "error":
            tree.errors.append(f"{r.path}: {r.error}")
        tree.changes += sum(c.transform == TRANSFORM for c in r.changes)
        tree.notes.update(_note_kind(n.message) for n in r.notes if n.transform == TRANSFORM)
    tree.changed = changed_files(before, after)


def _found(tree: Path, persona: str, exclude: set[str]) -> tuple[Counter[tuple[str, str, str]], set[str]]:
    found, skipped = zizmor.keyed_findings(tree, ("--persona", persona, "--no-config"), exclude)
    return Counter({k: n for k, n in found.items() if k[1] == AUDIT}), skipped


def _left_kind(loc: str) -> str:
    """Why a finding is left after the fix: the context fixbot reads as safe, a github-script
    (notes), or a run: script left with a note."""
    from fixbot.kb.injection import Facts, verdict

    route, _, rest = loc.partition(": ")
    frag = rest.rsplit(" [", 1)[1].rstrip("]") if " [" in rest else ""
    if route.endswith(".with.script"):
        return "`actions/github-script` `script:` left with a note (see the table of notes)"
    v = verdict("${{ " + frag + " }}", Facts({}, True))
    if v.kind == "safe" and frag:
        head = frag.split(".")[0].split("(")[0]
        return f"a context fixbot reads as safe (`{head}.*`)"
    return "a `run:` script left with a note (see the table of notes)"


def measure(work: Path) -> dict[str, Any]:
    out: dict[str, Any] = {"totals": {}, "left": Counter()}
    for p in PERSONAS:
        before = after = 0
        for name in ("workflows", "repos"):
            b, skipped = _found(work / f"{name}-before", p, set())
            a, _ = _found(work / f"{name}-after", p, skipped)
            before, after = before + sum(b.values()), after + sum(a.values())
            if p == "regular":
                for (_, _, loc), n in a.items():
                    out["left"][_left_kind(loc)] += n
        out["totals"][p] = (before, after)
    return out


def new_on_changed(b: Path, a: Path) -> dict[str, list[tuple[str, str, str]]]:
    out: dict[str, list[tuple[str, str, str]]] = {}
    for p in PERSONAS:
        args = ("--persona", p, "--no-config")
        kb, skipped = zizmor.keyed_findings(b, args)
        ka, _ = zizmor.keyed_findings(a, args, skipped)
        out[p] = sorted((by_route(ka) - by_route(kb)).elements())
    return out


def markdown(trees: list[Tree], z: dict[str, Any], new: dict[str, list[Any]]) -> str:
    lines = [HEADING, "",
             "`python -m bench.template_injection` fixes `corpus/workflows` (laid out as "
             "repositories) and every `corpus/repos` snapshot with the `template-injection` "
             "transform alone, then runs zizmor (`--offline --no-config`) on both trees before "
             "and after.", "",
             "| tree | workflows | files changed | changes | notes | errors | time |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for t in trees:
        lines.append(f"| {t.name} | {t.workflows} | {len(t.changed)} | {t.changes} | "
                     f"{sum(t.notes.values())} | {len(t.errors)} | {t.seconds} s |")
    lines += ["", "zizmor `template-injection` findings, both trees together:", "",
              "| persona | before | after | reduction |", "|---|---:|---:|---:|"]
    for p, (b, a) in z["totals"].items():
        lines.append(f"| {p} | {b} | {a} | {(b - a) / b:.1%} |" if b else f"| {p} | 0 | {a} | - |")
    lines += ["", "What the regular findings left after the fix are about:", "",
              "| left because | findings |", "|---|---:|"]
    lines += [f"| {k} | {n} |" for k, n in z["left"].most_common()]
    lines += ["", "New findings of any audit on the changed files, by (file, audit, route): "
              + ", ".join(f"{p} {len(v)}" for p, v in new.items()) + "."]
    for p, v in new.items():
        lines += [f"- {p}: `{f}` {i} {loc}" for f, i, loc in v[:20]]
    notes: Counter[str] = Counter()
    for t in trees:
        notes.update(t.notes)
    lines += ["", "What the notes leave as it is (an expression each):", "",
              "| left because | notes |", "|---|---:|"]
    lines += [f"| {k} | {n} |" for k, n in notes.most_common()]
    return "\n".join(lines) + "\n"


def update_doc(section: str, doc: Path = DOC) -> None:
    update_doc_section(doc, HEADING, section)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.template_injection",
                                 description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--out")
    ap.add_argument("--update-doc", action="store_true")
    args = ap.parse_args(argv)
    root = corpus_dir()
    if root is None:
        print("bench.template_injection: no corpus (set FIXBOT_CORPUS)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="fixbot-bench-ti-") as tmp:
        work = Path(tmp)
        lay_out(root, work / "workflows-before")
        copy_snapshots(root, work / "repos-before")
        trees = []
        for name in ("workflows", "repos"):
            tree = Tree(name)
            fix_tree(tree, work / f"{name}-before", work / f"{name}-after")
            print(f"bench.template_injection: {name}: {tree.workflows} workflows, "
                  f"{len(tree.changed)} files changed, {tree.seconds} s", file=sys.stderr)
            trees.append(tree)
        z = measure(work)
        b, a, rels = _mini_trees([(t, work / f"{t.name}-before", work / f"{t.name}-after")
                                  for t in trees], work)  # type: ignore[misc]  # duck-typed Tree
        new = new_on_changed(b, a) if rels else {p: [] for p in PERSONAS}
    report = markdown(trees, z, new)
    print(report)
    if args.out:
        Path(args.out).write_text(report, encoding="utf-8")
    if args.update_doc:
        update_doc(report)
    return 1 if any(new.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
