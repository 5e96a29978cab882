"""Shell scripts read with tree-sitter-bash: the commands a ``run:`` script runs, as typed values.

:func:`parse` turns a script into a :class:`Script`: the commands it runs in source order (those
inside ``$(...)``, backticks, process substitutions, functions, ``bash -c "..."``, ``eval`` and
here-documents or here-strings fed to a shell included), and the variables it assigns or exports.
Each :class:`Command` is normalised once, here, for every transform: wrappers that run another
program (``sudo``, ``env``, ``timeout``, ``nice``, ``xargs``, ``time``, ``nohup``, ``exec``, ...)
are taken off, ``VAR=value`` prefixes become the command's environment, quotes are removed from
the words, and ``${{ }}`` expressions are kept as written. A script tree-sitter cannot parse
has ``error`` set: callers treat it as unknown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import tree_sitter
import tree_sitter_bash

# ``${{ }}`` is GitHub's expression syntax, substituted before the shell sees the script; it is
# swapped for a placeholder word so that the shell grammar reads the rest, and restored in every
# value this module returns (no placeholder ever leaves it).
_EXPR = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)
_PLACEHOLDER = re.compile(r"_fxe(\d+)x_")
MAX_DEPTH = 4  # nested bash -c / eval / heredocs followed

SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh"})
# Wrappers that run the rest of their arguments as a command. Value: options that take a value.
_WRAPPERS: Mapping[str, frozenset[str]] = {
    "sudo": frozenset({"-u", "--user", "-g", "--group", "-U", "--other-user", "-C", "--close-from",
                       "-h", "--host", "-p", "--prompt", "-r", "--role", "-t", "--type", "-D",
                       "--chdir", "-T", "--command-timeout"}),
    "env": frozenset({"-u", "--unset", "-C", "--chdir", "-S", "--split-string"}),
    "timeout": frozenset({"-s", "--signal", "-k", "--kill-after"}),
    "nice": frozenset({"-n", "--adjustment"}),
    "ionice": frozenset({"-c", "--class", "-n", "--classdata", "-p", "-P", "-u"}),
    "nohup": frozenset(),
    "time": frozenset({"-f", "--format", "-o", "--output"}),
    "exec": frozenset({"-a"}),
    "command": frozenset(),
    "builtin": frozenset(),
    "stdbuf": frozenset({"-i", "--input", "-o", "--output", "-e", "--error"}),
    "xargs": frozenset({"-I", "-i", "-n", "--max-args", "-P", "--max-procs", "-L", "--max-lines",
                        "-d", "--delimiter", "-E", "-e", "-s", "--max-chars", "-a", "--arg-file"}),
    "chronic": frozenset(),
    "unbuffer": frozenset(),
    "caffeinate": frozenset(),
    "retry": frozenset({"-t", "--times", "--tries", "-d", "--delay", "-m", "--max"}),
}
# wrappers whose first operand is not the command (timeout's duration)
_OPERAND_FIRST = {"timeout": 1}
_DECLARE = frozenset({"export", "declare", "typeset", "local", "readonly"})
_REDIRECTS = frozenset({"file_redirect", "heredoc_redirect", "herestring_redirect"})
_EXPANSIONS = frozenset({"simple_expansion", "expansion", "command_substitution",
                         "process_substitution", "arithmetic_expansion"})


@dataclass(frozen=True)
class Command:
    """One simple command as the shell runs it, after wrappers and assignments are taken off."""

    program: str  # basename, lower case, ``.exe`` dropped; "" when a variable or expression names it
    args: tuple[str, ...]  # its arguments, unquoted; ``$VAR``, ``$(..)`` and ``${{ }}`` as written
    env: Mapping[str, str]  # VAR=value in front of it, and env's VAR=value
    text: str  # the command as written (from the program on), for messages
    line: int  # 1-based line in the script
    path: str = ""  # the program word as written (``./scripts/x.sh``), unquoted
    wrappers: tuple[str, ...] = ()

    @property
    def dynamic(self) -> bool:
        return not self.program

    def line_text(self) -> str:
        """``program arg ...`` (normalised), for the knowledge base's argument patterns."""
        return " ".join((self.program, *self.args))


