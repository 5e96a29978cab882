"""The ``secrets`` transform over the corpus (issue 10), measured in one run.

Usage: python -m bench.secrets [--out FILE] [--update-doc] [--no-actionlint] [--jobs N]

Two trees are fixed with the ``secrets`` transform alone, each in a temporary copy (the corpus
is never written):

- ``workflows``: ``corpus/workflows`` laid out as repositories (bench/corpus.py ``lay_out``);
- ``repos``: every snapshot of ``corpus/repos``, in its repository context (the scripts that
  steps run, read through ``RepoContext(files.repo_reader(root))`` as bench/repos.py does).

Printed: every value flagged (file:line, kind and the redacted form of
``fixbot.kb.secret_values.redacted``; never the value), every note the transform left, the
files changed (workflows and the Python scripts that change with them) and the time; then
zizmor (personas ``regular`` and ``auditor``, ``--no-config``) before and after on the changed
workflow files: its credential audits (``hardcoded-container-credentials`` and every audit whose
id names secrets) and any finding of any audit that is new, keyed by (file, audit, route) as in
bench/zizmor.py; and actionlint before and after on the same files (nothing new allowed).

The report is checked before it is printed: no flagged value may appear in it.
``--update-doc`` writes it into docs/performance.md as the section "secrets transform over the
corpus", keeping the other sections.
"""

from __future__ import annotations

import argparse
import filecmp
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import zizmor
from bench.corpus import copy_snapshots, corpus_dir, lay_out, update_doc_section
from fixbot import engine, files
from fixbot.commands.fix import write_fixed
from fixbot.kb.secret_values import KINDS, redacted
from fixbot.types import FileResult
from fixbot.workflow import RepoContext

TRANSFORM = "secrets"
PERSONAS = ("regular", "auditor")
CONTAINER = "hardcoded-container-credentials"
DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
HEADING = "## secrets transform over the corpus"
_KIND_ID = {k.label: k.id for k in KINDS.values()}
Keyed = Counter[tuple[str, str, str]]


def credential_audit(ident: str) -> bool:
    """zizmor audits about credentials written or passed where they should not be."""
    return ident == CONTAINER or "secret" in ident


# -- fixing --------------------------------------------------------------------------------------

def _fix_repo(targets: list[files.Target]) -> list[FileResult]:
    from fixbot.transforms import REGISTRY

    ctx = RepoContext(files.repo_reader(targets[0].root))
    return [engine.process_target(t, [REGISTRY[TRANSFORM]], ctx) for t in targets]


def fix_roots(roots: Iterable[Path], jobs: int = 0) -> tuple[list[files.Target], list[FileResult]]:
    """The ``secrets`` transform over every workflow of ``roots`` (one repository context per
    root), written in place (the Python files the changes carry too)."""
    targets = files.discover([str(r) for r in roots])
    groups: dict[Path, list[files.Target]] = {}
    for t in targets:
        groups.setdefault(t.root, []).append(t)
    chunks = sorted(groups.values(), key=len, reverse=True)
    jobs = jobs or min(os.cpu_count() or 1, 8)
    if jobs > 1 and "fork" in mp.get_all_start_methods():
        with ProcessPoolExecutor(jobs, mp_context=mp.get_context("fork")) as pool:
            done = list(pool.map(_fix_repo, chunks))
    else:
        done = [_fix_repo(c) for c in chunks]
    by_file = {t.file: r for c, rs in zip(chunks, done, strict=True)
               for t, r in zip(c, rs, strict=True)}
    return targets, write_fixed(targets, [by_file[t.file] for t in targets])


def changed_files(before: Path, after: Path) -> list[str]:
    """Files (relative, ``/``) whose bytes differ between the two copies of a tree."""
    out = []
    for f in sorted(after.rglob("*")):
        if f.is_file() and not f.is_symlink():
            rel = f.relative_to(after)
            old = before / rel
            if not old.is_file() or not filecmp.cmp(old, f, shallow=False):
                out.append(rel.as_posix())
    return out


@dataclass
class Tree:
    name: str
    workflows: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    flagged: list[dict[str, Any]] = field(default_factory=list)  # file, line, kind, shown, secret
    notes: list[tuple[str, str, str]] = field(default_factory=list)  # file, location, message
    changes: int = 0
    moved_refs: int = 0  # changes that only move ${{ secrets.X }} from run: into env:
    changed: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list, repr=False)  # only to check the report
    zizmor: dict[str, Any] = field(default_factory=dict)
    actionlint: dict[str, Any] = field(default_factory=dict)


