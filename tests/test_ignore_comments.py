"""``# fixbot: ignore[ID,…]``: a reviewer keeps transforms away from a workflow, job or step.

Exact outputs for each level (workflow, job, step), for the ``permissions`` transform, which
keeps an ignored job's effective permissions exactly (no workflow-level default above it, nothing
moved onto it), for CRLF and flow style, and for text that merely looks like an ignore comment
(inside ``run: |`` scripts and quoted strings: script text, not YAML comments).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from fixbot import engine, ignore, yamledit
from fixbot.transforms import REGISTRY
from fixbot.types import Change, FileResult, Finding, Note
from fixbot.workflow import RepoContext, Workflow
from fixbot.yamlmodel import Document, Mapping

ALL = [REGISTRY["persist-credentials"], REGISTRY["permissions"]]


def fix(text: str, transforms: list[object] | None = None) -> FileResult:
    r = engine.process(".github/workflows/ci.yml", text, transforms or ALL)  # type: ignore[arg-type]
    if r.updated is not None:  # the guard held, and a second run changes nothing
        again = engine.process(".github/workflows/ci.yml", r.updated,
                               transforms or ALL)  # type: ignore[arg-type]
        assert (again.status, again.changes) == ("unchanged", [])
    return r


def where(text: str) -> list[tuple[int, str, str]]:
    """(line, location, directive) of every ignore comment of ``text``."""
    found, unread = ignore.read(Document(text))
    assert unread == []
    return [(i.line, i.location, i.directive) for i in found]


# -- which location a comment belongs to ---------------------------------------------------------

PLACES = """\
# fixbot: ignore[a] the header
name: ci  # fixbot: ignore[b]
on: push  # fixbot: ignore[c]
jobs:  # fixbot: ignore[d]
  # fixbot: ignore[e] directly above the job
  build:  # fixbot: ignore[f]
    runs-on: ubuntu-latest  # fixbot: ignore[g]
    steps:  # fixbot: ignore[h]
      # fixbot: ignore[i] directly above the first step
      - name: Check out  # fixbot: ignore[j]
        uses: actions/checkout@v4  # fixbot: ignore[k]
        with:
          fetch-depth: 0  # fixbot: ignore[l]

      # fixbot: ignore[m] between the steps
      - run: make
  test:
    runs-on: ubuntu-latest
    steps:
      -
        # fixbot: ignore[n] below the dash
        run: make test
# fixbot: ignore[o] after the last job
"""


def test_a_comment_belongs_to_the_step_job_or_workflow_it_is_on_or_directly_above() -> None:
    assert where(PLACES) == [
        (1, "", "# fixbot: ignore[a]"),
        (2, "", "# fixbot: ignore[b]"),
        (3, "", "# fixbot: ignore[c]"),
        (4, "", "# fixbot: ignore[d]"),
        (5, "jobs.build", "# fixbot: ignore[e]"),
        (6, "jobs.build", "# fixbot: ignore[f]"),
        (7, "jobs.build", "# fixbot: ignore[g]"),
        (8, "jobs.build", "# fixbot: ignore[h]"),
        (9, "jobs.build.steps[0]", "# fixbot: ignore[i]"),
        (10, "jobs.build.steps[0]", "# fixbot: ignore[j]"),
        (11, "jobs.build.steps[0]", "# fixbot: ignore[k]"),
        (13, "jobs.build.steps[0]", "# fixbot: ignore[l]"),
        (15, "jobs.build.steps[1]", "# fixbot: ignore[m]"),
        (21, "jobs.test.steps[0]", "# fixbot: ignore[n]"),
        (23, "", "# fixbot: ignore[o]"),
    ]


LOOKALIKES = """\
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: |
          # fixbot: ignore[persist-credentials]
          echo "# fixbot: ignore"
      - run: "echo # fixbot: ignore[permissions]"
      - run: >
          # fixbot: ignore[permissions]
      - env:
          A: '# fixbot: ignore'
        run: |+
          keep

        # fixbot: ignore[x] a YAML comment after the kept script
      - run: make
