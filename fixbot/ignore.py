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
  ``permissions:`` or ``jobs:`` lines, a comment after the last job at the jobs' column or
  less).

Indentation decides the lines after an item: a comment on its own line indented deeper than
the previous step's or job's keys (inside one of its values, such as under ``with:``) is the
previous item's, not the next one's; below the last step of a job or the last job, a comment
indented deeper than its ``- `` or key is that item's (nothing follows for it to stand above).

A line that a node shares with its parent's key or with the previous item (flow style, such as
``steps: [{uses: a}, {uses: b}]  # …``) belongs to the parent. ``# fixbot: ignore`` without a
list names every transform; ids are transform ids, separated by commas (or blanks); text after
the list is a free-form reason. The directive must start the comment, or follow another
tool's after `` #`` (``# zizmor: ignore[artipacked] # fixbot: ignore[persist-credentials]``:
a key line has room for one comment); there only an ignore directive counts, so prose that
mentions ``# fixbot:`` later in a comment is no "unreadable comment" note.
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
_HASH = re.compile(r"(?<=\s)#")


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
        for n, text in enumerate(_segments(c.text)):
            m = _DIRECTIVE.match(text)
            if m is None:
                continue
            owners = owners or _Owners(doc)
            line = owners.line(c.start)
            where = owners.location(line, c.start - owners.line_start(line), c.own_line)
            rest = (m.group(1) or "").strip()
            ig = _IGNORE.match(rest)
            if ig is None:
                if n == 0:  # a later one may be prose about fixbot: only an ignore counts there
                    unread.append(Unread(text, where, line + 1))
                continue
            if "[" in ig.group(0):
                names = tuple(n.lower() for n in _SEPARATORS.split(ig.group(1) or "") if n)
                ignores.append(Ignore(frozenset(names), where, line + 1, names))
            else:
                ignores.append(Ignore(None, where, line + 1))
    return ignores, unread


def _segments(comment: str) -> list[str]:
    """A comment split where a ``#`` follows a blank: ``# zizmor: ignore[x] # fixbot: ignore[y]``
    holds two directives (a job's key line has room for one comment, shared by the tools)."""
    cuts = [0] + [m.start() for m in _HASH.finditer(comment)]
    return [comment[a:b].rstrip() for a, b in zip(cuts, [*cuts[1:], len(comment)], strict=True)]


def kept_away(doc: Document, transform: str) -> list[str]:
    """The locations ignore comments keep ``transform`` away from (for a transform that plans
    around them, such as ``permissions``, which keeps an ignored job's permissions exactly)."""
    return [i.location for i in read(doc)[0] if i.covers(transform)]


@dataclass
class _Item:
    """A job or step: its lines ``first..last`` (0-based; ``first`` runs on from the previous
    item, so comments directly above it are its), the line and column of its key or ``-``
    (``head``, ``col``), and the column of its own keys (None: not a block mapping)."""

    first: int
    last: int
    where: str
    head: int
    col: int
    keys: int | None
    steps: list[_Item]


class _Owners:
    """The line regions of the jobs and steps of one document (0-based lines).

    A comment on its own line between two items stands above the next one, unless it is
    indented deeper than the previous item's keys (inside one of its values, such as under a
    step's ``with:``): then it is the previous item's. After the last item of a level (the
    last step of a job, the last job) nothing follows to stand above, so a comment indented
    deeper than that item's ``-`` or key is that item's."""

    def __init__(self, doc: Document) -> None:
        text = doc.text
        self._text = text
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.jobs: list[_Item] = []
        self._tail_end = len(self._starts)  # the first line after the jobs mapping's region
        root = doc.root
        if not isinstance(root, Mapping):
            return
        jobs, key = root.get("jobs"), root.key_node("jobs")
        if not isinstance(jobs, Mapping) or key is None:
            return
        after = [k.line for k, _ in root.items if k.line > key.line]
        if after:
            self._tail_end = min(after)
        prev = key.line
        for k, job in jobs.items:
            last = max(k.line, self._last_line(job))
            where = f"jobs.{k.value}"
            self.jobs.append(_Item(prev + 1, last, where, k.line, k.col, _keys(job),
                                   self._steps(job, where)))
            prev = last

    def _steps(self, job: YNode, where: str) -> list[_Item]:
        steps = job.get("steps") if isinstance(job, Mapping) else None
        key = job.key_node("steps") if isinstance(job, Mapping) else None
        if not isinstance(steps, Sequence) or key is None:
            return []
        out: list[_Item] = []
        prev = key.line
        for i, step in enumerate(steps.items):
            last = max(prev, self._last_line(step))
            head = self._dash_line(prev + 1, step.line, steps.col) if not steps.flow else step.line
            col = steps.col if not steps.flow else step.col
            out.append(_Item(prev + 1, last, f"{where}.steps[{i}]", head, col, _keys(step), []))
            prev = last
        return out

    def _dash_line(self, lo: int, hi: int, col: int) -> int:
        """The line of a block sequence item's ``-`` (the item's content may start below it)."""
        for n in range(lo, hi + 1):
            text = self._text[self._starts[n]:self._starts[n + 1] if n + 1 < len(self._starts)
                              else len(self._text)]
            if text[:col].strip(" ") == "" and text[col:col + 1] == "-" and \
                    text[col + 1:col + 2] in ("", " ", "\r", "\n"):
                return n
        return hi

    def line(self, offset: int) -> int:
        return bisect_right(self._starts, offset) - 1

    def line_start(self, line: int) -> int:
        return self._starts[line]

    def _last_line(self, node: YNode) -> int:
        """The line of the node's last character of content (a block collection's own end
        runs on over the comments and blank lines after it, so its scalars decide)."""
        end = _content_end(node)
        return self.line(max(end - 1, node.start))

    def location(self, line: int, col: int = 0, own_line: bool = False) -> str:
        """The location a comment at ``line`` and ``col`` belongs to (``own_line``: nothing
        but blanks before it on its line)."""
        item = _owner(self.jobs, line, col, own_line)
        if item is None and own_line and self.jobs and self.jobs[-1].last < line < \
                self._tail_end and col > self.jobs[-1].col:
            item = self.jobs[-1]  # below the last job, indented inside it
        if item is None:
            return ""
        step = _owner(item.steps, line, col, own_line)
        if step is None and own_line and item.steps and item.steps[-1].last < line and \
                item.steps[-1].last == item.last and col > item.steps[-1].col:
            step = item.steps[-1]  # below the job's last step, indented inside it
        return step.where if step is not None else item.where


def _owner(items: list[_Item], line: int, col: int, own_line: bool) -> _Item | None:
    """The item whose lines hold ``line``: the next item for a comment above it, the previous
    one for a comment on its own line indented inside the previous item's values."""
    for n, item in enumerate(items):
        if item.first <= line <= item.last:
            before = items[n - 1] if n else None
            if (own_line and line < item.head and before is not None
                    and before.keys is not None and col > before.keys):
                return before
            return item
    return None


def _keys(node: YNode) -> int | None:
    return node.col if isinstance(node, Mapping) and not node.flow else None


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
