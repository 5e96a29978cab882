"""Commands: orchestration only. Each module exposes ``register(subparsers)``."""

from __future__ import annotations

from types import ModuleType

from fixbot.commands import demo, fix, list_transforms, run, sandbox

COMMANDS: list[ModuleType] = [fix, run, demo, sandbox, list_transforms]
