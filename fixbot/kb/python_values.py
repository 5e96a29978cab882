"""Literal values in a Python script, read with libcst: strings, lists of strings, dict keys, URLs.

A name stands for its value only when its scope binds it exactly once (``x = …``, ``x: T = …``,
``with … as x``, ``(x := …)``) and, for lists and dicts, nothing changes it in place that we cannot
follow. Everything else is dynamic (``None``): the caller decides what dynamic means, never this module.
"""

from __future__ import annotations

import ast
import shlex
from dataclasses import dataclass
from string import Formatter

import libcst as cst
from libcst.metadata import (
    Assignment,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    QualifiedNameSource,
    ScopeProvider,
)

HOLE = "{…}"  # stands for a part of a string that is only known at run time
_MAX_DEPTH = 8  # names bound to names bound to names …
_DICT_SETTERS = ("update", "setdefault")
_LIST_MUTATORS = frozenset({"append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse"})


@dataclass(frozen=True)
class Seq:
    """A list of strings as far as it is known."""

    items: tuple[str | None, ...]  # None: an element only known at run time
    complete: bool  # False: more elements, how many unknown, follow ``items``

    @property
    def argv(self) -> tuple[str, ...] | None:
        if not self.complete or any(i is None for i in self.items):
            return None
        return tuple(i for i in self.items if i is not None)

    @property
    def prefix(self) -> tuple[str, ...]:
        out: list[str] = []
        for i in self.items:
            if i is None:
                break
            out.append(i)
        return tuple(out)

    def __add__(self, other: Seq | None) -> Seq:
        if not self.complete:
            return self
        if other is None:
            return Seq(self.items, False)
        return Seq(self.items + other.items, other.complete)


@dataclass(frozen=True)
class Keys:
    """The keys of a dict, lower-cased, as far as they are known."""

    names: frozenset[str]
    complete: bool  # False: keys that are only known at run time may be present


