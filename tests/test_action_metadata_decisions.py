"""Issue 8: actions the knowledge base does not know, decided by their own action.yml.

Each test lays out a read-only action cache (the layout of ../shared/actions) in a temporary
directory and runs the ``permissions`` transform with it; the outputs are asserted exactly.
"""

from __future__ import annotations

from pathlib import Path

from ruamel.yaml import YAML

from fixbot import engine
from fixbot.action_source import CacheDir, Metadata
from fixbot.files import repo_reader
from fixbot.transforms import REGISTRY
from fixbot.types import FileResult
from fixbot.workflow import RepoContext

JS_NO_TOKEN = """name: Setup thing
description: Installs the thing
inputs:
  version:
    default: latest
runs:
  using: node20
  main: dist/index.js
"""

JS_TOKEN_DEFAULT = """name: Labeler
description: Labels pull requests
inputs:
  repo-token:
    default: ${{ github.token }}
runs:
  using: node20
  main: dist/index.js
"""

JS_COMMITS = """name: Auto format
description: Formats the code and commits and pushes the result
runs:
  using: node20
  main: dist/index.js
"""

DOCKER_ENV_TOKEN = """name: Scan
description: Scans
runs:
  using: docker
  image: Dockerfile
  env:
    GH: ${{ github.token }}
"""

COMPOSITE_RELEASE = """name: Release
description: Makes a release
inputs:
  token:
    default: ${{ github.token }}
runs:
  using: composite
  steps:
    - run: gh release create "$TAG" --generate-notes
      shell: bash
      env:
        GH_TOKEN: ${{ inputs.token }}
        TAG: ${{ github.ref_name }}
"""

CALLEE = """on:
  workflow_call:
jobs:
  build:
    permissions:
      contents: read
      packages: write
    runs-on: ubuntu-latest
    steps:
      - run: echo build
"""


def cache(tmp_path: Path, files: dict[str, str]) -> Metadata:
    root = tmp_path / "actions"
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    root.mkdir(exist_ok=True)
    return Metadata(CacheDir(root))


def fix(tmp_path: Path, workflow: str, meta: Metadata | None,
        repo: dict[str, str] | None = None) -> FileResult:
    tree = tmp_path / "repo"
    tree.mkdir(exist_ok=True)
    for rel, text in (repo or {}).items():
        p = tree / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    ctx = RepoContext(repo_reader(tree), actions=meta or Metadata())
    return engine.process(".github/workflows/t.yml", workflow, [REGISTRY["permissions"]], ctx)


def perms(result: FileResult, workflow: str) -> object:
    text = result.updated if result.status == "changed" else workflow
    data = YAML(typ="safe").load(text)
    return data["jobs"]["t"].get("permissions", data.get("permissions", "default"))


def job(steps: str, top: str = "permissions: write-all\n") -> str:
    return f"on: push\n{top}jobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n{steps}"


def notes(result: FileResult) -> list[str]:
    return [n.message for n in result.notes]


def test_a_javascript_action_no_input_of_which_carries_the_token_needs_nothing(
        tmp_path: Path) -> None:
    meta = cache(tmp_path, {"acme/setup-thing/v2/action.yml": JS_NO_TOKEN})
    wf = job("      - uses: acme/setup-thing@v2\n")
    result = fix(tmp_path, wf, meta)
    assert perms(result, wf) == {"contents": "read"}
    assert notes(result) == []
    assert ("`acme/setup-thing@v2` (step 1 (acme/setup-thing@v2)) cannot reach the job token: no "
            "input, environment variable or configured credential carries it "
            "(https://github.com/acme/setup-thing/blob/v2/action.yml)") in \
        " ".join(c.explanation for c in result.changes)


def test_an_input_defaulting_to_the_job_token_leaves_the_job_unknown_and_names_it(
        tmp_path: Path) -> None:
    meta = cache(tmp_path, {"acme/labeler/v3/action.yml": JS_TOKEN_DEFAULT})
    wf = job("      - uses: acme/labeler@v3\n")
    result = fix(tmp_path, wf, meta)
    assert result.status == "unchanged"
    assert notes(result) == [
        "job `t` left with `permissions: write-all`: what it does with the token is unknown "
        "(step 1 (acme/labeler@v3): the job token reaches `acme/labeler` through input "
        "`repo-token` (default `${{ github.token }}`), and the knowledge base does not know what "
        "it does with it (https://github.com/acme/labeler/blob/v3/action.yml)). The "
        "workflow-level block stays as it is, since it applies to this job."]


def test_another_token_given_to_that_input_takes_the_job_token_out_of_reach(
        tmp_path: Path) -> None:
    meta = cache(tmp_path, {"acme/labeler/v3/action.yml": JS_TOKEN_DEFAULT})
    wf = job("      - uses: acme/labeler@v3\n        with:\n"
             "          repo-token: ${{ secrets.BOT_TOKEN }}\n")
    assert perms(fix(tmp_path, wf, meta), wf) == {"contents": "read"}


def test_the_job_token_in_the_environment_reaches_any_action(tmp_path: Path) -> None:
    meta = cache(tmp_path, {"acme/setup-thing/v2/action.yml": JS_NO_TOKEN})
    wf = job("      - uses: acme/setup-thing@v2\n        env:\n"
             "          GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}\n")
    result = fix(tmp_path, wf, meta)
    assert result.status == "unchanged"
    assert "through `GITHUB_TOKEN` in its environment" in notes(result)[0]


