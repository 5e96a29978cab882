"""A step's script in its own language, and the repository scripts it runs, read with real parsers.

``run:`` bodies are bash (tree-sitter-bash), PowerShell (tree-sitter-powershell) or Python
(libcst) according to the step's ``shell:``; the repository scripts they call (``./x.sh``,
``python tools/bump.py``, ``python -m pkg.mod``, ``pwsh ./x.ps1``) are read from the repository
context in their own language. A language no parser reads (JavaScript, Ruby, ``cmd``...), a
script that fails to parse and a shell chosen by an expression are *unknown*. Both transforms
use this one reader.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fixbot.kb.model import Need, ScriptAnalysis
from fixbot.kb.scripts import ScriptCall, analyze_commands, written_token_stores
from fixbot.kb.shell import Command, Script, expand_known_vars, from_argv, parse
from fixbot.kb.token import JOB, credential

if TYPE_CHECKING:
    from fixbot.kb.python_script import PyWrite

MAX_DEPTH = 3
# Publishing and signing commands that may use an OIDC token when the job is granted one.
_OIDC_TOOLS = {
    "uv": ("publish",), "npm": ("publish",), "pnpm": ("publish",), "twine": ("upload",),
    "poetry": ("publish",), "hatch": ("publish",), "pdm": ("publish",), "flit": ("publish",),
    "maturin": ("publish", "upload"), "cargo": ("publish",), "gem": ("push",),
    "cosign": ("sign", "attest", "sign-blob", "attest-blob"), "sigstore": ("sign",),
    "gh": ("attestation",), "az": ("login",), "gcloud": ("auth",), "vault": ("login", "write"),
}


@dataclass
class StepScript:
    analysis: ScriptAnalysis
    oidc_tools: list[str] = field(default_factory=list)
    unread: list[tuple[str, str]] = field(default_factory=list)  # (path, why) not in the context
    # the repository's Python files the script runs, itself or through the scripts and task
    # runners it runs (`python x.py`, `python -m pkg.mod`, `make release` running one)
    python_files: list[str] = field(default_factory=list)


_ANSWERS: dict[tuple[object, ...], StepScript] = {}
_MAX_ANSWERS = 20_000


class ScriptReader:
    def __init__(self, read_text: Callable[[str], str | None]) -> None:
        self.read_text = read_text

    def run_step(self, script: str, shell: str, env: Mapping[str, str], git: bool,
                 stores: frozenset[str] = frozenset(), cwd: str = "") -> StepScript:
        """What a step's script does (see :meth:`_run_step`); both transforms ask about the same
        steps, and a job with several checkouts asks again for each: answers are kept per
        repository context (the result is never changed by callers)."""
        key = (self.read_text, script, shell, tuple(sorted(env.items())), git, stores, cwd)
        found = _ANSWERS.get(key)
        if found is None:
            if len(_ANSWERS) > _MAX_ANSWERS:
                _ANSWERS.clear()
            found = _ANSWERS[key] = self._run_step(script, shell, env, git, stores, cwd)
        return found

    def python_files(self, script: str, shell: str, cwd: str = "") -> list[str]:
        """The repository's Python files a bash ``run:`` script runs itself (``python x.py``,
        ``python -m pkg.mod``, ``./x.py`` with a Python shebang), found as :meth:`run_step`
        finds them but without reading what they do: the secrets transform rewrites them
        together with the step, and needs nothing else."""
        if _language_of_shell(shell) != "bash":
            return []
        parsed = parse(script)
        calls: list[ScriptCall] = []
        analyze_commands(parsed, {}, False, calls)
        start = _clean_dir(cwd)
        dirs = _command_dirs(parsed, start)
        out: list[str] = []
        for call in calls:
            for where in dirs.get((call.line, call.path), {start}):
                found = self._python_target(call, where)
                if found is not None and found not in out:
                    out.append(found)
        return out

    def _python_target(self, call: ScriptCall, cwd: str | None) -> str | None:
        """The repository Python file ``call`` runs, as :meth:`_call` resolves it."""
        lang, path = call.language, call.path
        if lang.endswith("-code"):
            return None
        if path.startswith("-m "):
            mod = path[3:].replace(".", "/")
            return next((c for c in (f"{mod}.py", f"{mod}/__main__.py")
                         if self.read_text(c) is not None), None)
        path = expand_known_vars(path, call.env)
        if "$" in path or (cwd is None and not path.startswith("/")):
            return None
        for cand in _candidates(path, cwd or ""):
            body = self.read_text(cand)
            if body is not None:
                python = lang == "python" or (lang in ("shell", "executable") and _python_shebang(body))
                return cand if python else None
        return None

    def _run_step(self, script: str, shell: str, env: Mapping[str, str], git: bool,
                  stores: frozenset[str] = frozenset(), cwd: str = "") -> StepScript:
        """What a ``run:`` step with ``shell:`` (as written, "" for the default) does; ``git``:
        checkout's credentials are persisted; ``stores``: tools configured with the job token
        (``path:DIR``: a repository directory an earlier step put on $GITHUB_PATH); ``cwd``: the
        directory the step runs in, relative to the repository root (its ``working-directory:``,
        with the checkout's ``path:`` taken off), where relative script paths are read from."""
        res = _Acc(env)
        res.stores = set(stores)
        if shell == EITHER_DEFAULT:  # a runner that may be Windows (pwsh) or not (bash)
            for one in ("", "pwsh"):
                step = self.run_step(script, one, env, git, stores, cwd)
                res.add(step.analysis)
                res.stores |= set(step.analysis.stores)
                res.oidc_tools += [t for t in step.oidc_tools if t not in res.oidc_tools]
                res.unread += [u for u in step.unread if u not in res.unread]
                res.python_files += [p for p in step.python_files if p not in res.python_files]
            return res.done()
        lang = _language_of_shell(shell)
        if lang == "expression":
            res.unknown.append(f"the shell is chosen by an expression (`{shell.strip()}`)")
        elif lang == "bash":
            self._shell(parse(script), env, git, res, 0, _clean_dir(cwd))
        elif lang == "pwsh":
            from fixbot.kb.pwsh import parse_pwsh

            self._shell(parse_pwsh(script), env, git, res, 0, _clean_dir(cwd))
        elif lang == "python":
            self._python(script, env, git, res, 0, "the `python` script", _clean_dir(cwd))
        else:
            res.unknown.append(f"a `{lang}` script, which no parser here reads")
        return res.done()

    def _shell(self, parsed: Script, env: Mapping[str, str], git: bool, res: _Acc,
               depth: int, cwd: str | None = "") -> None:
        calls: list[ScriptCall] = []
        path_dirs = frozenset(s[5:] for s in res.stores if s.startswith("path:"))
        a = analyze_commands(parsed, env, git or "git" in res.stores, calls,
                             frozenset(res.stores))
        res.add(a)
        res.stores |= set(a.stores)
        dirs = _command_dirs(parsed, cwd)
        for d in parsed.path_dirs:
            added = _path_dir(d, cwd)
            if added is not None:
                # where the repository sits in the workspace is not known (a checkout `path:`):
                # the directory cannot be mapped onto it, so later bare commands are unknown
                res.stores.add(f"path:{added}" if cwd is not None else "path:?")
        for cmd in parsed.commands:
            subs = _OIDC_TOOLS.get(cmd.program, ())
            if cmd.args[:1] and cmd.args[0] in subs:
                res.oidc_tools.append(f"{cmd.program} {cmd.args[0]}")
        for call in calls:
            for where in dirs.get((call.line, call.path), {cwd}):
                self._call(call, git, res, depth, where)
        for cmd in parsed.commands:
            where = next(iter(dirs.get((cmd.line, cmd.path), {cwd})))
            self._tasks(cmd, {**env, **cmd.env}, git, res, depth, where)
            if path_dirs and cmd.program and "/" not in cmd.path and "\\" not in cmd.path:
                for d in sorted(path_dirs):
                    found = posixpath.join(d, cmd.path) if d else cmd.path
                    if self.read_text(found) is not None:
                        self._call(ScriptCall(found, "executable", {**env, **cmd.env}, cmd.line),
                                   git, res, depth, "")

    def _tasks(self, cmd: Command, env: Mapping[str, str], git: bool, res: _Acc, depth: int,
               cwd: str | None) -> None:
        """``npm run X``, ``make T``, ``just R``: the command lines the repository's
        package.json, Makefile or justfile give them, read as shell scripts."""
        from fixbot.kb.task_runners import task_lines

        if cwd is None or not cmd.program:
            return
        tasks = task_lines(cmd, self.read_text, cwd)
        if tasks is None:
            return
        if tasks.unknown:
            res.unknown.append(tasks.unknown)
            return
        for line, where, origin in tasks.lines:
            if depth >= MAX_DEPTH + 2:
                res.unread.append((origin, "task runners nested too deep to follow"))
                return
            self._shell(parse(line), env, git, res, depth + 1, where)

    def _call(self, call: ScriptCall, git: bool, res: _Acc, depth: int,
              cwd: str | None = "") -> None:
        lang, path = call.language, call.path
        if lang.endswith("-code"):
            if lang == "python-code":
                self._python(path, call.env, git, res, depth + 1, "inline `python -c` code", cwd)
            else:
                res.unknown.append(f"inline `{lang[:-5]}` code, which no parser here reads")
            return
        if path.startswith("-m "):
            mod = path[3:].replace(".", "/")
            for cand in (f"{mod}.py", f"{mod}/__main__.py"):
                body = self.read_text(cand) if depth < MAX_DEPTH else None
                if body is not None:
                    if cand not in res.python_files:
                        res.python_files.append(cand)
                    self._python(body, call.env, git, res, depth + 1, f"`{cand}`", cwd)
                    return
            if self.read_text(f"{mod}/__init__.py") is None and "/" not in mod:
                return  # an installed module (`python -m pip`), not the repository's
            res.unread.append((f"python -m {path[3:]}", "it is not in the repository context"))
            return
        path = expand_known_vars(path, call.env)
        if "$" in path:
            res.unknown.append(f"runs a script whose path is chosen at run time (`{path}`)")
            return
        if cwd is None and not path.startswith("/"):
            res.unknown.append(f"runs `{path}` from a directory chosen at run time")
            return
        body = None
        for cand in _candidates(path, cwd or ""):
            body = self.read_text(cand) if depth < MAX_DEPTH else None
            if body is not None:
                path = cand
                break
        if body is None:
            res.unread.append((path, "it is not in the repository context to read"))
            return
        if lang in ("shell", "executable") and not _python_shebang(body):
            self._shell(parse(body), call.env, git, res, depth + 1)
        elif lang == "python" or _python_shebang(body):
            if path not in res.python_files:
                res.python_files.append(path)
            self._python(body, call.env, git, res, depth + 1, f"`{path}`", cwd)
        elif lang == "pwsh":
            from fixbot.kb.pwsh import parse_pwsh

            self._shell(parse_pwsh(body), call.env, git, res, depth + 1)
        else:
            res.unknown.append(f"runs `{path}`, a {lang} script, which no parser here reads")

    def _python(self, source: str, env: Mapping[str, str], git: bool, res: _Acc, depth: int,
                what: str, cwd: str | None = "") -> None:
        """``cwd``: the directory the script runs in (None: chosen at run time)."""
        from fixbot.kb.python_script import analyze_python

        facts = analyze_python(source)
        if facts.error:
            res.unknown.append(f"{what} cannot be parsed ({facts.error})")
            return
        reach = any(credential(v, env) == JOB for v in env.values())
        for u in facts.unknown:
            if reach or git:
                res.unknown.append(f"{what}: {u}")
        for cmd in facts.commands:
            if cmd.argv is not None:
                parsed = from_argv(list(cmd.argv), cmd.line, cmd.text)
            elif cmd.shell is not None:
                parsed = parse(cmd.shell)
            else:
                continue  # dynamic: already in facts.unknown
            where = cwd if cmd.cwd == "" else None if cmd.cwd is None else _resolve(cwd, cmd.cwd)
            self._shell(parsed, env, git, res, depth, where)
        for w in facts.writes:
            _python_write(w, env, res, cwd)
        for call in facts.http:
            if not reach or call.authenticated is False:
                continue
            if call.url is None or call.authenticated is None:
                res.unknown.append(f"{what}: line {call.line}: a web request whose URL or "
                                   "credential cannot be told")
                continue
            from fixbot.kb.http_calls import is_api_url
            from fixbot.kb.shell import Command

            if not is_api_url(call.url):
                res.unknown.append(f"{what}: line {call.line}: sends the job token to "
                                   f"`{call.url}`, not known to be the GitHub API")
                continue
            flags = ("-H", "Authorization: token ${{ github.token }}", "-X", call.method)
            self._shell(Script((Command("curl", (*flags, call.url), {}, call.text, call.line),)),
                        env, git, res, depth)


def _python_write(w: PyWrite, env: Mapping[str, str], res: _Acc, cwd: str | None) -> None:
    """A file a Python script writes: a repository directory added to $GITHUB_PATH (``path:DIR``);
    the job token written into $GITHUB_ENV (``github-env``) or any other file (``disk``), as the
    shell reader's file writes."""
    target = w.target if w.target is not None else "?"
    if "GITHUB_PATH" in target:
        if w.value is not None:
            for line in w.value.splitlines():
                added = _path_dir(line, cwd) if line.strip() else None
                if added is not None:
                    res.stores.add(f"path:{added}")
        return
    text = w.content + "".join(f" ${{{v}}}" for v in w.env if v != "?")
    res.stores |= written_token_stores(target, text, env)


class _Acc:
    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.needs: list[Need] = []
        self.unknown: list[str] = []
        self.may_push: list[str] = []
        self.git_uses: list[str] = []
        self.oidc_tools: list[str] = []
        self.unread: list[tuple[str, str]] = []
        self.stores: set[str] = set()
        self.given: set[str] = set()
        self.python_files: list[str] = []

    def add(self, a: ScriptAnalysis) -> None:
        self.needs += [n for n in a.needs if n not in self.needs]
        self.unknown += [u for u in a.unknown if u not in self.unknown]
        self.may_push += a.may_push
        self.git_uses += a.git_uses

    def done(self) -> StepScript:
        return StepScript(ScriptAnalysis(tuple(self.needs), tuple(self.unknown),
                                         tuple(self.may_push), tuple(self.git_uses),
                                         tuple(sorted(self.stores))),
                          self.oidc_tools, self.unread, self.python_files)


EITHER_DEFAULT = "bash|pwsh"


def run_defaults(workflow: object, job: object) -> tuple[str, str]:
    """(shell, working directory) of a job's ``run:`` steps that set none: the job's
    ``defaults.run``, else the workflow's, else (for the shell) the runner's default shell.
    ``workflow`` and ``job`` are plain data (anything not a mapping counts as empty)."""
    def default(node: object, key: str) -> str:
        defaults = node.get("defaults") if isinstance(node, Mapping) else None
        run = defaults.get("run") if isinstance(defaults, Mapping) else None
        value = run.get(key) if isinstance(run, Mapping) else None
        return "" if value is None else str(value)

    plain_job = job if isinstance(job, Mapping) else {}
    shell = default(job, "shell") or default(workflow, "shell") or runner_default_shell(plain_job)
    return shell, default(job, "working-directory") or default(workflow, "working-directory")


def runner_default_shell(job: Mapping[str, object]) -> str:
    """The shell ``run:`` steps of a job get without ``shell:``: "" (bash) on Linux and macOS
    runners, "pwsh" on Windows runners, :data:`EITHER_DEFAULT` when the runner is chosen by an
    expression that may name a Windows runner."""
    runs_on = job.get("runs-on")
    words = _strings(runs_on)
    if any("windows" in w.lower() for w in words):
        return "pwsh" if not any("${{" in w for w in words) else EITHER_DEFAULT
    if not any("${{" in w for w in words):
        return ""
    expr = " ".join(w for w in words if "${{" in w).lower()
    if "matrix." in expr and not any(k in expr for k in ("inputs.", "vars.", "needs.", "fromjson")):
        values = _strings(job.get("strategy"))
        return EITHER_DEFAULT if any("windows" in v.lower() or "${{" in v for v in values) else ""
    return EITHER_DEFAULT


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _language_of_shell(shell: str) -> str:
    s = shell.strip()
    if not s:
        return "bash"
    if "${{" in s:
        return "expression"
    first = s.split()[0].rsplit("/", 1)[-1].lower()
    first = first[:-4] if first.endswith(".exe") else first
    if first in ("bash", "sh"):
        return "bash"
    if first in ("pwsh", "powershell"):
        return "pwsh"
    if re.fullmatch(r"python[0-9.]*", first):
        return "python"
    return first


_WORKSPACE_DIRS = ("$GITHUB_WORKSPACE", "${GITHUB_WORKSPACE}", "${{ github.workspace }}",
                   "${{github.workspace}}", "$env:GITHUB_WORKSPACE", "${env:GITHUB_WORKSPACE}")
_CWD_DIRS = ("$PWD", "${PWD}", "$(pwd)", "`pwd`")
_CD = frozenset({"cd", "set-location", "sl", "chdir", "pushd", "push-location"})
_POPD = frozenset({"popd", "pop-location"})


def _clean_dir(cwd: str) -> str | None:
    """A ``working-directory:`` relative to the repository root, normalised ("" for the root;
    None when it is chosen at run time or lies outside the workspace)."""
    c = cwd.strip().replace("\\", "/")
    for prefix in _WORKSPACE_DIRS:
        if c == prefix or c.startswith(prefix + "/"):
            c = c[len(prefix):].lstrip("/")
    if "$" in c or c.startswith(("/", "~")):
        return None
    c = posixpath.normpath(c) if c else ""
    return None if c.startswith("..") else "" if c == "." else c


def _resolve(cwd: str | None, target: str) -> str | None:
    """The directory ``cd target`` goes to from ``cwd``, relative to the root (None: unknown)."""
    t = target.replace("\\", "/")
    for prefix in _WORKSPACE_DIRS:
        if t == prefix or t.startswith(prefix + "/"):
            return _clean_dir(t)
    for prefix in _CWD_DIRS:
        if t == prefix or t.startswith(prefix + "/"):
            t = "." + t[len(prefix):]
    if cwd is None or not t or "$" in t or "`" in t or t.startswith(("/", "~", "-")) or (
            len(t) > 1 and t[1] == ":"):
        return None
    out = posixpath.normpath(posixpath.join(cwd, t))
    return None if out.startswith("..") else ("" if out == "." else out)


def _command_dirs(parsed: Script, cwd: str | None) -> dict[tuple[int, str], set[str | None]]:
    """The directory each command runs in, by (line, script path), following ``cd``/``pushd``.
    Subshells are not told apart: a command may be given more than one directory."""
    from fixbot.kb.git_use import script_call

    out: dict[tuple[int, str], set[str | None]] = {}
    stack: list[str | None] = []
    here = cwd
    for cmd in parsed.commands:
        keys = [(cmd.line, cmd.path)]
        call = script_call(cmd) if cmd.program else None
        if call is not None:
            keys.append((cmd.line, call[0]))
        for key in keys:
            out.setdefault(key, set()).add(here)
        if cmd.program in _CD:
            operands = [a for a in cmd.args if not a.startswith("-")]
            if cmd.program in ("pushd", "push-location"):
                stack.append(here)
            here = _resolve(here, operands[0]) if operands else None
        elif cmd.program in _POPD:
            here = stack.pop() if stack else None
    return out


def _candidates(path: str, cwd: str) -> list[str]:
    """Where a script path may be read from: relative to the directory the command runs in, and
    (since a workspace prefix taken off and subshells are not told apart) from the root."""
    out: list[str] = []
    if cwd and not path.startswith("/"):
        joined = posixpath.normpath(posixpath.join(cwd, path))
        if not joined.startswith(".."):
            out.append(joined)
    if path not in out:
        out.append(path)
    return out


def _path_dir(d: str, cwd: str | None) -> str | None:
    """A directory written to $GITHUB_PATH, relative to the root, when it is the repository's."""
    d = d.strip().rstrip("/")
    if d.startswith(("$HOME", "${HOME}", "~", "/", "$RUNNER_", "${RUNNER_", "${{ runner.")) or (
            d == "?"):
        return None
    return _resolve(cwd, d)


def repo_dir(workdir: str, checkout_dir: str) -> str:
    """A step's working directory relative to the repository root, given where the repository was
    checked out in the workspace; ``$?`` (unknown) when it lies outside the checkout."""
    w = workdir.strip().replace("\\", "/").removeprefix("./").strip("/")
    if not checkout_dir:
        return w
    if w == checkout_dir:
        return ""
    if w.startswith(checkout_dir + "/"):
        return w[len(checkout_dir) + 1:]
    return "$?"  # the workspace root or another directory: not inside the repository


def _python_shebang(body: str) -> bool:
    first = body.split("\n", 1)[0]
    return first.startswith("#!") and "python" in first


def language_of_shell(shell: str) -> str:
    """The language of a step's ``shell:`` as written: bash (also sh and the default), pwsh,
    python, ``expression`` (chosen by ``${{ }}``), or the program's own name."""
    return _language_of_shell(shell)
