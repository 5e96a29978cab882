"""``fixbot run`` on the sandbox: a pwn request split in two lands in one pull request, with
the new ``workflow_run`` file beside the rewritten workflow, and a body that explains the split
and what a maintainer must check."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from e2e_helpers import BRANCH, cli, client

from fixbot.sandbox import Sandbox

CASES = Path(__file__).resolve().parents[1] / "transforms" / "fork-safety"
WORKFLOW = ".github/workflows/coverage.yml"
NEW = ".github/workflows/coverage-privileged.yml"


def show(sb: Sandbox, repo: str, rev: str) -> str:
    bare = sb.root / repo.split("/")[0] / (repo.split("/")[1] + ".git")
    return subprocess.run(["git", "--git-dir", str(bare), "show", rev], capture_output=True,
                          text=True, check=True).stdout


def test_split_lands_in_one_pull_request(sb: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    before = (CASES / "pwn-request-split.in.yml").read_text(encoding="utf-8")
    sb.create_repo("acme", "cov", {WORKFLOW: before, "README.md": "# cov\n"})
    capsys.readouterr()
    code = cli("acme/cov", "--only", "fork-safety", "--format", "json")
    out = json.loads(capsys.readouterr().out)
    assert (code, out["status"]) == (0, "pr-opened"), out
    # the branch holds the rewritten workflow and the new one, as the golden files have them
    # (the golden case ran under another file name, which the new file is named after)
    expected_new = (CASES / "pwn-request-split.files" / "pwn-request-split.in-privileged.yml"
                    ).read_text(encoding="utf-8")
    expected_new = expected_new.replace("pwn-request-split.in", "coverage")
    assert show(sb, "acme/cov", f"{BRANCH}:{NEW}") == expected_new
    assert show(sb, "acme/cov", f"{BRANCH}:{WORKFLOW}") == (
        CASES / "pwn-request-split.out.yml").read_text(encoding="utf-8").replace(
        "pwn-request-split.in", "coverage")
    changed = subprocess.run(
        ["git", "--git-dir", str(sb.root / "acme" / "cov.git"), "diff", "--name-status",
         "main", BRANCH], capture_output=True, text=True, check=True).stdout.split("\n")
    assert [ln for ln in changed if ln] == [f"A\t{NEW}", f"M\t{WORKFLOW}"]
    pulls = list(client(sb).get_repo("acme/cov").get_pulls(state="all"))
    assert len(pulls) == 1
    body = pulls[0].body
    assert "Split in two" in body and "`coverage-pr-data`" in body
    assert "- [ ] Check that the artifact `coverage-pr-data` carries everything" in body
    assert f"`{NEW}` runs only once it is on the default branch" in body
    assert NEW in body  # the new file's diff is shown with the change
    # a second run changes nothing and opens nothing
    capsys.readouterr()
    code = cli("acme/cov", "--only", "fork-safety", "--format", "json")
    again = json.loads(capsys.readouterr().out)
    assert (code, again["status"]) == (0, "up-to-date"), again
    assert len(list(client(sb).get_repo("acme/cov").get_pulls(state="all"))) == 1
