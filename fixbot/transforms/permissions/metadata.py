"""Coverage of the metadata reading, for the benchmark and the corpus tests (no stage of the
pipeline uses it): see :func:`fixbot.kb.action_metadata.action_verdict`."""

from __future__ import annotations

from fixbot.kb.action_metadata import action_verdict

__all__ = ["action_verdict"]
