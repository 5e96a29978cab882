"""The adversarial table: token-use patterns and what each job really needs.

``cases.toml`` holds minimal workflows (the job under test is ``jobs.t``) with the scopes GitHub's
documentation says the job needs, or ``"unknown"`` when no reader can tell (the job must then be
left exactly as it is, with a note). Each case is written into a temporary repository (the
workflow at ``.github/workflows/t.yml`` plus the case's ``files``) and run through
``fixbot.engine.process`` with the ``permissions`` transform alone; cases with ``persist`` also
run through ``persist-credentials`` alone.

The result is read back from the OUTPUT text with a plain YAML loader, independent of fixbot's
own model: job ``permissions:`` if present, else the workflow-level block, else the repository
default. The judgement is on the effective permissions of ``jobs.t``, never on how they were
written.

Optional keys beyond the brief's schema:
- ``or_unknown = true``: leaving the job as it is (with a note) is also acceptable. Used where the
  exact need is documented but reading it takes a parser of another language or resolving
  something fixbot may reasonably decline to resolve; "unknown" never under-grants.
- ``reason``: why a case has no ``source`` (e.g. "unknown" by construction).

The headline number is ``under-granted``: fixbot granted less than the job needs, or changed the
permissions of a job whose needs are unknown. It must be 0; ``test_summary`` fails otherwise.
"""

from __future__ import annotations

import io
import re
import tomllib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from fixbot import engine
from fixbot.files import repo_reader
from fixbot.kb.model import SCOPE_LEVELS
from fixbot.transforms import REGISTRY
from fixbot.types import FileResult
from fixbot.workflow import RepoContext

HERE = Path(__file__).parent
CASES_FILE = HERE / "cases.toml"
WORKFLOW_PATH = ".github/workflows/t.yml"
REPO_DEFAULT = "repository default"
LEAK = re.compile(r"__fixbot", re.IGNORECASE)
MIN_CASES = 140
RANK = {"none": 0, "read": 1, "write": 2}


def load_cases() -> list[dict[str, Any]]:
    with CASES_FILE.open("rb") as f:
        data = tomllib.load(f)
    return list(data["case"])


CASES = load_cases()


# --- reading results with a loader independent of fixbot ----------------------------------------


