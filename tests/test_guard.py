"""The guard's model of an edit: positional ops are applied per container, on input indices."""

from __future__ import annotations

import pytest

from fixbot import yamledit
from fixbot.errors import GuardError
from fixbot.guard import check, expected_data
from fixbot.types import DeleteOp, InsertOp, SetOp
from fixbot.yamlmodel import Document, Mapping, Sequence


def test_key_delete_and_item_insert_in_unrelated_containers() -> None:
    # issue 7 item 11: the index of the insert and the key of the delete were sorted together
    # (int against str: TypeError, reported as "does not fit the document")
    data = {"a": {"b": 1, "c": 2}, "s": ["x", "y"]}
    got = expected_data(data, [DeleteOp(("a", "b")), InsertOp(("s",), 0, "new")])
    assert got == {"a": {"c": 2}, "s": ["new", "x", "y"]}
    got = expected_data(data, [InsertOp(("s",), 2, "end"), DeleteOp(("a", "c"))])
    assert got == {"a": {"b": 1}, "s": ["x", "y", "end"]}
    assert data == {"a": {"b": 1, "c": 2}, "s": ["x", "y"]}  # the input is not touched


def test_indices_of_unrelated_sequences_do_not_interleave() -> None:
    data = {"s": [["a"], ["b"]]}
    # the inner path ("s", 1) names the input's second item, before the outer insert shifts it
    for ops in ([InsertOp(("s",), 0, "new"), InsertOp(("s", 1), 0, "x")],
                [InsertOp(("s", 1), 0, "x"), InsertOp(("s",), 0, "new")]):
        assert expected_data(data, ops) == {"s": ["new", ["a"], ["x", "b"]]}


def test_delete_and_insert_at_the_same_index_of_one_sequence() -> None:
    data = {"s": ["a", "b", "c"]}
    for ops in ([InsertOp(("s",), 1, "new"), DeleteOp(("s", 1))],
                [DeleteOp(("s", 1)), InsertOp(("s",), 1, "new")]):
        assert expected_data(data, ops) == {"s": ["a", "new", "c"]}
    ops2 = [DeleteOp(("s", 0)), DeleteOp(("s", 2)), InsertOp(("s",), 3, "d"), SetOp(("s", 1), "B")]
    assert expected_data(data, ops2) == {"s": ["B", "d"]}


def test_check_accepts_a_key_delete_with_an_insert_spliced_together() -> None:
    text = "a:\n  b: 1\n  c: 2\ns:\n  - x\n  - y\n"
    doc = Document(text)
    style = yamledit.detect_style(doc)
    a = doc.node_at(("a",))
    s = doc.node_at(("s",))
    assert isinstance(a, Mapping) and isinstance(s, Sequence)
    edits = [yamledit.delete_key(doc, a, "b"), yamledit.insert_item(doc, s, 0, "new", style)]
    out = yamledit.apply(text, edits)
    assert out == "a:\n  c: 2\ns:\n  - new\n  - x\n  - y\n"
    after = check(out, doc, [e.op for e in edits])
    assert after.data == {"a": {"c": 2}, "s": ["new", "x", "y"]}


def test_ops_that_do_not_fit_are_a_guard_error() -> None:
    doc = Document("a: {b: 1}\n")
    with pytest.raises(GuardError, match=r"does not fit the document \(TypeError\('insert into a dict'\)\)"):
        check("a: {b: 1}\n", doc, [InsertOp(("a",), 0, "x")])
    with pytest.raises(GuardError, match=r"does not fit the document \(KeyError\('c'\)\)"):
        check("a: {b: 1}\n", doc, [DeleteOp(("a", "c"))])
    with pytest.raises(GuardError, match="cannot delete the whole document"):
        check("", doc, [DeleteOp(())])
