"""Precision of the ``permissions`` transform (issue 8, item 4), without under-granting.

a) An action that reads its token from an environment variable (``token_env`` in
   ``actions.toml``) uses what the step's ``env:`` puts there: another secret drops the job
   token's needs, the job token keeps them. An action whose token input defaults to
   ``github.token`` ignores that variable.
b) A reusable-workflow caller keeps a granted ``id-token: write`` while a called job may run
   with it (see :func:`test_caller_oidc_dropped_when_every_called_job_has_a_block`).
c) Only the names of what runs read as a push (the script, target or recipe), not the
   directories, workspaces and packages a command names.

The exact-output tests compare the whole fixed file; where the block written carries scopes
other than ``contents: read`` (which get an explanatory comment), the block is compared instead.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from fixbot import engine
from fixbot.files import repo_reader
from fixbot.kb import lookup_action
from fixbot.kb.actions import action_entries, git_credential_use
from fixbot.kb.git_use import may_push_by_name, may_push_command
from fixbot.kb.shell import parse
from fixbot.kb.task_runners import task_names
from fixbot.transforms import REGISTRY
from fixbot.workflow import RepoContext

WF = ".github/workflows/t.yml"


def fix(text: str, tmp: Path, files: dict[str, str] | None = None) -> str:
    for rel, content in (files or {}).items():
        p = tmp / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(content, encoding="utf-8")
    result = engine.process(WF, text, [REGISTRY["permissions"]], RepoContext(repo_reader(tmp)))
    assert result.status in ("changed", "unchanged"), result.error
    return result.updated if result.status == "changed" and result.updated is not None else text


def effective(text: str, job: str = "t") -> Any:
    doc = YAML(typ="safe", pure=True).load(io.StringIO(text))
    node = doc["jobs"][job]
    grant = node["permissions"] if "permissions" in node else doc.get("permissions", "default")
    return dict(grant) if isinstance(grant, dict) else grant


def scopes(uses: str, inputs: dict[str, str] | None = None,
           env: dict[str, str] | None = None) -> list[dict[str, str]]:
    info = lookup_action(uses, inputs or {}, None, env)
    assert info is not None
    return [dict(n.scopes) for n in info.needs]


# --- a) the token an action reads from its environment -------------------------------------------

RELEASE = {"args": "release --clean"}


def test_token_env_other_secret_drops_the_job_token_needs() -> None:
    env = {"GITHUB_TOKEN": "${{ secrets.GORELEASER_TOKEN }}"}
    assert scopes("goreleaser/goreleaser-action@v6", RELEASE, env) == []
    info = lookup_action("goreleaser/goreleaser-action@v6", RELEASE, None, env)
    assert info is not None and info.job_token is False


@pytest.mark.parametrize("value", [
    "${{ secrets.GITHUB_TOKEN }}",
    "${{ github.token }}",
    "${{ secrets.PAT || github.token }}",  # may be the job token
    "${{ env.UNSET_HERE }}",  # cannot be told: taken as the job token
    "",  # empty: as good as absent
])
def test_token_env_that_may_be_the_job_token_keeps_the_needs(value: str) -> None:
    env = {"GITHUB_TOKEN": value}
    assert scopes("goreleaser/goreleaser-action@v6", RELEASE, env) == [{"contents": "write"}]


def test_token_env_absent_keeps_todays_reading() -> None:
    assert scopes("goreleaser/goreleaser-action@v6", RELEASE) == [{"contents": "write"}]
    assert scopes("goreleaser/goreleaser-action@v6", RELEASE, {}) == [{"contents": "write"}]


def test_token_env_resolved_through_other_variables() -> None:
    job = {"T": "${{ github.token }}", "GITHUB_TOKEN": "${{ env.T }}"}
    other = {"T": "${{ secrets.PAT }}", "GITHUB_TOKEN": "${{ env.T }}"}
    assert scopes("gitleaks/gitleaks-action@v2", {}, job) == [
        {"contents": "read", "pull-requests": "write"}]
    assert scopes("gitleaks/gitleaks-action@v2", {}, other) == []


def test_token_env_first_variable_set_decides() -> None:
    """gh takes GH_TOKEN before GITHUB_TOKEN."""
    uses = "knqyf263/trivy-issue-action@v0.0.6"
    need = [{"contents": "read", "issues": "write"}]
    assert scopes(uses, {}, {"GH_TOKEN": "${{ secrets.X }}", "GITHUB_TOKEN": "${{ github.token }}"}) == []
    assert scopes(uses, {}, {"GH_TOKEN": "${{ github.token }}", "GITHUB_TOKEN": "${{ secrets.X }}"}) == need
    assert scopes(uses, {}, {"GITHUB_TOKEN": "${{ github.token }}"}) == need
    assert scopes(uses, {}, {"GITHUB_TOKEN": "${{ secrets.X }}"}) == []


@pytest.mark.parametrize("uses,need", [
    ("peter-evans/create-pull-request@v7", [{"contents": "write", "pull-requests": "write"}]),
    ("softprops/action-gh-release@v2", [{"contents": "write"}]),
    ("actions/checkout@v4", [{"contents": "read"}]),
])
def test_env_does_not_replace_a_token_input_default(uses: str, need: list[dict[str, str]]) -> None:
    """These actions take the token from an input whose default is github.token: a GITHUB_TOKEN
    of another secret in their environment changes nothing (never under-grant)."""
    assert scopes(uses, {}, {"GITHUB_TOKEN": "${{ secrets.PAT }}", "GH_TOKEN": "${{ secrets.PAT }}"}) == need


def test_semantic_pull_request_wip_sets_a_status() -> None:
    uses = "amannn/action-semantic-pull-request@v5"
    assert scopes(uses) == [{"pull-requests": "read"}]
    assert scopes(uses, {"wip": "true"}) == [{"pull-requests": "read"}, {"statuses": "write"}]
    assert scopes(uses, {"wip": "true"}, {"GITHUB_TOKEN": "${{ secrets.BOT }}"}) == []


def test_token_env_entries_do_not_push_with_persisted_credentials() -> None:
    """An action that pushes with git uses the credentials actions/checkout persisted whatever
    its environment holds, so its needs cannot be dropped by `token_env`."""
    for key, entry in action_entries().items():
        if entry.token_env:
            assert not git_credential_use(key), key
            assert all(name.isupper() for name in entry.token_env), key


def test_goreleaser_with_another_secret_exact(tmp_path: Path) -> None:
    before = """on:
  push:
    tags: ["v*"]
