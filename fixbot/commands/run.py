"""``fixbot run REPO``: fix one repository and open or update its pull request.

REPO is ``owner/name`` on the forge, or a local path / git URL (local mode: clone, branch and
commit locally, print the pull request's title and body, push nothing). All lifecycle state
lives on the forge (the branch, the pull request and the fingerprint marker in its body).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fixbot import action_fetch, engine, files, gitops, pr, report
from fixbot.action_source import Metadata
from fixbot.commands.fix import add_action_cache, add_selection, write_fixed
from fixbot.errors import FixbotError, InputError, UsageError
from fixbot.exitcodes import EXIT_FAILED, EXIT_OK
from fixbot.forge import Forge, PullInfo
from fixbot.redact import strip_userinfo
from fixbot.types import FileResult, Transform
from fixbot.workflow import RepoContext

_FULL_NAME = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
HUMAN_MARKER = "<!-- fixbot:human-commits -->"
LANDED_MARKER = "<!-- fixbot:landed -->"
# The second hidden marker, on the line right before the fingerprint marker (which stays the
# body's last line): the key of each change in the PR (engine.change_key), so that a person
# closing the PR declines each of its changes.
CHANGES_PREFIX = "<!-- fixbot:changes="
_CHANGES_RE = re.compile(r"<!-- fixbot:changes=([0-9a-f]{12}(?:,[0-9a-f]{12})*)? -->\n\Z")
GITHUB_BODY_LIMIT = 65_536
log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What happened to one repository (rendered as the JSON contract's per-repo object)."""

    repo: str
    status: str  # pr-opened|pr-updated|up-to-date|no-changes|declined|skipped|error
    pr: PullInfo | None = None
    reason: str | None = None
    files: list[FileResult] = field(default_factory=list)
    title: str | None = None  # the PR title and body fixbot wants (None when nothing changes)
    body: str | None = None
    comment: str | None = None  # the follow-up comment for what did not fit in the body

    def as_json(self) -> dict[str, Any]:
        return {"repo": self.repo, "status": self.status,
                "pr": {"number": self.pr.number, "url": self.pr.url} if self.pr else None,
                "reason": self.reason, "files": [report.file_json(r) for r in self.files]}


def register(sub: Any) -> None:
    p = sub.add_parser("run", help="fix one repository and open or update its pull request")
    p.add_argument("repo", metavar="REPO", help="owner/name on the forge, or a local path or git "
                   "URL (local mode: commit in a clone, push nothing)")
    p.add_argument("--github-url", metavar="URL",
                   help="REST API URL (default: $GITHUB_API_URL, else https://api.github.com)")
    p.add_argument("--dry-run", action="store_true",
                   help="clone and compute, read the pull request state, change nothing")
    add_selection(p)
    add_action_cache(p)
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(func=run)


def is_forge_name(target: str) -> bool:
    """``owner/name`` on the forge: not an existing path, and not written as one (an owner
    never starts with ``.``, so ``./x`` and ``../x`` are paths even where they do not exist)."""
    return (bool(_FULL_NAME.match(target)) and not target.startswith(".")
            and not Path(target).exists())


def is_local_path(target: str) -> bool:
    """A path on this machine, not ``owner/name`` or a git URL (``scheme://...``,
    ``host:path``). Local mode on a path never reaches the network."""
    if is_forge_name(target) or "://" in target:
        return False
    return ":" not in target.split("/", 1)[0] or Path(target).exists()


def run(args: argparse.Namespace) -> int:
    from fixbot import forge as forge_mod
    from fixbot.transforms import select

    transforms = select(args.only, args.skip)
    if is_forge_name(args.repo):
        url = forge_mod.api_url(args.github_url)
        forge = Forge(url, forge_mod.from_env())
        actions = action_fetch.for_run(args.action_cache, forge)
        outcome = run_repo(forge, args.repo, transforms, dry_run=args.dry_run, actions=actions)
    else:
        if is_local_path(args.repo) and not Path(args.repo).exists():
            raise UsageError(f"{args.repo}: no such file or directory (REPO is owner/name on the "
                             "forge, a local repository or a git URL)")
        actions = action_fetch.for_run(args.action_cache, None)
        outcome = run_local(args.repo, transforms, dry_run=args.dry_run, actions=actions)
    emit(outcome, args.format, show_body=args.dry_run or not is_forge_name(args.repo),
         quiet=bool(getattr(args, "quiet", 0)), dry_run=args.dry_run)
    failed = outcome.status == "error" or any(r.status == "error" for r in outcome.files)
    return EXIT_FAILED if failed else EXIT_OK


UNCHANGING = ("up-to-date", "declined", "skipped")  # statuses under which this run changed nothing


