"""What fixing the corpus *in its repository context* gives (issue 8), measured in one run.

Usage: python -m bench.repos [--action-cache DIR] [--out FILE] [--no-actionlint] [--jobs N]

Three trees are fixed with every transform, each in a temporary copy:

- ``bare``: ``corpus/workflows`` laid out as today (bench/corpus.py ``lay_out``), no context;
- ``repos``: every snapshot of ``corpus/repos`` (workflows with their local actions, reusable
  workflows and scripts), no action metadata;
- ``repos+cache``: the same, remote actions' ``action.yml`` read from the action cache
  (``--action-cache``, else ``FIXBOT_ACTIONS``, else ../shared/actions) as
  ``RepoContext(read_text, actions=Metadata(CacheDir(dir)))``.

Reported, before and after fixing: (1) zizmor ``excessive-permissions`` per persona and the
reduction (``bare`` also on just the files the snapshots hold), with what the findings left
after ``repos+cache`` are about; (2) findings of any audit and persona that are new, keyed by
(file, audit id, route, annotation) and never by line (bench/zizmor.py ``keyed``); (3)
actionlint on the changed files; (4) the share of distinct remote actions the knowledge base
decides alone and with the cache; (5) jobs left unrestricted (no ``permissions:`` at any level),
and all jobs whose needs are unknown, by the reason their note gives.

Fewer findings is also what a wrong narrowing gives: read these numbers with the adversarial
under-grant table and the classification check of tests/test_corpus_repos.py, which fail when a
fix takes a scope a job needs.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from bench import zizmor
from bench.corpus import actions_dir, copy_snapshots, corpus_dir, corpus_files, lay_out, repos_dir
from fixbot import engine, files
from fixbot.action_source import CacheDir, Metadata, parse_ref
from fixbot.commands.fix import write_fixed
from fixbot.types import FileResult
from fixbot.workflow import RepoContext

PERSONAS = ("regular", "pedantic", "auditor")
EXCESSIVE = "excessive-permissions"
# actionlint's WebAssembly build predates the `attestations` scope (tests/test_actionlint.py)
ACTIONLINT_OUTDATED = ("permissions", 'unknown permission scope "attestations". ')
# how tests/test_corpus_classified.py names a step whose action the knowledge base does not know
NOT_IN_KB = re.compile(r"step \d+: (\S+) is not in the knowledge base$")
Keyed = Counter[tuple[str, str, str]]


def _load(text: str) -> Any:
    try:
        return YAML(typ="safe").load(text.lstrip("\ufeff"))
    except Exception:  # noqa: BLE001 - the two unparsable corpus files are fixbot's to report
        return None


# -- fixing --------------------------------------------------------------------------------------

_METADATA: dict[str, Metadata] = {}  # per process: one source per cache dir, asked once per ref


def metadata_for(cache: Path | None) -> Metadata:
    """The action-metadata source for ``cache`` (none: the knowledge base alone decides)."""
    if cache is None:
        return Metadata()
    return _METADATA.setdefault(str(cache), Metadata(CacheDir(cache)))


def _fix_repo(targets: list[files.Target], cache: Path | None) -> list[FileResult]:
    from fixbot.transforms import REGISTRY

    ctx = RepoContext(files.repo_reader(targets[0].root), actions=metadata_for(cache))
    return [engine.process_target(t, list(REGISTRY.values()), ctx) for t in targets]


def fix_roots(roots: Iterable[Path], cache: Path | None, jobs: int = 0,
              write: bool = True) -> list[FileResult]:
    """Every transform over every workflow of ``roots`` (one repository context per root, with
    the action cache when given), in ``files.discover`` order; changed files are written unless
    ``write`` is false."""
    targets = files.discover([str(r) for r in roots])
    groups: dict[Path, list[files.Target]] = {}
    for t in targets:
        groups.setdefault(t.root, []).append(t)
    chunks = sorted(groups.values(), key=len, reverse=True)  # the largest repositories first
    jobs = jobs or min(os.cpu_count() or 1, 8)
    if jobs > 1 and "fork" in mp.get_all_start_methods():
        with ProcessPoolExecutor(jobs, mp_context=mp.get_context("fork")) as pool:
            done = list(pool.map(_fix_repo, chunks, [cache] * len(chunks)))
    else:
        done = [_fix_repo(c, cache) for c in chunks]
    by_file = {t.file: r for c, rs in zip(chunks, done, strict=True) for t, r in zip(c, rs, strict=True)}
    results = [by_file[t.file] for t in targets]
    return write_fixed(targets, results) if write else results


# -- zizmor --------------------------------------------------------------------------------------

def zizmor_personas(tree: Path, exclude: set[str] | None = None) -> tuple[dict[str, Keyed], set[str]]:
    """zizmor's keyed findings under ``tree`` for each persona (one after the other: unloadable
    files are set aside in place), and the files it could not load. ``--no-config``: a
    snapshot's own zizmor.yml must not switch audits off in one tree and not in another."""
    out: dict[str, Keyed] = {}
    skipped = set(exclude or ())
    for p in PERSONAS:
        out[p], more = zizmor.keyed_findings(tree, ("--persona", p, "--no-config"), skipped)
        skipped |= more
    return out, skipped


