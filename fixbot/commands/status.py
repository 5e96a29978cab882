"""``fixbot status ORG``: fixbot's open pull requests across an organisation (see
:mod:`fixbot.status`)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from fixbot.commands.fix import add_github_url
from fixbot.exitcodes import EXIT_FAILED, EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser("status", help="fixbot's open pull requests across an organisation")
    p.add_argument("org", metavar="ORG", help="the organisation (or user)")
    add_github_url(p)
    p.add_argument("--dashboard", metavar="OWNER/REPO",
                   help="also write the table to fixbot's dashboard issue in OWNER/REPO")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fixbot import forge as forge_mod
    from fixbot.status import collect, dashboard, table

    if args.dashboard is not None:
        forge_mod.split_full_name(args.dashboard)
    forge = forge_mod.Forge(forge_mod.api_url(args.github_url), forge_mod.from_env())
    rows = collect(forge, args.org)
    if args.dashboard is not None:
        number = dashboard.update(forge, args.dashboard, rows)
        print(f"fixbot: dashboard: {args.dashboard}#{number}", file=sys.stderr)
    if args.format == "json":
        need = sum(r.attention for r in rows)
        out = {"version": 1, "prs": [r.as_json() for r in table.ordered(rows)],
               "summary": {"open": len(rows), "need_attention": need,
                           "errors": sum(1 for r in rows if r.error)}}
        sys.stdout.write(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(table.text(rows))
    return EXIT_FAILED if any(r.error for r in rows) else EXIT_OK
