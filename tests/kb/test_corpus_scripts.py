"""Every run: script and github-script in the corpus can be analysed without error."""

from __future__ import annotations

from collections import Counter

import pytest

from fixbot.kb import SCOPE_LEVELS, analyze_github_script, analyze_shell

from .test_coverage import CORPUS


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"workflow corpus not found at {CORPUS} (set FIXBOT_CORPUS)")
def test_corpus_scripts_analyse_cleanly() -> None:
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe")
    runs = scripts = 0
    unknown: Counter[str] = Counter()
    for path in sorted(CORPUS.glob("*/*")):
        try:
            doc = yaml.load(path.read_text(encoding="utf-8"))
        except Exception:
            continue
        jobs = doc.get("jobs") if isinstance(doc, dict) else None
        for job in jobs.values() if isinstance(jobs, dict) else []:
            steps = job.get("steps") if isinstance(job, dict) else None
            for step in steps if isinstance(steps, list) else []:
                if not isinstance(step, dict):
                    continue
                found = []
                if isinstance(step.get("run"), str):
                    runs += 1
                    found.append(analyze_shell(step["run"]))
                uses, with_ = step.get("uses"), step.get("with")
                script = with_.get("script") if isinstance(with_, dict) else None
                if isinstance(uses, str) and "github-script" in uses and isinstance(script, str):
                    scripts += 1
                    found.append(analyze_github_script(script))
                for analysis in found:
                    unknown.update(analysis.unknown)
                    for need in analysis.needs:
                        for scope, level in need.scopes.items():
                            assert level in SCOPE_LEVELS[scope], (path, need)
    print(
        f"\nanalysed {runs} run: scripts and {scripts} github-scripts; top unknown: {unknown.most_common(8)}"
    )
    assert runs > 5000 and scripts > 50
