"""Unknown actions decided from their own ``action.yml``, read from the sandbox forge.

Five action repositories and twenty repositories that use them at the same refs (tags and
commit SHAs). ``fixbot run`` over all twenty in one process (as ``demo`` and ``sweep`` do) asks
the contents API once per action and ref, which the sandbox's ``--access-log`` file shows; a
second run in a new process with the same cache directory asks nothing. The pull requests
decide the actions from that metadata: token-free JavaScript actions need nothing, one whose
input defaults to ``${{ github.token }}`` stays unknown.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from e2e_helpers import BOT_TOKEN, client

from fixbot.commands.run import Outcome, run_repo
from fixbot.forge import Forge, TokenCredentials
from fixbot.sandbox import Sandbox
from fixbot.transforms import select

REPO_ROOT = Path(__file__).resolve().parents[2]


def js_action(name: str, inputs: str = "") -> str:
    return (f"name: {name}\ndescription: a JavaScript action\n{inputs}"
            "runs:\n  using: node20\n  main: dist/index.js\n")


ACTIONS: dict[str, dict[str, str]] = {  # tools/<name>: files
    "lint-action": {"action.yml": js_action("lint", "inputs:\n  config:\n    default: .lint.yml\n")},
    "notify": {"action.yml": js_action("notify", "inputs:\n  message:\n    required: true\n")},
    "setup-thing": {"action.yaml": js_action("setup-thing", "inputs:\n  version:\n    default: '1'\n")},
    "monorepo": {"sub/deploy-info/action.yml": js_action("deploy-info"),
                 "README.md": "# monorepo\n"},
    "labeler": {"action.yml": js_action(
        "labeler", "inputs:\n  repo-token:\n    default: ${{ github.token }}\n")},
}
TAGS = {"lint-action": "v1", "setup-thing": "v2", "labeler": "v3"}  # the others by SHA


@dataclass
class Scenario:
    sb: Sandbox
    log: Path
    cache: Path
    shas: dict[str, str]
    repos: list[str]
    outcomes: dict[str, Outcome]

    def contents_lines(self, start: int = 0) -> list[str]:
        lines = self.log.read_text(encoding="utf-8").splitlines()[start:]
        return sorted(ln for ln in lines if "/contents/" in ln)


def workflow(uses: list[str], write_all: str | None) -> str:
    top = "permissions: write-all\n" if write_all == "top" else ""
    job = "    permissions: write-all\n" if write_all == "job" else ""
    steps = "".join(f"      - uses: {u}\n" for u in uses)
    return (f"name: ci\non: push\n{top}jobs:\n  build:\n    runs-on: ubuntu-latest\n{job}"
            f"    steps:\n{steps}")


# Which actions each of the twenty repositories uses (index % 5), and where its workflow grants
# write-all (at the top, on the job, or nowhere: no block at all).
PLANS: list[tuple[list[str], str | None]] = [
    (["lint-action", "notify"], "top"), (["setup-thing"], None),
    (["monorepo", "lint-action"], "job"), (["labeler"], None),
    (["notify", "setup-thing", "monorepo"], "top")]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    tmp = tmp_path_factory.mktemp("action-metadata")
    log, cache = tmp / "access.log", tmp / "cache"
    with pytest.MonkeyPatch.context() as mp, Sandbox(tmp / "forge", access_log=log) as sb:
        for var in ("GITHUB_TOKEN", "FIXBOT_APP_ID", "FIXBOT_ACTION_CACHE", "FIXBOT_ACTION_TTL",
                    "XDG_CACHE_HOME"):
            mp.delenv(var, raising=False)
        mp.setenv("FIXBOT_TOKEN", BOT_TOKEN)
        mp.setenv("GITHUB_API_URL", sb.api_url)
        mp.setenv("FIXBOT_CACHE_DIR", str(cache))
        sb.add_token("fixbot-bot", BOT_TOKEN)
        shas: dict[str, str] = {}
        uses: dict[str, str] = {}
        for name, files in ACTIONS.items():
            sb.create_repo("tools", name, files)
            repo = sb.repo("tools", name)
            shas[name] = repo.branch_sha("main") or ""
            if name in TAGS:
                repo.git("tag", TAGS[name], shas[name])
            path = "/sub/deploy-info" if name == "monorepo" else ""
            uses[name] = f"tools/{name}{path}@{TAGS.get(name, shas[name])}"
        repos = []
        for i in range(20):
            names, write_all = PLANS[i % 5]
            sb.create_repo("acme", f"app-{i:02d}", {
                ".github/workflows/ci.yml": workflow([uses[n] for n in names], write_all),
                "README.md": f"# app {i}\n"})
            repos.append(f"acme/app-{i:02d}")
        forge = Forge(sb.api_url, TokenCredentials(BOT_TOKEN))  # one forge: one Metadata
        transforms = select(None, None)
        outcomes = {full: run_repo(forge, full, transforms) for full in repos}
        yield Scenario(sb, log, cache, shas, repos, outcomes)


def test_each_action_and_ref_is_requested_once_for_twenty_repositories(scenario: Scenario) -> None:
    assert {o.status for o in scenario.outcomes.values()} <= {"pr-opened", "no-changes"}
    api = "GET /api/v3/repos/tools"
    assert Counter(scenario.contents_lines()) == Counter({
        f"{api}/lint-action/contents/action.yml 200": 1,
        f"{api}/notify/contents/action.yml 200": 1,
        f"{api}/setup-thing/contents/action.yml 404": 1,  # action.yaml only after a 404
        f"{api}/setup-thing/contents/action.yaml 200": 1,
        f"{api}/monorepo/contents/sub/deploy-info/action.yml 200": 1,
        f"{api}/labeler/contents/action.yml 200": 1,
    })
    # kept on disk under the forge's host; no credential in it
    entries = sorted(p.relative_to(scenario.cache).as_posix()
                     for p in scenario.cache.rglob("*.json"))
    assert len(entries) == 5 and all(e.startswith("actions/127.0.0.1_") for e in entries)
    assert not any(BOT_TOKEN in p.read_text() for p in scenario.cache.rglob("*.json"))


def test_a_second_run_in_a_new_process_asks_nothing(scenario: Scenario) -> None:
    start = len(scenario.log.read_text(encoding="utf-8").splitlines())
    script = ("import sys\n"
              "from fixbot.commands.run import run_repo\n"
              "from fixbot.forge import Forge, api_url, from_env\n"
              "from fixbot.transforms import select\n"
              "forge = Forge(api_url(None), from_env())\n"
              "print(' '.join(run_repo(forge, r, select(None, None)).status for r in sys.argv[1:]))\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "FIXBOT_"))}
    env.update(FIXBOT_TOKEN=BOT_TOKEN, GITHUB_API_URL=scenario.sb.api_url,
               FIXBOT_CACHE_DIR=str(scenario.cache))
    covering = scenario.repos[:len(PLANS)]  # between them they use every action and ref
    proc = subprocess.run([sys.executable, "-c", script, *covering], env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert set(proc.stdout.split()) <= {"up-to-date", "no-changes"}, proc.stdout
    lines = scenario.log.read_text(encoding="utf-8").splitlines()[start:]
    assert any(ln.startswith("GET /api/v3/repos/acme/app-") for ln in lines)  # it did run
    assert scenario.contents_lines(start) == []  # SHA refs for good, tags within the TTL
    assert BOT_TOKEN not in proc.stdout + proc.stderr


def _explanations(o: Outcome) -> str:
    return " ".join(c.explanation for r in o.files for c in r.changes
                    if c.transform == "permissions")


def _notes(o: Outcome) -> str:
    return " ".join(n.message for r in o.files for n in r.notes if n.transform == "permissions")


def _links(sc: Scenario) -> dict[str, str]:
    """Where each action's metadata file is, for people (the links explanations carry)."""
    out = {}
    for name, files in ACTIONS.items():
        ref = TAGS.get(name, sc.shas[name])
        path = next(p for p in files if p.endswith(("action.yml", "action.yaml")))
        out[name] = f"{sc.sb.url}/tools/{name}/blob/{ref}/{path}"
    return out


