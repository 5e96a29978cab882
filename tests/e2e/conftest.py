"""Fixtures for the end-to-end tests: a live sandbox forge with a bot and a human token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_helpers import BOT_TOKEN, HUMAN_TOKEN

from fixbot.forge import Forge, TokenCredentials
from fixbot.sandbox import Sandbox


@pytest.fixture
def sb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    for var in ("GITHUB_TOKEN", "FIXBOT_APP_ID", "FIXBOT_APP_PRIVATE_KEY",
                "FIXBOT_APP_PRIVATE_KEY_FILE", "GITHUB_API_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("FIXBOT_TOKEN", BOT_TOKEN)
    with Sandbox(tmp_path / "forge") as sandbox:
        sandbox.add_token("fixbot-bot", BOT_TOKEN)
        sandbox.add_token("alice", HUMAN_TOKEN)
        monkeypatch.setenv("GITHUB_API_URL", sandbox.api_url)
        yield sandbox


@pytest.fixture
def forge(sb: Sandbox) -> Forge:
    return Forge(sb.api_url, TokenCredentials(BOT_TOKEN))


@pytest.fixture
def regen(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--regen-golden"))
