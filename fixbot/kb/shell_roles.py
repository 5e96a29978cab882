"""What a ``${{ }}`` expression is to the bash command around it (tree-sitter-bash).

:mod:`fixbot.kb.shell_spots` tells the quoting around an expression; this module tells its
*role*, which decides whether a variable can take its place at all:

- ``command``: it is (part of) the name of the command that runs: its value is meant to be
  code, and a variable there runs the same code;
- ``code``: it is an argument of a command that reads its argument as a program (``eval``,
  ``bash -c``, ``python -c``, ``jq``, ``sed``, ``awk``...) or in a here-document such a
  command reads as its program: a variable there is expanded into the program the same way;
- ``data``: anywhere else (an argument, an assignment, a redirection target, a here-document
  given to ``cat``): a variable there is handed over as data.

The commands that read code are data (``injection.toml``, table ``code``). Expressions are
swapped for same-length placeholder words before parsing, as shell_spots does, so offsets are
offsets of the script as written (LF line ends).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import tree_sitter

from fixbot.kb.expressions import mask
from fixbot.kb.injection import data
from fixbot.kb.shell import _parser

RoleKind = Literal["command", "code", "data"]


@dataclass(frozen=True)
class Role:
    kind: RoleKind
    command: str = ""  # the command whose name or program it is part of


def roles(script: str) -> dict[tuple[int, int], Role] | None:
    """The role of every ``${{ }}`` span of a bash script (None: it cannot be parsed)."""
    text, masked, spans = mask(script)
    raw = masked.encode("utf-8")
    if len(raw) != len(masked):
        return None
    tree = _parser().parse(raw)  # names and arguments are read from ``text`` (same offsets)
    if tree.root_node.has_error:
        return None
    return {(lo, hi): _role(tree.root_node.descendant_for_byte_range(lo, hi), text)
            for lo, hi in spans}


def _name(cmd: tree_sitter.Node, text: str) -> str:
    name = cmd.child_by_field_name("name")
    if name is None:
        return ""
    word = text[name.start_byte:name.end_byte].strip("'\"")
    return word.rsplit("/", 1)[-1]


def _args(cmd: tree_sitter.Node, text: str) -> list[str]:
    return [text[c.start_byte:c.end_byte] for c in cmd.children_by_field_name("argument")]


def _reads_code(cmd: tree_sitter.Node, text: str, stdin: bool) -> str | None:
    """The command's name when it reads a program from its arguments (or, with ``stdin``,
    from a here-document)."""
    table = data()["code"]
    name = _name(cmd, text)
    base = name.rstrip("0123456789.") if name.startswith("python") else name
    if name in table["always"]:
        return name
    if stdin and (name in table["stdin"] or base in table["stdin"]):
        args = _args(cmd, text)
        if not any(a and not a.startswith("-") for a in args):  # no script file named
            return name
    flags = table["flag"].get(name) or table["flag"].get(base)
    if flags and any(a in flags for a in _args(cmd, text)):
        return name
    return None


def _role(node: tree_sitter.Node | None, text: str) -> Role:
    heredoc = False
    while node is not None:
        if node.type == "command_name":
            parent = node.parent
            return Role("command", _name(parent, text) if parent is not None else "")
        if node.type == "heredoc_body":
            heredoc = True
        if node.type == "command":
            reader = _reads_code(node, text, stdin=False)
            if reader is not None:
                return Role("code", reader)
        if node.type == "redirected_statement" and heredoc:
            body = node.child_by_field_name("body")
            if body is not None and body.type == "command":
                reader = _reads_code(body, text, stdin=True)
                if reader is not None:
                    return Role("code", reader)
            heredoc = False
        node = node.parent
    return Role("data")
