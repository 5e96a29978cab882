"""No credential the ``secrets`` transform moves is ever shown (issue 10, "A test that renders the
PR body, JSON, SARIF and the log of a run with every token kind and finds no value").

A repository (real git) holds one fake credential of every kind the detector knows
(``fixbot.kb.secret_values.KINDS``; the values are the fake ones of tests/secrets/cases.toml): in
``env:``, in a ``with:`` input, in container credentials, in a ``run:`` script and in a Python
script a step runs. It is fixed with ``fixbot fix --format json``, ``--format sarif`` and the text
output, and run with ``fixbot run <local path>`` (local mode prints each pull request's title and
body), text and JSON, with every log record at DEBUG captured and stderr read. No value may appear
anywhere, nor any 8-character piece of one beyond its public prefix (``ghp_``, ``AKIA``, a private
key's BEGIN line...): a partial echo is a leak too.

``fixbot fix --diff`` is not checked: a unified diff of the file legitimately shows the removed
line, value included. The diff of the file itself is the one place the old text appears, as in
the pull request's "Files changed" tab and in git history (which is why the pull request says to
rotate the credential). The pull request *body*, which renders diffs of its own
(fixbot/pr_diff.py), must not: it shows only the added lines of a ``secrets`` change, and this
test checks it through ``fixbot run``.

``repr()`` of the changes and of :class:`fixbot.types.SecretValue` must hide the value as well: a
traceback or a debugging print shows them.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from fixbot import engine, files
from fixbot.cli import main
from fixbot.kb.secret_values import KINDS, find
from fixbot.transforms import REGISTRY
from fixbot.types import Change, FileResult, SecretValue
from fixbot.workflow import RepoContext

CASES = Path(__file__).parent / "secrets" / "cases.toml"
GIT_ID = {"GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@example.com",
          "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@example.com"}
PIECE = 8  # the shortest piece of a value that counts as a leak


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ID}).stdout


def _cases() -> list[dict[str, Any]]:
    return list(tomllib.loads(CASES.read_text(encoding="utf-8"))["case"])


def _pick(kind: str, places: tuple[str, ...], named: bool = True) -> dict[str, Any]:
    """The first case of ``kind`` met in one of ``places`` (in that order of preference), with
    the name it is assigned to when ``named``."""
    for place in places:
        for c in _cases():
            if c["expect"] == kind and c["place"] == place and (c.get("name") or not named):
                return c
    raise AssertionError(f"tests/secrets/cases.toml has no {places} case of {kind}")


def _secret(case: dict[str, Any]) -> str:
    """The credential inside a case's value, as the detector delimits it."""
    found = find(case["value"], case.get("name"))
    assert [f.kind for f in found] == [case["expect"]], case.get("name")
    value: str = case["value"]
    return value[found[0].start:found[0].end]


def _scalar(value: str, indent: str) -> str:
    """``value`` as a YAML scalar as people write it: a literal block for several lines, else
    single-quoted."""
    if "\n" in value.strip("\n"):
        return "|\n" + "\n".join(indent + "  " + ln for ln in value.strip("\n").split("\n"))
    return "'" + value.replace("'", "''") + "'"


