"""The dashboard issue: one issue in a chosen repository holding the reviewers' table, updated in
place each sweep (found again by a hidden marker; written only when its text changes)."""

from __future__ import annotations

from fixbot.forge import Forge
from fixbot.forge.pr_state import create_issue, edit_issue, find_issue
from fixbot.status import PrRow
from fixbot.status.table import markdown

MARKER = "<!-- fixbot:dashboard -->"
TITLE = "fixbot dashboard"


def body(rows: list[PrRow]) -> str:
    return ("fixbot's open pull requests across the organisation, those that need a person "
            "first. fixbot rewrites this issue after each sweep; edits to it are lost.\n\n"
            + markdown(rows) + "\n" + MARKER + "\n")


def update(forge: Forge, repo_full: str, rows: list[PrRow]) -> int:
    """The dashboard issue's number, after making its body the table of ``rows``."""
    text = body(rows)
    found = find_issue(forge, repo_full, MARKER)
    if found is None:
        return create_issue(forge, repo_full, TITLE, text, MARKER)
    if found.body != text:
        edit_issue(forge, repo_full, found.number, text)
    return found.number
