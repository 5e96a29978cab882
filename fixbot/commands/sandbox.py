"""``fixbot sandbox serve``: run the loopback GitHub-like forge in the foreground."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from fixbot.errors import UsageError

DEFAULT_LOGIN = "fixbot"


def register(sub: Any) -> None:
    p = sub.add_parser("sandbox", help="a loopback forge that behaves like GitHub Enterprise Server")
    actions = p.add_subparsers(dest="sandbox_command", metavar="ACTION")
    actions.required = True
    serve = actions.add_parser("serve", help="serve git smart HTTP and REST /api/v3 until Ctrl-C")
    serve.add_argument("--root", required=True, type=Path, metavar="DIR",
                       help="directory of bare repositories ROOT/<owner>/<name>.git (created if "
                            "absent); state in ROOT/forge.sqlite3")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, metavar="N", help="port (default: a free port)")
    serve.add_argument("--token", action="append", default=[], metavar="T",
                       help=f"accept token T (login {DEFAULT_LOGIN!r}); LOGIN:T for another "
                            "login; repeatable")
    serve.add_argument("--access-log", type=Path, metavar="FILE",
                       help="append one line per request: METHOD PATH STATUS (no query string)")
    serve.add_argument("--app-id", type=int, metavar="ID", help="GitHub App id accepted in JWTs")
    serve.add_argument("--app-public-key", type=Path, metavar="FILE",
                       help="PEM public key that verifies the App's RS256 JWTs")
    serve.add_argument("--install", action="append", default=[], metavar="ACCOUNT[=ID]",
                       help="install the App on ACCOUNT (all its repositories); repeatable")
    serve.add_argument("--graphql-schema", type=Path, metavar="FILE",
                       help="GitHub's GraphQL schema (schema.json of npm @octokit/graphql-schema)"
                            " to serve POST /api/graphql; without it that answers 404")
    faults = serve.add_argument_group("limits and injected faults (for tests)")
    faults.add_argument("--rate-limit", type=int, metavar="N",
                        help="primary rate limit: N requests per token per window (default "
                             "5000 per hour)")
    faults.add_argument("--rate-window", type=int, default=3600, metavar="S",
                        help="the rate limit's window in seconds (default 3600)")
    faults.add_argument("--fail-rate", type=float, default=0.0, metavar="P",
                        help="answer this fraction (0..1) of REST and GraphQL requests with "
                             "500, 502 or 503")
    faults.add_argument("--seed", type=int, default=0, metavar="S",
                        help="seed of --fail-rate's choices (same seed, same failures)")
    faults.add_argument("--slow", type=int, default=0, metavar="MS",
                        help="delay every response by MS milliseconds")
    faults.add_argument("--token-ttl", type=int, default=3600, metavar="S",
                        help="lifetime of App installation tokens in seconds (default 3600)")
    serve.set_defaults(func=run)


def parse_tokens(values: list[str]) -> dict[str, str]:
    """``T`` or ``LOGIN:T`` -> {token: login}."""
    tokens: dict[str, str] = {}
    for value in values:
        login, sep, token = value.rpartition(":")
        if not sep:
            login, token = DEFAULT_LOGIN, value
        if not token or not login:
            raise UsageError(f"--token: expected T or LOGIN:T, got {value!r}")
        tokens[token] = login
    return tokens


def run(args: argparse.Namespace) -> int:
    from fixbot.sandbox import serve

    if args.port < 0 or args.port > 65535:
        raise UsageError(f"--port: {args.port} is not a port number")
    if not 0 <= args.fail_rate <= 1:
        raise UsageError(f"--fail-rate: expected a fraction from 0 to 1, got {args.fail_rate}")
    for flag, value in (("--rate-limit", args.rate_limit), ("--rate-window", args.rate_window),
                        ("--token-ttl", args.token_ttl)):
        if value is not None and value < 1:
            raise UsageError(f"{flag}: expected a whole number ≥ 1, got {value}")
    if args.slow < 0:
        raise UsageError(f"--slow: expected milliseconds ≥ 0, got {args.slow}")
    if args.graphql_schema is not None and not args.graphql_schema.is_file():
        raise UsageError(f"--graphql-schema: {args.graphql_schema}: no such file")
    if (args.app_id is None) != (args.app_public_key is None):
        raise UsageError("--app-id and --app-public-key go together")
    if args.install and args.app_id is None:
        raise UsageError("--install needs --app-id and --app-public-key")
    key = None
    if args.app_public_key is not None:
        try:
            key = args.app_public_key.read_bytes()
        except OSError as e:
            raise UsageError(f"--app-public-key: {e}") from e
    tokens = parse_tokens(args.token)
    installs: dict[str, int | None] = {}
    for item in args.install:
        account, _, ident = item.partition("=")
        installs[account] = int(ident) if ident.isdigit() else None
    try:
        return serve(args.root, args.host, args.port, tokens, args.access_log, args.app_id, key,
                     installs, graphql_schema=args.graphql_schema, rate_limit=args.rate_limit,
                     rate_window=args.rate_window, fail_rate=args.fail_rate, seed=args.seed,
                     slow_ms=args.slow, token_ttl=args.token_ttl)
    except OSError as e:
        raise UsageError(f"cannot serve on {args.host}:{args.port}: {e}") from e
