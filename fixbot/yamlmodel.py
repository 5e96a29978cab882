"""The workflow model: ruamel.yaml parsing into a small typed node tree with exact text spans.

ruamel.yaml stays in this module. Documents are *composed* (never constructed), so aliases are
not expanded while parsing; every node keeps the character span of its text in the original
document, which is what the edit layer splices against. Scalars are resolved the way GitHub reads
workflows (YAML 1.2 core schema: ``on`` is a string, ``yes`` is a string).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.error import MarkedYAMLError, YAMLError

try:  # the C parser is ~20x faster; fall back to the pure-Python one where it is missing
    from ruamel.yaml.cyaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the platform
    from ruamel.yaml.loader import SafeLoader as _Loader  # type: ignore[assignment]

from fixbot.errors import InputError
from fixbot.types import DataPath

# A document whose aliases would expand to more nodes than this is rejected (a "YAML bomb").
MAX_EXPANDED_NODES = 200_000

Plain = Any  # None | bool | int | float | str | list[Plain] | dict[str, Plain]


class Node:
    """A node of the document with its span ``text[start:end]`` and 0-based line/column."""

    __slots__ = ("start", "end", "line", "col", "path", "shared")

    def __init__(self, start: int, end: int, line: int, col: int, path: DataPath) -> None:
        self.start = start
        self.end = end
        self.line = line
        self.col = col
        self.path = path
        self.shared = False  # True when the node is also reached through an alias


class Scalar(Node):
    __slots__ = ("value", "style", "raw")

    def __init__(self, start: int, end: int, line: int, col: int, path: DataPath,
                 value: Any, style: str | None, raw: str) -> None:
        super().__init__(start, end, line, col, path)
        self.value = value
        self.style = style  # None (plain), "'", '"', "|" or ">"
        self.raw = raw  # the scalar's string value before resolution

    def __repr__(self) -> str:
        return f"Scalar({self.value!r} @{self.line + 1}:{self.col + 1})"


class Mapping(Node):
    __slots__ = ("items", "flow")

    def __init__(self, start: int, end: int, line: int, col: int, path: DataPath,
                 flow: bool) -> None:
        super().__init__(start, end, line, col, path)
        self.items: list[tuple[Scalar, YNode]] = []
        self.flow = flow

    def get(self, key: str) -> YNode | None:
        for k, v in self.items:
            if k.value == key:
                return v
        return None

    def key_node(self, key: str) -> Scalar | None:
        for k, _ in self.items:
            if k.value == key:
                return k
        return None

    def keys(self) -> list[Any]:
        return [k.value for k, _ in self.items]

    def __repr__(self) -> str:
        return f"Mapping({self.keys()!r} @{self.line + 1}:{self.col + 1})"


class Sequence(Node):
    __slots__ = ("items", "flow")

    def __init__(self, start: int, end: int, line: int, col: int, path: DataPath,
                 flow: bool) -> None:
        super().__init__(start, end, line, col, path)
        self.items: list[YNode] = []
        self.flow = flow

    def __repr__(self) -> str:
        return f"Sequence(len={len(self.items)} @{self.line + 1}:{self.col + 1})"


YNode = Scalar | Mapping | Sequence


@dataclass(frozen=True)
class Comment:
    """A YAML comment: ``text[start:end]`` runs from its ``#`` to the end of its line (without
    trailing blanks or the line break); ``own_line`` when only blanks precede it on its line."""

    start: int
    end: int
    text: str
    own_line: bool

_INT = re.compile(r"[-+]?[0-9]+\Z")
_OCT = re.compile(r"0o[0-7]+\Z")
_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)\Z")
_NAN = re.compile(r"\.(nan|NaN|NAN)\Z")


def resolve_plain(text: str) -> Any:
    """Resolve a plain (unquoted) scalar by the YAML 1.2 core schema."""
    if text and text[0].isalpha() and text[0] not in "tTfFnN":
        return text  # fast path: most scalars are words
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if _INT.match(text):
        return int(text)
    if _OCT.match(text):
        return int(text[2:], 8)
    if _HEX.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text):
        return float(text)
    if _INF.match(text):
        return float("-inf") if text.startswith("-") else float("inf")
    if _NAN.match(text):
        return float("nan")
    return text


class _ComposeOnly(_Loader):
    """The loader without tag resolution: scalars are resolved by ``resolve_plain`` instead."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        return "tag:yaml.org,2002:str"


