"""The knowledge base: which ``GITHUB_TOKEN`` scopes actions, reusable workflows and scripts need.

Data lives in ``actions.toml`` and ``scripts.toml`` next to this file (our own format, read once
with :mod:`tomllib` and cached). See ``docs/knowledge-base.md``.

Public API::

    lookup_action(uses, inputs, version_comment=None) -> ActionInfo | None
    lookup_reusable_workflow(uses) -> ActionInfo | None
    analyze_shell(script) -> ScriptAnalysis
    analyze_github_script(script) -> ScriptAnalysis
    lookup_program(prog, line) -> tuple[Need, ...] | None
    merge_scopes(*maps) -> dict[str, Access]
"""

from __future__ import annotations

from fixbot.kb.actions import lookup_action, lookup_reusable_workflow
from fixbot.kb.model import (
    SCOPE_LEVELS,
    SCOPES,
    Access,
    ActionInfo,
    Need,
    ScriptAnalysis,
    is_job_token,
    merge_scopes,
)
from fixbot.kb.scripts import analyze_github_script, analyze_shell
from fixbot.kb.tables import lookup_program

__all__ = [
    "SCOPES",
    "SCOPE_LEVELS",
    "Access",
    "ActionInfo",
    "Need",
    "ScriptAnalysis",
    "analyze_github_script",
    "analyze_shell",
    "is_job_token",
    "lookup_action",
    "lookup_program",
    "lookup_reusable_workflow",
    "merge_scopes",
]