def emit(o: Outcome, fmt: str, show_body: bool, quiet: bool = False,
         dry_run: bool = False) -> None:
    """Text: the status line, the reason, the files (``quiet``: the status line only), and the
    PR title and body when ``show_body``. JSON: the per-repository object alone."""
    if o.status == "error":
        print(f"fixbot: {o.reason}", file=sys.stderr)
    if fmt == "json":
        sys.stdout.write(json.dumps(o.as_json(), indent=2, ensure_ascii=False) + "\n")
        return
    line = f"{o.repo}: {o.status}"
    if o.pr:
        line += f": #{o.pr.number} {o.pr.url}"
    if quiet:
        sys.stdout.write(line + "\n")
        return
    out = [line] + ([f"  {o.reason}"] if o.reason else [])
    if o.files:
        out += ["  " + ln for ln in files_text(o, dry_run).splitlines()]
    if show_body and o.title and o.body is not None:
        out += ["", o.title, "", o.body.rstrip("\n")]
        if o.comment:
            out += ["", "--- follow-up comment ---", "", o.comment.rstrip("\n")]
    sys.stdout.write("\n".join(out) + "\n")


Declines = Callable[[list[FileResult]], Mapping[str, engine.Declined]]


def files_text(o: Outcome, dry_run: bool) -> str:
    """``fix``'s per-file text for this outcome, with the verb the JSON's ``changed`` means here:
    ``changed`` when this run committed the changes, else ``would change``. A status under which
    nothing changed lists only the files in error, then the summary line."""
    verb = "would change" if dry_run or o.status in UNCHANGING else "changed"
    lines = report.fix_text(o.files, verb).splitlines()
    if o.status in UNCHANGING:
        errors = [r for r in o.files if r.status == "error"]
        lines = report.fix_text(errors, verb).splitlines()[:-1] + lines[-1:]
    return "\n".join(lines) + "\n"


def analyze(checkout: gitops.Checkout, transforms: Sequence[Transform], name: str = "",
            actions: Metadata | None = None, declined: Declines | None = None
            ) -> list[FileResult]:
    """Run the transforms over the checkout's workflows and write the changed files.

    The metadata of the remote actions the knowledge base does not know is looked up first,
    so that the transforms find it memoised. ``declined``, given the results, names the
    changes people declined; when it names any, the workflows are processed again without
    them (and what relies on them) before anything is written."""
    actions = actions or Metadata()
    ctx = RepoContext(checkout.read_text, actions=actions)
    targets = files.discover([str(checkout.path)])
    if actions.source is not None:
        asked = action_fetch.prefetch(actions, _texts(targets))
        log.debug("%s: looked up the metadata of %d action reference(s)", name, asked)
    results = [engine.process_target(t, transforms, ctx) for t in targets]
    gone = declined(results) if declined is not None and pr.changed(results) else {}
    if gone:
        log.info("%s: leaving out %d change(s) people declined", name, len(gone))
        results = [engine.process_target(t, transforms, ctx, gone) for t in targets]
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


def _paths(results: list[FileResult]) -> list[str]:
    return [r.path for r in pr.changed(results)]


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


def body(results: list[FileResult], chosen: list[str]) -> str:
    """The PR body (:func:`pr.body`) with the changes marker on the line before its fingerprint
    marker. Left out (so that only the whole change set can be declined) where the body would
    pass GitHub's limit."""
    text = pr.body(results, chosen)
    marker = f"{CHANGES_PREFIX}{','.join(change_keys(results))} -->\n"
    at = text.rfind(pr.MARKER_PREFIX)
    if at < 0 or len(text) + len(marker) > GITHUB_BODY_LIMIT:
        return text
    return text[:at] + marker + text[at:]


class DeclinedChanges:
    """The changes of a run that people declined (``analyze``'s ``declined``): each change of
    a fixbot pull request a person closed unmerged, newest pull request first. A pull request
    from before the changes marker counts when its change-set fingerprint is this run's. One
    that fixbot closed itself (its author closed it) never counts. Keeps the pull requests it
    read, so that the run asks for them once."""

    def __init__(self, forge: Forge, full: str) -> None:
        self.forge, self.full = forge, full
        self.pulls: list[PullInfo] | None = None
        self.found: dict[str, engine.Declined] = {}

    def __call__(self, results: list[FileResult]) -> dict[str, engine.Declined]:
        self.pulls = self.forge.pulls(self.full, pr.BRANCH)
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


