"""Adversarial review of issue 8 (action metadata, the persisted-credentials bound, context-as-JSON
variables, $GITHUB_PATH variables, ``$/`` references, task names).

Each ``xfail(strict=True)`` test is a workflow on which the current code UNDER-GRANTS (the job
loses a scope it uses, so the workflow breaks) or drops persisted credentials a later step needs.
The assertions accept either the exact answer or leaving the job as it is (never an under-grant).
The tests without a mark pin behaviour checked and found sound.

Metadata is served from a temporary action cache laid out like ``../shared/actions``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from fixbot import engine
from fixbot.action_source import CacheDir, Metadata
from fixbot.files import repo_reader
from fixbot.transforms import REGISTRY
from fixbot.types import FileResult
from fixbot.workflow import RepoContext

RANK = {"none": 0, "read": 1, "write": 2}

# --- helpers ----------------------------------------------------------------------------------


def _cache(tmp_path: Path, files: dict[str, str] | None) -> Metadata:
    root = tmp_path / "actions"
    root.mkdir(exist_ok=True)
    for rel, text in (files or {}).items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return Metadata(CacheDir(root))


def _run(tmp_path: Path, workflow: str, transform: str = "permissions",
         actions: dict[str, str] | None = None, repo: dict[str, str] | None = None
         ) -> tuple[FileResult, str]:
    tree = tmp_path / "repo"
    tree.mkdir(exist_ok=True)
    for rel, text in (repo or {}).items():
        p = tree / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    ctx = RepoContext(repo_reader(tree), actions=_cache(tmp_path, actions))
    result = engine.process(".github/workflows/t.yml", workflow, [REGISTRY[transform]], ctx)
    assert result.status != "error", result.error
    out = result.updated if result.status == "changed" and result.updated else workflow
    return result, out


def _perms(text: str) -> Any:
    data = YAML(typ="safe").load(text)
    return data["jobs"]["t"].get("permissions", data.get("permissions", "default"))


def _under(expected: dict[str, str], got: Any) -> bool:
    """Whether ``got`` grants less than ``expected`` on some scope (write-all/default never)."""
    if got in ("write-all", "default"):
        return False
    if got == "read-all":
        return any(v == "write" for v in expected.values())
    assert isinstance(got, dict), got
    return any(RANK[str(got.get(s, "none"))] < RANK[v] for s, v in expected.items())


def assert_not_under(tmp_path: Path, workflow: str, expected: dict[str, str], **kw: Any) -> None:
    _, out = _run(tmp_path, workflow, **kw)
    got = _perms(out)
    assert not _under(expected, got), f"needs {expected}, got {got}"


def _persist_value(text: str) -> Any:
    data = YAML(typ="safe").load(text)
    for step in data["jobs"]["t"]["steps"]:
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            return (step.get("with") or {}).get("persist-credentials")
    raise AssertionError("no checkout")


def assert_credentials_kept(tmp_path: Path, workflow: str, **kw: Any) -> None:
    _, out = _run(tmp_path, workflow, transform="persist-credentials", **kw)
    assert _persist_value(out) is not False, "persist-credentials: false was added"


def job(steps: str, extra: str = "") -> str:
    return (f"on: push\npermissions: write-all\njobs:\n  t:\n    runs-on: ubuntu-latest\n{extra}"
            f"    steps:\n{steps}")


CHECKOUT = "      - uses: actions/checkout@v4\n"

# --- D1: a variable holding secrets[...] / toJSON(secrets) / toJSON(github) -------------------
# b6743c2 judges such a variable "as the job token", but the command readers ask
# `credential(value) == JOB`, which is VARIABLE for these values: a program that sends the
# variable to the REST API is not seen at all, and the job is narrowed to contents: read. Before
# b6743c2 the step was unknown (job left as it is).
# secrets[...] indexes the secrets context, which holds GITHUB_TOKEN:
# https://docs.github.com/en/actions/reference/workflows-and-actions/contexts#secrets-context
# creating an issue comment needs issues: write:
# https://docs.github.com/en/rest/issues/comments#create-an-issue-comment

MATRIX = "    strategy:\n      matrix:\n        token: [GITHUB_TOKEN, RELEASE_PAT]\n"
COMMENT_URL = "https://api.github.com/repos/${{ github.repository }}/issues/1/comments"

INDEXED_SECRET_STEPS = {
    "curl": f"""      - env:
          TOK: ${{{{ secrets[matrix.token] }}}}
        run: |
          curl -sf -X POST -H "Authorization: Bearer $TOK" -d '{{"body":"hi"}}' "{COMMENT_URL}"