"""


def test_text_inside_scripts_and_strings_is_never_an_ignore_comment() -> None:
    # Only the last comment is a YAML comment (less indented than the script it follows); it
    # stands directly above step 4.
    assert where(LOOKALIKES) == [(17, "jobs.build.steps[4]", "# fixbot: ignore[x]")]


def test_the_scripts_that_look_like_ignore_comments_change_nothing() -> None:
    text = ("on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: actions/checkout@v4\n      - run: |\n"
            "          # fixbot: ignore[persist-credentials]\n          make\n")
    r = fix(text, [REGISTRY["persist-credentials"]])
    assert r.notes == []
    assert r.updated == text.replace("actions/checkout@v4\n", (
        "actions/checkout@v4\n        with:\n          persist-credentials: false\n"))


FLOW = """\
on: push
jobs:
  lint: {runs-on: x, steps: [{uses: actions/checkout@v4}]}  # fixbot: ignore[a]
  test:
    runs-on: x
    steps: [
      {uses: actions/checkout@v4},  # fixbot: ignore[b]
      {run: make}  # fixbot: ignore[c]
    ]  # fixbot: ignore[d]
"""


def test_flow_style_a_line_shared_with_the_parent_belongs_to_the_parent() -> None:
    assert where(FLOW) == [(3, "jobs.lint", "# fixbot: ignore[a]"),
                           (7, "jobs.test.steps[0]", "# fixbot: ignore[b]"),
                           (8, "jobs.test.steps[1]", "# fixbot: ignore[c]"),
                           (9, "jobs.test", "# fixbot: ignore[d]")]


def test_crlf_lines_are_read_the_same() -> None:
    assert where(PLACES.replace("\n", "\r\n")) == where(PLACES)


@pytest.mark.parametrize("comment,ids,names", [
    ("# fixbot: ignore", None, ()),
    ("# fixbot: ignore keep this job as it is", None, ()),
    ("# fixbot: ignore[permissions]", {"permissions"}, ("permissions",)),
    ("#fixbot:ignore[permissions,persist-credentials]", {"permissions", "persist-credentials"},
     ("permissions", "persist-credentials")),
    ("# FIXBOT: Ignore [ Permissions , persist-credentials ] why", {"permissions",
     "persist-credentials"}, ("permissions", "persist-credentials")),
    ("# fixbot: ignore[permissions persist-credentials]", {"permissions", "persist-credentials"},
     ("permissions", "persist-credentials")),
    ("# fixbot: ignore[permissions", {"permissions"}, ("permissions",)),  # unclosed: to the end
    ("# fixbot: ignore[]", set(), ()),
], ids=["bare", "bare-with-reason", "one", "two-no-blanks", "case-and-blanks", "blank-separated",
        "unclosed", "empty"])
def test_directive_syntax(comment: str, ids: set[str] | None, names: tuple[str, ...]) -> None:
    found, unread = ignore.read(Document(f"on: push  {comment}\n"))
    assert unread == []
    assert [(i.ids, i.names) for i in found] == [
        (frozenset(ids) if ids is not None else None, names)]


@pytest.mark.parametrize("comment", ["# fixbot: ignore-next-line", "# fixbot:", "# fixbot: skip",
                                     "# fixbot: ignore[permissions]now"])
def test_a_fixbot_comment_that_is_not_an_ignore_comment_is_unread(comment: str) -> None:
    found, unread = ignore.read(Document(f"on: push  {comment}\n"))
    assert (found, unread) == ([], [ignore.Unread(comment, "", 1)])


def test_only_a_comment_that_starts_with_fixbot_counts() -> None:
    assert ignore.read(Document("on: push  # TODO fixbot: ignore\n")) == ([], [])


def test_at_or_under() -> None:
    assert ignore.at_or_under("jobs.a.steps[0]", "jobs.a")
    assert ignore.at_or_under("jobs.a", "jobs.a")
    assert ignore.at_or_under("jobs.a", "")
    assert not ignore.at_or_under("jobs.ab", "jobs.a")
    assert not ignore.at_or_under("", "jobs.a")
    assert not ignore.at_or_under("jobs.a.steps[10]", "jobs.a.steps[1]")


# -- each level, with the real transforms ---------------------------------------------------------

STEPS = """\
name: ci
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/checkout@v4  # fixbot: ignore[persist-credentials]
      - run: make
