"""``fixbot fix``: apply transforms to workflow files in place (or check / diff them)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from fixbot import engine, files, report
from fixbot.cli import EXIT_FAILED, EXIT_OK, EXIT_PENDING
from fixbot.errors import InputError
from fixbot.types import FileResult
from fixbot.workflow import RepoContext


def register(sub: Any) -> None:
    p = sub.add_parser("fix", help="fix workflow files in place")
    p.add_argument("paths", nargs="*", default=["."], metavar="PATH",
                   help="repository roots or workflow files (default: .)")
    add_selection(p)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="write nothing; exit 1 if changes are pending")
    mode.add_argument("--diff", action="store_true", help="print a unified diff; write nothing")
    p.add_argument("--format", choices=["text", "json", "sarif"], default="text")
    p.set_defaults(func=run)


def add_selection(p: argparse.ArgumentParser) -> None:
    p.add_argument("--only", metavar="IDS", help="comma-separated transform ids to run")
    p.add_argument("--skip", metavar="IDS", help="comma-separated transform ids not to run")


def fix_paths(paths: list[str], transforms: list[Any], write: bool,
              progress: bool = False) -> list[FileResult]:
    targets = files.discover(paths)
    contexts: dict[Path, RepoContext] = {}
    results: list[FileResult] = []
    for n, t in enumerate(targets, 1):
        if progress and n % 100 == 0:
            print(f"fixbot: {n}/{len(targets)} files", file=sys.stderr)
        try:
            text = files.read_workflow(t)
        except InputError as e:
            results.append(FileResult(path=t.display, status="error", error=str(e)))
            continue
        ctx = contexts.get(t.root)
        if ctx is None:
            ctx = contexts[t.root] = RepoContext(files.repo_reader(t.root))
        r = engine.process(t.display, text, transforms, ctx)
        if write and r.status == "changed" and r.updated is not None:
            files.write_atomic(t.file, r.updated.encode("utf-8"))
        results.append(r)
    return results


def run(args: argparse.Namespace) -> int:
    from transforms import select

    transforms = select(args.only, args.skip)
    if args.format == "sarif":
        from fixbot.errors import UsageError
        raise UsageError("--format sarif is not available yet")
    write = not (args.check or args.diff)
    results = fix_paths(args.paths, transforms, write,
                        progress=sys.stderr.isatty() and args.format == "text")
    if args.format == "json":
        sys.stdout.write(report.fix_json(results) + "\n")
    else:
        if args.diff:
            for r in results:
                sys.stdout.write(report.unified_diff(r))
        verb = "changed" if write else "would change"
        out = sys.stderr if args.diff else sys.stdout
        out.write(report.fix_text(results, verb))
    if any(r.status == "error" for r in results):
        return EXIT_FAILED
    if not write and any(r.status == "changed" for r in results):
        return EXIT_PENDING
    return EXIT_OK
