"""``fixbot sweep`` against the sandbox forge: listing, skip reasons, configuration, shards,
the new-PR cap, reports and a second sweep that changes nothing."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_helpers import BOT_TOKEN, HUMAN_TOKEN, client

from fixbot.cli import main
from fixbot.commands.lifecycle import CAPPED
from fixbot.forge import Forge
from fixbot.sandbox import Sandbox
from fixbot.sweep import in_shard

ORG = "acme"
NEEDS = ("name: ci\non: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
         "      - uses: actions/checkout@v4\n      - run: make test\n")
CLEAN = ("name: ci\non: push\npermissions:\n  contents: read\njobs:\n  test:\n"
         "    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
         "        with:\n          persist-credentials: false\n      - run: make test\n")
WF = ".github/workflows/ci.yml"


@pytest.fixture(scope="session")
def schema() -> Path:
    from fixbot.sandbox.graphql_api import Unavailable, fetch_schema

    try:
        return fetch_schema()
    except Unavailable as e:
        pytest.skip(str(e))


@pytest.fixture
def gsb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, schema: Path) -> Iterator[Sandbox]:
    """A sandbox that serves GraphQL (the pre-screen's path)."""
    for var in ("GITHUB_TOKEN", "FIXBOT_APP_ID", "FIXBOT_APP_PRIVATE_KEY",
                "FIXBOT_APP_PRIVATE_KEY_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("FIXBOT_TOKEN", BOT_TOKEN)
    with Sandbox(tmp_path / "forge", graphql_schema=schema) as sandbox:
        sandbox.add_token("fixbot-bot", BOT_TOKEN)
        sandbox.add_token("alice", HUMAN_TOKEN)
        monkeypatch.setenv("GITHUB_API_URL", sandbox.api_url)
        yield sandbox


def clones(sb: Sandbox, since: int = 0) -> list[str]:
    """The repositories fetched with git (``owner/name``), in order, without repeats."""
    seen = [e.path.split("/")[1] + "/" + e.path.split("/")[2].removesuffix(".git")
            for e in sb.access_log[since:] if e.path.endswith("/git-upload-pack")]
    return list(dict.fromkeys(seen))


def world(sb: Sandbox) -> None:
    sb.create_repo(ORG, "needs-a", {WF: NEEDS})
    sb.create_repo(ORG, "needs-b", {WF: NEEDS})
    sb.create_repo(ORG, "needs-c", {WF: NEEDS, ".github/fixbot.yml":
                                    "labels: [security]\nreviewers: [alice]\n"})
    sb.create_repo(ORG, "clean", {WF: CLEAN})
    sb.create_repo(ORG, "no-workflows", {"README.md": "hi\n"})
    sb.create_repo(ORG, "old", {WF: NEEDS}, archived=True)
    sb.create_repo(ORG, "forked", {WF: NEEDS}, fork=True)
    sb.create_repo(ORG, "gone", {WF: NEEDS}, disabled=True)
    sb.create_repo(ORG, "opted-out", {WF: NEEDS, ".github/fixbot.yml": "enabled: false\n"})
    sb.create_repo(ORG, "bad-config", {WF: NEEDS, ".github/fixbot.yml": "enabled: maybe\n"})
    sb.create_repo(ORG, "ignored", {WF: NEEDS,
                                    ".github/fixbot.yml": "ignore-paths: ['.github/workflows/*']\n"})
    empty = sb.root / ORG / "empty.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(empty)], check=True)


def sweep_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    capsys.readouterr()
    code = main(["sweep", ORG, "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)


def statuses(out: dict) -> dict[str, tuple[str, str | None]]:
    return {r["repo"]: (r["status"], r["reason"]) for r in out["repos"]}


EXPECTED = {
    "acme/bad-config": ("error", ".github/fixbot.yml: enabled: expected true or false, got "
                                 "str 'maybe'"),
    "acme/clean": ("no-changes", None),
    "acme/empty": ("skipped", "repository is empty"),
    "acme/forked": ("skipped", "repository is a fork (fixbot fixes the upstream repository)"),
    "acme/gone": ("skipped", "repository is disabled"),
    "acme/ignored": ("no-changes", None),
    "acme/needs-a": ("pr-opened", None),
    "acme/needs-b": ("pr-opened", None),
    "acme/needs-c": ("pr-opened", None),
    "acme/no-workflows": ("no-changes", None),
    "acme/old": ("skipped", "repository is archived"),
    "acme/opted-out": ("skipped", "opted out in .github/fixbot.yml (enabled: false)"),
}


def test_sweep_opens_the_right_prs_and_a_second_sweep_changes_nothing(
        sb: Sandbox, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    world(sb)
    report = tmp_path / "report.md"
    code, out = sweep_json(capsys, "--report", str(report))
    assert code == 3  # acme/bad-config
    assert statuses(out) == EXPECTED
    assert out["summary"] == {"repos": 12, "pr-opened": 3, "pr-updated": 0, "up-to-date": 0,
                              "no-changes": 3, "declined": 0, "skipped": 5, "error": 1,
                              "prs_opened": 3, "prs_updated": 0, "errors": 1,
                              "files_changed": 3}
    gh = client(sb)
    labels = {r: sorted(lb.name for lb in gh.get_repo(r).get_pull(1).labels)
              for r in ("acme/needs-a", "acme/needs-c")}
    assert labels == {"acme/needs-a": ["fixbot"], "acme/needs-c": ["fixbot", "security"]}
    asked = {r: [u.login for u in gh.get_repo(r).get_pull(1).requested_reviewers]
             for r in ("acme/needs-a", "acme/needs-c")}
    assert asked == {"acme/needs-a": [], "acme/needs-c": ["alice"]}
    md = report.read_text(encoding="utf-8")
    assert md.startswith("# fixbot sweep of acme\n\n12 repositories: 3 pull request(s) opened, "
                         "0 updated, 5 skipped, 1 error(s).\n")
    assert ("| acme/needs-a | [#1](" + sb.url + "/acme/needs-a/pull/1) |  |") in md
    assert "## Errors (1)" in md and "## Skipped (5)" in md

    log_before = len(sb.access_log)
    code, again = sweep_json(capsys)
    assert code == 3
    second = dict(EXPECTED) | {f"acme/needs-{x}": ("up-to-date", None) for x in "abc"}
    assert statuses(again) == second
    writes = [f"{e.method} {e.path}" for e in sb.access_log[log_before:]
              if e.method != "GET" and not e.path.endswith("/git-upload-pack")
              and e.path != "/api/graphql"]
    assert writes == []


def test_max_new_prs_caps_new_pull_requests_only(sb: Sandbox,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    world(sb)
    code, out = sweep_json(capsys, "--max-new-prs", "2", "--concurrency", "1")
    got = statuses(out)
    opened = sorted(r for r, (s, _) in got.items() if s == "pr-opened")
    capped = sorted(r for r, (s, why) in got.items()
                    if why == CAPPED)
    assert len(opened) == 2 and len(capped) == 1
    assert set(opened) | set(capped) == {"acme/needs-a", "acme/needs-b", "acme/needs-c"}
    # the next sweep opens the third
    code, out = sweep_json(capsys, "--max-new-prs", "2")
    assert statuses(out)[capped[0]] == ("pr-opened", None)


def test_shards_together_are_the_whole_sweep(sb: Sandbox,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    world(sb)
    seen: dict[str, tuple[str, str | None]] = {}
    for i in (1, 2, 3):
        _, out = sweep_json(capsys, "--shard", f"{i}/3", "--dry-run")
        part = statuses(out)
        assert not set(part) & set(seen)
        assert all(in_shard(r, (i, 3)) for r in part)
        seen.update(part)
    dry = {r: (("pr-opened", "dry run: would be pr-opened") if s == "pr-opened" else (s, why))
           for r, (s, why) in EXPECTED.items()}
    assert seen == dry
    assert client(sb).get_repo("acme/needs-a").get_pulls(state="all").totalCount == 0


@pytest.mark.parametrize(("flag", "message"), [
    (["--shard", "4/3"], "--shard: expected I/N with 1 ≤ I ≤ N, got '4/3'"),
    (["--shard", "0/3"], "--shard: expected I/N with 1 ≤ I ≤ N, got '0/3'"),
    (["--concurrency", "0"], "--concurrency: expected N ≥ 1, got 0"),
    (["--max-new-prs", "-1"], "--max-new-prs: expected N ≥ 0, got -1"),
])
def test_usage_errors(sb: Sandbox, capsys: pytest.CaptureFixture[str], flag: list[str],
                      message: str) -> None:
    assert main(["sweep", ORG, *flag]) == 2
    assert capsys.readouterr().err.strip().endswith(message)


def test_org_config_file_errors_are_usage_errors(sb: Sandbox, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "org.yml"
    bad.write_text("transforms:\n  only: [permisions]\n", encoding="utf-8")
    assert main(["sweep", ORG, "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert (f"--config: {bad}: transforms.only: unknown transform id 'permisions' (known: "
            in err)


def test_unknown_org_is_one_clear_error(sb: Sandbox, forge: Forge,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", "nobody-here"]) == 3
    assert "nobody-here: no such organisation or user" in capsys.readouterr().err


def test_the_prescreen_clones_only_what_needs_a_change(gsb: Sandbox,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    world(gsb)
    code, out = sweep_json(capsys)
    assert code == 3
    assert statuses(out) == EXPECTED
    # clean ones, the opted-out one, the empty one and the one whose config is broken: no clone
    assert sorted(clones(gsb)) == ["acme/needs-a", "acme/needs-b", "acme/needs-c"]
    graphql = [e for e in gsb.access_log if e.path == "/api/graphql"]
    # one query for the 9 repositories screened, one for the files their steps name (`make
    # test` reads a Makefile, which these repositories do not have)
    assert [e.status for e in graphql] == [200, 200]
    # the clean repository's report is the one a clone would give
    (clean,) = [r for r in out["repos"] if r["repo"] == "acme/clean"]
    assert [(f["path"], f["status"]) for f in clean["files"]] == [(WF, "unchanged")]

    before = len(gsb.access_log)
    code, again = sweep_json(capsys)
    second = dict(EXPECTED) | {f"acme/needs-{x}": ("up-to-date", None) for x in "abc"}
    assert statuses(again) == second
    # only the repositories with a fixbot branch are looked at again
    assert sorted(clones(gsb, before)) == ["acme/needs-a", "acme/needs-b", "acme/needs-c"]


def test_the_prescreen_fetches_the_scripts_a_workflow_runs(gsb: Sandbox,
                                                           capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    """A step runs a Python script holding a credential: the screen must not call the
    repository clean because it had not read the script."""
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    wf = CLEAN.replace("run: make test", "run: python scripts/upload.py")
    gsb.create_repo(ORG, "scripted", {WF: wf, "scripts/upload.py":
                                      f'TOKEN = "{token}"\nprint(len(TOKEN))\n'})
    gsb.create_repo(ORG, "local-action", {WF: CLEAN.replace(
        "      - run: make test\n", "      - uses: ./.github/actions/build\n"),
        ".github/actions/build/action.yml": "name: build\nruns:\n  using: composite\n"
                                            "  steps:\n    - run: make\n      shell: bash\n"})
    code, out = sweep_json(capsys, "--dry-run")
    got = statuses(out)
    (scripted,) = [r for r in out["repos"] if r["repo"] == "acme/scripted"]
    # the secrets lane found the script's credential: run, not screened out
    assert (scripted["status"], scripted["secrets"]["status"]) == ("no-changes", "pr-opened")
    assert got["acme/local-action"] == ("no-changes", None)
    assert clones(gsb) == ["acme/scripted"]
    graphql = [e for e in gsb.access_log if e.path == "/api/graphql"]
    # the batch; then the script and the local action's action.yml; then the Makefile that the
    # action's `make` step reads
    assert len(graphql) == 3


def test_max_open_prs_counts_the_prs_already_open(sb: Sandbox, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    world(sb)
    org = tmp_path / "org.yml"
    org.write_text("max-open-prs: 1\n", encoding="utf-8")
    _, out = sweep_json(capsys, "--config", str(org), "--concurrency", "1")
    assert sum(s == "pr-opened" for s, _ in statuses(out).values()) == 1
    _, again = sweep_json(capsys, "--config", str(org))
    got = statuses(again)
    assert sum(s == "pr-opened" for s, _ in got.values()) == 0
    assert sum(why == CAPPED
               for _, why in got.values()) == 2


def test_a_failing_prescreen_falls_back_to_running_every_repository(
        gsb: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    world(gsb)
    gsb.inject_fault(r"^/api/graphql$", "500", count=100)
    capsys.readouterr()
    code = main(["sweep", ORG, "--format", "json"])
    captured = capsys.readouterr()
    assert code == 3
    assert statuses(json.loads(captured.out)) == EXPECTED
    assert ("fixbot: the pre-screen failed (acme: GraphQL query: the forge failed (500 Server "
            "Error) on every attempt): every repository is cloned\n") in captured.err
    assert "every repository is cloned" in captured.err
    assert "acme/clean" in clones(gsb)  # cloned: nothing screened it out


def test_ctrl_c_stops_the_sweep_with_130_and_says_what_was_done(sb: Sandbox) -> None:
    import os
    import signal
    import sys

    for i in range(30):
        sb.create_repo(ORG, f"r{i:02d}", {WF: NEEDS})
    proc = subprocess.Popen([sys.executable, "-m", "fixbot", "sweep", ORG, "--concurrency", "1"],
                            env={**os.environ, "GITHUB_API_URL": sb.api_url},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    while "[2/30]" not in (line := proc.stderr.readline()):
        assert line, "the sweep ended before it was interrupted"
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=120)
    assert proc.returncode == 130
    last = rest.strip().splitlines()[-1]
    assert last.startswith("fixbot: interrupted: the sweep handled ")
    assert last.endswith(" of 30 repositories; what it did is on the forge, and a rerun "
                         "finishes the rest")
    assert "Traceback" not in rest
