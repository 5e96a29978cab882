"""fixbot's own workflows pass fixbot's own transforms (and zizmor, where installed)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from fixbot.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_fixbot_changes_nothing_in_its_own_repository(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fix", str(ROOT), "--check"]) == 0
    out = capsys.readouterr().out
    assert "0 would change" in out and "0 error(s)" in out


def test_zizmor_finds_nothing_in_our_workflows() -> None:
    from bench.zizmor import zizmor_exe

    exe = zizmor_exe()
    if exe is None:
        pytest.skip("zizmor is not installed")
    proc = subprocess.run([exe, "--offline", "--format", "plain", str(ROOT / ".github" / "workflows")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