def measure_tree(tree: Tree, before: Path, after: Path, jobs: int) -> None:
    shutil.copytree(before, after, symlinks=True)
    t = time.perf_counter()
    targets, results = fix_roots(sorted(p for p in after.iterdir() if p.is_dir()), jobs)
    tree.seconds = round(time.perf_counter() - t, 1)
    tree.workflows = len(targets)
    for r in results:
        rel = (Path(r.path) if Path(r.path).is_absolute() else Path(r.path).resolve())
        shown = _rel(rel, after)
        if r.status == "error":
            tree.errors.append(f"{shown}: {r.error}")
        for c in r.changes:
            if c.transform != TRANSFORM:
                continue
            tree.changes += 1
            tree.moved_refs += not c.secrets
            for s in c.secrets:
                kind = _KIND_ID.get(s.kind, "credential")
                tree.flagged.append({"file": shown, "line": c.line, "kind": kind, "label": s.kind,
                                     "shown": redacted(kind, s.value), "secret": s.name,
                                     "where": c.location or "(workflow)",
                                     "scripts": [e.path for e in c.files]})
                tree.values.append(s.value)
        tree.notes += [(shown, n.location, n.message) for n in r.notes if n.transform == TRANSFORM]
    tree.changed = changed_files(before, after)


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


# -- zizmor and actionlint on the changed workflows ----------------------------------------------

def _mini_trees(trees: list[tuple[Tree, Path, Path]], work: Path) -> tuple[Path, Path, list[str]]:
    """Two trees holding only the changed workflow files of every tree, before and after."""
    b, a = work / "lint-before", work / "lint-after"
    rels = []
    for tree, before, after in trees:
        for rel in tree.changed:
            if f"/{files.WORKFLOW_DIR}/" not in f"/{rel}":
                continue
            name = f"{tree.name}/{rel}"
            for src, dst in ((before / rel, b / name), (after / rel, a / name)):
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dst)
            rels.append(name)
    return b, a, rels