""",
    "wget": f"""      - env:
          TOK: ${{{{ secrets[matrix.token] }}}}
        run: |
          wget --header="Authorization: Bearer $TOK" --post-data='{{"body":"hi"}}' "{COMMENT_URL}"
""",
    "gh-api-header": """      - env:
          TOK: ${{ secrets[matrix.token] }}
          GH_TOKEN: ${{ secrets.OTHER }}
        run: |
          gh api -X POST -H "Authorization: token $TOK" repos/${{ github.repository }}/issues/1/comments -f body=hi
""",
    "pwsh": f"""      - shell: pwsh
        env:
          TOK: ${{{{ secrets[matrix.token] }}}}
        run: |
          Invoke-RestMethod -Method Post -Uri "{COMMENT_URL}" -Headers @{{ Authorization = "Bearer $env:TOK" }} -Body '{{"body":"hi"}}'
""",
    "python": f"""      - shell: python
        env:
          TOK: ${{{{ secrets[matrix.token] }}}}
        run: |
          import os, urllib.request
          req = urllib.request.Request("{COMMENT_URL}", data=b'{{"body":"hi"}}', method="POST", headers={{"Authorization": "Bearer " + os.environ["TOK"]}})
          urllib.request.urlopen(req)
""",
    "github-script-env": """      - uses: actions/github-script@v7
        env:
          TOK: ${{ secrets[matrix.token] }}
        with:
          script: |
            const o = github.getOctokit(process.env.TOK)
            await o.rest.issues.createComment({...context.repo, issue_number: 1, body: 'hi'})
""",
}


@pytest.mark.parametrize("name", sorted(INDEXED_SECRET_STEPS))
def test_indexed_secret_variable_sent_to_the_api(tmp_path: Path, name: str) -> None:
    wf = job(INDEXED_SECRET_STEPS[name], MATRIX)
    assert_not_under(tmp_path, wf, {"contents": "read", "issues": "write"})


@pytest.mark.parametrize("ctx", ["toJSON(github)", "toJSON(secrets)"])
def test_token_extracted_from_a_context_json_variable(tmp_path: Path, ctx: str) -> None:
    key = ".token" if ctx == "toJSON(github)" else ".github_token"
    wf = job(f"""      - env:
          CTX: ${{{{ {ctx} }}}}
        run: |
          TOKEN=$(echo "$CTX" | jq -r {key})
          curl -sf -X POST -H "Authorization: token $TOKEN" -d '{{"body":"hi"}}' "{COMMENT_URL}"
""")
    assert_not_under(tmp_path, wf, {"contents": "read", "issues": "write"})


# Pre-existing (not introduced by issue 8), same family: the indexed secret given as an action's
# token input is read as "another token" and the action's needs are dropped.
@pytest.mark.parametrize("step", [
    """      - uses: peter-evans/create-or-update-comment@v4
        with:
          token: ${{ secrets[matrix.token] }}
          issue-number: 1
          body: hi
""",
    """      - uses: actions/github-script@v7
        with:
          github-token: ${{ secrets[matrix.token] }}
          script: |
            await github.rest.issues.createComment({...context.repo, issue_number: 1, body: 'hi'})
""",
], ids=["create-or-update-comment", "github-script"])
def test_indexed_secret_as_token_input(tmp_path: Path, step: str) -> None:
    assert_not_under(tmp_path, job(step, MATRIX), {"contents": "read", "issues": "write"})


def test_indexed_secret_in_gh_token_is_sound(tmp_path: Path) -> None:
    wf = job("""      - env:
          TOK: ${{ secrets[matrix.token] }}
        run: GH_TOKEN="$TOK" gh issue close 1
