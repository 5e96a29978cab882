"""The CLI contract of ``fixbot fix`` and ``fixbot list``: exit codes, JSON, --check/--diff."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fixbot.cli import main

WF = """on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make test
"""
ONLY = ["--only", "persist-credentials"]  # exact output below is that transform's
FIXED = WF.replace("checkout@v4\n", "checkout@v4\n        with:\n          persist-credentials: false\n")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "ci.yml").write_text(WF)
    (wf / "clean.yaml").write_text("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo\n")
    (wf / "notes.txt").write_text("not a workflow")
    return tmp_path


def test_check_writes_nothing_and_exits_1(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["fix", str(repo), "--check", *ONLY])
    assert rc == 1
    assert (repo / ".github/workflows/ci.yml").read_text() == WF
    assert capsys.readouterr().out == (
        ".github/workflows/ci.yml: would change 1 change(s)\n"
        "  persist-credentials jobs.test.steps[0] (line 6): set `persist-credentials: false` on actions/checkout\n"
        "2 file(s): 1 would change, 1 unchanged, 0 error(s), 1 change(s)\n")


def test_diff_prints_unified_diff(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["fix", str(repo), "--diff", *ONLY])
    assert rc == 1
    out = capsys.readouterr().out
    assert out == (
        "--- a/.github/workflows/ci.yml\n+++ b/.github/workflows/ci.yml\n"
        "@@ -4,4 +4,6 @@\n     runs-on: ubuntu-latest\n     steps:\n"
        "       - uses: actions/checkout@v4\n+        with:\n+          persist-credentials: false\n"
        "       - run: make test\n")
    assert (repo / ".github/workflows/ci.yml").read_text() == WF


def test_fix_writes_then_second_run_is_clean(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = repo / ".github/workflows/clean.yaml"
    mtime = clean.stat().st_mtime_ns
    assert main(["fix", str(repo), *ONLY]) == 0
    assert (repo / ".github/workflows/ci.yml").read_text() == FIXED
    assert clean.stat().st_mtime_ns == mtime  # a file needing no change is not touched
    assert main(["fix", str(repo), "--check", *ONLY]) == 0


def test_json_contract(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["fix", str(repo), "--check", "--format", "json", *ONLY])
    assert rc == 1
    data = json.loads(capsys.readouterr().out)
    assert data == {
        "version": 1,
        "files": [
            {"path": ".github/workflows/ci.yml", "status": "changed", "error": None,
             "changes": [{
                 "transform": "persist-credentials", "location": "jobs.test.steps[0]", "line": 6,
                 "summary": "set `persist-credentials: false` on actions/checkout",
                 "explanation": (
                     "Unless told not to, actions/checkout saves the token it used: it keeps the "
                     "job's token in the repository's .git/config, where every later step can read "
                     "and use it, and a workspace upload (an artifact, a cache) can leak it "
                     "(https://github.com/actions/checkout#usage). No later step of job `test` "
                     "pushes or fetches with git, so nothing needs the saved token after the "
                     "checkout.")}],
             "notes": []},
            {"path": ".github/workflows/clean.yaml", "status": "unchanged", "error": None,
             "changes": [], "notes": []},
        ],
        "summary": {"files": 2, "changed": 1, "unchanged": 1, "errors": 0, "changes": 1},
    }


def test_file_paths_and_multiple_roots(repo: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    f = repo / ".github/workflows/ci.yml"
    assert main(["fix", str(f), "--check", "--format", "json", *ONLY]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [x["path"] for x in data["files"]] == [str(f)]


def test_usage_errors_exit_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fix", str(repo), "--only", "nope"]) == 2
    assert "unknown transform id nope" in capsys.readouterr().err
    assert main(["fix", str(repo / "missing")]) == 2
    assert "no such file or directory" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["fix", "--check", "--diff"])
    assert e.value.code == 2


def test_skip_everything_is_a_no_op(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from fixbot.transforms import REGISTRY

    assert main(["fix", str(repo), "--skip", ",".join(REGISTRY)]) == 0
    assert (repo / ".github/workflows/ci.yml").read_text() == WF


def test_list_names_every_transform(capsys: pytest.CaptureFixture[str]) -> None:
    from fixbot.transforms import REGISTRY

    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for tid, module in REGISTRY.items():
        assert f"{tid}" in out and module.SUMMARY in out


def test_console_script_and_module_entry_point(repo: Path) -> None:
    env = dict(os.environ)
    proc = subprocess.run([sys.executable, "-m", "fixbot", "fix", str(repo), "--check",
                           "--format", "json", *ONLY], capture_output=True, text=True, env=env)
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["summary"]["changed"] == 1
    assert proc.stderr == ""


def test_exit_codes_live_in_their_own_module_and_commands_do_not_import_the_cli() -> None:
    import ast

    from fixbot import exitcodes

    assert (exitcodes.EXIT_OK, exitcodes.EXIT_PENDING, exitcodes.EXIT_USAGE, exitcodes.EXIT_FAILED,
            exitcodes.EXIT_INTERRUPTED) == (0, 1, 2, 3, 130)
    root = Path(__file__).resolve().parents[1] / "fixbot"
    importers = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "cli.py" or path.name == "__main__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n == "fixbot.cli" or n.startswith("fixbot.cli.") for n in names):
                importers.append(path.relative_to(root).as_posix())
    assert importers == []


def test_interrupt_exits_130_with_one_line(tmp_path: Path) -> None:
    """A real SIGINT while fixbot waits (the sandbox serves until Ctrl-C): exit 130."""
    import signal
    import time

    proc = subprocess.Popen([sys.executable, "-c",
                             "import sys, time\nfrom fixbot.cli import main\n"
                             "def f(args):\n    print('ready', flush=True)\n    time.sleep(30)\n"
                             "    return 0\n"
                             "import fixbot.commands.list_transforms as lt\nlt.run = f\n"
                             "sys.exit(main(['list']))"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=10)
    assert (proc.returncode, err) == (130, "fixbot: interrupted\n")


@pytest.mark.parametrize("flags", [["-v"], ["-vv"], ["-q"], ["--verbose", "--quiet"]])
def test_verbosity_flags_before_or_after_the_command(repo: Path, flags: list[str],
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    for argv in ([*flags, "fix", str(repo), "--check", "--format", "json", *ONLY],
                 ["fix", str(repo), *flags, "--check", "--format", "json", *ONLY]):
        assert main(argv) == 1
        out, err = capsys.readouterr()
        assert json.loads(out)["summary"]["changed"] == 1
        assert err == ""


# -- where remote actions' metadata comes from: --action-cache, --online ----------------------
ACTION_WF = """on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: tools/lint@v1
      - uses: tools/mono/sub@release/v2
      - uses: tools/gone@v1
