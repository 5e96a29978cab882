"""Bad input gets a clear per-file error; the rest of the run goes on and nothing is lost."""

from __future__ import annotations

import json
import os
from pathlib import Path

from fixbot.cli import main
from fixbot.commands.fix import write_fixed
from fixbot.engine import process_target
from fixbot.files import discover
from fixbot.transforms import select
from fixbot.workflow import RepoContext

GOOD = b"on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"

BAD: dict[str, bytes] = {
    "broken.yml": b"on: push\njobs:\n  a: [unclosed\n",
    "bomb.yml": (b"a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                 + b"".join(b"%s: &%s [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n"
                            % ((chr(98 + i).encode(), chr(98 + i).encode()) + (chr(97 + i).encode(),) * 10)
                            for i in range(8))),
    "huge.yml": b"on: push\n" + b"# padding\n" * 120_000,
    "binary.yml": b"on: push\x00\x01\x02\n",
    "latin1.yml": "on: push\nname: caf\u00e9\n".encode("latin-1"),
    "dupkeys.yml": b"on: push\njobs:\n  a:\n    runs-on: x\n  a:\n    runs-on: y\n",
    "tabs.yml": b"on: push\njobs:\n\ta:\n\t\truns-on: x\n",
    "keys.yml": b"on: push\n{ a: b }: c\n",
}

EXPECTED_ERRORS = {
    ".github/workflows/binary.yml": "binary file (contains NUL bytes)",
    ".github/workflows/bomb.yml": "aliases expand to more than 200,000 nodes (a YAML bomb?)",
    ".github/workflows/broken.yml":
        "invalid YAML: line 4, column 1: did not find expected ',' or ']' "
        "(while parsing a flow sequence)",
    ".github/workflows/dupkeys.yml": "line 5: duplicate key 'a' (first defined on line 3)",
    ".github/workflows/huge.yml": "file is 1,200,009 bytes, over the 1,048,576-byte limit",
    ".github/workflows/keys.yml":
        "line 2: a mapping key must be a plain value, not a mapping or sequence",
    ".github/workflows/latin1.yml": "not UTF-8 text (invalid byte at offset 18)",
    ".github/workflows/outside.yml": "symlink points outside the repository; not followed",
    ".github/workflows/tabs.yml":
        "invalid YAML: line 3, column 1: a tab character; YAML allows only spaces for indentation",
}


def make_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    wf = repo / ".github" / "workflows"
    wf.mkdir(parents=True)
    for name, data in BAD.items():
        (wf / name).write_bytes(data)
    (wf / "good.yml").write_bytes(GOOD)
    secret = tmp_path / "outside-secret.yml"
    secret.write_bytes(GOOD)
    os.symlink(secret, wf / "outside.yml")
    return repo


def test_each_bad_file_gets_its_own_error_and_the_rest_is_fixed(tmp_path, capsys) -> None:
    repo = make_repo(tmp_path)
    before = {p.name: p.read_bytes() for p in (repo / ".github" / "workflows").iterdir()
              if not p.is_symlink()}
    rc = main(["fix", str(repo), "--format", "json", "--only", "persist-credentials"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 3
    errors = {f["path"]: f["error"] for f in out["files"] if f["status"] == "error"}
    assert errors == EXPECTED_ERRORS
    good = next(f for f in out["files"] if f["path"] == ".github/workflows/good.yml")
    assert good["status"] == "changed"
    assert out["summary"] == {"files": 10, "changed": 1, "unchanged": 0, "errors": 9,
                              "changes": 1}
    wf = repo / ".github" / "workflows"
    for name, data in before.items():  # nothing lost: bad files keep their bytes
        if name != "good.yml":
            assert (wf / name).read_bytes() == data
    assert (wf / "good.yml").read_bytes() == GOOD + b"        with:\n          persist-credentials: false\n"
    assert (tmp_path / "outside-secret.yml").read_bytes() == GOOD


def test_deep_nesting_is_an_error_not_a_crash(tmp_path, capsys) -> None:
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "deep.yml").write_bytes(b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n")
    rc = main(["fix", str(tmp_path), "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 3
    assert out["files"][0]["status"] == "error"
    assert out["files"][0]["error"] == "nesting too deep"


def test_a_file_that_cannot_be_written_is_an_error_and_the_rest_is_fixed(tmp_path, capsys) -> None:
    """a.yml turned into a directory between reading and writing: a per-file error."""
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "a.yml").write_bytes(GOOD)
    (wf / "b.yml").write_bytes(GOOD)
    targets = discover([str(tmp_path)])
    results = [process_target(t, select("persist-credentials", None), RepoContext()) for t in targets]
    (wf / "a.yml").unlink()
    (wf / "a.yml").mkdir()
    written = write_fixed(targets, results)
    assert [(r.path, r.status, r.error) for r in written] == [
        (".github/workflows/a.yml", "error", "cannot write the fixed file: not a regular file"),
        (".github/workflows/b.yml", "changed", None)]
    assert (wf / "a.yml").is_dir()
    assert (wf / "b.yml").read_bytes() == GOOD + b"        with:\n          persist-credentials: false\n"
    assert sorted(p.name for p in wf.iterdir()) == ["a.yml", "b.yml"]
