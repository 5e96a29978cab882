"""The two pull requests of a repository (DESIGN.md, "Pull requests"), as two *lanes* over one
clone: ``fixbot/harden-workflows`` holds every change that is safe to merge at once;
``fixbot/move-secrets`` the changes that need a person first (``Change.secrets``: create the
secret, rotate the credential), with a checklist ticked from the secret names the repository
can use.

Each lane is its own analysis from the base (``engine.process``'s ``keep_change`` keeps that
lane's changes; a transform's edits are computed against the text it is given, so one lane's
edits cannot be reused on a text without the other's), with the same lifecycle
(:func:`lifecycle.lifecycle`): the work tree is reset to the base between them. The secrets
lane runs only when the first analysis saw a change for it, or its branch exists (to close
or leave its pull request).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fixbot import gitops, pr, pr_secrets
from fixbot.action_source import Metadata
from fixbot.commands.lifecycle import (
    Outcome,
    Proposal,
    Propose,
    Repo,
    analyze,
    body,
    lifecycle,
    paths,
    selection,
)
from fixbot.errors import FixbotError
from fixbot.redact import redact, strip_userinfo
from fixbot.types import Change, FileResult, SecretValue, Transform

log = logging.getLogger("fixbot.commands.run")


@dataclass
class Lane:
    """Keeps one lane's changes (``engine.process``'s ``keep_change``) and counts the others'."""

    secrets: bool  # the lane of changes that need a person first
    others: int = 0  # changes seen that belong to the other lane
    found: list[SecretValue] = field(default_factory=list)  # every credential any change moves

    @property
    def branch(self) -> str:
        return pr_secrets.BRANCH if self.secrets else pr.BRANCH

    def __call__(self, c: Change) -> bool:
        self.found += [s for s in c.secrets if s not in self.found]
        mine = pr_secrets.needs_person(c) == self.secrets
        self.others += not mine
        return mine


def hide(text: str, found: Sequence[SecretValue]) -> str:
    """``text`` with every credential in ``found`` shown redacted (a diff's context lines may
    quote the line a credential is written on, in either pull request)."""
    for s in found:
        if s.value:
            text = text.replace(s.value, s.shown)
    return text


def propose_hardening(chosen: list[str], lane: Lane | None = None) -> Propose:
    """The hardening pull request's text (:mod:`fixbot.pr`), hiding the credentials ``lane``
    saw the other lane's changes move."""
    found = lane.found if lane is not None else []

    def propose(results: list[FileResult]) -> Proposal:
        comment = pr.follow_up(results, chosen)
        return Proposal(hide(pr.title(results), found), hide(body(results, chosen), found),
                        hide(comment, found) if comment else None, pr.title(results))
    return propose


