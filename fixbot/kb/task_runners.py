"""The repository's task-runner files: the shell command lines ``npm run X``, ``make T`` and
``just R`` run, read from ``package.json`` (with :mod:`json`), a ``Makefile`` and a ``justfile``.

:func:`task_lines` returns the command lines for the shell reader, or ``None`` when the command is
not a task runner or its file or task is not in the repository (the caller keeps its usual
judgement of the command). There is no Make or just parser here; each reader is small and says
what it cannot read (``unknown``) instead of guessing:

- ``package.json``: ``scripts`` entries, with their ``pre``/``post`` hooks and the lifecycle
  scripts of ``npm version``/``publish``/``pack``/``install``;
- Makefile: rules ``target: prerequisites`` and their tab-indented recipe lines (prerequisites'
  recipes first). ``$(VAR)`` of a variable the Makefile assigns is substituted, ``$(MAKE)`` is
  ``make``, any other variable becomes the shell expansion ``${VAR}`` (a command it names is
  dynamic, so unknown), ``$$`` is ``$``, ``$(shell cmd)`` is ``$(cmd)``. A missing target in a
  Makefile that includes others is unknown;
- justfile: recipes ``name params: deps`` and their indented lines; ``{{x}}`` of an assigned
  variable is substituted, any other becomes ``${x}``; shebang recipes in a shell are read whole,
  in any other language they are unknown.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from fixbot.kb.shell import Command

Read = Callable[[str], str | None]
MAX_DEPTH = 6  # prerequisites / dependencies followed

_NPM_RUN = frozenset({"run", "run-script", "rum", "urn"})
_NPM_LIFECYCLE: Mapping[str, tuple[str, ...]] = {
    "test": ("pretest", "test", "posttest"), "t": ("pretest", "test", "posttest"),
    "tst": ("pretest", "test", "posttest"), "start": ("prestart", "start", "poststart"),
    "stop": ("prestop", "stop", "poststop"),
    "restart": ("prerestart", "prestop", "stop", "poststop", "prestart", "start", "poststart",
                "restart", "postrestart"),
    "version": ("preversion", "version", "postversion"),
    "publish": ("prepublishOnly", "prepack", "prepare", "postpack", "publish", "postpublish"),
    "pack": ("prepack", "prepare", "postpack"),
    "install": ("preinstall", "install", "postinstall", "prepublish", "preprepare", "prepare",
                "postprepare"),
    "ci": ("preinstall", "install", "postinstall", "prepublish", "preprepare", "prepare",
           "postprepare"),
}
_NPM_ALIASES = {"i": "install", "isntall": "install", "add": "install", "clean-install": "ci",
                "install-clean": "ci"}
_NPM_VALUED = frozenset({"--prefix", "-w", "--workspace", "--registry", "--cache", "--userconfig",
                         "--loglevel", "--tag", "--access", "--otp", "-C", "--cwd", "--dir",
                         "--filter", "-F"})
_MAKE_VALUED = frozenset({"-C", "--directory", "-f", "--file", "--makefile", "-I",
                          "--include-dir", "-o", "--old-file", "--assume-old", "-W", "--what-if",
                          "--new-file", "--assume-new", "-E", "--eval"})
_JUST_VALUED = frozenset({"-f", "--justfile", "-d", "--working-directory", "--dotenv-path",
                          "--dotenv-filename", "--shell", "--shell-arg", "--color", "--chooser",
                          "--command-color", "--list-heading", "--list-prefix"})
_MAKE_ASSIGN = re.compile(r"^(?:override\s+|export\s+)?([A-Za-z0-9_.-]+)\s*(::=|:=|\?=|\+=|!=|=)\s*(.*)$")
_JUST_ASSIGN = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_-]*)\s*:=\s*(.*)$")
_JUST_RECIPE = re.compile(r"^@?([A-Za-z_][A-Za-z0-9_-]*)([^:]*):(?!=)(.*)$")
_MAKE_DIRECTIVES = ("ifeq", "ifneq", "ifdef", "ifndef", "else", "endif", "vpath", "unexport")
_SHELL_SHEBANG = re.compile(r"^#!\s*(?:/usr/bin/env\s+(?:-S\s+)?)?\S*?\b(?:bash|sh|zsh|dash)\b")


@dataclass(frozen=True)
class Tasks:
    """What a task-runner command runs: shell command lines (each with the directory it runs in
    and where it comes from), or why that cannot be told."""

    lines: tuple[tuple[str, str, str], ...] = ()  # (command line, cwd, "Makefile: docs")
    unknown: str | None = None


def task_lines(cmd: Command, read: Read, cwd: str) -> Tasks | None:
    prog = cmd.program
    if prog in ("npm", "yarn", "pnpm", "bun"):
        return _package_json(cmd, read, cwd)
    if prog in ("make", "gmake"):
        return _make(cmd, read, cwd)
    if prog == "just":
        return _just(cmd, read, cwd)
    if prog in ("task", "go-task"):
        return _taskfile(cmd, read, cwd)
    return None


# options of the npm-family runners whose value names a place or a set of workspaces (beyond
# those ``_NPM_VALUED`` reads for finding package.json)
_NPM_PLACES = _NPM_VALUED | {"--include", "--exclude", "--from"}


def task_names(cmd: Command) -> tuple[str, ...] | None:
    """The words of a task-runner command that name what it runs: the script of ``npm run X``
    (and its arguments, which may be a tool's subcommand: ``yarn lerna publish``), the targets of
    ``make``, the recipes and their arguments of ``just``, the tasks of ``task``. Directories,
    files, workspaces and packages named by options (``-C``, ``-f``, ``-w``, ``--filter``) or by
    ``yarn workspace NAME`` are not among them: they say where something runs, not what. None
    for a program whose command line is not read here."""
    prog = cmd.program
    if prog in ("npm", "yarn", "pnpm", "bun"):
        ops = _words(cmd.args, _NPM_PLACES)
        if prog == "yarn" and ops[:1] == ["workspace"]:
            ops = ops[2:]
        elif ops[:1] == ["workspaces"]:
            ops = ops[2:] if ops[1:2] == ["foreach"] else ops[1:]
        if ops and _NPM_ALIASES.get(ops[0], ops[0]) in _NPM_RUN:
            ops = ops[1:]
        return tuple(ops)
    valued = {"make": _MAKE_VALUED, "gmake": _MAKE_VALUED, "just": _JUST_VALUED,
              "task": _TASK_VALUED, "go-task": _TASK_VALUED}.get(prog)
    if valued is None:
        return None
    names = tuple(o for o in _words(cmd.args, valued) if "=" not in o and not o.isdigit())
    if not names:
        # no target: the default one of the file or directory the options name runs, so those
        # names say what runs (`make -C deploy`, `make -f release.mk`, `just -f release.just`)
        _, opts = _operands(cmd.args, valued)
        names = tuple(v for v in opts.values() if v)
    return names


def _words(args: tuple[str, ...], valued: frozenset[str]) -> list[str]:
    """The operands of a command line without its options and their values (those after ``--``
    included: they are handed on to what runs)."""
    ops, _ = _operands(args, valued)
    if "--" in args:
        ops += [a for a in args[args.index("--") + 1:] if not a.startswith("-")]
    return ops


def _join(cwd: str, path: str) -> str | None:
    if "$" in path or path.startswith(("/", "~")):
        return None
    out = posixpath.normpath(posixpath.join(cwd, path))
    return None if out.startswith("..") else ("" if out == "." else out)


def _operands(args: tuple[str, ...], valued: frozenset[str]) -> tuple[list[str], dict[str, str]]:
    ops: list[str] = []
    opts: dict[str, str] = {}
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            break
        flag, eq, val = a.partition("=")
        if a in valued and i + 1 < len(args):
            opts[a] = args[i + 1]
            i += 2
            continue
        if a.startswith("-") and eq:
            opts[flag] = val
        elif len(a) > 2 and a[:2] in valued and not a.startswith("--"):
            opts[a[:2]] = a[2:]  # -Cdir
        elif not a.startswith("-"):
            ops.append(a)
        i += 1
    return ops, opts


# --- package.json ---------------------------------------------------------------------------

def _load_json(read: Read, path: str) -> tuple[dict[str, object] | None, str | None]:
    """(the JSON object in ``path`` or None when the file is not there, why it cannot be read)."""
    text = read(path)
    if text is None:
        return None, None
    try:
        data = json.loads(text)
    except ValueError:
        return None, f"`{path}` cannot be parsed as JSON"
    return (data if isinstance(data, dict) else {}), None


def _pkg_path(base: str) -> str:
    return posixpath.join(base, "package.json") if base else "package.json"


def _first_readable(read: Read, base: str, names: list[str]) -> tuple[str, str] | None:
    """(path, text) of the first of ``names`` under ``base`` the repository context has."""
    for name in names:
        p = _join(base, name)
        body = read(p) if p is not None else None
        if p is not None and body is not None:
            return p, body
    return None


def _load_yaml(read: Read, path: str) -> tuple[object, str | None, bool]:
    """(the YAML document in ``path``, why it cannot be read, whether the file is there)."""
    text = read(path)
    if text is None:
        return None, None, False
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return YAML(typ="safe", pure=True).load(text), None, True
    except (YAMLError, ValueError):
        return None, f"`{path}` cannot be parsed as YAML", True


def _workspace_dirs(read: Read, base: str, pnpm: bool) -> tuple[list[str] | None, str]:
    """The workspace package directories of the project at ``base`` (None: they cannot be told,
    with why): the root package.json ``workspaces`` (or pnpm-workspace.yaml ``packages``) entries
    that name a directory; a glob cannot be listed here, so it makes the list unknown."""
    if pnpm:
        where = posixpath.join(base, "pnpm-workspace.yaml") if base else "pnpm-workspace.yaml"
        doc, why, there = _load_yaml(read, where)
        if why or not there:
            return None, why or f"`{where}` is not in the repository context"
        entries = doc.get("packages") if isinstance(doc, dict) else None
    else:
        where = _pkg_path(base)
        data, why = _load_json(read, where)
        if why or data is None:
            return None, why or f"`{where}` is not in the repository context"
        entries = data.get("workspaces")
        if isinstance(entries, dict):
            entries = entries.get("packages")
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        return None, f"the workspaces of `{where}` cannot be told"
    out: list[str] = []
    for e in entries:
        e = str(e)
        if e.startswith("!"):
            continue
        if any(c in e for c in "*?[{") or "$" in e:
            return None, f"`{where}` names its workspaces by a pattern (`{e}`), not listed here"
        d = _join(base, e)
        if d is None:
            return None, f"the workspace `{e}` of `{where}` is outside the repository"
        out.append(d)
    return out, ""


def _workspace_named(read: Read, base: str, name: str, pnpm: bool) -> tuple[str | None, str]:
    """The directory of workspace ``name`` (a path or a package name), or None with why."""
    d = _join(base, name)
    if d is not None and read(_pkg_path(d)) is not None:
        return d, ""
    dirs, why = _workspace_dirs(read, base, pnpm)
    if dirs is None:
        return None, f"the workspace `{name}` cannot be found: {why}"
    for d in dirs:
        data, _ = _load_json(read, _pkg_path(d))
        if data is not None and data.get("name") == name:
            return d, ""
    return None, f"the workspace `{name}` is not in the repository context"


def _script_names(cmd: Command, ops: list[str], scripts: Mapping[str, object]
                  ) -> tuple[str, ...] | None:
    sub = ops[0] if ops else ("install" if cmd.program in ("yarn", "pnpm") else "")
    sub = _NPM_ALIASES.get(sub, sub)
    if sub in _NPM_RUN:
        if len(ops) < 2:
            return None
        return (f"pre{ops[1]}", ops[1], f"post{ops[1]}")
    if sub in ("install-test", "it", "install-ci-test", "cit"):
        return _NPM_LIFECYCLE["ci" if sub in ("install-ci-test", "cit") else "install"] + \
            _NPM_LIFECYCLE["test"]
    if sub in _NPM_LIFECYCLE and not (sub == "test" and cmd.program == "bun") and not (
            sub == "install" and len(ops) > 1):
        return _NPM_LIFECYCLE[sub]
    if cmd.program in ("yarn", "pnpm") and sub in scripts:
        return (f"pre{sub}", sub, f"post{sub}")
    return None


def _scripts_of(read: Read, base: str, cmd: Command, ops: list[str],
                lines: list[tuple[str, str, str]]) -> str | None:
    """Add the script lines ``ops`` runs in the package at ``base``; why it cannot be told."""
    path = _pkg_path(base)
    data, why = _load_json(read, path)
    if why:
        return why
    if data is None:
        return None
    scripts = data.get("scripts")
    if not isinstance(scripts, dict):
        scripts = {}
    names = _script_names(cmd, ops, scripts)
    if names is None:
        return None
    lines.extend((str(scripts[n]), base, f"{path}: scripts.{n}") for n in names
                 if isinstance(scripts.get(n), str))
    return None


def _package_json(cmd: Command, read: Read, cwd: str) -> Tasks | None:
    ops, opts = _operands(cmd.args, _NPM_VALUED)
    where = opts.get("--prefix") or opts.get("-C") or opts.get("--cwd") or opts.get("--dir") or ""
    base = _join(cwd, where)
    if base is None:
        return None
    flags = {a.partition("=")[0] for a in cmd.args if a.startswith("-")}
    workspaces = [v for k, v in _all_opts(cmd.args, ("-w", "--workspace")) if v is not None]
    pnpm = cmd.program == "pnpm"
    every = bool(flags & {"--workspaces", "-ws"}) or (
        pnpm and bool(flags & {"-r", "--recursive"}))
    if cmd.program == "yarn" and ops[:1] == ["workspace"]:
        if len(ops) < 3:
            return None
        workspaces, ops = [ops[1]], ops[2:]
    elif ops[:1] in (["workspaces"], ["exec"], ["dlx"], ["x"]) or (
            "--filter" in opts or "-F" in opts):
        if ops[:1] == ["workspaces"] and read(_pkg_path(base)) is not None:
            return Tasks(unknown=f"`{cmd.program} workspaces` runs scripts of workspaces not "
                         "told here")
        return None
    if read(_pkg_path(base)) is None:
        return None
    lines: list[tuple[str, str, str]] = []
    dirs: list[str] = []
    if every:
        found, why = _workspace_dirs(read, base, pnpm)
        if found is None:
            return Tasks(unknown=f"`{cmd.program}` runs a script in every workspace: {why}")
        dirs += found
        if pnpm or "--include-workspace-root" in flags:
            dirs.insert(0, base)
    for w in workspaces:
        d, why = _workspace_named(read, base, w, pnpm)
        if d is None:
            return Tasks(unknown=why)
        dirs.append(d)
    if not every and not workspaces:
        dirs = [base]
    for d in dirs:
        why2 = _scripts_of(read, d, cmd, ops, lines)
        if why2:
            return Tasks(unknown=why2)
    return Tasks(tuple(lines)) if lines else None


def _all_opts(args: tuple[str, ...], names: tuple[str, ...]) -> list[tuple[str, str | None]]:
    """Every ``name value`` / ``name=value`` of the options ``names``, in order."""
    out: list[tuple[str, str | None]] = []
    for i, a in enumerate(args):
        if a == "--":
            break
        flag, eq, val = a.partition("=")
        if flag in names:
            out.append((flag, val if eq else (args[i + 1] if i + 1 < len(args) else None)))
    return out


# --- Makefile -------------------------------------------------------------------------------

@dataclass
class _Rule:
    prereqs: list[str]
    recipe: list[str]


def _logical_lines(text: str) -> list[str]:
    out: list[str] = []
    buf = ""
    for raw in text.replace("\r\n", "\n").split("\n"):
        if raw.endswith("\\") and not raw.endswith("\\\\"):
            buf += raw[:-1] + " "
            continue
        out.append(buf + raw)
        buf = ""
    if buf:
        out.append(buf)
    return out


def _read_makefile(text: str) -> tuple[dict[str, _Rule], list[str], dict[str, str], bool, bool]:
    """(rules, targets in order, variables, includes others, .ONESHELL)."""
    rules: dict[str, _Rule] = {}
    order: list[str] = []
    variables: dict[str, str] = {}
    includes = oneshell = False
    current: list[str] = []
    in_define = False
    for line in _logical_lines(text):
        if in_define:
            in_define = line.strip() != "endef"
            continue
        if line.startswith("\t"):
            for t in current:
                rules[t].recipe.append(line[1:])
            continue
        s = line.split("#", 1)[0].strip()
        if not s:
            continue
        word = s.split()[0]
        if word in ("include", "-include", "sinclude"):
            includes = True
            current = []
            continue
        if word == "define":
            in_define = True
            current = []
            continue
        if word in _MAKE_DIRECTIVES:
            continue  # both branches of a conditional are read
        m = _MAKE_ASSIGN.match(s)
        if m and not (":" in s.split("=", 1)[0] and m.group(2) == "="):
            name, op, value = m.groups()
            variables[name] = (variables.get(name, "") + " " + value).strip() if op == "+=" \
                else variables.get(name, value) if op == "?=" else value
            current = []
            continue
        head, colon, rest = s.partition(":")
        if not colon:
            current = []
            continue
        rest = rest.lstrip(":")
        prereqs, semi, inline = rest.partition(";")
        if "=" in prereqs.split(";")[0] and not semi:
            current = []
            continue  # target-specific variable
        current = head.split()
        for t in current:
            rule = rules.setdefault(t, _Rule([], []))
            rule.prereqs += [p for p in prereqs.split() if p != "|"]
            if semi and inline.strip():
                rule.recipe.append(inline.strip())
            if t not in order:
                order.append(t)
        if ".ONESHELL" in current:
            oneshell = True
    return rules, order, variables, includes, oneshell


def _make_expand(text: str, variables: Mapping[str, str], target: str, prereqs: list[str],
                 depth: int = 0, stem: str | None = None) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c != "$" or i + 1 >= len(text):
            out.append(c)
            i += 1
            continue
        n = text[i + 1]
        if n == "$":
            out.append("$")
            i += 2
        elif n in "({":
            close = ")" if n == "(" else "}"
            level, j = 0, i + 1
            while j < len(text):
                if text[j] == n:
                    level += 1
                elif text[j] == close:
                    level -= 1
                    if level == 0:
                        break
                j += 1
            inner = text[i + 2:j]
            out.append(_make_ref(inner, variables, target, prereqs, depth))
            i = j + 1
        else:
            auto = {"@": target, "<": prereqs[0] if prereqs else "", "^": " ".join(prereqs),
                    "+": " ".join(prereqs), "?": " ".join(prereqs),
                    "*": target if stem is None else stem}
            out.append(auto.get(n, "${" + n + "}") if n in auto or n.isalnum() else "$" + n)
            i += 2
    return "".join(out)


def _make_ref(inner: str, variables: Mapping[str, str], target: str, prereqs: list[str],
              depth: int) -> str:
    if re.fullmatch(r"[A-Za-z0-9_.-]+", inner):
        if inner in variables and depth < 5:
            return _make_expand(variables[inner], variables, target, prereqs, depth + 1)
        if inner in ("MAKE", "MAKE_COMMAND"):
            return "make"
        if inner == "SHELL":
            return "sh"
        return "${" + inner.replace(".", "_").replace("-", "_") + "}"
    if inner.startswith("shell "):
        return "$(" + _make_expand(inner[6:], variables, target, prereqs, depth + 1) + ")"
    return "${MAKE_FUNCTION}"  # a make function whose value is not computed here


def _make(cmd: Command, read: Read, cwd: str) -> Tasks | None:
    ops, opts = _operands(cmd.args, _MAKE_VALUED)
    if ops and ops[0] in ("-j", "-l"):
        ops = ops[1:]
    ops = [o for o in ops if "=" not in o and not o.isdigit()]
    base = _join(cwd, opts.get("-C") or opts.get("--directory") or "")
    if base is None:
        return None
    given = opts.get("-f") or opts.get("--file") or opts.get("--makefile")
    candidates = [given] if given else ["GNUmakefile", "makefile", "Makefile"]
    found = _first_readable(read, base, candidates)
    if found is None:
        return None
    path, text = found
    rules, order, variables, includes, oneshell = _read_makefile(text)
    goals = ops or [variables.get(".DEFAULT_GOAL") or next(
        (t for t in order if not t.startswith(".") and "%" not in t), "")]
    lines: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    patterns = [t for t in order if "%" in t]

    def find(target: str) -> tuple[_Rule, str | None] | None:
        rule = rules.get(target)
        if rule is not None and (rule.recipe or not patterns):
            return rule, None
        for pat in patterns:
            pre, _, post = pat.partition("%")
            if target.startswith(pre) and target.endswith(post) and \
                    len(target) >= len(pre) + len(post):
                stem = target[len(pre):len(target) - len(post)]
                prule = rules[pat]
                extra = rule.prereqs if rule is not None else []
                return _Rule(extra + [q.replace("%", stem, 1) for q in prule.prereqs],
                             prule.recipe), stem
        return (rule, None) if rule is not None else None

    def visit(target: str, depth: int) -> str | None:
        if target in seen:
            return None
        seen.add(target)
        found = find(target)
        if found is None:
            if "$" in target:
                return f"`{path}`: a prerequisite of a target cannot be told (`{target}`)"
            if includes and read(_join(base, target) or target) is None:
                return f"`{path}`: the prerequisite `{target}` is not in it, and it includes " \
                    "other makefiles"
            return None
        rule, stem = found
        if depth > MAX_DEPTH:
            return f"`{path}`: prerequisites of `{target}` nested too deep to follow"
        for p in rule.prereqs:
            why = visit(p, depth + 1)
            if why:
                return why
        recipe = [_make_expand(r.strip().lstrip("@-+").strip(), variables, target, rule.prereqs,
                               stem=stem) for r in rule.recipe]
        if oneshell:
            recipe = ["\n".join(recipe)]
        lines.extend((r, base, f"{path}: {target}") for r in recipe if r.strip())
        return None

    for goal in goals:
        if not goal or (goal not in rules and "$" in goal):
            return Tasks(unknown=f"`make` runs a target of `{path}` that cannot be told")
        if find(goal) is None:
            if includes:
                return Tasks(unknown=f"`make {goal}`: the target is not in `{path}`, which "
                             "includes other makefiles")
            if patterns:
                return Tasks(unknown=f"`make {goal}`: no rule of `{path}` names it, and it has "
                             "pattern rules")
            continue
        why = visit(goal, 0)
        if why:
            return Tasks(unknown=why)
    return Tasks(tuple(lines)) if lines or any(find(g) for g in goals) else None


# --- justfile -------------------------------------------------------------------------------

def _just(cmd: Command, read: Read, cwd: str) -> Tasks | None:
    ops, opts = _operands(cmd.args, _JUST_VALUED)
    workdir = opts.get("-d") or opts.get("--working-directory")
    given = opts.get("-f") or opts.get("--justfile")
    if workdir is not None and not given:
        return Tasks(unknown="`just --working-directory` without `--justfile` cannot be told")
    found = _first_readable(read, cwd, [given] if given else ["justfile", "Justfile", ".justfile"])
    if found is None:
        return None
    path, text = found
    base = posixpath.dirname(path) if workdir is None else _join(cwd, workdir)
    if base is None:
        return Tasks(unknown=f"`just` runs in a directory that cannot be told (`{workdir}`)")
    aliases: dict[str, str] = {}
    recipes: dict[str, tuple[list[str], list[str]]] = {}
    order: list[str] = []
    variables: dict[str, str] = {}
    modules = False
    current: str | None = None
    for raw in text.replace("\r\n", "\n").split("\n"):
        if raw[:1] in (" ", "\t") and current is not None:
            recipes[current][1].append(raw.strip())
            continue
        s = raw.strip()
        if not s or s.startswith("#"):
            continue
        current = None
        if s.startswith("["):
            continue  # an attribute of the next recipe
        if s.split()[0] in ("import", "mod", "import?", "mod?"):
            modules = True
            continue
        alias = re.match(r"^alias\s+([A-Za-z_][A-Za-z0-9_-]*)\s*:=\s*(\S+)", s)
        if alias:
            aliases[alias.group(1)] = alias.group(2)
            continue
        if s.startswith(("set ", "alias ")):
            if s.startswith("set shell") and not any(w in s for w in ('"bash"', '"sh"', "'bash'",
                                                                       "'sh'", '"zsh"')):
                return Tasks(unknown=f"`{path}` sets a shell no reader here reads")
            continue
        m = _JUST_ASSIGN.match(s)
        if m:
            variables[m.group(1)] = m.group(2).strip().strip("'\"")
            continue
        r = _JUST_RECIPE.match(s)
        if r:
            current = r.group(1)
            deps = [d.split("(")[0] for d in r.group(3).split() if not d.startswith(("&&", "#"))]
            recipes[current] = (deps, [])
            order.append(current)
    ops = [aliases.get(o, o) for o in ops]
    names = [o for o in ops if o in recipes] or ([] if ops else (
        ["default"] if "default" in recipes else order[:1]))
    if not names:
        if ops and modules:
            return Tasks(unknown=f"`just {ops[0]}`: the recipe is not in `{path}`, which "
                         "imports other justfiles")
        return None
    lines: list[tuple[str, str, str]] = []
    seen: set[str] = set()

    def expand(line: str) -> str:
        def ref(m: re.Match[str]) -> str:
            name = m.group(1).strip()
            if name in variables:
                return variables[name]
            return "${" + re.sub(r"\W", "_", name) + "}"
        return re.sub(r"\{\{(.*?)\}\}", ref, line)

    def visit(name: str, depth: int) -> str | None:
        if name in seen or name not in recipes:
            return None
        seen.add(name)
        if depth > MAX_DEPTH:
            return f"`{path}`: dependencies of `{name}` nested too deep to follow"
        deps, body = recipes[name]
        for d in deps:
            why = visit(d, depth + 1)
            if why:
                return why
        if body and body[0].startswith("#!"):
            if not _SHELL_SHEBANG.match(body[0]):
                return f"`{path}`: the recipe `{name}` is a `{body[0][2:].strip()}` script"
            lines.append(("\n".join(expand(b) for b in body[1:]), base, f"{path}: {name}"))
            return None
        lines.extend((expand(b.lstrip("@-")), base, f"{path}: {name}") for b in body if b)
        return None

    for name in names:
        why = visit(name, 0)
        if why:
            return Tasks(unknown=why)
    return Tasks(tuple(lines))


# --- Taskfile -------------------------------------------------------------------------------

_TASK_VALUED = frozenset({"-t", "--taskfile", "-d", "--dir", "-o", "--output", "-C",
                          "--concurrency", "--interval", "--sort", "-I"})
_TASKFILES = ("Taskfile.yml", "taskfile.yml", "Taskfile.yaml", "taskfile.yaml",
              "Taskfile.dist.yml", "taskfile.dist.yml", "Taskfile.dist.yaml", "taskfile.dist.yaml")


def _taskfile(cmd: Command, read: Read, cwd: str) -> Tasks | None:
    """``task X`` (go-task): ``tasks.X`` of the Taskfile, its ``deps`` and ``cmds`` (a string,
    ``cmd:`` or ``task:`` item); a template, an included Taskfile or a missing task is unknown."""
    ops, opts = _operands(cmd.args, _TASK_VALUED)
    if cmd.args[:1] and cmd.args[0] in ("--version", "--help", "-h", "--list", "-l",
                                         "--list-all", "-a", "--init", "-i"):
        return None
    given = opts.get("-t") or opts.get("--taskfile")
    workdir = opts.get("-d") or opts.get("--dir")
    start = _join(cwd, workdir) if workdir else cwd
    if start is None:
        return Tasks(unknown=f"`task` runs in a directory that cannot be told (`{workdir}`)")
    found = _first_readable(read, start, [given] if given else list(_TASKFILES))
    path = found[0] if found is not None else None
    if path is None:
        if given:
            return Tasks(unknown=f"`task --taskfile {given}`: the Taskfile cannot be read")
        return None
    doc, why, _ = _load_yaml(read, path)
    if why:
        return Tasks(unknown=why)
    if not isinstance(doc, dict) or not isinstance(doc.get("tasks"), dict):
        return Tasks(unknown=f"`{path}`: its tasks cannot be told")
    tasks: dict[str, object] = {str(k): v for k, v in doc["tasks"].items()}
    base = posixpath.dirname(path)
    goals = [o for o in ops if "=" not in o] or ["default"]
    lines: list[tuple[str, str, str]] = []
    seen: set[str] = set()

    def visit(name: str, depth: int) -> str | None:
        if "{{" in name:
            return f"`{path}`: runs a task chosen by a template (`{name}`)"
        if name in seen:
            return None
        seen.add(name)
        if depth > MAX_DEPTH:
            return f"`{path}`: tasks of `{name}` nested too deep to follow"
        task = tasks.get(name)
        if task is None:
            return f"`task {name}`: the task is not in `{path}`"
        where = base
        if isinstance(task, str):
            cmds: object = [task]
            deps: object = []
        elif isinstance(task, list):
            cmds, deps = task, []
        elif isinstance(task, dict):
            cmds, deps = task.get("cmds") or ([task["cmd"]] if "cmd" in task else []), \
                task.get("deps") or []
            d = task.get("dir")
            if d is not None:
                joined = _join(base, str(d)) if "{{" not in str(d) else None
                if joined is None:
                    return f"`{path}`: the task `{name}` runs in a directory that cannot be told"
                where = joined
        else:
            return f"`{path}`: the task `{name}` cannot be read"
        if not isinstance(cmds, list) or not isinstance(deps, list):
            return f"`{path}`: the task `{name}` cannot be read"
        for dep in deps:
            dep_name = dep.get("task") if isinstance(dep, dict) else dep
            if not isinstance(dep_name, str):
                return f"`{path}`: a dependency of `{name}` cannot be told"
            why = visit(dep_name, depth + 1)
            if why:
                return why
        for item in cmds:
            if isinstance(item, dict) and "task" in item:
                sub = item["task"]
                if not isinstance(sub, str):
                    return f"`{path}`: a task run by `{name}` cannot be told"
                why = visit(sub, depth + 1)
                if why:
                    return why
                continue
            line = item.get("cmd", item.get("defer")) if isinstance(item, dict) else item
            if isinstance(line, dict) and "task" in line:
                return f"`{path}`: a deferred task of `{name}` is not followed here"
            if not isinstance(line, str):
                return f"`{path}`: a command of `{name}` cannot be read"
            if "{{" in line:
                return f"`{path}`: a command of `{name}` is a template (`{line.strip()}`)"
            lines.append((line, where, f"{path}: {name}"))
        return None

    for goal in goals:
        why = visit(goal, 0)
        if why:
            return Tasks(unknown=why)
    return Tasks(tuple(lines))