def zizmor_compare(b: Path, a: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in PERSONAS:
        args = ("--persona", p, "--no-config")
        kb, skipped = zizmor.keyed_findings(b, args)
        ka, _ = zizmor.keyed_findings(a, args, skipped)
        audits = sorted({i for (_, i, _) in kb + ka if credential_audit(i)} | {CONTAINER})
        out[p] = {"before": {i: sum(n for (_, j, _), n in kb.items() if j == i) for i in audits},
                  "after": {i: sum(n for (_, j, _), n in ka.items() if j == i) for i in audits},
                  "total": [sum(kb.values()), sum(ka.values())],
                  "new": sorted((f, i, loc) for (f, i, loc) in (ka - kb).elements()),
                  "gone": sorted((f, i, loc) for (f, i, loc) in (kb - ka).elements()),
                  "skipped": sorted(skipped)}
    return out


def actionlint_compare(b: Path, a: Path, rels: list[str]) -> dict[str, Any]:
    from bench import actionlint

    try:
        found = actionlint.lint([b / r for r in rels] + [a / r for r in rels])
    except actionlint.Unavailable as e:
        return {"unavailable": str(e)}
    before = {b / r: found[b / r] for r in rels}
    after = {a / r: found[a / r] for r in rels}
    return {"before": sum(map(len, before.values())), "after": sum(map(len, after.values())),
            "new": [list(x) for x in actionlint.new_findings(before, after, b, a)]}


# -- the report ----------------------------------------------------------------------------------

def _table(head: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return out + ["| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |" for r in rows]


def markdown(trees: list[Tree], ziz: dict[str, Any] | None, lint: dict[str, Any] | None,
             machine: str) -> str:
    out = [HEADING, "",
           f"`python -m bench.secrets --update-doc` ({machine}): the `secrets` transform alone over "
           "`corpus/workflows` laid out as repositories and over every `corpus/repos` snapshot in "
           "its repository context, each in a temporary copy. Values are shown redacted "
           "(`fixbot.kb.secret_values.redacted`: public prefix, stars, length).", ""]
    out += _table(["tree", "workflows", "changes", "of which credentials moved",
                   "of which `${{ secrets.X }}` moved from run: into env:", "values flagged",
                   "files changed", "errors", "time (s)"],
                  [[t.name, t.workflows, t.changes, t.changes - t.moved_refs, t.moved_refs,
                    len(t.flagged), len(t.changed), len(t.errors), t.seconds] for t in trees])
    for t in trees:
        out += ["", f"#### Values flagged in `{t.name}`", ""]
        out += _table(["file:line", "where", "kind", "redacted", "becomes", "scripts changed"],
                      [[f"`{f['file']}:{f['line']}`", f"`{f['where']}`", f["kind"], f"`{f['shown']}`",
                        f"`secrets.{f['secret']}`", ", ".join(f["scripts"]) or "-"]
                       for f in t.flagged]) if t.flagged else ["none"]
        out += ["", f"#### Notes the transform left in `{t.name}` ({len(t.notes)})", ""]
        out += [f"- `{f}` `{loc or '(workflow)'}`: {m}" for f, loc, m in t.notes] or ["none"]
        if t.errors:
            out += ["", f"#### Files fixbot reported as errors in `{t.name}`", ""]
            out += [f"- {e}" for e in t.errors]
        out += ["", f"Files changed in `{t.name}`: " + ", ".join(f"`{c}`" for c in t.changed)]
    if ziz is not None:
        out += ["", "#### zizmor on the changed workflow files, before → after", ""]
        for p, z in ziz.items():
            rows = [[f"`{i}`", z["before"][i], z["after"][i]] for i in z["before"]]
            rows.append(["all audits", *z["total"]])
            out += [f"Persona `{p}`:", "", *_table(["audit", "before", "after"], rows), ""]
            gone = {(f, i, loc.split(": ")[0]) for f, i, loc in z["gone"]}
            moved = [x for x in z["new"] if (x[0], x[1], x[2].split(": ")[0]) in gone]
            out += [f"New findings ({p}): {len(z['new'])}, of which {len(moved)} the same finding "
                    "at the same route whose quoted text changed (one of the same audit and route "
                    "is gone)"]
            out += [f"- `{f}` `{i}` {loc}" + (" (same route, text changed)" if (f, i, loc) in moved
                                             else "") for f, i, loc in z["new"]]
            out += [f"Gone ({p}, credential audits): "
                    + (", ".join(f"`{f}` `{i}` {loc.split(': ')[0]}" for f, i, loc in z["gone"]
                                 if credential_audit(i)) or "none")]
            if z["skipped"]:
                out += [f"Not loadable by zizmor (left out): {', '.join(z['skipped'])}"]
            out += [""]
    if lint is not None:
        out += ["#### actionlint on the changed workflow files", ""]
        if "unavailable" in lint:
            out += [f"unavailable: {lint['unavailable']}"]
        else:
            out += [f"findings before {lint['before']}, after {lint['after']}; new: {len(lint['new'])}"]
            out += [f"- `{f}` {k}: {m}" for f, k, m in lint["new"]]
    return "\n".join(out).rstrip() + "\n"


def check_redacted(text: str, values: Iterable[str]) -> None:
    leaked = [v for v in values if v and v in text]
    if leaked:
        raise SystemExit(f"bench.secrets: {len(leaked)} flagged value(s) appear in the report")


def update_doc(section: str, doc: Path = DOC) -> None:
    update_doc_section(doc, HEADING, section)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.secrets", description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="also write the report (markdown) to this file")
    ap.add_argument("--update-doc", action="store_true",
                    help=f"write the report into {DOC.relative_to(DOC.parent.parent)}")
    ap.add_argument("--no-actionlint", action="store_true")
    ap.add_argument("--jobs", type=int, default=0)
    args = ap.parse_args(argv)
    root = corpus_dir()
    if root is None:
        print("bench.secrets: no corpus (set FIXBOT_CORPUS)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="fixbot-bench-secrets-") as tmp:
        work = Path(tmp)
        lay_out(root, work / "workflows-before")
        copy_snapshots(root, work / "repos-before")
        trees = []
        for name in ("workflows", "repos"):
            tree = Tree(name)
            measure_tree(tree, work / f"{name}-before", work / f"{name}-after", args.jobs)
            print(f"bench.secrets: {name}: {tree.workflows} workflows, {len(tree.changed)} files "
                  f"changed, {tree.seconds} s", file=sys.stderr)
            trees.append(tree)
        b, a, rels = _mini_trees([(t, work / f"{t.name}-before", work / f"{t.name}-after")
                                  for t in trees], work)
        ziz = zizmor_compare(b, a) if rels else None
        lint = None if args.no_actionlint or not rels else actionlint_compare(b, a, rels)
    machine = f"{os.cpu_count()} CPUs, {len({v for t in trees for v in t.values})} distinct values"
    report = markdown(trees, ziz, lint, machine)
    check_redacted(report, [v for t in trees for v in t.values])
    print(report)
    if args.out:
        Path(args.out).write_text(report, encoding="utf-8")
    if args.update_doc:
        update_doc(report)
    new = sum(len(z["new"]) for z in (ziz or {}).values()) + len((lint or {}).get("new", []))
    return 1 if new else 0


if __name__ == "__main__":
    raise SystemExit(main())