class Fixture:
    """The repository's files and the credentials in them (kind -> secret values)."""

    def __init__(self) -> None:
        self.secrets: dict[str, list[str]] = {}
        env: list[dict[str, Any]] = []
        with_: list[dict[str, Any]] = []
        container: dict[str, Any] | None = None
        for kind in KINDS:
            if kind == "dockerhub-token":
                container = _pick(kind, ("container",))
                self._add(container)
                continue
            c = _pick(kind, ("env", "with"))
            self._add(c)
            (env if c["place"] == "env" else with_).append(c)
        bash = _pick("aws-access-key-id", ("run-bash",), named=False)
        self._add(bash)
        py = _pick("github-oauth", ("python-file",))
        self._add(py)
        assert container is not None
        lines = ["name: ci", "on: push", "permissions: {}", "jobs:", "  build:",
                 "    runs-on: ubuntu-latest", "    container:", "      image: acme/builder:1",
                 "      credentials:", "        username: acme",
                 f"        password: {_scalar(container['value'], '        ')}", "    env:"]
        lines += [f"      {c['name']}: {_scalar(c['value'], '      ')}" for c in env]
        lines += ["    steps:", "      - uses: actions/checkout@v4",
                  "        with:", "          persist-credentials: false",
                  "      - uses: acme/deploy-action@v1", "        with:"]
        lines += [f"          {c['name']}: {_scalar(c['value'], '          ')}" for c in with_]
        lines += [f"      - run: ./deploy.sh --key {bash['value']}",
                  "      - run: python scripts/report.py", ""]
        self.workflow = "\n".join(lines)
        self.script = ("import urllib.request\n\n"
                       f"{py['name']} = {json.dumps(py['value'])}  # the report bot\n\n"
                       "req = urllib.request.Request('https://api.github.com/user')\n"
                       f"req.add_header('Authorization', 'token ' + {py['name']})\n")

    def _add(self, case: dict[str, Any]) -> None:
        self.secrets.setdefault(case["expect"], []).append(_secret(case))

    def write(self, root: Path) -> Path:
        root.mkdir(parents=True)
        (root / ".github" / "workflows").mkdir(parents=True)
        (root / ".github" / "workflows" / "ci.yml").write_text(self.workflow, encoding="utf-8")
        (root / "scripts").mkdir()
        (root / "scripts" / "report.py").write_text(self.script, encoding="utf-8")
        (root / "deploy.sh").write_text("#!/bin/sh\necho deploying\n", encoding="utf-8")
        git(root, "init", "-q", "-b", "main")
        git(root, "add", "-A")
        git(root, "commit", "-qm", "init")
        return root


FIXTURE = Fixture()
_HEADER = re.compile(r"-----[^-\n]*-----")


def pieces(kind: str, value: str) -> set[str]:
    """Every ``PIECE``-character piece of ``value`` past its public prefix (a private key's
    BEGIN/END lines are public; its body is checked line by line, as JSON escapes newlines)."""
    if kind == "private-key":
        lines = [ln for part in _HEADER.split(value) for ln in re.split(r"\s+|\\n", part)]
    else:
        prefix = next((p for p in KINDS[kind].prefixes if value.startswith(p)), "")
        lines = [value[len(prefix):]]
    return {ln[i:i + PIECE] for ln in lines for i in range(len(ln) - PIECE + 1)}


def leaks(text: str) -> list[str]:
    """What of the fixture's credentials ``text`` shows, said without showing it."""
    out = []
    for kind, values in FIXTURE.secrets.items():
        for n, value in enumerate(values):
            if value in text:
                out.append(f"{kind} #{n}: the whole value")
            elif any(p in text for p in pieces(kind, value)):
                out.append(f"{kind} #{n}: a {PIECE}-character piece of it")
    return out


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return FIXTURE.write(tmp_path / "src")


@pytest.fixture
def debug_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def _results(root: Path) -> list[FileResult]:
    targets = files.discover([str(root)])
    ctx = RepoContext(files.repo_reader(targets[0].root))
    return [engine.process_target(t, [REGISTRY["secrets"]], ctx) for t in targets]


def _moved(results: list[FileResult]) -> list[SecretValue]:
    return [s for r in results for c in r.changes for s in c.secrets]


def test_the_fixture_holds_every_kind_and_the_transform_moves_each(repo: Path) -> None:
    assert set(FIXTURE.secrets) == set(KINDS)
    moved = _moved(_results(repo))
    label = {k.label: k.id for k in KINDS.values()}
    assert {label[s.kind] for s in moved} == set(KINDS)
    assert sorted(s.value for s in moved) == sorted(v for vs in FIXTURE.secrets.values() for v in vs)
    # the Python script changes with the workflow
    assert any(fe.path == "scripts/report.py" for r in _results(repo) for c in r.changes
               for fe in c.files)


def _check(text: str, what: str) -> None:
    assert text, f"{what}: nothing was printed"
    assert not leaks(text), f"{what} shows: {leaks(text)}"