def audit_total(keyed: Keyed, ident: str, only: set[str] | None = None) -> int:
    return sum(n for (f, i, _), n in keyed.items() if i == ident and (only is None or f in only))


def by_route(keyed: Keyed) -> Keyed:
    """The findings keyed by file, audit id and route, without the text zizmor quotes: a
    finding whose quoted command fixbot rewrote (``${{ secrets.X }}`` -> ``"${X}"``) is the
    same finding at the same place."""
    out: Keyed = Counter()
    for (f, ident, loc), n in keyed.items():
        out[(f, ident, loc.partition(": ")[0])] += n
    return out


def new_keyed(before: Keyed, after: Keyed) -> Keyed:
    """Findings ``after`` has beyond ``before`` (same file, audit id and location)."""
    return after - before


def reduction(before: int, after: int) -> float | None:
    return (before - after) / before if before else None


def remaining_excessive(keyed: Keyed, results: list[FileResult], tree: Path) -> Counter[str]:
    """What the ``excessive-permissions`` findings left after a fix are about."""
    notes: dict[str, dict[str, str]] = {}
    for r in results:
        notes[Path(r.path).relative_to(tree).as_posix()] = {
            n.location: n.message for n in r.notes if n.transform == "permissions"}
    out: Counter[str] = Counter()
    for (f, ident, loc), n in keyed.items():
        if ident != EXCESSIVE:
            continue
        route, _, annotation = loc.partition(": ")
        mine = notes.get(f, {})
        unknown = {where for where, m in mine.items() if "unknown (" in m}
        job = ".".join(route.split(".")[:2]) if route.startswith("jobs.") else None
        if job in unknown or (job is None and unknown):
            label = "a job whose needs are unknown keeps what it had"
        elif any("reusable workflow:" in m for m in mine.values()):
            label = "reusable workflow (on: workflow_call): no block, capped by its callers"
        elif "at the workflow level" in annotation:
            label = "a workflow-level write scope kept (every job decided)"
        elif "default permissions" in annotation and job is None:
            label = "no workflow-level block (every job has one of its own)"
        elif "read-all" in annotation:
            label = "`read-all` kept"
        else:
            label = f"other: {annotation}"
        out[label] += n
    return out


# -- actionlint ----------------------------------------------------------------------------------

