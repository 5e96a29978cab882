"""Which jobs a fix narrows: effective ``permissions:`` per job before and after ``fixbot fix``.

``python -m bench.narrowed OUT.tsv [--repos]`` lays the corpus out in a temporary directory (with
the repository context of ``corpus/repos`` when ``--repos`` is given), runs ``fixbot fix`` there
with the ``permissions`` transform and writes one row per job whose effective permissions
changed: ``file  job  before  after``. The effective permissions of a job are its own block,
else the workflow-level block, else ``(repository default)``; they are read with a plain YAML
loader, independently of the transform's own code. Comparing two such files (from two versions
of fixbot) lists the jobs one version narrows and the other does not.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from ruamel.yaml import YAML

from bench.corpus import corpus_dir, lay_out


def effective(text: str) -> dict[str, str]:
    data = YAML(typ="safe", pure=True).load(text)
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), dict):
        return {}
    top = data.get("permissions", "(repository default)") if "permissions" in data else \
        "(repository default)"
    out: dict[str, str] = {}
    for jid, job in data["jobs"].items():
        if not isinstance(job, dict):
            continue
        grant = job.get("permissions", top)
        out[str(jid)] = json.dumps(grant, sort_keys=True) if not isinstance(grant, str) else grant
    return out


def snapshot(tree: Path) -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    for f in sorted(tree.glob("*/.github/workflows/*")):
        if f.suffix not in (".yml", ".yaml") or not f.is_file():
            continue
        try:
            per_job = effective(f.read_text(encoding="utf-8-sig"))
        except Exception:  # noqa: BLE001 - unparsable inputs are reported by fixbot itself
            continue
        for jid, grant in per_job.items():
            out[(f.relative_to(tree).as_posix(), jid)] = grant
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--repos", action="store_true", help="add the corpus/repos context")
    args = ap.parse_args(argv)
    root = corpus_dir()
    if root is None:
        print("the corpus is absent", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp)
        repos = lay_out(root, tree)
        if args.repos:
            from bench.corpus import add_repo_context  # the corpus/repos context (issue 8)

            add_repo_context(root, repos)
        before = snapshot(tree)
        subprocess.run([sys.executable, "-m", "fixbot", "fix", "--only", "permissions", *map(str, repos)],
                       stdout=subprocess.DEVNULL, check=False)
        after = snapshot(tree)
    rows = sorted((f, j, before[(f, j)], after.get((f, j), "?")) for (f, j) in before
                  if after.get((f, j)) != before[(f, j)])
    Path(args.out).write_text("".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} jobs narrowed of {len(before)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