def _compose(text: str) -> Any:
    loader = _ComposeOnly(text)
    try:
        return loader.get_single_node()
    finally:
        dispose = getattr(loader, "dispose", None)
        if dispose is not None:
            dispose()


def _describe(e: YAMLError, text: str) -> str:
    if isinstance(e, MarkedYAMLError):
        mark = e.problem_mark or e.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        if mark is not None and 0 <= mark.index < len(text) and text[mark.index] == "\t":
            return f"invalid YAML: {where}a tab character; YAML allows only spaces for indentation"
        problem = e.problem or e.context or "invalid YAML"
        if e.context and e.problem:
            problem = f"{e.problem} ({e.context})"
        return f"invalid YAML: {where}{problem}"
    return f"invalid YAML: {e}"


class Document:
    """A parsed workflow document: its (BOM-less) text, node tree and plain data."""

    def __init__(self, text: str) -> None:
        self.text = text
        try:
            raw = _compose(text)
        except YAMLError as e:
            raise InputError(_describe(e, text)) from e
        except (ValueError, TypeError) as e:  # libyaml reports some reader errors this way
            raise InputError(f"invalid YAML: {e}") from e
        self._converted: dict[int, YNode] = {}
        self._aliased = False
        self._comments: list[Comment] | None = None
        try:
            self.root: YNode | None = None if raw is None else self._convert(raw, ())
        except RecursionError as e:
            raise InputError("nesting too deep") from e
        if self._aliased and self.root is not None:
            self._check_expansion(self.root)
        self.data: Plain = None if self.root is None else to_plain(self.root)

    # -- conversion -----------------------------------------------------------------------
    def _convert(self, raw: Any, path: DataPath) -> YNode:
        seen = self._converted.get(id(raw))
        if seen is not None:
            self._aliased = True
            _mark_shared(seen)
            return seen
        sm, em = raw.start_mark, raw.end_mark
        node: YNode
        kind = raw.id
        if kind == "scalar":
            style = raw.style if raw.style else None
            value = raw.value if style is not None else resolve_plain(raw.value)
            node = Scalar(sm.index, em.index, sm.line, sm.column, path, value, style, raw.value)
            self._converted[id(raw)] = node
        elif kind == "mapping":
            node = Mapping(sm.index, em.index, sm.line, sm.column, path, bool(raw.flow_style))
            self._converted[id(raw)] = node
            seen_keys: dict[Any, Scalar] = {}
            for k, v in raw.value:
                if k.id != "scalar":
                    raise InputError(
                        f"line {k.start_mark.line + 1}: a mapping key must be a plain value, "
                        "not a mapping or sequence")
                key = self._convert(k, path)
                assert isinstance(key, Scalar)
                hashable = key.value if not isinstance(key.value, float) else key.raw
                if hashable in seen_keys:
                    first = seen_keys[hashable]
                    raise InputError(
                        f"line {key.line + 1}: duplicate key {key.raw!r} "
                        f"(first defined on line {first.line + 1})")
                seen_keys[hashable] = key
                node.items.append((key, self._convert(v, path + (key.value,))))
        elif kind == "sequence":
            node = Sequence(sm.index, em.index, sm.line, sm.column, path, bool(raw.flow_style))
            self._converted[id(raw)] = node
            for i, item in enumerate(raw.value):
                node.items.append(self._convert(item, path + (i,)))
        else:  # pragma: no cover - composer only makes these three
            raise InputError(f"unsupported YAML node {kind!r}")
        return node

    @staticmethod
    def _check_expansion(root: YNode) -> None:
        """Reject documents whose aliases expand to too many nodes (memoised, so bombs are cheap)."""
        sizes: dict[int, int] = {}

        def size(node: YNode) -> int:
            got = sizes.get(id(node))
            if got is None:
                got = 1
                if isinstance(node, Mapping):
                    got += sum(1 + size(v) for _, v in node.items)
                elif isinstance(node, Sequence):
                    got += sum(size(v) for v in node.items)
                sizes[id(node)] = got
            if got > MAX_EXPANDED_NODES:
                raise InputError(
                    f"aliases expand to more than {MAX_EXPANDED_NODES:,} nodes (a YAML bomb?)")
            return got

        size(root)

    # -- lookups ----------------------------------------------------------------------------
    def node_at(self, path: DataPath) -> YNode | None:
        node: YNode | None = self.root
        for part in path:
            if isinstance(node, Mapping) and isinstance(part, str):
                node = node.get(part)
            elif isinstance(node, Sequence) and isinstance(part, int):
                node = node.items[part] if 0 <= part < len(node.items) else None
            else:
                return None
        return node

    def comments(self, lo: int = 0, hi: int | None = None) -> list[Comment]:
        """The comments starting in ``text[lo:hi]``, in order.

        A ``#`` is a comment where it starts a line or follows a blank and lies outside every
        scalar's span (a ``#`` inside quotes, a block scalar or a plain scalar is text).
        """
        if self._comments is None:
            self._comments = _find_comments(self.text, self.root)
        hi = len(self.text) if hi is None else hi
        return [c for c in self._comments if lo <= c.start < hi]

    def line_of(self, offset: int) -> int:
        """1-based line number of a character offset."""
        return self.text.count("\n", 0, offset) + 1