def actionlint_compare(changed: dict[str, dict[str, tuple[Path, Path]]],
                       roots: dict[str, tuple[Path, Path]]) -> dict[str, dict[str, Any]]:
    """actionlint before/after on the changed files of each tree (``tree -> rel -> (original,
    fixed)``; ``roots``: ``tree -> (root before, root after)``). Each distinct content is linted
    once: the trees share most originals and many outputs."""
    from bench import actionlint

    first: dict[bytes, Path] = {}
    for pairs in changed.values():
        for paths in pairs.values():
            for f in paths:
                first.setdefault(f.read_bytes(), f)
    found = actionlint.lint(sorted(first.values())) if first else {}
    by_content = {data: found[f] for data, f in first.items()}
    out: dict[str, dict[str, Any]] = {}
    for name, pairs in changed.items():
        before = {b: by_content[b.read_bytes()] for b, _ in pairs.values()}
        after = {a: by_content[a.read_bytes()] for _, a in pairs.values()}
        new = actionlint.new_findings(before, after, *roots[name])
        outdated = [x for x in new if (x[1], x[2][:len(ACTIONLINT_OUTDATED[1])]) == ACTIONLINT_OUTDATED]
        out[name] = {"files": len(pairs), "before": sum(map(len, before.values())),
                     "after": sum(map(len, after.values())),
                     "new": [list(x) for x in new if x not in outdated],
                     "outdated_oracle": [list(x) for x in outdated]}
    return out


# -- decided actions -----------------------------------------------------------------------------

def corpus_uses(root: Path) -> tuple[Counter[str], Counter[str]]:
    """Remote step ``uses:`` strings (the workflows of ``corpus/workflows`` and every local
    ``action.yml``/``action.yaml`` of ``corpus/repos``) and remote reusable-workflow calls, each
    with the number of places that name it. Local, ``docker://`` and expression references are
    left out (``parse_ref`` says which)."""
    steps: Counter[str] = Counter()
    calls: Counter[str] = Counter()

    def add(counter: Counter[str], uses: Any) -> None:
        if isinstance(uses, str) and parse_ref(uses) is not None:
            counter[uses.strip()] += 1

    def add_steps(items: Any) -> None:
        for step in items if isinstance(items, list) else []:
            add(steps, step.get("uses") if isinstance(step, dict) else None)

    for wf in corpus_files(root):
        data = _load(wf.read_text(encoding="utf-8"))
        jobs = data.get("jobs") if isinstance(data, dict) else None
        for job in (jobs.values() if isinstance(jobs, dict) else []):
            if isinstance(job, dict):
                add(calls, job.get("uses"))
                add_steps(job.get("steps"))
    repos = repos_dir(root)
    for action in sorted(repos.rglob("action.y*ml")) if repos else []:
        if action.name not in ("action.yml", "action.yaml"):
            continue
        data = _load(action.read_text(encoding="utf-8"))
        runs = data.get("runs") if isinstance(data, dict) else None
        add_steps(runs.get("steps") if isinstance(runs, dict) else None)
    return steps, calls


def verdict_function() -> Callable[[str, Metadata], str] | None:
    """``action_verdict`` (kb / metadata / unknown), or None while it is not importable."""
    try:
        from fixbot.transforms.permissions.metadata import action_verdict
    except ImportError:
        return None
    return action_verdict


def action_name(uses: str) -> str:
    ref = parse_ref(uses)
    assert ref is not None
    return f"{ref.owner}/{ref.repo}" + (f"/{ref.path}" if ref.path else "")


def verdicts(steps: Iterable[str], cache: Path | None) -> tuple[dict[str, dict[str, str]], bool]:
    """``{"kb": {uses: verdict}, "cache": {...}}`` for each distinct uses string (``cache`` only
    with a cache and ``action_verdict``), and whether ``action_verdict`` gave them; without it
    the knowledge base's own look-up stands in for "kb"."""
    from fixbot.kb import lookup_action

    fn = verdict_function()
    distinct = sorted(set(steps))
    if fn is None:
        return {"kb": {u: "kb" if lookup_action(u, {}) else "unknown" for u in distinct}}, False
    out = {"kb": {u: fn(u, Metadata()) for u in distinct}}
    if cache is not None:
        meta = Metadata(CacheDir(cache))
        out["cache"] = {u: fn(u, meta) for u in distinct}
    return out, True