@dataclass(frozen=True)
class Assignment:
    """``NAME=value`` as a statement of its own, or ``export``/``declare`` of a name."""

    name: str
    value: str | None  # None: ``export NAME`` of an existing variable
    exported: bool
    line: int


@dataclass(frozen=True)
class Script:
    items: tuple[Command | Assignment, ...]  # in the order they run (substitutions first)
    functions: frozenset[str] = frozenset()
    error: str | None = None  # why the script cannot be read; callers treat it as unknown
    fed: tuple[str, ...] = field(default=())  # texts fed to a shell that could not be read

    @property
    def commands(self) -> tuple[Command, ...]:
        return tuple(i for i in self.items if isinstance(i, Command))

    @property
    def assignments(self) -> tuple[Assignment, ...]:
        return tuple(i for i in self.items if isinstance(i, Assignment))


@lru_cache(maxsize=1)
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))


class _Reader:
    def __init__(self, exprs: list[str], depth: int) -> None:
        self.exprs = exprs
        self.depth = depth
        self.items: list[Command | Assignment] = []
        self.functions: set[str] = set()
        self.errors: list[str] = []
        self.line0 = 0

    # --- text ----------------------------------------------------------------------------

    def restore(self, s: str) -> str:
        return _PLACEHOLDER.sub(lambda m: self.exprs[int(m.group(1))], s)

    def value(self, node: tree_sitter.Node) -> str:
        """A word's value with its quotes removed (expansions and expressions as written)."""
        raw = _text(node)
        t = node.type
        if t == "word":
            out = _unescape(raw, "")
        elif t == "raw_string":
            out = raw[1:-1]
        elif t == "ansi_c_string":
            out = _ansi_c(raw[2:-1])
        elif t in ("string", "translated_string"):
            inner = raw[1:-1] if t == "string" else raw[2:-1]
            out = _unescape(inner, '"$`\\\n')
        elif t == "concatenation":
            out = "".join(self.value(c) if c.is_named else _text(c) for c in node.children)
        else:
            out = raw
        return self.restore(out)

    def line(self, node: tree_sitter.Node) -> int:
        return self.line0 + node.start_point[0] + 1

    # --- walking -------------------------------------------------------------------------

    def walk(self, node: tree_sitter.Node) -> None:
        t = node.type
        if t == "command":
            self.command(node)
        elif t == "variable_assignment":
            self.substitutions(node)
            self.assignment(node, exported=False)
        elif t == "declaration_command":
            self.declaration(node)
        elif t == "function_definition":
            name = node.child_by_field_name("name")
            if name is not None:
                self.functions.add(self.value(name).lower())
            for c in node.named_children:
                self.walk(c)
        elif t == "redirected_statement":
            for c in node.named_children:
                self.walk(c)
            body = node.child_by_field_name("body")
            if body is not None and body.type == "command":
                self.fed_script(body, node)
        elif t == "heredoc_body":
            self.substitutions(node)
        elif t in ("comment", "heredoc_start", "heredoc_end"):
            return
        else:
            for c in node.named_children:
                self.walk(c)

    def substitutions(self, node: tree_sitter.Node) -> None:
        """Commands inside $(...), backticks and <(...) at or below ``node``."""
        if node.type in ("command_substitution", "process_substitution"):
            for inner in node.named_children:
                self.walk(inner)
            return
        for c in node.named_children:
            self.substitutions(c)

    def assignment(self, node: tree_sitter.Node, exported: bool) -> None:
        name = node.child_by_field_name("name")
        val = node.child_by_field_name("value")
        if name is None:
            return
        self.items.append(Assignment(self.value(name), self.value(val) if val is not None else "",
                                     exported, self.line(node)))

    def declaration(self, node: tree_sitter.Node) -> None:
        keyword = _text(node.children[0]) if node.children else ""
        flags = {_text(c) for c in node.named_children if c.type == "word" and _text(c).startswith("-")}
        exported = keyword == "export" or any("x" in f for f in flags)
        for c in node.named_children:
            if c.type == "variable_assignment":
                self.substitutions(c)
                self.assignment(c, exported)
            elif c.type == "variable_name":
                self.items.append(Assignment(_text(c), None, exported, self.line(c)))

    def command(self, node: tree_sitter.Node) -> None:
        env: dict[str, str] = {}
        words: list[tree_sitter.Node] = []
        for c in node.named_children:
            self.substitutions(c)
            if c.type == "variable_assignment" and not words:
                name, val = c.child_by_field_name("name"), c.child_by_field_name("value")
                if name is not None:
                    env[self.value(name)] = self.value(val) if val is not None else ""
            elif c.type == "command_name":
                words.append(c.named_children[0] if c.named_children else c)
            elif c.type not in _REDIRECTS and words:
                words.append(c)
        if not words:
            for var, value in env.items():  # `A=1 B=2` alone: assignments for the rest of the script
                self.items.append(Assignment(var, value, False, self.line(node)))
            return
        values = [self.value(w) for w in words]
        dynamic = [_is_dynamic(w) for w in words]
        herestring = next((self.value(c.named_children[0]) for c in node.named_children
                           if c.type == "herestring_redirect" and c.named_children), None)
        self.normalise(values, dynamic, env, self.line(node), self.restore(_text(node)), herestring)

    def normalise(self, words: list[str], dynamic: list[bool], env: dict[str, str], line: int,
                  text: str, stdin: str | None = None) -> None:
        wrappers: list[str] = []
        i = 0
        while i < len(words):
            prog = _program(words[i]) if not dynamic[i] else ""
            if prog == "command" and i + 1 < len(words) and words[i + 1] in ("-v", "-V"):
                return  # `command -v x` looks a program up; it runs nothing
            if prog not in _WRAPPERS:
                break
            wrappers.append(prog)
            i = _skip_wrapper(prog, words, i + 1, env)
        if i >= len(words):
            return
        prog = _program(words[i]) if not dynamic[i] else ""
        args = tuple(words[i + 1:])
        cmd = Command(prog, args, dict(env), text, line, words[i], tuple(wrappers))
        if (prog in SHELLS or prog == "eval") and self.nested(cmd, stdin):
            return
        self.items.append(cmd)

    def nested(self, cmd: Command, stdin: str | None) -> bool:
        """``bash -c "..."``, ``eval ...``, ``bash <<< "..."``: read the text as a script."""
        if cmd.program == "eval":
            body: str | None = " ".join(cmd.args)
        else:
            body = None
            for j, a in enumerate(cmd.args):
                if a == "-c" or (a.startswith("-") and not a.startswith("--") and a.endswith("c")):
                    body = cmd.args[j + 1] if j + 1 < len(cmd.args) else None
                    break
                if not a.startswith("-"):
                    return False  # bash script.sh: a script call, kept as a command
            if body is None:
                body = stdin
        if body is None:
            return False
        self.inline(body, cmd.env, cmd.line)
        return True

    def fed_script(self, body: tree_sitter.Node, stmt: tree_sitter.Node) -> None:
        """``bash <<EOF ... EOF``: the here-document is the script the shell runs."""
        name = body.child_by_field_name("name")
        if name is None or _program(self.value(name)) not in SHELLS:
            return
        if any(not self.value(a).startswith("-") for a in body.named_children[1:]
               if a.type not in _REDIRECTS and a.type != "variable_assignment"):
            return  # bash script.sh <<EOF: the document is the script's input
        for redirect in stmt.named_children:
            if redirect.type == "heredoc_redirect":
                doc = next((c for c in redirect.named_children if c.type == "heredoc_body"), None)
                if doc is not None:
                    self.inline(self.restore(_text(doc)), {}, self.line(doc) - 1)

    def inline(self, body: str, env: Mapping[str, str], line: int) -> None:
        if self.depth >= MAX_DEPTH:
            self.errors.append(f"line {line}: shell scripts nested too deep to read")
            return
        inner = _parse(body, self.depth + 1, line - 1)
        if inner.error:
            self.errors.append(inner.error)
        for item in inner.items:
            if isinstance(item, Command) and env:
                item = Command(item.program, item.args, {**env, **item.env}, item.text, item.line,
                               item.path, item.wrappers)
            self.items.append(item)
        self.functions |= inner.functions


