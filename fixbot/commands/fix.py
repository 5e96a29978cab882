"""``fixbot fix``: apply transforms to workflow files in place (or check / diff them).

Ctrl-C stops at once and leaves every file either as it was or completely fixed: the forked
workers ignore SIGINT and are killed by this process (they only compute; this process alone
writes), and a Ctrl-C while files are being written takes effect between two files. The one
line the CLI prints says what was done.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pickle
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fixbot import engine, file_edits, files, report
from fixbot.action_source import Metadata, from_options
from fixbot.errors import InputError, UsageError
from fixbot.exitcodes import EXIT_FAILED, EXIT_OK, EXIT_PENDING
from fixbot.types import FileResult
from fixbot.workflow import RepoContext, set_forge


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


def add_github_url(p: argparse.ArgumentParser) -> None:
    """``--github-url`` of the commands that talk to a forge (run, sweep, status)."""
    p.add_argument("--github-url", metavar="URL",
                   help="REST API URL (default: $GITHUB_API_URL, else https://api.github.com)")


def add_action_cache(p: argparse.ArgumentParser) -> None:
    p.add_argument("--action-cache", metavar="DIR",
                   help="read-only action metadata laid out like ../shared/actions "
                        "(default: $FIXBOT_ACTION_CACHE)")


def add_selection(p: argparse.ArgumentParser) -> None:
    p.add_argument("--only", metavar="IDS", help="comma-separated transform ids to run")
    p.add_argument("--skip", metavar="IDS", help="comma-separated transform ids not to run")


PARALLEL_THRESHOLD = 200  # files; below it forking workers costs more than it saves


def fix_paths(paths: list[str], transforms: list[Any], write: bool,
              progress: bool = False, actions: Metadata | None = None) -> list[FileResult]:
    """Process every workflow under ``paths``; write changed files when ``write``.

    Large runs are spread over forked worker processes (``FIXBOT_JOBS`` sets how many; 1 =
    serial; :func:`_in_pool`). Results come back in input order; only this process writes
    files. ``actions`` (where the metadata of remote actions comes from) reaches each worker
    as it is at the fork: each worker then memoises its own answers, and a disk cache behind it
    is shared.
    """
    actions = actions or Metadata()
    targets = files.discover(paths)
    ids = tuple(t.ID for t in transforms)
    jobs = int(os.environ.get("FIXBOT_JOBS", "0")) or min(os.cpu_count() or 1, 8)
    results: list[FileResult] = []  # filled as the files are done: Ctrl-C can say how far
    try:
        if jobs > 1 and len(targets) >= PARALLEL_THRESHOLD and _can_fork():
            _in_pool(targets, ids, actions, jobs, results, progress)
        else:
            _process_chunk(targets, ids, actions, results)
    except KeyboardInterrupt:
        raise KeyboardInterrupt(f"{len(results)} of {len(targets)} workflow file(s) checked; "
                                "no file written") from None
    if write:
        return write_fixed(targets, results)
    extras = file_edits.plan(results, [t.root for t in targets])  # what writing would refuse
    return file_edits.hold_back(extras, results) + file_edits.errors(extras)


def _can_fork() -> bool:
    return hasattr(os, "fork")


def _in_pool(targets: list[files.Target], ids: tuple[str, ...], actions: Metadata, jobs: int,
             results: list[FileResult], progress: bool) -> None:
    """Spread the files over ``jobs`` forked workers, appending the results to ``results`` in
    input order as they come back.

    Not a ``concurrent.futures`` or ``multiprocessing`` pool: those pass results through a
    pipe, and a worker ended by Ctrl-C half-way through writing one leaves the pool's thread
    waiting for the rest of it for good (and Python's exit, which joins that thread, with it).
    Here chunk ``i`` goes to worker ``i % jobs`` (chunks are many and alike), each result is a
    file renamed into place when complete, and the workers ignore SIGINT: this process kills
    and reaps them, so nothing can wait for a dead worker."""
    size = max(16, len(targets) // (jobs * 8))
    chunks = [targets[i:i + size] for i in range(0, len(targets), size)]
    tmp = Path(tempfile.mkdtemp(prefix="fixbot-jobs-"))
    workers: list[int] = []
    reaped: set[int] = set()  # never signalled again: the id may belong to another process now
    try:
        for w in range(min(jobs, len(chunks))):
            workers.append(_fork_worker(chunks, range(w, len(chunks), jobs), ids, actions, tmp))
        for i in range(len(chunks)):
            results.extend(_chunk_result(tmp, i, workers, reaped))
            if progress:
                print(f"fixbot: {len(results)}/{len(targets)} files", file=sys.stderr)
    finally:
        alive = [pid for pid in workers if pid not in reaped]
        for pid in alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for pid in alive:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        shutil.rmtree(tmp, ignore_errors=True)


def _fork_worker(chunks: list[list[files.Target]], mine: range, ids: tuple[str, ...],
                 actions: Metadata, tmp: Path) -> int:
    """Fork a worker for the chunks ``mine``; SIGINT is blocked across the fork, so the worker
    ignores it from its first instruction and this process sees a Ctrl-C after the fork."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        pid = os.fork()
        if pid == 0:  # the worker: never returns
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
            code = 1
            try:
                for i in mine:
                    data = pickle.dumps(_process_chunk(chunks[i], ids, actions))
                    (tmp / f"{i}.part").write_bytes(data)
                    os.replace(tmp / f"{i}.part", tmp / f"{i}.pickle")
                code = 0
            except BaseException:
                with contextlib.suppress(BaseException):
                    (tmp / f"error-{os.getpid()}.txt").write_text(traceback.format_exc())
            finally:
                os._exit(code)
        return pid
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _chunk_result(tmp: Path, i: int, workers: list[int], reaped: set[int]) -> list[FileResult]:
    """Chunk ``i``'s results, once its worker has written them; a worker that failed (a bug:
    the engine turns a file's problems into results) is reported with its traceback."""
    path = tmp / f"{i}.pickle"
    worker = workers[i % len(workers)]
    while not path.exists():
        pid, status = (0, 0) if worker in reaped else os.waitpid(worker, os.WNOHANG)
        if pid:
            reaped.add(pid)
        if worker in reaped and not path.exists():
            errors = "".join(e.read_text() for e in tmp.glob("error-*.txt"))
            raise RuntimeError(f"a fixbot worker failed (status {status}):\n{errors}")
        time.sleep(0.005)
    with path.open("rb") as f:
        done: list[FileResult] = pickle.load(f)
    return done


def write_fixed(targets: list[files.Target], results: list[FileResult]) -> list[FileResult]:
    """Write each changed file (never through a link); a file that cannot be written becomes an
    error result and keeps its bytes, the others are still written.

    A Ctrl-C meanwhile takes effect between two files (each is written whole or not at all):
    ``KeyboardInterrupt`` then says how many were written.

    The other files the changes carry (:mod:`fixbot.file_edits`) are written after the
    workflows, the same way; one that cannot be written is an error result of its own (after
    the workflows' results) and the workflows carrying it keep their bytes."""
    extras = file_edits.plan(results, [t.root for t in targets])
    results = file_edits.hold_back(extras, results)
    out: list[FileResult] = []
    pending = sum(r.status == "changed" and r.updated is not None for r in results)
    written = 0
    with _sigint_between_files() as asked:
        for t, r in zip(targets, results, strict=True):
            if asked.is_set():
                break
            if r.status == "changed" and r.updated is not None:
                try:
                    expect = r.original.encode("utf-8") if r.original is not None else None
                    files.write_atomic(t.file, r.updated.encode("utf-8"), t.root, expect)
                    written += 1
                except InputError as e:
                    r = FileResult(path=r.path, status="error", original=r.original, error=str(e))
            out.append(r)
    if asked.is_set():
        raise KeyboardInterrupt(f"{written} of {pending} changed workflow file(s) written; the "
                                "others keep their bytes")
    out = file_edits.write(extras, targets, out)
    return out + file_edits.errors(extras)


@contextlib.contextmanager
def _sigint_between_files() -> Iterator[threading.Event]:
    """While the block runs, SIGINT only sets the event it yields (the block checks it between
    two files); Python's own handler is back afterwards. Outside the main thread, or when
    another handler is installed, SIGINT is left as it is (the event then stays unset)."""
    asked = threading.Event()
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield asked
        return
    signal.signal(signal.SIGINT, lambda _sig, _frame: asked.set())
    try:
        yield asked
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _workflows_of(root: Path) -> tuple[str, ...]:
    """The workflow files of the repository at ``root`` (paths from the root), sorted."""
    return tuple(sorted(t.repo_path for t in files.discover([str(root)]) if t.root == root))


def _process_chunk(targets: list[files.Target], ids: tuple[str, ...],
                   actions: Metadata | None = None,
                   out: list[FileResult] | None = None) -> list[FileResult]:
    """The results of ``targets``, appended to ``out`` (when given) one by one."""
    from fixbot.transforms import REGISTRY

    actions = actions or Metadata()
    transforms = [REGISTRY[i] for i in ids]
    contexts: dict[Path, RepoContext] = {}  # one per repository root: caches parsed callees
    out = [] if out is None else out
    for t in targets:
        ctx = contexts.get(t.root)
        if ctx is None:
            ctx = contexts[t.root] = RepoContext(files.repo_reader(t.root), actions=actions,
                                                 workflows=_workflows_of(t.root))
        out.append(engine.process_target(t, transforms, ctx))
    return out


def run(args: argparse.Namespace) -> int:
    from fixbot.transforms import select

    if args.diff and args.format != "text":
        raise UsageError(f"--diff prints a unified diff, which --format {args.format} cannot "
                         "carry: use --diff alone, or --check with --format "
                         f"{args.format}")
    transforms = select(args.only, args.skip)
    # `$/…` only where the forge is named and is github.com: local files may be a GHES's
    forge_url = args.github_url or os.environ.get("GITHUB_API_URL")
    if forge_url:
        set_forge(forge_url)
    if args.online or args.github_url:  # the forge client (PyGithub) only when it is used
        from fixbot.action_fetch import for_fix

        actions = for_fix(args.action_cache, args.online, args.github_url)
    else:
        actions = from_options(args.action_cache, os.environ.get)
    write = not (args.check or args.diff)
    quiet = bool(getattr(args, "quiet", 0))
    for arg in [] if quiet else args.paths:
        if Path(arg).is_dir() and not (Path(arg) / files.WORKFLOW_DIR).is_dir():
            print(f"fixbot: {arg}: no {files.WORKFLOW_DIR}/ directory, nothing to fix there",
                  file=sys.stderr)
    results = fix_paths(args.paths, transforms, write,
                        progress=sys.stderr.isatty() and args.format == "text", actions=actions)
    try:
        _report(args, results, write, quiet)
    except KeyboardInterrupt:
        done = (f"{sum(r.status == 'changed' for r in results)} changed workflow file(s) "
                "written" if write else f"{len(results)} workflow file(s) checked")
        raise KeyboardInterrupt(f"{done}; the report was cut short") from None
    if any(r.status == "error" for r in results):
        return EXIT_FAILED
    if not write and any(r.status == "changed" for r in results):
        return EXIT_PENDING
    return EXIT_OK


def _report(args: argparse.Namespace, results: list[FileResult], write: bool,
            quiet: bool) -> None:
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
            for r, new in file_edits.diff_results(results):
                sys.stdout.write(report.unified_diff(r, new))
        verb = "changed" if write else "would change"
        if quiet:  # the errors alone, on stderr
            errors = [r for r in results if r.status == "error"]
            sys.stderr.write("".join(ln + "\n" for ln in
                                     report.fix_text(errors, verb).splitlines()[:-1]))
        else:
            out = sys.stderr if args.diff else sys.stdout
            out.write(report.fix_text(results, verb))