class ValueReader(cst.CSTVisitor):
    """Base visitor: resolves names and evaluates literal expressions through libcst metadata."""

    METADATA_DEPENDENCIES = (PositionProvider, QualifiedNameProvider, ScopeProvider, ParentNodeProvider)

    # --- names ----------------------------------------------------------------------------------

    def qnames(self, node: cst.CSTNode, depth: int = 0) -> frozenset[str]:
        """Imported or builtin dotted names ``node`` refers to (``sp.run`` → ``subprocess.run``),
        modules imported by a literal name at run time included (``sp =
        importlib.import_module("subprocess")``, ``__import__("subprocess").run``)."""
        names = self.get_metadata(QualifiedNameProvider, node, set())
        found = frozenset(q.name for q in names
                          if q.source in (QualifiedNameSource.IMPORT, QualifiedNameSource.BUILTIN))
        # libcst names ``f("x").attr`` after ``f``: a module imported at run time is looked at first
        module = self._run_time_module(node, depth) if depth <= _MAX_DEPTH else None
        return frozenset({module}) if module else found

    def _run_time_module(self, node: cst.CSTNode, depth: int) -> str | None:
        """The dotted name ``node`` stands for when its root is a module imported by a literal
        name through ``importlib.import_module`` or ``__import__``."""
        if isinstance(node, cst.Attribute):
            base = self._run_time_module(node.value, depth)
            return f"{base}.{node.attr.value}" if base else None
        if isinstance(node, cst.Name):
            bound = self.bound_value(node)
            return self._run_time_module(bound[0], depth + 1) if bound is not None else None
        if not isinstance(node, cst.Call):
            return None
        func = self.qnames(node.func, depth + 1)
        pos = [a.value for a in node.args if a.keyword is None and not a.star]
        name = self.string(pos[0]) if pos and not any(a.star for a in node.args) else None
        if name is None or name.startswith("."):
            return None
        if "importlib.import_module" in func and len(node.args) == 1:
            return name
        if "builtins.__import__" in func:
            from_list = pos[3] if len(pos) > 3 else next(
                (a.value for a in node.args if a.keyword is not None and a.keyword.value == "fromlist"), None)
            empty = from_list is None or (isinstance(from_list, cst.List | cst.Tuple)
                                          and not from_list.elements)
            return name.split(".")[0] if empty else name  # __import__("a.b") is the package a
        return None

    def line(self, node: cst.CSTNode) -> int:
        return self.get_metadata(PositionProvider, node).start.line

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.get_metadata(ParentNodeProvider, node, None)

    def assignment(self, name: cst.Name) -> Assignment | None:
        """The single binding of ``name`` in its scope, or None (several, a parameter, a builtin …)."""
        scope = self.get_metadata(ScopeProvider, name, None)
        if scope is None:
            return None
        found = scope[name.value]
        if len(found) != 1:
            return None
        only = next(iter(found))
        return only if isinstance(only, Assignment) and isinstance(only.node, cst.Name) else None

    def bound_value(self, name: cst.Name) -> tuple[cst.BaseExpression, Assignment] | None:
        """The expression a singly-bound name stands for."""
        binding = self.assignment(name)
        if binding is None or not isinstance(binding.node, cst.Name):
            return None
        target = binding.node
        up = self.parent(target)
        value: cst.BaseExpression | None = None
        if isinstance(up, cst.AssignTarget):
            stmt = self.parent(up)
            value = stmt.value if isinstance(stmt, cst.Assign) else None
        elif isinstance(up, cst.AnnAssign | cst.NamedExpr) and up.target is target:
            value = up.value
        elif isinstance(up, cst.AsName) and isinstance(item := self.parent(up), cst.WithItem):
            value = item.item
        return (value, binding) if value is not None else None

    def uses(self, binding: Assignment) -> list[tuple[cst.CSTNode, cst.CSTNode | None]]:
        """Every read of a binding, with the node around it."""
        return [(a.node, self.parent(a.node)) for a in binding.references]

    def stored_subscript(self, node: cst.CSTNode) -> bool:
        """``node`` is ``x[k]`` on the left of ``=``, ``+=`` or ``del``."""
        up = self.parent(node)
        return isinstance(up, cst.AssignTarget | cst.Del) or (
            isinstance(up, cst.AugAssign) and up.target is node)

    # --- strings --------------------------------------------------------------------------------

    def string(self, expr: cst.BaseExpression, depth: int = 0) -> str | None:
        """The value of a string expression built only from literals, else None."""
        rendered = self._render(expr, depth)
        return rendered[0] if rendered is not None and rendered[1] else None

    def render(self, expr: cst.BaseExpression) -> str | None:
        """A string with ``{…}`` for its run-time parts; None when no part of it is literal."""
        rendered = self._render(expr, 0)
        return rendered[0] if rendered is not None and rendered[0].replace(HOLE, "") else None

    def _render(self, expr: cst.BaseExpression, depth: int) -> tuple[str, bool] | None:
        """(text, fully literal) or None when nothing is known."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, cst.SimpleString):
            value = expr.evaluated_value
            return (value.decode("utf-8", "replace") if isinstance(value, bytes) else value), True
        if isinstance(expr, cst.ConcatenatedString | cst.BinaryOperation) and (
                not isinstance(expr, cst.BinaryOperation) or isinstance(expr.operator, cst.Add)):
            left = self._render(expr.left, depth + 1) or (HOLE, False)
            right = self._render(expr.right, depth + 1) or (HOLE, False)
            if left[0] == right[0] == HOLE:
                return None
            return left[0] + right[0], left[1] and right[1]
        if isinstance(expr, cst.FormattedString):
            return self._fstring(expr)
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Modulo):
            fmt = self.string(expr.left, depth + 1)
            return (_percent_holes(fmt), False) if fmt is not None else None
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
            receiver = self.string(expr.func.value, depth + 1)
            if receiver is not None and expr.func.attr.value == "format":
                return _format_holes(receiver), False
            if receiver is not None and expr.func.attr.value == "join" and len(expr.args) == 1:
                joined = self.seq(expr.args[0].value, depth + 1)
                argv = joined.argv if joined else None
                return (receiver.join(argv), True) if argv is not None else None
        if isinstance(expr, cst.Name) and (bound := self.bound_value(expr)):
            return self._render(bound[0], depth + 1)
        return None

    def _fstring(self, expr: cst.FormattedString) -> tuple[str, bool] | None:
        prefix = expr.prefix.replace("f", "").replace("F", "")
        quote = expr.start[len(expr.prefix):]
        out: list[str] = []
        literal = True
        for part in expr.parts:
            if isinstance(part, cst.FormattedStringText):
                text = part.value.replace("{{", "{").replace("}}", "}")
                try:
                    out.append(ast.literal_eval(prefix + quote + text + expr.end))
                except (ValueError, SyntaxError):
                    return None
            else:
                out.append(HOLE)
                literal = False
        return "".join(out), literal

    # --- sequences and dicts --------------------------------------------------------------------

    def element(self, expr: cst.BaseExpression, depth: int = 0) -> str | None:
        """One program argument: a literal string; ``sys.executable`` reads as ``python``."""
        if "sys.executable" in self.qnames(expr):
            return "python"
        return self.string(expr, depth)

    def seq(self, expr: cst.BaseExpression, depth: int = 0) -> Seq | None:
        """A list of program arguments; None when even its first element is unknown."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, cst.List | cst.Tuple):
            out = Seq((), True)
            for el in expr.elements:
                if isinstance(el, cst.StarredElement):
                    out = out + self.seq(el.value, depth + 1)
                else:
                    out = out + Seq((self.element(el.value, depth + 1),), True)
            return out
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
            left = self.seq(expr.left, depth + 1)
            return left + self.seq(expr.right, depth + 1) if left else None
        if isinstance(expr, cst.Call):
            return self._seq_call(expr, depth)
        if isinstance(expr, cst.Name) and (bound := self.bound_value(expr)):
            value, binding = bound
            for node, up in self.uses(binding):
                if isinstance(up, cst.Attribute) and up.value is node and up.attr.value in _LIST_MUTATORS:
                    return None
                if isinstance(up, cst.Subscript) and self.stored_subscript(up):
                    return None
            return self.seq(value, depth + 1)
        return None

    def _seq_call(self, call: cst.Call, depth: int) -> Seq | None:
        names = self.qnames(call.func)
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == "split" and not call.args:
            text = self.string(call.func.value, depth + 1)
            return Seq(tuple(text.split()), True) if text is not None else None
        arg = call.args[0].value if call.args and not call.args[0].star else None
        if arg is None:
            return None
        if "shlex.split" in names:
            text = self.string(arg, depth + 1)
            try:
                return Seq(tuple(shlex.split(text)), True) if text is not None else None
            except ValueError:
                return None
        if names & {"builtins.list", "builtins.tuple"}:
            return self.seq(arg, depth + 1)
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == "split":
            text = self.string(call.func.value, depth + 1)
            sep = self.string(arg, depth + 1)
            return Seq(tuple(text.split(sep)), True) if text is not None and sep is not None else None
        return None

    def keys(self, expr: cst.BaseExpression, depth: int = 0) -> Keys | None:
        """The keys of a dict display, ``dict(...)`` call or name bound to one (lower-cased)."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, cst.Dict):
            names: set[str] = set()
            complete = True
            for el in expr.elements:
                sub = self.keys(el.value, depth + 1) if isinstance(el, cst.StarredDictElement) else None
                key = self.string(el.key, depth + 1) if isinstance(el, cst.DictElement) else None
                if key is not None:
                    names.add(key.lower())
                elif sub is not None:
                    names |= sub.names
                    complete = complete and sub.complete
                else:
                    complete = False
            return Keys(frozenset(names), complete)
        if isinstance(expr, cst.Call) and "builtins.dict" in self.qnames(expr.func):
            kw = frozenset(a.keyword.value.lower() for a in expr.args if a.keyword is not None)
            return Keys(kw, all(a.keyword is not None for a in expr.args))
        if isinstance(expr, cst.Name) and (bound := self.bound_value(expr)):
            found = self.keys(bound[0], depth + 1)
            return self._keys_added(found, bound[1], depth) if found else None
        return None

    def _keys_added(self, found: Keys, binding: Assignment, depth: int) -> Keys:
        """Keys set later through ``d[k] = v`` or ``d.update({...})`` on a bound dict."""
        names, complete = set(found.names), found.complete
        for node, up in self.uses(binding):
            if isinstance(up, cst.Subscript) and self.stored_subscript(up):
                idx = up.slice[0].slice if len(up.slice) == 1 else None
                key = self.string(idx.value, depth + 1) if isinstance(idx, cst.Index) else None
                if key is None:
                    complete = False
                else:
                    names.add(key.lower())
            elif isinstance(up, cst.Attribute) and up.value is node and up.attr.value in _DICT_SETTERS:
                call = self.parent(up)
                one = isinstance(call, cst.Call) and len(call.args) == 1 and up.attr.value == "update"
                sub = self.keys(call.args[0].value, depth + 1) if one and isinstance(call, cst.Call) else None
                names |= sub.names if sub else set()
                complete = complete and sub is not None and sub.complete
        return Keys(frozenset(names), complete)


def _percent_holes(fmt: str) -> str:
    """``"a/%s/b" % x`` → ``a/{…}/b``: printf-style conversions become holes."""
    out: list[str] = []
    i = 0
    while i < len(fmt):
        if fmt[i] != "%":
            out.append(fmt[i])
            i += 1
            continue
        j = i + 1
        while j < len(fmt) and fmt[j] not in "%diouxXeEfFgGcrsab":
            j += 1
        out.append("%" if fmt[i + 1:j + 1] == "%" else HOLE)
        i = j + 1
    return "".join(out)


def _format_holes(fmt: str) -> str:
    """``"a/{}/b".format(x)`` → ``a/{…}/b`` (str.format's own parser finds the fields)."""
    try:
        parsed = Formatter().parse(fmt)
        return "".join(text + (HOLE if field is not None else "") for text, field, _, _ in parsed)
    except ValueError:
        return HOLE
