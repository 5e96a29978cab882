"""Cutting a Python string literal at offsets of its value, keeping its source form: the pieces
keep the literal's prefix, quotes and escape sequences, so ``"Bearer ghp_…\\n"`` cut around the token
gives ``"Bearer "`` and ``"\\n"``. A cut that falls inside an escape sequence, or a piece that would
not evaluate to its part of the value, gives None: the caller leaves such a literal alone.
"""

from __future__ import annotations

import ast
import re
import warnings

import libcst as cst

Piece = tuple[str, cst.BaseExpression | None]


def cut(lit: cst.SimpleString, value: str, spans: list[tuple[int, int]]) -> list[Piece] | None:
    """``lit`` (whose value is ``value``) cut around ``spans`` of its value, in order and not
    overlapping: ``(text, literal)`` for each non-empty part kept, ``(text, None)`` for each span;
    None when a cut falls inside an escape sequence or a piece would not evaluate to its text."""
    prefix, quote = lit.prefix, lit.quote
    body = lit.value[len(prefix) + len(quote):-len(quote)]
    offsets = _offsets(body, "r" in prefix.lower())  # value index -> body index at unit boundaries
    cuts = [0]
    for start, end in spans:
        cuts += [start, end]
    cuts.append(len(value))
    pieces: list[Piece] = []
    for i, (a, b) in enumerate(zip(cuts, cuts[1:], strict=False)):
        if i % 2:
            pieces.append((value[a:b], None))
            continue
        if a == b:
            continue
        if a not in offsets or b not in offsets:
            return None
        text = f"{prefix}{quote}{body[offsets[a]:offsets[b]]}{quote}"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exact = ast.literal_eval(text) == value[a:b]
        except (SyntaxError, ValueError):
            exact = False
        if not exact:
            return None
        pieces.append((value[a:b], cst.SimpleString(text)))
    return pieces


def _offsets(body: str, raw: bool) -> dict[int, int]:
    """Value index -> body index at every boundary between source units (a character, a CRLF, an
    escape sequence)."""
    out = {0: 0}
    v = i = 0
    while i < len(body):
        if body.startswith("\r\n", i):
            unit = "\r\n"
        elif body[i] != "\\" or raw:
            unit = body[i]
        else:
            m = re.match(r"\\(\r\n|[0-7]{1,3}|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|N\{[^}]*\}|.)",
                         body[i:], re.S)
            if m is None:
                return out
            unit = m.group()
        if len(unit) > 1:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    size = len(ast.literal_eval(f"'''{unit}'''"))
            except (SyntaxError, ValueError):
                return out
        else:
            size = 1
        i += len(unit)
        v += size
        out[v] = i
    return out
