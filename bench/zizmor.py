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


def findings(tree: Path, exclude: set[Path] | None = None,
             args: tuple[str, ...] = ()) -> tuple[list[dict], set[Path]]:
    """All findings for the workflows under ``tree``; files zizmor cannot load are moved aside
    (returned as the second value) and zizmor is run again without them. ``args`` are added to
    zizmor's command line (e.g. ``("--persona", "pedantic", "--no-config")``)."""
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
                 *args, str(tree)], capture_output=True, text=True, check=False)
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


def _route(route: list[dict]) -> str:
    """``[{"Key": "jobs"}, {"Key": "a"}, {"Index": 0}]`` -> ``jobs.a[0]``."""
    out = ""
    for part in route:
        if "Index" in part:
            out += f"[{part['Index']}]"
        else:
            out += ("." if out else "") + str(part.get("Key", part))
    return out


def keyed(found: list[dict], tree: Path) -> Counter[tuple[str, str, str]]:
    """Counts of (relative file, audit id, location) where the location is read from the
    finding's primary locations by YAML *route* (``jobs.a.steps[2].run``), annotation and
    sub-feature text, never by line or column: an inserted line moves every finding below it,
    while a route only changes when the node it names does. Several findings with the same key
    are counted, so one more of them is still seen as new."""
    out: Counter[tuple[str, str, str]] = Counter()
    root = tree.resolve()
    for f in found:
        rel, where = "", []
        for loc in f.get("locations", []):
            sym = loc.get("symbolic", {})
            if sym.get("kind") != "Primary":
                continue
            local = sym.get("key", {}).get("Local", {}) if isinstance(sym.get("key"), dict) else {}
            path = local.get("verbatim_path") or local.get("given_path")
            if path and not rel:
                rel = Path(path).resolve().relative_to(root).as_posix()
            feature = sym.get("feature_kind")
            frag = feature.get("Subfeature", {}).get("fragment") if isinstance(feature, dict) else None
            frag_text = next(iter(frag.values()), "") if isinstance(frag, dict) else (frag or "")
            where.append(f"{_route(sym.get('route', {}).get('route', []))}: {sym.get('annotation', '')}"
                         + (f" [{frag_text}]" if frag_text else ""))
        if rel:
            out[(rel, f["ident"], " | ".join(sorted(where)))] += 1
    return out


def keyed_findings(tree: Path, args: tuple[str, ...] = (), exclude: set[str] | None = None
                   ) -> tuple[Counter[tuple[str, str, str]], set[str]]:
    """:func:`keyed` findings under ``tree`` with ``args`` (e.g. a persona), and the files
    (relative to ``tree``) zizmor could not load; ``exclude`` are set aside first."""
    found, skipped = findings(tree, {tree / p for p in exclude or ()}, args)
    return keyed(found, tree), {p.relative_to(tree).as_posix() for p in skipped}
