"""Benchmark: ``fixbot fix --check`` over the whole corpus vs ``zizmor --offline`` on the same files.

Usage: python -m bench.run [--repeat N] [--profile]

Both tools run as whole processes on the corpus laid out as repositories in a temporary directory
(files zizmor cannot load are set aside for both). Prints the median wall time of each and the
ratio fixbot / zizmor (below 1.0 means fixbot is faster).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.corpus import corpus_dir, lay_out
from bench.zizmor import findings, zizmor_exe


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--profile", action="store_true", help="also print a cProfile of one fixbot run")
    args = ap.parse_args(argv)
    root = corpus_dir()
    if root is None:
        print("bench: corpus absent (set FIXBOT_CORPUS); nothing measured", file=sys.stderr)
        return 2
    exe = zizmor_exe()
    if exe is None:
        print("bench: zizmor not installed (pip install zizmor)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp)
        repos = [str(p) for p in lay_out(root, tree)]
        _, skipped = findings(tree)
        for p in skipped:
            p.unlink()
        n = sum(1 for _ in tree.glob("*/.github/workflows/*"))
        fixbot = [sys.executable, "-m", "fixbot", "fix", "--check", *repos]
        zizmor = [exe, "--offline", "--no-exit-codes", "--collect=workflows", "--format", "json",
                  str(tree)]
        timed(fixbot), timed(zizmor)  # warm caches
        ours = [timed(fixbot) for _ in range(args.repeat)]
        theirs = [timed(zizmor) for _ in range(args.repeat)]
        a, b = statistics.median(ours), statistics.median(theirs)
        print(f"corpus: {n} workflow files in {len(repos)} repositories "
              f"({len(skipped)} set aside: zizmor cannot load them)")
        print(f"fixbot fix --check (all transforms): median {a:.3f} s of {args.repeat}")
        print(f"zizmor --offline:                    median {b:.3f} s of {args.repeat}")
        print(f"ratio fixbot/zizmor: {a / b:.2f}")
        if args.profile:
            import contextlib
            import cProfile
            import io
            import pstats

            from fixbot.cli import main as fixbot_main

            prof = cProfile.Profile()
            with contextlib.redirect_stdout(io.StringIO()):
                prof.runcall(fixbot_main, ["fix", "--check", "--format", "json", *repos])
            pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
