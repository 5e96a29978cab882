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
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fixbot import action_fetch, files, gitops, report
from fixbot.action_source import Metadata
from fixbot.commands import lanes
from fixbot.commands.fix import add_action_cache, add_github_url, add_selection
from fixbot.commands.lifecycle import (  # also the names tests and demo import from here
    CHANGES_PREFIX,
    HUMAN_MARKER,
    LANDED_MARKER,
    DeclinedChanges,
    Outcome,
    Repo,
    analyze,
    body,
    change_keys,
    keys_of,
    selection,
)
from fixbot.errors import FixbotError, UsageError
from fixbot.exitcodes import EXIT_FAILED, EXIT_OK
from fixbot.forge import Forge
from fixbot.redact import strip_userinfo
from fixbot.types import Transform
from fixbot.workflow import set_forge

__all__ = ["CHANGES_PREFIX", "HUMAN_MARKER", "LANDED_MARKER", "DeclinedChanges", "Outcome",
           "analyze", "body", "change_keys", "emit", "keys_of", "register", "run",
           "run_local", "run_repo", "selection"]
_FULL_NAME = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
log = logging.getLogger(__name__)


def register(sub: Any) -> None:
    p = sub.add_parser("run", help="fix one repository and open or update its pull request")
    p.add_argument("repo", metavar="REPO", help="owner/name on the forge, or a local path or git "
                   "URL (local mode: commit in a clone, push nothing)")
    add_github_url(p)
    p.add_argument("--dry-run", action="store_true",
                   help="clone and compute, read the pull request state, change nothing")
    add_selection(p)
    p.add_argument("--create-secrets", action="store_true",
                   help="store each credential moved into a secret that does not exist yet as "
                        "that secret (needs a token allowed to manage secrets)")
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
        set_forge(url)
        forge = Forge(url, forge_mod.from_env())
        actions = action_fetch.for_run(args.action_cache, forge)
        outcome = run_repo(forge, args.repo, transforms, dry_run=args.dry_run, actions=actions,
                           create_secrets=args.create_secrets)
    else:
        if args.create_secrets:
            raise UsageError("--create-secrets needs a repository on the forge (owner/name): "
                             "local mode has no secrets to create")
        if is_local_path(args.repo) and not Path(args.repo).exists():
            raise UsageError(f"{args.repo}: no such file or directory (REPO is owner/name on the "
                             "forge, a local repository or a git URL)")
        actions = action_fetch.for_run(args.action_cache, None)
        outcome = run_local(args.repo, transforms, dry_run=args.dry_run, actions=actions)
    emit(outcome, args.format, show_body=args.dry_run or not is_forge_name(args.repo),
         quiet=bool(getattr(args, "quiet", 0)), dry_run=args.dry_run)
    return EXIT_FAILED if outcome.failed else EXIT_OK


UNCHANGING = ("up-to-date", "declined", "skipped")  # statuses under which this run changed nothing


def emit(o: Outcome, fmt: str, show_body: bool, quiet: bool = False,
         dry_run: bool = False) -> None:
    """Text: per lane, the status line, the reason, the files (``quiet``: the status lines
    only), and the PR title and body when ``show_body``. JSON: the per-repository object."""
    for lane in (o, o.secrets):
        if lane is not None and lane.status == "error":
            print(f"fixbot: {lane.reason}", file=sys.stderr)
    if fmt == "json":
        sys.stdout.write(json.dumps(o.as_json(), indent=2, ensure_ascii=False) + "\n")
        return
    out = _lane_text(o, o.repo, show_body, quiet, dry_run)
    if o.secrets is not None:
        out += _lane_text(o.secrets, f"{o.repo} (secrets)", show_body, quiet, dry_run,
                          files_too=False)
    sys.stdout.write("\n".join(out) + "\n")


def _lane_text(o: Outcome, name: str, show_body: bool, quiet: bool, dry_run: bool,
               files_too: bool = True) -> list[str]:
    line = f"{name}: {o.status}"
    if o.pr:
        line += f": #{o.pr.number} {o.pr.url}"
    if quiet:
        return [line]
    out = [line] + ([f"  {o.reason}"] if o.reason else [])
    if o.missing:
        out.append(f"  secrets to create: {', '.join(o.missing)}")
    if o.files and (files_too or o.status not in UNCHANGING):
        out += ["  " + ln for ln in files_text(o, dry_run).splitlines()]
    if show_body and o.title and o.body is not None:
        out += ["", o.title, "", o.body.rstrip("\n")]
        if o.comment:
            out += ["", "--- follow-up comment ---", "", o.comment.rstrip("\n")]
    return out


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


