"""Symbolic edits spliced into the original text of a workflow.

Every edit is computed from node spans of :mod:`fixbot.yamlmodel` and carries the semantic
operation it performs, so the guard can check the result. New text follows the file's own
indentation, sequence style and line endings; everything outside the edited span keeps its bytes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from collections.abc import Mapping as Map
from collections.abc import Sequence as Seq
from dataclasses import dataclass
from typing import Any

from fixbot.errors import TransformError
from fixbot.types import DeleteOp, Edit, InsertOp, SetOp
from fixbot.yamlmodel import Comment, Document, Mapping, Plain, Scalar, Sequence, YNode, resolve_plain


@dataclass(frozen=True)
class Style:
    newline: str  # "\n" or "\r\n"
    indent: int  # spaces a nested block mapping is indented by
    seq_offset: int  # columns between a key and the "-" of its block sequence (0 or indent)


def detect_style(doc: Document) -> Style:
    """The file's own conventions, from its nested block collections (most common wins)."""
    text = doc.text
    newline = "\r\n" if text.count("\r\n") * 2 > text.count("\n") else "\n"
    indents: Counter[int] = Counter()
    seq_offsets: Counter[int] = Counter()
    stack: list[YNode] = [doc.root] if doc.root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping) and not node.flow:
            for k, v in node.items:
                if isinstance(v, Mapping) and not v.flow and v.line > k.line:
                    indents[v.col - k.col] += 1
                elif isinstance(v, Sequence) and not v.flow and v.line > k.line:
                    seq_offsets[v.col - k.col] += 1
                stack.append(v)
        elif isinstance(node, Sequence) and not node.flow:
            stack.extend(node.items)
    indent = indents.most_common(1)[0][0] if indents else 2
    if indent <= 0:
        indent = 2
    seq_offset = seq_offsets.most_common(1)[0][0] if seq_offsets else indent
    return Style(newline, indent, max(seq_offset, 0))


# -- rendering new values -----------------------------------------------------------------------

# End-of-line comments for a new mapping value: its key -> the comment's text (after "# "), e.g.
# {"contents": 'step "Publish" (softprops/action-gh-release@v2)'}. Comments never change the data.
Remarks = Map[str, str]

_INDICATORS = set("-?:,[]{}#&*!|>'\"%@`")


def render_scalar(value: Any, flow: bool = False) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return repr(value)
    s = str(value)
    if _plain_ok(s, flow):
        return s
    if "\n" in s or any(ord(c) < 32 and c != "\t" for c in s):
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return "'" + s.replace("'", "''") + "'"


def _plain_ok(s: str, flow: bool) -> bool:
    if not s or s != s.strip() or resolve_plain(s) != s or "\n" in s or "\t" in s:
        return False
    if s[0] in _INDICATORS and not (s[0] in "-?:" and len(s) > 1 and s[1] not in " \t"):
        return False
    if ": " in s or " #" in s or s.endswith(":"):
        return False
    return not (flow and any(c in s for c in ",[]{}"))