"""
ACTION_YML = "name: lint\nruns:\n  using: node20\n  main: index.js\n"


def _spy_analyze(wf, ctx):  # type: ignore[no-untyped-def]
    """A transform that reports what ctx.actions answers for each step's uses:."""
    from fixbot.action_source import Found
    from fixbot.types import Note

    notes = []
    for job_id, job in wf.jobs():
        for i, step in wf.steps(job):
            answer = ctx.actions.lookup(str(step.get("uses").value))
            what = f"{answer.name} {answer.url}" if isinstance(answer, Found) else ""
            notes.append(Note("spy-actions", f"jobs.{job_id}.steps[{i}]",
                              f"{type(answer).__name__} {what}".strip()))
    return notes


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from types import SimpleNamespace

    from fixbot.transforms import REGISTRY

    monkeypatch.setitem(REGISTRY, "spy-actions", SimpleNamespace(
        ID="spy-actions", SUMMARY="reports action metadata answers", DOCS="", analyze=_spy_analyze))
    for var in ("FIXBOT_ACTION_CACHE", "GITHUB_API_URL", "FIXBOT_TOKEN", "GITHUB_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    return ["--only", "spy-actions", "--format", "json"]


def _answers(out: str) -> list[list[str]]:
    return [[n["message"] for n in f["notes"]] for f in json.loads(out)["files"]]


def _action_repos(root: Path, copies: int, files: int = 1) -> list[str]:
    paths = []
    for n in range(copies):
        wf = root / f"r{n}" / ".github" / "workflows"
        wf.mkdir(parents=True)
        for k in range(files):
            (wf / f"ci{k:02d}.yml").write_text(ACTION_WF)
        paths.append(str(root / f"r{n}"))
    return paths


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_fix_action_cache_reaches_every_worker(tmp_path: Path, spy: list[str], jobs: str,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from fixbot.commands import fix as fix_cmd

    cache = tmp_path / "actions"  # laid out like ../shared/actions
    (cache / "tools/lint/v1").mkdir(parents=True)
    (cache / "tools/lint/v1/action.yml").write_text(ACTION_YML)
    (cache / "tools/mono/release%2Fv2/sub").mkdir(parents=True)
    (cache / "tools/mono/release%2Fv2/sub/action.yaml").write_text(ACTION_YML)
    monkeypatch.setenv("FIXBOT_JOBS", jobs)
    monkeypatch.setattr(fix_cmd, "PARALLEL_THRESHOLD", 2)  # the process pool, with few files
    paths = _action_repos(tmp_path / "repos", 4)
    assert main(["fix", *paths, "--check", "--action-cache", str(cache), *spy]) == 0
    expected = ["Found action.yml https://github.com/tools/lint/blob/v1/action.yml",
                "Found action.yaml https://github.com/tools/mono/blob/release/v2/sub/action.yaml",
                "Missing"]
    assert _answers(capsys.readouterr().out) == [expected] * 4
    monkeypatch.setenv("FIXBOT_ACTION_CACHE", str(cache))  # the same from the environment
    assert main(["fix", *paths, "--check", *spy]) == 0
    assert _answers(capsys.readouterr().out) == [expected] * 4


def test_fix_without_a_source_leaves_actions_unavailable(tmp_path: Path, spy: list[str],
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fix", *_action_repos(tmp_path, 1), "--check", *spy]) == 0
    assert _answers(capsys.readouterr().out) == [["Unavailable"] * 3]


def test_fix_action_metadata_usage_errors(repo: Path, tmp_path: Path, spy: list[str],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fix", str(repo), "--action-cache", str(tmp_path / "missing")]) == 2
    assert "--action-cache" in capsys.readouterr().err
    assert main(["fix", str(repo), "--github-url", "https://ghes.example.com/api/v3"]) == 2
    assert "only meaningful with --online" in capsys.readouterr().err
    assert main(["fix", str(repo), "--online", "--github-url", "ftp://x"]) == 2
    assert (repo / ".github/workflows/ci.yml").read_text() == WF


@pytest.mark.parametrize("jobs", ["1", "3"])
def test_fix_online_reads_the_forge_once_and_caches_it(tmp_path: Path, spy: list[str], jobs: str,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from fixbot.commands import fix as fix_cmd
    from fixbot.sandbox import Sandbox

    token = "ghp_cliOnlineToken00000000000000000000000"
    paths = _action_repos(tmp_path / "repos", 2, files=20)  # 40 files: chunks of 16 (3 workers)
    monkeypatch.setenv("FIXBOT_JOBS", jobs)  # 3: workers share the disk cache, fetch once
    monkeypatch.setattr(fix_cmd, "PARALLEL_THRESHOLD", 2)
    monkeypatch.setenv("FIXBOT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("FIXBOT_TOKEN", token)
    with Sandbox(tmp_path / "forge") as sb:
        sb.add_token("bot", token)
        sb.create_repo("tools", "lint", {"action.yml": ACTION_YML})
        sb.create_repo("tools", "mono", {"sub/action.yaml": ACTION_YML})
        sb.repo("tools", "mono").git("branch", "release/v2", "main")
        sb.repo("tools", "lint").git("tag", "v1", "main")
        assert main(["fix", *paths, "--online", "--github-url", sb.api_url, "--check", *spy]) == 0
        out = capsys.readouterr()
        assert _answers(out.out) == [[
            f"Found action.yml {sb.url}/tools/lint/blob/v1/action.yml",
            f"Found action.yaml {sb.url}/tools/mono/blob/release/v2/sub/action.yaml",
            "Missing"]] * 40
        assert sorted(e.line() for e in sb.access_log) == [
            "GET /api/v3/repos/tools/gone/contents/action.yaml 404",
            "GET /api/v3/repos/tools/gone/contents/action.yml 404",
            "GET /api/v3/repos/tools/lint/contents/action.yml 200",
            "GET /api/v3/repos/tools/mono/contents/sub/action.yaml 200",
            "GET /api/v3/repos/tools/mono/contents/sub/action.yml 404"]
        sb.clear_log()
        assert main(["fix", *paths, "--online", "--github-url", sb.api_url, "--check", *spy]) == 0
        assert sb.access_log == []  # the next run reads the disk cache
        cached = "".join(p.read_text() for p in (tmp_path / "cache").rglob("*.json"))
        assert token not in cached + out.out + out.err + capsys.readouterr().err


def test_run_action_cache_must_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(tmp_path), "--action-cache", str(tmp_path / "missing")]) == 2
    assert "--action-cache" in capsys.readouterr().err


# -- contradictory flags, --quiet, and text that agrees with JSON -----------------------------
@pytest.mark.parametrize("argv", [
    ["--only", "persist-credentials", "--skip", "persist-credentials"],
    ["--only", "permissions,persist-credentials", "--skip", "permissions"],
    ["--diff", "--format", "json"],
    ["--diff", "--format", "sarif"],
])
def test_contradictory_flags_are_usage_errors(repo: Path, argv: list[str],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fix", str(repo), *argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("fixbot: error: ") and err.count("\n") == 1
    assert (repo / ".github/workflows/ci.yml").read_text() == WF


def test_contradictory_selection_messages(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fix", str(repo), "--only", "permissions", "--skip", "permissions"]) == 2
    assert capsys.readouterr().err == ("fixbot: error: --only and --skip both name permissions: "
                                       "give each transform to one of them\n")
    assert main(["run", str(repo), "--only", "permissions", "--skip", "permissions"]) == 2
    assert "--only and --skip both name permissions" in capsys.readouterr().err
    assert main(["fix", str(repo), "--diff", "--format", "json"]) == 2
    assert capsys.readouterr().err == (
        "fixbot: error: --diff prints a unified diff, which --format json cannot carry: use "
        "--diff alone, or --check with --format json\n")
    assert main(["fix", str(repo), "--only", "permissions", "--skip", "persist-credentials",
                 "--check"]) == 1  # no contradiction


def test_quiet_prints_only_what_was_asked(repo: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fix", str(repo), "-q", "--check", *ONLY]) == 1
    assert capsys.readouterr() == ("", "")
    assert main(["-q", "fix", str(repo), "--diff", *ONLY]) == 1  # the diff is what was asked
    out, err = capsys.readouterr()
    assert out.startswith("--- a/.github/workflows/ci.yml\n") and err == ""
    assert main(["fix", str(repo), "--quiet", "--check", "--format", "json", *ONLY]) == 1
    assert json.loads(capsys.readouterr().out)["summary"]["changed"] == 1
    (repo / ".github/workflows/bad.yml").write_text("on: [push\n")
    assert main(["fix", str(repo), "-q", *ONLY]) == 3  # errors still reach stderr
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(".github/workflows/bad.yml: error: ")
    assert (repo / ".github/workflows/ci.yml").read_text() == FIXED
    assert main(["fix", str(tmp_path / "nothing-here"), "-q"]) == 2  # usage errors too
    assert capsys.readouterr().err.startswith("fixbot: error: ")


def test_check_text_and_json_tell_the_same_story(repo: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fix", str(repo), "--check"]) == 1
    text = capsys.readouterr().out
    assert main(["fix", str(repo), "--check", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    s = data["summary"]
    assert text.splitlines()[-1] == (f"{s['files']} file(s): {s['changed']} would change, "
                                     f"{s['unchanged']} unchanged, {s['errors']} error(s), "
                                     f"{s['changes']} change(s)")
    for f in data["files"]:
        if f["status"] == "changed":
            assert f"{f['path']}: would change {len(f['changes'])} change(s)\n" in text
            for c in f["changes"]:
                assert f"  {c['transform']} {c['location']} (line {c['line']}): {c['summary']}\n" in text
