"""What people and CI did with one of fixbot's pull requests (``fixbot status``), and the
dashboard issue's reads and writes. PyGithub stays here; callers see :class:`PrState`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from github import GithubException

from fixbot.errors import ForgeError
from fixbot.forge.client import Forge, split_full_name


@dataclass(frozen=True)
class PrState:
    number: int
    url: str
    title: str
    body: str
    author: str  # the login that opened it (fixbot's)
    created_at: datetime
    ci: str  # success | failure | pending | none
    mergeable: str  # mergeable | conflicting | unknown
    review: str  # approved | changes requested | commented | none
    pushed_by_person: bool  # a commit on the branch by anyone but fixbot
    commented_by_person: bool  # a comment or review by anyone but fixbot


_REVIEW = {"APPROVED": "approved", "CHANGES_REQUESTED": "changes requested",
           "COMMENTED": "commented"}
FIXBOT_EMAIL = "fixbot@users.noreply.github.com"


def pr_state(forge: Forge, full: str, number: int) -> PrState:
    """Six reads: the pull request, its commits, comments, reviews, combined status, check runs."""
    pull = forge._pull(full, number)
    repo = forge._repo(full)
    what = f"{full}: pull request #{number}"
    author = pull.user.login if pull.user is not None else ""

    def people(logins: list[str]) -> bool:
        return any(x.lower() != author.lower() for x in logins if x)

    commits = forge.policy.call(f"{what}: commits", lambda: list(pull.get_commits()))
    pushed = any((c.commit.author.email or "").lower() != FIXBOT_EMAIL for c in commits)
    comments = forge.policy.call(f"{what}: comments",
                                 lambda: [c.user.login for c in pull.get_issue_comments()
                                          if c.user is not None])
    reviews = forge.policy.call(f"{what}: reviews", lambda: list(pull.get_reviews()))
    latest: dict[str, str] = {}
    for r in reviews:  # each reviewer's last verdict counts
        if r.user is not None and r.state in _REVIEW:
            latest[r.user.login.lower()] = r.state
    verdicts = set(latest.values())
    review = ("changes requested" if "CHANGES_REQUESTED" in verdicts else
              "approved" if "APPROVED" in verdicts else
              "commented" if verdicts else "none")
    sha = pull.head.sha
    ci = _ci(forge, repo, sha, what)
    mergeable = ("unknown" if pull.mergeable is None else
                 "mergeable" if pull.mergeable else "conflicting")
    created = pull.created_at if pull.created_at.tzinfo else pull.created_at.replace(tzinfo=UTC)
    return PrState(number, pull.html_url, pull.title or "", pull.body or "", author, created,
                   ci, mergeable, review, pushed,
                   people(comments) or people([r.user.login for r in reviews if r.user]))


def _ci(forge: Forge, repo: object, sha: str, what: str) -> str:
    from github.Repository import Repository

    assert isinstance(repo, Repository)
    commit = forge.policy.call(f"{what}: head commit", lambda: repo.get_commit(sha))
    combined = forge.policy.call(f"{what}: commit status", commit.get_combined_status)
    states = [s.state for s in combined.statuses]
    try:
        runs = forge.policy.call(f"{what}: check runs", lambda: list(commit.get_check_runs()))
    except ForgeError:
        runs = []  # GHES without checks, or no permission: the statuses alone tell
    for run in runs:
        if run.status != "completed":
            states.append("pending")
        elif run.conclusion in ("failure", "timed_out", "cancelled", "action_required"):
            states.append("failure")
        else:
            states.append("success")
    if not states:
        return "none"
    if "failure" in states or "error" in states:
        return "failure"
    return "pending" if "pending" in states else "success"


# -- the dashboard issue --------------------------------------------------------------------------
@dataclass(frozen=True)
class IssueRef:
    number: int
    body: str


def find_issue(forge: Forge, full: str, marker: str) -> IssueRef | None:
    """fixbot's own issue in ``full`` whose body holds ``marker`` (open or closed), oldest first
    (so a duplicate left by a run that died never takes over)."""
    repo = forge._repo(full)
    me = forge.policy.call(f"{full}: who am I", lambda: _login(forge, full))

    def scan() -> list[IssueRef]:
        found = []
        for i in repo.get_issues(state="all"):
            mine = not me or (i.user is not None and i.user.login.lower() == me.lower())
            if i.pull_request is None and mine and marker in (i.body or ""):
                found.append(IssueRef(i.number, i.body or ""))
        return sorted(found, key=lambda x: x.number)

    hits = forge.policy.call(f"{full}: list issues", scan)
    return hits[0] if hits else None


def _login(forge: Forge, full: str) -> str:
    gh = forge._gh(*split_full_name(full))
    try:
        return str(gh.get_user().login)
    except GithubException as e:  # an installation token cannot read /user: use the app's bot
        if e.status not in (401, 403):
            raise
        return ""


def create_issue(forge: Forge, full: str, title: str, body: str, marker: str) -> int:
    repo = forge._repo(full)

    def post() -> int:
        return int(repo.create_issue(title=title, body=body).number)

    def created() -> int | None:  # a failed attempt may have created it: look for the marker
        found = find_issue(forge, full, marker)
        return found.number if found else None

    return forge.policy.create(f"{full}: create issue", post, created)


def edit_issue(forge: Forge, full: str, number: int, body: str) -> None:
    repo = forge._repo(full)
    issue = forge.policy.call(f"{full}: get issue #{number}", lambda: repo.get_issue(number))
    forge.policy.call(f"{full}: edit issue #{number}", lambda: issue.edit(body=body))
