"""PowerShell scripts read with tree-sitter-powershell: the commands a ``run:`` script runs.

:func:`parse_pwsh` reads a ``shell: pwsh`` / ``shell: powershell`` script (also the default shell of
Windows runners) into the same :class:`~fixbot.kb.shell.Script` that :func:`fixbot.kb.shell.parse`
returns for bash, so that a transform reads both the same way:

* every command in source order, nested ones (``$(...)`` in strings and arguments, ``(...)``,
  script blocks such as ``ForEach-Object { ... }``, ``if``/``foreach``/``try``/``switch`` bodies,
  functions) before the command that contains them;
* :attr:`Command.program` is the name as PowerShell resolves it: basename, lower case, ``.exe``
  dropped (``git``, ``invoke-restmethod``, ``irm``). Aliases are kept as written: ``curl`` and
  ``wget`` stay ``curl``/``wget`` although Windows PowerShell 5 resolves them to
  ``Invoke-WebRequest`` (PowerShell 7 runs the real programs); a caller that cares must treat both.
  ``""`` (dynamic) when a variable, an expression or a ``${{ }}`` names the program (``& $exe``,
  ``& "${{ inputs.x }}"``, ``& (Get-Command x)``), and for ``Invoke-Expression``/``iex`` of
  anything but a literal string (or of its pipeline input); a literal string is read as a script;
* ``&``/``.`` with a literal path (``& "C:\\x\\gh.exe"``) names the program by its basename;
  ``Start-Process -FilePath git -ArgumentList ...`` becomes the ``git`` command (wrapper
  ``start-process``); ``pwsh -Command "..."`` is read as PowerShell and ``bash -c "..."`` with
  :func:`fixbot.kb.shell.parse`;
* :attr:`Command.args` are the argument values with quotes and backtick escapes removed
  (``$var`` and ``$(...)`` inside double quotes kept as written), one word per parameter name and
  per value (``-Uri:X`` gives ``-Uri``, ``X``; ``'a','b'`` gives ``a``, ``b``), hashtables, script
  blocks and other expressions as their source text; redirections are left out;
  :attr:`Command.env` is always empty (PowerShell has no ``VAR=value cmd`` form);
* ``$env:NAME = value`` (and ``[Environment]::SetEnvironmentVariable('NAME', value)``) is an
  exported :class:`Assignment` (child processes inherit it); ``$name = value`` a plain one.

``${{ }}`` expressions are swapped for placeholder words before parsing and restored in every
returned value. A script tree-sitter cannot parse has ``error`` set and no items: callers treat it
as unknown. ``shell: cmd`` scripts have no reader here; callers treat them as unknown too.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from functools import lru_cache

import tree_sitter
import tree_sitter_powershell

from fixbot.kb.expressions import PLACEHOLDER, restore, swap_out
from fixbot.kb.shell import SHELLS, Assignment, Command, FileWrite, Script
from fixbot.kb.shell import parse as parse_sh

MAX_DEPTH = 4  # nested iex / pwsh -Command followed

POWERSHELLS = frozenset({"pwsh", "powershell"})
_IEX = frozenset({"invoke-expression", "iex"})
_START_PROCESS = frozenset({"start-process", "saps", "start"})
# Start-Process parameters (lower case) and whether they take a value; aliases map to their name.
_START_PARAMS = {
    "filepath": True, "argumentlist": True, "workingdirectory": True, "verb": True,
    "windowstyle": True, "credential": True, "environment": True, "redirectstandardoutput": True,
    "redirectstandarderror": True, "redirectstandardinput": True, "wait": False, "nonewwindow": False,
    "passthru": False, "loaduserprofile": False, "usenewenvironment": False,
}
_START_ALIASES = {"path": "filepath", "pspath": "filepath", "args": "argumentlist", "lup": "loaduserprofile",
                  "rso": "redirectstandardoutput", "rse": "redirectstandarderror",
                  "rsi": "redirectstandardinput"}
# pwsh / powershell options that take a value (before -Command)
_PWSH_VALUED = frozenset({"executionpolicy", "ep", "ex", "workingdirectory", "wd", "outputformat", "of", "o",
                          "inputformat", "if", "inp", "settingsfile", "configurationname", "config",
                          "windowstyle", "w", "version", "v", "custompipename", "psconsolefile"})
_SET_ALIAS = frozenset({"set-alias", "sal", "new-alias", "nal"})
# Set-Alias / New-Alias parameters that take a value (other than -Name and -Value)
_ALIAS_VALUED = frozenset({"description", "option", "scope"})
# cmdlets that write files (their pipeline input or -Value)
_FILE_WRITERS = frozenset({"out-file", "set-content", "add-content", "sc", "ac", "tee-object",
                           "tee"})
_WRITE_SWITCHES = frozenset({"append", "nonewline", "noclobber", "force", "passthru", "whatif",
                             "confirm", "asbytestream", "usetransaction", "inputobject"})
_HARMLESS_TARGETS = ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "$NULL")
_KEYWORD_COMMANDS = frozenset({"exit", "return", "throw", "break", "continue"})
_BACKTICK = {"0": "\0", "a": "\a", "b": "\b", "e": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t",
             "v": "\v"}
# nodes whose text is a value as written (not a word to unquote)
_STRINGS = frozenset({"expandable_string_literal", "expandable_here_string_literal",
                      "verbatim_string_characters", "verbatim_here_string_characters"})


@dataclasses.dataclass
class _Word:
    """One element of a command: a parameter name or a value (an array gives several values)."""

    values: list[str]  # raw: placeholders not yet restored
    parameter: bool = False
    dynamic: bool = False  # holds a variable, sub-expression or ${{ }}
    literal: bool = False  # a quoted string without variables or sub-expressions
    node: tree_sitter.Node | None = None


@lru_cache(maxsize=1)
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))


class _Reader:
    def __init__(self, exprs: list[str], depth: int, line0: int) -> None:
        self.exprs = exprs
        self.depth = depth
        self.line0 = line0
        self.items: list[Command | Assignment | FileWrite] = []
        self.functions: set[str] = set()
        self.errors: list[str] = []
        self.aliases: dict[str, str] = {}  # Set-Alias name -> the program it runs ("" dynamic)
        self.path_dirs: list[str] = []  # directories written to $env:GITHUB_PATH ("?": untold)
        # `$a = @('push', ...)`: a variable bound once to literal strings (None: anything else)
        self.arrays: dict[str, list[str] | None] = {}
        self.hashes: set[str] = set()
        self.pipe_input: tuple[str, str | None] | None = None  # (text, value) piped to a command

    # --- text ----------------------------------------------------------------------------

    def restore(self, s: str) -> str:
        return restore(s, self.exprs)

    def line(self, node: tree_sitter.Node) -> int:
        return self.line0 + node.start_point[0] + 1

    # --- walking -------------------------------------------------------------------------

    def walk(self, node: tree_sitter.Node) -> None:
        t = node.type
        if t == "command":
            self.command(node)
        elif t == "assignment_expression":
            self.assignment(node)
        elif t == "function_statement":
            name = next((c for c in node.named_children if c.type == "function_name"), None)
            if name is not None:
                self.functions.add(_text(name).lower())
            self.walk_children(node)
        elif t == "invokation_expression":
            self.walk_children(node)
            self.set_environment_variable(node)
        elif t in ("comment", "verbatim_string_characters", "verbatim_here_string_characters"):
            return
        elif t == "pipeline_chain":
            self.pipeline_chain(node)
        else:
            self.walk_children(node)

    def pipeline_chain(self, node: tree_sitter.Node) -> None:
        """Stages in order; a stage's input is what the stages before it write (``"..." |
        Out-File FILE``), and ``"..." > FILE`` writes the expression into FILE."""
        done: list[tree_sitter.Node] = []
        for c in node.named_children:
            if c.type == "comment":
                continue
            if c.type == "redirections":
                self.walk(c)
                text = " | ".join(self.restore(_text(d)) for d in done)
                value = self.stage_value(done[-1]) if len(done) == 1 else None
                for r in c.named_children:
                    if r.type == "redirection":
                        self.redirect(r, text, value)
                continue
            if c.type == "command" and done:
                text = " | ".join(self.restore(_text(d)) for d in done)
                self.pipe_input = (text, self.stage_value(done[-1]) if len(done) == 1 else None)
            self.walk(c)
            self.pipe_input = None
            done.append(c)

    def stage_value(self, node: tree_sitter.Node) -> str | None:
        """What a pipeline stage writes when it is a string (``"$env:GITHUB_WORKSPACE/bin"``)."""
        inner = _unwrap(node)
        if inner.type == "string_literal":
            return self.restore(self.string(inner)[0])
        return None

    def redirect(self, node: tree_sitter.Node, content: str, value: str | None) -> None:
        """``> FILE`` / ``>> FILE`` (the success stream, ``1>``, ``*>``): a file write."""
        op = next((c for c in node.named_children if c.type == "file_redirection_operator"), None)
        name = next((c for c in node.named_children if c.type == "redirected_file_name"), None)
        if op is None or name is None:
            return
        if _text(op).strip() not in (">", ">>", "1>", "1>>", "*>", "*>>"):
            return
        parts = [c for c in name.named_children if c.type != "command_argument_sep"]
        if not parts:
            return
        target = self.restore("".join(v for v in self.word(parts[0]).values))
        if any(h in target.upper() for h in _HARMLESS_TARGETS):
            return  # step outputs, the job summary, $null: nothing a later step reads as a file
        self.file_write(target, content, value, self.line(node))

    def file_write(self, target: str, content: str, value: str | None, line: int) -> None:
        self.items.append(FileWrite(target, content, line))
        if target.strip().lower() in ("$env:github_path", "${env:github_path}"):
            self.path_dirs.append(value if value is not None else "?")

    def bind_array(self, name: str, value: tree_sitter.Node | None) -> None:
        """``$a = @('push', 'origin')``: remember the literal strings (once bound only)."""
        key = name.lower()
        if value is not None and _unwrap(value).type == "hash_literal_expression":
            self.hashes.add(key)  # `@params` of a hashtable: named parameters, read as written
            return
        items = self.literal_list(value) if value is not None else None
        self.arrays[key] = None if key in self.arrays else items

    def literal_list(self, node: tree_sitter.Node) -> list[str] | None:
        """The strings of ``@('a', 'b')`` / ``'a', 'b'`` / ``'a'`` when all are literal."""
        inner = _unwrap(node)
        if inner.type == "array_expression":
            stmts = [c for c in inner.named_children if c.type == "statement_list"]
            if not stmts:
                return []
            kids = [c for c in stmts[0].named_children if c.type != "comment"]
            if len(kids) != 1:
                return None
            inner = _unwrap(kids[0])
        elems = [_unwrap(c) for c in inner.named_children] if (
            inner.type == "array_literal_expression") else [inner]
        out: list[str] = []
        for e in elems:
            if e.type != "string_literal":
                return None
            text, literal = self.string(e)
            if not literal:
                return None
            out.append(text)
        return out

    def walk_children(self, node: tree_sitter.Node) -> None:
        for c in node.named_children:
            self.walk(c)

    def assignment(self, node: tree_sitter.Node) -> None:
        left = next((c for c in node.named_children if c.type == "left_assignment_expression"), None)
        op = next((c for c in node.children if c.type == "assignement_operator"), None)
        value = node.named_children[-1] if node.named_children else None
        if value is not None and value is not left and value is not op:
            self.walk(value)
        target = _single(left) if left is not None else None
        if target is not None and target.type == "expression_with_unary_operator":  # [type]$x = ...
            cast = _single(target)
            ok = cast is not None and cast.type == "cast_expression" and cast.named_children
            target = _unwrap(cast.named_children[-1]) if cast is not None and ok else None
        if target is None or target.type != "variable" or value is None or op is None:
            return
        name = _text(target)
        name = name[2:-1] if name.startswith("${") else name.lstrip("$@")
        scope, _, rest = name.partition(":")
        exported = bool(rest) and scope.lower() == "env"
        if exported:
            name = rest
        operator = _text(op)
        if not exported:
            self.bind_array(name, value if operator == "=" else None)
        if operator == "=" or operator == "??=":
            text = self.expression(value)
        elif operator == "+=":
            text = _text(target) + self.expression(value)
        else:
            text = self.restore(_text(node))
        self.items.append(Assignment(self.restore(name), text, exported, self.line(node)))

    def expression(self, node: tree_sitter.Node) -> str:
        """An assigned value: a string's value unquoted, anything else as written."""
        inner = _unwrap(node)
        if inner.type == "string_literal":
            return self.restore(self.string(inner)[0])
        return self.restore(_text(node))

    def set_environment_variable(self, node: tree_sitter.Node) -> None:
        """``[Environment]::SetEnvironmentVariable('NAME', value)`` (process scope)."""
        kids = node.named_children
        if len(kids) < 3 or kids[0].type != "type_literal" or kids[1].type != "member_name":
            return
        if _text(kids[0]).lower().replace(" ", "") not in ("[environment]", "[system.environment]"):
            return
        if _text(kids[1]).lower() != "setenvironmentvariable":
            return
        args = [_unwrap(a) for a in _descendants(kids[2], "argument_expression")]
        if len(args) not in (2, 3) or args[0].type != "string_literal":
            return
        if len(args) == 3 and self.restore(self.string(args[2])[0] if args[2].type == "string_literal"
                                           else _text(args[2])).strip("'\" ").lower() not in (
                "process", "[environmentvariabletarget]::process"):
            return  # User/Machine: written to the registry, not inherited by this job's children
        name, literal = self.string(args[0])
        if not literal or PLACEHOLDER.search(name):
            return
        value = self.restore(self.string(args[1])[0]) if args[1].type == "string_literal" else \
            self.restore(_text(args[1]))
        self.items.append(Assignment(name, value, True, self.line(node)))

    # --- commands ------------------------------------------------------------------------

    def command(self, node: tree_sitter.Node) -> None:
        piped, self.pipe_input = self.pipe_input, None
        operator = next((c for c in node.children if c.type == "command_invokation_operator"), None)
        name = next((c for c in node.named_children if c.type in ("command_name", "command_name_expr")), None)
        elements = next((c for c in node.named_children if c.type == "command_elements"), None)
        if name is not None:
            self.walk_children(name)
        words: list[_Word] = []
        for e in elements.named_children if elements is not None else []:
            if e.type == "command_argument_sep":
                continue
            self.walk(e)
            if e.type != "redirection":
                words.append(self.word(e))
        for e in elements.named_children if elements is not None else []:
            if e.type == "redirection":  # `Write-Output ... > FILE`
                self.redirect(e, self.restore(_text(node)), None)
        if name is None:
            return
        splat_unknown = False
        for w in words:
            if len(w.values) == 1 and w.values[0].startswith("@") and w.node is not None and (
                    _unwrap(w.node).type == "variable"):
                key = w.values[0][1:].lower()
                bound = self.arrays.get(key)
                if bound is not None:
                    w.values, w.dynamic = list(bound), False
                elif key not in self.hashes and "-" not in _text(name):
                    splat_unknown = True  # `& git @args`: arguments chosen at run time
        if name.type == "command_name_expr" and name.named_children:
            inner = name.named_children[0]
            if inner.type == "script_block_expression":
                return  # & { ... }: its commands were read above
            if inner.type == "command_name":
                path, dynamic = self.token(inner), False
            elif inner.type == "string_literal":
                path, literal = self.string(inner)
                dynamic = not literal
            else:  # $exe, (expression), ...
                path, dynamic = _text(inner), True
        else:
            path, dynamic = self.token(name), False
        dynamic = dynamic or bool(PLACEHOLDER.search(path))
        program = "" if dynamic else _program(path)
        if operator is None and program in _KEYWORD_COMMANDS:
            return
        if program in self.aliases and "/" not in path.replace("\\", "/"):
            path = self.aliases[program]  # Set-Alias ship git; ship push: runs git
            program = _program(path) if path else ""
        if program in _SET_ALIAS:
            self.set_alias(words)
        if splat_unknown:
            program = ""
        if program in _FILE_WRITERS:
            self.writer(program, words, piped, self.line(node))
        cmd = Command(program, tuple(self.restore(v) for w in words for v in w.values), {},
                      self.restore(_text(node)).rstrip(), self.line(node), self.restore(path))
        if program in _IEX:
            self.invoke_expression(cmd, words)
        elif program in _START_PROCESS:
            self.start_process(cmd, words)
        elif program == "cmd" and self.cmd_c(cmd, words):
            return
        elif program in POWERSHELLS or program in SHELLS:
            if not self.nested_shell(cmd, words):
                self.items.append(cmd)
        else:
            self.items.append(cmd)

    def writer(self, program: str, words: list[_Word], piped: tuple[str, str | None] | None,
               line: int) -> None:
        """``Out-File``/``Set-Content``/``Add-Content``/``Tee-Object``: the files they write, with
        their pipeline input or ``-Value``."""
        targets: list[str] = []
        values: list[str] = []
        positional: list[_Word] = []
        i = 0
        while i < len(words):
            w = words[i]
            if w.parameter and w.values:
                flag = w.values[0].lstrip("-").rstrip(":").lower()
                if flag in _WRITE_SWITCHES or i + 1 >= len(words) or words[i + 1].parameter:
                    i += 1
                    continue
                nxt = [self.restore(v) for v in words[i + 1].values]
                if flag in ("filepath", "path", "literalpath", "pspath", "lp", "file"):
                    targets += nxt
                elif flag == "value":
                    values += nxt
                i += 2
                continue
            positional.append(w)
            i += 1
        if positional and not targets:
            targets += [self.restore(v) for v in positional.pop(0).values]
        if positional and not values and program not in ("out-file", "tee-object", "tee"):
            values += [self.restore(v) for v in positional.pop(0).values]
        if piped is not None:
            content, value = piped
        elif values:
            content, value = "\n".join(values), (values[0] if len(values) == 1 else None)
        else:
            return
        for t in targets:
            self.file_write(t, content, value, line)

    def cmd_c(self, cmd: Command, words: list[_Word]) -> bool:
        """``cmd /c "git push"``: the commands of the command line (True if read)."""
        at = next((k for k, w in enumerate(words) if len(w.values) == 1
                   and w.values[0].lower() in ("/c", "/k", "/r")), None)
        if at is None:
            return False
        rest = words[at + 1:]
        if not rest:
            return False
        if any(w.dynamic for w in rest):
            self.items.append(dataclasses.replace(cmd, program="", wrappers=("cmd",)))
            return True
        body = self.restore(" ".join(v for w in rest for v in w.values)).strip()
        for part in re.split(r"&&|\|\||[&|]", body):
            argv = _split_windows(part)
            if not argv:
                continue
            dynamic = "%" in argv[0] or "!" in argv[0]
            self.items.append(Command("" if dynamic else _program(argv[0]), tuple(argv[1:]), {},
                                      cmd.text, cmd.line, argv[0], ("cmd",)))
        return True

    def set_alias(self, words: list[_Word]) -> None:
        """``Set-Alias [-Name] ship [-Value] git``: later commands named ``ship`` run git."""
        bound: dict[str, _Word] = {}
        positional = ["name", "value"]
        i = 0
        while i < len(words):
            w = words[i]
            if w.parameter and w.values:
                flag = w.values[0].lstrip("-").rstrip(":").lower()
                param = next((p for p in ("name", "value") if flag and p.startswith(flag)), None)
                if param is not None and i + 1 < len(words):
                    bound[param] = words[i + 1]
                    if param in positional:
                        positional.remove(param)
                    i += 1
                elif flag in _ALIAS_VALUED:
                    i += 1
            elif positional:
                bound.setdefault(positional.pop(0), w)
            i += 1
        name, value = bound.get("name"), bound.get("value")
        if name is None or value is None or len(name.values) != 1 or name.dynamic:
            return
        target = value.values[0] if len(value.values) == 1 else ""
        dynamic = value.dynamic or not target or bool(PLACEHOLDER.search(target))
        self.aliases[name.values[0].lower()] = "" if dynamic else self.restore(target)

    def invoke_expression(self, cmd: Command, words: list[_Word]) -> None:
        operands = [w for w in words if not w.parameter]
        if len(operands) == 1 and operands[0].literal and len(operands[0].values) == 1:
            self.inline(operands[0].values[0], cmd.line)
            return
        body = " ".join(v for w in operands for v in w.values)  # empty: the pipeline's input
        self.items.append(dataclasses.replace(cmd, program="", path=self.restore(body),
                                              wrappers=("invoke-expression",)))

    def start_process(self, cmd: Command, words: list[_Word]) -> None:
        """``Start-Process [-FilePath] prog [[-ArgumentList] args]``: the command it starts."""
        bound: dict[str, _Word] = {}
        positional = ["filepath", "argumentlist"]
        i = 0
        while i < len(words):
            w = words[i]
            if w.parameter:
                param = _start_param(w.values[0])
                if param is not None and _START_PARAMS[param] and i + 1 < len(words):
                    bound[param] = words[i + 1]
                    i += 1
            elif positional:
                bound.setdefault(positional.pop(0), w)
            i += 1
        file = bound.get("filepath")
        if file is None or len(file.values) != 1:
            self.items.append(dataclasses.replace(cmd, program="", wrappers=("start-process",)))
            return
        path = file.values[0]
        dynamic = file.dynamic or bool(PLACEHOLDER.search(path))
        arglist = bound.get("argumentlist")
        args = [a for v in (arglist.values if arglist is not None else []) for a in _split_windows(v)]
        self.items.append(Command("" if dynamic else _program(path), tuple(self.restore(a) for a in args),
                                  {}, cmd.text, cmd.line, self.restore(path), ("start-process",)))

    def nested_shell(self, cmd: Command, words: list[_Word]) -> bool:
        """``pwsh -Command "..."`` / ``bash -c "..."``: read the text as a script (True if read)."""
        j = 0
        while j < len(words):
            w = words[j]
            flag = w.values[0].lower() if w.parameter and w.values else ""
            if cmd.program in SHELLS:
                if not flag.startswith("-"):
                    return False  # bash script.sh: a script call, kept as a command
                if flag == "-c" or (not flag.startswith("--") and flag.endswith("c")):
                    break
            elif flag and len(flag) >= 2 and "-command".startswith(flag):
                break
            elif flag[1:] in _PWSH_VALUED:
                j += 1
            elif not flag and cmd.program == "powershell":
                j -= 1  # Windows PowerShell: the first operand starts the command text
                break
            elif not flag or flag[1:] in ("f", "file", "e", "ec", "encodedcommand"):
                return False  # a script file, or base64 text this module does not decode
            j += 1
        rest = words[j + 1:]
        if not rest:
            return False
        if rest[0].node is not None and _unwrap(rest[0].node).type == "script_block_expression":
            return True  # pwsh -Command { ... }: its commands were read above, like & { ... }
        if cmd.program in SHELLS:
            if len(rest[0].values) != 1 or not rest[0].literal:
                return False
            self.inline_sh(cmd.program, self.restore(rest[0].values[0]), cmd.line)
        else:
            self.inline(" ".join(v for w in rest for v in w.values), cmd.line)
        return True

    def inline(self, body: str, line: int) -> None:
        if self.depth >= MAX_DEPTH:
            self.errors.append(f"line {line}: PowerShell scripts nested too deep to read")
            return
        inner = _read(body, self.exprs, self.depth + 1, line - 1)
        if inner.error:
            self.errors.append(inner.error)
        self.items.extend(inner.items)
        self.functions |= inner.functions
        self.path_dirs += inner.path_dirs

    def inline_sh(self, cmd_name: str, body: str, line: int) -> None:
        inner = parse_sh(body)
        if inner.error:
            self.errors.append(f"line {line}: {cmd_name} text: {inner.error}")
        for item in inner.items:
            self.items.append(dataclasses.replace(item, line=line + item.line - 1))
        self.functions |= inner.functions
        self.path_dirs += inner.path_dirs

    # --- words ---------------------------------------------------------------------------

    def word(self, node: tree_sitter.Node) -> _Word:
        t = node.type
        if t == "command_parameter":
            return _Word([_text(node)], parameter=True, node=node)
        if t == "generic_token":
            return _Word([self.token(node)], dynamic=_holds_variable(node), node=node)
        if t == "stop_parsing":  # --% rest: passed as written
            rest = _text(node)[3:].strip()
            return _Word(["--%", *_split_windows(rest)], node=node)
        if t == "array_literal_expression" and len(node.named_children) > 1:
            parts = [self.word(_unwrap(c)) for c in node.named_children]
            return _Word([v for p in parts for v in p.values], dynamic=any(p.dynamic for p in parts),
                         literal=all(p.literal for p in parts), node=node)
        inner = _unwrap(node)
        if inner is not node:
            w = self.word(inner)
            w.node = node
            return w
        if t == "array_expression":
            items = self.literal_list(node)
            if items is not None:
                return _Word(items, literal=True, node=node)
        if t == "string_literal":
            value, literal = self.string(node)
            return _Word([value], dynamic=not literal, literal=literal, node=node)
        return _Word([_text(node)], dynamic=t != "integer_literal", node=node)

    def token(self, node: tree_sitter.Node) -> str:
        """A bare word's value: quotes and backtick escapes removed, ``$x``/``$(..)`` as written."""
        return _lex(_segments(node), None)

    def string(self, node: tree_sitter.Node) -> tuple[str, bool]:
        """A string literal's value and whether it is literal (no variables or sub-expressions)."""
        lit = node.named_children[0] if node.named_children else node
        raw = _text(lit)
        if lit.type == "verbatim_string_characters":
            return raw[1:-1].replace("''", "'"), True
        if lit.type == "verbatim_here_string_characters":
            return _here_body(raw), True
        segments = _segments(lit)
        literal = not _holds_variable(lit)
        if lit.type == "expandable_here_string_literal":
            first, last = segments[0][1], segments[-1][1]
            segments[0] = (False, first[first.find("\n") + 1:] if "\n" in first else first[2:])
            segments[-1] = (False, last[:last.rfind("\n")] if "\n" in last else last[:-2])
            return _lex(segments, "here"), literal
        segments[0] = (False, segments[0][1][1:])
        segments[-1] = (False, segments[-1][1][:-1])
        return _lex(segments, '"'), literal