def test_pull_requests_decide_unknown_actions_from_their_metadata(scenario: Scenario) -> None:
    links = _links(scenario)
    for index, (names, _block) in enumerate(PLANS):
        o = scenario.outcomes[scenario.repos[index]]
        if "labeler" in names:
            # its input defaults to github.token: it stays unknown, and the note names the input
            assert o.status == "no-changes" and _explanations(o) == "", o.repo
            notes = _notes(o)
            assert "repo-token" in notes and links["labeler"] in notes, notes
            continue
        # only token-free unknown actions: the job is narrowed to contents: read
        assert o.status == "pr-opened", (o.repo, o.reason)
        assert _notes(o) == "", (o.repo, _notes(o))
        summaries = [c.summary for r in o.files for c in r.changes]
        assert len(summaries) == 1 and "contents: read" in summaries[0], (o.repo, summaries)
    # a job-level narrowing says why each unknown action needs nothing, with its action.yml
    o = scenario.outcomes[scenario.repos[2]]
    assert o.pr is not None
    pull = client(scenario.sb, BOT_TOKEN).get_repo(o.repo).get_pull(o.pr.number)
    for text in (_explanations(o), pull.body):
        assert text.count("cannot reach the job token") == 2, text
        assert links["monorepo"] in text and links["lint-action"] in text, text


def test_workflow_level_changes_name_the_metadata_they_rely_on(scenario: Scenario) -> None:
    links = _links(scenario)
    for index, (names, block) in enumerate(PLANS):
        if block == "job" or "labeler" in names:
            continue
        explanation = _explanations(scenario.outcomes[scenario.repos[index]])
        assert "cannot reach the job token" in explanation, explanation
        assert all(links[n] in explanation for n in names), explanation
