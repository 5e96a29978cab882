"""The knowledge the ``permissions`` transform reads from the KB besides actions and scripts:
triggers, container credentials, checkout's persisted credentials, github-script rules."""

from __future__ import annotations

from fixbot.kb.actions import container_pull_need, persists_job_token
from fixbot.kb.github_script import github_script_oidc, required_files
from fixbot.kb.token import exports_job_token
from fixbot.kb.triggers import (
    exercised_after_merge,
    exercised_by_pull_request,
    token_notes,
    triggers,
)


def test_every_trigger_has_a_source() -> None:
    for t in triggers().values():
        assert t.source.startswith("https://"), t.event
        assert t.runs in ("pull-request", "default-branch")


def test_trigger_rules() -> None:
    assert exercised_by_pull_request({"pull_request", "push"})
    assert not exercised_by_pull_request({"pull_request_target"})
    assert exercised_after_merge({"push", "pull_request", "watch"}) == ["push"]
    notes = token_notes({"pull_request_target", "schedule", "push"})
    assert len(notes) == 2 and notes[0].startswith("`pull_request_target` runs with the base")


def test_container_pull_needs_packages_read() -> None:
    need = container_pull_need()
    assert dict(need.scopes) == {"packages": "read"} and need.source.startswith("https://")


def test_checkout_persists_the_job_token_unless_told_otherwise() -> None:
    assert persists_job_token("actions/checkout@v4", {})
    assert persists_job_token("Actions/Checkout@v4", {"persist-credentials": "${{ inputs.p }}"})
    assert not persists_job_token("actions/checkout@v4", {"persist-credentials": " False "})
    assert not persists_job_token("actions/checkout@v4", {"ssh-key": "${{ secrets.KEY }}"})
    assert not persists_job_token("actions/checkout@v4", {"token": "${{ secrets.PAT }}"})
    assert persists_job_token("actions/checkout@v4", {"token": "${{ github.token }}"})
    assert not persists_job_token("actions/setup-node@v4", {})


def test_github_script_rules() -> None:
    assert github_script_oidc("const t = await core.getIDToken()") is not None
    assert github_script_oidc("process.env.ACTIONS_ID_TOKEN_REQUEST_URL") is not None
    assert github_script_oidc("github.rest.issues.get()") is None
    src = "require('./a.js'); require(`${process.env.GITHUB_WORKSPACE}/b/c.js`)({github})"
    assert required_files(src) == ["a.js", "b/c.js"]


def test_exported_token() -> None:
    assert exports_job_token('echo "T=${{ github.token }}" >> "$GITHUB_ENV"', {})
    assert exports_job_token('echo "T=$GH_TOKEN" >> "$GITHUB_ENV"', {"GH_TOKEN": "${{ github.token }}"})
    assert not exports_job_token('echo "X=1" >> "$GITHUB_ENV"', {"GH_TOKEN": "${{ github.token }}"})
