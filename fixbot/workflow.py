"""What a transform sees: one parsed workflow plus read-only repository context."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from fixbot.action_source import Metadata
from fixbot.errors import InputError
from fixbot.yamledit import Style, detect_style
from fixbot.yamlmodel import Document, Mapping, Scalar, Sequence, YNode

# Whether the forge of this process resolves `uses: $/…` (set once by the command from its
# forge URL: github.com does, GitHub Enterprise Server does not).
_SELF_REPOSITORY = [False]


def set_forge(api_url: str) -> None:
    """Record the forge this process works with: ``$/…`` is resolved on github.com only."""
    from urllib.parse import urlsplit

    _SELF_REPOSITORY[0] = (urlsplit(api_url).hostname or "").lower() == "api.github.com"


@dataclass
class RepoContext:
    """Read-only access to other files of the repository (local actions, scripts, callees).

    ``read_text`` takes a path relative to the repository root and returns its text, or None
    where it is missing, unsafe (outside the repository, too big, binary) or not available
    (e.g. not in a sparse clone).
    """

    read_text: Callable[[str], str | None] = field(default=lambda _path: None)
    # the action.yml of remote actions (no source: the knowledge base alone decides them)
    actions: Metadata = field(default_factory=Metadata)
    # the repository's workflow files (paths from its root), for what a transform decides
    # across them (the secrets transform names one secret per credential repository-wide)
    workflows: tuple[str, ...] = ()
    # the forge resolves `uses: $/…` (GitHub's self-repository syntax: github.com, not GitHub
    # Enterprise Server)
    self_repository: bool = field(default_factory=lambda: _SELF_REPOSITORY[0])
    # what transforms work out once per repository, by a key of their own
    memo: dict[str, object] = field(default_factory=dict, repr=False)

    _parsed: dict[str, Document | None] = field(default_factory=dict, repr=False)

    def parse(self, path: str) -> Document | None:
        """The parsed document at ``path`` (cached), or None where it cannot be read or parsed."""
        if path not in self._parsed:
            text = self.read_text(path)
            doc: Document | None = None
            if text is not None:
                try:
                    doc = Document(text.removeprefix("\ufeff"))
                except InputError:  # a broken callee is "unknown", not a crash
                    doc = None
            self._parsed[path] = doc
        return self._parsed[path]

    def local_action(self, uses: str) -> Document | None:
        """The parsed ``action.yml`` (or ``action.yaml``) of a local action ``./path[@ref]`` or
        ``$/path[@ref]`` (GitHub's self-repository syntax: a path from the repository root)."""
        base = local_path(uses)
        for name in ("action.yml", "action.yaml"):
            doc = self.parse(f"{base}/{name}" if base else name)
            if doc is not None:
                return doc
        return None


def is_local(uses: str) -> bool:
    """``./path`` (in the workspace) or ``$/path`` (this repository, at the workflow's commit)."""
    return uses.strip().startswith(("./", "$/"))


def local_path(uses: str) -> str:
    """The repository path a local ``uses:`` names (``./a/b@x`` and ``$/a/b`` -> ``a/b``)."""
    u = uses.strip()
    u = u[2:] if u.startswith(("./", "$/")) else u
    return u.split("@", 1)[0].strip("/")


class Workflow:
    """A parsed workflow file: path (relative to the repository root), document and style."""

    def __init__(self, path: str, doc: Document) -> None:
        self.path = path
        self.doc = doc
        self.style: Style = detect_style(doc)

    @property
    def text(self) -> str:
        return self.doc.text

    @property
    def root(self) -> Mapping | None:
        return self.doc.root if isinstance(self.doc.root, Mapping) else None

    def jobs(self) -> Iterator[tuple[str, Mapping]]:
        root = self.root
        jobs = root.get("jobs") if root is not None else None
        if isinstance(jobs, Mapping):
            for k, v in jobs.items:
                if isinstance(v, Mapping):
                    yield str(k.value), v

    @staticmethod
    def steps(job: Mapping) -> Iterator[tuple[int, Mapping]]:
        steps = job.get("steps")
        if isinstance(steps, Sequence):
            for i, step in enumerate(steps.items):
                if isinstance(step, Mapping):
                    yield i, step

    def triggers(self) -> set[str]:
        """Event names in ``on:`` (also spelled ``"on"`` or read as ``true`` by YAML 1.1 tools)."""
        root = self.root
        if root is None:
            return set()
        on: YNode | None = root.get("on")
        if on is None:
            on = root.get(True)  # type: ignore[arg-type]
        if isinstance(on, Scalar):
            return {str(on.value)} if on.value is not None else set()
        if isinstance(on, Sequence):
            return {str(i.value) for i in on.items if isinstance(i, Scalar)}
        if isinstance(on, Mapping):
            return {str(k.value) for k, _ in on.items}
        return set()


def scalar_text(node: YNode | None) -> str | None:
    """The string form of a scalar node's value (``true``/``false`` for booleans), else None."""
    if not isinstance(node, Scalar) or node.value is None:
        return None
    if isinstance(node.value, bool):
        return "true" if node.value else "false"
    return str(node.value)
