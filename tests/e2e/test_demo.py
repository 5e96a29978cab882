"""``fixbot demo``: offline, seeds the packaged examples, opens PRs, reruns without duplicates."""

from __future__ import annotations

import argparse
import re

import pytest

from fixbot.commands import demo


def test_demo(capsys: pytest.CaptureFixture[str]) -> None:
    p = argparse.ArgumentParser(prog="fixbot")
    demo.register(p.add_subparsers(dest="command"))
    args = p.parse_args(["demo"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    rows = re.findall(r"^(demo-org/\S+)\s+(\S+)\s+(#\d+ \S+|-)", out, re.M)
    assert [(repo, status) for repo, status, _ in rows] == [
        ("demo-org/coverage-bot", "pr-opened"), ("demo-org/docs-site", "no-changes"),
        ("demo-org/library", "pr-opened"), ("demo-org/release-tools", "pr-opened"),
        ("demo-org/webapp", "pr-opened")]
    assert all(re.match(r"#1 http://127\.0\.0\.1:\d+/demo-org/", pr) for _, s, pr in rows
               if s == "pr-opened")
    assert "--- body of demo-org/coverage-bot#1 ---" in out
    # the pwn request is split in two: the new workflow_run file is in the same pull request
    assert "split into `pull_request` (read-only) and a `workflow_run` workflow " \
        "`coverage-privileged.yml`" in out
    assert "## Checklist for people" in out and "<!-- fixbot:fingerprint=" in out
    assert out.rstrip().splitlines()[-1] == (
        "rerun: demo-org/coverage-bot up-to-date, demo-org/docs-site no-changes, demo-org/library up-to-date, "
        "demo-org/release-tools up-to-date, demo-org/webapp up-to-date")
