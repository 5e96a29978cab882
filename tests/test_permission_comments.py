"""Issue 8, item 3: every scope of a block ``permissions`` writes says why, in the file.

Each scope but ``contents: read`` gets a short end-of-line comment naming the step that needs it
(zizmor's pedantic ``undocumented-permissions`` asks exactly that of every explicit block), in
block style, flow style and CRLF files, and when ``write-all`` is replaced. Comments never change
the parsed data (the guard checks it on every edit) and the rest of the file keeps its bytes.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from fixbot import engine, yamledit
from fixbot.kb import Need
from fixbot.transforms import REGISTRY
from fixbot.transforms.permissions.render import WIDTH, remarks
from fixbot.yamlmodel import Document, Mapping

SOURCE = "https://example.org/doc"


def fix(text: str) -> str:
    r = engine.process("ci.yml", text, [REGISTRY["permissions"]])
    assert r.status == "changed", (r.status, r.error, [n.message for n in r.notes])
    assert r.updated is not None
    again = engine.process("ci.yml", r.updated, [REGISTRY["permissions"]])
    assert again.status == "unchanged", [c.summary for c in again.changes]
    return r.updated


BLOCK_IN = """\
name: Coverage
on: pull_request

jobs:
  report:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Report
        uses: marocchino/sticky-pull-request-comment@v2
        with:
          path: coverage.md
"""
BLOCK_OUT = """\
name: Coverage
on: pull_request

permissions:
  contents: read

jobs:
  report:
    runs-on: ubuntu-latest
    permissions:
      contents: read
      pull-requests: write  # step "Report" (marocchino/sticky-pull-request-comment@v2)
    steps:
      - uses: actions/checkout@v4
      - name: Report
        uses: marocchino/sticky-pull-request-comment@v2
        with:
          path: coverage.md
"""

# several steps need one scope: the first is named, the others counted
SEVERAL_IN = """\
on:
  push:
    branches: [main]
jobs:
  image:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/login-action@v3
        with:
          registry: ghcr.io
          username: ${{ github.actor }}
          password: ${{ secrets.GITHUB_TOKEN }}
      - name: Push
        uses: docker/build-push-action@v6
        with:
          push: true
          tags: ghcr.io/${{ github.repository }}:latest
      - name: Push the other tag
        uses: docker/build-push-action@v6
        with:
          push: true
          tags: ghcr.io/${{ github.repository }}:edge
"""
SEVERAL_OUT = """\
on:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  image:
    runs-on: ubuntu-latest
    permissions:
      contents: read
      packages: write  # step 1 (docker/login-action@v3) +2 more
    steps:
      - uses: docker/login-action@v3
        with:
          registry: ghcr.io
          username: ${{ github.actor }}
          password: ${{ secrets.GITHUB_TOKEN }}
      - name: Push
        uses: docker/build-push-action@v6
        with:
          push: true
          tags: ghcr.io/${{ github.repository }}:latest
      - name: Push the other tag
        uses: docker/build-push-action@v6
        with:
          push: true
          tags: ghcr.io/${{ github.repository }}:edge
"""

OIDC_IN = """\
on:
  release:
    types: [published]
jobs:
  publish:
    runs-on: ubuntu-latest
    environment: pypi
    steps:
      - uses: actions/download-artifact@v4
      - name: Publish
        uses: pypa/gh-action-pypi-publish@release/v1
"""
OIDC_OUT = """\
on:
  release:
    types: [published]
permissions:
  contents: read
jobs:
  publish:
    runs-on: ubuntu-latest
    environment: pypi
    permissions:
      contents: read
      id-token: write  # step "Publish" (pypa/gh-action-pypi-publish@release/v1)
    steps:
      - uses: actions/download-artifact@v4
      - name: Publish
        uses: pypa/gh-action-pypi-publish@release/v1
"""

# write-all replaced by a block: the comment of the key's line stays there
WRITE_ALL_IN = """\
on: push
jobs:
  tag:
    runs-on: ubuntu-latest
    permissions: write-all  # TODO narrow
    steps:
      - uses: actions/checkout@v4
      - name: Tag the build
        run: |
          git tag "build-$GITHUB_RUN_NUMBER"
          git push origin --tags
"""
WRITE_ALL_OUT = """\
on: push
jobs:
  tag:
    runs-on: ubuntu-latest
    permissions:  # TODO narrow
      contents: write  # step "Tag the build"
    steps:
      - uses: actions/checkout@v4
      - name: Tag the build
        run: |
          git tag "build-$GITHUB_RUN_NUMBER"
          git push origin --tags
"""

# a flow value in a block job becomes a block, so that each scope has its line and comment; a
# read scope of the workflow-level default names the job that uses it
FLOW_VALUE_IN = """\
on: workflow_dispatch
permissions: { contents: write, actions: read }
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/download-artifact@v4
        with:
          run-id: 1
          github-token: ${{ github.token }}
  release:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/download-artifact@v4
        with:
          run-id: 1
          github-token: ${{ github.token }}
      - uses: softprops/action-gh-release@v2
