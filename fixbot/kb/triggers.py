"""What the job token is under each workflow trigger (``triggers.toml``): the rules a scope is
read under, whether a pull request exercises a change to the workflow, and the verification
advice a pull request gives for one changed workflow (which of its runs use the change, and
how to see a run of the jobs it does not run)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

Runs = Literal["pull-request", "default-branch"]
Exercise = Literal["pull-request", "branch", "merge"]
MAX_JOBS = 6  # job names a verification item lists before "and N more"
# how an item asks for a manual run (the pull request says once how to start one)
DISPATCH = "with `workflow_dispatch` on this pull request's branch"


@dataclass(frozen=True)
class Trigger:
    event: str
    runs: Runs  # where a change to the workflow is first exercised
    note: str  # what a scope means under this trigger ("" when nothing special)
    source: str
    exercise: Exercise = "merge"  # which runs use the changed workflow before it is merged
    watch: str = ""  # the run to look at, in our words
    explain: bool = True  # the note belongs in explanations (not only in verification advice)


@dataclass(frozen=True)
class Symptom:
    """What a run prints when it lacks what a transform took away."""

    transform: str
    text: str
    source: str


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    text = resources.files("fixbot.kb").joinpath("triggers.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@lru_cache(maxsize=1)
def triggers() -> Mapping[str, Trigger]:
    """Every known trigger by event name."""
    out: dict[str, Trigger] = {}
    for raw in _data().get("trigger", []):
        runs = str(raw["runs"])
        if runs not in ("pull-request", "default-branch"):
            raise ValueError(f"bad runs {runs!r} for trigger {raw['event']!r}")
        exercise = str(raw.get("exercise", "merge"))
        if exercise not in ("pull-request", "branch", "merge"):
            raise ValueError(f"bad exercise {exercise!r} for trigger {raw['event']!r}")
        out[str(raw["event"])] = Trigger(
            str(raw["event"]), "pull-request" if runs == "pull-request" else "default-branch",
            str(raw.get("note", "")), str(raw["source"]),
            "pull-request" if exercise == "pull-request" else
            "branch" if exercise == "branch" else "merge", str(raw.get("watch", "")),
            bool(raw.get("explain", True)))
    return out


@lru_cache(maxsize=1)
def symptoms() -> Mapping[str, Symptom]:
    """What a failed run looks like, by transform id."""
    return {str(r["transform"]): Symptom(str(r["transform"]), str(r["text"]), str(r["source"]))
            for r in _data().get("symptom", [])}


def filter_sources() -> tuple[str, str]:
    """Where event filters, and running a workflow by hand on a branch, are documented."""
    return str(_data()["filters"]["source"]), str(_data()["dispatch"]["source"])


def token_notes(events: set[str] | frozenset[str]) -> list[str]:
    """The notes of the given events that have one, sorted by event name."""
    known = triggers()
    return [known[e].note for e in sorted(known) if e in events and known[e].note]


def explanation_notes(events: set[str] | frozenset[str]) -> list[str]:
    """The notes of the given events that explain what a scope means there (not those about
    checking a change, which the verification advice covers), sorted by event name."""
    known = triggers()
    return [known[e].note for e in sorted(known)
            if e in events and known[e].note and known[e].explain]


def exercised_after_merge(events: set[str] | frozenset[str]) -> list[str]:
    """The given events whose runs use the workflow as merged (not the pull request's), sorted."""
    known = triggers()
    return sorted(e for e in events if e in known and known[e].runs == "default-branch")


def exercised_by_pull_request(events: set[str] | frozenset[str]) -> bool:
    """Whether one of the given events runs the workflow of the pull request that changes it."""
    known = triggers()
    return any(e in known and known[e].runs == "pull-request" for e in events)


# -- verification advice -------------------------------------------------------------------------

# a job condition that reads the event or the ref may skip the job on a pull request
_EVENT_BOUND = re.compile(r"github\s*\.\s*(?:event_name|ref|ref_name|ref_type|head_ref|base_ref"
                          r"|event\s*\.)\b|github\s*\[\s*'(?:event_name|ref)'", re.IGNORECASE)
# a condition that only asks for a pull request event runs the job on this pull request
_FOR_PULL_REQUESTS = re.compile(r"\s*(?:\$\{\{\s*)?github\.event_name\s*==\s*"
                                r"'pull_request'\s*(?:\}\}\s*)?", re.IGNORECASE)
_LONGEST_CONDITION = 60


def events(on: object) -> dict[str, Any]:
    """The plain ``on:`` value as event name -> its settings (``{}`` where it has none)."""
    if isinstance(on, str):
        return {on: {}}
    if isinstance(on, list):
        return {str(e): {} for e in on if isinstance(e, str)}
    if isinstance(on, dict):
        return {str(k): ({} if v is None else v) for k, v in on.items()}
    return {}


def verification(path: str, on: object, jobs: Sequence[tuple[str, str | None]]) -> str:
    """One checklist line for a changed workflow: which runs of this pull request use the
    change (and which changed jobs may be skipped there), or, when none does, how to see a run
    of it (``workflow_dispatch`` on the branch where the workflow has it, else the event to
    watch after merging). ``on`` is the workflow's plain ``on:`` value, ``jobs`` the changed
    jobs with their ``if:`` (None without one)."""
    evs = events(on)
    now: list[str] = []  # what runs the change before merging
    why_not: list[str] = []  # why an event that could run it on this pull request does not
    for event, settings in sorted(evs.items(), key=lambda kv: kv[0] != "pull_request"):
        how = _before_merge(path, event, settings, why_not)
        if how:
            now.append(how)
    later = [e for e in evs if e != "workflow_dispatch" and not _runs_now(path, e, evs[e])]
    head = f"`{path}`" + (f" ({_names(jobs)})" if jobs else "")
    if now:
        out = f"{_join(now)} {'uses' if len(now) == 1 else 'use'} the changed workflow: check " \
              f"that {'it passes' if len(now) == 1 else 'they pass'}"
        bound = [(j, c) for j, c in jobs if c and _EVENT_BOUND.search(c)
                 and not _FOR_PULL_REQUESTS.fullmatch(c)]
        if bound:
            out += (f" ({_names(bound)} may be skipped there: "
                    + "; ".join(f"`if: {_short(c or '')}`" for _, c in bound[:2]) + ")")
        if later:
            out += (f"; after merging, also check {_watch(later, evs, ' and ')}: steps can act "
                    f"differently on {'that event' if len(later) == 1 else 'those events'}")
        return f"{head}: {out}."
    reason = _reason(why_not)
    if "workflow_call" in evs:
        out = ("it is a reusable workflow, so it runs inside the workflows that call it: check "
               "their runs (a caller in this repository that calls it by its local path and "
               "runs on this pull request runs this pull request's version)")
        rest = [e for e in later if e != "workflow_call"]
        if rest:
            out += f", and after merging {_watch(rest, evs)}"
        return f"{head}: {out}."
    if "workflow_dispatch" in evs:
        out = f"this pull request does not run it{reason}: run it once {DISPATCH} if a manual " \
              "run does no harm"
        if later:
            out += f", or after merging check {_watch(later, evs)}"
        return f"{head}: {out}."
    what = _watch(later, evs) if later else "its next run"
    return f"{head}: this pull request does not run it{reason}: after merging, check {what}."


def _runs_now(path: str, event: str, settings: Any) -> bool:
    return bool(_before_merge(path, event, settings, []))


def _before_merge(path: str, event: str, settings: Any, why_not: list[str]) -> str:
    """How ``event`` runs the changed workflow before it is merged ("" when it does not),
    adding to ``why_not`` why an event of the pull request or its branch does not."""
    trig = triggers().get(event)
    if trig is None or trig.exercise == "merge":
        return ""
    filters = settings if isinstance(settings, dict) else {}
    if trig.exercise == "branch":
        if "tags" in filters and "branches" not in filters:
            return ""  # tag pushes only
        if "branches" in filters and "**" not in _strings(filters.get("branches")):
            return ""  # pushes to the listed branches only
    if not _paths_allow(path, filters):
        why_not.append(f"its `{event}` `paths` filter does not match `{path}`")
        return ""
    if trig.exercise == "branch":
        return f"the `{event}` run of this pull request's branch"
    if event == "pull_request":
        types = _strings(filters.get("types"))
        if types and not set(types) & set(_data()["filters"]["pull_request_types"]):
            return (f"its `pull_request` run when this pull request is "
                    f"{' or '.join(f'`{t}`' for t in types)}")
        return "this pull request's `pull_request` run"
    return trig.watch


def _paths_allow(path: str, filters: Mapping[str, Any]) -> bool:
    """Whether the ``paths``/``paths-ignore`` filters let a change to ``path`` run the workflow
    (GitHub: with ``paths``, at least one changed file must match; with ``paths-ignore``, not
    every changed file may be ignored). Only the workflow's own file is known here."""
    if "paths" in filters:
        return matches(_strings(filters.get("paths")), path)
    if "paths-ignore" in filters:
        return not matches(_strings(filters.get("paths-ignore")), path)
    return True


def matches(patterns: Sequence[str], path: str) -> bool:
    """GitHub's filter patterns: the last pattern that matches decides (``!`` negates)."""
    result = False
    for pat in patterns:
        neg = pat.startswith("!")
        if _glob(pat[1:] if neg else pat).fullmatch(path):
            result = not neg
    return result


@lru_cache(maxsize=256)
def _glob(pat: str) -> re.Pattern[str]:
    """A filter pattern as a regex: ``*`` within one folder, ``**`` across folders, ``?``/``+``
    repeat the character before them, ``[...]`` a class (the patterns cheat sheet)."""
    out, i = "", 0
    while i < len(pat):
        if pat.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pat.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pat[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pat[i] in "?+" and out:
            out, i = out + pat[i], i + 1
        elif pat[i] == "[" and "]" in pat[i + 1:]:
            end = pat.index("]", i + 1)
            out, i = out + pat[i:end + 1], end + 1
        else:
            out, i = out + re.escape(pat[i]), i + 1
    try:
        return re.compile(out)
    except re.error:
        return re.compile(re.escape(pat))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if v is not None]
    return []


def _reason(why_not: list[str]) -> str:
    """Why an event that could run the workflow on this pull request does not (the watch
    advice names the other events)."""
    return f" ({'; '.join(why_not)})" if why_not else ""


def _watch(later: Sequence[str], evs: Mapping[str, Any], last: str = " or ") -> str:
    """What to look at after merging, for each event (at most three)."""
    out: list[str] = []
    for event in later[:3]:
        settings = evs[event]
        f = settings if isinstance(settings, dict) else {}
        if event == "push":
            tags, branches = _strings(f.get("tags")), _strings(f.get("branches"))
            if tags and not branches:
                out.append(f"its run on the next push of a tag matching {_codes(tags, ' or ')}")
                continue
            if branches:
                out.append(f"its next run on a push to {_codes(branches, ' or ')}")
                continue
        if event == "schedule":
            crons = [str(c.get("cron")) for c in settings
                     if isinstance(c, dict) and c.get("cron")] if isinstance(settings, list) \
                else []
            out.append("its next scheduled run" + (f" ({_codes(crons)})" if crons else ""))
            continue
        if event == "pull_request" and ("paths" in f or "paths-ignore" in f):
            out.append("its run on a pull request that changes a file its `paths` filter lets "
                       "through")
            continue
        if event == "workflow_run" and _strings(f.get("workflows")):
            out.append(f"its next run, after a run of {_codes(_strings(f['workflows']), ' or ')}")
            continue
        trig = triggers().get(event)
        types = _strings(f.get("types"))
        out.append((trig.watch if trig and trig.watch else f"its next `{event}` run")
                   + (f" ({_codes(types)})" if types else ""))
    return _join(out, last)


def _names(jobs: Sequence[tuple[str, str | None]]) -> str:
    ids = list(dict.fromkeys(j for j, _ in jobs))
    shown = ", ".join(f"`{j}`" for j in ids[:MAX_JOBS])
    more = f" and {len(ids) - MAX_JOBS} more" if len(ids) > MAX_JOBS else ""
    return f"job{'s' if len(ids) > 1 else ''} {shown}{more}"


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _LONGEST_CONDITION else text[:_LONGEST_CONDITION - 1] + "…"


def _codes(items: Sequence[str], last: str = ", ") -> str:
    return _join([f"`{i}`" for i in items], last)


def _join(items: Sequence[str], last: str = " and ") -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + last + items[-1]