def share(verdict: dict[str, str], steps: Counter[str]) -> dict[str, list[int]]:
    """[decided, total] over distinct uses strings, over distinct owner/repo[/path] (decided when
    every uses string of it is), and over step references."""
    names: dict[str, bool] = {}
    for u in steps:
        names[action_name(u)] = names.get(action_name(u), True) and verdict[u] != "unknown"
    return {"uses_strings": [sum(verdict[u] != "unknown" for u in steps), len(steps)],
            "names": [sum(names.values()), len(names)],
            "step_references": [sum(n for u, n in steps.items() if verdict[u] != "unknown"),
                                sum(steps.values())]}


# -- jobs left unrestricted ----------------------------------------------------------------------

# The first pattern that matches an unknown item of a note names its category; the patterns
# name what follows a step's label, never the label itself.
REASONS: tuple[tuple[str, str], ...] = (
    ("remote reusable workflow not in the KB", r"reusable workflow is not in the knowledge base"),
    ("remote reusable workflow read, its own local action not",
     r"^calls `[^.`][^`]*@[^`]*` \(read from .*local action's action\.yml is not in the repository"),
    ("local action or workflow not readable",
     r"local action's action\.yml is not in the repository|called workflow is not in the repository"
     r"|`permissions:` cannot be read exactly|nested too deep"),
    ("expression (uses/env/secrets chosen at run time)",
     r"chosen by an expression|`env:` is an expression|computed choice among all secrets"),
    ("remote action not in the KB, no action.yml read (offline)",
     r"is not in the knowledge base; .*(--action-cache|--online)"),
    ("remote action in neither the KB nor the action cache",
     r"is not in the knowledge base; .*(has no action\.yml|action\.yml could not be read"
     r"|action\.yml cannot be read|cannot be read as owner)"),
    ("remote action given the token (its action.yml)", r"the job token reaches `[^`]+` through"),
    ("remote action not in the KB", r"is not in the knowledge base"),
    ("docker:// image or local JS/Docker action given the token", r"receives the job token"),
    ("may push with the persisted credentials", r"may push|could push|may run git"),
    ("script file not in the repository context", r"not in the repository context"),
    ("script: a program given the token is not in the KB", r"runs with the job token"),
    ("script: code no reader here follows",
     r"chosen at run time|built at run time|no parser here reads|cannot be parsed|not followed"
     r"|cannot be told|named at run time|target is not in|npm package"),
    ("script: an API call or credential use not decided",
     r"not known to be the API|credential in a form not read|client .* not analysed|gh api|curl"
     r"|invoke-restmethod|invoke-webrequest|may be a repository script|github\.graphql"),
)
# unknown items are joined with "; " and each starts with where it is (a step, a call, a job...)
_ITEM_SPLIT = re.compile(r"; (?=step \d|calls `|job |service |container|`env:`)")


def reason_of(item: str) -> str:
    return next((label for label, pattern in REASONS if re.search(pattern, item)), "other")


def _labels(msg: str, other: list[str]) -> set[str]:
    """The reason categories of one job's note (unknown items no pattern names go to ``other``)."""
    if "reusable workflow:" in msg:
        return {"reusable workflow (on: workflow_call): capped by its callers"}
    if "unknown (" not in msg:
        return {msg.split(":")[0] if msg else "no note"}
    items = _ITEM_SPLIT.split(msg.split("unknown (", 1)[1].rsplit(").", 1)[0])
    other += [i for i in items if reason_of(i) == "other"]
    return {reason_of(i) for i in items}


