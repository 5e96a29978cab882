"""``fixbot sweep ORG``: every repository of an organisation through ``run``'s lifecycle.

One listing of the organisation (100 repositories per request), the shard's share of it
(:func:`in_shard`), then each repository concurrently: skipped when archived, disabled, a fork,
empty or opted out in ``.github/fixbot.yml``; else run with that file's settings. A repository's
error is its outcome and the sweep goes on. New pull requests are capped by ``--max-new-prs``
and by the org file's ``max-open-prs``: a repository that would need one beyond the cap is
``skipped`` and gets it on a later sweep; updates to open pull requests always go on.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace

from fixbot import action_fetch, config
from fixbot.action_source import Metadata
from fixbot.commands.lifecycle import Outcome
from fixbot.errors import FixbotError
from fixbot.forge import Forge
from fixbot.forge.org import EMPTY, OrgRepo, has_commits, list_repos
from fixbot.redact import strip_userinfo
from fixbot.sweep.screen import Seen, prescreen
from fixbot.types import Transform

OPTED_OUT = f"opted out in {config.PATH} (enabled: false)"
log = logging.getLogger("fixbot.sweep")


def in_shard(full_name: str, shard: tuple[int, int] | None) -> bool:
    """Whether ``owner/name`` belongs to shard ``(i, n)`` (1-based): by a stable hash of the
    lower-cased name, so every machine splits alike and the shards cover every repository once."""
    if shard is None:
        return True
    i, n = shard
    digest = hashlib.sha256(full_name.lower().encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % n == i - 1


class Budget:
    """How many new pull requests this sweep may still open (None: no limit); thread-safe."""

    def __init__(self, left: int | None) -> None:
        self.left = left
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self.left is None:
                return True
            if self.left <= 0:
                return False
            self.left -= 1
            return True


@dataclass(frozen=True)
class Options:
    transforms: Sequence[Transform]
    org_config: config.Config = config.Config()
    shard: tuple[int, int] | None = None
    concurrency: int = 4
    max_new_prs: int | None = None
    dry_run: bool = False


Progress = Callable[[Outcome], None]


def sweep(forge: Forge, org: str, opts: Options, progress: Progress | None = None,
          repos: list[OrgRepo] | None = None) -> list[Outcome]:
    """The outcome of every repository of ``org`` in the shard, sorted by name."""
    listed = repos if repos is not None else list_repos(forge, org)
    mine = [r for r in listed if in_shard(r.full_name, opts.shard)]
    actions = action_fetch.for_forge(forge)  # one metadata cache for the whole sweep
    budget = Budget(_allowance(forge, mine, opts))
    seen = _screen(forge, org, [r for r in mine if r.skip_reason() in (None, EMPTY)], opts,
                   actions)
    outcomes: list[Outcome] = []
    pool = ThreadPoolExecutor(max_workers=max(1, opts.concurrency),
                              thread_name_prefix="fixbot-sweep")
    try:
        futures = {pool.submit(_one, forge, r, opts, actions, budget,
                               seen.get(r.full_name) if seen is not None else None): r
                   for r in mine}
        for f in as_completed(futures):
            o = f.result()
            outcomes.append(o)
            if progress is not None:
                progress(o)
    except KeyboardInterrupt:
        pool.shutdown(wait=True, cancel_futures=True)  # the repositories under way finish
        raise KeyboardInterrupt(f"the sweep handled {len(outcomes)} of {len(mine)} "
                                "repositories; what it did is on the forge, and a rerun "
                                "finishes the rest") from None
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return sorted(outcomes, key=lambda o: o.repo.lower())


def _allowance(forge: Forge, repos: list[OrgRepo], opts: Options) -> int | None:
    """New pull requests allowed: --max-new-prs, and max-open-prs less those open now."""
    caps = [opts.max_new_prs] if opts.max_new_prs is not None else []
    cap = opts.org_config.max_open_prs
    if cap is not None:
        from fixbot import pr, pr_secrets

        open_now = 0  # one request per branch per repository: only when the cap is set
        for r in repos:
            if r.skip_reason() is None:
                for branch in (pr.BRANCH, pr_secrets.BRANCH):
                    open_now += sum(p.state == "open" for p in forge.pulls(r.full_name, branch))
        caps.append(max(0, cap - open_now))
    return min(caps) if caps else None


def _screen(forge: Forge, org: str, repos: list[OrgRepo], opts: Options,
            actions: Metadata) -> dict[str, Seen] | None:
    """The pre-screen's findings, or None (no GraphQL, or it failed: every repository runs)."""
    if not repos:
        return {}
    try:
        seen = prescreen(forge, org, repos, opts.transforms, opts.org_config, actions)
    except FixbotError as e:
        log.warning("the pre-screen failed (%s): every repository is cloned",
                    strip_userinfo(str(e)))
        return None
    if seen is None:
        log.warning("%s has no GraphQL endpoint: every repository is cloned (no "
                    "pre-screen)", strip_userinfo(forge.api_url))
    return seen


def _one(forge: Forge, repo: OrgRepo, opts: Options, actions: Metadata,
         budget: Budget, seen: Seen | None) -> Outcome:
    from fixbot.commands.run import run_repo
    from fixbot.transforms import REGISTRY

    full = repo.full_name
    try:
        if seen is not None and seen.found:
            repo = replace(repo, empty=seen.empty)
        elif repo.empty and repo.skip_reason() == EMPTY and has_commits(forge, repo):
            repo = replace(repo, empty=False)
        reason = repo.skip_reason()
        if reason is not None:
            return Outcome(full, "skipped", reason=reason)
        text = (seen.config_text if seen is not None and seen.found
                else forge.file_text(full, config.PATH, repo.default_branch))
        cfg = config.merge(opts.org_config,
                           config.parse(text, config.PATH) if text is not None else config.Config())
    except FixbotError as e:
        return Outcome(full, "error", reason=strip_userinfo(str(e)))
    if not cfg.enabled:
        return Outcome(full, "skipped", reason=OPTED_OUT)
    chosen = [t for t in opts.transforms
              if (cfg.only is None or t.ID in cfg.only) and t.ID not in cfg.skip
              and t.ID in REGISTRY]
    if not chosen:
        return Outcome(full, "skipped", reason=f"{config.PATH} selects no transform")
    if seen is not None and seen.clean:
        return Outcome(full, "no-changes", files=seen.results)
    return run_repo(forge, full, chosen, dry_run=opts.dry_run, actions=actions,
                    ignore=cfg.ignore_paths, labels=cfg.labels, may_open=budget.take,
                    reviewers=cfg.reviewers)
