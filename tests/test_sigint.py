"""Ctrl-C: a real SIGINT to the whole process group (what a terminal sends) stops fixbot at once,
with exit 130, one line saying what was done, no traceback, and no file half-written: each is
either its original bytes or the complete fixed bytes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fixbot.cli import main

FILES = 400  # over fix's PARALLEL_THRESHOLD (200): the process pool runs
JOB = """  job{j}:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: |
          echo build {i} {j}
          gh pr comment {i} --body done
"""


def _tree(root: Path) -> dict[str, bytes]:
    wf = root / ".github" / "workflows"
    wf.mkdir(parents=True)
    for i in range(FILES):
        jobs = "".join(JOB.format(i=i, j=j) for j in range(4))
        (wf / f"w{i:03d}.yml").write_text(f"on: [push, pull_request]\njobs:\n{jobs}")
    return _read(root)


def _read(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / ".github" / "workflows").iterdir())}


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(c) for c in text.split()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The original bytes of every file, and the bytes ``fixbot fix`` writes (uninterrupted)."""
    root = tmp_path_factory.mktemp("fixed")
    original = _tree(root)
    proc = subprocess.run([sys.executable, "-m", "fixbot", "fix", str(root), "-q"],
                          capture_output=True, env={**os.environ, "FIXBOT_JOBS": "4"}, timeout=600)
    assert proc.returncode == 0, proc.stderr
    fixed = _read(root)
    assert all(fixed[name] != original[name] for name in original)
    return original, fixed


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
@pytest.mark.parametrize("delay", [0.0, 0.5, 2.0])
def test_sigint_during_fix_stops_at_once(tmp_path: Path, delay: float,
                                         trees: tuple[dict[str, bytes], dict[str, bytes]]) -> None:
    original, fixed = trees
    _tree(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "fixbot", "fix", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "FIXBOT_JOBS": "4"}, start_new_session=True)
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while len(workers) < 4 and proc.poll() is None and time.monotonic() < deadline:
        workers = _children(proc.pid)  # the pool's workers are forked: the pool runs
        time.sleep(0.01)
    assert len(workers) == 4, "the process pool never started"
    time.sleep(delay)
    sent = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)  # the terminal's Ctrl-C: the whole group
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("fixbot fix hung after Ctrl-C")
    took = time.monotonic() - sent
    if proc.returncode == 0:  # the run finished before the signal landed: nothing to judge
        pytest.skip(f"the run ended before SIGINT (after {delay} s)")
    assert proc.returncode == 130, err
    assert "Traceback" not in err + out
    assert err.count("\n") == 1 and err.startswith("fixbot: interrupted: ")
    assert took < 10, f"{took:.1f} s from Ctrl-C to exit"
    now = _read(tmp_path)
    assert sorted(now) == sorted(original)  # no temporary file left behind
    half = [n for n, data in now.items() if data not in (original[n], fixed[n])]
    assert half == []
    written = sum(now[n] == fixed[n] for n in now)
    said = err.removeprefix("fixbot: interrupted: ").rstrip("\n")
    assert said in (
        # while the workers checked the files (the first N, in order, had come back)
        *(f"{n} of {FILES} workflow file(s) checked; no file written"
          for n in range(FILES + 1) if written == 0),
        # while the files were written, one by one
        f"{written} of {FILES} changed workflow file(s) written; the others keep their bytes",
        # after every file was written, while the report was printed
        *([f"{FILES} changed workflow file(s) written; the report was cut short"]
          if written == FILES else []))
    time.sleep(0.2)
    assert [w for w in workers if _alive(w)] == []  # no worker left behind


def test_sigint_while_writing_takes_effect_between_two_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A Ctrl-C during the third write: that file is still written whole, the others are left
    as they were, and the line says how many were written."""
    from fixbot import files

    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    text = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n"
    for i in range(6):
        (wf / f"w{i}.yml").write_text(text)
    real = files.write_atomic
    calls: list[Path] = []

    def write_then_interrupt(path: Path, data: bytes, *args: object) -> None:
        calls.append(path)
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGINT)  # a real signal, delivered mid-write
        real(path, data, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(files, "write_atomic", write_then_interrupt)
    assert main(["fix", str(tmp_path), "--only", "persist-credentials"]) == 130
    assert capsys.readouterr().err == ("fixbot: interrupted: 3 of 6 changed workflow file(s) "
                                       "written; the others keep their bytes\n")
    contents = [p.read_text() for p in sorted(wf.iterdir())]
    assert len(contents) == 6  # no temporary file left
    assert [c != text for c in contents] == [True, True, True, False, False, False]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def _wait_for(proc: subprocess.Popen[str], text: str, timeout: float = 120) -> str:
    assert proc.stdout is not None
    seen = ""
    deadline = time.monotonic() + timeout
    while text not in seen and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen += line
    assert text in seen, seen
    return seen


def test_sigint_during_the_demo_stops_the_sandbox_without_a_traceback() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "fixbot", "demo"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    _wait_for(proc, "sandbox forge at ")
    time.sleep(0.3)  # inside the first repository's run: cloning, pushing, opening the PR
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    if proc.returncode == 0:
        pytest.skip("the demo ended before SIGINT")
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert err.startswith("fixbot: interrupted") and err.count("\n") == 1, err


def test_demo_keep_serves_until_ctrl_c() -> None:
    import base64
    import re
    import urllib.request

    proc = subprocess.Popen([sys.executable, "-m", "fixbot", "demo", "--keep"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        shown = _wait_for(proc, "fixbot again")
        token = re.search(r"token (ghp_\w+) as the password", shown)
        index = re.search(r"in a browser\s+(http://127\.0\.0\.1:\d+/)\s", shown)
        assert token and index, shown
        pulls = re.findall(r"^\s+(http://127\.0\.0\.1:\d+/demo-org/[\w-]+/pull/\d+)$", shown, re.M)
        assert len(pulls) == 4  # coverage-bot, library, release-tools, webapp
        auth = "Basic " + base64.b64encode(f"x:{token.group(1)}".encode()).decode()
        for url in (index.group(1), *pulls):
            with urllib.request.urlopen(urllib.request.Request(
                    url, headers={"Authorization": auth}), timeout=30) as r:
                assert r.status == 200 and r.headers["Content-Type"] == "text/html; charset=utf-8"
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert (proc.returncode, err) == (0, "")
    assert out.endswith("sandbox stopped; its temporary directory is removed\n")


def test_sigint_while_the_parser_loads_is_one_line() -> None:
    """Ctrl-C before any command runs (here: while the command modules are imported)."""
    script = ("import os, signal, sys\nimport fixbot.commands\n"
              "real = fixbot.commands.load\n"
              "def load(name=None):\n    os.kill(os.getpid(), signal.SIGINT)\n"
              "    return real(name)\n"
              "fixbot.commands.load = load\nfrom fixbot.cli import main\n"
              "sys.exit(main(['list']))\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert (proc.returncode, proc.stderr, proc.stdout) == (130, "fixbot: interrupted\n", "")