""", MATRIX)
    _, out = _run(tmp_path, wf)
    assert _perms(out) == {"contents": "read", "issues": "write"}


# --- D2: a $GITHUB_PATH directory held in a told variable (e5970bb) ---------------------------
# `TOOL_DIR="$GITHUB_WORKSPACE/scripts"` is now "told", so no untold-path store is left; but the
# variable is not resolved when the directory is recorded (`_path_dir` gives up on `$`), so no
# `path:scripts` store is left either: a later bare command that is the repository's script is
# neither read nor unknown. The script's `git push` (persisted credentials) is missed: the job
# loses contents: write and persist-credentials drops the credentials. The same text without the
# variable is read correctly. Variables also get values the reader does not see (`read`,
# `printf -v`, `cd` then `$PWD`), which makes "every value is told" wrong.
# Adding a system path: https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#adding-a-system-path
# A push needs contents: write: https://docs.github.com/en/rest/authentication/permissions-required-for-github-apps#repository-permissions-for-contents

PUSH_SCRIPT = {"scripts/update-site": "#!/bin/bash\ngit push origin HEAD:gh-pages\n",
               ".tooldir": "/home/runner/work/r/r/scripts\n"}
PATH_VARIANTS = {
    "assigned": '          TOOL_DIR="$GITHUB_WORKSPACE/scripts"\n',
    "read": '          TOOL_DIR="$RUNNER_TEMP/bin"\n          read -r TOOL_DIR < .tooldir\n',
    "printf-v": '          TOOL_DIR="$RUNNER_TEMP/bin"\n'
                '          printf -v TOOL_DIR "%s/scripts" "$GITHUB_WORKSPACE"\n',
    "cd-pwd": '          cd scripts\n          TOOL_DIR="$PWD"\n',
}


def _path_wf(first: str) -> str:
    return job(CHECKOUT + "      - run: |\n" + first
               + '          echo "$TOOL_DIR" >> "$GITHUB_PATH"\n'
               + "      - run: update-site\n")


@pytest.mark.parametrize("variant", sorted(PATH_VARIANTS))
def test_path_variable_script_push_permissions(tmp_path: Path, variant: str) -> None:
    assert_not_under(tmp_path, _path_wf(PATH_VARIANTS[variant]), {"contents": "write"},
                     repo=PUSH_SCRIPT)


@pytest.mark.parametrize("variant", sorted(PATH_VARIANTS))
def test_path_variable_script_push_credentials(tmp_path: Path, variant: str) -> None:
    assert_credentials_kept(tmp_path, _path_wf(PATH_VARIANTS[variant]), repo=PUSH_SCRIPT)


@pytest.mark.xfail(strict=True, reason="defect (pre-existing): `cd scripts` then `$PWD` on "
                   "$GITHUB_PATH is recorded as the step's start directory, not scripts/")
def test_path_pwd_after_cd_script_push(tmp_path: Path) -> None:
    wf = job(CHECKOUT + '      - run: |\n          cd scripts\n'
             '          echo "$PWD" >> "$GITHUB_PATH"\n      - run: update-site\n')
    assert_not_under(tmp_path, wf, {"contents": "write"}, repo=PUSH_SCRIPT)


def test_path_literal_script_push_is_sound(tmp_path: Path) -> None:
    wf = job(CHECKOUT + '      - run: echo "$GITHUB_WORKSPACE/scripts" >> "$GITHUB_PATH"\n'
             "      - run: update-site\n")
    _, out = _run(tmp_path, wf, repo=PUSH_SCRIPT)
    assert _perms(out) == {"contents": "write"}
    assert_credentials_kept(tmp_path, wf, repo=PUSH_SCRIPT)


# --- D3: "only what runs counts as a push" (5fdcecc) ------------------------------------------
# Without a target, `make -C DIR` / `make -f FILE` / `just -f FILE` run the default target of that
# directory's or file's Makefile/justfile: the option names WHAT runs, not only where. When the
# file is not in the repository context (a submodule, a generated file), the command was
# "may push" before 5fdcecc (job unknown, credentials kept); now it needs nothing: contents: read
# and persist-credentials: false. GNU make runs the first target by default:
# https://www.gnu.org/software/make/manual/make.html#How-Make-Works
# just runs the first recipe: https://just.systems/man/en/the-default-recipe.html


@pytest.mark.parametrize("cmd", ["make -C deploy", "make -f release.mk", "just -f release.just"])
def test_default_target_of_a_named_file_may_push(tmp_path: Path, cmd: str) -> None:
    wf = job(CHECKOUT + f"      - run: {cmd}\n")
    assert_not_under(tmp_path, wf, {"contents": "write"})
    assert_credentials_kept(tmp_path, wf)


@pytest.mark.parametrize("cmd,files", [
    ("make -C deploy", {"deploy/Makefile": "all:\n\tgit push origin HEAD:gh-pages\n"}),
    ("make -f release.mk", {"release.mk": "all:\n\tgit push origin HEAD:gh-pages\n"}),
])
def test_default_target_read_when_the_file_is_there(tmp_path: Path, cmd: str,
                                                    files: dict[str, str]) -> None:
    wf = job(CHECKOUT + f"      - run: {cmd}\n")
    _, out = _run(tmp_path, wf, repo=files)
    assert _perms(out) == {"contents": "write"}
    assert_credentials_kept(tmp_path, wf, repo=files)


# Pre-existing: `npx release-it` and `bun x release-it` may push, the other package runners'
# exec forms do not. release-it commits, tags and pushes with git by default:
# https://github.com/release-it/release-it/blob/main/docs/git.md
@pytest.mark.parametrize("cmd", ["npm exec -- release-it --ci", "pnpm exec release-it --ci",
                                 "pnpm dlx release-it --ci", "yarn dlx release-it --ci"])
def test_package_runner_exec_of_release_it(tmp_path: Path, cmd: str) -> None:
    wf = job(CHECKOUT + f"      - run: {cmd}\n")
    assert_not_under(tmp_path, wf, {"contents": "write"})
    assert_credentials_kept(tmp_path, wf)


# --- D4: `$/` inside a remote composite action ------------------------------------------------
# `$/path` resolves to the repository and ref of the YAML file that contains it: inside
# acme/tools@v1 it is acme/tools/path@v1 ("$/lib/helper inside external/foo@v1 resolves to
# external/foo@v1 with path lib/helper, not the workflow's root repo", runner PR
# https://github.com/actions/runner/pull/4457 ; changelog
# https://github.blog/changelog/2026-07-30-reference-same-repository-actions-with-self-repository-syntax/ ).
# fixbot reads it from the CALLER's repository, so a caller with an action at the same path
# decides what the remote action's sibling needs.

RELEASE_TOOLS = """name: Release tools
description: Makes a release of the project
runs:
  using: composite
  steps:
    - uses: $/.github/actions/setup