"""
FLOW_VALUE_OUT = """\
on: workflow_dispatch
permissions:
  actions: read  # job check: step 1 (actions/download-artifact@v4)
  contents: read
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/download-artifact@v4
        with:
          run-id: 1
          github-token: ${{ github.token }}
  release:
    runs-on: ubuntu-latest
    permissions:
      actions: read  # step 1 (actions/download-artifact@v4)
      contents: write  # step 2 (softprops/action-gh-release@v2)
    steps:
      - uses: actions/download-artifact@v4
        with:
          run-id: 1
          github-token: ${{ github.token }}
      - uses: softprops/action-gh-release@v2
"""

# jobs that are flow mappings: no block style is possible there, and a comment ends the line,
# so the rest of the line moves to the next one (two blocks on one line do not overlap)
FLOW_JOBS_IN = """\
on: push
jobs: {a: {runs-on: ubuntu-latest, steps: [{uses: softprops/action-gh-release@v2}]}, \
b: {runs-on: ubuntu-latest, steps: [{uses: actions/stale@v8}]}}
"""
FLOW_JOBS_OUT = """\
on: push
permissions:
  contents: read
jobs: {a: {runs-on: ubuntu-latest, steps: [{uses: softprops/action-gh-release@v2}], \
permissions: { contents: write }  # contents: step 1 (softprops/action-gh-release@v2)
  }, b: {runs-on: ubuntu-latest, steps: [{uses: actions/stale@v8}], \
permissions: { contents: read, issues: write, pull-requests: write }  \
# issues: step 1 (actions/stale@v8); pull-requests: step 1 (actions/stale@v8)
  }}
