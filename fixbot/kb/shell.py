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
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import tree_sitter
import tree_sitter_bash

from fixbot.kb.expressions import PLACEHOLDER, restore, swap_out

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
    "flock": frozenset({"-w", "--wait", "--timeout", "-E", "--conflict-exit-code"}),
    "setsid": frozenset(),
    "coproc": frozenset(),
    "xvfb-run": frozenset({"-e", "--error-file", "-f", "--auth-file", "-n", "--server-num",
                           "-p", "--xauth-protocol", "-s", "--server-args", "-w", "--wait"}),
    "runuser": frozenset({"-u", "--user", "-g", "--group", "-G", "--supp-group", "-s", "--shell",
                          "-w", "--whitelist-environment"}),
    "doas": frozenset({"-u", "-C"}),
    "faketime": frozenset({"-f"}),
    "strace": frozenset({"-e", "-o", "-p", "-s", "-u", "-E"}),
    "ltrace": frozenset({"-e", "-o", "-p", "-s", "-u"}),
    "valgrind": frozenset(),
    "torsocks": frozenset(),
    "proxychains": frozenset({"-f"}),
    "proxychains4": frozenset({"-f"}),
    "catchsegv": frozenset(),
    "dbus-run-session": frozenset({"--config-file", "--dbus-daemon"}),
}
# wrappers whose first operand is not the command (timeout's duration, flock's lock file)
_OPERAND_FIRST = {"timeout": 1, "flock": 1}
# Programs with an option whose value is a shell command line (``su -c 'cmd'``): the options that
# take a value, and the command-string options.
_STRING_OPTS: Mapping[str, tuple[frozenset[str], frozenset[str]]] = {
    "su": (frozenset({"-g", "--group", "-G", "--supp-group", "-s", "--shell", "-w",
                      "--whitelist-environment"}), frozenset({"-c", "--command",
                                                               "--session-command"})),
    "runuser": (_WRAPPERS["runuser"], frozenset({"-c", "--command", "--session-command"})),
    "script": (frozenset({"-E", "--echo", "-I", "--log-in", "-O", "--log-out", "-B", "--log-io",
                          "-T", "--log-timing", "-m", "--logging-format", "-o",
                          "--output-limit"}), frozenset({"-c", "--command"})),
    "flock": (_WRAPPERS["flock"], frozenset({"-c", "--command"})),
    "nix-shell": (frozenset({"-p", "--packages", "-A", "--attr", "-I", "--arg", "--argstr",
                             "--option", "-E", "--expr"}), frozenset({"--run", "--command"})),
}
# ``PROGRAM SUBCOMMAND [options] cmd args...`` (``poetry run git push``): options that take a value.
_SUB_WRAPPERS: Mapping[tuple[str, str], frozenset[str]] = {
    ("poetry", "run"): frozenset({"-C", "--directory", "-P", "--project"}),
    ("uv", "run"): frozenset({
        "--with", "--with-editable", "--with-requirements", "-p", "--python", "--project",
        "--directory", "--package", "--extra", "--group", "--no-group", "--only-group",
        "--env-file", "--index", "--default-index", "--index-url", "-i", "--extra-index-url",
        "--find-links", "-f", "--index-strategy", "--keyring-provider", "--resolution",
        "--prerelease", "--exclude-newer", "--link-mode", "--cache-dir", "--config-file",
        "--color", "--python-preference", "--python-platform", "--refresh-package",
        "--reinstall-package", "--upgrade-package", "-P", "--no-binary-package",
        "--no-build-package", "--config-setting", "-C", "--no-extra", "--allow-insecure-host",
        "--from"}),
    ("pdm", "run"): frozenset({"-p", "--project", "-L", "--lockfile", "--venv"}),
    ("pipenv", "run"): frozenset(),
    ("conda", "run"): frozenset({"-n", "--name", "-p", "--prefix", "--cwd"}),
    ("mamba", "run"): frozenset({"-n", "--name", "-p", "--prefix", "--cwd"}),
    ("micromamba", "run"): frozenset({"-n", "--name", "-p", "--prefix", "--cwd", "-r",
                                      "--root-prefix"}),
    ("bundle", "exec"): frozenset({"--gemfile"}),
    ("rye", "run"): frozenset({"--pyproject"}),
    ("dotenv", "run"): frozenset({"-f", "--file"}),
    ("op", "run"): frozenset({"--env-file"}),
    ("doppler", "run"): frozenset({"-p", "--project", "-c", "--config", "--token"}),
}
# ``nix develop ... --command cmd args``: the words after the marker are the command.
_COMMAND_MARKERS: Mapping[tuple[str, str], frozenset[str]] = {
    ("nix", "develop"): frozenset({"-c", "--command"}),
    ("nix", "shell"): frozenset({"-c", "--command"}),
}
_PARALLEL_VALUED = frozenset({
    "-j", "--jobs", "-P", "--max-procs", "-S", "--sshlogin", "-a", "--arg-file", "-d",
    "--delimiter", "-I", "-n", "--max-args", "-N", "-L", "--max-lines", "--delay", "--timeout",
    "--colsep", "-C", "-E", "--eof", "--joblog", "--results", "--res", "--retries", "--tmpdir",
    "--workdir", "--wd", "--env", "--tag-string", "--memfree", "--load", "--halt", "--shebang",
    "--rpl", "--sshloginfile", "--slf", "--basefile", "--bf", "--return", "--transfer-file",
    "--tf", "-s", "--max-chars", "--block", "--block-size", "--header", "--termseq",
    "--limit", "--ssh", "--onall", "--nonall"})
