"""What a Python script that a workflow step runs does, read with libcst: programs it starts, HTTP
requests it makes, environment variables it reads, modules it imports, and what could not be told.

``analyze_python`` never guesses "nothing": a call that may start a program or reach GitHub and whose
arguments are not literal gives an entry in ``unknown``. Modules listed in ``imports`` are not read
here; the caller reads the ones that are files of the repository (and treats the others it cannot
read as unknown).
"""

from __future__ import annotations

import ast
import shlex
from dataclasses import dataclass
from functools import lru_cache

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import MetadataWrapper

from fixbot.kb.python_objects import Obj, ObjectReader
from fixbot.kb.python_values import HOLE, Seq


@dataclass(frozen=True)
class PyCommand:
    argv: tuple[str, ...] | None  # program and arguments when every element is literal, else None
    shell: str | None  # shell=True / os.system / os.popen / getoutput: the literal command string
    line: int  # 1-based line in the script
    text: str  # the call's source (first 80 characters), for messages
    prefix: tuple[str, ...] = ()  # when argv is None: its leading literal elements (("git", "push") …)
    cwd: str | None = ""  # a literal ``cwd=`` ("${NAME}" for an environment variable's value); "": not
    # given (the script's own directory); None: chosen at run time


@dataclass(frozen=True)
class PyWrite:
    """Text written into a file: ``open(p, "w").write(x)``, ``print(x, file=f)``,
    ``Path(p).write_text(x)``."""

    target: str | None  # the file: literal, "${NAME}" for an environment variable's value; None: unknown
    content: str  # the text as far as it is known ("${NAME}" for environment variables), else its source
    env: tuple[str, ...]  # environment variables the written text is built from
    value: str | None  # the text when all of it is known (environment variables as "${NAME}")
    line: int
    text: str


@dataclass(frozen=True)
class PyHttpCall:
    method: str  # "GET", "POST" …; "?" when not literal
    url: str | None  # literal, or rendered with {…} for run-time parts; None when no part is literal
    authenticated: bool | None  # an Authorization header / auth= / token is passed; None: cannot tell
    line: int
    text: str


@dataclass(frozen=True)
class PyFacts:
    commands: tuple[PyCommand, ...]
    http: tuple[PyHttpCall, ...]
    env_reads: frozenset[str]  # literal names read through os.environ[...] / .get / os.getenv / in
    unknown: tuple[str, ...]  # "line 12: subprocess.run with a command built at run time" …
    imports: tuple[str, ...]  # absolute dotted names; ``from m import n`` lists m and m.n
    error: str | None  # a parse error as one line; everything else is then empty
    writes: tuple[PyWrite, ...] = ()  # text written into files


_SUBPROCESS = frozenset(f"subprocess.{f}" for f in ("run", "call", "check_call", "check_output", "Popen"))
_SHELL = frozenset({"os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput",
                    "asyncio.create_subprocess_shell"})
_EXEC_STYLES = ("l", "le", "lp", "lpe", "v", "ve", "vp", "vpe")
_EXEC = frozenset({f"os.{k}{s}" for k in ("exec", "spawn") for s in _EXEC_STYLES}
                  | {"os.posix_spawn", "os.posix_spawnp", "asyncio.create_subprocess_exec", "pty.spawn"})
_VERBS = ("get", "post", "put", "patch", "delete", "head", "options")
_SENDS = frozenset({*_VERBS, "request", "stream", "urlopen", "send"})
_HTTP = frozenset(f"{lib}.{v}" for lib in ("requests", "httpx") for v in _VERBS)
_HTTP_METHOD_ARG = frozenset({"requests.request", "httpx.request", "httpx.stream", "urllib3.request"})
_URLOPEN = frozenset({"urllib.request.urlopen", "urllib.request.urlretrieve"})
_RUNNERS = _SUBPROCESS | _SHELL | _EXEC | _HTTP | _HTTP_METHOD_ARG | _URLOPEN
_CLIENTS = {  # libraries that call the GitHub API or git remotes in ways not analysed here
    "github": "PyGithub client", "github3": "github3.py client", "ghapi": "ghapi client",
    "gidgethub": "gidgethub client", "octokit": "octokit.py client", "agithub": "agithub client",
    "dulwich": "dulwich git client", "pygit2": "pygit2 git client",
}
_OPAQUE = ("runpy", "builtins.exec", "builtins.eval", "urllib.request.build_opener",
           "urllib.request.install_opener")