"""


def test_step_level() -> None:
    r = fix(STEPS, [REGISTRY["persist-credentials"]])
    assert r.updated == STEPS.replace("      - uses: actions/checkout@v4\n      - uses", (
        "      - uses: actions/checkout@v4\n        with:\n          persist-credentials: false\n"
        "      - uses"))
    assert [c.location for c in r.changes] == ["jobs.build.steps[0]"]
    assert r.notes == [Note("persist-credentials", "jobs.build.steps[1]",
                            "ignored by `# fixbot: ignore[persist-credentials]` on line 8")]


def test_job_level_keeps_every_step_of_the_job() -> None:
    text = STEPS.replace("  # fixbot: ignore[persist-credentials]", "").replace(
        "  build:\n", "  build:  # fixbot: ignore[persist-credentials]\n")
    r = fix(text, [REGISTRY["persist-credentials"]])
    assert (r.status, r.updated, r.changes) == ("unchanged", None, [])
    assert r.notes == [Note("persist-credentials", "jobs.build",
                            "ignored by `# fixbot: ignore[persist-credentials]` on line 4")]
    assert [(o.transform, o.status) for o in r.outcomes] == [("persist-credentials", "skipped")]


def test_workflow_level_skips_the_transform_for_the_file() -> None:
    text = STEPS.replace("  # fixbot: ignore[persist-credentials]", "").replace(
        "name: ci\n", "name: ci  # fixbot: ignore[persist-credentials]\n")
    r = fix(text)
    assert [(o.transform, o.status) for o in r.outcomes] == [("persist-credentials", "skipped"),
                                                             ("permissions", "applied")]
    assert r.updated == text.replace("jobs:\n", "permissions:\n  contents: read\njobs:\n")
    assert r.notes == [Note("persist-credentials", "",
                            "ignored by `# fixbot: ignore[persist-credentials]` on line 1")]


def test_a_bare_ignore_keeps_every_transform_away() -> None:
    text = STEPS.replace("  # fixbot: ignore[persist-credentials]", "").replace(
        "  build:\n", "  build:  # fixbot: ignore\n")
    r = fix(text)
    assert (r.status, r.changes) == ("unchanged", [])
    assert r.notes == [Note("persist-credentials", "jobs.build",
                            "ignored by `# fixbot: ignore` on line 4"),
                       Note("permissions", "jobs.build", "ignored by `# fixbot: ignore` on line 4")]


def test_unknown_ids_are_a_note_not_a_crash() -> None:
    text = STEPS.replace("ignore[persist-credentials]", "ignore[persist-credential, secrets]")
    r = fix(text, [REGISTRY["persist-credentials"]])
    # `secrets` is a planned transform id: known, and there is nothing of it to keep away
    assert [c.location for c in r.changes] == ["jobs.build.steps[0]", "jobs.build.steps[1]"]
    assert r.notes == [Note("fixbot", "jobs.build.steps[1]", (
        "`# fixbot: ignore[persist-credential,secrets]` on line 8 names an unknown transform id "
        "`persist-credential`, so it keeps nothing away for it (transform ids: fork-safety, "
        "permissions, persist-credentials, secrets, template-injection)"))]


def test_an_empty_list_and_an_unread_comment_are_notes() -> None:
    text = STEPS.replace("ignore[persist-credentials]", "ignore[]").replace(
        "name: ci\n", "name: ci  # fixbot: skip-this\n")
    r = fix(text, [REGISTRY["persist-credentials"]])
    assert len(r.changes) == 2
    assert r.notes == [
        Note("fixbot", "jobs.build.steps[1]", "`# fixbot: ignore[]` on line 8 names no "
             "transform, so it keeps nothing away (write `# fixbot: ignore` for every transform)"),
        Note("fixbot", "", "`# fixbot: skip-this` on line 1 is not an ignore comment fixbot can "
             "read, so it keeps nothing away (write `# fixbot: ignore[ID,…]`)")]


def test_crlf_file_keeps_its_line_ends_and_its_ignores() -> None:
    r = fix(STEPS.replace("\n", "\r\n"), [REGISTRY["persist-credentials"]])
    assert r.updated == STEPS.replace("      - uses: actions/checkout@v4\n      - uses", (
        "      - uses: actions/checkout@v4\n        with:\n          persist-credentials: false\n"
        "      - uses")).replace("\n", "\r\n")
    assert r.notes == [Note("persist-credentials", "jobs.build.steps[1]",
                            "ignored by `# fixbot: ignore[persist-credentials]` on line 8")]


def test_flow_style_step() -> None:
    text = ("on: push\njobs:\n  build:\n    runs-on: x\n    steps: [\n"
            "      {uses: actions/checkout@v4},  # fixbot: ignore[persist-credentials]\n"
            "      {uses: actions/checkout@v4}\n    ]\n")
    r = fix(text, [REGISTRY["persist-credentials"]])
    assert r.updated == text.replace("      {uses: actions/checkout@v4}\n", (
        "      {uses: actions/checkout@v4, with: { persist-credentials: false }}\n"))
    assert r.notes == [Note("persist-credentials", "jobs.build.steps[0]",
                            "ignored by `# fixbot: ignore[persist-credentials]` on line 6")]


def test_note_lines_are_the_input_lines_after_an_earlier_transform_added_lines() -> None:
    text = ("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n"
            "  b:  # fixbot: ignore[permissions]\n    runs-on: x\n    steps:\n      - run: make\n")
    r = fix(text)
    assert r.notes == [Note("permissions", "jobs.b",
                            "ignored by `# fixbot: ignore[permissions]` on line 7")]


# -- permissions: an ignored job keeps its effective permissions exactly ---------------------------

RELEASE = """\
name: release
on:
  push:
    tags: ["v*"]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          persist-credentials: false
      - run: make test
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          persist-credentials: false
      - uses: softprops/action-gh-release@v2