_WATCH_VALUED = frozenset({"-n", "--interval", "-q", "--equexit"})
_FIND_EXEC = frozenset({"-exec", "-execdir", "-ok", "-okdir"})
_CONTAINER_RUN = frozenset({"run", "create"})
_WORKSPACE_WORDS = frozenset({".", "./", "$PWD", "${PWD}", "$(pwd)", "`pwd`", "$GITHUB_WORKSPACE",
                              "${GITHUB_WORKSPACE}", "${{ github.workspace }}",
                              "${{github.workspace}}"})
# bash/sh options that take a value (before ``-c``)
_SHELL_VALUED = frozenset({"-o", "+o", "-O", "+O", "--rcfile", "--init-file"})
# git's own commands: an alias of the same name is never used
_GIT_BUILTINS = frozenset({
    "add", "am", "apply", "archive", "bisect", "blame", "branch", "bundle", "cat-file",
    "checkout", "cherry-pick", "clean", "clone", "commit", "config", "describe", "diff", "fetch",
    "format-patch", "gc", "grep", "init", "log", "ls-files", "ls-remote", "merge", "mv", "notes",
    "pull", "push", "rebase", "reflog", "remote", "reset", "restore", "revert", "rev-list",
    "rev-parse", "rm", "send-pack", "shortlog", "show", "stash", "status", "submodule", "switch",
    "symbolic-ref", "tag", "update-index", "update-ref", "worktree"})
_GIT_VALUE_OPTS = frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path",
                             "--config-env"})
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
class FileWrite:
    """``cmd > FILE``/``>> FILE``: what a command writes into a file (its words and here-document)."""

    target: str  # the file as written (``$GITHUB_ENV``, ``~/.netrc``)
    content: str  # the writing command's text and any here-document fed to it
    line: int


@dataclass(frozen=True)
class Assignment:
    """``NAME=value`` as a statement of its own, or ``export``/``declare`` of a name."""

    name: str
    value: str | None  # None: ``export NAME`` of an existing variable
    exported: bool
    line: int


@dataclass(frozen=True)
class Script:
    items: tuple[Command | Assignment | FileWrite, ...]  # in the order they run (substitutions first)
    functions: frozenset[str] = frozenset()
    error: str | None = None  # why the script cannot be read; callers treat it as unknown
    # directories written to $GITHUB_PATH, as written ("?" where what is written cannot be told)
    path_dirs: tuple[str, ...] = ()

    @property
    def commands(self) -> tuple[Command, ...]:
        return tuple(i for i in self.items if isinstance(i, Command))



@lru_cache(maxsize=1)
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))


