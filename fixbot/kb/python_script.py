"""What a Python script that a workflow step runs does, read with libcst: programs it starts, HTTP
requests it makes, environment variables it reads, modules it imports, and what could not be told.

``analyze_python`` never guesses "nothing": a call that may start a program or reach GitHub and whose
arguments are not literal gives an entry in ``unknown``. Modules listed in ``imports`` are not read
here; the caller reads the ones that are files of the repository (and treats the others it cannot
read as unknown).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

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


def analyze_python(source: str, package: str | None = None) -> PyFacts:
    """Facts about a Python script; ``package`` (``pkg`` for ``python -m pkg.mod``) resolves ``from .``."""
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as e:
        return PyFacts((), (), frozenset(), (), (), "syntax error: " + " ".join(e.message.split()))
    reader = _ScriptReader(module, package)
    MetadataWrapper(module, unsafe_skip_copy=True).visit(reader)
    return PyFacts(tuple(reader.commands), tuple(reader.http), frozenset(reader.env_reads),
                   tuple(dict.fromkeys(reader.unknown)), tuple(dict.fromkeys(reader.imports)), None)


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
        self.commands.append(PyCommand(full, shell, self.line(node), self.text(node),
                                       argv.prefix if argv and full is None else ()))
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
