"""Where a ``${{ }}`` expression sits in the JavaScript of ``actions/github-script``, and how
``process.env.NAME`` can take its place (:func:`read`, :func:`rewrite`).

github-script runs its ``script`` input as the body of an async function, after GitHub has
pasted every expression into the text. The script is parsed with tree-sitter-javascript as that
body (so ``await`` and ``return`` parse), with each expression masked by a same-length word. An
expression is rewritten only inside string text, where its value was always a string:

* in a template literal's text: ``${process.env.NAME}``;
* in a ``'…'`` or ``"…"`` string: the string becomes a template literal holding
  ``${process.env.NAME}``, provided its text holds no backtick and no ``${`` (which a template
  literal would read differently), it is not an object key, an import or export path, or a
  statement of its own (a directive such as ``'use strict'``, or a string that begins a
  statement, where a template literal could join the previous line as a tagged template).

Everywhere else the value was pasted as code (``const n = ${{ … }}``), into a comment, a
regular expression or part of a name: turning it into a string would change what the script
does, so it is left with the reason (:attr:`Spot.why`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import tree_sitter
import tree_sitter_javascript

from fixbot.kb.expressions import mask

_PREFIX = "(async function () {\n"
_SUFFIX = "\n})"


@dataclass(frozen=True)
class Spot:
    start: int  # the expression's span in the script (LF line ends)
    end: int
    string: tuple[int, int] | None  # the '…'/"…" string to turn into a template literal
    why: str | None  # why it is left as it is; None: it can be rewritten


@dataclass(frozen=True)
class Script:
    text: str  # the script with LF line ends
    spots: list[Spot]
    error: str | None = None


@lru_cache(maxsize=1)
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_javascript.language()))


def read(script: str) -> Script:
    """Every expression of the script, with where it sits. ``script`` must be ASCII (callers
    replace other characters by same-length stand-ins, as the shell readers do)."""
    text, masked, spans = mask(script)
    src = (_PREFIX + masked + _SUFFIX).encode("ascii", "replace")
    tree = _parser().parse(src)
    if tree.root_node.has_error:
        return Script(text, [], "the JavaScript cannot be parsed")
    off = len(_PREFIX)
    spots = []
    for start, end in spans:
        node = tree.root_node.descendant_for_byte_range(start + off, end + off)
        spots.append(_spot(node, start, end, off, masked))
    return Script(text, spots)


def _spot(node: tree_sitter.Node | None, start: int, end: int, off: int, masked: str) -> Spot:
    if node is None:
        return Spot(start, end, None, "fixbot cannot tell where it sits")
    kind = node.type
    parent = node.parent
    if kind == "string_fragment" and parent is not None and parent.type == "template_string":
        return Spot(start, end, None, None)
    if kind == "string_fragment" and parent is not None and parent.type == "string":
        why = _string_why(parent, masked, off)
        span = (parent.start_byte - off, parent.end_byte - off)
        return Spot(start, end, span if why is None else None, why)
    if kind == "comment":
        return Spot(start, end, None, "it is in a comment: a value holding a line break ends "
                    "the comment and the next line runs as code; delete it from the comment")
    if kind in ("regex_pattern", "regex"):
        return Spot(start, end, None, "it is inside a regular expression literal, which "
                    "cannot read a variable; build it with `new RegExp(process.env.NAME)`")
    if kind in ("identifier", "property_identifier", "shorthand_property_identifier") and \
            (node.start_byte - off, node.end_byte - off) == (start, end):
        return Spot(start, end, None, "it is pasted as JavaScript code, not inside a string, "
                    "so its value is code (a number, an object, a name); pass it through the "
                    "step's `env:` and convert it (`JSON.parse(process.env.NAME)`, "
                    "`Number(process.env.NAME)`)")
    return Spot(start, end, None, "it is part of a longer name or token, where no variable "
                "can stand")


def _string_why(string: tree_sitter.Node, masked: str, off: int) -> str | None:
    body = masked[string.start_byte - off + 1:string.end_byte - off - 1]
    if "`" in body or "${" in body:
        return ("the string holds a backtick or `${`, which a template literal would read "
                "differently; rewrite it by hand to read `process.env.NAME`")
    parent = string.parent
    if parent is None:
        return "fixbot cannot tell where the string stands"
    if parent.type == "pair" and parent.child_by_field_name("key") == string:
        return "the string is an object key, which must be a plain literal"
    if parent.type in ("import_statement", "export_statement", "import", "import_clause"):
        return "the string is a module path, which must be a plain literal"
    if parent.type == "expression_statement":
        return ("the string is a statement of its own (a directive, or the start of a "
                "statement that the line before could continue)")
    return None


def rewrite(script: Script, chosen: dict[tuple[int, int], str]) -> list[tuple[int, int, str]]:
    """The edits (start, end, new text) that make the expressions at the ``chosen`` spans read
    ``process.env.NAME`` (span -> NAME): each expression becomes ``${process.env.NAME}`` and
    each ``'…'``/``"…"`` string holding one has its quotes turned into backticks."""
    edits: list[tuple[int, int, str]] = []
    quoted: set[tuple[int, int]] = set()
    for spot in script.spots:
        name = chosen.get((spot.start, spot.end))
        if name is None:
            continue
        edits.append((spot.start, spot.end, "${process.env." + name + "}"))
        if spot.string is not None:
            quoted.add(spot.string)
    for lo, hi in quoted:
        edits += [(lo, lo + 1, "`"), (hi - 1, hi, "`")]
    return sorted(edits)


def parses(text: str) -> bool:
    """Whether ``text`` (a rewritten script) still parses as github-script's function body."""
    src = (_PREFIX + text + _SUFFIX).encode("utf-8")
    return not _parser().parse(src).root_node.has_error