class _Reader:
    def __init__(self, exprs: list[str], depth: int, aliases: dict[str, str] | None = None,
                 git_aliases: dict[str, str] | None = None) -> None:
        self.exprs = exprs
        self.depth = depth
        self.aliases: dict[str, str] = aliases if aliases is not None else {}
        self.git_aliases: dict[str, str] = git_aliases if git_aliases is not None else {}
        self.path_dirs: list[str] = []
        self.fds: dict[str, str] = {}  # `exec 3> FILE`: descriptor -> the file it writes
        self.items: list[Command | Assignment | FileWrite] = []
        self.functions: set[str] = set()
        self.errors: list[str] = []
        self.line0 = 0

    # --- text ----------------------------------------------------------------------------

    def restore(self, s: str) -> str:
        return restore(s, self.exprs)

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
            self.heredoc_pipe(node, body)
            self.github_path(node, body)
            self.file_writes(node, body)
        elif t == "pipeline":
            self.pipeline(node)
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
        if herestring is not None:  # `install -m600 /dev/stdin ~/.netrc <<< "..."`
            for target in self.stdin_targets(node):
                self.items.append(FileWrite(target, herestring + "\n" + self.restore(_text(node)),
                                            self.line(node)))
        self.normalise(values, dynamic, env, self.line(node), self.restore(_text(node)), herestring)

    def normalise(self, words: list[str], dynamic: list[bool], env: dict[str, str], line: int,
                  text: str, stdin: str | None = None) -> None:
        words, dynamic = list(words), list(dynamic)
        wrappers: list[str] = []
        i = 0
        while i < len(words):
            prog = _program(words[i]) if not dynamic[i] else ""
            if prog == "command" and i + 1 < len(words) and words[i + 1] in ("-v", "-V"):
                return  # `command -v x` looks a program up; it runs nothing
            if i == 0 and prog in self.aliases and "/" not in words[i]:
                self.expand_alias(prog, words, dynamic, env, line)
                return
            if prog in _STRING_OPTS and self.command_string(prog, words, dynamic, i, env, line):
                return
            if prog in _WRAPPERS:
                wrappers.append(prog)
                i = _skip_wrapper(prog, words, dynamic, i + 1, env)
                continue
            sub = words[i + 1] if i + 1 < len(words) else ""
            if (prog, sub) in _SUB_WRAPPERS:
                wrappers.append(f"{prog} {sub}")
                j = _skip_options(words, i + 2, _SUB_WRAPPERS[(prog, sub)])
                if prog == "uv" and j < len(words):
                    if any(w in ("-m", "--module") for w in words[i + 2:j]):
                        words[j:j] = ["python", "-m"]
                        dynamic[j:j] = [False, False]
                    elif words[j].lower().endswith((".py", ".pyw")):
                        words.insert(j, "python")  # uv runs a .py file with Python
                        dynamic.insert(j, False)
                i = j
                continue
            marks = _COMMAND_MARKERS.get((prog, sub))
            if marks is not None:
                at = next((k for k in range(i + 2, len(words)) if words[k] in marks), None)
                if at is None:
                    break  # `nix develop` alone: an interactive shell, kept as a command
                wrappers.append(f"{prog} {sub}")
                i = at + 1
                continue
            if prog in ("parallel", "watch"):
                self.runs_command_words(prog, words[i + 1:], dynamic[i + 1:], env, line, text)
                return
            break
        if i >= len(words):
            return
        prog = _program(words[i]) if not dynamic[i] else ""
        args = tuple(words[i + 1:])
        cmd = Command(prog, args, dict(env), text, line, words[i], tuple(wrappers))
        if (prog in SHELLS or prog == "eval") and self.nested(cmd, stdin):
            return
        if prog == "git" and self.git_alias(cmd, dynamic[i + 1:]):
            return
        self.items.append(cmd)
        if prog == "sed":
            for target in _sed_in_place(list(args)):  # the expression is written into the file
                self.items.append(FileWrite(target, text, line))
        if prog == "find":
            self.find_exec(words[i + 1:], dynamic[i + 1:], env, line, text)
        elif prog == "trap" and args and not args[0].startswith("-") and args[0].strip():
            if dynamic[i + 1]:
                self.items.append(Command("", (), dict(env), text, line, args[0], ("trap",)))
            else:
                self.inline(args[0], env, line)  # the trap's string runs as a command later
        elif prog == "alias":
            self.define_aliases(args)
        elif prog in ("docker", "podman", "nerdctl") and _mounts_workspace(args):
            # a container with the workspace mounted sees .git/config (and the credentials
            # actions/checkout persisted there): what it runs is not known here
            self.items.append(Command("", (), dict(env), text, line, words[i],
                                      (*wrappers, f"{prog} run")))

    # --- forms that run other commands ---------------------------------------------------

    def command_string(self, prog: str, words: list[str], dynamic: list[bool], i: int,
                       env: dict[str, str], line: int) -> bool:
        """``su USER -c 'cmd'``, ``script -c 'cmd'``, ``flock FILE -c 'cmd'``,
        ``nix-shell --run 'cmd'``: the option's value is a command line (True if read)."""
        takes, marks = _STRING_OPTS[prog]
        j = i + 1
        while j < len(words):
            w = words[j]
            flag, eq, val = w.partition("=")
            if w in marks or (w.startswith("--") and eq and flag in marks):
                if eq and w not in marks:
                    body, dyn = val, dynamic[j]
                elif j + 1 < len(words):
                    body, dyn = words[j + 1], dynamic[j + 1]
                else:
                    return False
                self.inline_or_unknown(body, dyn, env, line, prog)
                return True
            if w == "--":
                return False
            j += 2 if w in takes else 1
        return False

    def runs_command_words(self, prog: str, rest: list[str], dynamic: list[bool],
                           env: dict[str, str], line: int, text: str) -> None:
        """``parallel [options] cmd ::: args`` / ``watch [options] cmd``: the command they run (a
        single word is a command line they hand to a shell)."""
        takes = _PARALLEL_VALUED if prog == "parallel" else _WATCH_VALUED
        j = _skip_options(rest, 0, takes)
        end = next((k for k in range(j, len(rest)) if rest[k].startswith(":::")), len(rest))
        words, dyn = rest[j:end], dynamic[j:end]
        self.items.append(Command(prog, tuple(rest), dict(env), text, line, prog))
        if not words:  # parallel reading its commands from its input
            self.items.append(Command("", (), dict(env), text, line, "", (prog,)))
        elif len(words) == 1:
            self.inline_or_unknown(words[0], dyn[0], env, line, prog)
        else:
            self.normalise(words, dyn, dict(env), line, text)

    def find_exec(self, rest: list[str], dynamic: list[bool], env: dict[str, str], line: int,
                  text: str) -> None:
        """``find ... -exec cmd {} ;`` (``-execdir``, ``-ok``, ``-okdir``): the commands it runs."""
        j = 0
        while j < len(rest):
            if rest[j] in _FIND_EXEC:
                end = next((k for k in range(j + 1, len(rest)) if rest[k] in (";", "+")),
                           len(rest))
                if end > j + 1:
                    self.normalise(rest[j + 1:end], dynamic[j + 1:end], dict(env), line, text)
                j = end
            j += 1

    def inline_or_unknown(self, body: str, dyn: bool, env: Mapping[str, str], line: int,
                          via: str) -> None:
        if dyn and PLACEHOLDER.sub("", body).strip().startswith("$"):
            self.items.append(Command("", (), dict(env), body, line, body, (via,)))
        else:
            self.inline(body, env, line)

    def define_aliases(self, args: tuple[str, ...]) -> None:
        """``alias name='value'``: later commands named ``name`` run ``value``."""
        for a in args:
            name, eq, value = a.partition("=")
            if eq and name and not name.startswith("-"):
                self.aliases[name.lower()] = value

    def expand_alias(self, name: str, words: list[str], dynamic: list[bool],
                     env: dict[str, str], line: int) -> None:
        rest = " ".join(_quote(w, d) for w, d in zip(words[1:], dynamic[1:], strict=True))
        body = f"{self.aliases[name]} {rest}".strip()
        if self.depth >= MAX_DEPTH:
            self.errors.append(f"line {line}: shell aliases nested too deep to read")
            return
        aliases = {k: v for k, v in self.aliases.items() if k != name}  # not expanded again
        inner = _parse(body, self.depth + 1, line - 1, aliases, self.git_aliases)
        self.take(inner, env)

    def git_alias(self, cmd: Command, dynamic: list[bool]) -> bool:
        """``git config alias.NAME VALUE`` is remembered; ``git NAME ...`` later runs VALUE
        (True when ``cmd`` was expanded)."""
        k = 0
        args = cmd.args
        local: dict[str, str] = {}
        while k < len(args) and args[k].startswith("-"):
            if args[k] == "-c" and k + 1 < len(args) and args[k + 1].lower().startswith("alias."):
                name, _, defined = args[k + 1][6:].partition("=")
                local[name.lower()] = "$" if dynamic[k + 1] else defined
            k += 2 if args[k] in _GIT_VALUE_OPTS else 1
        if k >= len(args):
            return False
        sub = args[k]
        if sub == "config":
            ops = [(a, d) for a, d in zip(args[k + 1:], dynamic[k + 1:], strict=True)
                   if not a.startswith("-")]
            if len(ops) >= 2 and ops[0][0].lower().startswith("alias."):
                self.git_aliases[ops[0][0][6:].lower()] = "$" if ops[1][1] else ops[1][0]
            return False
        value = local.get(sub.lower()) or self.git_aliases.get(sub.lower())
        if value is None or sub in _GIT_BUILTINS:
            return False
        self.items.append(cmd)
        rest = args[k + 1:]
        if value.startswith("$") or PLACEHOLDER.search(value):
            self.items.append(Command("", rest, cmd.env, cmd.text, cmd.line, "", ("git alias",)))
        elif value.startswith("!"):
            rest_text = " ".join(_quote(w, d) for w, d in zip(rest, dynamic[k + 1:], strict=True))
            self.inline(f"{value[1:]} {rest_text}", cmd.env, cmd.line)
        else:
            try:
                expansion = shlex.split(value)
            except ValueError:
                expansion = []
            if not expansion:
                self.items.append(Command("", rest, cmd.env, cmd.text, cmd.line, "",
                                          ("git alias",)))
                return True
            self.items.append(Command("git", (*args[:k], *expansion, *rest), cmd.env, cmd.text,
                                      cmd.line, cmd.path, (*cmd.wrappers, "git alias")))
        return True

    def nested(self, cmd: Command, stdin: str | None) -> bool:
        """``bash -c "..."``, ``eval ...``, ``bash <<< "..."``: read the text as a script."""
        if cmd.program == "eval":
            body: str | None = " ".join(cmd.args)
        else:
            body = None
            j = 0
            while j < len(cmd.args):
                a = cmd.args[j]
                if a in _SHELL_VALUED:
                    j += 2
                    continue
                if a == "-c" or (a[:1] in "-+" and not a.startswith("--") and a.endswith("c")):
                    body = cmd.args[j + 1] if j + 1 < len(cmd.args) else None
                    break
                if not a.startswith(("-", "+")) or a == "-s":
                    if a == "-s" or a == "-":
                        break
                    return False  # bash script.sh: a script call, kept as a command
                j += 1
            if body is None:
                body = stdin
        if body is None:
            return False
        self.inline(body, cmd.env, cmd.line)
        return True

    def unwrapped(self, node: tree_sitter.Node) -> tuple[list[str], list[bool], int] | None:
        """A pipeline stage's words (values, which are dynamic) and the index of the program
        after wrappers (``sudo``, ``env``...); None when the stage is not a simple command."""
        if node.type == "redirected_statement":
            body = node.child_by_field_name("body")
            if body is None:
                return None
            node = body
        if node.type != "command":
            return None
        words = [c.named_children[0] if c.type == "command_name" and c.named_children else c
                 for c in node.named_children
                 if c.type not in _REDIRECTS and c.type != "variable_assignment"]
        values = [self.value(w) for w in words]
        dyn = [_is_dynamic(w) for w in words]
        i = 0
        while i < len(values) and not dyn[i] and _program(values[i]) in _WRAPPERS:
            i = _skip_wrapper(_program(values[i]), values, dyn, i + 1, {})
        return values, dyn, i

    def bare_shell(self, node: tree_sitter.Node) -> bool:
        """Whether ``node`` (a pipeline's stage) is a shell reading its script from its input."""
        unwrapped = self.unwrapped(node)
        if unwrapped is None:
            return False
        values, dyn, i = unwrapped
        if i >= len(values) or dyn[i] or _program(values[i]) not in SHELLS:
            return False
        j = i + 1
        while j < len(values):
            a = values[j]
            if a in ("-s", "-"):
                return True
            if a in _SHELL_VALUED:
                j += 2
                continue
            if not a.startswith(("-", "+")) or (not a.startswith("--") and a.endswith("c")):
                return False  # a script file, or -c text
            j += 1
        return True

    def piped_text(self, node: tree_sitter.Node) -> str | None:
        """The text ``echo``/``printf`` of literal words write (what a pipe hands on), or None."""
        if node.type != "command":
            return None
        words = [c.named_children[0] if c.type == "command_name" and c.named_children else c
                 for c in node.named_children if c.type not in _REDIRECTS]
        if not words or any(w.type == "variable_assignment" or _is_dynamic(w) for w in words):
            return None
        values = [self.value(w) for w in words]
        prog, args = _program(values[0]), values[1:]
        if prog == "echo":
            while args and args[0] in ("-n", "-e", "-E", "-ne", "-en"):
                args = args[1:]
            return " ".join(args)
        if prog == "printf" and args:
            fmt = args[0]
            if len(args) == 1 and "%" not in fmt:
                return _ansi_c(fmt)
            if fmt in ("%s\\n", "%s\n", "%s"):
                return "\n".join(args[1:])
        return None

    def pipeline(self, node: tree_sitter.Node) -> None:
        stages = [c for c in node.named_children if c.type != "comment"]
        for c in stages:
            self.walk(c)
        for k in range(1, len(stages)):
            # `echo ... | tee FILE` (`sudo tee`, `dd of=FILE`, `sponge FILE`): the earlier stages'
            # output is written into the file
            targets = self.stdin_targets(stages[k])
            if not targets:
                continue
            content = " | ".join(self.restore(_text(c)) for c in stages[:k])
            for target in targets:
                self.items.append(FileWrite(target, content, self.line(node)))
                if target.strip() in ("$GITHUB_PATH", "${GITHUB_PATH}"):
                    self.path_dirs += self.echoed_dirs(stages[k - 1]) if k == 1 else ["?"]
        if len(stages) < 2 or not self.bare_shell(stages[-1]):
            return
        text = self.piped_text(stages[-2]) if len(stages) == 2 else None
        if text is not None:
            self.inline(text, {}, self.line(node))
        else:  # `curl ... | bash`: a script that is not in the workflow runs
            self.items.append(Command("", (), {}, self.restore(_text(node)), self.line(node), "",
                                      ("pipe",)))

    def stdin_targets(self, node: tree_sitter.Node) -> list[str]:
        """Files a command writes its standard input into (``tee FILE``, ``sudo tee -a FILE``,
        ``dd of=FILE``, ``sponge FILE``, ``install /dev/stdin FILE``)."""
        unwrapped = self.unwrapped(node)
        if unwrapped is None:
            return []
        values, dyn, i = unwrapped
        if i >= len(values) or dyn[i]:
            return []
        return _stdin_files(_program(values[i]), values[i + 1:])

    def echoed_dirs(self, node: tree_sitter.Node | None) -> list[str]:
        """What ``echo``/``printf`` print, word by word, as written ("?" for anything else)."""
        if node is not None and node.type == "redirected_statement":
            node = node.child_by_field_name("body")
        name = node.child_by_field_name("name") if node is not None else None
        if node is None or node.type != "command" or name is None:
            return ["?"]
        args = [self.value(c) for c in node.named_children[1:]
                if c.type not in _REDIRECTS and c.type != "variable_assignment"]
        if self.value(name) == "echo":
            args = [a for a in args if a not in ("-n", "-e", "-E")]
        elif self.value(name) == "printf" and args:
            args = args[1:] if "%" in args[0] else [_ansi_c(args[0]).strip()]
        else:
            args = ["?"]
        return [_resolved_dir(a) for a in args] or ["?"]

    def heredoc_pipe(self, stmt: tree_sitter.Node, body: tree_sitter.Node | None) -> None:
        """``cat <<EOF | bash``: the here-document reaches the shell through the pipe."""
        for redirect in stmt.named_children:
            if redirect.type != "heredoc_redirect":
                continue
            pipe = next((c for c in redirect.named_children if c.type == "pipeline"), None)
            doc = next((c for c in redirect.named_children if c.type == "heredoc_body"), None)
            if pipe is None:
                continue
            stages = [c for c in pipe.named_children if c.type != "comment"]
            if not stages or not self.bare_shell(stages[-1]):
                continue
            name = body.child_by_field_name("name") if body is not None else None
            cat = (body is not None and body.type == "command" and name is not None
                   and self.value(name) == "cat" and len(body.named_children) == 1)
            if cat and len(stages) == 1 and doc is not None:
                self.inline(self.restore(_text(doc)), {}, self.line(doc) - 1)
            elif len(stages) > 1:
                pass  # the pipeline's own stages were judged by pipeline()
            else:
                self.items.append(Command("", (), {}, self.restore(_text(stmt)), self.line(stmt),
                                          "", ("pipe",)))

    def file_writes(self, stmt: tree_sitter.Node, body: tree_sitter.Node | None) -> None:
        """Files the statement writes with ``>``/``>>``, with what is written into them."""
        docs = [self.restore(_text(c)) for r in stmt.named_children if r.type == "heredoc_redirect"
                for c in r.named_children if c.type == "heredoc_body"]
        content = "\n".join([self.restore(_text(body)) if body is not None else "", *docs])
        name = body.child_by_field_name("name") if body is not None else None
        bare_exec = (body is not None and body.type == "command" and name is not None
                     and self.value(name) == "exec" and len(body.named_children) == 1)
        if docs and body is not None:  # `tee FILE <<EOF`: the document goes into the file
            for target in self.stdin_targets(body):
                self.items.append(FileWrite(target, content, self.line(stmt)))
        for redirect in stmt.named_children:
            if redirect.type != "file_redirect":
                continue
            op = next((_text(c) for c in redirect.children if not c.is_named), "")
            dest = redirect.child_by_field_name("destination")
            fd = redirect.child_by_field_name("descriptor")
            if dest is None or "<" in op:
                continue
            target = self.value(dest)
            if op.startswith(">&") and target.isdigit():
                if target in ("1", "2") or (fd is not None and _text(fd) not in ("1",)):
                    continue
                # `>&3` after `exec 3> FILE`: the write goes to FILE (an unknown one: /dev/fd/N)
                self.items.append(FileWrite(self.fds.get(target, f"/dev/fd/{target}"), content,
                                            self.line(stmt)))
                continue
            if op.startswith(("2>", ">&", "<")) and "&>" not in op:
                continue
            if fd is not None and _text(fd) == "2" and op in (">", ">>"):
                continue  # the command's errors, not what it prints
            if bare_exec and fd is not None and _text(fd).isdigit():
                self.fds[_text(fd)] = target
            self.items.append(FileWrite(target, content, self.line(stmt)))

    def github_path(self, stmt: tree_sitter.Node, body: tree_sitter.Node | None) -> None:
        """``echo DIR >> "$GITHUB_PATH"``: DIR's programs run by bare name in later steps."""
        for redirect in stmt.named_children:
            if redirect.type != "file_redirect":
                continue
            dest = redirect.child_by_field_name("destination")
            target = self.value(dest) if dest is not None else ""
            if target.strip() not in ("$GITHUB_PATH", "${GITHUB_PATH}"):
                continue
            self.path_dirs += self.echoed_dirs(body)

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
        inner = _parse(body, self.depth + 1, line - 1, dict(self.aliases), self.git_aliases)
        self.take(inner, env)

    def take(self, inner: Script, env: Mapping[str, str]) -> None:
        if inner.error:
            self.errors.append(inner.error)
        for item in inner.items:
            if isinstance(item, Command) and env:
                item = Command(item.program, item.args, {**env, **item.env}, item.text, item.line,
                               item.path, item.wrappers)
            self.items.append(item)
        self.functions |= inner.functions
        self.path_dirs += inner.path_dirs


