"""One pull request's life on the forge, for one lane (:mod:`fixbot.commands.lanes`): analyse,
write, then open, update, leave, close or decline it from what is on the forge (its branch, its
pull requests and the hidden markers in their bodies).

Every step that names a branch takes the lane's; the text of the pull request comes from the
lane (:class:`Proposal`), so the same rules hold for the hardening pull request and the one
that moves credentials into secrets.
"""

from __future__ import annotations

import fnmatch
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fixbot import action_fetch, engine, file_edits, files, gitops, pr, report
from fixbot.action_source import Metadata
from fixbot.commands.fix import write_fixed
from fixbot.errors import InputError
from fixbot.forge import Forge, PullInfo
from fixbot.types import Change, FileResult, Transform
from fixbot.workflow import RepoContext

HUMAN_MARKER = "<!-- fixbot:human-commits -->"
LANDED_MARKER = "<!-- fixbot:landed -->"
# The second hidden marker, on the line right before the fingerprint marker (which stays the
# body's last line): the key of each change in the PR (engine.change_key), so that a person
# closing the PR declines each of its changes.
CHANGES_PREFIX = "<!-- fixbot:changes="
_CHANGES_RE = re.compile(r"<!-- fixbot:changes=([0-9a-f]{12}(?:,[0-9a-f]{12})*)? -->\n\Z")
GITHUB_BODY_LIMIT = 65_536
CAPPED = ("cap on new pull requests reached (--max-new-prs or max-open-prs): none opened in "
          "this sweep")
log = logging.getLogger("fixbot.commands.run")


@dataclass
class Outcome:
    """What happened to one repository (rendered as the JSON contract's per-repo object), or
    to one lane of it: ``secrets`` is the outcome of the pull request that moves credentials
    into secrets (None when that lane has nothing), ``missing`` its secrets not seen yet."""

    repo: str
    status: str  # pr-opened|pr-updated|up-to-date|no-changes|declined|skipped|error
    pr: PullInfo | None = None
    reason: str | None = None
    files: list[FileResult] = field(default_factory=list)
    title: str | None = None  # the PR title and body fixbot wants (None when nothing changes)
    body: str | None = None
    comment: str | None = None  # the follow-up comment for what did not fit in the body
    missing: list[str] = field(default_factory=list)
    secrets: Outcome | None = None

    def as_json(self) -> dict[str, Any]:
        return {"repo": self.repo, "status": self.status, "pr": self._pr(),
                "reason": self.reason, "files": [report.file_json(r) for r in self.files],
                "secrets": self.secrets.lane_json() if self.secrets else None}

    def lane_json(self) -> dict[str, Any]:
        """The ``secrets`` object of the JSON contract."""
        return {"status": self.status, "pr": self._pr(), "reason": self.reason,
                "missing": list(self.missing)}

    def _pr(self) -> dict[str, Any] | None:
        return {"number": self.pr.number, "url": self.pr.url} if self.pr else None

    @property
    def failed(self) -> bool:
        """An error outcome, or a file in error, in this lane or the other."""
        return (self.status == "error" or any(r.status == "error" for r in self.files)
                or (self.secrets is not None and self.secrets.failed))


@dataclass(frozen=True)
class Proposal:
    """A lane's pull request text for a change set."""

    title: str
    body: str
    comment: str | None
    subject: str  # the commit subject
    note: str | None = None  # said in the outcome's reason (e.g. a secret not created)


Propose = Callable[[list[FileResult]], Proposal]
Declines = Callable[[list[FileResult]], Mapping[str, engine.Declined]]


def analyze(checkout: gitops.Checkout, transforms: Sequence[Transform], name: str = "",
            actions: Metadata | None = None, declined: Declines | None = None,
            keep: Callable[[Change], bool] | None = None,
            ignore: Sequence[str] = ()) -> list[FileResult]:
    """Run the transforms over the checkout's workflows and write the changed files (and the
    other files their changes carry: :mod:`fixbot.file_edits`).

    The metadata of the remote actions the knowledge base does not know is looked up first,
    so that the transforms find it memoised. ``declined``, given the results, names the
    changes people declined; when it names any, the workflows are processed again without
    them (and what relies on them) before anything is written. ``keep`` keeps one lane's
    changes (:func:`engine.process`). ``ignore``: globs of workflow paths (repository-relative)
    left alone (``ignore-paths`` of ``.github/fixbot.yml``)."""
    actions = actions or Metadata()
    targets = [t for t in files.discover([str(checkout.path)])
               if not any(fnmatch.fnmatchcase(t.repo_path, g) for g in ignore)]
    ctx = RepoContext(checkout.read_text, actions=actions,
                      workflows=tuple(sorted(t.repo_path for t in targets)))
    if actions.source is not None:
        asked = action_fetch.prefetch(actions, _texts(targets))
        log.debug("%s: looked up the metadata of %d action reference(s)", name, asked)
    results = [engine.process_target(t, transforms, ctx, None, keep) for t in targets]
    gone = declined(results) if declined is not None and pr.changed(results) else {}
    if gone:
        log.info("%s: leaving out %d change(s) people declined", name, len(gone))
        results = [engine.process_target(t, transforms, ctx, gone, keep) for t in targets]
    checkout.materialize(file_edits.paths(results))  # outside the sparse checkout
    results = write_fixed(targets, results)
    s = report.summary(results)
    log.info("%s: %d workflow file(s): %d changed, %d unchanged, %d error(s)", name, s["files"],
             s["changed"], s["unchanged"], s["errors"])
    return results


