"""Pull-request bodies a reviewer can read in a minute (issue 9, "PR body").

Golden bodies, compared byte for byte with ``tests/golden_pr/<case>.body.md`` (and the
follow-up comment with ``<case>.comment.md`` where one is posted); a missing golden file fails,
and only ``pytest --regen-golden`` writes them. The cases: a large repository of many identical
changes, a 150-job workflow, a mix of transforms, every trigger kind's verification advice, and
a narrowing with its evidence. Then the promises behind them: the size budget, what is never
cut, line order and final-file line numbers, the commit subject, the fingerprint marker.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fixbot import engine, files, pr, pr_diff
from fixbot.kb.triggers import verification
from fixbot.transforms import REGISTRY, select
from fixbot.types import Change, FileResult, Note
from fixbot.workflow import RepoContext

HERE = Path(__file__).parent / "golden_pr"
FIXED = ("mixed", "triggers", "narrowing")  # repositories under tests/golden_pr/<case>/
GENERATED = ("large-repository", "150-jobs")  # written by the functions below
ONLY = {"triggers": "permissions", "large-repository": "persist-credentials"}

# -- the generated repositories ------------------------------------------------------------------

LARGE_TRIGGERS = ("on:\n  push:\n    branches: [main]\n  pull_request:\n",
                  "on: [push, pull_request]\n",
                  "on:\n  schedule:\n    - cron: \"0 4 * * *\"\n  workflow_dispatch:\n")


def large_repository(root: Path) -> Path:
    """12 workflows, 53 jobs, each checking out the repository with `actions/checkout@v4` and
    running one make target: 53 identical `persist-credentials` changes."""
    wf = root / ".github" / "workflows"
    wf.mkdir(parents=True)
    n = 0
    for i in range(12):
        jobs = 5 if i < 5 else 4
        text = f"name: Suite {i + 1}\n{LARGE_TRIGGERS[i % 3]}\npermissions:\n  contents: read\n"
        text += "\njobs:\n"
        for j in range(jobs):
            n += 1
            text += (f"  part-{j + 1}:\n    runs-on: ubuntu-latest\n    steps:\n"
                     "      - uses: actions/checkout@v4\n"
                     f"      - run: make check-{n:02d}\n")
        (wf / f"suite-{i + 1:02d}.yml").write_text(text)
    assert n == 53
    return root


def wide_workflow(root: Path, jobs: int = 150) -> Path:
    """One workflow of ``jobs`` jobs without a `permissions:` block: each checks out and runs a
    make target; one publishes a release with `gh` and the job token, one uses an action the
    knowledge base does not know (so every other job gets a block of its own)."""
    wf = root / ".github" / "workflows"
    wf.mkdir(parents=True)
    text = "name: Everything\non:\n  push:\n    branches: [main]\n  pull_request:\n\njobs:\n"
    for j in range(1, jobs - 1):
        text += (f"  shard-{j:03d}:\n    runs-on: ubuntu-latest\n    steps:\n"
                 "      - uses: actions/checkout@v4\n"
                 f"      - run: make test SHARD={j}\n")
    text += ("  release:\n    if: github.ref == 'refs/heads/main'\n    runs-on: ubuntu-latest\n"
             "    steps:\n      - uses: actions/checkout@v4\n"
             "      - run: gh release create \"v$(date +%Y%m%d)\" --generate-notes\n"
             "        env:\n          GH_TOKEN: ${{ github.token }}\n")
    text += ("  deploy:\n    runs-on: ubuntu-latest\n    steps:\n"
             "      - uses: actions/checkout@v4\n      - uses: acme/deploy-action@v3\n")
    (wf / "everything.yml").write_text(text)
    return root


def repository(case: str, tmp_path: Path) -> Path:
    if case == "large-repository":
        return large_repository(tmp_path)
    if case == "150-jobs":
        return wide_workflow(tmp_path)
    return HERE / case


def results_of(root: Path, only: str | None = None) -> list[FileResult]:
    ctx = RepoContext(files.repo_reader(root))
    transforms = select(only, None)
    out = [engine.process_target(t, transforms, ctx) for t in files.discover([str(root)])]
    assert all(r.status != "error" for r in out), [r.error for r in out]
    return out


def rendered(case: str, tmp_path: Path) -> tuple[list[FileResult], pr.Rendered]:
    results = results_of(repository(case, tmp_path), ONLY.get(case))
    ids = sorted(t.ID for t in select(ONLY.get(case), None))
    return results, pr.render(results, ids)


def golden(name: str, actual: str | None, regen: bool) -> None:
    """``actual`` must equal ``tests/golden_pr/name``; None means no such file may exist. Only
    ``--regen-golden`` writes (or removes) it."""
    path = HERE / name
    if regen:
        if actual is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(actual, encoding="utf-8")
    if actual is None:
        assert not path.exists(), f"{path} is not expected: nothing was left for a comment"
        return
    assert path.is_file(), f"golden file {path} is missing; write it with pytest --regen-golden"
    assert actual == path.read_text(encoding="utf-8"), f"differs from golden {path}"


def outside_details(body: str) -> list[str]:
    """The body's lines a reviewer sees without opening a folded diff."""
    return re.sub(r"<details>.*?</details>\n", "", body, flags=re.DOTALL).splitlines()