@pytest.mark.parametrize("argv", [
    ["--check", "--format", "json"],
    ["--check", "--format", "sarif"],
    ["--check"],
    [],  # text, and the files are written
    ["-vv"],
], ids=["json", "sarif", "text-check", "text-write", "text-debug"])
def test_fix_output_and_log_show_no_value(repo: Path, argv: list[str],
                                          capsys: pytest.CaptureFixture[str],
                                          debug_log: pytest.LogCaptureFixture) -> None:
    code = main(["fix", str(repo), "--only", "secrets", *argv])
    assert code in (0, 1)
    out, err = capsys.readouterr()
    _check(out, f"fix {argv} stdout")
    assert not leaks(err), f"fix {argv} stderr shows: {leaks(err)}"
    assert not leaks(debug_log.text), f"fix {argv} log shows: {leaks(debug_log.text)}"
    assert not leaks(repr([(r.args, r.exc_text) for r in debug_log.records]))
    if "--format" in argv:
        json.loads(out)  # the whole document was read, not a fragment of it
    if not argv or argv == ["-vv"]:  # written: the files no longer hold the values either
        written = "".join(p.read_text(encoding="utf-8") for p in
                          [repo / ".github/workflows/ci.yml", repo / "scripts/report.py"])
        assert not leaks(written)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_run_local_prints_pull_requests_without_a_value(repo: Path, tmp_path: Path, fmt: str,
                                                        capsys: pytest.CaptureFixture[str],
                                                        debug_log: pytest.LogCaptureFixture,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    code = main(["run", str(repo), "--format", fmt, "-vv"])
    out, err = capsys.readouterr()
    assert code == 0, err
    _check(out, f"run --format {fmt} stdout")
    assert "secrets" in out  # the secrets pull request was rendered
    assert not leaks(err), f"run stderr shows: {leaks(err)}"
    assert not leaks(debug_log.text), f"run log shows: {leaks(debug_log.text)}"
    # the commit messages of the clone's branches, which become the pull requests' text
    clones = [p.parent for p in (tmp_path / "tmp").rglob(".git") if p.parent.name == "repo"]
    for clone in clones:
        log = git(clone, "log", "--all", "--format=%B")
        assert not leaks(log), f"commit messages show: {leaks(log)}"
        shutil.rmtree(clone.parent, ignore_errors=True)


def test_pull_request_body_shows_no_removed_line(repo: Path) -> None:
    """The hardening pull request's text rendered directly (fixbot.pr): its diffs show only the
    lines a ``secrets`` change adds, the Python script's too."""
    from fixbot import pr

    results = _results(repo)
    rendered = pr.render(results)
    assert "(a removed line is not shown here" in rendered.body  # the diffs are in the body
    for text in (pr.title(results), rendered.body, rendered.comment or "", pr.commit_message(results)):
        assert not leaks(text), f"a pull request's text shows: {leaks(text)}"


def test_secrets_pull_request_shows_no_value(repo: Path) -> None:
    """The secrets pull request's title, checklist and body (fixbot.pr_secrets)."""
    pr_secrets = pytest.importorskip("fixbot.pr_secrets")
    from fixbot import pr

    results = _results(repo)
    seen = pr_secrets.Seen()
    todo = pr_secrets.checklist(results, seen)
    rendered = pr.render(results, todo=todo)
    texts = [pr_secrets.title(results, seen), pr_secrets.subject(results), repr(todo),
             rendered.body, rendered.comment or ""]
    assert "GH_TOKEN" in rendered.body
    for text in texts:
        assert not leaks(text), f"the secrets pull request's text shows: {leaks(text)}"


def test_repr_hides_the_value(repo: Path) -> None:
    results = _results(repo)
    changes: list[Change] = [c for r in results for c in r.changes]
    moved = _moved(results)
    assert moved
    for s in moved:
        assert not leaks(repr(s)) and not leaks(str(s))
    for c in changes:
        assert not leaks(repr(c.secrets))
        assert not leaks(repr(c.edits)), f"repr of the edits of {c.location}: {leaks(repr(c.edits))}"


def test_repr_of_a_change_that_edits_a_script_hides_the_value(repo: Path) -> None:
    changes = [c for r in _results(repo) for c in r.changes if c.files]
    assert changes
    for c in changes:
        assert not leaks(repr(c)), f"repr of {c.location} shows: {leaks(repr(c))}"
