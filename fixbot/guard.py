"""The guard: an edited file must re-parse, and differ from the input only by the intended ops."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from fixbot.errors import GuardError, InputError
from fixbot.types import DeleteOp, InsertOp, SemanticOp, SetOp
from fixbot.yamlmodel import Document, Plain


def expected_data(data: Plain, ops: Iterable[SemanticOp]) -> Plain:
    """The input data with the ops applied (sets first, then inserts and deletes, last first)."""
    out = copy.deepcopy(data)
    ops = list(ops)
    for op in ops:
        if isinstance(op, SetOp):
            if not op.path:
                out = copy.deepcopy(op.value)
                continue
            parent = _walk(out, op.path[:-1])
            parent[op.path[-1]] = copy.deepcopy(op.value)
    positional = [op for op in ops if not isinstance(op, SetOp)]
    positional.sort(key=lambda op: op.index if isinstance(op, InsertOp) else op.path[-1],
                    reverse=True)
    for op in positional:
        if isinstance(op, InsertOp):
            seq = _walk(out, op.path)
            seq.insert(op.index, copy.deepcopy(op.value))
        elif isinstance(op, DeleteOp):
            parent = _walk(out, op.path[:-1])
            del parent[op.path[-1]]
    return out


def _walk(data: Any, path: Iterable[Any]) -> Any:
    for part in path:
        data = data[part]
    return data


def check(new_text: str, before: Document, ops: Iterable[SemanticOp]) -> Document:
    """Re-parse ``new_text`` and compare its data with the intended result; return the new doc."""
    try:
        after = Document(new_text)
    except InputError as e:
        raise GuardError(f"the edited file does not parse ({e})") from e
    try:
        want = expected_data(before.data, ops)
    except (KeyError, IndexError, TypeError) as e:
        raise GuardError(f"the intended change does not fit the document ({e!r})") from e
    if after.data != want:
        raise GuardError(f"the edited file differs from the intended change {_first_diff(want, after.data)}")
    return after


def _first_diff(want: Any, got: Any, path: str = "") -> str:
    if isinstance(want, dict) and isinstance(got, dict):
        for k in list(want) + [k for k in got if k not in want]:
            if k not in got:
                return f"at {path}.{k}: missing"
            if k not in want:
                return f"at {path}.{k}: unexpected key"
            if want[k] != got[k]:
                return _first_diff(want[k], got[k], f"{path}.{k}")
    if isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        for i, (a, b) in enumerate(zip(want, got, strict=True)):
            if a != b:
                return _first_diff(a, b, f"{path}[{i}]")
    return f"at {path or '(root)'}: expected {want!r:.80}, got {got!r:.80}"