def _start_param(flag: str) -> str | None:
    name = flag.lstrip("-").rstrip(":").lower()
    if name in _START_ALIASES:
        return _START_ALIASES[name]
    found = [p for p in _START_PARAMS if p.startswith(name)] if name else []
    return found[0] if len(found) == 1 else None


def _segments(node: tree_sitter.Node) -> list[tuple[bool, str]]:
    """The node's text cut into (is_hole, text): holes are variables and sub-expressions."""
    src = node.text or b""
    out: list[tuple[bool, str]] = []
    pos = 0
    for c in node.named_children:
        a, b = c.start_byte - node.start_byte, c.end_byte - node.start_byte
        out.append((False, src[pos:a].decode("utf-8", "replace")))
        out.append((True, src[a:b].decode("utf-8", "replace")))
        pos = b
    out.append((False, src[pos:].decode("utf-8", "replace")))
    return out


def _lex(segments: Iterable[tuple[bool, str]], quote: str | None) -> str:
    """Remove quotes and backtick escapes. ``quote``: None (bare word), '"' (inside "..."), "here"."""
    out: list[str] = []
    for hole, text in segments:
        if hole:
            out.append(text)
            continue
        i = 0
        while i < len(text):
            c = text[i]
            if c == "`" and quote != "'" and i + 1 < len(text):
                out.append(_BACKTICK.get(text[i + 1], text[i + 1]) if text[i + 1] != "\n" or quote else "")
                i += 2
                continue
            if quote is None and c in "'\"":
                quote = c
            elif quote == c and c == '"' and text[i + 1:i + 2] == '"':
                out.append('"')
                i += 1
            elif quote == c and c == "'" and text[i + 1:i + 2] == "'":
                out.append("'")
                i += 1
            elif quote == c:
                quote = None
            else:
                out.append(c)
            i += 1
    return "".join(out)


