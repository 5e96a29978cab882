"""Command-line entry point: argument parsing, logging set-up and exit codes only.

Each command lives in ``fixbot/commands/<name>.py`` and exposes ``register(subparsers)``, which
adds its sub-parser and sets ``func`` to a callable ``(args) -> int``. The exit codes live in
:mod:`fixbot.exitcodes` (commands import them from there, not from here).

Start-up: only the module of the command being run is imported (:data:`fixbot.commands.COMMANDS`
names them), so ``fixbot list`` and ``fixbot fix`` never load PyGithub, GitPython or the sandbox
forge; ``fixbot --help`` imports every command to list them.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Sequence
from typing import NoReturn

from fixbot import __version__
from fixbot.errors import FixbotError, UsageError
from fixbot.exitcodes import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_PENDING, EXIT_USAGE
from fixbot.redact import strip_userinfo

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_PENDING", "EXIT_USAGE",
           "build_parser", "main"]

EXIT_CODES_HELP = f"""exit codes:
  {EXIT_OK:<4} success: nothing to change, or changes applied / pull requests handled
  {EXIT_PENDING:<4} changes pending under --check / --diff
  {EXIT_USAGE:<4} usage error
  {EXIT_FAILED:<4} one or more files or repositories failed (the others were still processed)
  {EXIT_INTERRUPTED:<4} interrupted (Ctrl-C); one line on stderr says what was done so far"""

FORGE_HELP = """forge and credentials:
  forge URL  --github-url, else $GITHUB_API_URL, else https://api.github.com
             (GitHub Enterprise Server: https://HOST/api/v3)
  token      $FIXBOT_TOKEN; else a GitHub App: $FIXBOT_APP_ID with $FIXBOT_APP_PRIVATE_KEY
             or $FIXBOT_APP_PRIVATE_KEY_FILE; else $GITHUB_TOKEN"""

_FORGE_COMMANDS = ("fix", "run")  # the commands whose --help also names the forge variables


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse exits 2 itself; keep its wording
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"fixbot: error: {message}\n")


def _add_verbosity(p: argparse.ArgumentParser, default: object) -> None:
    p.add_argument("-v", "--verbose", action="count", default=default,
                   help="say what fixbot is doing on stderr (-vv: more detail)")
    p.add_argument("-q", "--quiet", action="count", default=default,
                   help="only errors on stderr, and only the results on stdout (fix: no listing; "
                        "run: the status line)")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or only of ``command`` when it names one (what ``main``
    does: the other commands' modules are then not imported)."""
    from fixbot.commands import load

    parser = _Parser(prog="fixbot", description=(
        "Format-preserving fixes for GitHub Actions workflows, delivered as pull requests."),
        epilog=f"{FORGE_HELP}\n\n{EXIT_CODES_HELP}",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"fixbot {__version__}")
    _add_verbosity(parser, 0)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for module in load(command):
        module.register(sub)
    for name, cmd in {id(p): (n, p) for n, p in sub.choices.items()}.values():
        # accepted after the command too; SUPPRESS keeps a value given before the command
        _add_verbosity(cmd, argparse.SUPPRESS)
        cmd.formatter_class = argparse.RawDescriptionHelpFormatter
        cmd.epilog = (f"{FORGE_HELP}\n\n" if name in _FORGE_COMMANDS else "") + EXIT_CODES_HELP
    return parser


def _command_in(argv: Sequence[str]) -> str | None:
    """The command named on the command line (the first word that is not an option: the
    options before it take no value), or None."""
    return next((a for a in argv if not a.startswith("-")), None)


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
    """Run one command; ``argv=None`` (the ``fixbot`` program) reads ``sys.argv``, and then a
    Ctrl-C after the command is over (while Python shuts down) is ignored: the exit code and
    the one line already said what happened."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    handler: logging.Handler | None = None
    try:
        parser = build_parser(_command_in(args_list))
        args = parser.parse_args(args_list)
        handler = setup_logging(args.verbose, args.quiet)
        return _run(args)
    except KeyboardInterrupt as e:  # Ctrl-C anywhere, even while the parser's imports load
        return _interrupted(e)
    finally:
        if handler is not None:
            logging.getLogger("fixbot").removeHandler(handler)
            logging.getLogger("fixbot").setLevel(logging.NOTSET)
        if argv is None:
            signal.signal(signal.SIGINT, signal.SIG_IGN)


def _interrupted(e: KeyboardInterrupt) -> int:
    """One line, never a traceback: ``fixbot: interrupted``, then what was done so far when
    the command said (it raises ``KeyboardInterrupt("3 of 40 files written")``)."""
    done = strip_userinfo(str(e)) if e.args else ""
    print(f"fixbot: interrupted{': ' + done if done else ''}", file=sys.stderr, flush=True)
    return EXIT_INTERRUPTED


def _run(args: argparse.Namespace) -> int:
    try:
        _check_selection(args)
        return int(args.func(args))
    except UsageError as e:
        print(f"fixbot: error: {strip_userinfo(str(e))}", file=sys.stderr)
        return EXIT_USAGE
    except FixbotError as e:
        print(f"fixbot: {strip_userinfo(str(e))}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:  # e.g. `fixbot demo | head`: the reader left; say nothing more
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


def _check_selection(args: argparse.Namespace) -> None:
    """``--only X --skip X`` contradicts itself: a usage error, not a silent empty run."""
    only, skip = getattr(args, "only", None), getattr(args, "skip", None)
    if only is None or skip is None:
        return

    def ids(value: str) -> set[str]:
        return {i.strip() for i in value.split(",") if i.strip()}

    both = sorted(ids(only) & ids(skip))
    if both:
        raise UsageError(f"--only and --skip both name {', '.join(both)}: give each transform "
                         "to one of them")
