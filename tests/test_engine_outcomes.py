"""One outcome per transform per file: applied, skipped or failed; a failure keeps the others.

Issue 7, item 11: one failing transform used to drop every transform's changes to the file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from fixbot import engine, yamledit
from fixbot.cli import main
from fixbot.errors import TransformError
from fixbot.transforms import REGISTRY
from fixbot.types import Change, Edit, Finding, Note, SetOp, Transform, TransformOutcome
from fixbot.workflow import RepoContext, Workflow
from fixbot.yamlmodel import Mapping

TEXT = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: make\n"


class Fake:
    """A transform built from a function, for the engine's sake (satisfies the Protocol)."""

    SUMMARY = "a test transform"
    DOCS = "https://example.invalid/"

    def __init__(self, tid: str, make: Callable[[Workflow], list[Finding]]) -> None:
        self.ID = tid
        self._make = make

    def analyze(self, wf: Workflow, ctx: RepoContext, /) -> list[Finding]:
        return self._make(wf)


def _lying(wf: Workflow) -> list[Finding]:
    """An edit whose text changes `runs-on` while its op claims to add `env` (fails the guard)."""
    at = wf.text.index("runs-on: x") + len("runs-on: ")
    edit = Edit(at, at + 1, "y", SetOp(("env",), {}))
    return [Change("liar", "jobs.a", 4, "lie", "it lies", (edit,))]


def _add_key(tid: str, key: str, value: object) -> Callable[[Workflow], list[Finding]]:
    def make(wf: Workflow) -> list[Finding]:
        job = wf.doc.node_at(("jobs", "a"))
        assert isinstance(job, Mapping)
        if job.get(key) is not None:
            return [Note(tid, "jobs.a", f"`{key}` is there already")]
        edit = yamledit.set_key(wf.doc, job, key, value, wf.style, before=("steps",))
        return [Change(tid, "jobs.a", 3, f"add {key}", "why not", (edit,))]
    return make


def _raising(wf: Workflow) -> list[Finding]:
    raise TransformError("jobs.a: cannot read this")


def test_a_transform_failing_the_guard_keeps_the_others_changes() -> None:
    liar = Fake("liar", _lying)
    timeout = Fake("timeout", _add_key("timeout", "timeout-minutes", 5))
    env = Fake("env", _add_key("env", "env", {"A": "1"}))
    r = engine.process("ci.yml", TEXT, [timeout, liar, env])
    assert r.status == "changed"
    assert r.error is None
    # timeout applied; liar failed and left no trace in the text; env ran on timeout's output
    assert r.updated == ("on: push\njobs:\n  a:\n    runs-on: x\n    timeout-minutes: 5\n"
                         "    env:\n      A: '1'\n    steps:\n      - run: make\n")
    assert [c.summary for c in r.changes] == ["add timeout-minutes", "add env"]
    assert r.notes == [Note("liar", "", (
        "not applied to this file: the edited file differs from the intended change at "
        ".jobs.a.runs-on: expected 'x', got 'y' (the other transforms' changes were applied "
        "and checked on their own)"))]
    assert [(o.transform, o.status, o.error) for o in r.outcomes] == [
        ("timeout", "applied", None),
        ("liar", "failed", "the edited file differs from the intended change at .jobs.a.runs-on: "
                           "expected 'x', got 'y'"),
        ("env", "applied", None)]
    assert r.failed == [r.outcomes[1]]


def test_skipped_and_failed_outcomes_carry_their_notes_and_errors() -> None:
    timeout = Fake("timeout", _add_key("timeout", "timeout-minutes", 5))
    r = engine.process("ci.yml", TEXT.replace("runs-on: x", "runs-on: x\n    timeout-minutes: 9"),
                       [timeout, Fake("boom", _raising)])
    assert r.status == "error"
    assert r.error == "boom: jobs.a: cannot read this"
    assert r.updated is None and r.changes == []
    assert r.notes == [Note("timeout", "jobs.a", "`timeout-minutes` is there already")]
    assert r.outcomes == [
        TransformOutcome("timeout", "skipped", notes=(Note("timeout", "jobs.a",
                                                            "`timeout-minutes` is there already"),)),
        TransformOutcome("boom", "failed", error="jobs.a: cannot read this")]


def test_only_failures_make_the_file_an_error_that_keeps_its_bytes() -> None:
    r = engine.process("ci.yml", TEXT, [Fake("liar", _lying), Fake("boom", _raising)])
    assert (r.status, r.updated, r.changes, r.notes) == ("error", None, [], [])
    assert r.error == ("liar: the edited file differs from the intended change at .jobs.a.runs-on: "
                       "expected 'x', got 'y'; boom: jobs.a: cannot read this")


def test_overlapping_edits_fail_only_their_transform() -> None:
    def overlap(wf: Workflow) -> list[Finding]:
        edits = (Edit(0, 4, "", SetOp(("x",), 1)), Edit(2, 6, "", SetOp(("y",), 1)))
        return [Change("overlap", "", 1, "o", "o", edits)]

    r = engine.process("ci.yml", TEXT, [Fake("overlap", overlap),
                                        Fake("timeout", _add_key("timeout", "timeout-minutes", 5))])
    assert r.status == "changed"
    assert r.updated == TEXT.replace("runs-on: x\n", "runs-on: x\n    timeout-minutes: 5\n")
    assert [(o.transform, o.status, o.error) for o in r.outcomes] == [
        ("overlap", "failed", "overlapping edits"), ("timeout", "applied", None)]


CHECKOUT_WITH_SCALAR = """on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with: shallow
      - run: make test
"""


def test_real_transforms_one_fails_the_other_applies() -> None:
    # persist-credentials cannot edit a `with:` that is a scalar; permissions still applies
    transforms: list[Transform] = list(REGISTRY.values())
    r = engine.process("ci.yml", CHECKOUT_WITH_SCALAR, transforms)
    assert r.status == "changed"
    assert r.updated == CHECKOUT_WITH_SCALAR.replace("on: push\n", "on: push\npermissions:\n  contents: read\n")
    assert [(o.transform, o.status) for o in r.outcomes] == [("secrets", "skipped"),
                                                             ("template-injection", "skipped"),
                                                             ("fork-safety", "skipped"),
                                                             ("persist-credentials", "failed"),
                                                             ("permissions", "applied")]
    assert r.notes == [Note("persist-credentials", "", (
        "not applied to this file: jobs.test.steps[0]: `with:` is not a mapping (the other "
        "transforms' changes were applied and checked on their own)"))]


def test_fix_json_reports_the_failed_transform_as_a_note(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "ci.yml").write_text(CHECKOUT_WITH_SCALAR)
    assert main(["fix", str(tmp_path), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    (f,) = out["files"]
    assert (f["status"], f["error"]) == ("changed", None)
    assert [c["transform"] for c in f["changes"]] == ["permissions"]
    assert f["notes"] == [{"transform": "persist-credentials", "location": "", "message": (
        "not applied to this file: jobs.test.steps[0]: `with:` is not a mapping (the other "
        "transforms' changes were applied and checked on their own)")}]
    assert (wf / "ci.yml").read_text() == CHECKOUT_WITH_SCALAR.replace(
        "on: push\n", "on: push\npermissions:\n  contents: read\n")
