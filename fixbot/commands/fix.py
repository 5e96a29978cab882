"""``fixbot fix``: apply transforms to workflow files in place (or check / diff them)."""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from fixbot import engine, files, report
from fixbot.action_fetch import for_fix
from fixbot.action_source import Metadata
from fixbot.errors import InputError
from fixbot.exitcodes import EXIT_FAILED, EXIT_OK, EXIT_PENDING
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
    p.add_argument("--online", action="store_true",
                   help="read unknown actions' action.yml from the forge (cached on disk)")
    p.add_argument("--github-url", metavar="URL",
                   help="with --online: REST API URL (default: $GITHUB_API_URL, else "
                        "https://api.github.com)")
    add_action_cache(p)
    p.set_defaults(func=run)


def add_action_cache(p: argparse.ArgumentParser) -> None:
    p.add_argument("--action-cache", metavar="DIR",
                   help="read-only action metadata laid out like ../shared/actions "
                        "(default: $FIXBOT_ACTION_CACHE)")


def add_selection(p: argparse.ArgumentParser) -> None:
    p.add_argument("--only", metavar="IDS", help="comma-separated transform ids to run")
    p.add_argument("--skip", metavar="IDS", help="comma-separated transform ids not to run")


PARALLEL_THRESHOLD = 200  # files; below it a process pool costs more than it saves


def fix_paths(paths: list[str], transforms: list[Any], write: bool,
              progress: bool = False, actions: Metadata | None = None) -> list[FileResult]:
    """Process every workflow under ``paths``; write changed files when ``write``.

    Large runs are spread over a process pool (``FIXBOT_JOBS`` sets its size; 1 = serial).
    Results come back in input order; only this process writes files. ``actions`` (where the
    metadata of remote actions comes from) reaches each worker as it is at the fork: each
    worker then memoises its own answers, and a disk cache behind it is shared.
    """
    actions = actions or Metadata()
    targets = files.discover(paths)
    ids = tuple(t.ID for t in transforms)
    jobs = int(os.environ.get("FIXBOT_JOBS", "0")) or min(os.cpu_count() or 1, 8)
    if jobs > 1 and len(targets) >= PARALLEL_THRESHOLD and "fork" in mp.get_all_start_methods():
        size = max(16, len(targets) // (jobs * 8))
        chunks = [targets[i:i + size] for i in range(0, len(targets), size)]
        results: list[FileResult] = []
        with ProcessPoolExecutor(jobs, mp_context=mp.get_context("fork"),
                                 initializer=_init_worker, initargs=(actions,)) as pool:
            for done in pool.map(_process_chunk, chunks, [ids] * len(chunks)):
                results.extend(done)
                if progress:
                    print(f"fixbot: {len(results)}/{len(targets)} files", file=sys.stderr)
    else:
        results = _process_chunk(targets, ids, actions)
    return write_fixed(targets, results) if write else results


def write_fixed(targets: list[files.Target], results: list[FileResult]) -> list[FileResult]:
    """Write each changed file (never through a link); a file that cannot be written becomes an
    error result and keeps its bytes, the others are still written."""
    out: list[FileResult] = []
    for t, r in zip(targets, results, strict=True):
        if r.status == "changed" and r.updated is not None:
            try:
                expect = r.original.encode("utf-8") if r.original is not None else None
                files.write_atomic(t.file, r.updated.encode("utf-8"), t.root, expect)
            except InputError as e:
                r = FileResult(path=r.path, status="error", original=r.original, error=str(e))
        out.append(r)
    return out


_worker_actions = Metadata()  # set in each pool worker by _init_worker (inherited, not pickled)


def _init_worker(actions: Metadata) -> None:
    global _worker_actions
    _worker_actions = actions


def _process_chunk(targets: list[files.Target], ids: tuple[str, ...],
                   actions: Metadata | None = None) -> list[FileResult]:
    from fixbot.transforms import REGISTRY

    actions = actions or _worker_actions
    transforms = [REGISTRY[i] for i in ids]
    contexts: dict[Path, RepoContext] = {}  # one per repository root: caches parsed callees
    out: list[FileResult] = []
    for t in targets:
        ctx = contexts.get(t.root)
        if ctx is None:
            ctx = contexts[t.root] = RepoContext(files.repo_reader(t.root), actions=actions)
        out.append(engine.process_target(t, transforms, ctx))
    return out


def run(args: argparse.Namespace) -> int:
    from fixbot.transforms import select

    transforms = select(args.only, args.skip)
    actions = for_fix(args.action_cache, args.online, args.github_url)
    write = not (args.check or args.diff)
    for arg in args.paths:
        if Path(arg).is_dir() and not (Path(arg) / files.WORKFLOW_DIR).is_dir():
            print(f"fixbot: {arg}: no {files.WORKFLOW_DIR}/ directory, nothing to fix there",
                  file=sys.stderr)
    results = fix_paths(args.paths, transforms, write,
                        progress=sys.stderr.isatty() and args.format == "text", actions=actions)
    if args.format == "json":
        sys.stdout.write(report.fix_json(results) + "\n")
    elif args.format == "sarif":
        from fixbot import sarif
        from fixbot.transforms import REGISTRY

        info = {tid: (m.SUMMARY, m.DOCS) for tid, m in REGISTRY.items()}
        sys.stdout.write(sarif.render(results, info) + "\n")
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
