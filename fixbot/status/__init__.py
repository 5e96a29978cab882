"""``fixbot status``: fixbot's open pull requests across an organisation, as reviewers see them.

:func:`collect` finds them (one GraphQL query per 50 repositories when the forge has GraphQL,
else two REST listings per repository) and reads each one's state (:mod:`fixbot.forge.pr_state`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fixbot import pr, pr_secrets
from fixbot.errors import FixbotError
from fixbot.forge import Forge, secret_names
from fixbot.forge.org import list_repos
from fixbot.forge.pr_state import pr_state
from fixbot.redact import strip_userinfo

LANES = {pr.BRANCH: "harden", pr_secrets.BRANCH: "secrets"}
_CREATE = "create secret `"


@dataclass(frozen=True)
class PrRow:
    repo: str
    number: int
    url: str
    lane: str  # harden | secrets
    title: str = ""
    age_days: int = 0
    ci: str = "none"
    mergeable: str = "unknown"
    review: str = "none"
    pushed_by_person: bool = False
    commented_by_person: bool = False
    secrets_missing: int | None = None  # secrets PRs: names in the checklist not created yet
    error: str | None = None

    @property
    def attention(self) -> bool:
        """Needs a person before it can be merged (or its state could not be read)."""
        return bool(self.error or self.ci == "failure" or self.mergeable == "conflicting"
                    or self.review == "changes requested" or self.secrets_missing)

    def as_json(self) -> dict[str, Any]:
        return {"repo": self.repo, "number": self.number, "url": self.url, "lane": self.lane,
                "title": self.title, "age_days": self.age_days, "ci": self.ci,
                "mergeable": self.mergeable, "review": self.review,
                "pushed_by_person": self.pushed_by_person,
                "commented_by_person": self.commented_by_person,
                "secrets_missing": self.secrets_missing, "error": self.error}


def checklist_secrets(body: str) -> list[str]:
    """The secret names of the secrets PR's ``create secret `NAME``` checklist items."""
    names = []
    for line in body.splitlines():
        item = line.strip()
        if item[:6] in ("- [ ] ", "- [x] ", "- [X] ") and item[6:].startswith(_CREATE):
            name = item[6 + len(_CREATE):].split("`", 1)[0]
            if name and name not in names:
                names.append(name)
    return names


def open_prs(forge: Forge, org: str) -> list[tuple[str, int, str]]:
    """(repository, number, lane) of every open fixbot pull request of ``org``, sorted."""
    repos = [r.full_name for r in list_repos(forge, org) if r.skip_reason() is None]
    found = _by_graphql(forge, org, repos)
    if found is None:
        found = [(full, p.number, lane) for full in repos for branch, lane in LANES.items()
                 for p in forge.pulls(full, branch) if p.state == "open"]
    return sorted(found, key=lambda x: (x[0].lower(), x[1]))


def _by_graphql(forge: Forge, org: str, repos: list[str]) -> list[tuple[str, int, str]] | None:
    from fixbot.sweep.screen import BATCH, graphql

    out: list[tuple[str, int, str]] = []
    for start in range(0, len(repos), BATCH):
        batch = repos[start:start + BATCH]
        parts = []
        for i, full in enumerate(batch):
            owner, name = full.split("/", 1)
            prs = " ".join(f'{lane}: pullRequests(headRefName: "{branch}", states: [OPEN], '
                           "first: 5) { nodes { number } }" for branch, lane in LANES.items())
            parts.append(f'r{i}: repository(owner: "{owner}", name: "{name}") {{ {prs} }}')
        data = graphql(forge, org, "query { " + " ".join(parts) + " }")
        if data is None:
            return None
        got = data.get("data") or {}
        for i, full in enumerate(batch):
            node = got.get(f"r{i}") or {}
            for lane in LANES.values():
                for n in ((node.get(lane) or {}).get("nodes") or []):
                    out.append((full, int(n["number"]), lane))
    return out


def collect(forge: Forge, org: str, now: datetime | None = None) -> list[PrRow]:
    """A row per open fixbot pull request of ``org``; a pull request whose state cannot be
    read is a row with ``error`` (the others are still read)."""
    now = now or datetime.now(UTC)
    rows = []
    for full, number, lane in open_prs(forge, org):
        try:
            s = pr_state(forge, full, number)
            missing = None
            if lane == "secrets":
                names = checklist_secrets(s.body)
                seen = secret_names(forge, full)
                missing = sum(1 for n in names if not seen.has(n))
            rows.append(PrRow(full, number, s.url, lane, s.title,
                              max(0, (now - s.created_at).days), s.ci, s.mergeable, s.review,
                              s.pushed_by_person, s.commented_by_person, missing))
        except FixbotError as e:
            rows.append(PrRow(full, number, "", lane, error=strip_userinfo(str(e))))
    return rows
