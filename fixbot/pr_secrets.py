"""The second pull request's text: changes that need a person first (a credential moved into
the secrets context: the secret must exist before the merge, and the credential be rotated).

Rendered from the changes (``Change.secrets``, ``Change.todo``) and the secret names the
repository can use, as :func:`fixbot.pr.render` renders the hardening pull request, with a
checklist whose ``create secret`` items are ticked when the name is visible. A
:class:`~fixbot.types.SecretValue`'s ``value`` is never read here: only its name, kind and
redacted form.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fixbot import pr
from fixbot.pr_diff import in_line_order
from fixbot.types import Change, FileResult, SecretValue

BRANCH = "fixbot/move-secrets"
_PERSON_FIRST = ("create secret `", "check that the existing secret `")


def needs_person(c: Change) -> bool:
    """A change for this pull request: it moves a credential (a secret must be created)."""
    return bool(c.secrets)


def _changes(results: Sequence[FileResult]) -> list[Change]:
    return [c for r in pr.changed(results) for c in in_line_order(r)]


def secrets_of(results: Sequence[FileResult]) -> list[SecretValue]:
    """The secrets the changes need, once per name, in the order of the changes."""
    seen: dict[str, SecretValue] = {}
    for c in _changes(results):
        for s in c.secrets:
            seen.setdefault(s.name.upper(), s)
    return list(seen.values())


@dataclass(frozen=True)
class Seen:
    """The secret names the repository can use, as far as fixbot could read them: ``names``
    upper-cased, ``unreadable`` why some list could not be read (then an absent name is
    unknown, not missing), ``created`` the names this run stored."""

    names: frozenset[str] = frozenset()
    unreadable: str | None = None
    created: tuple[str, ...] = ()

    def has(self, name: str) -> bool:
        return name.upper() in self.names or name in self.created


def missing(results: Sequence[FileResult], seen: Seen) -> list[str]:
    """The names of the secrets not seen (unknown ones included), in order."""
    return [s.name for s in secrets_of(results) if not seen.has(s.name)]


def title(results: Sequence[FileResult], seen: Seen) -> str:
    """``Move 3 hardcoded credentials into secrets (2 to create)``: at most
    :data:`pr.MAX_SUBJECT` characters."""
    n, left = len(secrets_of(results)), len(missing(results, seen))
    what = "credential" if n == 1 else "credentials"
    status = f"{left} to create" if left else ("created" if n == 1 else "all created")
    for text in (f"Move {n} hardcoded {what} into secrets ({status})",
                 f"Move {n} {what} into secrets ({status})"):
        if len(text) <= pr.MAX_SUBJECT:
            return text
    return f"Move credentials into secrets ({left} to create)"[:pr.MAX_SUBJECT]


def subject(results: Sequence[FileResult]) -> str:
    """The commit subject: the title without what changes between runs (what is missing)."""
    n = len(secrets_of(results))
    return f"Move {n} hardcoded credential{'s' if n != 1 else ''} into secrets"


def checklist(results: Sequence[FileResult], seen: Seen) -> pr.Checklist:
    """One ``create secret`` item per secret (ticked when the name is seen), one ``rotate``
    item per credential (never ticked: fixbot cannot tell), then the other items of
    :func:`pr.checklist` (how to check the workflows' runs). When a list of names could not be
    read, a note says so once and nothing is ticked."""
    todos = [t for c in _changes(results) for t in c.todo]
    items: list[tuple[bool, str]] = []
    used: set[str] = set()
    for s in secrets_of(results):
        mine = [t for t in todos if any(t.startswith(f"{p}{s.name}`") for p in _PERSON_FIRST)]
        text = mine[0] if mine else f"create secret `{s.name}` holding the {s.kind} ({s.shown})"
        used.update(mine)
        items.append((seen.unreadable is None and seen.has(s.name), text))
    rotate = [t for t in dict.fromkeys(todos) if t.startswith("rotate ")]
    used.update(rotate)
    items += [(False, t) for t in rotate]
    items += [(False, t) for t in pr.checklist(results) if t not in used]
    note = None
    if seen.unreadable is not None:
        note = (f"fixbot could not read the secret names this repository can use "
                f"({seen.unreadable}), so it ticks nothing below: tick the items yourself.")
    return pr.Checklist(tuple(items), note, BRANCH)
