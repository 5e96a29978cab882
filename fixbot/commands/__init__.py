"""Commands: orchestration only. Each module exposes ``register(subparsers)``."""

from __future__ import annotations

from types import ModuleType

from fixbot.commands import fix, list_transforms

COMMANDS: list[ModuleType] = [fix, list_transforms]
