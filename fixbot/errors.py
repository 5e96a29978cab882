"""The small hierarchy of errors fixbot raises at its boundaries.

Library exceptions are wrapped with ``raise ... from e``; the CLI turns a FixbotError into one
clear line and an exit code. Anything else is a bug and shows a traceback.
"""

from __future__ import annotations


class FixbotError(Exception):
    """Base class for every error fixbot reports to a person."""


class UsageError(FixbotError):
    """Bad command-line input (exit code 2)."""


class InputError(FixbotError):
    """A workflow file that cannot be processed safely (bad YAML, too big, binary, ...)."""


class GuardError(FixbotError):
    """An edit produced text that does not re-parse or differs beyond the intended change."""


class TransformError(FixbotError):
    """A transform failed on one file."""


class GitError(FixbotError):
    """A git operation failed."""


class ForgeError(FixbotError):
    """The forge (GitHub, GHES or the sandbox) answered with an error or could not be reached."""


class RateLimited(ForgeError):
    """The forge's rate limit was hit and retrying did not help in time."""