_REALPATH = re.compile(r"^\$\((?:realpath|readlink -f|readlink -e|readlink -m)\s+"
                       r"(?:\"([^\"$`]*)\"|'([^']*)'|([^\s\"'$`()]+))\s*\)(.*)$")


def _resolved_dir(d: str) -> str:
    """``$(realpath bin)`` is ``bin`` (the step's directory as the base); other words as written."""
    m = _REALPATH.match(d.strip())
    if m is None:
        return d
    inner = next(g for g in m.groups()[:3] if g is not None)
    return inner.rstrip("/") + m.group(4)


_INSTALL_VALUED = frozenset({"-m", "--mode", "-o", "--owner", "-g", "--group", "-S", "--suffix",
                             "-t", "--target-directory", "--backup"})
_SED_VALUED = frozenset({"-l", "--line-length"})


def _stdin_files(prog: str, args: list[str]) -> list[str]:
    """The files ``prog args`` writes its standard input into."""
    if prog in ("tee", "sponge"):
        return [a for a in args if not a.startswith("-")]
    if prog == "dd":
        return [a[3:] for a in args if a.startswith("of=")]
    if prog in ("install", "cp"):
        ops: list[str] = []
        j = 0
        while j < len(args):
            a = args[j]
            if a.startswith("-") and a not in ("-",):
                j += 2 if a in _INSTALL_VALUED else 1
                continue
            ops.append(a)
            j += 1
        if len(ops) >= 2 and any(o in ("/dev/stdin", "-", "/proc/self/fd/0", "/dev/fd/0")
                                 for o in ops[:-1]):
            return [ops[-1]]
    return []