jobs:
  release:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: goreleaser/goreleaser-action@v6
        with:
          args: release --clean
        env:
          GITHUB_TOKEN: ${{ secrets.GORELEASER_TOKEN }}
"""
    after = """on:
  push:
    tags: ["v*"]
permissions:
  contents: read
jobs:
  release:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: goreleaser/goreleaser-action@v6
        with:
          args: release --clean
        env:
          GITHUB_TOKEN: ${{ secrets.GORELEASER_TOKEN }}
"""
    assert fix(before, tmp_path) == after


def test_job_env_other_secret_exact(tmp_path: Path) -> None:
    before = """on: pull_request_target
jobs:
  title:
    runs-on: ubuntu-latest
    env:
      GITHUB_TOKEN: ${{ secrets.BOT_TOKEN }}
    steps:
      - uses: amannn/action-semantic-pull-request@v5
"""
    after = """on: pull_request_target
permissions:
  contents: read
jobs:
  title:
    runs-on: ubuntu-latest
    env:
      GITHUB_TOKEN: ${{ secrets.BOT_TOKEN }}
    steps:
      - uses: amannn/action-semantic-pull-request@v5
"""
    assert fix(before, tmp_path) == after


def test_step_env_job_token_over_job_env_secret(tmp_path: Path) -> None:
    text = """on:
  push:
    tags: ["v*"]
jobs:
  t:
    runs-on: ubuntu-latest
    env:
      GITHUB_TOKEN: ${{ secrets.RELEASE_PAT }}
    steps:
      - uses: goreleaser/goreleaser-action@v6
        with:
          args: release --clean
        env:
          GITHUB_TOKEN: ${{ github.token }}
"""
    assert effective(fix(text, tmp_path)) == {"contents": "write"}


def test_create_pull_request_keeps_its_needs_with_env_secret(tmp_path: Path) -> None:
    text = """on: schedule
jobs:
  t:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: peter-evans/create-pull-request@v7
        env:
          GITHUB_TOKEN: ${{ secrets.BOT_PAT }}
