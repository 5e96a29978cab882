"""A LibCST codemod: hardcoded credentials in a Python script's string literals become reads of
``os.environ["NAME"]``, so the workflow step that runs the script can pass them from ``secrets``.

A string literal is a credential when ``secret_values.find`` flags its value, given the name it is
assigned to (see ``_assigned_name``). The whole literal becomes ``os.environ["NAME"]``; a credential
that is part of a literal keeps the rest (``"Bearer " + os.environ["NAME"]``, parenthesised where
the context needs it). What cannot be rewritten into an equivalent expression (f-strings, bytes,
format strings, docstrings, keys, match patterns, annotations, implicit concatenations that hold
more than the credential) is listed in ``Rewrite.left`` with the line and a redacted form, never the
value. ``import os`` is added after the docstring and ``__future__`` imports (LibCST's
``AddImportsVisitor``), an existing top-level ``import os`` or ``import os as o`` is reused, and a
script whose ``os`` names something else keeps its literals. Unset variables raise ``KeyError``:
intended, the step sets them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import libcst as cst
from libcst.codemod import (
    CodemodContext,
    TransformFailure,
    TransformSuccess,
    VisitorBasedCodemodCommand,
    transform_module,
)
from libcst.codemod.visitors import AddImportsVisitor
from libcst.helpers import get_full_name_for_node
from libcst.metadata import (
    Assignment,
    BaseAssignment,
    GlobalScope,
    ParentNodeProvider,
    PositionProvider,
    Scope,
    ScopeProvider,
)

from fixbot.kb.python_string_cut import Piece, cut
from fixbot.kb.secret_values import Found, find, redacted

Finder = Callable[[str, str | None], list[Found]]
NameFor = Callable[[Found, str | None], str]


@dataclass(frozen=True)
class Moved:
    name: str  # env variable / secret name the literal now reads
    found: Found  # what was found (span relative to the literal's value)
    line: int  # 1-based line of the literal in the original source
    # the credential itself, for SecretValue / --create-secrets: never printed (repr hides it)
    value: str = field(default="", repr=False)


@dataclass(frozen=True)
class Rewrite:
    after: str  # the new source; equals the input when nothing moved
    moved: tuple[Moved, ...]
    left: tuple[str, ...]  # why a found credential was left alone (no value in the text)


def rewrite(source: str, name_for: NameFor, finder: Finder | None = None,
            known: Callable[[str], str | None] | None = None) -> Rewrite:
    """Move the credentials of ``source`` into ``os.environ`` reads. ``name_for(found, assigned)``
    proposes a name, called once per distinct value in source order; distinct values proposed the
    same name get ``_2``, ``_3`` … ``finder`` defaults to ``secret_values.find``."""
    command = MoveCredentials(CodemodContext(), name_for, finder or find, known)
    result = transform_module(command, source)
    if isinstance(result, TransformFailure):
        if isinstance(result.error, cst.ParserSyntaxError):
            why = f"the script does not parse as Python: {_parse_error(result.error)}"
            return Rewrite(source, (), (why,))
        raise result.error
    assert isinstance(result, TransformSuccess)
    if not command.moved:
        return Rewrite(source, (), tuple(command.left))
    bom = "\ufeff" if source.startswith("\ufeff") and not result.code.startswith("\ufeff") else ""
    return Rewrite(bom + result.code, tuple(command.moved), tuple(command.left))


def _parse_error(e: cst.ParserSyntaxError) -> str:
    """LibCST's message without the source line it quotes (which may hold the value)."""
    first = e.message.splitlines()[0] if e.message else "syntax error"
    first = re.sub(r"'[^']*'|\"[^\"]*\"", "…", first)
    return f"line {e.raw_line}: {first[:160]}"


# calls whose first argument names the variable the second one is the value of
_ENV_CALLS = ("environ.get", "environ.setdefault", "getenv", "putenv")
# contexts where ``a + b`` may replace a literal without parentheses
_LOOSE = (cst.Assign, cst.AnnAssign, cst.AugAssign, cst.Return, cst.DictElement, cst.Element, cst.Param,
          cst.Comparison, cst.ComparisonTarget, cst.BooleanOperation, cst.IfExp, cst.Lambda, cst.Yield)