def _texts(targets: list[files.Target]) -> list[str]:
    out = []
    for t in targets:
        try:
            out.append(files.read_workflow(t))
        except InputError:
            continue  # reported by the engine
    return out


def paths(results: list[FileResult]) -> list[str]:
    """What the commit holds: the changed workflows and the files their changes carry."""
    return [r.path for r in pr.changed(results)] + file_edits.paths(pr.changed(results))


def change_keys(results: list[FileResult]) -> list[str]:
    """The keys of the changes of ``results`` (:func:`engine.change_key`), sorted, once each."""
    return sorted({engine.change_key(r.path, c) for r in pr.changed(results) for c in r.changes})


def keys_of(body: str | None) -> frozenset[str] | None:
    """The change keys recorded in a PR body, or None where there are none (a PR opened before
    they were recorded). Only the line right before fixbot's fingerprint marker (the body's
    last) counts: a marker-shaped line in the workflow text the body quotes is not there."""
    text = body or ""
    at = text.rfind(pr.MARKER_PREFIX)
    found = _CHANGES_RE.search(text, 0, at) if at >= 0 else None
    if found is None:
        return None
    return frozenset(k for k in (found.group(1) or "").split(",") if k)


def body(results: list[FileResult], chosen: list[str], todo: pr.Checklist | None = None) -> str:
    """The PR body (:func:`pr.body`) with the changes marker on the line before its fingerprint
    marker. Left out (so that only the whole change set can be declined) where the body would
    pass GitHub's limit."""
    text = pr.body(results, chosen, todo)
    marker = f"{CHANGES_PREFIX}{','.join(change_keys(results))} -->\n"
    at = text.rfind(pr.MARKER_PREFIX)
    if at < 0 or len(text) + len(marker) > GITHUB_BODY_LIMIT:
        return text
    return text[:at] + marker + text[at:]


class DeclinedChanges:
    """The changes of a run that people declined (``analyze``'s ``declined``): each change of
    a fixbot pull request from ``branch`` a person closed unmerged, newest pull request first.
    A pull request from before the changes marker counts when its change-set fingerprint is
    this run's. One that fixbot closed itself (its author closed it) never counts. Keeps the
    pull requests it read, so that the run asks for them once."""

    def __init__(self, forge: Forge, full: str, branch: str = pr.BRANCH) -> None:
        self.forge, self.full, self.branch = forge, full, branch
        self.pulls: list[PullInfo] | None = None
        self.found: dict[str, engine.Declined] = {}

    def __call__(self, results: list[FileResult]) -> dict[str, engine.Declined]:
        self.pulls = self.forge.pulls(self.full, self.branch)
        keys = set(change_keys(results))
        fp = pr.fingerprint(results)
        for p in self.pulls:
            if p.state != "closed" or p.merged:
                continue
            recorded = keys_of(p.body)
            if recorded is None:
                recorded = frozenset(keys) if pr.fingerprint_of(p.body) == fp else frozenset()
            hits = (keys & recorded) - self.found.keys()
            if hits and self.by_a_person(p):
                self.found.update(dict.fromkeys(sorted(hits), engine.Declined(p.number, p.url)))
        return self.found

    def by_a_person(self, p: PullInfo) -> bool:
        """Whether a person closed ``p``: anyone but the account that opened it (fixbot's own),
        or an unknown closer (the forge closed it on someone's action, e.g. a deleted branch)."""
        closer = self.forge.closed_by(self.full, p.number)
        return closer is None or not p.author or closer.lower() != p.author.lower()

    def outcome(self, full: str, results: list[FileResult]) -> Outcome:
        """Every change of this run was declined: nothing is proposed again."""
        numbers = sorted({d.number for d in self.found.values()}, reverse=True)
        newest = next(p for p in self.pulls or [] if p.number == numbers[0])
        if len(numbers) == 1:
            reason = f"a person closed #{newest.number} with the same changes; it is not reopened"
        else:
            reason = (f"people closed {', '.join(f'#{n}' for n in numbers)} with these changes; "
                      "they are not proposed again")
        return Outcome(full, "declined", newest, reason, files=results)


