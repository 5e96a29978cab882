"""What does not fit in a pull request's body goes to one follow-up comment (issue 9): posted
when the PR opens, never twice for the same change set, and a new one when the changes do."""

from __future__ import annotations

import json

import pytest
from e2e_helpers import cli, client, rest_lines

from fixbot import pr
from fixbot.sandbox import Sandbox

ONLY = ("--only", "persist-credentials")


def workflow(jobs: int) -> str:
    text = "name: Everything\non:\n  pull_request:\n\njobs:\n"
    for j in range(jobs):
        text += (f"  shard-{j:03d}:\n    runs-on: ubuntu-latest\n    steps:\n"
                 f"      - uses: actions/checkout@v4\n      - run: echo shard {j}\n")
    return text


def run_json(capsys: pytest.CaptureFixture[str], repo: str) -> dict:
    capsys.readouterr()
    assert cli(repo, *ONLY, "--format", "json") == 0
    return dict(json.loads(capsys.readouterr().out))


def comments(sb: Sandbox, repo: str) -> list[str]:
    return [c.body for c in client(sb).get_repo(repo).get_issue(1).get_comments()]


def test_the_follow_up_comment_is_posted_once_per_change_set(
        sb: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    sb.create_repo("acme", "big", {".github/workflows/all.yml": workflow(450),
                                   "README.md": "x\n"})
    out = run_json(capsys, "acme/big")
    assert out["status"] == "pr-opened"
    pull = client(sb).get_repo("acme/big").get_pull(1)
    assert len(pull.body) <= pr.BUDGET
    assert "did not fit here: they are in the comment below" in pull.body
    posted = comments(sb, "acme/big")
    fp = pr.fingerprint_of(pull.body)
    assert len(posted) == 1 and fp is not None
    assert posted[0].rstrip().endswith(pr.details_marker(fp))
    assert "<details><summary><code>.github/workflows/all.yml</code>" in posted[0]

    sb.clear_log()
    out = run_json(capsys, "acme/big")  # nothing new: no second comment, no extra request
    assert out["status"] == "up-to-date"
    assert rest_lines(sb) == ["GET /api/v3/repos/acme/big", "GET /api/v3/repos/acme/big/pulls"]
    assert comments(sb, "acme/big") == posted

    sb.push_files("acme", "big", "main", {".github/workflows/all.yml": workflow(451)},
                  "One more shard", author="alice")
    out = run_json(capsys, "acme/big")
    assert (out["status"], out["reason"]) == ("pr-updated", "updated with new changes")
    fp2 = pr.fingerprint_of(client(sb).get_repo("acme/big").get_pull(1).body)
    assert fp2 != fp
    now = comments(sb, "acme/big")
    assert len(now) == 2 and now[1].rstrip().endswith(pr.details_marker(fp2 or ""))