"""
THEIR_SETUP = """name: setup
description: creates the release
runs:
  using: composite
  steps:
    - shell: bash
      run: gh release create "$GITHUB_REF_NAME" --generate-notes
      env:
        GH_TOKEN: ${{ github.token }}
"""
OUR_SETUP = """name: setup
description: installs node
runs:
  using: composite
  steps:
    - shell: bash
      run: echo setup
"""


def test_dollar_self_in_remote_composite_permissions(tmp_path: Path) -> None:
    wf = job("      - uses: acme/tools@v1\n")
    assert_not_under(tmp_path, wf, {"contents": "write"},
                     actions={"acme/tools/v1/action.yml": RELEASE_TOOLS,
                              "acme/tools/v1/.github/actions/setup/action.yml": THEIR_SETUP},
                     repo={".github/actions/setup/action.yml": OUR_SETUP})


def test_dollar_self_in_remote_composite_credentials(tmp_path: Path) -> None:
    theirs = """name: push
runs:
  using: composite
  steps:
    - shell: bash
      run: git push origin HEAD:gh-pages
"""
    wf = job(CHECKOUT + "      - uses: acme/tools@v1\n")
    assert_credentials_kept(tmp_path, wf,
                            actions={"acme/tools/v1/action.yml": RELEASE_TOOLS,
                                     "acme/tools/v1/.github/actions/setup/action.yml": theirs},
                            repo={".github/actions/setup/action.yml": OUR_SETUP})


def test_dollar_self_in_remote_composite_without_a_local_copy_is_unknown(tmp_path: Path) -> None:
    wf = job("      - uses: acme/tools@v1\n")
    result, out = _run(tmp_path, wf, actions={"acme/tools/v1/action.yml": RELEASE_TOOLS})
    assert _perms(out) == "write-all" and result.notes


# --- D5: `$/` job call inside a remote reusable workflow --------------------------------------
# "When you reference a reusable workflow in the same repository using `$/` or `./` ..., the
# called workflow is from the same commit as the caller workflow" (reuse-workflows how-to,
# https://docs.github.com/en/actions/how-tos/reuse-automations/reuse-workflows ); inside
# acme/shared/.github/workflows/ci.yml@v1 the caller workflow is acme/shared's. fixbot reads the
# nested callee from the top caller's repository: a same-named file there (asking less) drops
# the scope the real nested callee asks for, and the run fails with startup_failure.
# (`./` in the same place is left out: its resolution for nested calls is disputed,
# https://github.com/orgs/community/discussions/48693 vs https://github.com/nektos/act/pull/5888 .)

SHARED_CI = """on:
  workflow_call:
jobs:
  build:
    uses: $/.github/workflows/build.yml
"""
THEIR_BUILD = """on:
  workflow_call:
permissions:
  contents: read
  packages: write
jobs:
  b:
    runs-on: ubuntu-latest
    steps:
      - run: echo push image
"""
OUR_BUILD = """on:
  workflow_call:
permissions:
  contents: read
jobs:
  b:
    runs-on: ubuntu-latest
    steps:
      - run: echo build
"""


def test_dollar_self_call_in_remote_reusable_workflow(tmp_path: Path) -> None:
    wf = ("on: push\npermissions: write-all\njobs:\n  t:\n"
          "    uses: acme/shared/.github/workflows/ci.yml@v1\n")
    assert_not_under(tmp_path, wf, {"contents": "read", "packages": "write"},
                     actions={"acme/shared/v1/.github/workflows/ci.yml": SHARED_CI,
                              "acme/shared/v1/.github/workflows/build.yml": THEIR_BUILD},
                     repo={".github/workflows/build.yml": OUR_BUILD})


# --- D6: a remote composite's output forwarding a nested composite's output carrying the token -
# `_outputs_may_carry_token` asks whether the action.yml text names the job token; a composite
# whose output is `${{ steps.inner.outputs.token }}` of a nested composite that echoes
# `${{ github.token }}` does not name it, so a later step that gives that output to gh is read as
# using another token. Composite outputs: https://docs.github.com/en/actions/reference/workflows-and-actions/metadata-syntax#outputsoutput_idvalue

TOKEN_HELPER = """name: Token helper
description: Exposes the token
outputs:
  token:
    value: ${{ steps.s.outputs.token }}
runs:
  using: composite
  steps:
    - id: s
      shell: bash
      run: echo "token=${{ github.token }}" >> "$GITHUB_OUTPUT"
"""
SETUP_WRAPPER = """name: Setup
description: Sets things up
outputs:
  token:
    value: ${{ steps.inner.outputs.token }}
runs:
  using: composite
  steps:
    - id: inner
      uses: acme/token-helper@v1
"""
OUTPUT_WF = job("""      - id: setup
        uses: USES
      - run: gh issue comment 1 --body hi
        env:
          GH_TOKEN: ${{ steps.setup.outputs.token }}