def selection(transforms: Sequence[Transform]) -> list[str]:
    """The ids of the selected transforms, sorted (as recorded in the PR marker)."""
    return sorted(t.ID for t in transforms)


@dataclass
class Repo:
    """One forge repository being run: its clone at ``base`` (the default branch's tip)."""

    forge: Forge
    full: str
    default_branch: str
    checkout: gitops.Checkout
    base: str
    transforms: Sequence[Transform]
    actions: Metadata
    dry_run: bool
    # set by a sweep (.github/fixbot.yml and --max-new-prs): workflow globs left alone, labels
    # added beside `fixbot`, and a gate asked before a new pull request is opened
    ignore: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    may_open: Callable[[], bool] | None = None
    reviewers: tuple[str, ...] = ()

    @property
    def chosen(self) -> list[str]:
        return selection(self.transforms)


def lifecycle(r: Repo, branch: str, keep: Callable[[Change], bool] | None,
              propose: Propose) -> Outcome:
    """The whole life of the pull request from ``branch`` holding the changes ``keep``
    accepts, starting from the work tree at the base."""
    forge, full, checkout, dry_run, chosen = r.forge, r.full, r.checkout, r.dry_run, r.chosen
    declined = DeclinedChanges(forge, full, branch)
    results = analyze(checkout, r.transforms, full, r.actions, declined, keep, r.ignore)
    remote = checkout.remote_tip(branch)
    tip = checkout.fetch_tip(branch) if remote else None
    if not pr.changed(results):
        if declined.found and not any(p.state == "open" for p in declined.pulls or []):
            return declined.outcome(full, results)
        if remote is None or tip is None:
            return Outcome(full, "no-changes", files=results)
        return _landed(r, branch, tip, results, declined.pulls)
    p = propose(results)
    o = Outcome(full, "pr-opened", files=results, title=p.title, body=p.body, comment=p.comment)
    fp = pr.fingerprint(results)
    pulls = declined.pulls if declined.pulls is not None else forge.pulls(full, branch)
    open_pr = next((p for p in pulls if p.state == "open"), None)
    if tip is not None and not tip.by_fixbot_only:
        return _noted(_human_commits(forge, full, branch, o, open_pr, dry_run), p)
    checkout.start_branch(branch)
    new = checkout.commit(paths(results), pr.commit_message(results, p.subject))
    o.pr = open_pr
    same = bool(open_pr and tip and tip.parents == (r.base,) and tip.tree == new.tree)
    if open_pr and same and open_pr.title == o.title and open_pr.body == o.body:
        o.status = "up-to-date"
        return _noted(o, p)
    held = _held(open_pr, results, chosen) if open_pr else None
    if open_pr and held:
        o.status, o.reason = "skipped", f"#{open_pr.number} is left as it is: {held}"
        return _noted(_dry(o, dry_run), p)
    if open_pr and same:
        o.status, o.reason = "pr-updated", "refreshed the title and description"
        if not dry_run:
            log.info("%s: updating the title and description of #%d", full, open_pr.number)
            forge.edit_pull(full, open_pr.number, title=o.title, body=o.body)
            _follow_up(forge, full, open_pr.number, o)
        return _noted(_dry(o, dry_run), p)
    if open_pr:
        o.status = "pr-updated"
        o.reason = ("rebased onto the new base" if pr.fingerprint_of(open_pr.body) == fp
                    else "updated with new changes")
    if dry_run:
        return _noted(_dry(o, dry_run), p)
    if open_pr is None and r.may_open is not None and not r.may_open():
        o.status, o.reason = "skipped", CAPPED
        return _noted(o, p)
    log.info("%s: pushing %s", full, branch)
    checkout.push(branch, remote)
    if open_pr:
        if open_pr.title != o.title or open_pr.body != o.body:
            log.info("%s: updating #%d", full, open_pr.number)
            forge.edit_pull(full, open_pr.number, title=o.title, body=o.body)
            _follow_up(forge, full, open_pr.number, o)
    else:
        log.info("%s: opening a pull request%s", full,
                 "" if branch == pr.BRANCH else f" from {branch}")
        o.pr = forge.open_pull(full, r.default_branch, branch, o.title or "", o.body or "",
                               pr.LABEL, r.labels, r.reviewers)
        _follow_up(forge, full, o.pr.number, o, new=True)
    return _noted(o, p)


def _noted(o: Outcome, p: Proposal) -> Outcome:
    """The outcome, with the proposal's note added to its reason."""
    if p.note:
        o.reason = f"{o.reason}; {p.note}" if o.reason else p.note
    return o