def run_local(source: str, transforms: Sequence[Transform], dry_run: bool = False,
              workdir: Path | None = None, actions: Metadata | None = None) -> Outcome:
    """Clone a local path or git URL, commit the fixes on fixbot's branch there, push nothing.
    ``actions``: where remote actions' metadata comes from (default: nowhere)."""
    name = strip_userinfo(source.rstrip("/").removesuffix(".git"))
    partial = "://" in source and not source.startswith("file://")
    offline = is_local_path(source) or source.startswith("file://")
    if is_local_path(source):
        problem = gitops.local_problem(source)
        if problem is not None:
            return Outcome(name, problem.status, reason=problem.reason)
    dest = Path(workdir or tempfile.mkdtemp(prefix="fixbot-run-")) / "repo"
    try:
        log.info("%s: cloning into %s", name, dest)
        checkout = gitops.clone(source, dest, None, partial=partial, offline=offline)
        results = analyze(checkout, transforms, name, actions)
    except FixbotError as e:
        shutil.rmtree(dest.parent if workdir is None else dest, ignore_errors=True)
        return Outcome(name, "error", reason=strip_userinfo(str(e)))
    except KeyboardInterrupt:
        shutil.rmtree(dest.parent if workdir is None else dest, ignore_errors=True)
        raise KeyboardInterrupt(f"{name}: nothing committed; the temporary clone is "
                                "removed") from None
    if not pr.changed(results):
        none = None if results else _no_workflows(checkout)
        shutil.rmtree(dest.parent if workdir is None else dest, ignore_errors=True)
        return Outcome(name, "no-changes", files=results, reason=none)
    o = Outcome(name, "pr-opened", files=results, title=pr.title(results),
                body=body(results, selection(transforms)))
    o.comment = pr.follow_up(results, selection(transforms))
    if dry_run:
        shutil.rmtree(dest.parent if workdir is None else dest, ignore_errors=True)
        o.reason = "dry run: nothing committed"
        return o
    checkout.start_branch(pr.BRANCH)
    checkout.commit(_paths(results), pr.commit_message(results))
    o.reason = f"local mode: committed on branch {pr.BRANCH} in {dest}; nothing pushed"
    return o


def _no_workflows(checkout: gitops.Checkout) -> str:
    """Why a clone holds no workflow file, said plainly."""
    if (checkout.path / files.WORKFLOW_DIR).is_dir():
        return f"no workflow files (*.yml, *.yaml) in {files.WORKFLOW_DIR}/: nothing to fix"
    return f"no {files.WORKFLOW_DIR}/ directory: nothing to fix"


def run_repo(forge: Forge, full: str, transforms: Sequence[Transform], dry_run: bool = False,
             workdir: Path | None = None, actions: Metadata | None = None) -> Outcome:
    """The whole lifecycle for one forge repository; errors become an ``error`` outcome.

    ``actions``: where remote actions' metadata comes from; by default the forge's own, one
    :class:`Metadata` per ``forge`` object, so a process running many repositories on it asks
    for each action and ref once."""
    tmp = None if workdir else tempfile.TemporaryDirectory(prefix="fixbot-run-")
    root = Path(workdir or tmp.name)  # type: ignore[union-attr]
    try:
        actions = actions or action_fetch.for_forge(forge)
        return _run_repo(forge, full, transforms, dry_run, root / "repo", actions)
    except FixbotError as e:
        return Outcome(full, "error", reason=strip_userinfo(str(e)))
    finally:
        if tmp is not None:
            tmp.cleanup()


