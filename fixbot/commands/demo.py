"""``fixbot demo``: a sandbox forge on a free port, a few example repositories, a sweep of them.

Works offline: the forge is the loopback sandbox in a temporary directory, seeded from the
example workflows packaged under ``fixbot/examples/<name>/``. Prints the pull requests opened
and one full body, then reruns once to show that nothing is duplicated. ``--keep`` then leaves
the sandbox running until Ctrl-C, with its read-only HTML view of the pull requests (what a
maintainer would see on GitHub), and prints how to look at them.
"""

from __future__ import annotations

import argparse
import sys
import threading
from importlib import resources
from importlib.resources.abc import Traversable
from typing import IO, TYPE_CHECKING, Any

from fixbot.exitcodes import EXIT_FAILED, EXIT_OK

if TYPE_CHECKING:
    from fixbot.commands.run import Outcome
    from fixbot.sandbox import Sandbox

OWNER = "demo-org"


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="open pull requests on a local sandbox forge (offline)")
    p.add_argument("--keep", action="store_true",
                   help="leave the sandbox running afterwards (until Ctrl-C), to look at its "
                        "pull requests in a browser")
    p.set_defaults(func=run)


def example_files() -> dict[str, dict[str, str]]:
    """{repository name: {path: text}} for every packaged example."""
    root = resources.files("fixbot") / "examples"
    repos: dict[str, dict[str, str]] = {}
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.is_dir() and not entry.name.startswith(("_", ".")):
            files: dict[str, str] = {}
            _collect(entry, "", files)
            if files:
                files.setdefault("README.md", f"# {entry.name}\n\nAn example for fixbot demo.\n")
                repos[entry.name] = files
    return repos


def _collect(node: Traversable, prefix: str, out: dict[str, str]) -> None:
    for child in node.iterdir():
        rel = f"{prefix}{child.name}"
        if child.is_dir():
            _collect(child, rel + "/", out)
        elif child.is_file() and child.name != "__init__.py":
            out[rel] = child.read_text(encoding="utf-8")


def run(args: argparse.Namespace) -> int:
    from fixbot.forge import Forge, TokenCredentials
    from fixbot.sandbox import Sandbox
    from fixbot.sandbox.graphql_api import cache_path
    from fixbot.sweep import Options, sweep
    from fixbot.transforms import select

    opts = Options(select(None, None))
    out = sys.stdout
    schema = cache_path() if cache_path().is_file() else None  # offline: GraphQL if cached
    with Sandbox(graphql_schema=schema) as sb:
        token = sb.add_token("fixbot-demo")
        examples = example_files()
        for name, files in examples.items():
            sb.create_repo(OWNER, name, files)
        print(f"sandbox forge at {sb.api_url} with {len(examples)} repositories "
              f"under {OWNER}/", file=out)
        forge = Forge(sb.api_url, TokenCredentials(token))
        outcomes: list[Outcome] = []
        try:
            outcomes = sweep(forge, OWNER, opts)
        except KeyboardInterrupt:
            raise KeyboardInterrupt("the demo's sweep was interrupted; the sandbox is stopped "
                                    "and its temporary directory removed") from None
        print("", file=out)
        for o in outcomes:
            pr = f"#{o.pr.number} {o.pr.url}" if o.pr else "-"
            line = f"{o.repo:<24} {o.status:<11} {pr}"
            if o.status == "pr-opened" and o.title:
                line += f"\n{'':<36}{o.title}"
            elif o.reason:
                line += f"  ({o.reason})"
            print(line, file=out)
        shown = next((o for o in outcomes if o.status == "pr-opened" and o.body), None)
        if shown is not None and shown.pr is not None:
            print(f"\n--- body of {shown.repo}#{shown.pr.number} ---\n", file=out)
            print(shown.body, file=out)
        again = [f"{o.repo} {o.status}" for o in sweep(forge, OWNER, opts)]
        print(f"rerun: {', '.join(again)}", file=out)
        if getattr(args, "keep", False):
            keep(sb, token, outcomes, out)
    failed = any(o.status == "error" for o in outcomes)
    return EXIT_FAILED if failed else EXIT_OK


def keep(sb: Sandbox, token: str, outcomes: list[Outcome], out: IO[str]) -> None:
    """Say how to look at the pull requests, then serve until Ctrl-C (which ends it quietly:
    stopping is what Ctrl-C is for here)."""
    pulls = [f"{o.pr.url}" for o in outcomes if o.pr is not None]
    example = next((o.repo for o in outcomes if o.pr is not None), f"{OWNER}/NAME")
    lines = [
        "",
        "The sandbox keeps running until you press Ctrl-C. Look at what fixbot proposed:",
        f"  in a browser   {sb.url}/  (it asks you to sign in: any user name, and the",
        f"                 token {token} as the password)",
        *(f"                 {url}" for url in pulls),
        f"  diffs          curl -u x:{token} {pulls[0] if pulls else sb.url}.diff",
        f"  REST API       curl -H 'Authorization: token {token}' "
        f"{sb.api_url}/repos/{example}/pulls",
        f"  fixbot again   FIXBOT_TOKEN={token} fixbot run {example} --github-url {sb.api_url}",
    ]
    print("\n".join(lines), file=out, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("sandbox stopped; its temporary directory is removed", file=out, flush=True)
