"""Commands: orchestration only. Each module exposes ``register(subparsers)``."""

from __future__ import annotations

from types import ModuleType

from fixbot.commands import fix, list_transforms, run, sandbox

COMMANDS: list[ModuleType] = [fix, run, sandbox, list_transforms]
