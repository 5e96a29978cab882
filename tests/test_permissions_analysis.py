"""Unit tests of the permissions transform's pieces: scope arithmetic and what can reach the token."""

from __future__ import annotations

import pytest

from fixbot.transforms import permissions
from fixbot.transforms.permissions.decide import decide_job
from fixbot.transforms.permissions.extract import job_facts
from fixbot.transforms.permissions.grants import (
    READ_ALL,
    WRITE_ALL,
    desired,
    excess_writes,
    missing,
    parse_grant,
    shared_reads,
)
from fixbot.types import Change
from fixbot.workflow import RepoContext, Workflow
from fixbot.yamlmodel import Document


def grant(text: str) -> dict[str, str] | None:
    doc = Document(f"permissions: {text}\n")
    return parse_grant(doc.node_at(("permissions",)))


def test_parse_grant_forms() -> None:
    assert grant("{}") == {}
    assert grant("{contents: read, issues: none}") == {"contents": "read"}
    assert grant("write-all") == WRITE_ALL
    assert WRITE_ALL["id-token"] == "write" and WRITE_ALL["models"] == "read"
    assert grant("read-all") == READ_ALL and "id-token" not in READ_ALL
    assert grant("${{ vars.P }}") is None
    assert grant("{contents: admin}") is None
    assert grant("{metadata: read}") is None  # not a workflow scope
    assert grant("{models: write}") is None  # models only takes read


def test_scope_arithmetic() -> None:
    assert missing({"contents": "read"}, {"contents": "write"}) == {"contents": "write"}
    assert missing({"contents": "write"}, {"contents": "read"}) == {}
    assert excess_writes({"contents": "write", "issues": "write"}, {"issues": "write"}) == ["contents"]
    assert desired({"issues": "write"}, None) == {"contents": "read", "issues": "write"}
    assert desired({}, {"issues": "write"}) == {}  # the floor never exceeds the cap
    assert shared_reads([{"contents": "write", "actions": "read"}, {"contents": "read"}]) == \
        {"contents": "read"}


def needs(workflow: str, job: str = "j", files: dict[str, str] | None = None
          ) -> tuple[dict[str, str], list[str]]:
    ctx = RepoContext((files or {}).get)
    a = decide_job(job_facts(Document(workflow), job, ctx))
    scopes: dict[str, str] = {}
    for f in a.found:
        for s, lvl in f.need.scopes.items():
            if lvl == "write" or s not in scopes:
                scopes[s] = lvl
    return scopes, a.unknown


JOB = "on: push\njobs:\n  j:\n    runs-on: x\n{env}    steps:\n      - run: {run}\n{step_env}"


@pytest.mark.parametrize("env,step_env,expected", [
    ("", "", {}),  # gh without a token in reach: not the job token's business
    ("", "        env:\n          GH_TOKEN: ${{ github.token }}\n", {"pull-requests": "write"}),
    ("    env:\n      GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}\n", "", {"pull-requests": "write"}),
    ("", "        env:\n          GH_TOKEN: ${{ secrets.PAT }}\n", {}),
])
def test_run_counts_only_where_the_token_is_in_reach(env: str, step_env: str,
                                                     expected: dict[str, str]) -> None:
    wf = JOB.format(env=env, run="gh pr comment 1 --body hi", step_env=step_env)
    assert needs(wf) == (expected, [])


def test_a_program_with_the_token_in_its_environment_is_unknown() -> None:
    wf = JOB.format(env="", run="npx semantic-release",
                    step_env="        env:\n          GITHUB_TOKEN: ${{ github.token }}\n")
    scopes, unknown = needs(wf)
    assert unknown and "semantic-release" in unknown[0]


def test_git_push_needs_the_persisted_checkout() -> None:
    base = ("on: push\njobs:\n  j:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n"
            "{with_}      - run: git push\n")
    assert needs(base.format(with_=""))[0] == {"contents": "write"}
    off = "        with:\n          persist-credentials: false\n"
    assert needs(base.format(with_=off))[0] == {"contents": "read"}
    pat = "        with:\n          token: ${{ secrets.PAT }}\n"
    assert needs(base.format(with_=pat))[0] == {}


def test_composite_local_action_is_followed_with_its_inputs() -> None:
    action = ("runs:\n  using: composite\n  steps:\n    - shell: bash\n      run: gh release create v1\n"
              "      env:\n        GH_TOKEN: ${{ inputs.token }}\ninputs:\n  token:\n"
              "    default: ${{ github.token }}\n")
    wf = "on: push\njobs:\n  j:\n    runs-on: x\n    steps:\n      - uses: ./.github/actions/rel\n{w}"
    files = {".github/actions/rel/action.yml": action}
    assert needs(wf.format(w=""), files=files)[0] == {"contents": "write"}
    other = "        with:\n          token: ${{ secrets.RELEASE_PAT }}\n"
    assert needs(wf.format(w=other), files=files)[0] == {}
    assert needs(wf.format(w=""))[1]  # not in the context: unknown


def test_local_callee_requests_become_the_callers_needs() -> None:
    callee = ("on: workflow_call\njobs:\n  a:\n    runs-on: x\n    permissions:\n"
              "      contents: read\n      packages: write\n    steps:\n      - run: make\n")
    wf = "on: push\njobs:\n  j:\n    uses: ./.github/workflows/c.yml\n"
    assert needs(wf, files={".github/workflows/c.yml": callee}) == (
        {"contents": "read", "packages": "write"}, [])


def run(text: str) -> list[object]:
    return permissions.analyze(Workflow("w.yml", Document(text)), RepoContext())


def test_never_grants_a_default_above_an_unknown_job() -> None:
    found = run("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: acme/x@v1\n"
                "  b:\n    runs-on: x\n    steps:\n      - run: make\n")
    changes = [f for f in found if isinstance(f, Change)]
    assert [c.location for c in changes] == ["jobs.b"]


def test_a_granted_id_token_survives_a_publish_command() -> None:
    found = run("on: push\njobs:\n  a:\n    runs-on: x\n    permissions: write-all\n    steps:\n"
                "      - run: uv publish\n")
    (change,) = [f for f in found if isinstance(f, Change)]
    assert change.edits[0].op.value == {"contents": "read", "id-token": "write"}


def test_a_python_default_shell_with_the_token_is_unknown() -> None:
    wf = ("on: push\njobs:\n  j:\n    runs-on: x\n    defaults:\n      run:\n        shell: python\n"
          "    env:\n      GITHUB_TOKEN: ${{ github.token }}\n    steps:\n      - run: print(1)\n")
    assert needs(wf) == ({}, [])  # read with libcst: it runs nothing and calls nothing
    github = wf.replace("print(1)", "|\n          import github, os\n          github.Github(os.environ['GITHUB_TOKEN']).get_user()")
    assert sorted(needs(github)[1]) == [
        "step 1 (`import github, os`): the `python` script: line 2: PyGithub client (github.Github) "
        "whose API calls are not analysed",
        "step 1 (`import github, os`): the `python` script: line 2: PyGithub client "
        "(github.Github.get_user) whose API calls are not analysed"]


def test_a_token_written_to_github_env_reaches_later_steps() -> None:
    wf = ("on: push\njobs:\n  j:\n    runs-on: x\n    steps:\n"
          "      - run: echo \"GH_TOKEN=${{ github.token }}\" >> \"$GITHUB_ENV\"\n"
          "      - run: gh pr comment 1 --body hi\n")
    assert needs(wf) == ({"pull-requests": "write"}, [])
