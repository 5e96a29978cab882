"""Commands: orchestration only. Each module exposes ``register(subparsers)``.

:data:`COMMANDS` names each command's module without importing it: the CLI imports only the
module of the command it runs (:func:`load`), so a command's heavy imports (PyGithub and
GitPython for ``run``, the sandbox for ``demo``) never slow another command's start.
"""

from __future__ import annotations

import importlib
from types import ModuleType

COMMANDS: dict[str, str] = {"fix": "fix", "run": "run", "sweep": "sweep", "status": "status",
                            "demo": "demo", "sandbox": "sandbox", "list": "list_transforms"}
"""Command name -> module under ``fixbot.commands``, in the order ``--help`` lists them."""


def load(command: str | None = None) -> list[ModuleType]:
    """The modules to register: ``command``'s alone when it is a command, else every one."""
    names = [COMMANDS[command]] if command in COMMANDS else list(COMMANDS.values())
    return [importlib.import_module(f"fixbot.commands.{name}") for name in names]
