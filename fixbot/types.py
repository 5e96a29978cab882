"""The shared vocabulary: edits, changes, notes and per-file outcomes.

Everything here is a plain frozen value. Transforms produce ``Change`` and ``Note`` values; the
engine applies the ``Edit``s of the changes; reports, diffs, PR bodies and commit messages are all
rendered from the same values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:  # typing only: the workflow model sits above this module
    from fixbot.workflow import RepoContext, Workflow

# A path into the parsed (plain) data of a workflow: mapping keys and sequence indices.
DataPath = tuple[str | int, ...]


@dataclass(frozen=True)
class SetOp:
    """Semantically, set ``path`` (mapping key, created if missing) to ``value``."""

    path: DataPath
    value: Any


@dataclass(frozen=True)
class InsertOp:
    """Semantically, insert ``value`` at ``index`` of the sequence at ``path``."""

    path: DataPath
    index: int
    value: Any


@dataclass(frozen=True)
class DeleteOp:
    """Semantically, delete the mapping key or sequence item at ``path``."""

    path: DataPath


SemanticOp = SetOp | InsertOp | DeleteOp


@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` of the original (BOM-less) text with ``new``.

    ``op`` states what the replacement means to the parsed data; the guard checks that the output
    differs from the input by exactly the ops of all applied edits.
    """

    start: int
    end: int
    new: str
    op: SemanticOp


@dataclass(frozen=True)
class SecretValue:
    """A credential a transform found: the secret name it becomes and how to show it.

    ``value`` is the credential itself. It is never printed, logged, serialised or put in an
    exception (``repr`` leaves it out); only ``run --create-secrets`` reads it, to store it.
    """

    name: str  # SCREAMING_SNAKE secret name, e.g. "NPM_TOKEN"
    kind: str  # human label, e.g. "npm access token"
    shown: str  # redacted, e.g. "npm_**** (40 chars)"
    value: str = field(repr=False)


@dataclass(frozen=True)
class FileEdit:
    """Another repository file that changes together with a workflow change (a Python script
    a step runs, whose literal credential now reads the step's environment), or a new file it
    adds (the privileged half of a workflow split in two)."""

    path: str  # relative to the repository root, "/" separators
    # its whole text as read (it may hold a credential); None: a new file, which must not exist
    before: str | None = field(repr=False)
    after: str = field(repr=False)  # its whole new text


@dataclass(frozen=True)
class Change:
    transform: str
    location: str  # "jobs.<id>", "jobs.<id>.steps[<n>]", "on", "" (top level)
    line: int  # 1-based line of the node the change is about, in the input
    summary: str
    explanation: str
    edits: tuple[Edit, ...]
    # Actions people must take after merging (create secret X, rotate Y); rendered in PR checklists.
    todo: tuple[str, ...] = ()
    docs: str = ""
    # Credentials moved into the secrets context (the secret each one must become).
    secrets: tuple[SecretValue, ...] = ()
    # Other files of the repository that change with this change.
    files: tuple[FileEdit, ...] = ()
    # Comments that leave the workflow with the lines they comment, into one of ``files``.
    moved_comments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Note:
    transform: str
    location: str
    message: str


Finding = Change | Note



class Transform(Protocol):
    """What the engine and the registry need of a transform (a module satisfies it).

    ``analyze`` is pure: it reads the parsed workflow and the repository context and returns
    changes and notes; it raises only :class:`fixbot.errors.TransformError`.
    """

    ID: str  # stable id: CLI flags, JSON, docs anchors, test folders
    SUMMARY: str  # one line for `fixbot list` and SARIF rules
    DOCS: str  # URL of the transform's documentation

    def analyze(self, wf: Workflow, ctx: RepoContext, /) -> Sequence[Finding]: ...


OutcomeStatus = Literal["applied", "skipped", "failed"]


@dataclass(frozen=True)
class TransformOutcome:
    """What one transform did to one file.

    ``applied``: its changes were spliced in and passed the guard. ``skipped``: it found nothing
    to change (``notes`` say what it left alone and why). ``failed``: it raised, or its edits did
    not apply or failed the guard; ``error`` says why, and none of its changes or notes are kept.
    """

    transform: str
    status: OutcomeStatus
    changes: tuple[Change, ...] = ()
    notes: tuple[Note, ...] = ()
    error: str | None = None


FileStatus = Literal["changed", "unchanged", "error"]


@dataclass
class FileResult:
    path: str  # relative to the PATH the user gave, with "/" separators
    status: FileStatus = "unchanged"
    error: str | None = None
    changes: list[Change] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    original: str | None = None  # decoded original text (with BOM), for diffs
    updated: str | None = None  # new text when status == "changed"
    outcomes: list[TransformOutcome] = field(default_factory=list)  # one per transform run

    @property
    def failed(self) -> list[TransformOutcome]:
        """The transforms that failed on this file (their changes are not in ``updated``)."""
        return [o for o in self.outcomes if o.status == "failed"]