""")
HELPERS = {"acme/token-helper/v1/action.yml": TOKEN_HELPER,
           "acme/setup/v1/action.yml": SETUP_WRAPPER}


def test_nested_composite_token_output(tmp_path: Path) -> None:
    assert_not_under(tmp_path, OUTPUT_WF.replace("USES", "acme/setup@v1"),
                     {"contents": "read", "issues": "write"}, actions=HELPERS)


def test_direct_composite_token_output_is_sound(tmp_path: Path) -> None:
    _, out = _run(tmp_path, OUTPUT_WF.replace("USES", "acme/token-helper@v1"), actions=HELPERS)
    assert _perms(out) == {"contents": "read", "issues": "write"}


# --- D7: the persisted credentials ARE the job token ------------------------------------------
# 3b806fb bounds a step that may push by contents: write because "the persisted git credentials
# can do nothing else". They are the job token itself (an AUTHORIZATION header in the git
# config, https://github.com/actions/checkout#usage "The auth token is persisted in the local git
# config"), and a step can take it out and call the API. Pre-existing in both transforms (the
# step is read as needing nothing and the credentials are dropped), but it is the assumption
# the new bound rests on.

EXTRAHEADER_WF = job(CHECKOUT + f"""      - run: |
          AUTH="$(git config --get http.https://github.com/.extraheader)"
          curl -sf -X POST -H "$AUTH" -d '{{"body":"built"}}' "{COMMENT_URL}"
""")


def test_extraheader_reused_for_the_api_permissions(tmp_path: Path) -> None:
    assert_not_under(tmp_path, EXTRAHEADER_WF, {"contents": "read", "issues": "write"})


def test_extraheader_reused_for_the_api_credentials(tmp_path: Path) -> None:
    assert_credentials_kept(tmp_path, EXTRAHEADER_WF)


# --- sound behaviour of the metadata reading (checked, kept) ----------------------------------
# The runner exposes only an allowlist of the github context as GITHUB_* variables to a node
# action ("token" is not in it), plus inputs as INPUT_* and the env context:
# https://github.com/actions/runner/blob/main/src/Runner.Worker/GitHubContext.cs
# https://github.com/actions/runner/blob/main/src/Runner.Worker/Handlers/NodeScriptActionHandler.cs
# Inputs are matched case-insensitively, undeclared inputs are passed on (with a warning), and
# defaults are merged for inputs not given:
# https://github.com/actions/runner/blob/main/src/Runner.Worker/ActionRunner.cs

JS_PLAIN = """name: Lint
description: Lints files
inputs:
  files:
    default: "."
runs:
  using: node20
  main: dist/index.js
"""
JS_TOKEN_DEFAULT_ENV = """name: Lint
description: Lints files
inputs:
  token:
    default: ${{ env.GH }}
runs:
  using: node20
  main: dist/index.js
"""
JS_MIXED_CASE = """name: Lint
description: Lints files
inputs:
  Repo-Token:
    default: ${{ github.token }}
runs:
  using: node20
  main: dist/index.js
"""
DOCKER_ARGS = """name: Scan
description: Scans
runs:
  using: docker
  image: Dockerfile
  args:
    - ${{ toJSON(github) }}
"""
EXPORTER = """name: Export
description: Exports the token for later steps
inputs:
  token:
    default: ${{ github.token }}
runs:
  using: composite
  steps:
    - shell: bash
      run: echo "GH_TOKEN=${{ inputs.token }}" >> "$GITHUB_ENV"