def _follow_up(forge: Forge, full: str, number: int, o: Outcome, new: bool = False) -> None:
    """Post what did not fit in the body (``o.comment``) as a comment, once per change set:
    its marker holds the fingerprint, so a rerun with the same changes posts nothing."""
    if o.comment is None:
        return
    mark = pr.details_marker(pr.fingerprint(o.files))
    if new or not forge.has_comment(full, number, mark):
        log.info("%s: commenting on #%d (what did not fit in the description)", full, number)
        forge.comment(full, number, o.comment, mark)


def _held(open_pr: PullInfo, results: list[FileResult], chosen: list[str]) -> str | None:
    """Why fixbot's open PR must not be overwritten or closed by this run, or None.

    A file that could not be processed, or where a transform failed, may hold changes the PR
    carries (this run's version of it lacks them: they would be lost), and a run with another
    transform selection (``--only``/``--skip``) does not see the changes of the transforms it
    left out."""
    recorded = pr.selection_of(open_pr.body)
    if recorded is None and set(chosen) != set(_all_ids()):
        recorded_text = "an unrecorded transform selection"
    elif recorded is not None and recorded != set(chosen):
        recorded_text = f"transforms {', '.join(sorted(recorded)) or '(none)'}"
    else:
        recorded_text = ""
    if recorded_text:
        return (f"it was made with {recorded_text}, and this run selected "
                f"{', '.join(chosen) or '(none)'}; rerun with the same --only/--skip to update it")
    errors = [r for r in results if r.status == "error"]
    if errors:
        shown = ", ".join(r.path for r in errors)
        return (f"{len(errors)} workflow file(s) could not be processed ({shown}), so its "
                "changes to them would be lost; fix the file(s) and rerun")
    partial = [r for r in results if r.failed]
    if partial:
        what = "; ".join(f"{r.path}: {', '.join(o.transform for o in r.failed)}" for r in partial)
        return (f"a transform failed on {len(partial)} workflow file(s) ({what}), so its "
                "changes to them would be lost; see the file's notes, fix the cause and rerun")
    return None


def _all_ids() -> list[str]:
    from fixbot.transforms import REGISTRY

    return list(REGISTRY)


def _dry(o: Outcome, dry_run: bool) -> Outcome:
    if dry_run:
        o.reason = f"dry run: would be {o.status}" + (f" ({o.reason})" if o.reason else "")
    return o


def _human_commits(forge: Forge, full: str, branch: str, o: Outcome, open_pr: PullInfo | None,
                   dry_run: bool) -> Outcome:
    o.status, o.pr = "skipped", open_pr
    o.reason = (f"a person pushed commits onto {branch}; fixbot does not overwrite them")
    if open_pr and not dry_run and not forge.has_comment(full, open_pr.number, HUMAN_MARKER):
        log.info("%s: commenting on #%d (a person's commits)", full, open_pr.number)
        forge.comment(full, open_pr.number, (
            "fixbot found commits by a person on this branch, so it will not update it any "
            "more: merge or close this pull request as you see fit. Delete the branch to let "
            f"fixbot propose its changes again.\n\n{HUMAN_MARKER}"), HUMAN_MARKER)
    return _dry(o, dry_run)


def _landed(r: Repo, branch: str, tip: gitops.Tip, results: list[FileResult],
            pulls: list[PullInfo] | None = None) -> Outcome:
    """Nothing to change any more: close fixbot's open PR and delete its branch. ``pulls``:
    the pull requests from fixbot's branch, when this run has read them already."""
    forge, full, dry_run = r.forge, r.full, r.dry_run
    pulls = pulls if pulls is not None else forge.pulls(full, branch)
    open_pr = next((p for p in pulls if p.state == "open"), None)
    if open_pr is None:
        return Outcome(full, "no-changes", files=results)
    if not tip.by_fixbot_only:
        return Outcome(full, "skipped", open_pr, files=results,
                       reason=(f"nothing left to change, but a person pushed commits onto "
                               f"{branch}; #{open_pr.number} is left open"))
    held = _held(open_pr, results, r.chosen)
    if held:
        o = Outcome(full, "skipped", open_pr, files=results,
                    reason=f"nothing to change in this run, but #{open_pr.number} is left open: "
                           f"{held}")
        return _dry(o, dry_run)
    o = Outcome(full, "no-changes", open_pr, files=results,
                reason=(f"the changes are already on the base branch: closed #{open_pr.number} "
                        f"and deleted {branch}"))
    if dry_run:
        return _dry(o, dry_run)
    log.info("%s: closing #%d and deleting %s (the changes landed)", full, open_pr.number,
             branch)
    if not forge.has_comment(full, open_pr.number, LANDED_MARKER):  # not again after a failed close
        forge.comment(full, open_pr.number, (
            "The base branch no longer needs these changes (they landed there some other way), "
            f"so fixbot closes this pull request and deletes its branch.\n\n{LANDED_MARKER}"),
            LANDED_MARKER)
    forge.edit_pull(full, open_pr.number, state="closed")
    r.checkout.delete_remote(branch, tip.sha)
    return o
