"""fixbot on workflows written after zizmor's `dangerous-triggers`, `template-injection` and
`artipacked` cases (tests/oracle_cases/zizmor, in fixbot's own words), with zizmor,
check-jsonschema and actionlint as oracles (issue 11, "What it must show").

Every transform runs (``fixbot fix``); zizmor runs offline on the tree before and after, for
each persona. Exact counts: a fixer that changed more, or less, fails here.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from bench import actionlint, zizmor
from bench.repos import by_route
from fixbot.cli import main

CASES = Path(__file__).parent / "oracle_cases" / "zizmor"
WF = Path("repo") / ".github" / "workflows"
PERSONAS = ("regular", "pedantic", "auditor")
# the split's workflow_run half: the pull_request_target finding of dt-pwn-checkout.yml moves
# there, and fork-safety explains it with a note on every run
MOVED = ("repo/.github/workflows/dt-pwn-checkout-privileged.yml", "dangerous-triggers",
         "on.workflow_run")


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    if zizmor.zizmor_exe() is None:
        pytest.skip("zizmor is not installed (the `test` extra)")
    tmp = tmp_path_factory.mktemp("zizmor-cases")
    for side in ("before", "after"):
        (tmp / side / WF).mkdir(parents=True)
        for p in sorted(CASES.glob("*.yml")):
            shutil.copy(p, tmp / side / WF / p.name)
    out = subprocess.run([sys.executable, "-m", "fixbot", "fix", "--format", "json",
                          str(tmp / "after" / "repo")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return tmp / "before", tmp / "after", json.loads(out.stdout)


def audits(tree: Path, persona: str) -> Counter[str]:
    found, skipped = zizmor.keyed_findings(tree, ("--persona", persona, "--no-config"))
    assert not skipped
    return Counter(i for (_, i, _) in found.elements())


def test_fix_results(trees: tuple[Path, Path, dict]) -> None:
    _, _, report = trees
    changed = {f["path"].rsplit("/", 1)[1]: sorted(c["transform"] for c in f["changes"])
               for f in report["files"] if f["status"] == "changed"}
    assert changed == {
        "ap-default-checkout.yml": ["persist-credentials"],
        "ap-stringy-bools.yml": ["persist-credentials"],
        "dt-pwn-checkout.yml": ["fork-safety", "permissions"],
        "ti-dispatch-input.yml": ["template-injection"],
        "ti-dynamic-matrix.yml": ["template-injection"],
        "ti-github-script.yml": ["template-injection"],
        "ti-multiline-expression.yml": ["template-injection"],
        "ti-pwsh.yml": ["template-injection"],
        "ti-title-and-body.yml": ["template-injection"],
    }
    assert report["summary"]["errors"] == 0


@pytest.mark.parametrize("persona", PERSONAS)
def test_findings_before_and_after(trees: tuple[Path, Path, dict], persona: str) -> None:
    before, after, _ = trees
    b, a = audits(before, persona), audits(after, persona)
    # template-injection: every finding on an attacker-controllable value is gone; the one
    # left (pedantic) is a literal matrix value, which no one outside can write
    assert (b["template-injection"], a["template-injection"]) == (
        (7, 0) if persona == "regular" else (8, 1))
    # artipacked: the checkout left has a `git push` after it (a note says so)
    assert (b["artipacked"], a["artipacked"]) == (3, 1)
    # dangerous-triggers: the same 8 (one moved to the split's new file), each explained
    assert (b["dangerous-triggers"], a["dangerous-triggers"]) == (8, 8)


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_new_finding_of_any_kind(trees: tuple[Path, Path, dict], persona: str) -> None:
    before, after, _ = trees
    args = ("--persona", persona, "--no-config")
    new = by_route(zizmor.keyed_findings(after, args)[0]) - by_route(
        zizmor.keyed_findings(before, args)[0])
    assert sorted(new) == [MOVED]


def test_every_dangerous_trigger_is_fixed_or_explained(trees: tuple[Path, Path, dict],
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    _, after, _ = trees
    found, _ = zizmor.keyed_findings(after, ("--persona", "auditor", "--no-config"))
    flagged = sorted({f.rsplit("/", 1)[1] for (f, i, _) in found if i == "dangerous-triggers"})
    capsys.readouterr()
    assert main(["fix", "--check", "--only", "fork-safety", "--format", "json",
                 str(after / "repo")]) == 0
    report = json.loads(capsys.readouterr().out)
    noted = {f["path"].rsplit("/", 1)[1]: [n["message"] for n in f["notes"]
                                          if n["transform"] == "fork-safety"]
             for f in report["files"]}
    # dt-pwn-checkout.yml's own finding is fixed (it runs on pull_request now); zizmor reads
    # a job of actions/labeler alone as safe (dt-labeler-only.yml), and fork-safety still
    # notes it
    assert flagged == ["dt-block-list.yml", "dt-comment-guarded.yml", "dt-flow-list.yml",
                       "dt-pwn-checkout-privileged.yml", "dt-scalar-target.yml",
                       "dt-workflow-run-artifact.yml", "ti-github-script.yml"]
    assert noted["dt-labeler-only.yml"]
    for name in flagged:
        assert noted[name], name
        assert any(("a fork" in m or "anyone who can comment" in m) and "write token" in m
                   for m in noted[name]), noted[name]


def test_outputs_pass_the_schema_and_actionlint(trees: tuple[Path, Path, dict]) -> None:
    before, after, _ = trees
    files = sorted((after / WF).glob("*.yml"))
    changed = [p for p in files if not (before / WF / p.name).exists()
               or p.read_bytes() != (before / WF / p.name).read_bytes()]
    assert len(changed) == 10  # 9 changed files and the split's new one
    exe = Path(sys.executable).parent / "check-jsonschema"
    if exe.exists():
        proc = subprocess.run([str(exe), "--builtin-schema", "vendor.github-workflows",
                               *map(str, changed)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    try:
        package = actionlint.install()
    except actionlint.Unavailable as e:
        pytest.skip(str(e))
    originals = [before / WF / p.name for p in changed if (before / WF / p.name).exists()]
    new = actionlint.new_findings(actionlint.lint(originals, package),
                                  actionlint.lint(changed, package), before, after)
    assert new == []


def test_new_files_are_stable_under_every_transform(trees: tuple[Path, Path, dict],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    _, after, _ = trees
    capsys.readouterr()
    assert main(["fix", "--check", "--format", "json", str(after / "repo")]) == 0
