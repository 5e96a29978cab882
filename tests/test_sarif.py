"""``fixbot fix --format sarif``: one result per change (with its exact fix) and per file error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fixbot.cli import main


def test_sarif_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "a.yml").write_text("on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n"
                              "      - uses: actions/checkout@v4\n        with:\n          fetch-depth: 0\n")
    (wf / "b.yml").write_text("on: [\n")
    rc = main(["fix", str(tmp_path), "--check", "--format", "sarif", "--only", "persist-credentials"])
    assert rc == 3
    doc = json.loads(capsys.readouterr().out)
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]][-1] == "fixbot/input-error"
    assert run["results"] == [
        {"ruleId": "persist-credentials", "level": "warning",
         "message": {"text": (
             "set `persist-credentials: false` on actions/checkout: actions/checkout saves the "
             "job's token in .git/config by default, where every later step of job `t` can read "
             "it and where a workspace upload can leak it. No later step in this job pushes or "
             "fetches with git, so nothing needs the saved token after the checkout.")},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": ".github/workflows/a.yml"},
                                             "region": {"startLine": 6}},
                        "logicalLocations": [{"fullyQualifiedName": "jobs.t.steps[0]"}]}],
         "fixes": [{"description": {"text": "set `persist-credentials: false` on actions/checkout"},
                    "artifactChanges": [{
                        "artifactLocation": {"uri": ".github/workflows/a.yml"},
                        "replacements": [{
                            "deletedRegion": {"startLine": 8, "startColumn": 25,
                                              "endLine": 8, "endColumn": 25},
                            "insertedContent": {"text": "\n          persist-credentials: false"}}]}]}]},
        {"ruleId": "fixbot/input-error", "level": "error",
         "message": {"text": "invalid YAML: line 2, column 1: did not find expected node content "
                             "(while parsing a flow node)"},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": ".github/workflows/b.yml"}}}]},
    ]
