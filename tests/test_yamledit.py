"""The edit layer: each edit splices exactly its text; the guard rejects anything else."""

from __future__ import annotations

import pytest

from fixbot import yamledit
from fixbot.errors import GuardError
from fixbot.guard import check
from fixbot.types import Edit, SetOp
from fixbot.yamlmodel import Document, Mapping, Sequence


def edit_and_check(text: str, make) -> str:  # type: ignore[no-untyped-def]
    doc = Document(text)
    style = yamledit.detect_style(doc)
    edit = make(doc, style)
    out = yamledit.apply(text, [edit])
    check(out, doc, [edit.op])
    return out


def test_add_top_level_block_before_jobs_keeps_blank_line_and_comment() -> None:
    text = "on: push\n\n# the jobs\njobs:\n  a:\n    runs-on: x\n"
    out = edit_and_check(text, lambda d, s: yamledit.set_key(
        d, d.root, "permissions", {"contents": "read"}, s, before=("jobs",)))
    assert out == ("on: push\n\npermissions:\n  contents: read\n\n# the jobs\njobs:\n"
                   "  a:\n    runs-on: x\n")


def test_add_key_before_steps_in_four_space_file() -> None:
    text = "jobs:\n    a:\n        runs-on: x\n        steps:\n        -   run: echo\n"
    out = edit_and_check(text, lambda d, s: yamledit.set_key(
        d, d.node_at(("jobs", "a")), "permissions", {"contents": "read", "issues": "write"}, s,
        before=("steps",)))
    assert out == ("jobs:\n    a:\n        runs-on: x\n        permissions:\n"
                   "            contents: read\n            issues: write\n"
                   "        steps:\n        -   run: echo\n")


def test_replace_scalar_value_with_block_keeps_comment_on_key_line() -> None:
    text = "permissions: write-all  # too broad\njobs: {}\n"
    out = edit_and_check(text, lambda d, s: yamledit.replace_value(
        d, d.root, "permissions", {"contents": "read"}, s))
    assert out == "permissions:  # too broad\n  contents: read\njobs: {}\n"


def test_replace_block_value() -> None:
    text = "permissions:\n  contents: write\n  issues: write\n\njobs: {}\n"
    out = edit_and_check(text, lambda d, s: yamledit.replace_value(
        d, d.root, "permissions", {"contents": "read"}, s))
    assert out == "permissions:\n  contents: read\n\njobs: {}\n"


def test_delete_key_removes_whole_lines() -> None:
    text = "a: 1\nb:\n  c: 2\n  d: 3\ne: 4\n"
    out = edit_and_check(text, lambda d, s: yamledit.delete_key(d, d.root, "b"))
    assert out == "a: 1\ne: 4\n"


def test_insert_item_in_block_and_flow_sequences() -> None:
    text = "a:\n  - x\n  # about y\n  - y\nb: [1, 2]\n"

    def first(d: Document, s: yamledit.Style) -> Edit:
        seq = d.node_at(("a",))
        assert isinstance(seq, Sequence)
        return yamledit.insert_item(d, seq, 1, "new", s)

    assert edit_and_check(text, first) == "a:\n  - x\n  - new\n  # about y\n  - y\nb: [1, 2]\n"

    def flow(d: Document, s: yamledit.Style) -> Edit:
        seq = d.node_at(("b",))
        assert isinstance(seq, Sequence)
        return yamledit.insert_item(d, seq, 2, 3, s)

    assert edit_and_check(text, flow) == "a:\n  - x\n  # about y\n  - y\nb: [1, 2, 3]\n"


def test_replace_fragment_of_block_scalar() -> None:
    text = "run: |\n  echo ${{ github.event.issue.title }}\n  done\n"
    doc = Document(text)
    node = doc.node_at(("run",))
    edit = yamledit.replace_fragment(doc, node, "${{ github.event.issue.title }}", '"$TITLE"',
                                     'echo "$TITLE"\ndone\n')
    out = yamledit.apply(text, [edit])
    check(out, doc, [edit.op])
    assert out == 'run: |\n  echo "$TITLE"\n  done\n'


@pytest.mark.parametrize("value,text", [
    ("plain", "plain"), ("true", "'true'"), ("123", "'123'"), ("a: b", "'a: b'"),
    ("${{ secrets.X }}", "${{ secrets.X }}"), ("- x", "'- x'"), ("it's", "it's"),
    ("#c", "'#c'"), ("", "''"), ("on", "on"), ("a\nb", '"a\\nb"'), (False, "false"),
])
def test_render_scalar_round_trips(value: object, text: str) -> None:
    assert yamledit.render_scalar(value) == text
    assert Document(f"k: {text}\n").data == {"k": value}


def test_guard_rejects_a_change_beyond_the_intended_one() -> None:
    text = "a: 1\nb: 2\n"
    doc = Document(text)
    bad = Edit(0, len(text), "a: 1\nb: 3\nc: 4\n", SetOp(("c",), 4))
    with pytest.raises(GuardError, match=r"at \.b: expected 2, got 3"):
        check(yamledit.apply(text, [bad]), doc, [bad.op])
    with pytest.raises(GuardError, match="does not parse"):
        check("a: [", doc, [])


def test_overlapping_edits_are_refused() -> None:
    from fixbot.errors import TransformError

    with pytest.raises(TransformError, match="overlapping"):
        yamledit.apply("abcdef", [Edit(0, 3, "x", SetOp((), None)), Edit(2, 4, "y", SetOp((), None))])


def test_style_detection() -> None:
    doc = Document("jobs:\n    a:\n        steps:\n        - run: x\n")
    assert yamledit.detect_style(doc) == yamledit.Style("\n", 4, 0)
    doc = Document("a:\r\n  b:\r\n    - 1\r\n")
    assert yamledit.detect_style(doc) == yamledit.Style("\r\n", 2, 2)


def test_shared_nodes_are_not_edited() -> None:
    from fixbot.errors import TransformError

    doc = Document("x: &s {a: 1}\ny: *s\n")
    node = doc.node_at(("y",))
    assert isinstance(node, Mapping) and node.shared
    with pytest.raises(TransformError, match="alias"):
        yamledit.set_key(doc, node, "b", 2, yamledit.detect_style(doc))


def test_replace_block_value_keeps_comments_and_blank_lines_that_follow() -> None:
    text = ("permissions:\n  contents: write\n  # about the jobs\n\n  # more\njobs:\n"
            "  a:\n    steps:\n      - run: x\n\n    # trailing\n  b: {}\n")
    out = edit_and_check(text, lambda d, s: yamledit.replace_value(
        d, d.root, "permissions", {"contents": "read"}, s))
    assert out == text.replace("contents: write", "contents: read")
    out = edit_and_check(text, lambda d, s: yamledit.replace_value(
        d, d.root, "permissions", {}, s))
    assert out == text.replace("permissions:\n  contents: write", "permissions: {}")
    out = edit_and_check(text, lambda d, s: yamledit.set_key(
        d, d.node_at(("jobs", "a")), "permissions", {"issues": "write"}, s))
    assert out == text.replace("      - run: x\n", "      - run: x\n    permissions:\n      issues: write\n")
