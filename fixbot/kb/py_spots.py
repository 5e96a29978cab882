"""Where a ``${{ }}`` expression sits in a ``shell: python`` script, and how
``os.environ["NAME"]`` can take its place (:func:`read`, :func:`rewrite`).

GitHub pastes every expression into the script's text before Python reads it. The script is
parsed with libcst, each expression masked by a same-length word. An expression is rewritten
only inside the text of a plain string literal (not an f-string, not bytes, not part of an
implicit concatenation ``"a" "b"``), where its value was always text: the literal becomes a
parenthesised concatenation, ``("Title: " + os.environ["ISSUE_TITLE"])``, which is the same
string for any value and keeps its place in the expression around it. The script gains
``import os`` as its first line unless it imports ``os`` itself; a script that binds the name
``os`` to something else, or starts with ``from __future__`` imports, is left with a note.

Everywhere else (code, comments, f-strings, bytes) the value was pasted as code or cannot be
read from a variable as written: it is left with the reason (:attr:`Spot.why`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

from fixbot.kb.expressions import mask


@dataclass(frozen=True)
class Spot:
    start: int  # the expression's span in the script (LF line ends)
    end: int
    string: tuple[int, int, str, str] | None  # the literal: (start, end, prefix, quote)
    why: str | None  # why it is left as it is; None: it can be rewritten


@dataclass(frozen=True)
class Script:
    text: str  # the script with LF line ends
    spots: list[Spot]
    error: str | None = None
    imports_os: bool = False


class _Strings(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (PositionProvider, ParentNodeProvider)

    def __init__(self) -> None:
        self.found: list[tuple[cst.CSTNode, str]] = []  # (node, kind)
        self.imports_os = False
        self.binds_os = False
        self.future = False
        self.in_fstring = 0  # inside an f-string: quotes there depend on the Python version

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        parent = self.get_metadata(ParentNodeProvider, node)
        kind = "concat" if isinstance(parent, cst.ConcatenatedString) else "simple"
        self.found.append((node, "fstring" if self.in_fstring else kind))

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        self.found.append((node, "fstring"))
        self.in_fstring += 1

    def leave_FormattedString(self, original_node: cst.FormattedString) -> None:
        self.in_fstring -= 1

    def visit_Import(self, node: cst.Import) -> None:
        for a in node.names:
            if a.evaluated_name == "os" and a.asname is None:
                self.imports_os = True
            elif (a.evaluated_alias or a.evaluated_name.split(".")[0]) == "os":
                self.binds_os = True

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        module = node.module
        if isinstance(module, cst.Name) and module.value == "__future__":
            self.future = True
        if not isinstance(node.names, cst.ImportStar):
            for a in node.names:
                if (a.evaluated_alias or a.evaluated_name) == "os":
                    self.binds_os = True
        else:
            self.binds_os = True  # `from x import *` may bind it

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == "os":
            parent = self.get_metadata(ParentNodeProvider, node)
            if isinstance(parent, (cst.AssignTarget, cst.FunctionDef, cst.ClassDef, cst.Param,
                                   cst.For, cst.AsName, cst.NamedExpr, cst.AnnAssign,
                                   cst.AugAssign, cst.Global, cst.Nonlocal)):
                self.binds_os = True


def _offsets(text: str) -> list[int]:
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    return starts


def read(script: str) -> Script:
    text, masked, spans = mask(script)
    try:
        module = cst.parse_module(masked)
    except cst.ParserSyntaxError as e:
        return Script(text, [], f"the Python cannot be parsed (line {e.raw_line})")
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    v = _Strings()
    wrapper.visit(v)
    positions = wrapper.resolve(PositionProvider)
    starts = _offsets(masked)

    def span(node: cst.CSTNode) -> tuple[int, int]:
        r = positions[node]
        return (starts[r.start.line - 1] + r.start.column, starts[r.end.line - 1] + r.end.column)

    literals = [(span(n), n, kind) for n, kind in v.found]
    spots = []
    for start, end in spans:
        hit = [(s, n, k) for s, n, k in literals if s[0] <= start and end <= s[1]]
        if not hit:
            spots.append(Spot(start, end, None, "it is pasted into the program as code (or a "
                              "comment), so its value runs as Python"))
            continue
        (lo, hi), node, kind = min(hit, key=lambda h: h[0][1] - h[0][0])
        why = None
        if kind == "fstring":
            why = "it is inside an f-string, whose text fixbot does not rewrite"
        elif kind == "concat":
            why = "it is in a string joined to its neighbour by position (`\"a\" \"b\"`)"
        assert isinstance(node, (cst.SimpleString, cst.FormattedString))
        prefix = node.prefix if isinstance(node, cst.SimpleString) else ""
        if why is None and "b" in prefix.lower():
            why = "it is inside a bytes literal, which cannot hold the text of a variable"
        if why is None and (v.binds_os or v.future):
            why = ("the script binds the name `os` itself or starts with `from __future__` "
                   "imports, so fixbot does not add `import os`")
        quote = node.quote if isinstance(node, cst.SimpleString) else ""
        spots.append(Spot(start, end, (lo, hi, prefix, quote) if why is None else None, why))
    return Script(text, spots, None, v.imports_os)


def rewrite(script: Script, chosen: dict[tuple[int, int], str]) -> list[tuple[int, int, str]]:
    """The edits (in the script's offsets) that read each chosen expression (its span -> the
    variable) from ``os.environ``: one per string literal, and ``import os`` where needed."""
    by_string: dict[tuple[int, int, str, str], list[tuple[int, int, str]]] = {}
    for s in script.spots:
        var = chosen.get((s.start, s.end))
        if var is not None and s.string is not None:
            by_string.setdefault(s.string, []).append((s.start, s.end, var))
    edits: list[tuple[int, int, str]] = []
    text = script.text
    for (lo, hi, prefix, quote), moves in sorted(by_string.items()):
        body_lo, body_hi = lo + len(prefix) + len(quote), hi - len(quote)
        parts: list[str] = []
        at = body_lo
        for start, end, var in sorted(moves):
            if start > at:
                parts.append(f"{prefix}{quote}{text[at:start]}{quote}")
            parts.append(f'os.environ["{var}"]')
            at = end
        if body_hi > at:
            parts.append(f"{prefix}{quote}{text[at:body_hi]}{quote}")
        edits.append((lo, hi, "(" + " + ".join(parts) + ")"))
    if edits and not script.imports_os:
        # a one-line script stays on one line (a plain YAML scalar cannot take a line break)
        one_line = "\n" not in text.rstrip("\n")
        edits.append((0, 0, "import os; " if one_line else "import os\n"))
    return edits


def parses(text: str) -> bool:
    """Whether libcst and this Python (3.11 or later: the oldest grammar fixbot runs on, which
    refuses what only newer ones take) both parse ``text``, its expressions masked."""
    masked = mask(text)[1]
    try:
        cst.parse_module(masked)
        ast.parse(masked)
    except (cst.ParserSyntaxError, SyntaxError, ValueError):
        return False
    return True
