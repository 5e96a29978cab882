"""Where literal text sits in a PowerShell script, and how an environment variable can take its place.

The counterpart of :mod:`fixbot.kb.shell_spots` for ``shell: pwsh`` / ``shell: powershell`` scripts
(and the default shell of Windows runners). tree-sitter-powershell tells the quoting around each
run of literal text:

* ``bare``: a bare word given to a command (argument mode), up to its first quote, ``$`` or
  backtick (the rest of such a word is ``other``);
* ``double``: inside an expandable ``"…"`` string (between its variables and ``$(…)``, whose own
  strings are segments of their own);
* ``here``: inside an expandable here-string ``@"…"@``;
* ``single``: inside a verbatim ``'…'`` string;
* ``here-verbatim``: inside a verbatim here-string ``@'…'@``, which expands nothing;
* ``comment``: a ``#`` or ``<# … #>`` comment;
* ``other``: everything else (command names, ``--%`` arguments, attribute arguments, hash keys,
  switch labels, redirection targets, code), with the reason nothing is rewritten there.

``${{ }}`` expressions are swapped for same-length placeholder words before parsing, so every
offset is an offset of the script as written (with LF line ends).

What replaces a credential (:meth:`Script.splice`) follows PowerShell's quoting and parsing rules
(about_Quoting_Rules, about_Parsing):

* in ``"…"`` and ``@"…"@``: ``${env:NAME}``, braced so that the characters after it cannot
  extend the variable's name;
* a whole ``'…'`` string that is exactly the credential: ``$env:NAME``;
* part of a ``'…'`` string: ``('pre' + $env:NAME + 'post')`` where the string is a whole command
  argument or an operand in expression mode (parentheses start a new expression in argument mode;
  ``+`` with a string on its left concatenates; the parentheses keep operators such as ``-f``,
  which bind tighter than ``+``, from reaching inside);
* a bare word that is exactly the credential: ``$env:NAME``; part of one: ``${env:NAME}`` (argument
  mode reads a bare word as an expandable string); at the start of a word followed by ``.``, ``[``
  or ``:``, which would continue a variable reference as member access or indexing, it is left
  alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import tree_sitter
import tree_sitter_powershell

from fixbot.kb.expressions import mask

Quoting = Literal["bare", "double", "here", "single", "here-verbatim", "comment", "other"]
# where a '…' string or bare word stands: a whole command argument (argument mode), an operand
# in expression mode, or neither (nothing but its own text can stand there)
Place = Literal["argument", "expression"]

# characters PowerShell reads as quotes or dashes and tree-sitter-powershell does not
_TYPOGRAPHIC = "\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u2013\u2014\u2015"
_NAME_CHARS = re.compile(r"[\w:?]*")
_STATEMENT = "\n$null"  # appended to a script of comments only, which the grammar rejects
_RELATIVE_COMMAND = re.compile(r"(?m)^[ \t]*\.{1,2}/")
# what may follow a whole argument (argument-mode separators and terminators)
_AFTER_ARGUMENT = frozenset(" \t\n;|)}&")
# a bare word's literal text ends at the first of these (quotes, variables, escapes)
_WORD_SPECIAL = "$`'\""
# nodes whose text is left alone, and why
_OPAQUE = {
    "attribute": "it is in an attribute, whose arguments must be constants",
    "attribute_list": "it is in an attribute, whose arguments must be constants",
    "data_statement": "it is in a `data` section, which reads no variables",
    "switch_clause_condition": "it is a `switch` label",
    "key_expression": "it is a hashtable key",
    "member_name": "it is a member name",
    "redirected_file_name": "it is a redirection target",
    "stop_parsing": "it follows `--%`, which passes the rest of the line as written",
    "command_name": "it is a command name",
    "type_literal": "it is a type name",
}
# a string as the object of these is left as it is (`'…'.Length`, `'…'[0]`, `'…'.Split()`)
_OPERAND_OF = frozenset({"member_access", "element_access", "invokation_expression",
                         "invokation_foreach_expression", "post_increment_expression",
                         "post_decrement_expression", "pre_increment_expression",
                         "pre_decrement_expression"})
# commands whose script blocks may run on another computer, where the step's env is not set
_REMOTE = frozenset({"invoke-command", "icm"})
_REMOTE_WHY = ("it is in a script block Invoke-Command may run on another computer, where the "
               "step's environment is not set")
_OTHER = "it is not in a string or argument fixbot can rewrite"


@dataclass(frozen=True)
class Segment:
    """A run of literal script text: ``script[start:end]``, its quoting, and the variable it is
    assigned to (``$env:NAME = '…'``, ``$NAME = "…"``,
    ``[Environment]::SetEnvironmentVariable('NAME', '…')``) where it is one."""

    start: int
    end: int
    quoting: Quoting
    name: str | None = None
    # single: the string with its quotes; bare: the whole word
    outer: tuple[int, int] | None = None
    place: Place | None = None  # single and bare: where the string or word stands
    why: str | None = None  # other: why nothing is rewritten there


@dataclass(frozen=True)
class Script:
    text: str  # the script with LF line ends
    segments: tuple[Segment, ...]
    expressions: tuple[tuple[int, int, Segment | None], ...]  # ${{ }} spans and their segment
    error: str | None = None

    def splice(self, seg: Segment, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]] | str:
        """The replacements of ``text[at:end]`` (each inside ``seg``) by a read of environment
        variable ``var``, for ``(at, end, var)`` in ``spans``: (start, end, new text) each, or why
        they cannot be replaced there. A single-quoted string is replaced as a whole, once."""
        text = self.text
        spans = sorted(spans)
        if seg.quoting in ("double", "here"):
            if any("`" in text[at:end] or _escaped(text, seg.start, at) for at, end, _ in spans):
                return "it is written with backtick escapes"
            return [(at, end, f"${{env:{var}}}") for at, end, var in spans]
        if seg.quoting == "single" and seg.outer is not None and seg.place is not None:
            if any("'" in text[at:end] or text.count("'", seg.start, at) % 2 for at, end, _ in spans):
                return "it is written with quote escapes"
            if len(spans) == 1 and spans[0][:2] == (seg.start, seg.end):
                return [(*seg.outer, f"$env:{spans[0][2]}")]
            parts: list[str] = []
            pos = seg.start
            for at, end, var in spans:
                parts += [f"'{text[pos:at]}'"] if at > pos else []
                parts.append(f"$env:{var}")
                pos = end
            parts += [f"'{text[pos:seg.end]}'"] if seg.end > pos else []
            return [(*seg.outer, "(" + " + ".join(parts) + ")")]
        if seg.quoting == "single":
            return "it is part of a single-quoted string that does not stand alone"
        if seg.quoting == "bare" and seg.outer is not None and seg.place is not None:
            out: list[tuple[int, int, str]] = []
            for at, end, var in spans:
                if (at, end) == seg.outer:
                    out.append((at, end, f"$env:{var}"))
                elif at == seg.outer[0] and text[end:end + 1] in (".", "[", ":"):
                    return "a variable at the start of that word would read what follows as a member"
                else:
                    out.append((at, end, f"${{env:{var}}}"))
            return out
        if seg.quoting == "bare":
            return "it is a word that does not stand alone as an argument"
        return {"comment": "it is in a comment",
                "here-verbatim": "it is in a verbatim here-string (@'…'@), which expands no variable",
                }.get(seg.quoting, seg.why or _OTHER)


@lru_cache(maxsize=1)
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))


def _escaped(text: str, lo: int, at: int) -> bool:
    """Whether ``text[at]`` follows an odd run of backticks (inside ``text[lo:at]``)."""
    n = 0
    while at - n - 1 >= lo and text[at - n - 1] == "`":
        n += 1
    return n % 2 == 1


def read(script: str) -> Script:
    """The literal segments and the ``${{ }}`` expressions of a PowerShell script, with their
    quoting. A script tree-sitter cannot parse has ``error`` set and no segments."""
    text, masked, spans = mask(script)  # "${{ x }}" -> "ZZZZZZZZ": the offsets hold
    # tree-sitter-powershell cannot read a command path written with `/` at the start of a line
    # (`./deploy.ps1`); PowerShell reads `/` and `\` alike there, and so does the reading here
    # with `.\` in its place (the same length: offsets hold; the text itself is never changed)
    masked = _RELATIVE_COMMAND.sub(lambda m: m.group(0).replace("/", "\\"), masked)
    if any(c in _TYPOGRAPHIC for c in masked):
        return Script(text, (), (), "the script holds typographic quotes or dashes, which "
                      "PowerShell reads as quotes and dashes and the parser here does not")
    root = _parser().parse(masked.encode("utf-8")).root_node
    if root.has_error:  # the grammar wants a statement: a script of comments only gets one
        root = _parser().parse((masked + _STATEMENT).encode("utf-8")).root_node
        if root.has_error or [_text(c) for c in root.named_children if c.type != "comment"] != [
                _STATEMENT.strip()]:
            return Script(text, (), (), "the PowerShell script cannot be parsed")
    walker = _Walker(masked)
    walker.walk(root, None)
    segs = walker.with_gaps()
    where = [(lo, hi, next((g for g in segs if g.start <= lo and hi <= g.end), None))
             for lo, hi in spans]
    return Script(text, tuple(segs), tuple(where))


def _text(node: tree_sitter.Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


class _Walker:
    def __init__(self, text: str) -> None:
        self.text = text
        self.out: list[Segment] = []
        self.remote = 0  # inside the arguments of Invoke-Command
        # byte offset -> character offset (tree-sitter counts bytes); the text parsed may end
        # with _STATEMENT, which holds no segment
        full = text + _STATEMENT
        self.chars = [0] * (len(full.encode("utf-8")) + 1)
        b = 0
        for i, ch in enumerate(full):
            n = len(ch.encode("utf-8"))
            for k in range(n):
                self.chars[b + k] = i
            b += n
        self.chars[b] = len(full)

    def span(self, node: tree_sitter.Node) -> tuple[int, int]:
        return self.chars[node.start_byte], self.chars[node.end_byte]

    def with_gaps(self) -> list[Segment]:
        """The segments, in order, with ``other`` segments for the text between them."""
        segs = sorted(self.out, key=lambda g: g.start)
        full: list[Segment] = []
        pos = 0
        for g in segs:
            if g.start > pos:
                full.append(Segment(pos, g.start, "other", why=_OTHER))
            full.append(g)
            pos = max(pos, g.end)
        if pos < len(self.text):
            full.append(Segment(pos, len(self.text), "other", why=_OTHER))
        return full

    def walk(self, node: tree_sitter.Node, named: tuple[tuple[int, int], str] | None) -> None:
        t = node.type
        lo, hi = self.span(node)
        name = named[1] if named is not None and named[0] == (lo, hi) else None
        if t in _OPAQUE:
            self.out.append(Segment(lo, hi, "other", why=_OPAQUE[t]))
            return
        if t == "comment":
            self.out.append(Segment(lo, hi, "comment"))
            return
        if t == "string_literal":
            self.string(node, name)
            return
        if t == "generic_token":
            self.word(node)
            return
        if t == "script_block_expression" and self.remote:
            self.out.append(Segment(lo, hi, "other", why=_REMOTE_WHY))
            return
        if t == "command":
            cmd = node.child_by_field_name("command_name")
            if cmd is not None and _text(cmd).lower().removesuffix(".exe") in _REMOTE:
                self.remote += 1
                for c in node.named_children:
                    self.walk(c, named)
                self.remote -= 1
                return
        if t == "assignment_expression":
            named = self.assigned(node) or named
        elif t == "invokation_expression":
            named = self.set_environment_variable(node) or named
        for c in node.named_children:
            self.walk(c, named)

    # --- names ---------------------------------------------------------------------------

    def assigned(self, node: tree_sitter.Node) -> tuple[tuple[int, int], str] | None:
        """``$env:NAME = value`` / ``$NAME = value``: the value's span and NAME."""
        kids = node.named_children
        if len(kids) < 3 or kids[1].type != "assignement_operator" or \
                self.text[slice(*self.span(kids[1]))].strip() != "=":
            return None
        target = self.text[slice(*self.span(kids[0]))].strip()
        var = target.removeprefix("$").removeprefix("{").removesuffix("}")
        var = var.split(":", 1)[1] if ":" in var else var
        if not var.replace("_", "a").isalnum():
            return None
        return self.span(kids[2]), var

    def set_environment_variable(self, node: tree_sitter.Node) -> tuple[tuple[int, int], str] | None:
        """``[Environment]::SetEnvironmentVariable('NAME', value)``: the value's span and NAME."""
        member = next((c for c in node.named_children if c.type == "member_name"), None)
        args = next((c for c in node.named_children if c.type == "argument_list"), None)
        if member is None or args is None or \
                self.text[slice(*self.span(member))].lower() != "setenvironmentvariable":
            return None
        elist = next((c for c in args.named_children if c.type == "argument_expression_list"), None)
        items = [c for c in elist.named_children if c.type == "argument_expression"] if elist else []
        if len(items) < 2:
            return None
        first = self.text[slice(*self.span(items[0]))]
        if len(first) < 3 or first[0] not in "'\"" or first[-1] != first[0] or \
                not first[1:-1].replace("_", "a").isalnum():
            return None
        return self.span(items[1]), first[1:-1]

    # --- strings and words ---------------------------------------------------------------

    def string(self, node: tree_sitter.Node, name: str | None) -> None:
        lit = node.named_children[0] if node.named_children else node
        lo, hi = self.span(lit)
        raw = self.text[lo:hi]
        if lit.type == "verbatim_string_characters":
            self.out.append(Segment(lo + 1, hi - 1, "single", name, (lo, hi), self.place(node)))
        elif lit.type == "verbatim_here_string_characters":
            body_lo, body_hi = _here_body(raw)
            self.out.append(Segment(lo + body_lo, lo + body_hi, "here-verbatim"))
        elif lit.type in ("expandable_string_literal", "expandable_here_string_literal"):
            quoting: Quoting = "double"
            body_lo, body_hi = 1, len(raw) - 1
            if lit.type == "expandable_here_string_literal":
                quoting = "here"
                body_lo, body_hi = _here_body(raw)
            pos = lo + body_lo
            for c in lit.named_children:  # variables and $(…): literal text between them
                c_lo, c_hi = self.span(c)
                if c_lo > pos:
                    self.out.append(Segment(pos, c_lo, quoting, name))
                self.walk(c, None)
                pos = max(pos, c_hi)
                glued = _NAME_CHARS.match(self.text, pos, lo + body_hi)
                stop = glued.end() if glued is not None else pos
                if c.type == "variable" and not self.text[c_lo:c_hi].endswith("}") and stop > pos:
                    # where an unbraced name ends (`$env:A:b`) is the reader's guess: left alone
                    self.out.append(Segment(pos, stop, "other", why="it is glued to a variable's name"))
                    pos = stop
            if lo + body_hi > pos:
                self.out.append(Segment(pos, lo + body_hi, quoting, name))
        else:
            self.out.append(Segment(lo, hi, "other", why=_OTHER))

    def word(self, node: tree_sitter.Node) -> None:
        lo, hi = self.span(node)
        raw = self.text[lo:hi]
        cut = next((i for i, c in enumerate(raw) if c in _WORD_SPECIAL), len(raw))
        place: Place | None = None
        parent = node.parent
        if parent is not None and parent.type == "command_elements" and \
                (lo == 0 or self.text[lo - 1] in " \t\n:") and self._ends_argument(hi):
            place = "argument"
        if cut:
            self.out.append(Segment(lo, lo + cut, "bare", None, (lo, hi), place))
        if cut < len(raw):
            self.out.append(Segment(lo + cut, hi, "other",
                                    why="it is in a bare word that also holds quotes, variables "
                                        "or backtick escapes"))

    def _ends_argument(self, hi: int) -> bool:
        return hi >= len(self.text) or self.text[hi] in _AFTER_ARGUMENT

    def place(self, node: tree_sitter.Node) -> Place | None:
        """Where a string stands: a whole command argument, an operand in expression mode, or
        (None) somewhere a variable or parenthesized expression does not read the same."""
        lo, hi = self.span(node)
        slot = node
        while slot.parent is not None and self.span(slot.parent) == (lo, hi):
            slot = slot.parent
        parent = slot.parent
        if parent is None:
            return None
        if parent.type in ("command_elements", "command_name_expr"):
            before = self.text[lo - 1] if lo else "\n"
            return "argument" if before in " \t\n:" and self._ends_argument(hi) else None
        if parent.type == "array_literal_expression":
            # an element of an array written as a command argument (`cmd 'a','b'`): native
            # commands read such commas as part of the text, so nothing else may stand there
            arr = parent
            while arr.parent is not None and self.span(arr.parent) == self.span(parent):
                arr = arr.parent
            if arr.parent is None or arr.parent.type == "command_elements":
                return None
        if parent.type in _OPERAND_OF:
            return None
        after = self.text[hi:hi + 1]
        if after and (after.isalnum() or after in "_?:`.["):
            return None  # a variable would take those characters as its name, member or index
        return "expression"


def _here_body(raw: str) -> tuple[int, int]:
    """Where the text of a here-string (``@"`` NL … NL ``"@``) starts and ends in ``raw``."""
    start = raw.find("\n") + 1
    end = raw.rfind("\n")
    return (start, end) if end >= start else (start, start)
