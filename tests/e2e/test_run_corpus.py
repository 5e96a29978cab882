"""``fixbot run`` on real repositories: a sample of the corpus (read in place, seeded into the
sandbox at test time) gets exactly the fixes ``fixbot fix`` makes, on fixbot's branch, with a
pull request that names every change."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from fixbot.commands.fix import fix_paths
from fixbot.commands.run import run_repo
from fixbot.forge import Forge
from fixbot.sandbox import Sandbox
from fixbot.transforms import REGISTRY

BRANCH = "fixbot/harden-workflows"


def test_run_matches_fix_on_corpus_repositories(sb: Sandbox, forge: Forge, corpus_tree: Path,
                                                 tmp_path: Path) -> None:
    # the hardening lane alone: a credential the corpus holds goes to the second pull request,
    # which tests/e2e/test_run_secrets_pr.py covers
    transforms = [t for t in REGISTRY.values() if t.ID != "secrets"]
    roots = sorted(p for p in corpus_tree.iterdir() if p.is_dir())[::3]  # 33 of 99
    opened = 0
    for root in roots:
        files = {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
                 for p in sorted(root.rglob("*")) if p.is_file()}
        name = re.sub(r"[^A-Za-z0-9_.-]", "-", root.name)
        sb.create_repo("corpus", name, files)
        expected = {r.path: r for r in fix_paths([str(root)], transforms, write=False)}
        outcome = run_repo(forge, f"corpus/{name}", transforms, workdir=tmp_path / name)
        assert {r.path: (r.status, r.error) for r in outcome.files} == \
            {p: (r.status, r.error) for p, r in expected.items()}, name
        changed = {p: r for p, r in expected.items() if r.status == "changed"}
        if not changed:
            assert outcome.status == "no-changes", (name, outcome.reason)
            continue
        assert outcome.status == "pr-opened", (name, outcome.reason)
        assert outcome.pr is not None and outcome.body is not None
        opened += 1
        bare = tmp_path / "forge" / "corpus" / f"{name}.git"
        assert len(outcome.body) <= 65_536  # GitHub's limit for a pull request body
        # every change is listed where its kind is explained, in the body or (what did not
        # fit) in the follow-up comment
        shown = outcome.body + (outcome.comment or "")
        for path, r in changed.items():
            got = subprocess.run(["git", "--git-dir", str(bare), "show", f"{BRANCH}:{path}"],
                                 capture_output=True, check=True).stdout
            assert got == (r.updated or "").encode("utf-8"), (name, path)
            for c in r.changes:
                where = c.location.removeprefix("jobs.")
                assert (f"`{where}` (line " if where else "top level (line ") in shown, \
                    (name, c.location)
        diff = subprocess.run(["git", "--git-dir", str(bare), "diff", "--name-only", "main",
                               BRANCH], capture_output=True, text=True, check=True).stdout
        assert sorted(diff.split()) == sorted(changed), name
    assert opened >= 20
