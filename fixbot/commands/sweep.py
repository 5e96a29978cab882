"""``fixbot sweep ORG``: fix every repository of an organisation (see :mod:`fixbot.sweep`)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from fixbot.commands.fix import add_github_url
from fixbot.errors import UsageError
from fixbot.exitcodes import EXIT_FAILED, EXIT_OK
from fixbot.workflow import set_forge

_SHARD = re.compile(r"^(\d+)/(\d+)$")
_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")


def register(sub: Any) -> None:
    p = sub.add_parser("sweep", help="fix every repository of an organisation (or user)")
    p.add_argument("org", metavar="ORG", help="the organisation (or user) whose repositories "
                   "to sweep")
    add_github_url(p)
    p.add_argument("--shard", metavar="I/N", help="sweep only the I-th of N shares (1 ≤ I ≤ N), "
                   "split by a stable hash of each repository's name")
    p.add_argument("--concurrency", type=int, default=4, metavar="N",
                   help="repositories processed at once (default 4)")
    p.add_argument("--max-new-prs", type=int, metavar="N",
                   help="open at most N new pull requests in this sweep (updates go on)")
    p.add_argument("--config", type=Path, metavar="FILE",
                   help="the org-level default of .github/fixbot.yml (may set max-open-prs)")
    p.add_argument("--dashboard", metavar="OWNER/REPO",
                   help="keep one issue there listing fixbot's open pull requests")
    p.add_argument("--dry-run", action="store_true",
                   help="compute and read pull request state; push and open nothing")
    p.add_argument("--report", type=Path, metavar="FILE",
                   help="write a Markdown report (a table per status) to FILE")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(func=run)


def parse_shard(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    m = _SHARD.match(value)
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise UsageError(f"--shard: expected I/N with 1 ≤ I ≤ N, got {value!r}")
    return int(m.group(1)), int(m.group(2))


def run(args: argparse.Namespace) -> int:
    from fixbot import config
    from fixbot import forge as forge_mod
    from fixbot.sweep import Options, sweep
    from fixbot.sweep import report as sweep_report
    from fixbot.transforms import select

    shard = parse_shard(args.shard)
    if not _OWNER.match(args.org):
        raise UsageError(f"ORG: {args.org!r} is not an organisation or user name")
    if args.concurrency < 1:
        raise UsageError(f"--concurrency: expected N ≥ 1, got {args.concurrency}")
    if args.max_new_prs is not None and args.max_new_prs < 0:
        raise UsageError(f"--max-new-prs: expected N ≥ 0, got {args.max_new_prs}")
    if args.dashboard is not None:
        forge_mod.split_full_name(args.dashboard)
    org_config = config.Config()
    if args.config is not None:
        try:
            text = args.config.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise UsageError(f"--config: cannot read {args.config}: {e}") from None
        try:
            org_config = config.parse(text, str(args.config), org=True)
        except config.ConfigError as e:
            raise UsageError(f"--config: {e}") from None
    forge = forge_mod.Forge(forge_mod.api_url(args.github_url), forge_mod.from_env())
    set_forge(forge.api_url)
    opts = Options(select(None, None), org_config, shard, args.concurrency, args.max_new_prs,
                   args.dry_run)
    from fixbot.forge.org import list_repos

    repos = list_repos(forge, args.org)
    quiet = bool(getattr(args, "quiet", 0))
    progress = None if quiet else sweep_report.Progress(
        sum(1 for r in repos if _in(r.full_name, shard)))
    outcomes = sweep(forge, args.org, opts, progress, repos=repos)
    if args.dashboard is not None and not args.dry_run:
        from fixbot.status import collect
        from fixbot.status.dashboard import update as update_dashboard

        number = update_dashboard(forge, args.dashboard, collect(forge, args.org))
        if not quiet:
            print(f"fixbot: dashboard: {args.dashboard}#{number}", file=sys.stderr)
    if args.report is not None:
        args.report.write_text(sweep_report.markdown(args.org, outcomes, shard, args.dry_run),
                               encoding="utf-8")
    if args.format == "json":
        sys.stdout.write(json.dumps(sweep_report.as_json(outcomes), indent=2,
                                    ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(sweep_report.text(outcomes))
    failed = any(x.status == "error" for o in outcomes for x in sweep_report.lanes(o))
    return EXIT_FAILED if failed else EXIT_OK


def _in(full: str, shard: tuple[int, int] | None) -> bool:
    from fixbot.sweep import in_shard

    return in_shard(full, shard)
