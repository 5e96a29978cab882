"""Fixtures for the forge-client tests: a live sandbox and a bot token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from forge_helpers import BOT, HUMAN

from fixbot.sandbox import Sandbox


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    with Sandbox(tmp_path / "forge") as sb:
        sb.add_token("fixbot-bot", BOT)
        sb.add_token("alice", HUMAN)
        yield sb
