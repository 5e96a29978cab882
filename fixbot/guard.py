"""The guard: an edited file must re-parse, and differ from the input only by the intended ops."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterable
from typing import Any

from fixbot.errors import GuardError, InputError
from fixbot.types import DataPath, DeleteOp, InsertOp, SemanticOp, SetOp
from fixbot.yamlmodel import Document, Plain


def expected_data(data: Plain, ops: Iterable[SemanticOp]) -> Plain:
    """The input data with the ops applied.

    Every op's path and index refer to the *input* document (all edits of one transform are
    computed from it). Sets go first (they never shift an index). Inserts and deletes are then
    grouped per container (the sequence inserted into, the mapping or sequence deleted from)
    and applied deepest container first, so a path through a sequence is followed before an
    op on that sequence shifts its items; inside one sequence they go last index first, a
    delete before an insert at the same index (the new item goes before the one that was there).
    """
    out = copy.deepcopy(data)
    ops = list(ops)
    for op in ops:
        if isinstance(op, SetOp):
            if not op.path:
                out = copy.deepcopy(op.value)
                continue
            parent = _walk(out, op.path[:-1])
            parent[op.path[-1]] = copy.deepcopy(op.value)
    groups: dict[DataPath, list[InsertOp | DeleteOp]] = {}
    for op in ops:
        if isinstance(op, InsertOp):
            groups.setdefault(op.path, []).append(op)
        elif isinstance(op, DeleteOp):
            if not op.path:
                raise GuardError("cannot delete the whole document")
            groups.setdefault(op.path[:-1], []).append(op)
    for container in sorted(groups, key=len, reverse=True):
        for op in sorted(groups[container], key=_position, reverse=True):
            if isinstance(op, InsertOp):
                seq = _walk(out, op.path)
                if not isinstance(seq, list):
                    raise TypeError(f"insert into a {type(seq).__name__}")
                seq.insert(op.index, copy.deepcopy(op.value))
            else:
                parent = _walk(out, op.path[:-1])
                del parent[op.path[-1]]
    return out


def _position(op: InsertOp | DeleteOp) -> tuple[int, int]:
    """Sort key inside one container: the index (mapping keys all sort alike), delete after
    insert so that, reversed, a delete at an index comes before an insert there."""
    if isinstance(op, InsertOp):
        return (op.index, 0)
    last = op.path[-1]
    return (last if isinstance(last, int) else 0, 1)


def _walk(data: Any, path: Iterable[Any]) -> Any:
    for part in path:
        data = data[part]
    return data


def check(new_text: str, before: Document, ops: Iterable[SemanticOp],
          moved: Iterable[str] = ()) -> Document:
    """Re-parse ``new_text`` and compare its data with the intended result; return the new doc.

    ``moved``: the texts of comments a change carries to another file with the lines they
    comment (a split's version comments); only those may leave the file."""
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
    lost = (Counter(c.text for c in before.comments()) - Counter(c.text for c in after.comments())
            - Counter(moved))
    if lost:
        first = next(c for c in before.comments() if c.text in lost)
        raise GuardError(f"the edit drops the comment on line {before.line_of(first.start)} "
                         f"({first.text!r:.80})")
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
