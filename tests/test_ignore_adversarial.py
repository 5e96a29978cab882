"""Adversarial cases for ``# fixbot: ignore[ID,…]``: layouts real users write where the comment
was kept away from the wrong place (another step, another job, the whole file) or not read.

Each test asserts the exact output; ``fix`` also checks the guard held and a second run changes
nothing.
"""

from __future__ import annotations

from fixbot import engine, ignore
from fixbot.transforms import REGISTRY
from fixbot.types import FileResult, Note
from fixbot.yamlmodel import Document

PC = REGISTRY["persist-credentials"]
ALL = [PC, REGISTRY["permissions"]]
PATH = ".github/workflows/ci.yml"
NO_PERSIST = "        with:\n          persist-credentials: false\n"


def fix(text: str, transforms: list[object] | None = None) -> FileResult:
    r = engine.process(PATH, text, transforms or ALL)  # type: ignore[arg-type]
    if r.updated is not None:
        again = engine.process(PATH, r.updated, transforms or ALL)  # type: ignore[arg-type]
        assert (again.status, again.changes) == ("unchanged", [])
    return r


def where(text: str) -> list[tuple[int, str, str]]:
    found, unread = ignore.read(Document(text))
    assert unread == []
    return [(i.line, i.location, i.directive) for i in found]


# -- a comment inside a step's value, below its last line -------------------------------------------

INSIDE_WITH = """\
on: push
jobs:
  release:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
          # fixbot: ignore[persist-credentials] release.sh pushes the tag
      - uses: actions/checkout@v4
        with:
          path: other
"""


def test_a_comment_inside_a_steps_with_belongs_to_that_step_not_the_next() -> None:
    """The layout zizmor's users write (`# zizmor: ignore[artipacked]` under `with:`): the
    comment is indented inside the checkout's `with:`, so it is the checkout's; it was given to
    the next step, and the checkout it was written for got `persist-credentials: false`."""
    assert where(INSIDE_WITH) == [(9, "jobs.release.steps[0]",
                                   "# fixbot: ignore[persist-credentials]")]
    r = fix(INSIDE_WITH, [PC])
    assert r.updated == INSIDE_WITH.replace("          path: other\n",
                                            "          path: other\n          persist-credentials: false\n")
    assert r.notes == [Note("persist-credentials", "jobs.release.steps[0]",
                            "ignored by `# fixbot: ignore[persist-credentials]` on line 9")]


LAST_STEP_THEN_JOB = """\
on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
        # fixbot: ignore[persist-credentials] we push tags
  b:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
"""


def test_a_comment_indented_under_a_jobs_last_step_is_not_the_next_jobs() -> None:
    """Indented under job `a`'s last step, the comment was job `b`'s: `b` was kept away and the
    checkout of `a` it was written for was changed."""
    assert where(LAST_STEP_THEN_JOB) == [(9, "jobs.a.steps[0]",
                                          "# fixbot: ignore[persist-credentials]")]
    r = fix(LAST_STEP_THEN_JOB, [PC])
    assert r.updated == LAST_STEP_THEN_JOB + NO_PERSIST
    assert [c.location for c in r.changes] == ["jobs.b.steps[0]"]


def test_a_comment_at_the_step_dashes_after_a_jobs_last_step_is_that_jobs() -> None:
    text = LAST_STEP_THEN_JOB.replace("        # fixbot", "      # fixbot")
    assert where(text) == [(9, "jobs.a", "# fixbot: ignore[persist-credentials]")]


def test_a_comment_at_the_job_keys_column_still_stands_above_the_next_job() -> None:
    text = LAST_STEP_THEN_JOB.replace("        # fixbot", "  # fixbot")
    assert where(text) == [(9, "jobs.b", "# fixbot: ignore[persist-credentials]")]


TAIL = """\
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
        # fixbot: ignore[persist-credentials] we push tags below
      - uses: actions/checkout@v4
        with:
          path: b
        # fixbot: ignore[permissions] the last step's, not the file's
"""


def test_a_comment_indented_under_the_last_step_of_the_file_is_not_the_workflows() -> None:
    """After the last step of the last job, an indented comment kept its transform away from
    the whole file (a workflow-level comment). It is the last step's; the one between the
    steps, at the steps' keys, still stands above the next step."""
    assert where(TAIL) == [
        (9, "jobs.build.steps[1]", "# fixbot: ignore[persist-credentials]"),
        (13, "jobs.build.steps[1]", "# fixbot: ignore[permissions]"),
    ]
    r = fix(TAIL)
    assert r.updated == TAIL.replace("          fetch-depth: 0\n",
                                     "          fetch-depth: 0\n          persist-credentials: false\n")
    assert [(o.transform, o.status) for o in r.outcomes] == [("persist-credentials", "applied"),
                                                             ("permissions", "skipped")]


def test_a_column_zero_comment_after_the_last_job_is_still_the_workflows() -> None:
    text = TAIL.replace("        # fixbot: ignore[permissions]", "# fixbot: ignore[permissions]")
    assert where(text)[1] == (13, "", "# fixbot: ignore[permissions]")


# -- a fixbot directive after another tool's in the same comment --------------------------------------

def test_a_fixbot_directive_after_a_zizmor_one_on_the_same_line_counts() -> None:
    """A job's key line has room for one comment: `# zizmor: ignore[…] # fixbot: ignore[…]`
    (zizmor reads its directive at the start and allows text after it) was silently nothing."""
    text = ("on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: actions/checkout@v4  # zizmor: ignore[artipacked] # fixbot: "
            "ignore[persist-credentials] we push\n")
    assert where(text) == [(6, "jobs.build.steps[0]", "# fixbot: ignore[persist-credentials]")]
    r = fix(text, [PC])
    assert (r.status, r.changes) == ("unchanged", [])
    assert r.notes == [Note("persist-credentials", "jobs.build.steps[0]",
                            "ignored by `# fixbot: ignore[persist-credentials]` on line 6")]


def test_text_that_merely_mentions_fixbot_after_a_hash_still_counts_for_nothing() -> None:
    assert ignore.read(Document("on: push  # see issue #12, TODO fixbot: ignore\n")) == ([], [])


def test_the_indentation_rule_reads_crlf_files_the_same() -> None:
    for text in (INSIDE_WITH, LAST_STEP_THEN_JOB, TAIL):
        assert where(text.replace("\n", "\r\n")) == where(text)
