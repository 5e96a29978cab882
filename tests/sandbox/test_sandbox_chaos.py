"""The sandbox's load switches: --fail-rate (repeatable per seed), --rate-limit, and the
validation of ``fixbot sandbox serve``'s flags; GraphQL's 404 when no schema is served."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from sandbox_helpers import BOT_TOKEN

from fixbot.cli import main
from fixbot.sandbox import Sandbox

AUTH = {"Authorization": f"token {BOT_TOKEN}"}


def statuses(tmp_path: Path, seed: int, n: int = 60) -> list[int]:
    with Sandbox(tmp_path / f"s{seed}-{n}", fail_rate=0.25, seed=seed) as sb:
        sb.add_token("fixbot-bot", BOT_TOKEN)
        sb.create_repo("acme", "w", {"README.md": "x\n"})
        out = [requests.get(f"{sb.api_url}/repos/acme/w", headers=AUTH).status_code
               for _ in range(n)]
        limit = requests.get(f"{sb.api_url}/rate_limit", headers=AUTH).status_code
        assert limit == 200  # never failed: clients read it to decide how long to wait
        return out


def test_fail_rate_is_repeatable_for_a_seed(tmp_path: Path) -> None:
    first = statuses(tmp_path, 1)
    assert statuses(tmp_path / "again", 1) == first
    assert statuses(tmp_path, 2) != first
    assert set(first) <= {200, 500, 502, 503} and first.count(200) < len(first)


def test_rate_limit_answers_403_with_githubs_headers(tmp_path: Path) -> None:
    with Sandbox(tmp_path / "f", rate_limit=3, rate_window=3600) as sb:
        sb.add_token("fixbot-bot", BOT_TOKEN)
        sb.create_repo("acme", "w", {"README.md": "x\n"})
        replies = [requests.get(f"{sb.api_url}/repos/acme/w", headers=AUTH) for _ in range(4)]
    assert [r.status_code for r in replies] == [200, 200, 200, 403]
    assert [r.headers["X-RateLimit-Remaining"] for r in replies] == ["2", "1", "0", "0"]
    assert replies[3].headers["X-RateLimit-Limit"] == "3"
    assert replies[3].json()["message"] == "API rate limit exceeded for fixbot-bot."


def test_graphql_without_a_schema_is_404(tmp_path: Path) -> None:
    with Sandbox(tmp_path / "f") as sb:
        sb.add_token("fixbot-bot", BOT_TOKEN)
        r = requests.post(f"{sb.url}/api/graphql", json={"query": "{ viewer { login } }"},
                          headers=AUTH)
    assert (r.status_code, r.json()["message"]) == (404, "Not Found")


@pytest.mark.parametrize(("flags", "message"), [
    (["--fail-rate", "1.5"], "--fail-rate: expected a fraction from 0 to 1, got 1.5"),
    (["--rate-limit", "0"], "--rate-limit: expected a whole number ≥ 1, got 0"),
    (["--token-ttl", "0"], "--token-ttl: expected a whole number ≥ 1, got 0"),
    (["--slow", "-5"], "--slow: expected milliseconds ≥ 0, got -5"),
    (["--graphql-schema", "/nonexistent/schema.json"],
     "--graphql-schema: /nonexistent/schema.json: no such file"),
])
def test_serve_rejects_bad_switches(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    flags: list[str], message: str) -> None:
    assert main(["sandbox", "serve", "--root", str(tmp_path), *flags]) == 2
    assert capsys.readouterr().err.strip().endswith(message)
