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
    return None


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

def _package_json(cmd: Command, read: Read, cwd: str) -> Tasks | None:
    ops, opts = _operands(cmd.args, _NPM_VALUED)
    if any(k in opts for k in ("-w", "--workspace", "--filter", "-F")) or (ops[:1] in (
            ["workspace"], ["workspaces"], ["exec"], ["dlx"], ["x"])):
        return None
    where = opts.get("--prefix") or opts.get("-C") or opts.get("--cwd") or opts.get("--dir") or ""
    base = _join(cwd, where)
    if base is None:
        return None
    path = posixpath.join(base, "package.json") if base else "package.json"
    text = read(path)
    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return Tasks(unknown=f"`{path}` cannot be parsed as JSON")
    scripts = data.get("scripts") if isinstance(data, dict) else None
    if not isinstance(scripts, dict):
        scripts = {}
    sub = ops[0] if ops else ("install" if cmd.program in ("yarn", "pnpm") else "")
    sub = _NPM_ALIASES.get(sub, sub)
    names: tuple[str, ...]
    if sub in _NPM_RUN:
        if len(ops) < 2:
            return None
        names = (f"pre{ops[1]}", ops[1], f"post{ops[1]}")
    elif sub in _NPM_LIFECYCLE and not (sub == "test" and cmd.program == "bun") and not (
            sub == "install" and len(ops) > 1):
        names = _NPM_LIFECYCLE[sub]
    elif cmd.program in ("yarn", "pnpm") and sub in scripts:
        names = (f"pre{sub}", sub, f"post{sub}")
    else:
        return None
    found = [(str(scripts[n]), base, f"{path}: scripts.{n}") for n in names
             if isinstance(scripts.get(n), str)]
    if not found:
        return None
    return Tasks(tuple(found))


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
                 depth: int = 0) -> str:
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
                    "+": " ".join(prereqs), "?": " ".join(prereqs), "*": target}
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
    path = text = None
    for name in candidates:
        p = _join(base, name)
        body = read(p) if p is not None else None
        if body is not None:
            path, text = p, body
            break
    if path is None or text is None:
        return None
    rules, order, variables, includes, oneshell = _read_makefile(text)
    goals = ops or [variables.get(".DEFAULT_GOAL") or next(
        (t for t in order if not t.startswith(".") and "%" not in t), "")]
    lines: list[tuple[str, str, str]] = []
    seen: set[str] = set()

    def visit(target: str, depth: int) -> str | None:
        if target in seen:
            return None
        seen.add(target)
        rule = rules.get(target)
        if rule is None:
            return None
        if depth > MAX_DEPTH:
            return f"`{path}`: prerequisites of `{target}` nested too deep to follow"
        for p in rule.prereqs:
            why = visit(p, depth + 1)
            if why:
                return why
        recipe = [_make_expand(r.strip().lstrip("@-+").strip(), variables, target, rule.prereqs)
                  for r in rule.recipe]
        if oneshell:
            recipe = ["\n".join(recipe)]
        lines.extend((r, base, f"{path}: {target}") for r in recipe if r.strip())
        return None

    for goal in goals:
        if not goal or (goal not in rules and "$" in goal):
            return Tasks(unknown=f"`make` runs a target of `{path}` that cannot be told")
        if goal not in rules:
            if includes:
                return Tasks(unknown=f"`make {goal}`: the target is not in `{path}`, which "
                             "includes other makefiles")
            continue
        why = visit(goal, 0)
        if why:
            return Tasks(unknown=why)
    return Tasks(tuple(lines)) if lines or any(g in rules for g in goals) else None


# --- justfile -------------------------------------------------------------------------------

def _just(cmd: Command, read: Read, cwd: str) -> Tasks | None:
    ops, opts = _operands(cmd.args, _JUST_VALUED)
    if any(k in opts for k in ("-d", "--working-directory")):
        return None
    given = opts.get("-f") or opts.get("--justfile")
    path = text = None
    for name in [given] if given else ["justfile", "Justfile", ".justfile"]:
        p = _join(cwd, name)
        body = read(p) if p is not None else None
        if body is not None:
            path, text = p, body
            break
    if path is None or text is None:
        return None
    base = posixpath.dirname(path)
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
