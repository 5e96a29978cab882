"""Where literal text sits in a bash script, and how a variable can take its place there.

The secrets transform moves a credential written into a ``run:`` script into the step's
environment, and a ``${{ secrets.X }}`` expression likewise. What replaces it depends on the
quoting around it, which tree-sitter-bash tells: unquoted, inside double quotes, inside single
quotes, in a here-document (with or without a quoted delimiter), in a ``[[ ]]`` or ``case``
pattern or in a comment. ``${{ }}``
expressions are swapped for same-length placeholder words before parsing, so every offset is an
offset of the script as written (with LF line ends).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import tree_sitter

from fixbot.kb.expressions import mask
from fixbot.kb.shell import _parser

Quoting = Literal["unquoted", "double", "single", "heredoc", "heredoc-quoted", "comment", "pattern",
                  "other"]


@dataclass(frozen=True)
class Segment:
    """A run of literal script text: ``script[start:end]``, its quoting, and the variable it is
    assigned to (``TOKEN=...``, ``export TOKEN=...``) where it is one."""

    start: int
    end: int
    quoting: Quoting
    name: str | None = None
    # single quotes: where the quoted string starts and ends (its quote characters included)
    outer: tuple[int, int] | None = None


@dataclass(frozen=True)
class Script:
    text: str  # the script with LF line ends
    segments: tuple[Segment, ...]
    expressions: tuple[tuple[int, int, Quoting, tuple[int, int] | None], ...]  # ${{ }} spans
    error: str | None = None


def read(script: str) -> Script:
    """The literal segments and the ``${{ }}`` expressions of a bash script, with their quoting.

    A script tree-sitter cannot parse has ``error`` set and no segments."""
    text, masked, spans = mask(script)  # "${{ x }}" -> "ZZZZZZZZ": the offsets hold
    if len(masked.encode("utf-8")) != len(masked):
        # tree-sitter reports byte offsets: keep to ASCII scripts, where they are characters
        return Script(text, (), (), "the script holds non-ASCII text")
    tree = _parser().parse(masked.encode("utf-8"))
    if tree.root_node.has_error:
        return Script(text, (), (), "the shell script cannot be parsed")
    segs: list[Segment] = []
    _walk(tree.root_node, masked, segs, None)
    where: list[tuple[int, int, Quoting, tuple[int, int] | None]] = []
    for lo, hi in spans:
        seg = next((g for g in segs if g.start <= lo and hi <= g.end), None)
        where.append((lo, hi, seg.quoting if seg else "other", seg.outer if seg else None))
    return Script(text, tuple(segs), tuple(where))


def _walk(node: tree_sitter.Node, text: str, out: list[Segment], name: str | None) -> None:
    t = node.type
    if t == "variable_assignment":
        var = node.child_by_field_name("name")
        name = text[var.start_byte:var.end_byte] if var is not None else None
        for c in node.children:
            if c.type != "variable_name":
                _walk(c, text, out, name)
        return
    if t == "word":
        out.append(Segment(node.start_byte, node.end_byte, "unquoted", name))
        return
    if t == "string_content":
        out.append(Segment(node.start_byte, node.end_byte, "double", name))
        return
    if t == "raw_string":
        out.append(Segment(node.start_byte + 1, node.end_byte - 1, "single", name,
                           (node.start_byte, node.end_byte)))
        return
    if t == "comment":
        out.append(Segment(node.start_byte, node.end_byte, "comment"))
        return
    if t == "heredoc_body":
        start = node.parent.child_by_field_name("heredoc_start") if node.parent else None
        if start is None and node.parent is not None:
            start = next((c for c in node.parent.children if c.type == "heredoc_start"), None)
        delim = text[start.start_byte:start.end_byte] if start is not None else ""
        quoting: Quoting = "heredoc-quoted" if any(q in delim for q in "'\"\\") else "heredoc"
        pos = node.start_byte
        for c in node.children:
            if c.type == "heredoc_content":
                continue
            if c.start_byte > pos:
                out.append(Segment(pos, c.start_byte, quoting))
            pos = max(pos, c.end_byte)
        if node.end_byte > pos:
            out.append(Segment(pos, node.end_byte, quoting))
        return
    if t in ("extglob_pattern", "regex"):
        # `[[ $x == PAT ]]`, `[[ $x =~ RE ]]`, `case … in PAT)`: a glob or regex, not a word
        out.append(Segment(node.start_byte, node.end_byte, "pattern", name))
        return
    if t in ("ansi_c_string", "translated_string"):
        out.append(Segment(node.start_byte, node.end_byte, "other", name))
        return
    for c in node.children:
        _walk(c, text, out, name if t in ("concatenation", "string") else None)


def reference(var: str, quoting: Quoting) -> str | None:
    """What reads variable ``var`` in place of literal text with this quoting (None: nothing
    can, e.g. a quoted here-document, which expands no variable)."""
    if quoting == "unquoted":
        return f'"${{{var}}}"'
    if quoting in ("double", "heredoc"):
        return f"${{{var}}}"
    if quoting == "single":
        return f"'\"${{{var}}}\"'"
    return None


def splice(seg_start: int, seg_end: int, outer: tuple[int, int] | None, at: int, end: int,
           var: str, quoting: Quoting) -> tuple[int, int, str] | None:
    """The replacement of ``script[at:end]`` (inside a segment) by a reference to ``var``:
    (start, end, new text). Inside single quotes, the quotes are closed around the reference,
    and a reference at either end of the quoted string takes the quote character with it."""
    ref = reference(var, quoting)
    if ref is None:
        return None
    if quoting != "single" or outer is None:
        return at, end, ref
    lo, hi = at, end
    new = ref
    if at == seg_start:  # no text before it inside the quotes: drop the empty ''
        lo = outer[0]
        new = new[1:]
    if end == seg_end:
        hi = outer[1]
        new = new[:-1]
    return lo, hi, new
