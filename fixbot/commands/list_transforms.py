"""``fixbot list``: transform ids with one-line summaries."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("list", help="list transform ids with one-line summaries")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fixbot.transforms import PLANNED, REGISTRY

    width = max(len(i) for i in list(REGISTRY) + list(PLANNED))
    for tid, module in REGISTRY.items():
        print(f"{tid:<{width}}  {module.SUMMARY}")
    for tid, summary in PLANNED.items():
        if tid not in REGISTRY:
            print(f"{tid:<{width}}  (not available yet) {summary}")
    return 0
