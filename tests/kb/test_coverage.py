"""Coverage of the knowledge base over the real-world workflow corpus.

The corpus lives outside the repository (``$FIXBOT_CORPUS``, default ``../shared/corpus``); the
test skips when it is absent.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from fixbot.kb import lookup_action
from fixbot.kb.actions import normalize_uses

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("FIXBOT_CORPUS", REPO_ROOT.parent / "shared" / "corpus")) / "workflows"
MIN_COVERAGE = 95.0


def _step_uses() -> tuple[Counter[str], int]:
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe")
    counts: Counter[str] = Counter()
    unparsable = 0
    for path in sorted(CORPUS.glob("*/*")):
        if not path.is_file():
            continue
        try:
            doc = yaml.load(path.read_text(encoding="utf-8"))
        except Exception:  # the corpus has 2 files ruamel cannot load
            unparsable += 1
            continue
        jobs = doc.get("jobs") if isinstance(doc, dict) else None
        if not isinstance(jobs, dict):
            continue
        for job in jobs.values():
            steps = job.get("steps") if isinstance(job, dict) else None
            for step in steps if isinstance(steps, list) else []:
                uses = step.get("uses") if isinstance(step, dict) else None
                if not isinstance(uses, str):
                    continue
                norm = normalize_uses(uses)
                if norm is None:  # ./local and docker:// references
                    continue
                counts[norm[0]] += 1
    return counts, unparsable


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"workflow corpus not found at {CORPUS} (set FIXBOT_CORPUS)")
def test_kb_covers_95_percent_of_corpus_step_uses() -> None:
    counts, unparsable = _step_uses()
    assert unparsable <= 2
    total = sum(counts.values())
    assert total > 0
    covered = sum(n for key, n in counts.items() if lookup_action(f"{key}@v1", {}) is not None)
    missing = [(key, n) for key, n in counts.most_common() if lookup_action(f"{key}@v1", {}) is None]
    pct = 100.0 * covered / total
    print(
        f"\nKB coverage: {pct:.2f}% of {total} step uses ({len(counts)} distinct actions, "
        f"{len(counts) - len(missing)} known)"
    )
    print("top missing:", ", ".join(f"{k} ({n})" for k, n in missing[:15]))
    assert pct >= MIN_COVERAGE, f"coverage {pct:.2f}% < {MIN_COVERAGE}%; top missing: {missing[:15]}"
