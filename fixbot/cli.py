"""Command-line entry point: argument parsing and exit codes only.

Each command lives in ``fixbot/commands/<name>.py`` and exposes ``register(subparsers)``, which
adds its sub-parser and sets ``func`` to a callable ``(args) -> int``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from fixbot import __version__
from fixbot.errors import FixbotError, UsageError

EXIT_OK = 0
EXIT_PENDING = 1
EXIT_USAGE = 2
EXIT_FAILED = 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse exits 2 itself; keep its wording
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"fixbot: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from fixbot.commands import COMMANDS

    parser = _Parser(prog="fixbot", description=(
        "Format-preserving fixes for GitHub Actions workflows, delivered as pull requests."))
    parser.add_argument("--version", action="version", version=f"fixbot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except UsageError as e:
        print(f"fixbot: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except FixbotError as e:
        print(f"fixbot: {e}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("fixbot: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `fixbot demo | head`: the reader left; say nothing more
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
