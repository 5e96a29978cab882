"""Constants shared by the forge-client tests and their fixtures."""

from __future__ import annotations

BOT = "ghp_forgeBotToken000000000000000000000000"
HUMAN = "ghp_forgeHumanToken0000000000000000000000"