"""
    assert effective(fix(text, tmp_path)) == {"contents": "write", "pull-requests": "write"}


# --- c) names of places are not names of what runs ------------------------------------------------


@pytest.mark.parametrize("line,names", [
    ("npm run build -w packages/publish-utils", ("build",)),
    ("npm run build --workspace=packages/publish-utils", ("build",)),
    ("npm --prefix publish run build", ("build",)),
    ("pnpm --filter @acme/publish-utils run build", ("build",)),
    ("pnpm -C publish-site build", ("build",)),
    ("yarn workspace publish-utils build", ("build",)),
    ("yarn workspaces foreach --include publish-utils run build", ("build",)),
    ("yarn lerna publish from-git", ("lerna", "publish", "from-git")),
    ("npm run lerna -- publish", ("lerna", "publish")),
    ("npm test", ("test",)),
    ("make -C publish-docs test", ("test",)),
    ("make -f publish.mk -j 4 test VERSION=1", ("test",)),
    ("just --justfile publish/justfile lint", ("lint",)),
    ("task --dir publish-site build", ("build",)),
    ("rake publish", None),
])
def test_task_names(line: str, names: tuple[str, ...] | None) -> None:
    assert task_names(parse(line).commands[0]) == names


@pytest.mark.parametrize("line,push", [
    ("npm run build -w packages/publish-utils", False),
    ("yarn workspace publish-utils build", False),
    ("make -C publish-docs test", False),
    ("make --directory=release-notes html", False),
    ("just -f deploy/justfile lint", False),
    ("npm run deploy:docs -w packages/site", True),
    ("make -C docs publish", True),
    ("yarn lerna publish from-git --yes", True),
    ("make release", True),
    ("npm run build -- --push", True),
    ("gradle -p publish-plugin build", True),  # not read here: the whole line still counts
])
def test_may_push_command(line: str, push: bool) -> None:
    assert may_push_command(parse(line).commands[0]) is push


@pytest.mark.parametrize("path,push", [
    ("tools/publish/lint.sh", False),
    ("tools\\publish\\lint.ps1", False),
    ("python -m publish.lint", False),
    ("scripts/publish.sh", True),
    ("./release", True),
    ("python -m tools.publish", True),
    ("python -m publish", True),
])
def test_may_push_by_name(path: str, push: bool) -> None:
    assert may_push_by_name(path) is push


def test_place_names_exact(tmp_path: Path) -> None:
    before = """on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npm run build -w packages/publish-utils
      - run: make -C publish-docs test
      - run: tools/publish/lint.sh
      - run: python -m publish.lint
"""
    after = """on: push
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npm run build -w packages/publish-utils
      - run: make -C publish-docs test
      - run: tools/publish/lint.sh
      - run: python -m publish.lint
"""
    assert fix(before, tmp_path) == after


def test_script_named_publish_still_may_push(tmp_path: Path) -> None:
    text = """on: push
jobs:
  t:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: ./tools/publish.sh
"""
    assert effective(fix(text, tmp_path)) == {"contents": "write"}


def test_readable_workspace_script_is_read(tmp_path: Path) -> None:
    files = {"package.json": '{"name": "root", "workspaces": ["packages/*"]}',
             "packages/publish-utils/package.json":
                 '{"name": "publish-utils", "scripts": {"build": "tsc -p ."}}'}
    text = """on: push
jobs:
  t:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npm run build -w packages/publish-utils
"""
    assert effective(fix(text, tmp_path, files)) == {"contents": "read"}


# --- b) a reusable-workflow caller's id-token ----------------------------------------------------

CALLER = """on: push
permissions:
  contents: read
  id-token: write
jobs:
  t:
    uses: ./.github/workflows/called.yml
"""


def test_caller_oidc_kept_while_a_called_job_runs_with_it(tmp_path: Path) -> None:
    """The called job has no block of its own: it runs with the caller's id-token, and any
    program in it may request an OIDC token (as on an ordinary job with a listed grant)."""
    called = """on: workflow_call
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/download-artifact@v4
      - run: ./deployer push site/
"""
    assert fix(CALLER, tmp_path, {".github/workflows/called.yml": called}) == CALLER


def test_caller_oidc_kept_for_a_remote_callee(tmp_path: Path) -> None:
    text = CALLER.replace("./.github/workflows/called.yml",
                          "some-org/shared/.github/workflows/deploy.yml@v1")
    # the unknown caller keeps exactly what it had (as its own block: the workflow level
    # becomes read-only for jobs added later)
    assert effective(fix(text, tmp_path)) == effective(text)


def test_caller_oidc_dropped_when_every_called_job_has_a_block(tmp_path: Path) -> None:
    """The called workflow's own block (`contents: read`) applies to every called job, so none
    can get an OIDC token: the caller's `id-token: write` is unused."""
    called = """on: workflow_call
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make test
"""
    out = fix(CALLER, tmp_path, {".github/workflows/called.yml": called})
    assert "id-token" not in str(effective(out))


def test_token_env_exported_job_token_may_be_any_variable(tmp_path: Path) -> None:
    """A job token an earlier step wrote to $GITHUB_ENV may be GITHUB_TOKEN, overriding the
    job-level secret: goreleaser may then run with the job token."""
    text = """on:
  push:
    tags: ["v*"]
jobs:
  t:
    runs-on: ubuntu-latest
    env:
      GITHUB_TOKEN: ${{ secrets.RELEASE_PAT }}
    steps:
      - run: echo "GITHUB_TOKEN=${{ github.token }}" >> "$GITHUB_ENV"
      - uses: goreleaser/goreleaser-action@v6
        with:
          args: release --clean
"""
    assert effective(fix(text, tmp_path)) == {"contents": "write"}