def render_block(value: Plain, col: int, style: Style, remarks: Remarks | None = None) -> list[str]:
    """Lines (without newlines) rendering a mapping or sequence in block style at ``col``;
    ``remarks`` end the first line of the mapping's keys they name."""
    pad = " " * col
    lines: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            key = render_scalar(k)
            if remarks and k in remarks:
                lines.extend(_remarked(render_block({k: v}, col, style), remarks[k]))
                continue
            if isinstance(v, dict) and v:
                lines.append(f"{pad}{key}:")
                lines.extend(render_block(v, col + style.indent, style))
            elif isinstance(v, list) and v:
                lines.append(f"{pad}{key}:")
                lines.extend(render_block(v, col + style.seq_offset, style))
            else:
                lines.append(f"{pad}{key}: {_block_scalar(v)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)) and item:
                inner = render_block(item, col + 2, style)
                lines.append(f"{pad}- {inner[0][col + 2:]}")
                lines.extend(inner[1:])
            else:
                lines.append(f"{pad}- {render_inline(item)}")
    else:
        raise TransformError(f"cannot render {type(value).__name__} as a block")
    return lines


def _remarked(lines: list[str], remark: str) -> list[str]:
    """``lines`` with ``remark`` as an end-of-line comment of the first."""
    if not remark.strip() or any(c in remark for c in "\r\n\x85\u2028\u2029"):
        raise TransformError(f"a comment must be one non-empty line: {remark!r:.60}")
    return [f"{lines[0]}  # {remark}"] + lines[1:]


def _flow_remarks(text: str, pos: int, remarks: Remarks | None, style: Style) -> str:
    """The end-of-line comment for a value ending at ``pos`` inside a flow collection, where a
    comment cannot sit inside the line: what follows on that line moves to the next one,
    indented one level deeper than the line (so it stays inside the flow collection)."""
    if not remarks:
        return ""
    comment = _remarked([""], "; ".join(f"{k}: {r}" for k, r in remarks.items()))[0]
    end = _line_end(text, pos)
    if not text[pos:end].strip():
        return comment
    line = text[_line_start(text, pos):end]
    return comment + style.newline + " " * (len(line) - len(line.lstrip(" ")) + style.indent)


def _block_scalar(value: Plain) -> str:
    """A value on a block mapping's key line: a scalar is plain wherever block context allows
    (``${{ secrets.X }}`` needs no quotes there), anything else in flow style."""
    return render_inline(value) if isinstance(value, (dict, list)) else render_scalar(value)


def render_inline(value: Plain) -> str:
    """A single-line (flow) rendering of ``value``."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(
            f"{render_scalar(k, True)}: {render_inline(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(render_inline(v) for v in value) + "]"
    return render_scalar(value, flow=True)


# -- positions ------------------------------------------------------------------------------------

def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _line_end(text: str, pos: int) -> int:
    """Offset of the line break (``\\r\\n`` or ``\\n``) ending the line holding ``pos``."""
    end = text.find("\n", pos)
    if end < 0:
        return len(text)
    return end - 1 if end > 0 and text[end - 1] == "\r" else end


def _content_end(text: str, node: YNode) -> int:
    """End of a node's own text. A block collection's span runs on to the next token, over the
    blank lines and comments that follow it (which belong to what comes next), so the end is
    that of its last item; block scalars also lose their trailing blank lines."""
    while isinstance(node, (Mapping, Sequence)) and not node.flow and node.items:
        node = node.items[-1][1] if isinstance(node, Mapping) else node.items[-1]
    end = node.end
    while end > node.start and text[end - 1] in " \t\r\n":
        end -= 1
    return end


def _check_editable(node: YNode) -> None:
    if node.shared:
        raise TransformError(
            f"line {node.line + 1}: the node is shared through a YAML alias; not edited")


# -- edit constructors ------------------------------------------------------------------------

def set_key(doc: Document, mapping: Mapping, key: str, value: Plain, style: Style,
            before: Seq[str] = (), remarks: Remarks | None = None) -> Edit:
    """Set ``mapping[key] = value``: replace the value if the key exists, else add the key.

    A new key goes before the first existing key named in ``before`` (with the comments directly
    above it), else after the last item. ``remarks`` comment the keys of a mapping ``value``: at
    the end of each one's line in block style, after the whole value in flow style.
    """
    _check_editable(mapping)
    existing = mapping.get(key)
    if existing is not None:
        return replace_value(doc, mapping, key, value, style, remarks)
    op = SetOp(mapping.path + (key,), value)
    text = doc.text
    if mapping.flow:
        return _add_flow_key(text, mapping, key, value, op, style, remarks)
    col = mapping.items[0][0].col if mapping.items else mapping.col
    nl = style.newline
    entry = _render_entry(key, value, col, style, remarks)
    for name in before:
        anchor = mapping.key_node(name)
        if anchor is None:
            continue
        pos = _above_comments(text, _line_start(text, anchor.start), anchor.col)
        if text[_line_start(text, anchor.start):anchor.start].strip():
            break  # the key shares its line with something else ("- name: x"): append instead
        blank_before = pos >= 2 and text[_line_start(text, pos - 1):pos].strip() == ""
        sep = nl if blank_before and col == 0 else ""
        return Edit(pos, pos, nl.join(entry) + nl + sep, op)
    last = mapping.items[-1][1] if mapping.items else mapping
    pos = _line_end(text, _content_end(text, last))
    return Edit(pos, pos, nl + nl.join(entry), op)


def _render_entry(key: str, value: Plain, col: int, style: Style,
                  remarks: Remarks | None = None) -> list[str]:
    pad = " " * col
    k = render_scalar(key)
    if isinstance(value, dict) and value:
        return [f"{pad}{k}:"] + render_block(value, col + style.indent, style, remarks)
    if isinstance(value, list) and value:
        return [f"{pad}{k}:"] + render_block(value, col + style.seq_offset, style)
    return [f"{pad}{k}: {_block_scalar(value)}"]


def _above_comments(text: str, pos: int, col: int) -> int:
    """Move ``pos`` (a line start) up over full-line comments at the same column."""
    while pos > 0:
        prev = _line_start(text, pos - 1)
        line = text[prev:pos].rstrip("\r\n")
        if line.strip().startswith("#") and len(line) - len(line.lstrip(" ")) == col:
            pos = prev
        else:
            break
    return pos


def _add_flow_key(text: str, mapping: Mapping, key: str, value: Plain, op: SetOp, style: Style,
                  remarks: Remarks | None) -> Edit:
    close = mapping.end - 1
    if text[close] != "}":
        raise TransformError(f"line {mapping.line + 1}: unexpected end of a flow mapping")
    entry = f"{render_scalar(key, True)}: {render_inline(value)}"
    if not mapping.items:
        inner = text[mapping.start + 1:close]
        if inner.strip():  # only a comment can be there: keep it
            raise TransformError(f"line {mapping.line + 1}: an empty flow mapping holds a comment; "
                                 "not edited, so that the comment is kept")
        return Edit(mapping.start + 1, close,
                    f"{inner}{entry}{_flow_remarks(text, close, remarks, style)}", op)
    pos = mapping.items[-1][1].end
    return Edit(pos, pos, f", {entry}{_flow_remarks(text, pos, remarks, style)}", op)


def replace_value(doc: Document, mapping: Mapping, key: str, value: Plain, style: Style,
                  remarks: Remarks | None = None) -> Edit:
    """Replace the value of an existing key, keeping the key and anything after the value;
    ``remarks`` comment the keys of a mapping ``value`` (see :func:`set_key`), except a key
    that keeps an end-of-line comment of its own.

    No comment is lost (see :func:`_merge_mapping` for where each one goes): a block mapping
    replaced by a block mapping keeps each comment with the key it belongs to where that key
    remains, and where the key it belongs to was otherwise; a value replaced by a one-line value
    keeps a comment of the key's line on that line and the others below it. A comment inside a
    flow value is refused rather than moved.
    """
    _check_editable(mapping)
    knode = mapping.key_node(key)
    old = mapping.get(key)
    if knode is None or old is None:
        raise TransformError(f"line {mapping.line + 1}: no key {key!r} to replace")
    op = SetOp(mapping.path + (key,), value)
    text = doc.text
    nl = style.newline
    empty = isinstance(old, Scalar) and old.start == old.end  # "key:" with no value
    block = isinstance(value, (dict, list)) and bool(value)
    if mapping.flow or not block:
        inline = render_inline(value)
        if empty:
            return Edit(old.start, old.end, " " + inline + _flow_remarks(text, old.end, remarks, style),
                        op)
        if mapping.flow or old.line == knode.line:
            end = _content_end(text, old)
            _refuse_comments(doc, old.start, end, "the value")
            return Edit(old.start, end, inline + _flow_remarks(text, end, remarks, style), op)
        # a block value below the key becomes one line: comments of the key's line stay on it,
        # the others stay below it, at the column of the old value
        start, end = _after_colon(text, knode), _line_end(text, _content_end(text, old))
        comments = doc.comments(start, end)
        on_key_line = [c for c in comments if c.start < _line_end(text, knode.end)]
        new = " " + inline + "".join(_eol_gap(text, c) + c.text for c in on_key_line)
        new += "".join(nl + " " * old.col + c.text for c in comments if c not in on_key_line)
        return Edit(start, end, new, op)
    # a non-empty block value: it starts on the line after the key
    col = knode.col + (style.indent if isinstance(value, dict) else style.seq_offset)
    if empty:
        pos = _line_end(text, knode.end)
        return Edit(pos, pos, nl + nl.join(render_block(value, col, style, remarks)), op)
    if old.line > knode.line:  # a block value below the key: replace it, keep the key line
        start, end = _line_end(text, knode.end), _line_end(text, _content_end(text, old))
        comments = doc.comments(start, end)
        if isinstance(value, dict) and isinstance(old, Mapping) and _mergeable(text, old):
            lines = _merge_mapping(doc, old, value, col, style, comments, remarks)
        else:
            lines = render_block(value, col, style, remarks) + [" " * col + c.text for c in comments]
        return Edit(start, end, nl + nl.join(lines), op)
    # a scalar or flow value on the key's line: keep a trailing comment on the key's line
    end = _content_end(text, old)
    line_end = _line_end(text, end)
    lines = render_block(value, col, style, remarks)
    lines += [" " * col + c.text for c in doc.comments(old.start, end)]
    return Edit(_after_colon(text, knode), line_end, text[end:line_end] + nl + nl.join(lines), op)


def _mergeable(text: str, m: Mapping) -> bool:
    """A block mapping below its key whose keys each start their own line."""
    return (not m.flow and bool(m.items)
            and all(not text[_line_start(text, k.start):k.start].strip() for k, _ in m.items))


def _merge_mapping(doc: Document, old: Mapping, new: dict[str, Plain], col: int, style: Style,
                   comments: Seq[Comment], remarks: Remarks | None = None) -> list[str]:
    """Lines rendering ``new`` at ``col`` in place of the block mapping ``old``, with every one of
    ``comments`` (the comments of ``old``'s text) kept.

    A comment belongs to the old key it stands above (full-line comments since the previous
    key's value) or to the old key whose lines it is on. Where that key remains in ``new``,
    its comments stay with it: above it, at the end of its line, or (inside its old value) right
    below its new value, unless the value is a block mapping again and the same rule applies
    inside. Where the key is gone, its comments stay where it was: after the key that preceded
    it in ``old`` and remains (or first). Moved comments take the column of the keys they
    stand among. ``remarks`` end the lines of the keys of ``new`` they name, unless the key
    keeps an end-of-line comment of its own.
    """
    text = doc.text
    n = len(old.items)
    leading: list[list[Comment]] = [[] for _ in range(n)]
    inside: list[list[Comment]] = [[] for _ in range(n)]
    bounds = [(_line_start(text, k.start), _line_end(text, _content_end(text, v))) for k, v in old.items]
    for c in comments:
        for i, (first, last) in enumerate(bounds):
            if c.start < first:
                leading[i].append(c)
                break
            if c.start <= last:
                inside[i].append(c)
                break
        else:  # pragma: no cover - the span ends with the last value's line
            inside[n - 1].append(c)
    follow: dict[int, list[Comment]] = {}  # comments of removed keys, by the surviving key before
    before_all: list[Comment] = []
    prev: int | None = None
    for i, (k, _) in enumerate(old.items):
        if k.value in new:
            prev = i
        else:
            (before_all if prev is None else follow.setdefault(prev, [])).extend(leading[i] + inside[i])
    pad = " " * col
    lines = [pad + c.text for c in before_all]
    index = {k.value: i for i, (k, _) in enumerate(old.items)}
    for key, value in new.items():
        at = index.get(key)
        remark = (remarks or {}).get(key)
        if at is None:
            entry = _render_entry(key, value, col, style)
            lines += _remarked(entry, remark) if remark else entry
            continue
        knode, ovalue = old.items[at]
        key_line_end = _line_end(text, knode.end)
        eol = [c for c in inside[at] if c.start <= key_line_end]
        inner = [c for c in inside[at] if c.start > key_line_end]
        lines += [pad + c.text for c in leading[at]]
        if (isinstance(value, dict) and value and isinstance(ovalue, Mapping)
                and ovalue.line > knode.line and _mergeable(text, ovalue)):
            entry = [f"{pad}{render_scalar(key)}:"] + _merge_mapping(
                doc, ovalue, value, col + style.indent, style, inner)
            inner = []
        else:
            entry = _render_entry(key, value, col, style)
        for c in eol:
            entry[0] += _eol_gap(text, c) + c.text
        if remark and not eol:
            entry = _remarked(entry, remark)
        lines += entry
        lines += [pad + " " * style.indent + c.text for c in inner]
        lines += [pad + c.text for c in follow.get(at, [])]
    return lines


def _eol_gap(text: str, c: Comment) -> str:
    """The blanks before an end-of-line comment, as written (at least one space)."""
    at = c.start
    while at > 0 and text[at - 1] in " \t":
        at -= 1
    return text[at:c.start] or " "


def _refuse_comments(doc: Document, start: int, end: int, what: str) -> None:
    found = doc.comments(start, end)
    if found:
        raise TransformError(f"line {doc.line_of(found[0].start)}: {what} holds a comment "
                             f"({found[0].text!r:.60}); not replaced, so that the comment is kept")


def _after_colon(text: str, knode: Scalar) -> int:
    return text.index(":", knode.end) + 1


def insert_item(doc: Document, seq: Sequence, index: int, value: Plain, style: Style) -> Edit:
    """Insert ``value`` into a block or flow sequence before item ``index`` (or at the end)."""
    _check_editable(seq)
    op = InsertOp(seq.path, index, value)
    text = doc.text
    if seq.flow:
        if not seq.items:
            if text[seq.start + 1:seq.end - 1].strip():  # only a comment can be there: keep it
                raise TransformError(f"line {seq.line + 1}: an empty flow sequence holds a comment; "
                                     "not edited, so that the comment is kept")
            return Edit(seq.start + 1, seq.end - 1, render_inline(value), op)
        if index < len(seq.items):
            pos = seq.items[index].start
            return Edit(pos, pos, render_inline(value) + ", ", op)
        pos = seq.items[-1].end
        return Edit(pos, pos, ", " + render_inline(value), op)
    if not seq.items:
        raise TransformError(f"line {seq.line + 1}: empty block sequence")
    dash_col = seq.col
    item_lines = render_block([value], dash_col, style)
    nl = style.newline
    if index < len(seq.items):
        target = seq.items[index]
        pos = _line_start(text, target.start)
        if text[pos:target.start].strip() not in ("-", ""):
            raise TransformError(f"line {target.line + 1}: unusual sequence layout")
        pos = _above_comments(text, pos, dash_col)
        return Edit(pos, pos, nl.join(item_lines) + nl, op)
    pos = _line_end(text, _content_end(text, seq.items[-1]))
    return Edit(pos, pos, nl + nl.join(item_lines), op)


def replace_scalar(doc: Document, node: Scalar, value: Any) -> Edit:
    """Replace a one-line scalar with a new value, keeping its quoting style where it can."""
    _check_editable(node)
    if node.style in ("|", ">"):
        raise TransformError(f"line {node.line + 1}: replace_scalar on a block scalar")
    text = render_scalar(value)
    if node.style == "'" and isinstance(value, str) and "\n" not in value:
        text = "'" + value.replace("'", "''") + "'"
    elif node.style == '"' and isinstance(value, str):
        text = '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return Edit(node.start, node.end, text, SetOp(node.path, value))


def replace_fragment(doc: Document, node: Scalar, old: str, new: str, value: str) -> Edit:
    """Rewrite the first occurrence of ``old`` inside the text of a plain or block scalar.

    ``value`` is the scalar's complete new value (checked by the guard).
    """
    _check_editable(node)
    span = doc.text[node.start:node.end]
    at = span.find(old)
    if at < 0:
        raise TransformError(f"line {node.line + 1}: fragment not found in scalar")
    if node.style in ("'", '"') and any(c in new for c in "'\"\\"):
        raise TransformError(f"line {node.line + 1}: cannot splice quotes into a quoted scalar")
    return Edit(node.start + at, node.start + at + len(old), new, SetOp(node.path, value))


def delete_key(doc: Document, mapping: Mapping, key: str) -> Edit:
    """Delete a key (and its value) from a block mapping, with its whole lines."""
    _check_editable(mapping)
    knode = mapping.key_node(key)
    value = mapping.get(key)
    if knode is None or value is None or mapping.flow:
        raise TransformError(f"line {mapping.line + 1}: cannot delete key {key!r}")
    text = doc.text
    start = _line_start(text, knode.start)
    if text[start:knode.start].strip():
        raise TransformError(f"line {knode.line + 1}: key shares its line; not deleted")
    end = _line_end(text, _content_end(text, value))
    nl = "\r\n" if text.startswith("\r\n", end) else "\n"
    end = end + len(nl) if end < len(text) else end
    # the key's comments stay where the key was
    kept = "".join(" " * knode.col + c.text + nl for c in doc.comments(start, end))
    return Edit(start, end, kept, DeleteOp(mapping.path + (key,)))


# -- applying -------------------------------------------------------------------------------------

def apply(text: str, edits: Iterable[Edit]) -> str:
    """Splice edits into ``text`` in reverse document order; overlapping edits are an error."""
    indexed = sorted(enumerate(edits), key=lambda ie: (ie[1].start, ie[1].end, ie[0]),
                     reverse=True)
    out = text
    limit = len(text)
    for _, e in indexed:
        if e.end > limit or e.start > e.end:
            raise TransformError("overlapping edits")
        out = out[:e.start] + e.new + out[e.end:]
        limit = e.start
    return out



# -- text inside a scalar -------------------------------------------------------------------------

def splice_scalar(doc: Document, node: Scalar, repls: Seq[tuple[int, int, str]]) -> Edit:
    """Replace parts of a string scalar's *value*: each ``(start, end, new)`` replaces
    ``value[start:end]`` with ``new``. The scalar keeps its style and every other character of
    its text; the replacements are written in the style's escaping.

    Works where the value's characters sit one for one in the text: a one-line plain or quoted
    scalar without escapes, or a literal block scalar (``|``, ``|-``, ``|+``); anything else
    (folded, multi-line flow scalars, escapes) is refused with a TransformError.
    """
    _check_editable(node)
    value = node.value
    if not isinstance(value, str):
        raise TransformError(f"line {node.line + 1}: not a string scalar")
    text = doc.text
    mapped = _value_offsets(text, node, value)
    if mapped is None:
        raise TransformError(f"line {node.line + 1}: the scalar's text is not its value one for one "
                             "(folded, escaped or multi-line); not edited")
    where, indent, missing = mapped
    parts: list[tuple[int, int, str]] = []
    new_value = value
    for start, end, new in sorted(repls, reverse=True):
        if "\r" in new or ("\n" in new and node.style != "|"):
            raise TransformError(f"line {node.line + 1}: a replacement spans lines")
        new_value = new_value[:start] + new + new_value[end:]
        raw = new
        if "\n" in new:  # a literal block: the new lines take the block's indentation
            nl = "\r\n" if "\r\n" in text[node.start:node.end] else "\n"
            lines = new.split("\n")
            # the last new line runs on into the value's text after ``end``: indent it too
            goes_on = end < len(value) and value[end] != "\n"
            raw = lines[0] + "".join(
                nl + (" " * indent + ln if ln or (goes_on and n == len(lines) - 1) else "")
                for n, ln in enumerate(lines) if n)
        if new and not new.startswith("\n"):  # text put on a blank line of the block
            raw = " " * missing(start) + raw
        if node.style == '"':
            raw = new.replace("\\", "\\\\").replace('"', '\\"')
        elif node.style == "'":
            raw = new.replace("'", "''")
        parts.append((where(start), where(end), raw))
    if node.style is None and _in_flow(doc, node) and any(c in new_value for c in ",[]{}#"):
        # a plain scalar inside `{…}` or `[…]` ends at a flow indicator: `${{ x }}` there would
        # be a nested mapping; the value is written single-quoted instead (one line, no escapes)
        return Edit(node.start, node.end, "'" + new_value.replace("'", "''") + "'",
                    SetOp(node.path, new_value))
    lo = min(p[0] for p in parts)
    hi = max(p[1] for p in parts)
    chunk = text[lo:hi]
    for s, e, raw in parts:  # right to left
        chunk = chunk[:s - lo] + raw + chunk[e - lo:]
    return Edit(lo, hi, chunk, SetOp(node.path, new_value))


def _in_flow(doc: Document, node: Scalar) -> bool:
    """Whether ``node`` sits inside a flow mapping or sequence (``{…}``, ``[…]``)."""
    at: YNode | None = doc.root
    for step in node.path:
        if isinstance(at, Mapping):
            if at.flow:
                return True
            at = at.get(step) if isinstance(step, str) else None
        elif isinstance(at, Sequence):
            if at.flow:
                return True
            at = at.items[step] if isinstance(step, int) and step < len(at.items) else None
        else:
            break
    return False


def _value_offsets(text: str, node: Scalar, value: str
                   ) -> tuple[Callable[[int], int], int, Callable[[int], int]] | None:
    """Maps an offset into ``value`` to an offset into ``text``; the block's indentation; and
    how much of it the text lacks at an offset (a blank line of a block has none). None: no
    such map."""
    if node.style in (None, "'", '"'):
        q = 0 if node.style is None else 1
        inner = text[node.start + q:node.end - q]
        if inner != value or "\n" in inner:
            return None
        base = node.start + q
        return (lambda i: base + i), 0, (lambda i: 0)
    if node.style != "|":
        return None
    head_end = text.find("\n", node.start)
    if head_end < 0 or any(c.isdigit() for c in text[node.start:head_end].split("#")[0]):
        return None
    body_start = head_end + 1
    raw_lines = text[body_start:node.end].split("\n")
    lines = value.split("\n")
    indent = next((len(r) - len(r.lstrip(" ")) for r in raw_lines if r.strip()), 0)
    starts: list[int] = []
    gaps: list[int] = []
    pos = body_start
    for i, line in enumerate(lines):
        if i >= len(raw_lines):
            if line:
                return None
            break
        raw = raw_lines[i].rstrip("\r")
        if line and raw[indent:] != line:
            return None
        starts.append(pos + min(indent, len(raw)))
        gaps.append(indent - min(indent, len(raw)))
        pos += len(raw_lines[i]) + 1
    line_of: list[int] = []
    acc = 0
    for line in lines:
        line_of.append(acc)
        acc += len(line) + 1

    def line_at(i: int) -> int:
        return max(k for k, s in enumerate(line_of) if s <= i and k < len(starts))

    def at(i: int) -> int:
        n = line_at(i)
        return starts[n] + (i - line_of[n])

    def missing(i: int) -> int:
        n = line_at(i)
        return gaps[n] if i == line_of[n] else 0
    return at, indent, missing