@dataclass
class SecretsLane:
    """The secrets lane's text, from the names the repository can use (read once per run),
    creating the missing secrets first with ``create`` (``run --create-secrets``)."""

    repo: Repo | None  # None: local mode (no forge: nothing is read)
    lane: Lane
    create: bool = False
    seen: pr_secrets.Seen | None = None
    notes: list[str] = field(default_factory=list)

    def __call__(self, results: list[FileResult]) -> Proposal:
        chosen = self.repo.chosen if self.repo else []
        seen = self.visible(results)
        todo = pr_secrets.checklist(results, seen)
        found = self.lane.found
        comment = pr.follow_up(results, chosen, todo)
        return Proposal(hide(pr_secrets.title(results, seen), found),
                        hide(body(results, chosen, todo), found),
                        hide(comment, found) if comment else None,
                        pr_secrets.subject(results), "; ".join(self.notes) or None)

    def visible(self, results: list[FileResult]) -> pr_secrets.Seen:
        if self.seen is not None:
            return self.seen
        if self.repo is None:
            self.seen = pr_secrets.Seen(unreadable="local mode: no forge to ask")
            return self.seen
        from fixbot.forge import secret_names

        v = secret_names(self.repo.forge, self.repo.full)
        names = frozenset(n.upper() for n in [*v.repository, *v.organization,
                                              *(n for _, ns in v.environments for n in ns)])
        unreadable = "; ".join(v.unreadable) or None
        created = self.make(pr_secrets.secrets_of(results), names, unreadable)
        self.seen = pr_secrets.Seen(names | {n.upper() for n in created}, unreadable, created)
        return self.seen

    def make(self, wanted: list[SecretValue], names: frozenset[str],
             unreadable: str | None) -> tuple[str, ...]:
        """``--create-secrets``: store each secret not seen; say why where it cannot."""
        missing = [s for s in wanted if s.name.upper() not in names]
        if not self.create or not missing or self.repo is None:
            return ()
        if unreadable is not None:
            self.notes.append("--create-secrets: no secret created, because fixbot cannot tell "
                              "which exist (it never overwrites one)")
            return ()
        if self.repo.dry_run:
            self.notes.append("dry run: would create secret(s) "
                              + ", ".join(s.name for s in missing))
            return ()
        from fixbot.forge import create_secret

        done: list[str] = []
        for s in missing:
            try:
                create_secret(self.repo.forge, self.repo.full, s.name, s.value)
            except FixbotError as e:
                why = redact(strip_userinfo(str(e)), [s.value])
                forbidden = "403" in why
                self.notes.append(f"could not create secret {s.name}: " + (
                    "the token may not manage this repository's secrets (403; it needs the "
                    "Secrets read and write permission)" if forbidden else why))
                continue
            log.info("%s: created secret %s", self.repo.full, s.name)
            done.append(s.name)
        if done:
            self.notes.append("created secret(s) " + ", ".join(done)
                              + "; rotate the credential(s) all the same")
        return tuple(done)


def run_forge(r: Repo, create_secrets: bool = False) -> Outcome:
    """Both lanes of one forge repository, from one clone at the base."""
    first = Lane(secrets=False)
    o = lifecycle(r, first.branch, first, propose_hardening(r.chosen, first))
    if o.status == "error":
        return o
    second = Lane(secrets=True)
    if not first.others and r.checkout.remote_tip(second.branch) is None:
        return o
    try:
        r.checkout.reset_to(r.base)
        lane = SecretsLane(r, second, create_secrets)
        s = lifecycle(r, second.branch, second, lane)
        s.missing = pr_secrets.missing(s.files, lane.seen) if lane.seen else []
    except FixbotError as e:
        s = Outcome(r.full, "error", reason=strip_userinfo(str(e)))
    if s.status != "no-changes" or s.pr is not None or s.reason:
        o.secrets = s
    return o


def run_local(checkout: gitops.Checkout, name: str, transforms: Sequence[Transform],
              actions: Metadata | None, dry_run: bool, dest: Path) -> Outcome:
    """Both lanes in a local clone: each commits on its branch there (unless ``dry_run``);
    nothing is pushed and no secret name is read."""
    base = checkout.head
    first = Lane(secrets=False)
    o = _local_lane(checkout, name, transforms, actions, dry_run, dest, first)
    if first.others:
        checkout.reset_to(base)
        o.secrets = _local_lane(checkout, name, transforms, actions, dry_run, dest,
                                Lane(secrets=True))
    return o


def _local_lane(checkout: gitops.Checkout, name: str, transforms: Sequence[Transform],
                actions: Metadata | None, dry_run: bool, dest: Path, lane: Lane) -> Outcome:
    results = analyze(checkout, transforms, name, actions, keep=lane)
    if not pr.changed(results):
        return Outcome(name, "no-changes", files=results)
    chosen = selection(transforms)
    p = (SecretsLane(None, lane) if lane.secrets else propose_hardening(chosen, lane))(results)
    o = Outcome(name, "pr-opened", files=results, title=p.title, body=p.body, comment=p.comment)
    if lane.secrets:
        o.missing = [s.name for s in pr_secrets.secrets_of(results)]
    if dry_run:
        o.reason = "dry run: nothing committed"
        return o
    checkout.start_branch(lane.branch)
    checkout.commit(paths(results), pr.commit_message(results, p.subject))
    o.reason = f"local mode: committed on branch {lane.branch} in {dest}; nothing pushed"
    return o
