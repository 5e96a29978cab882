"""What the job token is under each workflow trigger (``triggers.toml``): the rules a scope is
read under, and whether a pull request exercises a change to the workflow."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal

Runs = Literal["pull-request", "default-branch"]


@dataclass(frozen=True)
class Trigger:
    event: str
    runs: Runs  # where a change to the workflow is first exercised
    note: str  # what a scope means under this trigger ("" when nothing special)
    source: str


@lru_cache(maxsize=1)
def triggers() -> Mapping[str, Trigger]:
    """Every known trigger by event name."""
    text = resources.files("fixbot.kb").joinpath("triggers.toml").read_text(encoding="utf-8")
    out: dict[str, Trigger] = {}
    for raw in tomllib.loads(text).get("trigger", []):
        runs = str(raw["runs"])
        if runs not in ("pull-request", "default-branch"):
            raise ValueError(f"bad runs {runs!r} for trigger {raw['event']!r}")
        out[str(raw["event"])] = Trigger(str(raw["event"]), "pull-request" if runs == "pull-request"
                                         else "default-branch", str(raw.get("note", "")),
                                         str(raw["source"]))
    return out


def token_notes(events: set[str] | frozenset[str]) -> list[str]:
    """The notes of the given events that have one, sorted by event name."""
    known = triggers()
    return [known[e].note for e in sorted(known) if e in events and known[e].note]


def exercised_after_merge(events: set[str] | frozenset[str]) -> list[str]:
    """The given events whose runs use the workflow as merged (not the pull request's), sorted."""
    known = triggers()
    return sorted(e for e in events if e in known and known[e].runs == "default-branch")


def exercised_by_pull_request(events: set[str] | frozenset[str]) -> bool:
    """Whether one of the given events runs the workflow of the pull request that changes it."""
    known = triggers()
    return any(e in known and known[e].runs == "pull-request" for e in events)