def _here_body(raw: str) -> str:
    body = raw[2:-2]
    start = body.find("\n") + 1
    end = body.rfind("\n")
    return body[start:end] if end >= start else ""


def _split_windows(s: str) -> list[str]:
    """Split a Windows command line the way the C runtime (CommandLineToArgvW) does."""
    out: list[str] = []
    cur: list[str] = []
    in_word = quoted = False
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            n = 0
            while i < len(s) and s[i] == "\\":
                n += 1
                i += 1
            if i < len(s) and s[i] == '"':
                cur.append("\\" * (n // 2))
                if n % 2:
                    cur.append('"')
                    i += 1
            else:
                cur.append("\\" * n)
            in_word = True
            continue
        if c == '"':
            if quoted and s[i + 1:i + 2] == '"':
                cur.append('"')
                i += 1
            else:
                quoted = not quoted
            in_word = True
        elif c in " \t\n" and not quoted:
            if in_word:
                out.append("".join(cur))
                cur, in_word = [], False
        else:
            cur.append(c)
            in_word = True
        i += 1
    if in_word:
        out.append("".join(cur))
    return out


def _holds_variable(node: tree_sitter.Node) -> bool:
    return any(c.type in ("variable", "sub_expression") or _holds_variable(c) for c in node.named_children)


def _single(node: tree_sitter.Node) -> tree_sitter.Node | None:
    """The expression below a chain of single-child wrappers (pipeline > ... > unary_expression)."""
    inner = _unwrap(node)
    if inner is node:
        return node.named_children[0] if len(node.named_children) == 1 else None
    return inner


def _unwrap(node: tree_sitter.Node) -> tree_sitter.Node:
    while node.named_child_count == 1 and node.type not in _STRINGS and node.type not in (
            "string_literal", "command", "variable", "sub_expression", "script_block_expression",
            "parenthesized_expression", "hash_literal_expression", "array_expression", "member_access",
            "expression_with_unary_operator", "invokation_expression", "generic_token"):
        node = node.named_children[0]
    return node


def _descendants(node: tree_sitter.Node, type_: str) -> list[tree_sitter.Node]:
    if node.type == type_:
        return [node]
    return [d for c in node.named_children for d in _descendants(c, type_)]


def _program(word: str) -> str:
    base = word.replace("\\", "/").rsplit("/", 1)[-1].lower()
    return base[:-4] if base.endswith(".exe") else base


def _text(node: tree_sitter.Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def _first_error(node: tree_sitter.Node) -> tree_sitter.Node | None:
    if node.type == "ERROR" or node.is_missing:
        return node
    for c in node.children:
        if c.has_error:
            found = _first_error(c)
            if found is not None:
                return found
    return None


def _read(text: str, exprs: list[str], depth: int, line0: int) -> Script:
    """Read ``text`` (``${{ }}`` already swapped for placeholders indexing ``exprs``)."""
    root = _parser().parse(text.encode("utf-8")).root_node
    if root.has_error:
        bad = _first_error(root)
        line = line0 + (bad.start_point[0] if bad is not None else 0) + 1
        return Script((), error=f"line {line}: the PowerShell script cannot be parsed")
    reader = _Reader(exprs, depth, line0)
    reader.walk(root)
    return Script(tuple(reader.items), frozenset(reader.functions), "; ".join(reader.errors) or None,
                  path_dirs=tuple(reader.path_dirs))


@lru_cache(maxsize=4096)
def parse_pwsh(script: str) -> Script:
    """The commands and assignments of a PowerShell ``run:`` script (see the module docstring)."""
    text, exprs = swap_out(script)
    return _read(text, exprs, 0, 0)
