"""Benchmark: ``fixbot sweep`` over 1,000 sandbox repositories, with the GraphQL pre-screen and
without it (the named peer: the same sweep on a forge without GraphQL, which clones every
repository), each on a fresh identical world.

Usage: python -m bench.sweep [--repos N] [--changed FRACTION] [--write-doc]

Prints wall time, requests per clean and per changed repository (from the sandbox's access log;
requests that serve many repositories at once, the listing and the GraphQL batches, are charged
to the clean ones), bytes cloned, and the ratios of the two runs. Goal: a clean repository costs
at most one request (amortised) and no clone.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

from bench.corpus import update_doc_section

ORG = "bench"
CLEAN = ("name: ci\non: push\npermissions:\n  contents: read\njobs:\n  test:\n"
         "    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
         "        with:\n          persist-credentials: false\n      - run: echo {n}\n")
NEEDS = CLEAN.replace("permissions:\n  contents: read\n", "")
TOKEN = "ghp_benchbenchbenchbenchbenchbench0000"
DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
HEADING = "## Sweep: 1,000 repositories"


def seed(sb: object, n: int, changed: float) -> set[str]:
    every = max(1, round(1 / changed)) if changed else n + 1
    needing = set()
    for i in range(n):
        needs = i % every == 0
        name = f"repo-{i:04d}"
        sb.create_repo(ORG, name, {".github/workflows/ci.yml":  # type: ignore[attr-defined]
                                   (NEEDS if needs else CLEAN).format(n=i)})
        if needs:
            needing.add(f"{ORG}/{name}")
    return needing


def owner_of(path: str) -> str | None:
    """``bench/repo-0001`` for a request about one repository, else None (shared)."""
    parts = path.split("/")
    if path.startswith("/api/v3/repos/") and len(parts) > 5:
        return f"{parts[4]}/{parts[5]}"
    if not path.startswith("/api/") and len(parts) > 2 and parts[1] == ORG:
        return f"{parts[1]}/{parts[2].removesuffix('.git')}"
    return None


def one(n: int, changed: float, graphql: bool) -> dict[str, float]:
    from fixbot.cli import main
    from fixbot.sandbox import Sandbox
    from fixbot.sandbox.graphql_api import fetch_schema

    schema = fetch_schema() if graphql else None
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp, \
            Sandbox(Path(tmp) / "forge", graphql_schema=schema) as sb:
        sb.add_token("fixbot-bot", TOKEN)
        t0 = time.perf_counter()
        needing = seed(sb, n, changed)
        built = time.perf_counter() - t0
        os.environ.update({"FIXBOT_TOKEN": TOKEN, "GITHUB_API_URL": sb.api_url})
        buf = StringIO()
        t0 = time.perf_counter()
        with redirect_stdout(buf):
            code = main(["sweep", ORG, "--format", "json", "-q", "--concurrency", "4"])
        wall = time.perf_counter() - t0
        out = json.loads(buf.getvalue())
        opened = {r["repo"] for r in out["repos"] if r["status"] == "pr-opened"}
        assert code == 0 and opened == needing, (code, len(opened), len(needing))
        per: Counter[str] = Counter()
        shared = 0
        cloned = 0
        clones: set[str] = set()
        for e in sb.access_log:
            who = owner_of(e.path)
            if who is None:
                shared += 1
            else:
                per[who] += 1
            if e.path.endswith("/git-upload-pack"):
                cloned += e.bytes_out
                if who:
                    clones.add(who)
        clean = n - len(needing)
        return {"build_s": built, "wall_s": wall, "requests": len(sb.access_log),
                "per_clean": (shared + sum(per[r] for r in per if r not in needing)) / clean,
                "per_changed": sum(per[r] for r in needing) / max(1, len(needing)),
                "clean_cloned": len(clones - needing), "bytes_cloned": cloned,
                "repos": n, "changed": len(needing)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repos", type=int, default=1000)
    ap.add_argument("--changed", type=float, default=0.1, help="fraction needing a change")
    ap.add_argument("--write-doc", action="store_true", help="record the numbers in "
                    "docs/performance.md")
    args = ap.parse_args(argv)
    from fixbot.sandbox.graphql_api import Unavailable, fetch_schema

    try:
        fetch_schema()
    except Unavailable as e:
        print(f"bench: {e}; nothing measured", file=sys.stderr)
        return 2
    runs = {"pre-screen (GraphQL)": one(args.repos, args.changed, True),
            "no pre-screen (REST only)": one(args.repos, args.changed, False)}
    lines = [HEADING, "",
             f"`python -m bench.sweep` — {args.repos:,} sandbox repositories, "
             f"{runs['pre-screen (GraphQL)']['changed']:.0f} needing a change, concurrency 4, "
             "one run each on a fresh world (2-core machine).", "",
             "| | wall time | requests | per clean repository | per changed repository "
             "| clean repositories cloned | bytes cloned |", "|---|---:|---:|---:|---:|---:|---:|"]
    for name, r in runs.items():
        lines.append(f"| {name} | {r['wall_s']:.1f} s | {r['requests']:,.0f} | "
                     f"{r['per_clean']:.2f} | {r['per_changed']:.1f} | {r['clean_cloned']:.0f} | "
                     f"{r['bytes_cloned']:,.0f} |")
    g, p = runs["pre-screen (GraphQL)"], runs["no pre-screen (REST only)"]
    lines += ["", f"Ratios, pre-screen / peer: wall time {g['wall_s'] / p['wall_s']:.2f}, "
              f"requests {g['requests'] / p['requests']:.3f}, bytes cloned "
              f"{g['bytes_cloned'] / max(1, p['bytes_cloned']):.3f}. Goal (a clean repository "
              f"costs at most one request, amortised, and no clone): "
              f"{'met' if g['per_clean'] <= 1 and g['clean_cloned'] == 0 else 'NOT met'}.", ""]
    text = "\n".join(lines)
    print(text)
    if args.write_doc:
        update_doc_section(DOC, HEADING, text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
