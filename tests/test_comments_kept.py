"""No edit loses a comment (issue 7, item 15): every comment of the input is in the output.

Checked on every golden case and every corpus file fixbot changes, two ways: the full-line
comments as plain text lines (independent of the parser), and every comment, end-of-line ones
included, as the workflow model finds them. The guard enforces the second on every edit, so the
corpus check also asserts that no transform had to be refused for dropping one.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from test_golden import CASES, run_case

from fixbot.commands.fix import fix_paths
from fixbot.transforms import REGISTRY
from fixbot.types import FileResult
from fixbot.yamlmodel import Document


def comment_lines(text: str) -> Counter[str]:
    """Full-line comments, as text: lines whose first non-blank character is ``#``."""
    return Counter(s for line in text.splitlines() if (s := line.strip()).startswith("#"))


def comments(text: str) -> Counter[str]:
    return Counter(c.text for c in Document(text.removeprefix("\ufeff")).comments())


def lost_comments(r: FileResult) -> tuple[Counter[str], Counter[str]]:
    assert r.original is not None and r.updated is not None
    return (comment_lines(r.original) - comment_lines(r.updated),
            comments(r.original) - comments(r.updated))


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name[:-7]}" for c in CASES])
def test_golden_case_keeps_every_comment(case: Path) -> None:
    r = run_case(case)
    assert r.status != "error", r.error
    if r.status == "changed":
        # a comment may leave only with the step it comments, into the file a change adds
        moved = Counter(m for c in r.changes for m in c.moved_comments)
        assert all(m in fe.after for c in r.changes for m in c.moved_comments
                   for fe in c.files)
        lines, texts = lost_comments(r)
        assert (lines - moved, texts - moved) == (Counter(), Counter())
    assert not [o for o in r.outcomes if o.status == "failed"]


def test_the_comment_check_sees_lost_comments() -> None:
    r = FileResult("x.yml", "changed", original="a: 1  # eol\n# own\nb: 2\n", updated="a: 1\nb: 2\n")
    assert lost_comments(r) == (Counter({"# own": 1}), Counter({"# eol": 1, "# own": 1}))


@pytest.mark.slow
def test_corpus_changes_keep_every_comment(corpus_tree: Path) -> None:
    repos = [str(p) for p in sorted(corpus_tree.iterdir()) if p.is_dir()]
    results = fix_paths(repos, list(REGISTRY.values()), write=False)
    changed = [r for r in results if r.status == "changed"]
    assert len(changed) > 100  # the check below is not vacuous
    lost = {r.path: lost_comments(r) for r in changed}
    assert {p: v for p, v in lost.items() if v != (Counter(), Counter())} == {}
    refused = [(r.path, o.error) for r in results for o in r.outcomes
               if o.status == "failed" and "comment" in (o.error or "")]
    assert refused == []
