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


# -- comments are never lost (issue 7, item 15) ----------------------------------------------------

PERMS = ("permissions:\n  # Read the code.\n  contents: write  # was write\n  # To sign artifacts.\n"
         "  id-token: write  # sigstore\n  # Releases.\n  packages: write\n\njobs: {}\n")


def test_replace_block_mapping_keeps_comments_of_remaining_and_removed_keys() -> None:
    # a remaining key keeps the comment above it and the one at the end of its line; the
    # comments of a removed key stay where it was (after the remaining key before it)
    out = edit_and_check(PERMS, lambda d, s: yamledit.replace_value(
        d, d.root, "permissions", {"contents": "read", "packages": "read", "issues": "write"}, s))
    assert out == ("permissions:\n  # Read the code.\n  contents: read  # was write\n"
                   "  # To sign artifacts.\n  # sigstore\n  # Releases.\n  packages: read\n"
                   "  issues: write\n\njobs: {}\n")


def test_replace_block_mapping_comments_before_the_first_remaining_key_stay_first() -> None:
    out = edit_and_check(PERMS, lambda d, s: yamledit.replace_value(
        d, d.root, "permissions", {"id-token": "write"}, s))
    assert out == ("permissions:\n  # Read the code.\n  # was write\n  # To sign artifacts.\n"
                   "  id-token: write  # sigstore\n  # Releases.\n\njobs: {}\n")


def test_block_mapping_replaced_by_one_line_keeps_its_comments_below() -> None:
    text = PERMS.replace("permissions:\n", "permissions:   # why\n")
    out = edit_and_check(text, lambda d, s: yamledit.replace_value(d, d.root, "permissions", {}, s))
    assert out == ("permissions: {}   # why\n  # Read the code.\n  # was write\n  # To sign artifacts.\n"
                   "  # sigstore\n  # Releases.\n\njobs: {}\n")
    out = edit_and_check(text, lambda d, s: yamledit.replace_value(
        d, d.root, "permissions", "read-all", s))
    assert out.startswith("permissions: read-all   # why\n  # Read the code.\n")


def test_replace_nested_block_mapping_keeps_comments_at_their_keys_inside() -> None:
    text = ("steps:\n  - uses: a@v1\n    with:  # inputs\n      # depth\n      fetch-depth: 0  # all\n"
            "      env:\n        # x\n        A: 1  # a\n        B: 2  # b\n  - run: x\n")
    out = edit_and_check(text, lambda d, s: yamledit.replace_value(
        d, d.node_at(("steps", 0)), "with", {"env": {"B": 3}, "fetch-depth": 1}, s))
    assert out == ("steps:\n  - uses: a@v1\n    with:  # inputs\n      env:\n        # x\n        # a\n"
                   "        B: 3  # b\n      # depth\n      fetch-depth: 1  # all\n  - run: x\n")
    # a key whose block value becomes a scalar keeps its inner comments right below it
    out = edit_and_check(text, lambda d, s: yamledit.replace_value(
        d, d.node_at(("steps", 0)), "with", {"fetch-depth": 1, "env": "none"}, s))
    assert out == ("steps:\n  - uses: a@v1\n    with:  # inputs\n      # depth\n      fetch-depth: 1  # all\n"
                   "      env: none\n        # x\n        # a\n        # b\n  - run: x\n")


def test_replace_block_sequence_keeps_its_comments() -> None:
    text = "branches:\n  # main line\n  - main  # default\n  - dev\nx: 1\n"
    out = edit_and_check(text, lambda d, s: yamledit.replace_value(d, d.root, "branches", ["main"], s))
    assert out == "branches:\n  - main\n  # main line\n  # default\nx: 1\n"


def test_replace_block_mapping_with_crlf_keeps_comments() -> None:
    text = PERMS.replace("\n", "\r\n")
    out = edit_and_check(text, lambda d, s: yamledit.replace_value(
        d, d.root, "permissions", {"contents": "read"}, s))
    assert out == ("permissions:\r\n  # Read the code.\r\n  contents: read  # was write\r\n"
                   "  # To sign artifacts.\r\n  # sigstore\r\n  # Releases.\r\n\r\njobs: {}\r\n")


def test_delete_key_keeps_its_comments_where_it_was() -> None:
    text = "a: 1\nb:  # about b\n  # inner\n  c: 2  # c\ne: 4\n"
    out = edit_and_check(text, lambda d, s: yamledit.delete_key(d, d.root, "b"))
    assert out == "a: 1\n# about b\n# inner\n# c\ne: 4\n"


def test_comment_inside_a_flow_value_is_refused_not_lost() -> None:
    from fixbot.errors import TransformError

    doc = Document("p: {a: 1,  # c\n  b: 2}\nq: [  # empty\n]\nr: {  # empty\n}\n")
    style = yamledit.detect_style(doc)
    with pytest.raises(TransformError, match=r"line 1: the value holds a comment \('# c'\)"):
        yamledit.replace_value(doc, doc.root, "p", {}, style)
    q = doc.node_at(("q",))
    assert isinstance(q, Sequence)
    with pytest.raises(TransformError, match="empty flow sequence holds a comment"):
        yamledit.insert_item(doc, q, 0, 1, style)
    r = doc.node_at(("r",))
    assert isinstance(r, Mapping)
    with pytest.raises(TransformError, match="empty flow mapping holds a comment"):
        yamledit.set_key(doc, r, "x", 1, style)


def test_flow_value_replaced_by_a_block_keeps_its_comments_below() -> None:
    text = "p: {a: 1,  # c\n  b: 2}  # after\nq: 1\n"
    out = edit_and_check(text, lambda d, s: yamledit.replace_value(d, d.root, "p", {"a": 2}, s))
    assert out == "p:  # after\n  a: 2\n  # c\nq: 1\n"


def test_guard_rejects_an_edit_that_drops_a_comment() -> None:
    text = "a: 1  # keep me\nb: 2\n"
    doc = Document(text)
    bad = Edit(0, 15, "a: 3", SetOp(("a",), 3))
    with pytest.raises(GuardError, match=r"drops the comment on line 1 \('# keep me'\)"):
        check(yamledit.apply(text, [bad]), doc, [bad.op])


def test_document_comments_skip_hashes_inside_scalars() -> None:
    text = "# top\na: |\n  x # text\n# c1\nb: \"q #z\" # c2\nc: [1, 2] #c3\nd: x#y\n"
    assert [(c.text, c.own_line) for c in Document(text).comments()] == [
        ("# top", True), ("# c1", True), ("# c2", False), ("#c3", False)]