"""
TEST_BLOCK = ("  test:\n    runs-on: ubuntu-latest\n    permissions:\n      contents: read\n"
              "    steps:\n")


def test_permissions_without_an_ignore_adds_a_workflow_default() -> None:
    """The counterweight: without the comment, `publish` would run under a new workflow-level
    default (and get its own block)."""
    r = fix(RELEASE)
    assert [c.location for c in r.changes] == ["", "jobs.publish"]


def test_permissions_job_level_ignore_adds_no_default_above_the_job() -> None:
    text = RELEASE.replace("  publish:\n", "  publish:  # fixbot: ignore[permissions]\n")
    r = fix(text)
    # `publish` keeps the repository default: no workflow-level block; `test` gets its own.
    assert r.updated == text.replace("  test:\n    runs-on: ubuntu-latest\n    steps:\n",
                                     TEST_BLOCK)
    assert [c.location for c in r.changes] == ["jobs.test"]
    assert ("It gets a job-level block rather than a workflow-level default because `publish` "
            "must keep the repository default") in r.changes[0].explanation
    assert r.notes == [Note("permissions", "jobs.publish",
                            "ignored by `# fixbot: ignore[permissions]` on line 13")]


def test_permissions_step_level_ignore_keeps_the_job_as_it_is() -> None:
    """`permissions` judges a job by its steps: a step it must keep away from makes the job's
    needs unknown to it, so the job keeps its effective permissions."""
    text = RELEASE.replace("action-gh-release@v2\n",
                           "action-gh-release@v2  # fixbot: ignore[permissions]\n")
    r = fix(text)
    assert r.updated == text.replace("  test:\n    runs-on: ubuntu-latest\n    steps:\n",
                                     TEST_BLOCK)
    assert r.notes == [Note("permissions", "jobs.publish.steps[1]",
                            "ignored by `# fixbot: ignore[permissions]` on line 19")]


def test_permissions_write_all_is_not_narrowed_or_moved_onto_an_ignored_job() -> None:
    text = RELEASE.replace("jobs:\n", "permissions: write-all\njobs:\n").replace(
        "  publish:\n", "  publish:  # fixbot: ignore[permissions]\n")
    r = fix(text)
    # `publish` runs with write-all as before; `test` gets exactly what it needs.
    assert r.updated == text.replace("  test:\n    runs-on: ubuntu-latest\n    steps:\n",
                                     TEST_BLOCK)
    assert [c.summary for c in r.changes] == ["narrow job `test` permissions to contents: read"]


def test_permissions_an_ignored_job_with_its_own_block_is_not_narrowed() -> None:
    text = RELEASE.replace("  publish:\n    runs-on: ubuntu-latest\n", (
        "  publish:  # fixbot: ignore[permissions]\n    runs-on: ubuntu-latest\n"
        "    permissions: write-all\n"))
    r = fix(text)
    # Its own block decides its permissions, so the workflow level may get a default.
    assert r.updated == text.replace("jobs:\n", "permissions:\n  contents: read\njobs:\n")
    assert [c.location for c in r.changes] == [""]


def _release_keys(pick: Callable[[list[Change]], list[Change]]) -> dict[str, engine.Declined]:
    r = fix(RELEASE)
    return {engine.change_key(r.path, c): engine.Declined(3, "https://forge/o/r/pull/3")
            for c in pick(r.changes)}


def test_permissions_a_declined_job_block_takes_the_workflow_default_with_it() -> None:
    """Without `publish`'s own block the new read-only default would apply to it: both stay out."""
    r = engine.process(".github/workflows/ci.yml", RELEASE, ALL,
                       declined=_release_keys(lambda cs: cs[1:]))
    assert (r.status, r.changes) == ("unchanged", [])
    assert [(n.location, n.message.split(":")[0]) for n in r.notes] == [
        ("jobs.publish", "left out"), ("", "left out")]
    assert r.notes[1].message == (
        "left out: add a read-only workflow-level `permissions:` (contents: read): it goes with "
        "the change to `jobs.publish`, which is declined in #3")