def _sed_in_place(args: list[str]) -> list[str]:
    """The files ``sed -i`` edits in place (none without ``-i``)."""
    in_place = script_given = False
    operands: list[str] = []
    j = 0
    while j < len(args):
        a = args[j]
        if a in ("-e", "--expression", "-f", "--file"):
            script_given = True
            j += 2
            continue
        if a.startswith(("--expression=", "--file=")):
            script_given = True
        elif a.startswith("--in-place"):
            in_place = True
        elif a in _SED_VALUED:
            j += 2
            continue
        elif a.startswith("-") and not a.startswith("--") and len(a) > 1:
            cluster = a[1:]
            k = 0
            while k < len(cluster) and cluster[k] in "nrEsuzi":
                if cluster[k] == "i":
                    in_place = True
                    break
                k += 1
            if k < len(cluster) and cluster[k] in "ef":
                script_given = True
                if k == len(cluster) - 1:
                    j += 2
                    continue
        elif a != "--":
            operands.append(a)
        j += 1
    if not in_place:
        return []
    return operands if script_given else operands[1:]


def _skip_wrapper(prog: str, words: list[str], dynamic: list[bool], i: int,
                  env: dict[str, str]) -> int:
    """Index of the wrapped command's first word (after the wrapper's options and operands);
    ``env -S 'cmd args'`` is split into words in place."""
    takes = _WRAPPERS[prog]
    operands = _OPERAND_FIRST.get(prog, 0)
    while i < len(words):
        w = words[i]
        if w == "--":
            return i + 1 + operands
        if prog == "env" and (w in ("-S", "--split-string") or w.startswith(("-S", "--split-string="))):
            n = 2 if w in ("-S", "--split-string") else 1
            value = (words[i + 1] if i + 1 < len(words) else "") if n == 2 else (
                w[2:] if w.startswith("-S") else w.partition("=")[2])
            try:
                parts = shlex.split(value)
                dyn = [("$" in p or bool(PLACEHOLDER.search(p))) for p in parts]
            except ValueError:
                parts, dyn = [value], [True]
            words[i:i + n] = parts
            dynamic[i:i + n] = dyn
            continue
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