"""

CRLF_IN = ("on: push\r\njobs:\r\n  label:\r\n    runs-on: ubuntu-latest\r\n    steps:\r\n"
           "      - uses: actions/labeler@v5\r\n")
CRLF_OUT = ("on: push\r\npermissions:\r\n  contents: read\r\njobs:\r\n  label:\r\n"
            "    runs-on: ubuntu-latest\r\n    permissions:\r\n      contents: read\r\n"
            "      issues: write  # step 1 (actions/labeler@v5)\r\n"
            "      pull-requests: write  # step 1 (actions/labeler@v5)\r\n"
            "    steps:\r\n      - uses: actions/labeler@v5\r\n")

CASES = {
    "block": (BLOCK_IN, BLOCK_OUT),
    "several-steps": (SEVERAL_IN, SEVERAL_OUT),
    "id-token": (OIDC_IN, OIDC_OUT),
    "write-all": (WRITE_ALL_IN, WRITE_ALL_OUT),
    "flow-value": (FLOW_VALUE_IN, FLOW_VALUE_OUT),
    "flow-jobs": (FLOW_JOBS_IN, FLOW_JOBS_OUT),
    "crlf": (CRLF_IN, CRLF_OUT),
}


@pytest.mark.parametrize("name", CASES)
def test_exact_output(name: str) -> None:
    before, after = CASES[name]
    assert fix(before) == after


def uncommented(text: str) -> str:
    """``text`` without its end-of-line comments (none of the cases has ``  # `` elsewhere)."""
    out = []
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        out.append(body.split("  # ")[0] + line[len(body):])
    return "".join(out)


@pytest.mark.parametrize("name", CASES)
def test_the_comments_are_all_that_is_added(name: str) -> None:
    before, after = CASES[name]
    assert Document(uncommented(after)).data == Document(after).data
    assert uncommented(after) == uncommented(engine.process(
        "ci.yml", uncommented(before), [REGISTRY["permissions"]]).updated or "")


def test_comment_lines_stay_within_the_width() -> None:
    for _, after in CASES.values():
        for line in after.splitlines():
            if "  # " in line and "permissions: {" not in line:  # a flow line is long already
                assert len(line) <= WIDTH, line


def test_a_long_step_name_is_shortened_on_one_line() -> None:
    text = """\
on: push
jobs:
  release:
    runs-on: ubuntu-latest
    steps:
      - name: |
          Attach every binary of every platform we build
          to the release that was just published, with checksums
        uses: softprops/action-gh-release@c062e08bd532815e2082a85e87e3ef29c3e6d191
"""
    out = fix(text)
    line = next(ln for ln in out.splitlines() if "contents: write" in ln)
    assert line == ("      contents: write  # step \"Attach every binary of every platform we build "
                    "to the release that w…")
    assert len(line) == WIDTH


def test_the_ref_goes_before_the_name_is_cut() -> None:
    need = Need({"contents": "write"}, "why", SOURCE)
    where = 'step 2 "Publish" (softprops/action-gh-release@c062e08bd532815e2082a85e87e3ef29c3e6d191)'
    assert remarks({"contents": "write"}, [(where, need)], 6) == {
        "contents": 'step "Publish" (softprops/action-gh-release)'}


def test_a_need_with_a_purpose_says_what_for() -> None:
    need = Need({"pull-requests": "write"}, "why", SOURCE, purpose="comment on the PR")
    other = Need({"pull-requests": "write", "contents": "read"}, "why", SOURCE)
    got = remarks({"contents": "read", "pull-requests": "write"},
                  [('step 4 "Report" (actions/github-script@v7)', need),
                   ("step 5 (`gh pr comment 1 --body hi`)", other)], 6)
    assert got == {"pull-requests": 'comment on the PR (step "Report" (actions/github-script@v7)) '
                                    "+1 more"}


def test_a_read_need_is_not_named_for_a_write() -> None:
    read = Need({"issues": "read"}, "why", SOURCE)
    write = Need({"issues": "write"}, "why", SOURCE)
    got = remarks({"issues": "write"}, [("step 1 (a/b@v1)", read), ("step 2 (c/d@v1)", write)], 6)
    assert got == {"issues": "step 2 (c/d@v1)"}


def test_a_kept_comment_of_the_scope_wins() -> None:
    """Narrowing a block keeps a person's end-of-line comment on a scope; it gets none of ours."""
    text = "permissions:\n  contents: write\n  pull-requests: write  # mine\n  issues: write\n"
    doc = Document(text)
    assert isinstance(doc.root, Mapping)
    style = yamledit.detect_style(doc)
    edit = yamledit.replace_value(doc, doc.root, "permissions",
                                  {"contents": "read", "pull-requests": "write"}, style,
                                  remarks={"pull-requests": "ours", "contents": "unused"})
    assert yamledit.apply(text, [edit]) == (
        "permissions:\n  contents: read  # unused\n  pull-requests: write  # mine\n")


def test_a_comment_must_be_one_line() -> None:
    doc = Document("a: 1\n")
    assert isinstance(doc.root, Mapping)
    with pytest.raises(Exception, match="one non-empty line"):
        yamledit.set_key(doc, doc.root, "b", {"c": "d"}, yamledit.detect_style(doc),
                         remarks={"c": "two\nlines"})


def test_zizmor_pedantic_finds_no_undocumented_permissions(tmp_path: Path) -> None:
    """The real oracle: every block written above passes ``undocumented-permissions``."""
    from bench.zizmor import per_file, zizmor_exe

    exe = zizmor_exe()
    if exe is None:
        pytest.skip("zizmor is not installed (pip install zizmor)")
    for name, (_, after) in CASES.items():
        (tmp_path / f"{name}.yml").write_bytes(fix(CASES[name][0]).encode())
        assert (tmp_path / f"{name}.yml").read_bytes() == after.encode()
    proc = subprocess.run([exe, "--offline", "--persona", "pedantic", "--format", "json",
                           "--no-exit-codes", *map(str, sorted(tmp_path.glob("*.yml")))],
                          capture_output=True, text=True, check=True)
    found = json.loads(proc.stdout)
    assert {f["ident"] for f in found} >= {"anonymous-definition"}  # the run saw the files
    assert [f for f in found if f["ident"] == "undocumented-permissions"] == []
    # ... and without the comments it flags every one of these files
    for path in tmp_path.glob("*.yml"):
        path.write_bytes(uncommented(path.read_bytes().decode()).encode())
    proc = subprocess.run([exe, "--offline", "--persona", "pedantic", "--format", "json",
                           "--no-exit-codes", *map(str, sorted(tmp_path.glob("*.yml")))],
                          capture_output=True, text=True, check=True)
    bare = per_file(json.loads(proc.stdout), tmp_path)
    assert {f for f, audit in bare if audit == "undocumented-permissions"} == {
        f"{name}.yml" for name in CASES}


def test_a_step_name_with_line_breaks_of_its_own_stays_on_one_line() -> None:
    r"""YAML's ``\L`` and ``\N`` escapes put line separators into a name: never into a comment."""
    text = ('on: push\njobs:\n  release:\n    runs-on: ubuntu-latest\n    steps:\n'
            '      - name: "Publish\\Lthe\\N\\arelease"\n'
            '        uses: softprops/action-gh-release@v2\n')
    out = fix(text)
    assert ('      contents: write  # step "Publish the release" (softprops/action-gh-release@v2)\n'
            in out)


def test_a_flow_mapping_over_several_lines_keeps_its_lines() -> None:
    """Where nothing follows on the line, the comment just ends it."""
    text = "job: {\n  runs-on: x,\n  steps: []\n}\n"
    doc = Document(text)
    job = doc.root.get("job") if isinstance(doc.root, Mapping) else None
    assert isinstance(job, Mapping)
    edit = yamledit.set_key(doc, job, "permissions", {"issues": "write"},
                            yamledit.detect_style(doc), remarks={"issues": "step 1 (a/b@v1)"})
    out = yamledit.apply(text, [edit])
    assert out == ("job: {\n  runs-on: x,\n  steps: [], permissions: { issues: write }  "
                   "# issues: step 1 (a/b@v1)\n}\n")
    assert Document(out).data == {"job": {"runs-on": "x", "steps": [],
                                          "permissions": {"issues": "write"}}}
