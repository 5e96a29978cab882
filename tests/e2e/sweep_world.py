"""A world of sandbox repositories built from ``../shared/corpus`` for the sweep's end-to-end
tests and benchmark: real repository trees (``corpus/repos``), single real workflows
(``corpus/workflows``), and the cases a sweep must skip or report.

What each repository should end as is worked out apart from the sweep: by category for the
constructed ones, and for the corpus ones by ``fixbot fix --check`` over the same files in a
plain directory (no forge, no pre-screen, no pull request machinery).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

from fixbot.cli import main
from fixbot.sandbox import Sandbox

ORG = "world"
WF = ".github/workflows/ci.yml"
CLEAN = ("name: ci\non: push\npermissions:\n  contents: read\njobs:\n  test:\n"
         "    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
         "        with:\n          persist-credentials: false\n      - run: echo {n}\n")
MAX_BYTES = 256 * 1024  # corpus tree files larger than this are left out (a faster world)


@dataclass
class World:
    expected: dict[str, str] = field(default_factory=dict)  # full name -> what must happen
    reasons: dict[str, str] = field(default_factory=dict)  # skipped/error: the exact reason

    def with_prs(self) -> set[str]:
        return {r for r, e in self.expected.items() if e == "pr"}


def _tree(root: Path) -> dict[str, bytes]:
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and not p.is_symlink() and p.stat().st_size <= MAX_BYTES:
            out[p.relative_to(root).as_posix()] = p.read_bytes()
    return out


def _would_change(files: dict[str, bytes]) -> bool:
    """``fixbot fix --check`` over the files in a plain directory: any change, in any lane."""
    with tempfile.TemporaryDirectory(prefix="world-oracle-") as tmp:
        for rel, data in files.items():
            dest = Path(tmp) / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
        buf = StringIO()
        with redirect_stdout(buf):
            main(["fix", tmp, "--check", "--format", "json", "-q"])
        report = json.loads(buf.getvalue())
        return bool(report["summary"]["changed"])


def _single_workflows(corpus: Path, count: int) -> list[tuple[str, bytes]]:
    """Every n-th workflow of the manifest, deterministically, with a name per file."""
    rows = (corpus / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]
    step = max(1, len(rows) // count)
    picked = []
    for line in rows[::step][:count]:
        path = line.split("\t", 1)[0]
        name = path.split("/", 1)[1].replace("/", "--").removesuffix(".yml").lower()
        picked.append((name.replace("_", "-").replace(".", "-")[:90], (corpus / path).read_bytes()))
    return picked


def build(sb: Sandbox, corpus: Path, trees: int = 30, singles: int = 131) -> World:
    """At least 200 repositories in ``sb`` under :data:`ORG`; returns what each must end as."""
    w = World()

    def add(name: str, files: dict[str, bytes | str], expect: str, reason: str | None = None,
            **flags: object) -> None:
        sb.create_repo(ORG, name, files, **flags)
        w.expected[f"{ORG}/{name}"] = expect
        if reason is not None:
            w.reasons[f"{ORG}/{name}"] = reason

    roots = sorted(p for p in (corpus / "repos").iterdir() if p.is_dir())
    for root in roots[:: max(1, len(roots) // trees)][:trees]:
        files = _tree(root)
        name = root.name.lower().replace("_", "-").replace(".", "-")
        add(name, dict(files), "pr" if _would_change(files) else "clean")
    for name, text in _single_workflows(corpus, singles):
        files = {f".github/workflows/{name.rsplit('--', 1)[-1]}.yml": text}
        add(f"wf-{name}", dict(files), "pr" if _would_change(files) else "clean")
    for i in range(12):
        add(f"clean-{i}", {WF: CLEAN.format(n=i)}, "clean")
    add("dashboard", {"README.md": "fixbot's dashboard issue lives here\n"}, "clean")
    needs = CLEAN.replace("permissions:\n  contents: read\n", "")
    for i in range(5):
        add(f"archived-{i}", {WF: needs}, "skipped", "repository is archived", archived=True)
        add(f"fork-{i}", {WF: needs}, "skipped",
            "repository is a fork (fixbot fixes the upstream repository)", fork=True)
        add(f"opted-out-{i}", {WF: needs, ".github/fixbot.yml": "enabled: false\n"}, "skipped",
            "opted out in .github/fixbot.yml (enabled: false)")
    for i in range(3):
        add(f"bad-config-{i}", {WF: needs, ".github/fixbot.yml": "labels: 7\n"}, "error",
            ".github/fixbot.yml: labels: expected a list of strings, got int 7")
        add(f"no-workflows-{i}", {"README.md": f"# {i}\n"}, "clean")
        add(f"broken-yaml-{i}", {WF: "on: [push\njobs: {\n"}, "clean")  # a file error only
        empty = sb.root / ORG / f"empty-{i}.git"
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(empty)], check=True)
        w.expected[f"{ORG}/empty-{i}"] = "skipped"
        w.reasons[f"{ORG}/empty-{i}"] = "repository is empty"
    return w