def _skip_wrapper(prog: str, words: list[str], i: int, env: dict[str, str]) -> int:
    """Index of the wrapped command's first word (after the wrapper's options and operands)."""
    takes = _WRAPPERS[prog]
    operands = _OPERAND_FIRST.get(prog, 0)
    while i < len(words):
        w = words[i]
        if w == "--":
            return i + 1 + operands
        if prog == "env" and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", w):
            name, _, val = w.partition("=")
            env[name] = val
            i += 1
        elif prog == "nice" and re.fullmatch(r"-\d+", w):
            i += 1
        elif w.startswith("-") and len(w) > 1:
            flag = w.split("=", 1)[0]
            i += 2 if flag in takes and "=" not in w and flag == w else 1
        elif operands:
            operands -= 1
            i += 1
        else:
            return i
    return i


def _program(word: str) -> str:
    base = word.rsplit("/", 1)[-1].lower()
    return base[:-4] if base.endswith(".exe") else base


def _is_dynamic(node: tree_sitter.Node) -> bool:
    if node.type in _EXPANSIONS:
        return True
    if _PLACEHOLDER.search(_text(node)):
        return True
    return any(_is_dynamic(c) for c in node.named_children)


def _text(node: tree_sitter.Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def _unescape(s: str, only: str) -> str:
    """Remove backslashes (all of them, or only before the characters in ``only``)."""
    out: list[str] = []
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s) and (not only or s[i + 1] in only):
            if s[i + 1] != "\n":
                out.append(s[i + 1])
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


