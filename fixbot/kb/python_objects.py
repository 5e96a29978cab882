"""Objects a Python script builds and then calls methods on: GitPython repositories, remotes and git
command objects, HTTP sessions and clients, urllib ``Request``s and ``http.client`` connections.

An object is followed while it stays in names bound once and is only used through its attributes;
when it is handed to other code (an argument, a return value, an attribute of something else) the
reader records that, because the calls made with it there are not seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import libcst as cst
from libcst.metadata import Assignment

from fixbot.kb.python_values import Seq, ValueReader

_SESSION = ("requests.Session", "requests.session", "requests.sessions.Session", "httpx.Client",
            "httpx.AsyncClient", "aiohttp.ClientSession", "urllib3.PoolManager")
_REPO = ("git.Repo", "git.repo.Repo", "git.repo.base.Repo", "git.Repo.init", "git.Repo.clone_from")
_CTORS: dict[str, tuple[str, str | None]] = {
    **{name: ("session", None) for name in _SESSION},
    **{name: ("repo", None) for name in _REPO},
    "git.Git": ("gitcmd", None), "git.cmd.Git": ("gitcmd", None),
    "urllib.request.Request": ("request", None),
    "http.client.HTTPSConnection": ("conn", "https"), "http.client.HTTPConnection": ("conn", "http"),
}
_URLOPEN = frozenset({"urllib.request.urlopen"})
# keyword arguments GitPython consumes itself instead of turning them into git options
_GIT_OWN_KW = frozenset({
    "as_process", "with_extended_output", "with_exceptions", "istream", "stdout_as_string", "output_stream",
    "env", "max_chunk_size", "strip_newline_in_stdout", "kill_after_timeout", "universal_newlines", "shell",
    "insert_kwargs_after", "with_stdout", "progress", "to_path", "url", "refspec", "odbt",
    "allow_unsafe_protocols", "allow_unsafe_options",
})


@dataclass(frozen=True, eq=False)
class Obj:
    kind: str  # "repo", "remotes", "remote", "gitcmd", "session", "request", "conn"
    label: str  # the constructor's dotted name, for messages
    ctor: cst.Call | None  # the call that built it, when seen
    detail: str | None = None  # a remote's name; a connection's URL scheme
    bindings: tuple[Assignment, ...] = ()  # the names it was reached through


class ObjectReader(ValueReader):
    GIT_NOT_COMMANDS = frozenset({
        "custom_environment", "update_environment", "set_persistent_git_options", "clear_cache", "refresh",
        "version_info", "get_object_header", "get_object_data", "stream_object_data", "transform_kwargs",
        "polish_url", "is_cygwin", "environment",
    })

    def __init__(self) -> None:
        super().__init__()
        self.unknown: list[str] = []

    def note(self, node: cst.CSTNode, why: str) -> None:
        """Something that may start a program or reach GitHub and cannot be told."""
        self.unknown.append(f"line {self.line(node)}: {why}")

    def kwarg(self, call: cst.Call, name: str) -> cst.BaseExpression | None:
        return next((a.value for a in call.args if a.keyword is not None and a.keyword.value == name), None)

    def obj_of(self, expr: cst.BaseExpression, depth: int = 0) -> Obj | None:
        """The tracked object an expression evaluates to, if any."""
        if depth > 8:
            return None
        if isinstance(expr, cst.Call):
            for name in sorted(self.qnames(expr.func)):
                if name in _CTORS:
                    return Obj(_CTORS[name][0], name, expr, _CTORS[name][1])
            func = expr.func
            if isinstance(func, cst.Attribute) and func.attr.value in ("remote", "create_remote"):
                recv = self.obj_of(func.value, depth + 1)
                if recv is not None and recv.kind == "repo":
                    first = expr.args[0].value if expr.args else None
                    remote = self.string(first) if first is not None else "origin"
                    return Obj("remote", "git.Remote", None, remote)
        elif isinstance(expr, cst.Attribute):
            recv = self.obj_of(expr.value, depth + 1)
            if recv is not None and recv.kind == "repo" and expr.attr.value in ("git", "remotes"):
                kind = "gitcmd" if expr.attr.value == "git" else "remotes"
                return Obj(kind, f"git.Repo.{expr.attr.value}", None)
            if recv is not None and recv.kind == "remotes":
                return Obj("remote", "git.Remote", None, expr.attr.value)
        elif isinstance(expr, cst.Subscript):
            recv = self.obj_of(expr.value, depth + 1)
            if recv is not None and recv.kind == "remotes":
                idx = expr.slice[0].slice if len(expr.slice) == 1 else None
                key = self.string(idx.value) if isinstance(idx, cst.Index) else None
                return Obj("remote", "git.Remote", None, key)
        elif isinstance(expr, cst.Name) and (bound := self.bound_value(expr)):
            found = self.obj_of(bound[0], depth + 1)
            return replace(found, bindings=found.bindings + (bound[1],)) if found else None
        return None

    def check_escape(self, node: cst.BaseExpression) -> None:
        """Record a tracked object that leaves the code this reader follows."""
        obj = self.obj_of(node)
        if obj is None:
            return
        up = self.parent(node)
        kept = (
            (isinstance(up, cst.Attribute) and up.value is node)
            or (isinstance(up, cst.Subscript) and up.value is node and obj.kind == "remotes")
            or isinstance(up, cst.AssignTarget | cst.AsName | cst.NameItem | cst.Expr)
            or (isinstance(up, cst.Assign) and [type(t.target) for t in up.targets] == [cst.Name])
            or (isinstance(up, cst.AnnAssign | cst.NamedExpr) and isinstance(up.target, cst.Name))
            or (isinstance(up, cst.WithItem) and (up.asname is None or isinstance(up.asname.name, cst.Name)))
            or (isinstance(up, cst.Arg) and obj.kind == "request"
                and isinstance(call := self.parent(up), cst.Call) and bool(self.qnames(call.func) & _URLOPEN))
        )
        if not kept:
            self.note(node, f"{obj.label} object passed to code that is not followed")

    # --- credentials on HTTP requests ---------------------------------------------------------

    def headers_auth(self, expr: cst.BaseExpression) -> bool | None:
        """Whether a headers mapping carries Authorization (None: cannot tell)."""
        if isinstance(expr, cst.Name) and expr.value == "None":
            return False
        keys = self.keys(expr)
        if keys is None:
            return None
        return True if "authorization" in keys.names else False if keys.complete else None

    def call_auth(self, call: cst.Call, base: bool | None) -> bool | None:
        """Credentials passed with a call (``auth=``, ``headers=``, ``**kwargs``) on top of ``base``."""
        verdicts = [base]
        for a in call.args:
            kw = a.keyword.value if a.keyword is not None else None
            if a.star == "**":
                verdicts.append(None)
            elif kw == "auth":
                verdicts.append(not (isinstance(a.value, cst.Name) and a.value.value == "None"))
            elif kw == "headers":
                verdicts.append(self.headers_auth(a.value))
        return _combine(verdicts)

    def holder_auth(self, obj: Obj) -> bool | None:
        """Credentials a session or Request carries: from its constructor and what is set on it later."""
        verdicts: list[bool | None] = [False]
        if obj.ctor is not None and obj.kind == "session":
            verdicts.append(self.call_auth(obj.ctor, False))
        elif obj.ctor is not None and obj.kind == "request":
            rpos = [a.value for a in obj.ctor.args if a.keyword is None and not a.star]
            headers = rpos[2] if len(rpos) > 2 else self.kwarg(obj.ctor, "headers")
            verdicts.append(self.headers_auth(headers) if headers is not None else False)
        for binding in obj.bindings:
            for node, up in self.uses(binding):
                if isinstance(up, cst.Attribute) and up.value is node:
                    verdicts.append(self._attribute_auth(up))
        return _combine(verdicts)

    def _attribute_auth(self, attr: cst.Attribute) -> bool | None:
        name, up = attr.attr.value, self.parent(attr)
        if name == "auth":
            return isinstance(up, cst.AssignTarget)
        if name in ("add_header", "add_unredirected_header") and isinstance(up, cst.Call) and up.args:
            key = self.string(up.args[0].value)
            return None if key is None else key.lower() == "authorization"
        if name != "headers":
            return False
        if isinstance(up, cst.AssignTarget) and isinstance(stmt := self.parent(up), cst.Assign):
            return self.headers_auth(stmt.value)
        if isinstance(up, cst.Attribute) and up.attr.value == "update":
            call = self.parent(up)
            return self.headers_auth(call.args[0].value) if isinstance(call, cst.Call) and call.args else None
        if isinstance(up, cst.Subscript) and self.stored_subscript(up):
            idx = up.slice[0].slice if len(up.slice) == 1 else None
            key = self.string(idx.value) if isinstance(idx, cst.Index) else None
            return None if key is None else key.lower() == "authorization"
        if isinstance(up, cst.AugAssign) or (isinstance(up, cst.Attribute) and up.attr.value == "setdefault"):
            return None
        return False  # read

    # --- GitPython arguments ------------------------------------------------------------------

    def git_options(self, call: cst.Call) -> Seq:
        """GitPython's keyword arguments as options: ``force=True`` → ``--force``, ``u=x`` → ``-u x``."""
        out = Seq((), True)
        for a in call.args:
            if a.star == "**":
                return out + None
            if a.keyword is None or a.keyword.value in _GIT_OWN_KW:
                continue
            key, value = a.keyword.value, a.value
            flag = f"-{key}" if len(key) == 1 else "--" + key.replace("_", "-")
            if isinstance(value, cst.Name) and value.value in ("True", "False", "None"):
                out = out + Seq((flag,) if value.value == "True" else (), True)
                continue
            text = value.value if isinstance(value, cst.Integer) else self.string(value)
            if text is None:
                out = out + Seq((None,), True)
            else:
                out = out + Seq((flag, text) if len(key) == 1 else (f"{flag}={text}",), True)
        return out

    def arg_seq(self, args: Sequence[cst.Arg]) -> Seq:
        """Positional arguments as program arguments (``*rest`` is followed when it is a literal list)."""
        out = Seq((), True)
        for a in args:
            if a.keyword is not None or a.star == "**":
                continue
            if a.star or isinstance(a.value, cst.List | cst.Tuple):
                out = out + self.seq(a.value)
            else:
                out = out + Seq((self.element(a.value),), True)
        return out


def _combine(verdicts: Sequence[bool | None]) -> bool | None:
    return True if True in verdicts else None if None in verdicts else False