def _run_repo(forge: Forge, full: str, transforms: Sequence[Transform], dry_run: bool,
              dest: Path, actions: Metadata) -> Outcome:
    info = forge.repo(full)
    if info.archived or info.disabled:
        return Outcome(full, "skipped", reason="repository is archived" if info.archived
                       else "repository is disabled")
    log.info("%s: cloning %s (branch %s)", full, strip_userinfo(info.clone_url), info.default_branch)
    checkout = gitops.clone(info.clone_url, dest, forge.git_token(full),
                            branch=info.default_branch)
    base = checkout.head
    declined = DeclinedChanges(forge, full)
    results = analyze(checkout, transforms, full, actions, declined)
    chosen = selection(transforms)
    remote = checkout.remote_tip(pr.BRANCH)
    tip = checkout.fetch_tip(pr.BRANCH) if remote else None
    if not pr.changed(results):
        if declined.found and not any(p.state == "open" for p in declined.pulls or []):
            return declined.outcome(full, results)
        if remote is None or tip is None:
            return Outcome(full, "no-changes", files=results)
        return _landed(forge, full, checkout, tip, results, dry_run, chosen, declined.pulls)
    o = Outcome(full, "pr-opened", files=results, title=pr.title(results),
                body=body(results, chosen))
    o.comment = pr.follow_up(results, chosen)
    fp = pr.fingerprint(results)
    pulls = declined.pulls if declined.pulls is not None else forge.pulls(full, pr.BRANCH)
    open_pr = next((p for p in pulls if p.state == "open"), None)
    if tip is not None and not tip.by_fixbot_only:
        return _human_commits(forge, full, o, open_pr, dry_run)
    checkout.start_branch(pr.BRANCH)
    new = checkout.commit(_paths(results), pr.commit_message(results))
    o.pr = open_pr
    same = bool(open_pr and tip and tip.parents == (base,) and tip.tree == new.tree)
    if open_pr and same and open_pr.title == o.title and open_pr.body == o.body:
        o.status = "up-to-date"
        return o
    held = _held(open_pr, results, chosen) if open_pr else None
    if open_pr and held:
        o.status, o.reason = "skipped", f"#{open_pr.number} is left as it is: {held}"
        return _dry(o, dry_run)
    if open_pr and same:
        o.status, o.reason = "pr-updated", "refreshed the title and description"
        if not dry_run:
            log.info("%s: updating the title and description of #%d", full, open_pr.number)
            forge.edit_pull(full, open_pr.number, title=o.title, body=o.body)
            _follow_up(forge, full, open_pr.number, o)
        return _dry(o, dry_run)
    if open_pr:
        o.status = "pr-updated"
        o.reason = ("rebased onto the new base" if pr.fingerprint_of(open_pr.body) == fp
                    else "updated with new changes")
    if dry_run:
        return _dry(o, dry_run)
    log.info("%s: pushing %s", full, pr.BRANCH)
    checkout.push(pr.BRANCH, remote)
    if open_pr:
        if open_pr.title != o.title or open_pr.body != o.body:
            log.info("%s: updating #%d", full, open_pr.number)
            forge.edit_pull(full, open_pr.number, title=o.title, body=o.body)
            _follow_up(forge, full, open_pr.number, o)
    else:
        log.info("%s: opening a pull request", full)
        o.pr = forge.open_pull(full, info.default_branch, pr.BRANCH, o.title or "",
                               o.body or "", pr.LABEL)
        _follow_up(forge, full, o.pr.number, o, new=True)
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
        paths = ", ".join(r.path for r in errors)
        return (f"{len(errors)} workflow file(s) could not be processed ({paths}), so its "
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


def _human_commits(forge: Forge, full: str, o: Outcome, open_pr: PullInfo | None,
                   dry_run: bool) -> Outcome:
    o.status, o.pr = "skipped", open_pr
    o.reason = (f"a person pushed commits onto {pr.BRANCH}; fixbot does not overwrite them")
    if open_pr and not dry_run and not forge.has_comment(full, open_pr.number, HUMAN_MARKER):
        log.info("%s: commenting on #%d (a person's commits)", full, open_pr.number)
        forge.comment(full, open_pr.number, (
            "fixbot found commits by a person on this branch, so it will not update it any "
            "more: merge or close this pull request as you see fit. Delete the branch to let "
            f"fixbot propose its changes again.\n\n{HUMAN_MARKER}"), HUMAN_MARKER)
    return _dry(o, dry_run)


def _landed(forge: Forge, full: str, checkout: gitops.Checkout, tip: gitops.Tip,
            results: list[FileResult], dry_run: bool, chosen: list[str],
            pulls: list[PullInfo] | None = None) -> Outcome:
    """Nothing to change any more: close fixbot's open PR and delete its branch. ``pulls``:
    the pull requests from fixbot's branch, when this run has read them already."""
    pulls = pulls if pulls is not None else forge.pulls(full, pr.BRANCH)
    open_pr = next((p for p in pulls if p.state == "open"), None)
    if open_pr is None:
        return Outcome(full, "no-changes", files=results)
    if not tip.by_fixbot_only:
        o = Outcome(full, "skipped", open_pr, files=results,
                    reason=(f"nothing left to change, but a person pushed commits onto "
                            f"{pr.BRANCH}; #{open_pr.number} is left open"))
        return o
    held = _held(open_pr, results, chosen)
    if held:
        o = Outcome(full, "skipped", open_pr, files=results,
                    reason=f"nothing to change in this run, but #{open_pr.number} is left open: "
                           f"{held}")
        return _dry(o, dry_run)
    o = Outcome(full, "no-changes", open_pr, files=results,
                reason=(f"the changes are already on the base branch: closed #{open_pr.number} "
                        f"and deleted {pr.BRANCH}"))
    if dry_run:
        return _dry(o, dry_run)
    log.info("%s: closing #%d and deleting %s (the changes landed)", full, open_pr.number,
             pr.BRANCH)
    if not forge.has_comment(full, open_pr.number, LANDED_MARKER):  # not again after a failed close
        forge.comment(full, open_pr.number, (
            "The base branch no longer needs these changes (they landed there some other way), "
            f"so fixbot closes this pull request and deletes its branch.\n\n{LANDED_MARKER}"),
            LANDED_MARKER)
    forge.edit_pull(full, open_pr.number, state="closed")
    checkout.delete_remote(pr.BRANCH, tip.sha)
    return o
