"""``fixbot status`` and the dashboard issue against the sandbox: what people and CI did to
fixbot's pull requests, read back exactly."""

from __future__ import annotations

import json

import pytest
from e2e_helpers import client

from fixbot.cli import main
from fixbot.sandbox import Sandbox
from fixbot.sandbox.seed import commit_files
from fixbot.status import checklist_secrets
from fixbot.status.dashboard import MARKER

ORG = "acme"
WF = ".github/workflows/ci.yml"
NEEDS = ("name: ci\non: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
         "      - uses: actions/checkout@v4\n      - run: make test\n")
TOKEN = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
SCRIPTED = ("name: ci\non: push\npermissions:\n  contents: read\njobs:\n  test:\n"
            "    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
            "        with:\n          persist-credentials: false\n"
            "      - run: python scripts/upload.py\n")


def world(sb: Sandbox) -> None:
    for name in ("ci-red", "approved", "talked", "pushed"):
        sb.create_repo(ORG, name, {WF: NEEDS})
    sb.create_repo(ORG, "secret", {WF: SCRIPTED, "scripts/upload.py":
                                   f'TOKEN = "{TOKEN}"\nprint(len(TOKEN))\n'})
    sb.create_repo(ORG, "dash", {"README.md": "the dashboard lives here\n"})


def people_act(sb: Sandbox) -> None:
    gh = client(sb)  # alice
    red = gh.get_repo("acme/ci-red").get_pull(1)
    gh.get_repo("acme/ci-red").get_commit(red.head.sha).create_status(
        "failure", context="tests", description="2 failed")
    gh.get_repo("acme/ci-red").get_commit(red.head.sha).create_status("success", context="lint")
    gh.get_repo("acme/approved").get_pull(1).create_review(event="APPROVE", body="thanks")
    gh.get_repo("acme/talked").get_pull(1).create_issue_comment("why this change?")
    commit_files(sb.repo(ORG, "pushed"), "fixbot/harden-workflows", {"NOTES.md": "mine\n"},
                 "a person's commit", author="Alice <alice@example.com>")


def status_json(capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    capsys.readouterr()
    assert main(["status", ORG, "--format", "json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def row(repo: str, lane: str = "harden", **kw: object) -> dict:
    base = {"repo": f"acme/{repo}", "number": 1, "lane": lane, "age_days": 0, "ci": "none",
            "mergeable": "mergeable", "review": "none", "pushed_by_person": False,
            "commented_by_person": False, "secrets_missing": None, "error": None}
    return base | kw


def test_status_reads_what_people_and_ci_did(sb: Sandbox,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    world(sb)
    assert main(["sweep", ORG, "-q"]) == 0
    people_act(sb)
    out = status_json(capsys)
    got = [{k: v for k, v in p.items() if k not in ("url", "title")} for p in out["prs"]]
    assert got == [
        row("ci-red", ci="failure"),
        row("secret", lane="secrets", secrets_missing=1),
        row("approved", review="approved", commented_by_person=True),
        row("pushed", pushed_by_person=True),
        row("talked", commented_by_person=True),
    ]
    assert out["summary"] == {"open": 5, "need_attention": 2, "errors": 0}
    assert out["prs"][0]["url"] == f"{sb.url}/acme/ci-red/pull/1"

    capsys.readouterr()
    assert main(["status", ORG]) == 0
    text = capsys.readouterr().out.splitlines()
    assert text[0].split() == ["Pull", "request", "Kind", "Age", "CI", "Mergeable", "Review",
                               "Person", "pushed", "Person", "commented", "Secrets", "missing"]
    assert text[1].split() == ["acme/ci-red#1", "harden", "0d", "failure", "mergeable", "none",
                               "no", "no"]
    assert text[-1] == "5 open fixbot pull request(s), 2 need a person"


def test_the_dashboard_issue_is_created_once_and_updated_in_place(
        sb: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    world(sb)
    assert main(["sweep", ORG, "-q", "--dashboard", "acme/dash"]) == 0
    gh = client(sb)
    issues = list(gh.get_repo("acme/dash").get_issues(state="all"))
    assert [(i.number, i.title) for i in issues] == [(1, "fixbot dashboard")]
    body = issues[0].body
    assert body.endswith(MARKER + "\n")
    for repo in ("ci-red", "approved", "talked", "pushed"):
        assert f"[acme/{repo}#1]({sb.url}/acme/{repo}/pull/1)" in body
    assert f"[acme/secret#1]({sb.url}/acme/secret/pull/1) | secrets | 0d" in body

    before = len(sb.access_log)
    assert main(["sweep", ORG, "-q", "--dashboard", "acme/dash"]) == 0
    writes = [f"{e.method} {e.path}" for e in sb.access_log[before:]
              if e.method in ("POST", "PATCH", "PUT", "DELETE") and e.path.startswith("/api/v3")]
    assert writes == []  # nothing changed: the issue is not rewritten

    people_act(sb)
    assert main(["status", ORG, "--dashboard", "acme/dash"]) == 0
    issues = list(gh.get_repo("acme/dash").get_issues(state="all"))
    assert len(issues) == 1
    assert "| [acme/ci-red#1](" in issues[0].body and "| failure |" in issues[0].body


def test_checklist_secrets_reads_the_create_items_only() -> None:
    body = ("## For people\n\n- [ ] create secret `GH_PAT` holding the token (ghp_…)\n"
            "- [x] create secret `NPM_TOKEN` holding the token\n"
            "- [ ] rotate the exposed credential\n  - [ ] create secret `NESTED` x\n")
    assert checklist_secrets(body) == ["GH_PAT", "NPM_TOKEN", "NESTED"]
