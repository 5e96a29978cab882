"""Ignore comments: ``# fixbot: ignore[ID,…]`` keeps transforms away from a workflow, job or step.

The comments are read from the parsed document (:meth:`Document.comments`: a ``#`` outside every
scalar's span), never from the lines of the text, so a line of a ``run: |`` script or a quoted
string that looks like an ignore comment is script text and counts for nothing.

Which location a comment belongs to (docs/engine.md, "Ignore comments"):

- a **step**: the comment is on one of the step's lines, from its ``- `` line to the last line
  of its content, or on a line directly above it (after the previous step, or after the
  ``steps:`` line for the first step);
- a **job**: the same with the job's key line (``build:``) and its content, when no step of it
  claims the comment;
- the **workflow**: every other comment (the file's header, the ``name:``, ``on:``,
  ``permissions:`` or ``jobs:`` lines, a comment after the last job).

A line that a node shares with its parent's key or with the previous item (flow style, such as
``steps: [{uses: a}, {uses: b}]  # …``) belongs to the parent. ``# fixbot: ignore`` without a
list names every transform; ids are transform ids, separated by commas (or blanks); text after
the list is a free-form reason. The comment must start with ``# fixbot:``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from fixbot.yamlmodel import Document, Mapping, Scalar, Sequence, YNode

# ``# fixbot: ignore``, ``# fixbot: ignore[a, b] reason``; the list runs to ``]`` or the end.
_DIRECTIVE = re.compile(r"#\s*fixbot\s*:\s*(\S.*)?$", re.IGNORECASE)
_IGNORE = re.compile(r"ignore(?:\s*\[([^\]]*)\]?)?(?=\s|$)", re.IGNORECASE)
_ANY = re.compile(r"fixbot\s*:", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s,]+")


@dataclass(frozen=True)
class Ignore:
    """One ignore comment: the transform ids it names (None: every transform), the location
    it keeps them away from and the comment's 1-based line."""

    ids: frozenset[str] | None
    location: str  # "" (the workflow), "jobs.<id>" or "jobs.<id>.steps[<n>]"
    line: int
    names: tuple[str, ...] = ()  # the ids as written, in order

    @property
    def directive(self) -> str:
        """The comment as fixbot reads it (for notes): ``# fixbot: ignore[a,b]``."""
        if self.ids is None:
            return "# fixbot: ignore"
        return f"# fixbot: ignore[{','.join(self.names)}]"

    def covers(self, transform: str) -> bool:
        return self.ids is None or transform in self.ids


@dataclass(frozen=True)
class Unread:
    """A ``# fixbot:`` comment that is not an ignore comment fixbot can read."""

    text: str
    location: str
    line: int


def at_or_under(location: str, scope: str) -> bool:
    """Whether ``location`` (a change's) is ``scope`` or inside it: ``jobs.a.steps[0]`` is
    under ``jobs.a``, which is under ``""`` (the workflow); ``jobs.ab`` is not under ``jobs.a``."""
    if scope == "" or location == scope:
        return True
    return location.startswith(scope + ".") or location.startswith(scope + "[")


def read(doc: Document) -> tuple[list[Ignore], list[Unread]]:
    """The ignore comments of ``doc`` in document order, and the ``# fixbot:`` comments that
    are not readable ignore comments."""
    if not _ANY.search(doc.text):
        return [], []
    ignores: list[Ignore] = []
    unread: list[Unread] = []
    owners: _Owners | None = None
    for c in doc.comments():
        m = _DIRECTIVE.match(c.text)
        if m is None:
            continue
        owners = owners or _Owners(doc)
        line = owners.line(c.start)
        where = owners.location(line)
        rest = (m.group(1) or "").strip()
        ig = _IGNORE.match(rest)
        if ig is None:
            unread.append(Unread(c.text, where, line + 1))
            continue
        if "[" in ig.group(0):
            names = tuple(n.lower() for n in _SEPARATORS.split(ig.group(1) or "") if n)
            ignores.append(Ignore(frozenset(names), where, line + 1, names))
        else:
            ignores.append(Ignore(None, where, line + 1))
    return ignores, unread


def kept_away(doc: Document, transform: str) -> list[str]:
    """The locations ignore comments keep ``transform`` away from (for a transform that plans
    around them, such as ``permissions``, which keeps an ignored job's permissions exactly)."""
    return [i.location for i in read(doc)[0] if i.covers(transform)]


class _Owners:
    """The line regions of the jobs and steps of one document (0-based lines)."""

    def __init__(self, doc: Document) -> None:
        text = doc.text
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]
        # (first line, last line, location, [(first, last, location) of its steps])
        self.jobs: list[tuple[int, int, str, list[tuple[int, int, str]]]] = []
        root = doc.root
        jobs = root.get("jobs") if isinstance(root, Mapping) else None
        key = root.key_node("jobs") if isinstance(root, Mapping) else None
        if not isinstance(jobs, Mapping) or key is None:
            return
        prev = key.line
        for k, job in jobs.items:
            last = max(k.line, self._last_line(job))
            where = f"jobs.{k.value}"
            self.jobs.append((prev + 1, last, where, self._steps(job, where)))
            prev = last

    def _steps(self, job: YNode, where: str) -> list[tuple[int, int, str]]:
        steps = job.get("steps") if isinstance(job, Mapping) else None
        key = job.key_node("steps") if isinstance(job, Mapping) else None
        if not isinstance(steps, Sequence) or key is None:
            return []
        out: list[tuple[int, int, str]] = []
        prev = key.line
        for i, step in enumerate(steps.items):
            last = max(prev, self._last_line(step))
            out.append((prev + 1, last, f"{where}.steps[{i}]"))
            prev = last
        return out

    def line(self, offset: int) -> int:
        return bisect_right(self._starts, offset) - 1

    def _last_line(self, node: YNode) -> int:
        """The line of the node's last character of content (a block collection's own end
        runs on over the comments and blank lines after it, so its scalars decide)."""
        end = _content_end(node)
        return self.line(max(end - 1, node.start))

    def location(self, line: int) -> str:
        for first, last, where, steps in self.jobs:
            if first <= line <= last:
                for s_first, s_last, s_where in steps:
                    if s_first <= line <= s_last:
                        return s_where
                return where
        return ""


def _content_end(node: YNode) -> int:
    """The offset just past the last character of ``node``'s own text."""
    end = node.start
    stack: list[YNode] = [node]
    seen: set[int] = set()
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if isinstance(n, Scalar) or n.flow:  # a flow collection ends at its bracket
            end = max(end, n.end)
        elif isinstance(n, Mapping):
            for k, v in n.items:
                stack += [k, v]
        else:
            stack += n.items
    return end