_PROGRAM_LIBS = ("sh", "plumbum", "invoke", "fabric", "delegator", "sarge", "pexpect")


@lru_cache(maxsize=1024)
def analyze_python(source: str, package: str | None = None) -> PyFacts:
    """Facts about a Python script; ``package`` (``pkg`` for ``python -m pkg.mod``) resolves ``from .``."""
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as e:
        return PyFacts((), (), frozenset(), (), (), "syntax error: " + " ".join(e.message.split()))
    reader = _ScriptReader(module, package)
    MetadataWrapper(module, unsafe_skip_copy=True).visit(reader)
    return PyFacts(tuple(reader.commands), tuple(reader.http), frozenset(reader.env_reads),
                   tuple(dict.fromkeys(reader.unknown)), tuple(dict.fromkeys(reader.imports)), None,
                   tuple(reader.writes))


def _split(text: str | None) -> Seq | None:
    try:
        return Seq(tuple(shlex.split(text)), True) if text is not None else None
    except ValueError:
        return None


def _root(name: str, roots: tuple[str, ...] | dict[str, str]) -> str | None:
    return next((r for r in roots if name == r or name.startswith(r + ".")), None)


class _ScriptReader(ObjectReader):
    def __init__(self, module: cst.Module, package: str | None) -> None:
        super().__init__()
        self.module = module
        self.package = package
        self.commands: list[PyCommand] = []
        self.http: list[PyHttpCall] = []
        self.env_reads: set[str] = set()
        self.imports: list[str] = []
        self.writes: list[PyWrite] = []
        self.in_import = 0

    def text(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)[:80]

    # --- imports --------------------------------------------------------------------------------

    def visit_Import(self, node: cst.Import) -> None:
        self.in_import += 1
        for alias in node.names:
            name = get_full_name_for_node(alias.name)
            self.imports.extend([name] if name else [])

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self.in_import += 1
        base = (get_full_name_for_node(node.module) if node.module else None) or ""
        if node.relative:
            parts = self.package.split(".") if self.package else []
            up = len(node.relative) - 1
            if self.package is None or up > len(parts) - 1:
                self.note(node, f"imports from {'.' * len(node.relative)}{base}, whose package is not known")
                return
            base = ".".join(parts[:len(parts) - up] + ([base] if base else []))
        self.imports.append(base)
        if not isinstance(node.names, cst.ImportStar):
            self.imports.extend(f"{base}.{a.name.value}" for a in node.names if isinstance(a.name, cst.Name))

    def leave_Import(self, original_node: cst.Import) -> None:
        self.in_import -= 1

    def leave_ImportFrom(self, original_node: cst.ImportFrom) -> None:
        self.in_import -= 1

    # --- names that are not calls ---------------------------------------------------------------

    def visit_Name(self, node: cst.Name) -> None:
        up = self.parent(node)
        declared = isinstance(up, cst.Param | cst.FunctionDef | cst.ClassDef | cst.ImportAlias) or (
            isinstance(up, cst.Arg) and up.keyword is node)
        if not declared and not (isinstance(up, cst.Attribute) and up.attr is node):
            self._reference(node)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._reference(node)

    def _reference(self, node: cst.Name | cst.Attribute) -> None:
        if self.in_import:
            return
        self.check_escape(node)
        names = self.qnames(node)
        up = self.parent(node)
        called = isinstance(up, cst.Call) and up.func is node
        if isinstance(node, cst.Attribute) and not called and self._runs(node):
            self.note(node, f"{self.text(node)} used as a value; the calls made with it are not followed")
        for name in sorted(names):
            lib = _root(name, _PROGRAM_LIBS)
            if lib and not isinstance(up, cst.Attribute) and (called or not isinstance(up, cst.Call)):
                self.note(node, f"runs programs through {lib} ({name}), which is not analysed")
            elif name in _RUNNERS and not called:
                self.note(node, f"{name} used as a value; the calls made with it are not followed")

    def _runs(self, attr: cst.Attribute) -> bool:
        """``attr`` is a method of a followed object that runs git or sends a request."""
        recv = self.obj_of(attr.value)
        method = attr.attr.value
        return recv is not None and (
            (recv.kind == "gitcmd" and method not in self.GIT_NOT_COMMANDS)
            or (recv.kind == "remote" and method in ("push", "pull", "fetch"))
            or (recv.kind in ("session", "conn") and method in _SENDS))

    def visit_Subscript(self, node: cst.Subscript) -> None:
        self.check_escape(node)
        if "os.environ" in self.qnames(node.value) and not self.stored_subscript(node):
            idx = node.slice[0].slice if len(node.slice) == 1 else None
            self._env(node, idx.value if isinstance(idx, cst.Index) else None)

    def visit_ComparisonTarget(self, node: cst.ComparisonTarget) -> None:
        up = self.parent(node)
        if (isinstance(node.operator, cst.In | cst.NotIn) and "os.environ" in self.qnames(node.comparator)
                and isinstance(up, cst.Comparison) and len(up.comparisons) == 1):
            self._env(up, up.left)

    def _env(self, node: cst.CSTNode, key: cst.BaseExpression | None) -> None:
        name = self.string(key) if key is not None else None
        if name is None:
            self.note(node, "reads an environment variable named at run time")
        else:
            self.env_reads.add(name)

    # --- calls ----------------------------------------------------------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        self.check_escape(node)
        names = self.qnames(node.func)
        pos = [a.value for a in node.args if a.keyword is None and not a.star]
        for name in sorted(names):
            if name in _SUBPROCESS:
                self._subprocess(node, name)
            elif name in _SHELL:
                arg = pos[0] if pos else self.kwarg(node, "cmd") or self.kwarg(node, "command")
                self._shell(node, name, arg)
            elif name in _EXEC:
                self._exec(node, name)
            elif name in ("os.getenv", "os.environ.get"):
                self._env(node, pos[0] if pos else self.kwarg(node, "key"))
            elif name in _HTTP:
                url = pos[0] if pos else self.kwarg(node, "url")
                self._http(node, name, name.rsplit(".", 1)[1].upper(), url, False)
            elif name in _HTTP_METHOD_ARG:
                self._http(node, name, self._method(pos[0] if pos else self.kwarg(node, "method")),
                           pos[1] if len(pos) > 1 else self.kwarg(node, "url"), False)
            elif name in _URLOPEN:
                self._urlopen(node, name, pos)
            elif name == "git.Repo.clone_from":
                url = pos[0] if pos else self.kwarg(node, "url")
                path = pos[1] if len(pos) > 1 else self.kwarg(node, "to_path")
                where = Seq(tuple(self.element(e) if e is not None else None for e in (url, path)), True)
                argv = Seq(("git", "clone"), True) + self.git_options(node) + where
                self._git(node, "GitPython clone_from", argv)
            elif name in ("importlib.import_module", "builtins.__import__"):
                module = self.string(pos[0]) if pos and len(pos) == 1 else None
                if module is None:
                    self.note(node, "imports a module named at run time")
                else:
                    self.imports.append(module)
            elif lib := _root(name, _CLIENTS):
                self.note(node, f"{_CLIENTS[lib]} ({name}) whose API calls are not analysed")
            elif _root(name, _OPAQUE):
                self.note(node, f"{name} runs code or requests that are not analysed")
        if isinstance(node.func, cst.Attribute) and (recv := self.obj_of(node.func.value)):
            self._method_call(node, recv, node.func.attr.value, pos)
        self._file_write(node, names, pos)

    # --- files written --------------------------------------------------------------------------

    def _file_write(self, node: cst.Call, names: frozenset[str], pos: list[cst.BaseExpression]) -> None:
        content: cst.BaseExpression | None = None
        target: str | None = None
        func = node.func
        if "builtins.print" in names:
            out = self.kwarg(node, "file")
            opened = self._opened(out) if out is not None else None
            if opened is None or not pos:
                return
            target, content = opened[0], pos[0]
        elif isinstance(func, cst.Attribute) and func.attr.value in ("write", "writelines") and pos:
            opened = self._opened(func.value)
            if opened is None:
                return
            target, content = opened[0], pos[0]
        elif isinstance(func, cst.Attribute) and func.attr.value in ("write_text", "write_bytes"):
            content = pos[0] if pos else self.kwarg(node, "data")
            if content is None:
                return
            target = self._path_of(func.value)
        else:
            return
        env = tuple(dict.fromkeys(self._env_names(content)))
        value = self.path_value(content)
        known = value if value is not None else self.render(content)
        source = self.module.code_for_node(content)
        self.writes.append(PyWrite(target, known if known is not None else source, env, value,
                                   self.line(node), self.text(node)))

    def _opened(self, expr: cst.BaseExpression, depth: int = 0) -> tuple[str | None] | None:
        """``(path,)`` when ``expr`` is a file opened for writing (path None: not known)."""
        if depth > 8:
            return None
        if isinstance(expr, cst.Name) and (bound := self.bound_value(expr)):
            return self._opened(bound[0], depth + 1)
        if not isinstance(expr, cst.Call):
            return None
        pos = [a.value for a in expr.args if a.keyword is None and not a.star]
        names = self.qnames(expr.func)
        if names & {"builtins.open", "io.open", "codecs.open"}:
            path = pos[0] if pos else self.kwarg(expr, "file") or self.kwarg(expr, "filename")
            mode = pos[1] if len(pos) > 1 else self.kwarg(expr, "mode")
            where = self.path_value(path) if path is not None else None
        elif isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "open":
            mode = pos[0] if pos else self.kwarg(expr, "mode")
            where = self._path_of(expr.func.value)
        else:
            return None
        if mode is None:
            return None  # read
        text = self.string(mode)
        if text is not None and not any(c in text for c in "wax+"):
            return None
        return (where,)

    def _path_of(self, expr: cst.BaseExpression, depth: int = 0) -> str | None:
        """The path a ``pathlib.Path`` expression names, when it is known."""
        if depth > 8:
            return None
        if isinstance(expr, cst.Name) and (bound := self.bound_value(expr)):
            return self._path_of(bound[0], depth + 1)
        if isinstance(expr, cst.Call) and self.qnames(expr.func) & {
                "pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath"}:
            parts = [self.path_value(a.value) for a in expr.args if a.keyword is None and not a.star]
            if not parts or any(p is None for p in parts) or len(parts) != len(expr.args):
                return None
            return "/".join(p for p in parts if p is not None)
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Divide):
            left = self._path_of(expr.left, depth + 1)
            right = self.path_value(expr.right)
            return f"{left}/{right}" if left is not None and right is not None else None
        return None

    def _env_names(self, expr: cst.CSTNode, depth: int = 0) -> list[str]:
        """The environment variables whose values ``expr`` is built from (names bound once followed)."""
        if depth > 8:
            return []
        out: list[str] = []
        if isinstance(expr, cst.BaseExpression) and (name := self._env_value(expr)) is not None:
            return [name]
        if isinstance(expr, cst.Name) and (bound := self.bound_value(expr)):
            return self._env_names(bound[0], depth + 1)
        for child in expr.children:
            out += self._env_names(child, depth + 1)
        return out

    def _env_value(self, expr: cst.BaseExpression) -> str | None:
        """The variable ``os.environ["X"]`` / ``os.getenv("X")`` / ``os.environ.get("X")`` reads."""
        key: cst.BaseExpression | None = None
        if isinstance(expr, cst.Subscript) and "os.environ" in self.qnames(expr.value) \
                and len(expr.slice) == 1:
            idx = expr.slice[0].slice
            key = idx.value if isinstance(idx, cst.Index) else None
        elif isinstance(expr, cst.Call) and self.qnames(expr.func) & {"os.getenv", "os.environ.get"}:
            first = expr.args[0] if expr.args else None
            key = first.value if first is not None and first.keyword is None else self.kwarg(expr, "key")
        else:
            return None
        name = self.string(key) if key is not None else None
        return name if name is not None else "?"

    def path_value(self, expr: cst.BaseExpression, depth: int = 0) -> str | None:
        """A string built from literals and environment variables ("${NAME}"): ``+``,
        ``os.path.join``, ``os.path.expanduser``, f-strings, ``str(...)``, ``pathlib.Path``."""
        if depth > 8:
            return None
        env = self._env_value(expr)
        if env is not None:
            return None if env == "?" else "${" + env + "}"
        if isinstance(expr, cst.Name) and (bound := self.bound_value(expr)):
            return self.path_value(bound[0], depth + 1)
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
            left, right = self.path_value(expr.left, depth + 1), self.path_value(expr.right, depth + 1)
            return left + right if left is not None and right is not None else None
        if isinstance(expr, cst.FormattedString):
            prefix = expr.prefix.replace("f", "").replace("F", "")
            quote = expr.start[len(expr.prefix):]
            out: list[str] = []
            for part in expr.parts:
                if isinstance(part, cst.FormattedStringExpression):
                    if part.conversion or part.format_spec:
                        return None
                    inner = self.path_value(part.expression, depth + 1)
                    if inner is None:
                        return None
                    out.append(inner)
                elif isinstance(part, cst.FormattedStringText):
                    text = part.value.replace("{{", "{").replace("}}", "}")
                    try:
                        out.append(str(ast.literal_eval(prefix + quote + text + expr.end)))
                    except (ValueError, SyntaxError):
                        return None
            return "".join(out)
        if isinstance(expr, cst.Call):
            names = self.qnames(expr.func)
            args = [a.value for a in expr.args if a.keyword is None and not a.star]
            if len(args) != len(expr.args):
                return None
            if "os.path.join" in names and args:
                parts = [self.path_value(a, depth + 1) for a in args]
                if any(p is None for p in parts):
                    return None
                joined = ""
                for p in parts:
                    assert p is not None
                    joined = p if p.startswith("/") or not joined else joined.rstrip("/") + "/" + p
                return joined
            if names & {"os.path.expanduser", "builtins.str", "os.fspath", "os.path.normpath"} \
                    and len(args) == 1:
                return self.path_value(args[0], depth + 1)
            if names & {"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath"}:
                return self._path_of(expr, depth + 1)
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Divide):
            return self._path_of(expr, depth + 1)
        return self.string(expr)

    def _method_call(self, node: cst.Call, recv: Obj, method: str, pos: list[cst.BaseExpression]) -> None:
        if recv.kind == "gitcmd":
            if method == "execute":
                first = self.seq(pos[0]) if pos else None
                self._git(node, "GitPython execute", first)
            elif method not in self.GIT_NOT_COMMANDS:
                argv = Seq(("git", method.replace("_", "-")), True) + self.git_options(node)
                self._git(node, f"GitPython git.{method}", argv + self.arg_seq(node.args))
        elif recv.kind == "remote" and method in ("push", "pull", "fetch"):
            argv = Seq(("git", method), True) + self.git_options(node) + Seq((recv.detail,), True)
            refspec = pos[0] if pos else self.kwarg(node, "refspec")
            if refspec is not None and not (isinstance(refspec, cst.Name) and refspec.value == "None"):
                argv = argv + (self.seq(refspec) or Seq((self.string(refspec),), True))
            self._git(node, f"GitPython Remote.{method}", argv)
        elif recv.kind == "session" and method in _VERBS:
            url = pos[0] if pos else self.kwarg(node, "url")
            self._http(node, f"{recv.label}.{method}", method.upper(), url, self.holder_auth(recv))
        elif recv.kind == "session" and method in ("request", "stream", "urlopen"):
            verb = self._method(pos[0] if pos else self.kwarg(node, "method"))
            url = pos[1] if len(pos) > 1 else self.kwarg(node, "url")
            self._http(node, f"{recv.label}.{method}", verb, url, self.holder_auth(recv))
        elif recv.kind == "session" and method == "send":
            self.note(node, f"{recv.label}.send of a prepared request, which is not analysed")
        elif recv.kind == "conn" and method in ("request", "putrequest"):
            host = self.string(recv.ctor.args[0].value) if recv.ctor and recv.ctor.args else None
            path = self.render(pos[1]) if len(pos) > 1 else None
            full = f"{recv.detail}://{host or HOLE}{path or HOLE}" if host or path else None
            headers = pos[3] if len(pos) > 3 else self.kwarg(node, "headers")
            auth = self.headers_auth(headers) if headers is not None else False
            verb = self._method(pos[0] if pos else None)
            auth = None if method == "putrequest" else auth
            self._record_http(node, f"{recv.label}.{method}", verb, full, auth)

    # --- programs -------------------------------------------------------------------------------

    def _subprocess(self, node: cst.Call, name: str) -> None:
        args = node.args[0].value if node.args and node.args[0].keyword is None else self.kwarg(node, "args")
        flag = self.kwarg(node, "shell")
        shell = flag is not None and not (isinstance(flag, cst.Name) and flag.value in ("False", "None"))
        if args is not None and self.render(args) is not None:  # a string
            text = self.string(args)
            if shell:
                self._command(node, name, None, text, dynamic=text is None)
            else:  # POSIX runs the string as a program name, Windows splits it: take the wider reading
                self._command(node, name, _split(text), None, dynamic=text is None)
            return
        argv = self.seq(args) if args is not None else None
        if shell:
            head = argv.items[0] if argv and argv.items else None
            self._command(node, name, None, head, dynamic=head is None)
        else:
            self._command(node, name, argv, None, dynamic=argv is None or argv.argv is None)

    def _shell(self, node: cst.Call, name: str, arg: cst.BaseExpression | None) -> None:
        text = self.string(arg) if arg is not None else None
        self._command(node, name, None, text, dynamic=text is None)

    def _exec(self, node: cst.Call, name: str) -> None:
        args = [a for a in node.args if a.keyword is None]
        fn = name.rsplit(".", 1)[1]
        seq: Seq | None
        if name == "pty.spawn":
            first = args[0].value if args else None
            text = self.string(first) if first is not None else None
            seq = _split(text) if text is not None else self.seq(first) if first is not None else None
        elif name == "asyncio.create_subprocess_exec":
            seq = self.arg_seq(args)
        else:
            args = args[1:] if fn.startswith("spawn") else args  # the mode
            program = Seq((self.element(args[0].value) if args and not args[0].star else None,), True)
            style = fn.removeprefix("exec").removeprefix("spawn")
            listed: Seq | None
            if style.startswith("l"):  # program, arg0, arg1, … [, env]
                listed = self.arg_seq(args[1:-1] if style.endswith("e") else args[1:])
            else:  # program, [arg0, arg1, …] [, env]
                listed = self.seq(args[1].value) if len(args) > 1 and not args[1].star else None
            known_arg0 = listed is not None and (len(listed.items) > 0 or listed.complete)
            seq = program + (Seq(listed.items[1:], listed.complete) if listed and known_arg0 else None)
        self._command(node, name, seq, None, dynamic=seq is None or seq.argv is None)

    def _git(self, node: cst.Call, label: str, argv: Seq | None) -> None:
        self._command(node, label, argv, None, dynamic=argv is None or argv.argv is None)

    def _command(self, node: cst.Call, label: str, argv: Seq | None, shell: str | None,
                 dynamic: bool) -> None:
        full = argv.argv if argv else None
        given = self.kwarg(node, "cwd")
        cwd = "" if given is None or (isinstance(given, cst.Name) and given.value == "None") \
            else self.path_value(given)
        self.commands.append(PyCommand(full, shell, self.line(node), self.text(node),
                                       argv.prefix if argv and full is None else (), cwd))
        if dynamic:
            self.note(node, f"{label} with a command built at run time")

    # --- HTTP -----------------------------------------------------------------------------------

    def _method(self, expr: cst.BaseExpression | None) -> str:
        method = self.string(expr) if expr is not None else None
        return method.upper() if method else "?"

    def _http(self, node: cst.Call, label: str, method: str, url: cst.BaseExpression | None,
              base: bool | None) -> None:
        auth = self.call_auth(node, base)
        self._record_http(node, label, method, self.render(url) if url is not None else None, auth)

    def _urlopen(self, node: cst.Call, name: str, pos: list[cst.BaseExpression]) -> None:
        target = pos[0] if pos else self.kwarg(node, "url")
        data = len(pos) > 1 or self.kwarg(node, "data") is not None
        req = self.obj_of(target) if target is not None else None
        if req is not None and req.kind == "request" and req.ctor is not None:
            rpos = [a.value for a in req.ctor.args if a.keyword is None and not a.star]
            url = self.render(rpos[0]) if rpos else None
            data = data or len(rpos) > 1 or self.kwarg(req.ctor, "data") is not None
            method = self.kwarg(req.ctor, "method")
            verb = self._method(method) if method is not None else "POST" if data else "GET"
            verb = "?" if self._method_replaced(req) else verb
            self._record_http(node, name, verb, url, self.holder_auth(req))
        elif target is not None and self.render(target) is not None:
            self._record_http(node, name, "POST" if data else "GET", self.render(target), False)
        else:
            self._record_http(node, name, "?", None, None)

    def _method_replaced(self, req: Obj) -> bool:
        """``req.method = …`` or ``req.get_method = lambda: …`` after the Request was built."""
        return any(isinstance(up, cst.Attribute) and up.attr.value in ("method", "get_method")
                   and isinstance(self.parent(up), cst.AssignTarget)
                   for binding in req.bindings for _, up in self.uses(binding))

    def _record_http(self, node: cst.Call, label: str, method: str, url: str | None,
                     auth: bool | None) -> None:
        self.http.append(PyHttpCall(method, url, auth, self.line(node), self.text(node)))
        if url is None and auth is not False:
            self.note(node, f"{label} to a URL built at run time")