def test_a_docker_action_whose_runs_env_names_the_token_is_unknown(tmp_path: Path) -> None:
    meta = cache(tmp_path, {"acme/scan/v1/action.yml": DOCKER_ENV_TOKEN})
    wf = job("      - uses: acme/scan@v1\n")
    result = fix(tmp_path, wf, meta)
    assert result.status == "unchanged"
    assert "through its `runs.env`" in notes(result)[0]


def test_a_remote_composite_is_followed_step_by_step(tmp_path: Path) -> None:
    meta = cache(tmp_path, {"acme/release/v1/action.yml": COMPOSITE_RELEASE})
    wf = job("      - uses: acme/release@v1\n")
    result = fix(tmp_path, wf, meta)
    assert perms(result, wf) == {"contents": "write"}
    assert notes(result) == []


def test_metadata_that_speaks_of_pushing_keeps_contents_write_with_persisted_credentials(
        tmp_path: Path) -> None:
    meta = cache(tmp_path, {"acme/autofmt/v1/action.yml": JS_COMMITS})
    wf = job("      - uses: actions/checkout@v4\n      - uses: acme/autofmt@v1\n")
    result = fix(tmp_path, wf, meta)
    assert perms(result, wf) == {"contents": "write"}
    assert ("`acme/autofmt` may push with the persisted git credentials (its action.yml speaks "
            "of “commits”, “pushes”)") in " ".join(c.explanation for c in result.changes)


def test_without_persisted_credentials_the_same_action_needs_nothing(tmp_path: Path) -> None:
    meta = cache(tmp_path, {"acme/autofmt/v1/action.yml": JS_COMMITS})
    wf = job("      - uses: actions/checkout@v4\n        with:\n"
             "          persist-credentials: false\n      - uses: acme/autofmt@v1\n")
    assert perms(fix(tmp_path, wf, meta), wf) == {"contents": "read"}


def test_offline_the_note_says_how_to_decide_it(tmp_path: Path) -> None:
    wf = job("      - uses: acme/setup-thing@v2\n")
    result = fix(tmp_path, wf, None)
    assert result.status == "unchanged"
    assert ("`acme/setup-thing` is not in the knowledge base; `--online` or `--action-cache` "
            "would decide it from its action.yml") in notes(result)[0]


def test_an_action_the_cache_does_not_hold_is_unknown(tmp_path: Path) -> None:
    meta = cache(tmp_path, {"acme/other/v1/action.yml": JS_NO_TOKEN})
    wf = job("      - uses: acme/setup-thing@v2\n")
    result = fix(tmp_path, wf, meta)
    assert result.status == "unchanged"
    assert ("`acme/setup-thing` is not in the knowledge base; the action cache has no "
            "action.yml for it") in notes(result)[0]


def test_action_yaml_and_a_subpath_and_a_ref_with_a_slash(tmp_path: Path) -> None:
    meta = cache(tmp_path, {"acme/mono/releases%2Fv2/tools/setup/action.yaml": JS_NO_TOKEN})
    wf = job("      - uses: Acme/Mono/tools/setup@releases/v2\n")
    result = fix(tmp_path, wf, meta)
    assert perms(result, wf) == {"contents": "read"}
    assert ("https://github.com/acme/mono/blob/releases/v2/tools/setup/action.yaml"
            in " ".join(c.explanation for c in result.changes))


def test_a_path_that_would_leave_the_cache_is_not_read(tmp_path: Path) -> None:
    meta = cache(tmp_path, {"acme/setup-thing/v2/action.yml": JS_NO_TOKEN})
    wf = job("      - uses: acme/../acme/setup-thing@v2\n")
    result = fix(tmp_path, wf, meta)
    assert result.status == "unchanged"
    assert "owner/repo[/path]@ref" in notes(result)[0]


def test_a_self_repository_action_is_read_like_a_local_one(tmp_path: Path) -> None:
    action = ("runs:\n  using: composite\n  steps:\n    - run: gh issue close 1\n"
              "      shell: bash\n      env:\n        GH_TOKEN: ${{ github.token }}\n")
    wf = job("      - uses: $/.github/actions/close\n")
    result = fix(tmp_path, wf, None, {".github/actions/close/action.yml": action})
    assert perms(result, wf) == {"contents": "read", "issues": "write"}


def test_a_self_repository_reusable_workflow_is_read_like_a_local_one(tmp_path: Path) -> None:
    wf = ("on: push\npermissions: write-all\njobs:\n  t:\n"
          "    uses: $/.github/workflows/callee.yml\n")
    result = fix(tmp_path, wf, None, {".github/workflows/callee.yml": CALLEE})
    assert perms(result, wf) == {"contents": "read", "packages": "write"}


def test_a_remote_reusable_workflow_is_read_from_the_cache(tmp_path: Path) -> None:
    meta = cache(tmp_path, {"acme/shared/v1/.github/workflows/build.yml": CALLEE})
    wf = ("on: push\npermissions: write-all\njobs:\n  t:\n"
          "    uses: acme/shared/.github/workflows/build.yml@v1\n")
    result = fix(tmp_path, wf, meta)
    assert perms(result, wf) == {"contents": "read", "packages": "write"}
    assert "(read from https://github.com/acme/shared/blob/v1/.github/workflows/build.yml)" in \
        " ".join(c.explanation for c in result.changes)