# -- golden bodies -------------------------------------------------------------------------------

@pytest.mark.parametrize("case", FIXED + GENERATED)
def test_golden_body(case: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    results, out = rendered(case, tmp_path)
    regen = bool(request.config.getoption("--regen-golden"))
    golden(f"{case}.body.md", out.body, regen)
    golden(f"{case}.comment.md", out.comment, regen)
    golden(f"{case}.commit.txt", pr.commit_message(results), regen)


def test_a_large_repository_fits_on_a_screen(tmp_path: Path) -> None:
    """53 identical checkout changes in 12 files: one explanation, every place on one line,
    the diffs folded; under 80 lines outside the folded diffs."""
    results, out = rendered("large-repository", tmp_path)
    assert sum(len(r.changes) for r in results) == 53
    lines = outside_details(out.body)
    assert len(lines) < 80, len(lines)
    assert out.body.count("**Why it is safe:**") == 1
    assert out.body.count("<details>") == 12
    where = next(line for line in lines if line.startswith("Where: "))
    assert where.count("(line ") == 53
    assert out.comment is None and len(out.body) < pr.BUDGET


def test_the_150_job_workflow_keeps_what_is_never_cut(tmp_path: Path) -> None:
    """Under the budget, with every permissions change, the whole checklist and every note in
    the body (the folded diff of all 298 changes fits too, so no comment is needed)."""
    results, out = rendered("150-jobs", tmp_path)
    body = out.body
    assert len(body) <= pr.BUDGET
    perms = [c for r in results for c in r.changes if c.transform == "permissions"]
    assert len(perms) == 149
    for c in perms:
        assert f"`{c.location.removeprefix('jobs.')}` (line " in body, c.location
    checklist = body.split("## Checklist for people\n\n")[1].split("\n\n")[0].splitlines()
    assert checklist == [f"- [ ] {item}" for item in pr.checklist(results)] and checklist
    notes = [(r.path, n) for r in results for n in r.notes]
    assert notes and f"## Left alone ({len(notes)} notes)" in body
    for _, n in notes:
        assert f"`{n.location}`" in body
    assert out.comment is None and body.count("<details>") == 1
    assert pr.fingerprint_of(body) == pr.fingerprint(results)


@pytest.mark.parametrize(("jobs", "counted"), [(400, False), (800, True)])
def test_bodies_stay_under_the_budget(tmp_path: Path, jobs: int, counted: bool) -> None:
    """400 jobs: the diff moves to the follow-up comment; 800: the places of the checkout
    changes are counted per file too, and the comment lists them; the permissions changes
    are still listed in the body."""
    results = results_of(wide_workflow(tmp_path, jobs))
    out = pr.render(results)
    assert len(out.body) <= pr.BUDGET
    assert "## Checklist for people" in out.body and "## Left alone" in out.body
    assert pr.fingerprint_of(out.body) == pr.fingerprint(results)
    assert "did not fit here: they are in the comment below" in out.body
    assert ("The comment below lists each one." in out.body) is counted
    assert out.comment is not None and len(out.comment) <= pr.COMMENT_BUDGET
    assert out.comment.endswith(pr.details_marker(pr.fingerprint(results)) + "\n")
    assert "`shard-300` (line " in out.body  # a permissions change
    if counted:
        assert f"Where: {jobs - 1} changes in `everything.yml`." in out.body
        assert "`shard-300.steps[0]` (line " in out.comment


def test_notes_beyond_any_budget_are_all_in_the_comment() -> None:
    """Thousands of distinct long notes: the body lists what fits and says how many more; the
    comment holds them (as far as its own limit goes)."""
    text = "jobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n"
    r = engine.process(".github/workflows/a.yml", text, select("persist-credentials", None))
    r.notes = [Note("permissions", f"jobs.j{i}", f"left alone: reason number {i} " + "x" * 400)
               for i in range(3000)]
    out = pr.render([r])
    assert len(out.body) <= pr.BUDGET
    assert "more (the comment below lists every note)" in out.body
    assert out.comment is not None and "reason number 0 " in out.comment


# -- what each body promises ---------------------------------------------------------------------

@pytest.mark.parametrize("case", FIXED + GENERATED)
def test_commit_subject_and_title(case: str, tmp_path: Path) -> None:
    results, _ = rendered(case, tmp_path)
    assert len(pr.title(results)) <= 72
    assert pr.commit_message(results).splitlines()[0] == pr.title(results)


def test_changes_are_in_line_order_with_final_line_numbers(tmp_path: Path) -> None:
    """Within a file, hunks follow the file; every line number a change is listed at is a line
    of the changed file that this pull request adds."""
    results, out = rendered("mixed", tmp_path)
    for r in pr.changed(results):
        hunks = pr_diff.change_diffs(r)
        assert hunks is not None
        starts = [int(re.match(r"@@ -\d+(?:,\d+)? \+(\d+)", h).group(1)) for h in hunks]  # type: ignore[union-attr]
        assert starts == sorted(starts)
        added = {line for h in hunks for line in h.splitlines()[1:] if line.startswith("+")}
        final = (r.updated or "").splitlines()
        name = r.path.removeprefix(".github/workflows/")
        for m in re.finditer(rf"`{re.escape(name)}` ([^:;\n]*)", out.body):
            for n in re.findall(r"\(line (\d+)\)", m.group(1)):
                assert f"+{final[int(n) - 1]}" in added, (r.path, n)
        located = [c.location for c in pr_diff.in_line_order(r)]
        assert located == [c.location for c in sorted(r.changes, key=lambda c: c.line)]


def test_no_dangling_references(tmp_path: Path) -> None:
    for case in FIXED:
        results, out = rendered(case, tmp_path / case)
        assert "see the notes" not in out.body
        for m in re.finditer(r"job `([^`]+)` does with the token is unknown \(its note", out.body):
            assert f"`jobs.{m.group(1)}` (`permissions`)" in out.body


def test_evidence_names_the_step_and_the_credential(tmp_path: Path) -> None:
    _, out = rendered("narrowing", tmp_path)
    assert ('step 3 "Open the pull request" (peter-evans/create-pull-request@v6) uses '
            "`secrets.WORKFLOW_PUSH_BOT_TOKEN` (its `token` input), not the job token, so it "
            "needs no contents: write, pull-requests: write from the job") in out.body


def test_the_marker_stays_last_and_keeps_its_meaning(tmp_path: Path) -> None:
    results, out = rendered("mixed", tmp_path)
    last = out.body.rstrip("\n").splitlines()[-1]
    assert last == pr.marker(pr.fingerprint(results), sorted(REGISTRY))
    assert pr.selection_of(out.body) == set(REGISTRY)


def test_removed_lines_of_a_credential_change_are_not_shown() -> None:
    text = "env:\n  TOKEN: hunter2-literal\n"
    start = text.index("hunter2")
    new = "${{ secrets.TOKEN }}"
    from fixbot.types import Edit, SetOp

    change = Change("secrets", "", 2, "moved a hardcoded credential into `secrets.TOKEN`",
                    "The literal is a credential.",
                    (Edit(start, start + 15, new, SetOp(("env", "TOKEN"), new)),),
                    todo=("Create the repository secret `TOKEN`.",))
    r = FileResult(".github/workflows/s.yml", "changed", None, [change], [], text,
                   text[:start] + new + text[start + 15:])
    body = pr.body([r])
    assert "hunter2" not in body
    assert "-(a removed line is not shown here: it may hold a credential)" in body
    assert "- [ ] Create the repository secret `TOKEN`." in body


# -- verification advice (fixbot/kb/triggers.py) ------------------------------------------------

JOB = [("build", None)]


@pytest.mark.parametrize(("on", "expected"), [
    (["push", "pull_request"], "this pull request's `pull_request` run and the `push` run of "
     "this pull request's branch use the changed workflow: check that they pass."),
    ({"push": {"branches": ["main"]}, "pull_request": None},
     "this pull request's `pull_request` run uses the changed workflow: check that it passes; "
     "after merging, also check its next run on a push to `main`: steps can act differently "
     "on that event."),
    ({"push": {"tags": ["v*"]}}, "this pull request does not run it: after merging, check its "
     "run on the next push of a tag matching `v*`."),
    ({"schedule": [{"cron": "0 3 * * *"}]}, "this pull request does not run it: after merging, "
     "check its next scheduled run (`0 3 * * *`)."),
    ({"schedule": [{"cron": "0 3 * * *"}], "workflow_dispatch": None},
     "this pull request does not run it: run it once with `workflow_dispatch` on this pull "
     "request's branch if a manual run does no harm, or after merging check its next scheduled "
     "run (`0 3 * * *`)."),
    ({"pull_request": {"paths-ignore": [".github/**"]}},
     "this pull request does not run it (its `pull_request` `paths` filter does not match "
     "`.github/workflows/w.yml`): after merging, check its run on a pull request that changes "
     "a file its `paths` filter lets through."),
])
def test_verification_follows_the_triggers(on: object, expected: str) -> None:
    assert verification(".github/workflows/w.yml", on, JOB) == \
        f"`.github/workflows/w.yml` (job `build`): {expected}"


@pytest.mark.parametrize("on", [{"push": {"tags": ["v*"]}}, {"schedule": [{"cron": "1 2 3 4 5"}]},
                                {"release": {"types": ["published"]}}, "workflow_run"])
def test_advice_that_cannot_be_followed_is_never_given(on: object) -> None:
    """No manual run where the workflow has no `workflow_dispatch`; no claim that this pull
    request runs it."""
    text = verification(".github/workflows/w.yml", on, JOB)
    assert "workflow_dispatch" not in text and "this pull request does not run it" in text


def test_a_job_skipped_on_pull_requests_is_named() -> None:
    text = verification(".github/workflows/w.yml", ["pull_request"],
                        [("test", None), ("deploy", "github.event_name == 'push'")])
    assert "(job `deploy` may be skipped there: `if: github.event_name == 'push'`)" in text
    assert "may be skipped" not in verification(
        ".github/workflows/w.yml", ["pull_request"],
        [("comment", "github.event_name == 'pull_request'")])
