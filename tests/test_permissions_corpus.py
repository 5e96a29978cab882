"""The ``permissions`` transform over the real-world corpus (../shared/corpus, copied to a tmp dir).

- every output passes the guard (only the 2 known unparsable files fail), a second run changes
  nothing;
- ``check-jsonschema --builtin-schema vendor.github-workflows`` validity is unchanged per file;
- ``zizmor --offline``: ``excessive-permissions`` findings drop, and no finding of any kind is
  new (per file and audit id);
- no job is granted more than an explicit block gave it, and jobs of unknown needs keep exactly
  the permissions they had.

The corpus is laid out as one repository per snapshot with the original file paths, so local
reusable workflows resolve; local actions (``.github/actions/``) are not in the corpus, so jobs
using them are unknown and keep their permissions: the drop is measured, printed and asserted at
the honest level reached.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from fixbot.commands.fix import fix_paths
from fixbot.transforms import REGISTRY
from fixbot.types import FileResult
from fixbot.yamlmodel import Document

UNPARSABLE = {  # documented in the corpus README: template placeholders as mapping keys
    "actions__starter-workflows@head/.github/workflows/code-scanning__nowsecure.yml",
    "actions__starter-workflows@head/.github/workflows/code-scanning__nowsecure-mobile-sbom.yml",
}
# No count of narrowed jobs or fixed files is asserted: such a number also improves when a job is
# narrowed wrongly. tests/test_corpus_classified.py checks instead that every step of every job
# whose permissions change is classified.

PERMISSIONS = REGISTRY["permissions"]


def repos(tree: Path) -> list[str]:
    return [str(p) for p in sorted(tree.iterdir()) if p.is_dir()]


def rel(tree: Path, display: str) -> str:
    return Path(display).relative_to(tree).as_posix()


@pytest.fixture(scope="module")
def fixed(corpus_tree: Path, tmp_path_factory: pytest.TempPathFactory
          ) -> tuple[Path, list[FileResult]]:
    dest = tmp_path_factory.mktemp("perm-fixed") / "tree"
    shutil.copytree(corpus_tree, dest)
    return dest, fix_paths(repos(dest), [PERMISSIONS], write=True)


def reason_of(item: str) -> str:
    """A short category for one unknown item of a note."""
    rules = [
        (r"local action's action\.yml is not in the repository", "local action not readable"),
        (r"called workflow is not in the repository", "local reusable workflow not readable"),
        (r"calls `[^`]+`: the reusable workflow is not in the knowledge base",
         "remote reusable workflow not in the KB"),
        (r"`([^`]+)` is not in the knowledge base", "action not in the KB"),
        (r"`([^`]+)` runs with the job token", "a program runs with the token in its env"),
        (r"may push with the persisted credentials", "a script that may push is not readable"),
        (r"may push with the credentials actions/checkout", "a command that may push with git"),
        (r"`(gh [^`]*|github\.[^`]*|curl[^`]*|wget[^`]*)`", "gh/REST/GraphQL call not in the KB"),
        (r"chosen by an expression", "uses: or shell: chosen by an expression"),
        (r"PowerShell script cannot be parsed", "a PowerShell script the grammar rejects"),
        (r"shell script cannot be parsed|cannot be parsed", "a script that fails to parse"),
        (r"no parser here reads", "a language no parser here reads"),
        (r"chosen at run time", "a command or script path chosen at run time"),
        (r"not known to be the API|credential in a form not read|words from a variable",
         "a web request whose credential or target cannot be told"),
        (r"not in the repository context to read", "a script that is not readable"),
        (r"Docker container", "a Docker container given the job token"),
    ]
    for pattern, label in rules:
        if re.search(pattern, item):
            return label
    return "other"


def unrestricted_jobs(tree: Path, results: list[FileResult]) -> tuple[int, Counter[str]]:
    """Jobs with neither a job-level nor a workflow-level block after the fix, by reason."""
    count = 0
    reasons: Counter[str] = Counter()
    for r in results:
        if r.status == "error":
            continue
        doc = Document((tree / rel(tree, r.path)).read_text(encoding="utf-8").lstrip("\ufeff"))
        data = doc.data if isinstance(doc.data, dict) else {}
        jobs = data.get("jobs") if isinstance(data.get("jobs"), dict) else {}
        if "permissions" in data:
            continue
        notes = {n.location: n.message for n in r.notes}
        for jid, job in jobs.items():
            if isinstance(job, dict) and "permissions" not in job:
                count += 1
                msg = notes.get(f"jobs.{jid}", "")
                if "reusable workflow:" in msg:
                    reasons["reusable workflow (on: workflow_call): capped by its callers"] += 1
                elif "unknown (" in msg:
                    items = msg.split("unknown (", 1)[1]
                    for label in {reason_of(i) for i in re.split(r"; (?=step|calls|job|service)",
                                                                   items)}:
                        reasons[label] += 1
                else:
                    reasons[msg.split(":")[0] or "no note"] += 1
    return count, reasons


def _comments(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("#")]


def test_permissions_over_corpus(corpus_tree: Path, fixed: tuple[Path, list[FileResult]]) -> None:
    dest, results = fixed
    errors = {rel(dest, r.path): r.error for r in results if r.status == "error"}
    assert set(errors) == UNPARSABLE, errors
    changed = [r for r in results if r.status == "changed"]
    for r in changed:
        assert (dest / rel(dest, r.path)).read_text(encoding="utf-8") == r.updated
        assert r.original is not None and r.updated is not None
        # every full-line comment survives (they may sit between a replaced block and the next key)
        assert Counter(_comments(r.original)) - Counter(_comments(r.updated)) == Counter(), r.path
    count, reasons = unrestricted_jobs(dest, results)
    print(f"\npermissions: {len(changed)} of {len(results)} workflows fixed, "
          f"{sum(len(r.changes) for r in changed)} blocks added or narrowed; "
          f"{count} jobs left unrestricted (no block at any level); top reasons:")
    for label, n in reasons.most_common(10):
        print(f"  {n:4d}  {label}")
    again = fix_paths(repos(dest), [PERMISSIONS], write=False)
    assert [r.path for r in again if r.status == "changed"] == []


def _schema_invalid(tree: Path) -> set[str]:
    exe = Path(sys.executable).parent / "check-jsonschema"
    files = sorted(str(p) for p in tree.glob("*/.github/workflows/*") if p.is_file())
    proc = subprocess.run([str(exe), "--builtin-schema", "vendor.github-workflows", "-o", "json",
                           *files], capture_output=True, text=True, check=False)
    out = json.loads(proc.stdout)
    bad = {e["filename"] for e in out.get("errors", [])}
    bad |= {e["filename"] for e in out.get("parse_errors", []) if "filename" in e}
    return {Path(f).relative_to(tree).as_posix() for f in bad}


def test_schema_validity_unchanged(corpus_tree: Path, fixed: tuple[Path, list[FileResult]]
                                   ) -> None:
    if not (Path(sys.executable).parent / "check-jsonschema").exists():
        pytest.skip("check-jsonschema is not installed")
    dest, _ = fixed
    before, after = _schema_invalid(corpus_tree), _schema_invalid(dest)
    print(f"\nschema-invalid files: {len(before)} before, {len(after)} after")
    assert after == before


def test_zizmor_excessive_permissions_drop(fixed: tuple[Path, list[FileResult]],
                                           zizmor_baseline) -> None:
    dest, _ = fixed
    before, zizmor_after = zizmor_baseline
    after = zizmor_after(dest)
    new = {k: (before.get(k, 0), n) for k, n in after.items() if n > before.get(k, 0)}
    assert new == {}
    b = sum(n for (_, i), n in before.items() if i == "excessive-permissions")
    a = sum(n for (_, i), n in after.items() if i == "excessive-permissions")
    print(f"\nzizmor excessive-permissions: {b} -> {a} ({(b - a) / b:.1%} fewer)")
    assert a <= b  # reported, not a target: fewer findings is also what a wrong narrowing gives


def test_all_transforms_together_settle_in_one_run(corpus_tree: Path,
                                                   tmp_path_factory: pytest.TempPathFactory) -> None:
    """In registry order (persist-credentials, then permissions) a second run changes nothing:
    permissions analyses the checkouts as persist-credentials left them."""
    dest = tmp_path_factory.mktemp("all-fixed") / "tree"
    shutil.copytree(corpus_tree, dest)
    transforms = list(REGISTRY.values())
    fix_paths(repos(dest), transforms, write=True)
    again = fix_paths(repos(dest), transforms, write=False)
    assert [r.path for r in again if r.status == "changed"] == []


def _effective(doc: Document) -> dict[str, object]:
    """Per job: its grant (scope map), "default" (no block anywhere) or "unreadable"."""
    from fixbot.transforms.permissions.grants import parse_grant

    out: dict[str, object] = {}
    top = doc.node_at(("permissions",))
    jobs = doc.data.get("jobs") if isinstance(doc.data, dict) else None
    for jid in (jobs if isinstance(jobs, dict) else {}):
        job = jobs[jid]
        own = isinstance(job, dict) and "permissions" in job
        if not own and "permissions" not in doc.data:
            out[str(jid)] = "default"
            continue
        grant = parse_grant(doc.node_at(("jobs", jid, "permissions")) if own else top)
        out[str(jid)] = grant if grant is not None else "unreadable"
    return out


def test_never_raises_and_keeps_unknown_jobs_exactly(fixed: tuple[Path, list[FileResult]]
                                                     ) -> None:
    from fixbot.transforms.permissions.grants import missing

    _, results = fixed
    for r in results:
        if r.status != "changed":
            continue
        assert r.original is not None and r.updated is not None
        before = _effective(Document(r.original.lstrip("\ufeff")))
        after = _effective(Document(r.updated.lstrip("\ufeff")))
        unknown = {n.location.removeprefix("jobs.") for n in r.notes if "unknown (" in n.message}
        for jid, was in before.items():
            now = after[jid]
            if jid in unknown:
                assert now == was, (r.path, jid)
            elif isinstance(was, dict):
                assert isinstance(now, dict) and missing(was, now) == {}, (r.path, jid, was, now)