def plain_load(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(io.StringIO(text))


def effective_permissions(text: str, job: str = "t") -> Any:
    """``jobs.<job>.permissions`` if set, else the workflow-level block, else REPO_DEFAULT."""
    doc = plain_load(text)
    job_node = doc["jobs"][job]
    if "permissions" in job_node:
        return normalise(job_node["permissions"])
    if "permissions" in doc:
        return normalise(doc["permissions"])
    return REPO_DEFAULT


def normalise(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    return value


def first_checkout_persist(text: str, job: str = "t") -> tuple[bool, Any]:
    """(found, value of ``with.persist-credentials``) for the first actions/checkout of the job."""
    doc = plain_load(text)
    for step in doc["jobs"][job].get("steps") or []:
        uses = str(step.get("uses", ""))
        if uses.lower().startswith("actions/checkout@"):
            with_ = step.get("with") or {}
            return True, with_.get("persist-credentials")
    return False, None


def is_false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


# --- running fixbot on one case ----------------------------------------------------------------


def write_repo(case: Mapping[str, Any], root: Path) -> str:
    wf = root / WORKFLOW_PATH
    wf.parent.mkdir(parents=True, exist_ok=True)
    wf.write_text(case["workflow"], encoding="utf-8")
    for rel, content in (case.get("files") or {}).items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(content, encoding="utf-8")
    return str(case["workflow"])


def run(case: Mapping[str, Any], root: Path, transform: str) -> tuple[str, FileResult]:
    text = write_repo(case, root)
    result = engine.process(WORKFLOW_PATH, text, [REGISTRY[transform]], RepoContext(repo_reader(root)))
    out = result.updated if result.status == "changed" and result.updated is not None else text
    return out, result


def leaked(result: FileResult) -> list[str]:
    texts = [n.message for n in result.notes]
    for c in result.changes:
        texts += [c.summary, c.explanation, *c.todo]
    return [t for t in texts if LEAK.search(t)]


@dataclass(frozen=True)
class Verdict:
    kind: str  # "exact" | "unknown" | "wrong" | "under" | "error"
    detail: str


def under_granted(expected: Mapping[str, str], got: Any) -> bool:
    """True when ``got`` grants less than ``expected`` on some scope.

    An unchanged repository default is not counted here (it is "wrong", not under): fixbot did
    not narrow anything. ``read-all`` under-grants every expected write; ``write-all`` never
    under-grants.
    """
    if got == REPO_DEFAULT or got == "write-all":
        return False
    if got == "read-all":
        return any(level == "write" for level in expected.values())
    if not isinstance(got, Mapping):
        return True
    return any(RANK.get(got.get(scope, "none"), 0) < RANK[level] for scope, level in expected.items())


def judge(case: Mapping[str, Any], root: Path) -> Verdict:
    before = effective_permissions(case["workflow"])
    out, result = run(case, root, "permissions")
    if result.status == "error":
        return Verdict("error", f"fixbot error: {result.error}")
    after = effective_permissions(out)
    notes_t = [n.message for n in result.notes if n.location == "jobs.t"]
    leaks = leaked(result)
    expect = case["expect"]
    unknown_ok = expect == "unknown" or bool(case.get("or_unknown"))
    left_as_is = after == before
    if leaks:
        return Verdict("wrong", f"internal placeholder in notes/explanations: {leaks}")
    if expect != "unknown" and after == expect:
        return Verdict("exact", "")
    if unknown_ok and left_as_is and notes_t:
        return Verdict("unknown", "")
    if expect == "unknown":
        if not left_as_is:
            return Verdict("under", f"job expected unknown was changed: {before!r} -> {after!r}")
        return Verdict("wrong", f"left as is, but no note for jobs.t (notes: {[n.location for n in result.notes]})")
    if under_granted(expect, after):
        return Verdict("under", f"expected {expect}, got {after!r}")
    if left_as_is and not notes_t:
        return Verdict("wrong", f"expected {expect}, left as is without a note ({after!r})")
    return Verdict("wrong", f"expected {expect}, got {after!r} (notes: {notes_t})")


def judge_persist(case: Mapping[str, Any], root: Path) -> str | None:
    """None when the persist expectation holds, else what went wrong."""
    found_before, value_before = first_checkout_persist(case["workflow"])
    assert found_before, "a case with `persist` must have an actions/checkout step in jobs.t"
    out, result = run(case, root, "persist-credentials")
    if result.status == "error":
        return f"fixbot error: {result.error}"
    _, value_after = first_checkout_persist(out)
    if case["persist"] in ("keep", "unknown"):
        if is_false(value_after) and not is_false(value_before):
            return f"persist-credentials: false was added, but the credentials are {case['persist']!r}-needed"
        return None
    if not is_false(value_after):
        return f"expected persist-credentials: false, got {value_after!r}"
    return None


# --- the tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_permissions(case: dict[str, Any], tmp_path: Path) -> None:
    verdict = judge(case, tmp_path)
    assert verdict.kind in ("exact", "unknown"), f"[{verdict.kind}] {case['what']}: {verdict.detail}"


PERSIST_CASES = [c for c in CASES if "persist" in c]


@pytest.mark.parametrize("case", PERSIST_CASES, ids=[c["id"] for c in PERSIST_CASES])
def test_persist_credentials(case: dict[str, Any], tmp_path: Path) -> None:
    problem = judge_persist(case, tmp_path)
    assert problem is None, f"{case['what']}: {problem}"


def test_summary(tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]) -> None:
    """Counts over the whole table; fails while any case is under-granted."""
    counts: Counter[str] = Counter()
    by_kind: dict[str, list[str]] = {}
    persist_bad: list[str] = []
    for case in CASES:
        v = judge(case, tmp_path_factory.mktemp("p"))
        counts[v.kind] += 1
        by_kind.setdefault(v.kind, []).append(case["id"])
        if "persist" in case and judge_persist(case, tmp_path_factory.mktemp("c")) is not None:
            persist_bad.append(case["id"])
    lines = [
        f"adversarial table: {len(CASES)} cases",
        f"  exact: {counts['exact']}",
        f"  unknown (left as is, with a note): {counts['unknown']}",
        f"  wrong (expected but got something else): {counts['wrong'] + counts['error']}",
        f"  UNDER-GRANTED: {counts['under']}",
        f"  persist-credentials wrong: {len(persist_bad)} of {len(PERSIST_CASES)}",
    ]
    for kind in ("under", "wrong", "error"):
        if by_kind.get(kind):
            lines.append(f"  {kind}: {', '.join(by_kind[kind])}")
    if persist_bad:
        lines.append(f"  persist wrong: {', '.join(persist_bad)}")
    report = "\n".join(lines)
    with capsys.disabled():
        print("\n" + report)
    assert counts["under"] == 0 and not persist_bad, report


# --- the table itself --------------------------------------------------------------------------

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ALLOWED_KEYS = {"id", "what", "workflow", "files", "expect", "persist", "source", "reason", "or_unknown"}


def test_table_is_sound() -> None:
    assert len(CASES) >= MIN_CASES, f"only {len(CASES)} cases"
    ids = [str(c.get("id")) for c in CASES]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    assert not dupes, f"duplicate ids: {dupes}"
    for c in CASES:
        cid = c.get("id", "?")
        assert set(c) <= ALLOWED_KEYS, f"{cid}: unknown keys {set(c) - ALLOWED_KEYS}"
        assert isinstance(cid, str) and ID_RE.match(cid), f"{cid}: id must be kebab-case"
        assert isinstance(c.get("what"), str) and c["what"].strip() and "\n" not in c["what"], cid
        assert c.get("source") or c.get("reason"), f"{cid}: needs a source or a reason"
        if "source" in c:
            assert str(c["source"]).startswith("https://"), f"{cid}: source must be an https URL"
        try:
            doc = plain_load(c["workflow"])
        except Exception as e:  # noqa: BLE001 - name the case whose YAML is broken
            pytest.fail(f"{cid}: workflow is not valid YAML: {e}")
        assert isinstance(doc, dict) and "t" in (doc.get("jobs") or {}), f"{cid}: no jobs.t"
        assert "on" in doc or True in doc, f"{cid}: workflow has no trigger"
        expect = c.get("expect")
        if expect == "unknown":
            assert not c.get("or_unknown"), f"{cid}: or_unknown on an unknown case"
        else:
            assert isinstance(expect, dict) and expect, f"{cid}: expect must be 'unknown' or scopes"
            for scope, level in expect.items():
                assert scope in SCOPE_LEVELS, f"{cid}: no such scope {scope!r}"
                assert level in SCOPE_LEVELS[scope], f"{cid}: {scope} cannot be {level!r}"
            assert expect.get("contents") in ("read", "write"), f"{cid}: the contents floor is missing"
        if "persist" in c:
            assert c["persist"] in ("keep", "drop", "unknown"), cid
            found, _ = first_checkout_persist(c["workflow"])
            assert found, f"{cid}: persist given but jobs.t has no actions/checkout"
        for rel in c.get("files") or {}:
            assert not rel.startswith("/") and ".." not in rel.split("/"), f"{cid}: bad path {rel}"
        # A case about the job's own needs has no permissions block unless it is about one.
        if "permissions" in doc or "permissions" in doc["jobs"]["t"]:
            assert "permissions" in cid or "block" in cid, f"{cid}: has a permissions block"