_ANSI = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "a": "\a", "b": "\b",
         "e": "\x1b", "E": "\x1b", "f": "\f", "v": "\v"}


def _ansi_c(s: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s):
            out.append(_ANSI.get(s[i + 1], "\\" + s[i + 1]))
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def _parse(script: str, depth: int, line0: int) -> Script:
    exprs: list[str] = []

    def swap(m: re.Match[str]) -> str:
        exprs.append(m.group(0))
        return f"_fxe{len(exprs) - 1}x_"

    text = _EXPR.sub(swap, script.replace("\r\n", "\n"))
    stripped = text.rstrip(" \t\n")
    if stripped.endswith("\\") and not stripped.endswith("\\\\"):
        text = stripped[:-1] + "\n"  # a line continuation at the very end continues nothing
    tree = _parser().parse(text.encode("utf-8"))
    reader = _Reader(exprs, depth)
    reader.line0 = line0
    root = tree.root_node
    if root.has_error:
        bad = _first_error(root)
        line = line0 + (bad.start_point[0] if bad is not None else 0) + 1
        return Script((), frozenset(), f"line {line}: the shell script cannot be parsed")
    reader.walk(root)
    error = "; ".join(reader.errors) or None
    return Script(tuple(reader.items), frozenset(reader.functions), error)


def _first_error(node: tree_sitter.Node) -> tree_sitter.Node | None:
    if node.type == "ERROR" or node.is_missing:
        return node
    for c in node.children:
        if c.has_error:
            found = _first_error(c)
            if found is not None:
                return found
    return None


def from_argv(argv: list[str], line: int, text: str) -> Script:
    """A command given as an argument vector (``subprocess.run(["git", "push"])``), normalised
    like a shell command (wrappers, ``bash -c``...)."""
    reader = _Reader([], 0)
    if argv:
        reader.normalise(list(argv), [False] * len(argv), {}, line, text)
    return Script(tuple(reader.items), frozenset(reader.functions), "; ".join(reader.errors) or None)


@lru_cache(maxsize=4096)
def parse(script: str) -> Script:
    """The commands and assignments of a bash/sh ``run:`` script (see the module docstring)."""
    return _parse(script, 0, 0)