"""
SOUND_ACTIONS = {"acme/lint/v1/action.yml": JS_PLAIN,
                 "acme/lint-env/v1/action.yml": JS_TOKEN_DEFAULT_ENV,
                 "acme/lint-case/v1/action.yml": JS_MIXED_CASE,
                 "acme/scan/v1/action.yml": DOCKER_ARGS,
                 "acme/export/v1/action.yml": EXPORTER}


@pytest.mark.parametrize("steps,extra", [
    # the job env holds the token: every JavaScript action gets it in its environment
    ("      - uses: acme/lint@v1\n", "    env:\n      GITHUB_TOKEN: ${{ github.token }}\n"),
    # the workflow's env, through an input default naming env.GH
    ("      - uses: acme/lint-env@v1\n", "    env:\n      GH: ${{ secrets.GITHUB_TOKEN }}\n"),
    # an input the action does not declare still reaches it as INPUT_GITHUB-TOKEN
    ("      - uses: acme/lint@v1\n        with:\n          github-token: ${{ github.token }}\n",
     ""),
    # a Docker action's runs.args with the whole github context
    ("      - uses: acme/scan@v1\n", ""),
    # an earlier step exported the token to $GITHUB_ENV
    ('      - run: echo "GH_TOKEN=${{ github.token }}" >> "$GITHUB_ENV"\n'
     "      - uses: acme/lint@v1\n", ""),
    # an earlier step configured gh with the token
    ("      - run: gh auth login --with-token <<< '${{ github.token }}'\n"
     "      - uses: acme/lint@v1\n", ""),
], ids=["job-env", "input-default-env", "undeclared-input", "docker-args", "github-env",
        "gh-login"])
def test_token_reaching_an_unknown_action_leaves_the_job_unknown(
        tmp_path: Path, steps: str, extra: str) -> None:
    result, out = _run(tmp_path, job(steps, extra), actions=SOUND_ACTIONS)
    assert _perms(out) == "write-all"
    assert any("job `t`" in n.message for n in result.notes)


def test_mixed_case_input_override_is_read_case_insensitively(tmp_path: Path) -> None:
    wf = job("      - uses: acme/lint-case@v1\n        with:\n"
             "          repo-token: ${{ secrets.BOT_TOKEN }}\n")
    _, out = _run(tmp_path, wf, actions=SOUND_ACTIONS)
    assert _perms(out) == {"contents": "read"}
    # an empty override leaves the default (the job token) in force: unknown
    wf = job("      - uses: acme/lint-case@v1\n        with:\n          REPO-TOKEN: ''\n")
    _, out = _run(tmp_path, wf, actions=SOUND_ACTIONS)
    assert _perms(out) == "write-all"


def test_composite_exporting_the_token_reaches_later_steps(tmp_path: Path) -> None:
    wf = job("      - uses: acme/export@v1\n      - run: gh issue close 1\n")
    _, out = _run(tmp_path, wf, actions=SOUND_ACTIONS)
    assert _perms(out) == {"contents": "read", "issues": "write"}


def test_token_in_an_if_condition_does_not_reach_the_action(tmp_path: Path) -> None:
    wf = job("      - if: ${{ github.token != '' }}\n        uses: acme/lint@v1\n")
    _, out = _run(tmp_path, wf, actions=SOUND_ACTIONS)
    assert _perms(out) == {"contents": "read"}


REMOTE_CALLEE = """on:
  workflow_call:
jobs:
  merge:
    runs-on: ubuntu-latest
    steps:
      - run: gh pr merge --auto --squash "$PR"
        env:
          GH_TOKEN: ${{ secrets.GITHUB_TOKEN }}
          PR: ${{ github.event.pull_request.html_url }}
"""


def test_remote_callee_without_a_block_runs_with_the_callers_grant(tmp_path: Path) -> None:
    wf = ("on: pull_request\npermissions: write-all\njobs:\n  t:\n"
          "    uses: acme/shared/.github/workflows/merge.yml@v1\n")
    _, out = _run(tmp_path, wf,
                  actions={"acme/shared/v1/.github/workflows/merge.yml": REMOTE_CALLEE})
    got = _perms(out)
    assert not _under({"contents": "write", "pull-requests": "write"}, got), got


@pytest.mark.parametrize("run", [
    "${{ github.action_path }}/entrypoint.sh",
    'bash "$GITHUB_ACTION_PATH/entrypoint.sh"',
    "cd ${{ github.action_path }} && ./run.sh",
])
def test_remote_composite_running_its_own_script_keeps_the_push(tmp_path: Path, run: str) -> None:
    action = ("name: Site sync\ndescription: Keeps the site in sync\nruns:\n  using: composite\n"
              f"  steps:\n    - shell: bash\n      run: {run}\n")
    wf = job(CHECKOUT + "      - uses: acme/sync@v1\n")
    acts = {"acme/sync/v1/action.yml": action}
    _, out = _run(tmp_path, wf, actions=acts)
    assert _perms(out) == {"contents": "write"}
    assert_credentials_kept(tmp_path, wf, actions=acts)
