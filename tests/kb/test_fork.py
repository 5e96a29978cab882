"""fixbot/kb/fork.py: what counts as fetching a pull request's code, running the workspace's
code, and an `if:` that keeps forks out."""

from __future__ import annotations

import pytest

from fixbot.kb import fork


@pytest.mark.parametrize("condition,guard", [
    ("github.actor == 'dependabot[bot]' && github.event.pull_request.head.repo.full_name == "
     "'acme/app'", "github.event.pull_request.head.repo.full_name == 'acme/app'"),
    ("!github.event.pull_request.head.repo.fork", "!github.event.pull_request.head.repo.fork"),
    ("github.event.pull_request.head.repo.fork == false",
     "github.event.pull_request.head.repo.fork == false"),
    ("${{ github.repository == github.event.pull_request.head.repo.full_name }}",
     "github.repository == github.event.pull_request.head.repo.full_name"),
    # an `||` or parentheses may let a fork through; other conditions are no guard
    ("github.event.pull_request.head.repo.full_name == 'acme/app' || true", None),
    ("(github.event.pull_request.head.repo.fork == false)", None),
    ("github.actor == 'dependabot[bot]'", None),
    ("contains(github.event.pull_request.labels.*.name, 'safe to test')", None),
    ("github.event.pull_request.head.repo.fork == true", None),
    ("", None),
])
def test_same_repository_guard(condition: str, guard: str | None) -> None:
    assert fork.same_repository_guard(condition) == guard


@pytest.mark.parametrize("script,how", [
    ('gh pr checkout "$NUMBER"', '`gh pr checkout "$NUMBER"`'),
    ("git fetch origin pull/${{ github.event.number }}/head:pr && git checkout pr",
     "`git fetch origin pull/${{ github.event.number }}/head:pr`"),
    ("git checkout ${{ github.head_ref }}", "`git checkout ${{ github.head_ref }}`"),
    ("git fetch origin main", None),
    ("echo gh pr checkout", None),  # an argument, not the command
])
def test_fetches_head(script: str, how: str | None) -> None:
    assert fork.fetches_head(script) == how


@pytest.mark.parametrize("script,what", [
    ("cat report.txt > out.md\njq .total coverage.json", None),
    ("npm ci", "`npm ci`"),
    ("./scripts/build.sh", "`./scripts/build.sh`"),
    ("echo hi; make", "`make`"),
    ("if then fi (", "a script fixbot cannot parse"),
])
def test_runs_workspace_code(script: str, what: str | None) -> None:
    got = fork.runs_workspace_code(script)
    assert got == what or (what is not None and got is not None and got.startswith(what))
