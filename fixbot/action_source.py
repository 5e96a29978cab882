"""Where the metadata (``action.yml``) of a remote action comes from.

``uses: owner/repo[/path]@ref`` names an action the knowledge base may not know. Its own
``action.yml`` says which inputs it takes, their defaults and how it runs, which is enough to tell
whether the job token can reach it at all. A :class:`Metadata` answers ``lookup(uses)`` from one
source:

- :class:`CacheDir`: a read-only directory laid out like ``../shared/actions``
  (``<owner>/<repo>/<ref>/[<path>/]action.yml``, owner and repo lower-cased, ``/`` in a ref
  written ``%2F``): ``--action-cache DIR`` / ``FIXBOT_ACTION_CACHE``;
- :class:`fixbot.action_fetch.ForgeSource`: the forge's contents API, cached on disk
  (``fixbot run``, ``fixbot fix --online``).

Every answer is one of :class:`Found` (the text and a link to the file at that ref),
:class:`Missing` (the source was asked and has no metadata file there) or :class:`Unavailable`
(no source, or the source could not be asked: the caller says how to decide it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from fixbot.errors import InputError
from fixbot.yamlmodel import Document

METADATA_NAMES = ("action.yml", "action.yaml")
MAX_BYTES = 512 * 1024  # an action.yml larger than this is not read
_SEGMENT = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class ActionRef:
    """``owner/repo[/path]@ref`` split into its parts (owner and repo lower-cased)."""

    owner: str
    repo: str
    path: str  # "" for the repository root
    ref: str

    @property
    def key(self) -> str:
        tail = f"/{self.path}" if self.path else ""
        return f"{self.owner}/{self.repo}{tail}@{self.ref}"

    def in_repo(self, path: str) -> str:
        """``owner/repo/path@ref``: what ``uses: $/path`` means inside this action or workflow
        (GitHub resolves ``$/`` against the repository and ref of the file that contains it)."""
        rel = path.strip().removeprefix("$/").split("@", 1)[0].strip("/")
        return f"{self.owner}/{self.repo}/{rel}@{self.ref}"

    @property
    def workflow(self) -> bool:
        """A reusable workflow (``owner/repo/.github/workflows/x.yml@ref``), not an action."""
        return self.path.lower().endswith((".yml", ".yaml"))

    def files(self) -> tuple[str, ...]:
        """The repository paths to try, in order: the workflow file itself, or the action's
        ``action.yml`` then ``action.yaml``."""
        if self.workflow:
            return (self.path,)
        return tuple(f"{self.path}/{n}" if self.path else n for n in METADATA_NAMES)

    def blob_url(self, name: str, web: str = "https://github.com") -> str:
        tail = self.path if self.workflow else f"{self.path}/{name}" if self.path else name
        return f"{web.rstrip('/')}/{self.owner}/{self.repo}/blob/{self.ref}/{tail}"


def parse_ref(uses: str) -> ActionRef | None:
    """The parts of a remote ``uses:`` (None for local, Docker, expression or malformed
    references, and for paths that could leave the action's directory)."""
    u = uses.strip()
    if "${{" in u or u.startswith(("./", "$/", "docker://", ".")) or "@" not in u:
        return None
    name, _, ref = u.partition("@")
    parts = [p for p in name.split("/") if p]
    if len(parts) < 2 or not ref or any(c in ref for c in "\\\0\n\r\t ") or ".." in ref.split("/"):
        return None
    if not all(_SEGMENT.match(p) and p not in (".", "..") for p in parts):
        return None
    return ActionRef(parts[0].lower(), parts[1].lower(), "/".join(parts[2:]), ref)


@dataclass(frozen=True)
class Found:
    ref: ActionRef
    name: str  # action.yml or action.yaml
    text: str
    url: str  # the file at that ref, for people

    def document(self) -> Document | None:
        try:
            return Document(self.text.removeprefix("\ufeff"))
        except InputError:
            return None


@dataclass(frozen=True)
class Missing:
    ref: ActionRef
    where: str  # e.g. "the action cache", "the forge"


@dataclass(frozen=True)
class Unavailable:
    why: str  # the sentence a note ends with, e.g. "`--online` would decide it"


Answer = Found | Missing | Unavailable


class Source(Protocol):
    """One place metadata can be read from."""

    where: str  # for notes: "the action cache", "the forge"

    def fetch(self, ref: ActionRef) -> tuple[str, str] | None:
        """``(file name, text)`` of the metadata at that ref, None when there is none; raises
        :class:`SourceError` when the source cannot answer."""
        ...


class SourceError(Exception):
    """The source could not be asked (network, rate limit, permissions): not an answer."""


OFFLINE = Unavailable("`--online` or `--action-cache` would decide it from its action.yml")


@dataclass
class CacheDir:
    """A read-only directory laid out like ``../shared/actions``."""

    root: Path
    where: str = "the action cache"

    def fetch(self, ref: ActionRef) -> tuple[str, str] | None:
        base = self.root / ref.owner / ref.repo / ref.ref.replace("/", "%2F")
        for rel in ref.files():
            path, name = base / rel, rel.rsplit("/", 1)[-1]
            try:
                if path.is_symlink() or not path.is_file():
                    continue
                if path.stat().st_size > MAX_BYTES:
                    raise SourceError(f"{ref.key}: {name} is over {MAX_BYTES} bytes")
                data = path.read_bytes()
            except OSError as e:
                raise SourceError(f"{ref.key}: {e.strerror or e}") from None
            try:
                return name, data.decode("utf-8")
            except UnicodeDecodeError:
                raise SourceError(f"{ref.key}: {name} is not UTF-8 text") from None
        return None


@dataclass
class Metadata:
    """Answers for ``uses:`` references from one source, each asked once per process."""

    source: Source | None = None
    web: str = "https://github.com"  # where people read the file (links in explanations)
    _answers: dict[str, Answer] = field(default_factory=dict, repr=False)
    _docs: dict[str, Document | None] = field(default_factory=dict, repr=False)
    errors: list[str] = field(default_factory=list)  # what a source could not answer (no tokens)

    def lookup(self, uses: str) -> Answer:
        ref = parse_ref(uses)
        if ref is None:
            return Unavailable("the reference is not of the form owner/repo[/path]@ref")
        if self.source is None:
            return OFFLINE
        if ref.key not in self._answers:
            self._answers[ref.key] = self._ask(ref)
        return self._answers[ref.key]

    def document(self, found: Found) -> Document | None:
        """The parsed metadata (cached; None where it does not parse)."""
        if found.ref.key not in self._docs:
            self._docs[found.ref.key] = found.document()
        return self._docs[found.ref.key]

    def _ask(self, ref: ActionRef) -> Answer:
        assert self.source is not None
        try:
            got = self.source.fetch(ref)
        except SourceError as e:
            self.errors.append(str(e))
            return Unavailable(f"its action.yml could not be read from {self.source.where} ({e})")
        if got is None:
            return Missing(ref, self.source.where)
        name, text = got
        return Found(ref, name, text, ref.blob_url(name, self.web))


NO_METADATA = Metadata()


def from_options(action_cache: str | None, env: Callable[[str], str | None]) -> Metadata:
    """The metadata source ``fix`` uses: ``--action-cache DIR`` or ``FIXBOT_ACTION_CACHE``
    (a directory that does not exist is a usage error), else none."""
    from fixbot.errors import UsageError

    chosen = action_cache or env("FIXBOT_ACTION_CACHE")
    if not chosen:
        return Metadata()
    root = Path(chosen)
    if not root.is_dir():
        raise UsageError(f"--action-cache: {chosen} is not a directory")
    return Metadata(CacheDir(root))
