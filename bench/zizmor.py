"""Running ``zizmor --offline`` (PyPI) as an oracle and as the benchmark peer."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

_UNLOADABLE = re.compile(r"failed to load file://(\S+) as workflow")


def zizmor_exe() -> str | None:
    here = Path(sys.executable).parent / "zizmor"
    return str(here) if here.exists() else shutil.which("zizmor")


def findings(tree: Path, exclude: set[Path] | None = None) -> tuple[list[dict], set[Path]]:
    """All findings for the workflows under ``tree``; files zizmor cannot load are moved aside
    (returned as the second value) and zizmor is run again without them."""
    exe = zizmor_exe()
    if exe is None:
        raise RuntimeError("zizmor is not installed (pip install zizmor)")
    skipped: set[Path] = set()
    for path in sorted(exclude or ()):
        if path.exists():
            path.rename(path.with_name(path.name + ".skipped"))
            skipped.add(path)
    try:
        while True:
            proc = subprocess.run(
                [exe, "--offline", "--format", "json", "--no-exit-codes", "--collect=workflows",
                 str(tree)], capture_output=True, text=True, check=False)
            m = _UNLOADABLE.search(proc.stderr)
            if proc.returncode == 0 or not m:
                break
            bad = Path(m.group(1))
            bad.rename(bad.with_name(bad.name + ".skipped"))
            skipped.add(bad)
        if proc.returncode != 0:
            raise RuntimeError(f"zizmor failed: {proc.stderr[-2000:]}")
        return json.loads(proc.stdout or "[]"), skipped
    finally:
        for path in skipped:
            path.with_name(path.name + ".skipped").rename(path)


def per_file(found: list[dict], tree: Path) -> Counter[tuple[str, str]]:
    """Counts of (relative file, audit id)."""
    out: Counter[tuple[str, str]] = Counter()
    for f in found:
        for loc in f.get("locations", []):
            key = loc.get("symbolic", {}).get("key", {})
            local = key.get("Local", {}) if isinstance(key, dict) else {}
            path = local.get("verbatim_path") or local.get("given_path")
            if path and loc.get("symbolic", {}).get("kind") == "Primary":
                rel = Path(path).resolve().relative_to(tree.resolve()).as_posix()
                out[(rel, f["ident"])] += 1
                break
    return out


def counts(tree: Path, exclude: set[Path] | None = None) -> tuple[Counter[tuple[str, str]], set[Path]]:
    """``per_file`` counts for ``tree``, and the files zizmor could not load there."""
    found, skipped = findings(tree, exclude)
    return per_file(found, tree), skipped