def _skip_options(words: list[str], i: int, takes: frozenset[str]) -> int:
    """Index of the first operand at or after ``i`` (options and their values skipped)."""
    while i < len(words):
        w = words[i]
        if w == "--":
            return i + 1
        if not w.startswith("-") or len(w) == 1:
            return i
        i += 2 if w in takes else 1
    return i


def _quote(word: str, dynamic: bool) -> str:
    """A word written back as shell text (expansions kept as expansions)."""
    if dynamic:
        return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return shlex.quote(word)


def _mounts_workspace(args: tuple[str, ...]) -> bool:
    """``docker run -v "$PWD:/w" ...``: a container started with the workspace mounted."""
    words = list(args)
    if words[:1] == ["container"]:
        words = words[1:]
    if not words or words[0] not in _CONTAINER_RUN:
        return False
    for j, a in enumerate(words):
        flag, eq, val = a.partition("=")
        if a in ("-v", "--volume", "--mount") and j + 1 < len(words):
            value, kind = words[j + 1], a
        elif eq and flag in ("--volume", "--mount"):
            value, kind = val, flag
        elif a.startswith("-v") and len(a) > 2:
            value, kind = a[2:], "-v"
        else:
            continue
        if kind == "--mount":
            parts = dict(p.partition("=")[::2] for p in value.split(","))
            source = parts.get("source", parts.get("src", ""))
        else:
            source = value.split(":", 1)[0]
        if source.rstrip("/") in _WORKSPACE_WORDS or source in _WORKSPACE_WORDS:
            return True
    return False