def _mark_shared(node: YNode) -> None:
    """Mark a node reached through an alias, and everything below it, as shared (once)."""
    if node.shared:
        return
    node.shared = True
    stack: list[YNode] = [node]
    while stack:
        n = stack.pop()
        children: list[YNode] = []
        if isinstance(n, Mapping):
            for k, v in n.items:
                k.shared = True
                children.append(v)
        elif isinstance(n, Sequence):
            children = n.items
        for c in children:
            if not c.shared:
                c.shared = True
                stack.append(c)


def _scalar_spans(root: YNode | None) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    seen: set[int] = set()
    stack: list[YNode] = [root] if root is not None else []
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if isinstance(n, Scalar):
            if n.end > n.start:
                spans.append((n.start, n.end))
        elif isinstance(n, Mapping):
            for k, v in n.items:
                stack.append(k)
                stack.append(v)
        else:
            stack.extend(n.items)
    spans.sort()
    return spans


def _find_comments(text: str, root: YNode | None) -> list[Comment]:
    spans = _scalar_spans(root)
    starts = [s for s, _ in spans]
    out: list[Comment] = []
    pos = text.find("#")
    while pos >= 0:
        i = bisect_right(starts, pos) - 1
        if i >= 0 and spans[i][0] <= pos < spans[i][1]:
            pos = text.find("#", spans[i][1])
            continue
        if pos == 0 or text[pos - 1] in " \t\r\n":
            end = text.find("\n", pos)
            end = len(text) if end < 0 else end
            body = text[pos:end].rstrip(" \t\r")
            line_start = text.rfind("\n", 0, pos) + 1
            out.append(Comment(pos, pos + len(body), body, not text[line_start:pos].strip(" \t")))
            pos = text.find("#", end)
        else:
            pos = text.find("#", pos + 1)
    return out


def to_plain(node: YNode) -> Plain:
    """Plain Python data for a node; aliased sub-trees are shared objects, never copied."""
    memo: dict[int, Plain] = {}

    def conv(n: YNode) -> Plain:
        got = memo.get(id(n))
        if got is not None:
            return got
        out: Plain
        if isinstance(n, Scalar):
            return n.value
        if isinstance(n, Mapping):
            out = {}
            memo[id(n)] = out
            for k, v in n.items:
                out[k.value] = conv(v)
            return out
        out = []
        memo[id(n)] = out
        out.extend(conv(v) for v in n.items)
        return out

    return conv(node)


def parse(text: str) -> Document:
    return Document(text)
