"""Command-line entry point: argument parsing, logging set-up and exit codes only.

Each command lives in ``fixbot/commands/<name>.py`` and exposes ``register(subparsers)``, which
adds its sub-parser and sets ``func`` to a callable ``(args) -> int``. The exit codes live in
:mod:`fixbot.exitcodes` (commands import them from there, not from here).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn

from fixbot import __version__
from fixbot.errors import FixbotError, UsageError
from fixbot.exitcodes import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_PENDING, EXIT_USAGE
from fixbot.redact import strip_userinfo

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_PENDING", "EXIT_USAGE",
           "build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse exits 2 itself; keep its wording
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"fixbot: error: {message}\n")


def _add_verbosity(p: argparse.ArgumentParser, default: object) -> None:
    p.add_argument("-v", "--verbose", action="count", default=default,
                   help="say what fixbot is doing on stderr (-vv: more detail)")
    p.add_argument("-q", "--quiet", action="count", default=default,
                   help="only errors on stderr")


def build_parser() -> argparse.ArgumentParser:
    from fixbot.commands import COMMANDS

    parser = _Parser(prog="fixbot", description=(
        "Format-preserving fixes for GitHub Actions workflows, delivered as pull requests."))
    parser.add_argument("--version", action="version", version=f"fixbot {__version__}")
    _add_verbosity(parser, 0)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for module in COMMANDS:
        module.register(sub)
    for command in {id(p): p for p in sub.choices.values()}.values():
        # accepted after the command too; SUPPRESS keeps a value given before the command
        _add_verbosity(command, argparse.SUPPRESS)
    return parser


class _Redact(logging.Filter):
    """No URL userinfo reaches a log line, whatever a message or its arguments hold."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = strip_userinfo(record.getMessage())
        record.args = None
        return True


def setup_logging(verbose: int, quiet: int) -> logging.Handler:
    """fixbot's log records to stderr: warnings by default (progress too when stderr is a
    terminal), ``-v`` progress, ``-vv`` detail, ``-q`` errors only. Libraries stay silent.
    Returns the handler, which :func:`main` removes when the command ends."""
    level = logging.INFO if sys.stderr.isatty() else logging.WARNING
    if verbose:
        level = logging.INFO if verbose == 1 else logging.DEBUG
    if quiet:
        level = logging.ERROR
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("fixbot: %(message)s"))
    handler.addFilter(_Redact())
    logger = logging.getLogger("fixbot")
    logger.addHandler(handler)
    logger.setLevel(level)
    return handler


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = setup_logging(args.verbose, args.quiet)
    try:
        return _run(args)
    finally:
        logging.getLogger("fixbot").removeHandler(handler)
        logging.getLogger("fixbot").setLevel(logging.NOTSET)


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.func(args))
    except UsageError as e:
        print(f"fixbot: error: {strip_userinfo(str(e))}", file=sys.stderr)
        return EXIT_USAGE
    except FixbotError as e:
        print(f"fixbot: {strip_userinfo(str(e))}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("fixbot: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `fixbot demo | head`: the reader left; say nothing more
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