def _program(word: str) -> str:
    base = word.rsplit("/", 1)[-1].lower()
    return base[:-4] if base.endswith(".exe") else base


def _is_dynamic(node: tree_sitter.Node) -> bool:
    if node.type in _EXPANSIONS:
        return True
    if PLACEHOLDER.search(_text(node)):
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


def _parse(script: str, depth: int, line0: int, aliases: dict[str, str] | None = None,
           git_aliases: dict[str, str] | None = None) -> Script:
    text, exprs = swap_out(script)
    stripped = text.rstrip(" \t\n")
    if stripped.endswith("\\") and not stripped.endswith("\\\\"):
        text = stripped[:-1] + "\n"  # a line continuation at the very end continues nothing
    tree = _parser().parse(text.encode("utf-8"))
    reader = _Reader(exprs, depth, aliases, git_aliases)
    reader.line0 = line0
    root = tree.root_node
    if root.has_error:
        bad = _first_error(root)
        line = line0 + (bad.start_point[0] if bad is not None else 0) + 1
        return Script((), frozenset(), f"line {line}: the shell script cannot be parsed")
    reader.walk(root)
    error = "; ".join(reader.errors) or None
    return Script(tuple(reader.items), frozenset(reader.functions), error,
                  path_dirs=tuple(reader.path_dirs))


def _first_error(node: tree_sitter.Node) -> tree_sitter.Node | None:
    if node.type == "ERROR" or node.is_missing:
        return node
    for c in node.children:
        if c.has_error:
            found = _first_error(c)
            if found is not None:
                return found
    return None


def expand_known_vars(path: str, env: Mapping[str, str]) -> str:
    """``$NAME/x.sh`` with NAME's value where the environment gives it as plain text (e.g.
    ``GITHUB_ACTION_PATH``, which fixbot sets to a local action's directory)."""
    if "$" not in path:
        return path
    for name, value in env.items():
        if "$" in value or not value or name not in path:
            continue
        for ref in (f"${{{name}}}", f"${name}"):
            if path.startswith(ref + "/"):
                return value.removeprefix("./").rstrip("/") + path[len(ref):]
    return path


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