def run_local(source: str, transforms: Sequence[Transform], dry_run: bool = False,
              workdir: Path | None = None, actions: Metadata | None = None) -> Outcome:
    """Clone a local path or git URL, commit the fixes on fixbot's branches there (one per
    lane: :func:`lanes.run_local`), push nothing. ``actions``: where remote actions' metadata
    comes from (default: nowhere)."""
    name = strip_userinfo(source.rstrip("/").removesuffix(".git"))
    partial = "://" in source and not source.startswith("file://")
    offline = is_local_path(source) or source.startswith("file://")
    if is_local_path(source):
        problem = gitops.local_problem(source)
        if problem is not None:
            return Outcome(name, problem.status, reason=problem.reason)
    dest = Path(workdir or tempfile.mkdtemp(prefix="fixbot-run-")) / "repo"

    def clean() -> None:
        shutil.rmtree(dest.parent if workdir is None else dest, ignore_errors=True)

    try:
        log.info("%s: cloning into %s", name, dest)
        checkout = gitops.clone(source, dest, None, partial=partial, offline=offline)
        o = lanes.run_local(checkout, name, transforms, actions, dry_run, dest)
    except FixbotError as e:
        clean()
        return Outcome(name, "error", reason=strip_userinfo(str(e)))
    except KeyboardInterrupt:
        clean()
        raise KeyboardInterrupt(f"{name}: nothing committed; the temporary clone is "
                                "removed") from None
    if o.status == "no-changes" and not o.files:
        o.reason = _no_workflows(checkout)
    if dry_run or all(x.status == "no-changes" for x in (o, o.secrets) if x is not None):
        clean()
    return o


def _no_workflows(checkout: gitops.Checkout) -> str:
    """Why a clone holds no workflow file, said plainly."""
    if (checkout.path / files.WORKFLOW_DIR).is_dir():
        return f"no workflow files (*.yml, *.yaml) in {files.WORKFLOW_DIR}/: nothing to fix"
    return f"no {files.WORKFLOW_DIR}/ directory: nothing to fix"


def run_repo(forge: Forge, full: str, transforms: Sequence[Transform], dry_run: bool = False,
             workdir: Path | None = None, actions: Metadata | None = None,
             create_secrets: bool = False, ignore: tuple[str, ...] = (),
             labels: tuple[str, ...] = (), may_open: Callable[[], bool] | None = None,
             reviewers: tuple[str, ...] = ()) -> Outcome:
    """The whole lifecycle of both pull requests of one forge repository (:mod:`lanes`);
    errors become an ``error`` outcome.

    ``actions``: where remote actions' metadata comes from; by default the forge's own, one
    :class:`Metadata` per ``forge`` object, so a process running many repositories on it asks
    for each action and ref once. ``create_secrets``: store the credentials the secrets pull
    request moves as the secrets it needs (``--create-secrets``). ``ignore``, ``labels``,
    ``may_open`` and ``reviewers``: what a sweep sets (:class:`Repo`)."""
    tmp = None if workdir else tempfile.TemporaryDirectory(prefix="fixbot-run-")
    root = Path(workdir or tmp.name)  # type: ignore[union-attr]
    try:
        actions = actions or action_fetch.for_forge(forge)
        info = forge.repo(full)
        if info.archived or info.disabled:
            return Outcome(full, "skipped", reason="repository is archived" if info.archived
                           else "repository is disabled")
        log.info("%s: cloning %s (branch %s)", full, strip_userinfo(info.clone_url),
                 info.default_branch)
        checkout = gitops.clone(info.clone_url, root / "repo", forge.git_token(full),
                                branch=info.default_branch)
        r = Repo(forge, full, info.default_branch, checkout, checkout.head, transforms,
                 actions, dry_run, ignore, labels, may_open, reviewers)
        return lanes.run_forge(r, create_secrets)
    except FixbotError as e:
        return Outcome(full, "error", reason=strip_userinfo(str(e)))
    finally:
        if tmp is not None:
            tmp.cleanup()
