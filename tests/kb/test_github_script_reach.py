"""actions/github-script: code it loads, programs it starts, second clients and raw requests."""

from __future__ import annotations

import pytest

from fixbot.kb.github_script import analyze_github_script, github_script_sources, required_files
from fixbot.kb.model import merge_scopes

JOB_ENV = {"T": "${{ github.token }}"}


def scopes(script: str, **kw: object) -> dict[str, str]:
    a = analyze_github_script(script, **kw)  # type: ignore[arg-type]
    return merge_scopes(*(n.scopes for n in a.needs))


@pytest.mark.parametrize(
    ("script", "files"),
    [
        ("const run = require('./a.js')", [".github/x.js", "a.js"]),
        ("const run = require('.github/scripts/close.js')", [".github/scripts/close.js"]),
        ("require(path.join(process.env.GITHUB_WORKSPACE, '.github/scripts', 'close.js'))",
         [".github/scripts/close.js"]),
        ("await import('${{ github.workspace }}/.github/scripts/close.mjs')",
         [".github/scripts/close.mjs"]),
        ("require(`${process.env.GITHUB_WORKSPACE}/s/x.js`)", ["s/x.js"]),
    ],
)
def test_required_files(script: str, files: list[str]) -> None:
    assert set(required_files(script)) <= set(files)
    assert required_files(script)
    assert analyze_github_script(script).unknown == ()


@pytest.mark.parametrize(
    "script",
    [
        "const m = require(name)",
        "await import(`./${name}.js`)",
        "require('lodash')",
        "require('/etc/x.js')",
        "eval(src)",
        "const o = getOctokit(process.env.T)",
        "const o = new Octokit({ auth: process.env.T })",
        "const o = getOctokit(core.getInput('github-token'))",
        "await fetch(u, { headers: { Authorization: `token ${process.env.T}` } })",
        "const req = https.request(opts); opts.headers = {authorization: process.env.T}",
        "const cp = require('child_process'); const f = cp.execSync; f('git push')",
        "const cp = require('child_process'); cp.execSync(cmd)",
        "await exec.exec(cmd)",
        "await exec.exec('git', args)",
    ],
)
def test_unaccounted_is_unknown(script: str) -> None:
    assert analyze_github_script(script, JOB_ENV).unknown


def test_other_credential_client_and_anonymous_fetch_are_not_unknown() -> None:
    assert analyze_github_script("const o = getOctokit('${{ secrets.PAT }}')").unknown == ()
    assert analyze_github_script("await fetch('https://example.com/x')").unknown == ()
    assert analyze_github_script(
        "await fetch(`https://x/${process.env.GITHUB_REPOSITORY}`)").unknown == ()


def test_processes_are_read_as_commands() -> None:
    assert scopes("await exec.exec('git', ['push', 'origin', 'HEAD'])") == {"contents": "write"}
    assert scopes("await exec.exec('git push origin HEAD')") == {"contents": "write"}
    assert scopes("require('child_process').execSync('git push')") == {"contents": "write"}
    assert scopes("const {spawnSync} = require('child_process'); spawnSync('git', ['push'])") == {
        "contents": "write"}
    assert scopes("const {exec} = require('@actions/exec'); await exec('git', ['push'])") == {
        "contents": "write"}
    a = analyze_github_script("await exec.exec('git', ['push'])")
    assert a.git_uses
    # without persisted credentials, a push with no token reaching git needs nothing of the job
    assert scopes("await exec.exec('git', ['push'])", job_client=False, git=False) == {}
    # a program run without a literal command may push
    assert analyze_github_script("await exec.exec(cmd)").may_push


def test_another_client_token_skips_octokit_calls_only() -> None:
    src = "await github.rest.issues.update({}); const o = getOctokit(process.env.T)"
    a = analyze_github_script(src, JOB_ENV, job_client=False)
    assert a.needs == ()
    assert a.unknown


def test_sources_followed_through_files() -> None:
    files = {"a.js": "module.exports = require('./lib/b.js')",
             "lib/b.js": "const c = require('../c.js')", "c.js": "github.rest.issues.update({})"}
    sources, unread = github_script_sources("require('./a.js')", files.get)
    assert unread is None
    assert len(sources) == 4
    _, unread = github_script_sources("require('./missing.js')", files.get)
    assert unread == "missing.js"