def test_permissions_a_declined_workflow_default_leaves_the_job_block() -> None:
    r = engine.process(".github/workflows/ci.yml", RELEASE, ALL,
                       declined=_release_keys(lambda cs: cs[:1]))
    assert [c.location for c in r.changes] == ["jobs.publish"]
    assert r.notes == [Note("permissions", "", (
        "left out: declined in #3 (https://forge/o/r/pull/3): add a read-only workflow-level "
        "`permissions:` (contents: read)"))]


# -- the engine's rule for changes that go together -------------------------------------------------

TWO = "on: push\njobs:\n  a:  # fixbot: ignore[pair]\n    runs-on: x\n    steps:\n      - run: make\n"


class Pair:
    """A transform unaware of ignore comments: a workflow-level change that relies on a
    job-level one (as a workflow-level default relies on the job blocks under it)."""

    ID = "pair"
    SUMMARY = "a test transform"
    DOCS = "https://example.invalid/"

    def analyze(self, wf: Workflow, ctx: RepoContext, /) -> list[Finding]:
        root, job = wf.root, wf.doc.node_at(("jobs", "a"))
        assert isinstance(root, Mapping) and isinstance(job, Mapping)
        top = yamledit.set_key(wf.doc, root, "env", {"A": "1"}, wf.style, before=("jobs",))
        own = yamledit.set_key(wf.doc, job, "timeout-minutes", 5, wf.style, before=("steps",))
        return [Change("pair", "", 1, "add env", "needs the job change", (top,)),
                Change("pair", "jobs.a", 3, "add timeout", "alone", (own,))]


def test_a_change_above_an_ignored_one_is_left_out_with_it() -> None:
    r = fix(TWO, [Pair()])
    assert (r.status, r.changes) == ("unchanged", [])
    assert r.notes == [
        Note("pair", "jobs.a", "ignored by `# fixbot: ignore[pair]` on line 3"),
        Note("pair", "", "left out: add env: it goes with the change to `jobs.a`, which is "
                         "ignored by `# fixbot: ignore[pair]` on line 3")]


def _declined(make: Callable[[list[Change]], list[Change]]) -> dict[str, engine.Declined]:
    text = TWO.replace("  # fixbot: ignore[pair]", "")
    changes = [f for f in Pair().analyze(Workflow("ci.yml", Document(text)), RepoContext())
               if isinstance(f, Change)]
    return {engine.change_key("ci.yml", c): engine.Declined(7, "https://forge/o/r/pull/7")
            for c in make(changes)}


def test_a_declined_change_and_the_changes_above_it_are_left_out() -> None:
    text = TWO.replace("  # fixbot: ignore[pair]", "")
    r = engine.process("ci.yml", text, [Pair()], declined=_declined(lambda cs: cs[1:]))
    assert (r.status, r.changes) == ("unchanged", [])
    assert r.notes == [
        Note("pair", "jobs.a", "left out: declined in #7 (https://forge/o/r/pull/7): add timeout"),
        Note("pair", "", "left out: add env: it goes with the change to `jobs.a`, which is "
                         "declined in #7")]


def test_a_declined_workflow_change_leaves_the_job_change_in() -> None:
    text = TWO.replace("  # fixbot: ignore[pair]", "")
    r = engine.process("ci.yml", text, [Pair()], declined=_declined(lambda cs: cs[:1]))
    assert [c.summary for c in r.changes] == ["add timeout"]
    assert r.notes == [
        Note("pair", "", "left out: declined in #7 (https://forge/o/r/pull/7): add env")]


def test_a_change_key_ignores_lines_and_wording() -> None:
    text = TWO.replace("  # fixbot: ignore[pair]", "")
    first = Pair().analyze(Workflow("ci.yml", Document(text)), RepoContext())[1]
    moved = Pair().analyze(Workflow("ci.yml", Document("# a new first line\n" + text)),
                           RepoContext())[1]
    assert isinstance(first, Change) and isinstance(moved, Change)
    reworded = Change(first.transform, first.location, 99, "other words", "other", first.edits)
    assert engine.change_key("ci.yml", first) == engine.change_key("ci.yml", moved)
    assert engine.change_key("ci.yml", first) == engine.change_key("ci.yml", reworded)
    assert engine.change_key("ci.yml", first) != engine.change_key("other.yml", first)
    assert len(engine.change_key("ci.yml", first)) == 12
