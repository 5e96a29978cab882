"""Golden tests: tests/transforms/<id>/<case>.in.yml -> <case>.out.yml (+ <case>.report.txt).

A case without ``.out.yml`` must stay byte-identical. The other files a case's changes carry
(a script they rewrite, a workflow a split adds) are ``<case>.files/<path>``, exactly those.
A case whose name ends in ``-github-com`` runs as on github.com (``$/…`` is available). ``.report.txt`` holds the exact text report
(changes with explanations, and notes). Regenerate with ``pytest --regen-golden`` only.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fixbot import engine
from fixbot.files import repo_reader
from fixbot.transforms import REGISTRY
from fixbot.types import FileResult
from fixbot.workflow import RepoContext

HERE = Path(__file__).parent / "transforms"
CASES = sorted(HERE.glob("*/*.in.yml"))


def render_report(r: FileResult) -> str:
    lines = []
    for c in r.changes:
        lines.append(f"change {c.transform} {c.location} line {c.line}: {c.summary}")
        lines.append(f"  why: {c.explanation}")
        for t in c.todo:
            lines.append(f"  todo: {t}")
    for n in r.notes:
        lines.append(f"note {n.transform} {n.location}: {n.message}")
    if r.error:
        lines.append(f"error: {r.error}")
    return "\n".join(lines) + "\n"


def run_case(case: Path) -> FileResult:
    tid = case.parent.name
    text = case.read_bytes().decode("utf-8")
    repo = case.with_name(case.name.removesuffix(".in.yml") + ".repo")
    ctx = RepoContext(repo_reader(repo)) if repo.is_dir() else RepoContext()
    ctx.self_repository = case.name.removesuffix(".in.yml").endswith("-github-com")
    return engine.process(case.name, text, [REGISTRY[tid]], ctx)


def carried(result: FileResult) -> dict[str, str]:
    return {fe.path: fe.after for c in result.changes for fe in c.files}


def files_dir(case: Path) -> Path:
    return case.with_name(case.name.removesuffix(".in.yml") + ".files")


def expected_files(case: Path) -> dict[str, str]:
    d = files_dir(case)
    return {p.relative_to(d).as_posix(): p.read_bytes().decode("utf-8")
            for p in sorted(d.rglob("*")) if p.is_file()} if d.is_dir() else {}


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name[:-7]}" for c in CASES])
def test_golden(case: Path, request: pytest.FixtureRequest) -> None:
    result = run_case(case)
    out = case.with_name(case.name.removesuffix(".in.yml") + ".out.yml")
    report = case.with_name(case.name.removesuffix(".in.yml") + ".report.txt")
    got = (result.updated if result.status == "changed" else None)
    got_report = render_report(result)
    if request.config.getoption("--regen-golden"):
        if got is None:
            out.unlink(missing_ok=True)
        else:
            out.write_bytes(got.encode("utf-8"))
        report.write_text(got_report, encoding="utf-8")
        import shutil
        shutil.rmtree(files_dir(case), ignore_errors=True)
        for rel, text in carried(result).items():
            (files_dir(case) / rel).parent.mkdir(parents=True, exist_ok=True)
            (files_dir(case) / rel).write_bytes(text.encode("utf-8"))
        return
    assert result.status != "error", result.error
    if out.exists():
        assert got is not None, "expected a change, got none"
        assert got.encode("utf-8") == out.read_bytes()
        # idempotence: a second run on the output changes nothing
        again = engine.process(case.name, got, [REGISTRY[case.parent.name]])
        assert again.status == "unchanged", [c.summary for c in again.changes]
    else:
        assert got is None, "expected no change"
    assert got_report == report.read_text(encoding="utf-8")
    assert carried(result) == expected_files(case)


def test_every_transform_has_golden_cases() -> None:
    for tid in REGISTRY:
        assert list((HERE / tid).glob("*.in.yml")), f"no golden cases for {tid}"