def unrestricted(results: list[FileResult]) -> dict[str, Any]:
    """Jobs a fix leaves with no ``permissions:`` at any level (``jobs``, per reason, per sole
    reason), and every job whose needs are unknown, whatever block it keeps (``unknown``)."""
    counts = {k: Counter[str]() for k in ("by_reason", "only_reason", "unknown_by_reason")}
    jobs = unknown = 0
    other: list[str] = []
    for r in results:
        data = _load((r.updated if r.status == "changed" else r.original) or "")
        if not isinstance(data, dict) or not isinstance(data.get("jobs"), dict):
            continue
        notes = {n.location: n.message for n in r.notes if n.transform == "permissions"}
        for jid, job in data["jobs"].items():
            msg = notes.get(f"jobs.{jid}", "")
            if "unknown (" in msg:
                unknown += 1
                counts["unknown_by_reason"].update(_labels(msg, []))
            if isinstance(job, dict) and "permissions" not in job and "permissions" not in data:
                jobs += 1
                labels = _labels(msg, other)
                counts["by_reason"].update(labels)
                counts["only_reason"].update(labels if len(labels) == 1 else ())
    return {"jobs": jobs, "unknown": unknown, **{k: dict(v.most_common()) for k, v in counts.items()},
            "other": sorted(set(other))[:50]}


# -- the whole measurement -----------------------------------------------------------------------

def _changed(results: list[FileResult], before: Path, after: Path) -> dict[str, tuple[Path, Path]]:
    rels = (Path(r.path).relative_to(after).as_posix() for r in results if r.status == "changed")
    return {rel: (before / rel, after / rel) for rel in rels}