class MoveCredentials(VisitorBasedCodemodCommand):
    DESCRIPTION = "Hardcoded credentials in string literals read os.environ instead."
    METADATA_DEPENDENCIES = (ParentNodeProvider, PositionProvider, ScopeProvider)

    def __init__(self, context: CodemodContext, name_for: NameFor, finder: Finder,
                 known: Callable[[str], str | None] | None = None) -> None:
        super().__init__(context)
        self.name_for = name_for
        self.known = known  # the name a credential already has elsewhere (by its value)
        self.finder = finder
        self.moved: list[Moved] = []
        self.left: list[str] = []
        self.names: dict[str, str] = {}  # value -> name
        self.accessor = "os"  # the name ``os.environ`` is read through
        self.add_import = False
        self.existing: list[BaseAssignment] = []  # the top-level imports the accessor is bound by
        self.no_os: str | None = None  # why no literal of this module can read os.environ

    # --- the module's ``os`` ---------------------------------------------------------------------

    def visit_Module(self, node: cst.Module) -> None:
        scope = self.get_metadata(ScopeProvider, node)
        assert isinstance(scope, GlobalScope)
        os_bound = list(scope["os"])
        if os_bound and all(self._imports_os(a, "os") for a in os_bound):
            self.existing = os_bound
            return
        aliases = sorted({a.name for a in scope.assignments if self._imports_os(a, a.name)} - {"os"})
        usable = [n for n in aliases if all(self._imports_os(a, n) for a in scope[n])]
        if usable:
            self.accessor = usable[0]
            self.existing = list(scope[usable[0]])
        elif os_bound:
            self.no_os = (f"the name os is bound by something other than a top-level import os "
                          f"(line {self._bound_at(os_bound[0])})")
        else:
            self.add_import = True

    def _imports_os(self, a: BaseAssignment, name: str, top: bool = True) -> bool:
        """``a`` is an ``import os`` (``import os.path``, ``import os as name``) binding ``name``, a
        statement of the module's top level when ``top``."""
        imp = a.node if isinstance(a, Assignment) else None
        if not isinstance(imp, cst.Import) or top and not self._top_level(imp):
            return False
        for alias in imp.names:
            dotted = get_full_name_for_node(alias.name) or ""
            bound = alias.evaluated_alias or dotted.split(".")[0]
            if bound == name and (dotted == "os" or (alias.asname is None and dotted.startswith("os."))):
                return True
        return False

    def _bound_at(self, a: BaseAssignment) -> int:
        return self._line(a.node) if isinstance(a, Assignment) else 0

    def _top_level(self, node: cst.CSTNode) -> bool:
        line = self.get_metadata(ParentNodeProvider, node)
        return isinstance(line, cst.SimpleStatementLine) and isinstance(
            self.get_metadata(ParentNodeProvider, line), cst.Module)

    def _cannot_read_env(self, node: cst.CSTNode) -> str | None:
        """Why ``node`` cannot be replaced by a read of ``<accessor>.environ`` (None: it can)."""
        if self.no_os:
            return self.no_os
        scope: Scope | None = self.get_metadata(ScopeProvider, node, None)
        visible = set(scope[self.accessor]) if scope is not None else set()
        line = self._line(node)
        if visible != set(self.existing):  # bound in a function or class: usable if imported before
            if visible and all(self._imports_os(a, self.accessor, top=False) for a in visible):
                first = min(self._bound_at(a) for a in visible)
                return None if first < line else f"import os comes later in this scope (line {first})"
            return f"the name {self.accessor} is bound to something else here"
        first = min((self._bound_at(a) for a in self.existing), default=0)
        if self.existing and first > line and not self._deferred(node):
            imported = "os" if self.accessor == "os" else f"os as {self.accessor}"
            return f"import {imported} comes later (line {first})"
        return None

    def _deferred(self, node: cst.CSTNode) -> bool:
        """``node`` runs when a function is called, not when the module is imported."""
        for child, parent in self._ancestors(node):
            if isinstance(parent, cst.FunctionDef | cst.Lambda) and child is parent.body:
                return True
        return False

    # --- literals ---------------------------------------------------------------------------------

    def leave_SimpleString(self, original_node: cst.SimpleString,
                           updated_node: cst.SimpleString) -> cst.BaseExpression:
        if isinstance(self.get_metadata(ParentNodeProvider, original_node), cst.ConcatenatedString):
            return updated_node
        return self._literal(original_node, [original_node])

    def leave_ConcatenatedString(self, original_node: cst.ConcatenatedString,
                                 updated_node: cst.ConcatenatedString) -> cst.BaseExpression:
        if isinstance(self.get_metadata(ParentNodeProvider, original_node), cst.ConcatenatedString):
            return updated_node
        parts = list(_parts(original_node))
        if all(isinstance(p, cst.SimpleString) for p in parts):
            return self._literal(original_node, [p for p in parts if isinstance(p, cst.SimpleString)])
        for p in parts:  # an implicit f-string: its plain parts are reported here, its f-parts below
            if isinstance(p, cst.SimpleString) and isinstance(v := p.evaluated_value, str):
                self._leave(original_node, v, self.finder(v, self._assigned_name(original_node)),
                            "is part of an f-string")
        return updated_node

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        outer: cst.BaseExpression = node
        while isinstance(up := self.get_metadata(ParentNodeProvider, outer), cst.ConcatenatedString):
            outer = up
        # its text with each {expression} as "{}" (a run-time value, which no rule takes for a credential)
        text = "".join(p.value if isinstance(p, cst.FormattedStringText) else "{}" for p in node.parts)
        self._leave(node, text, self.finder(text, self._assigned_name(outer)), "is in an f-string")

    def _literal(self, node: cst.SimpleString | cst.ConcatenatedString,
                 parts: list[cst.SimpleString]) -> cst.BaseExpression:
        value = node.evaluated_value
        if isinstance(value, bytes):
            text = value.decode("latin-1")
            self._leave(node, text, self.finder(text, self._assigned_name(node)), "is in a bytes literal")
            return node
        if value is None:
            return node
        found = self.finder(value, self._assigned_name(node))
        if not found:
            return node
        whole = len(found) == 1 and (found[0].start, found[0].end) == (0, len(value))
        why = self._why_not(node, whole) or self._cannot_read_env(node)
        pieces: list[Piece] | None = None
        if why is None and not whole:
            pieces = cut(parts[0], value, [(f.start, f.end) for f in found])
            if pieces is None:
                why = "is part of a literal that cannot be split exactly (escape sequences)"
        if why is not None:
            self._leave(node, value, found, why)
            return node
        line = self._line(node)
        scope: Scope | None = self.get_metadata(ScopeProvider, node, None)
        if self.add_import and not (scope is not None and scope[self.accessor]):
            AddImportsVisitor.add_needed_import(self.context, "os")
        reads = [self._read(f, value, node, line, parts[0].quote[0]) for f in found]
        if pieces is None:
            return reads[0].with_changes(lpar=node.lpar, rpar=node.rpar)
        exprs = [p if p is not None else reads.pop(0) for _, p in pieces]
        expr: cst.BaseExpression = exprs[0]
        for e in exprs[1:]:
            expr = cst.BinaryOperation(expr, cst.Add(), e)
        if node.lpar:
            return expr.with_changes(lpar=node.lpar, rpar=node.rpar)
        if not self._loose(node):
            return expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        return expr

    def _read(self, found: Found, value: str, node: cst.SimpleString | cst.ConcatenatedString,
              line: int, quote: str) -> cst.Subscript:
        secret = found.value(value)
        name = self.names.get(secret)
        if name is None and self.known is not None:
            name = self.known(secret)
            if name is not None:
                self.names[secret] = name
        if name is None:
            proposed = self.name_for(found, self._assigned_name(node))
            name, n = proposed, 1
            while name in self.names.values():
                n += 1
                name = f"{proposed}_{n}"
            self.names[secret] = name
        self.moved.append(Moved(name, found, line, secret))
        return cst.Subscript(cst.Attribute(cst.Name(self.accessor), cst.Name("environ")),
                             [cst.SubscriptElement(cst.Index(cst.SimpleString(f"{quote}{name}{quote}")))])

    def _why_not(self, node: cst.CSTNode, whole: bool) -> str | None:
        """Why the literal ``node`` cannot become an expression (None: it can)."""
        parent = self.get_metadata(ParentNodeProvider, node)
        if isinstance(parent, cst.Expr):
            return "is in a docstring or a string statement"
        if isinstance(parent, cst.DictElement) and parent.key is node or isinstance(parent, cst.Index):
            return "is used as a key"
        if isinstance(parent, cst.BinaryOperation) and isinstance(parent.operator, cst.Modulo) \
                and parent.left is node:
            return "is a %-format string"
        if isinstance(parent, cst.Attribute) and parent.value is node and parent.attr.value in (
                "format", "format_map"):
            return "is a str.format string"
        if isinstance(node, cst.ConcatenatedString):
            if not whole:
                return "is part of an implicitly concatenated string"
            if _has_comment(node):
                return "is an implicitly concatenated string with comments inside"
        for _, up in self._ancestors(node):
            if isinstance(up, cst.FormattedString):
                return "is inside an f-string"
            if isinstance(up, cst.Annotation):
                return "is in a type annotation"
            if isinstance(up, cst.MatchPattern):
                return "is in a match pattern"
            if isinstance(up, cst.BaseStatement):
                break
        return None

    def _loose(self, node: cst.CSTNode) -> bool:
        """``a + b`` may stand where ``node`` is without parentheses."""
        parent = self.get_metadata(ParentNodeProvider, node)
        if isinstance(parent, cst.Arg):
            return parent.star == ""
        if isinstance(parent, cst.BinaryOperation):
            return isinstance(parent.operator, cst.Add) and parent.left is node
        if isinstance(parent, cst.IfExp):
            return parent.test is not node
        return isinstance(parent, _LOOSE)

    def _leave(self, node: cst.CSTNode, text: str, found: list[Found], why: str) -> None:
        line = self._line(node)
        for f in found:
            self.left.append(f"line {line}: {f.label} [{redacted(f.kind, f.value(text))}] {why}: left as is")

    # --- the name a literal is assigned to ----------------------------------------------------------

    def _assigned_name(self, node: cst.CSTNode) -> str | None:
        """What the literal is the value of: ``X = …``, ``X: str = …``, ``self.X = …``, ``X += …``,
        ``f(X=…)``, ``{"X": …}``, ``os.environ["X"] = …``, ``os.environ.get/setdefault("X", …)``,
        ``os.getenv("X", …)``, ``def f(X=…)``, ``X == …``; through ``or``/``and``, ``… if … else …``
        and ``+``. None elsewhere."""
        child, parent = node, self.get_metadata(ParentNodeProvider, node)
        while (isinstance(parent, cst.BooleanOperation)
               or isinstance(parent, cst.IfExp) and parent.test is not child
               or isinstance(parent, cst.BinaryOperation) and isinstance(parent.operator, cst.Add)):
            child, parent = parent, self.get_metadata(ParentNodeProvider, parent)
        tup = self.get_metadata(ParentNodeProvider, parent) if isinstance(parent, cst.Element) else None
        if isinstance(parent, cst.Element) and isinstance(tup, cst.Tuple):
            assign = self.get_metadata(ParentNodeProvider, tup)
            if isinstance(assign, cst.Assign) and assign.value is tup:
                target = assign.targets[0].target
                if isinstance(target, cst.Tuple) and len(target.elements) == len(tup.elements):
                    return _target_name(target.elements[list(tup.elements).index(parent)].value)
            return None
        if isinstance(parent, cst.Assign):
            return _target_name(parent.targets[0].target)
        if isinstance(parent, cst.AnnAssign | cst.AugAssign):
            return _target_name(parent.target)
        if isinstance(parent, cst.Param):
            return parent.name.value
        if isinstance(parent, cst.DictElement) and parent.value is child:
            return _target_name(parent.key)
        if isinstance(parent, cst.Comparison):
            return _target_name(parent.comparisons[0].comparator) if len(parent.comparisons) == 1 else None
        if isinstance(parent, cst.ComparisonTarget):
            comparison = self.get_metadata(ParentNodeProvider, parent)
            return _target_name(comparison.left) if isinstance(comparison, cst.Comparison) and len(
                comparison.comparisons) == 1 else None
        if isinstance(parent, cst.Arg):
            if parent.keyword is not None:
                return parent.keyword.value
            call = self.get_metadata(ParentNodeProvider, parent)
            if isinstance(call, cst.Call) and len(call.args) >= 2 and call.args[1] is parent:
                func = get_full_name_for_node(call.func) or ""
                if any(func == f or func.endswith("." + f) for f in _ENV_CALLS):
                    return _target_name(call.args[0].value)
        return None

    def _ancestors(self, node: cst.CSTNode) -> Iterator[tuple[cst.CSTNode, cst.CSTNode]]:
        child = node
        while (parent := self.get_metadata(ParentNodeProvider, child, None)) is not None:
            yield child, parent
            child = parent

    def _line(self, node: cst.CSTNode) -> int:
        return self.get_metadata(PositionProvider, node).start.line


def _target_name(expr: cst.BaseExpression) -> str | None:
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    if isinstance(expr, cst.SimpleString) and isinstance(v := expr.evaluated_value, str):
        return v
    if isinstance(expr, cst.Subscript) and len(expr.slice) == 1 and isinstance(idx := expr.slice[0].slice,
                                                                               cst.Index):
        return _target_name(idx.value) if isinstance(idx.value, cst.SimpleString) else None
    return None


def _parts(node: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    if isinstance(node, cst.ConcatenatedString):
        yield from _parts(node.left)
        yield from _parts(node.right)
    else:
        yield node


class _Comments(cst.CSTVisitor):
    def __init__(self) -> None:
        self.seen = False

    def visit_Comment(self, node: cst.Comment) -> None:
        self.seen = True


def _has_comment(node: cst.CSTNode) -> bool:
    v = _Comments()
    node.visit(v)
    return v.seen
