"""What a sweep prints: progress on stderr, the JSON contract, text lines, a Markdown report."""

from __future__ import annotations

import sys
import threading
from collections import Counter
from typing import IO, Any

from fixbot.commands.lifecycle import Outcome

STATUSES = ("pr-opened", "pr-updated", "up-to-date", "no-changes", "declined", "skipped",
            "error")
_TITLES = {"pr-opened": "Pull requests opened", "pr-updated": "Pull requests updated",
           "up-to-date": "Pull requests already up to date", "no-changes": "Nothing to change",
           "declined": "Declined by people", "skipped": "Skipped", "error": "Errors"}


def lanes(o: Outcome) -> list[Outcome]:
    return [x for x in (o, o.secrets) if x is not None]


def summary(outcomes: list[Outcome]) -> dict[str, Any]:
    """Counts per status of the repositories, pull requests opened and updated in both lanes,
    and the files' totals."""
    by = Counter(o.status for o in outcomes)
    every = [x for o in outcomes for x in lanes(o)]
    out: dict[str, Any] = {"repos": len(outcomes)}
    out.update({s: by.get(s, 0) for s in STATUSES})
    out["prs_opened"] = sum(x.status == "pr-opened" for x in every)
    out["prs_updated"] = sum(x.status == "pr-updated" for x in every)
    out["errors"] = sum(x.status == "error" for x in every)
    out["files_changed"] = sum(r.status == "changed" for o in outcomes for r in o.files)
    return out


def as_json(outcomes: list[Outcome]) -> dict[str, Any]:
    return {"version": 1, "repos": [o.as_json() for o in outcomes],
            "summary": summary(outcomes)}


def text(outcomes: list[Outcome]) -> str:
    lines = []
    for o in outcomes:
        for x, name in ((o, o.repo), (o.secrets, f"{o.repo} (secrets)")):
            if x is None:
                continue
            line = f"{name}: {x.status}"
            if x.pr:
                line += f": #{x.pr.number} {x.pr.url}"
            if x.reason:
                line += f" ({x.reason})"
            lines.append(line)
    s = summary(outcomes)
    lines.append(f"{s['repos']} repositories: {s['prs_opened']} pull request(s) opened, "
                 f"{s['prs_updated']} updated, {s['skipped']} skipped, {s['errors']} error(s)")
    return "\n".join(lines) + "\n"


def markdown(org: str, outcomes: list[Outcome], shard: tuple[int, int] | None = None,
             dry_run: bool = False) -> str:
    """A heading, the totals, then a table per status (for a GitHub job summary)."""
    s = summary(outcomes)
    where = f" (shard {shard[0]} of {shard[1]})" if shard else ""
    out = [f"# fixbot sweep of {org}{where}{' — dry run' if dry_run else ''}", "",
           f"{s['repos']} repositories: {s['prs_opened']} pull request(s) opened, "
           f"{s['prs_updated']} updated, {s['skipped']} skipped, {s['errors']} error(s).", ""]
    rows: dict[str, list[tuple[str, Outcome]]] = {st: [] for st in STATUSES}
    for o in outcomes:
        rows[o.status].append((o.repo, o))
        if o.secrets is not None:
            rows[o.secrets.status].append((f"{o.repo} (secrets)", o.secrets))
    for st in STATUSES:
        if not rows[st]:
            continue
        out += [f"## {_TITLES[st]} ({len(rows[st])})", "",
                "| Repository | Pull request | Why |", "|---|---|---|"]
        for name, x in rows[st]:
            link = f"[#{x.pr.number}]({x.pr.url})" if x.pr else ""
            out.append(f"| {_cell(name)} | {link} | {_cell(x.reason or '')} |")
        out.append("")
    return "\n".join(out)


def _cell(value: str) -> str:
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


class Progress:
    """Repositories done, pull requests opened and errors: one line redrawn in place on a
    terminal, else one plain line per repository."""

    def __init__(self, total: int, stream: IO[str] | None = None) -> None:
        self.total, self.done, self.opened, self.errors = total, 0, 0, 0
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._lock = threading.Lock()

    def __call__(self, o: Outcome) -> None:
        with self._lock:
            self.done += 1
            self.opened += sum(x.status == "pr-opened" for x in lanes(o))
            self.errors += sum(x.status == "error" for x in lanes(o))
            counts = (f"{self.done}/{self.total} repositories, {self.opened} PR(s) opened, "
                      f"{self.errors} error(s)")
            if self.tty:
                width = 24
                filled = width * self.done // max(1, self.total)
                bar = "#" * filled + "-" * (width - filled)
                self.stream.write(f"\r[{bar}] {counts}")
                if self.done == self.total:
                    self.stream.write("\n")
            else:
                self.stream.write(f"fixbot: [{self.done}/{self.total}] {o.repo}: {o.status}\n")
            self.stream.flush()