def measure(root: Path, work: Path, cache: Path | None, jobs: int = 0, lint: bool = True,
            log: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    """Lay out, fix and measure the trees under ``work``; the report as plain data."""
    t0 = time.perf_counter()
    originals = {"bare": work / "bare", "repos": work / "repos"}
    lay_out(root, originals["bare"])
    originals["repos"].mkdir()
    copy_snapshots(root, originals["repos"])
    base = {"bare": "bare", "repos": "repos", "repos+cache": "repos"}
    if cache is None:
        del base["repos+cache"]
    after = {name: work / f"{name.replace('+', '-')}-fixed" for name in base}
    results: dict[str, list[FileResult]] = {}
    secs: dict[str, float] = {}
    for name in base:
        shutil.copytree(originals[base[name]], after[name], symlinks=True)
        t = time.perf_counter()
        results[name] = fix_roots(sorted(p for p in after[name].iterdir() if p.is_dir()),
                                  cache if name == "repos+cache" else None, jobs)
        secs[f"fix {name}"] = round(time.perf_counter() - t, 1)
        log(f"fixed {name}: {sum(r.status == 'changed' for r in results[name])} of "
            f"{len(results[name])} files changed ({secs[f'fix {name}']} s)")

    t = time.perf_counter()
    with ThreadPoolExecutor(min(os.cpu_count() or 1, 4)) as pool:  # one task per tree
        zb = {n: f.result() for n, f in {n: pool.submit(zizmor_personas, p)
                                         for n, p in originals.items()}.items()}
        za = {n: f.result()[0] for n, f in {n: pool.submit(zizmor_personas, after[n], zb[b][1])
                                            for n, b in base.items()}.items()}
    secs["zizmor"] = round(time.perf_counter() - t, 1)
    log(f"zizmor: {len(PERSONAS)} personas x {len(originals) + len(base)} trees ({secs['zizmor']} s)")

    rel = {n: {Path(r.path).relative_to(after[n]).as_posix() for r in rs} for n, rs in results.items()}
    report: dict[str, Any] = {
        "files": {n: len(rs) for n, rs in results.items()},
        "changed": {n: sum(r.status == "changed" for r in rs) for n, rs in results.items()},
        "errors": {n: sorted(f"{Path(r.path).relative_to(after[n])}: {r.error}"
                             for r in rs if r.status == "error") for n, rs in results.items()},
        "failed_transforms": {n: sorted(f"{Path(r.path).relative_to(after[n])}: {o.transform}: {o.error}"
                                        for r in rs for o in r.failed) for n, rs in results.items()},
        "zizmor_set_aside": {n: sorted(zb[n][1]) for n in originals},
    }
    # 1. excessive-permissions, and what is left
    # owner__repo@when/... (bare layout) is owner__repo__when/... in the snapshots
    same = {f for f in rel["bare"] if f.replace("@", "__", 1) in rel["repos"]}
    rows: dict[str, Any] = {}
    for p in PERSONAS:
        rows[p] = {}
        for n, b in base.items():
            for label, only in ((n, None), ("bare (snapshot files)", same)) if n == "bare" else ((n, None),):
                x, y = audit_total(zb[b][0][p], EXCESSIVE, only), audit_total(za[n][p], EXCESSIVE, only)
                rows[p][label] = {"before": x, "after": y, "reduction": reduction(x, y)}
    report["excessive_permissions"] = rows
    last = "repos+cache" if cache is not None else "repos"
    report["excessive_left"] = {p: dict(remaining_excessive(za[last][p], results[last], after[last])
                                        .most_common()) for p in PERSONAS}
    # 2. new findings of any audit and persona
    report["new_findings"] = {}
    for n, b in base.items():
        report["new_findings"][n] = {}
        for p in PERSONAS:
            grown = new_keyed(zb[b][0][p], za[n][p])
            report["new_findings"][n][p] = {
                "by_audit": dict(sorted(Counter(i for (_, i, _) in grown.elements()).items())),
                "findings": sorted([f, i, loc, k] for (f, i, loc), k in grown.items())}
    # 3. actionlint
    if lint:
        from bench.actionlint import Unavailable

        t = time.perf_counter()
        try:
            report["actionlint"] = actionlint_compare(
                {n: _changed(results[n], originals[b], after[n]) for n, b in base.items()},
                {n: (originals[b], after[n]) for n, b in base.items()})
        except Unavailable as e:
            report["actionlint"] = {"unavailable": str(e)}
        secs["actionlint"] = round(time.perf_counter() - t, 1)
        log(f"actionlint ({secs['actionlint']} s)")
    # 4. decided actions
    steps, calls = corpus_uses(root)
    given, own = verdicts(steps, cache)
    from fixbot.kb import lookup_reusable_workflow

    report["decided_actions"] = {
        "verdict_from": "fixbot.transforms.permissions.metadata.action_verdict" if own else
        "the knowledge base's look-up (action_verdict is not importable)",
        **{c: {**share(v, steps), "verdicts": dict(Counter(v.values()))} for c, v in given.items()},
        "undecided": sorted(u for u, v in given["cache" if "cache" in given else "kb"].items()
                            if v == "unknown"),
        "reusable_workflow_calls_in_kb": [sum(lookup_reusable_workflow(c) is not None for c in calls),
                                          len(calls)]}
    # 5. jobs left unrestricted
    report["unrestricted"] = {n: unrestricted(rs) for n, rs in results.items()}
    secs["total"] = round(time.perf_counter() - t0, 1)
    report["seconds"] = secs
    return report


# -- output --------------------------------------------------------------------------------------

def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def _table(head: list[str], rows: list[list[Any]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1),
            *("| " + " | ".join(str(c) for c in row) + " |" for row in rows)]


def markdown(report: dict[str, Any]) -> str:
    names = list(report["files"])
    ex = report["excessive_permissions"]
    out = ["#### zizmor `excessive-permissions`: before → after (reduction)", ""]
    out += _table(["tree", "files", *PERSONAS], [
        [row, report["files"].get(row, report["files"]["repos"]),
         *(f"{ex[p][row]['before']} → {ex[p][row]['after']} ({_pct(ex[p][row]['reduction'])})"
           for p in PERSONAS)] for row in ex[PERSONAS[0]]])
    left = report["excessive_left"]
    out += ["", f"#### What the `excessive-permissions` findings left after `{names[-1]}` are about", ""]
    out += _table(["finding left", *PERSONAS], [[label, *(left[p].get(label, 0) for p in PERSONAS)]
                                                for label in left[PERSONAS[-1]]])
    out += ["", "#### New zizmor findings after fixing, by audit id (keyed by file, audit, route)", ""]
    out += _table(["tree", *PERSONAS], [
        [n, *(", ".join(f"{i} {k}" for i, k in report["new_findings"][n][p]["by_audit"].items()) or "none"
              for p in PERSONAS)] for n in names])
    al = report.get("actionlint")
    if al:
        out += ["", "#### actionlint on the files a fix changed", ""]
        out += [f"not run: {al['unavailable']}"] if "unavailable" in al else _table(
            ["tree", "changed files", "findings before → after", "new",
             "set aside (the oracle predates the scope)"],
            [[n, al[n]["files"], f"{al[n]['before']} → {al[n]['after']}", len(al[n]["new"]),
              len(al[n]["outdated_oracle"])] for n in names])
    d = report["decided_actions"]
    out += ["", f"#### Remote actions decided (by `{d['verdict_from']}`)", ""]
    out += _table(["", "distinct `uses:` strings", "distinct owner/repo[/path]", "step references"], [
        [{"kb": "knowledge base alone", "cache": "with the action cache"}[c],
         *(f"{a}/{b} ({_pct(a / b if b else None)})"
           for a, b in (d[c]["uses_strings"], d[c]["names"], d[c]["step_references"]))]
        for c in ("kb", "cache") if c in d])
    a, b = d["reusable_workflow_calls_in_kb"]
    out += ["", f"Undecided: {len(d['undecided'])} `uses:` strings (in the JSON report). Remote "
            f"reusable workflows called: {a} of {b} distinct calls in the knowledge base."]
    un = report["unrestricted"]
    reasons = list(dict.fromkeys(r for n in names for k in ("by_reason", "unknown_by_reason")
                                 for r in un[n][k]))
    out += ["", "#### Jobs left unrestricted (no `permissions:` at any level) / all jobs whose needs "
            "are unknown (whatever block they keep), by reason (a job counts once per reason)", ""]
    out += _table(["reason", *names], [
        ["**jobs**", *(f"{un[n]['jobs']} / {un[n]['unknown']}" for n in names)],
        *([r, *(f"{un[n]['by_reason'].get(r, 0)} / {un[n]['unknown_by_reason'].get(r, 0)}" for n in names)]
          for r in reasons)])
    out += ["", ", ".join(f"{k} {v} s" for k, v in report["seconds"].items())]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--action-cache", metavar="DIR", type=Path,
                    help="action metadata laid out like ../shared/actions (default: FIXBOT_ACTIONS "
                         "or ../shared/actions)")
    ap.add_argument("--out", metavar="FILE", type=Path, help="also write the report as JSON")
    ap.add_argument("--no-actionlint", action="store_true", help="skip the actionlint comparison")
    ap.add_argument("--jobs", type=int, default=0, help="worker processes (default: CPUs, at most 8)")
    args = ap.parse_args(argv)
    root = corpus_dir()
    if root is None or repos_dir(root) is None:
        print("bench: corpus or corpus/repos absent (set FIXBOT_CORPUS); nothing measured", file=sys.stderr)
        return 2
    if zizmor.zizmor_exe() is None:
        print("bench: zizmor not installed (pip install zizmor)", file=sys.stderr)
        return 2
    cache = args.action_cache or actions_dir()
    if cache is None or not cache.is_dir():
        print("bench: no action cache (--action-cache, FIXBOT_ACTIONS or ../shared/actions); "
              "measuring without it", file=sys.stderr)
        cache = None
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        report = measure(root, Path(tmp), cache.resolve() if cache else None, args.jobs,
                         not args.no_actionlint, lambda m: print(f"bench: {m}", file=sys.stderr))
    report["seconds"]["wall"] = round(time.perf_counter() - t0, 1)
    report["command"] = " ".join(["python -m bench.repos", *(argv if argv is not None else sys.argv[1:])])
    sys.stdout.write(markdown(report))
    if args.out:
        args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
