"""Exit codes of every command (the CLI contract in DESIGN.md); a leaf module, imports nothing."""

from __future__ import annotations

EXIT_OK = 0  # nothing to change, or changes applied / pull requests handled
EXIT_PENDING = 1  # changes pending under --check / --diff
EXIT_USAGE = 2  # usage error
EXIT_FAILED = 3  # one or more files or repositories failed (all others were still processed)
EXIT_INTERRUPTED = 130  # Ctrl-C
