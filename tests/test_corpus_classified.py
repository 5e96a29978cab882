"""Corpus checks that cannot improve by narrowing wrongly (issue 7).

For every job whose effective permissions a fix changes, every step must be *classified*: an
action the knowledge base knows (or a local action / reusable workflow that can be read), or a
script whose every command is accounted for (a known need, or known not to use the token). An
unclassified step forbids the change. Likewise every checkout that loses its persisted
credentials must be followed only by steps known not to use git's credentials.

The steps are classified here straight from the knowledge base and the script readers, not
through the transform's own planning, so a planning bug that narrows an unknown job fails this
test however many findings it removes.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from fixbot.commands.fix import fix_paths
from fixbot.files import repo_reader
from fixbot.kb import lookup_action, lookup_reusable_workflow
from fixbot.kb.actions import git_credential_use
from fixbot.kb.script_files import ScriptReader, runner_default_shell
from fixbot.kb.token import names_job_token
from fixbot.transforms import REGISTRY
from fixbot.workflow import RepoContext

pytestmark = pytest.mark.slow


def _load(text: str) -> Any:
    return YAML(typ="safe").load(text.lstrip("\ufeff"))


def _effective(data: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), dict):
        return out
    for jid, job in data["jobs"].items():
        grant = job.get("permissions", data.get("permissions", "default")) if isinstance(
            job, dict) else None
        out[str(jid)] = json.dumps(grant, sort_keys=True)
    return out


def _env(*nodes: Any) -> dict[str, str]:
    env: dict[str, str] = {}
    for n in nodes:
        e = n.get("env") if isinstance(n, dict) else None
        if isinstance(e, dict):
            env.update({str(k): "" if v is None else str(v) for k, v in e.items()})
    return env


def _shell(*nodes: Any) -> str:
    for n in nodes:
        d = n.get("defaults") if isinstance(n, dict) else None
        run = d.get("run") if isinstance(d, dict) else None
        if isinstance(run, dict) and run.get("shell"):
            return str(run["shell"])
    return ""


def unclassified(data: Mapping[str, Any], jid: str, ctx: RepoContext) -> list[str]:
    """Steps of job ``jid`` whose use of the job token cannot be told."""
    job = data["jobs"][jid]
    if "uses" in job:
        uses = str(job["uses"])
        known = (ctx.parse(uses[2:].split("@")[0]) is not None if uses.startswith("./")
                 else lookup_reusable_workflow(uses) is not None)
        return [] if known else [f"calls {uses}"]
    reader = ScriptReader(ctx.read_text)
    out: list[str] = []
    for n, step in enumerate(job.get("steps") or []):
        if not isinstance(step, dict):
            continue
        env = {**_env(data, job), **_env(step)}
        uses = step.get("uses")
        if isinstance(uses, str):
            with_ = step.get("with") if isinstance(step.get("with"), dict) else {}
            if uses.startswith(("./", "$/")):
                if ctx.local_action(uses.split("@")[0]) is None:
                    out.append(f"step {n}: {uses} cannot be read")
            elif uses.startswith("docker://"):
                if any(names_job_token(v) for v in env.values()):
                    out.append(f"step {n}: {uses} receives the token")
            elif lookup_action(uses, {str(k): str(v) for k, v in with_.items()}) is None and \
                    uses.split("@")[0].lower() != "actions/github-script":
                out.append(f"step {n}: {uses} is not in the knowledge base")
        elif "run" in step:
            shell = str(step.get("shell") or _shell(job, data) or runner_default_shell(job))
            res = reader.run_step(str(step["run"]), shell, env, True)
            reach = any(names_job_token(v) for v in env.values()) or names_job_token(str(step["run"]))
            if reach and res.analysis.unknown:
                out.append(f"step {n}: {res.analysis.unknown[0]}")
    return out


@pytest.fixture(scope="module")
def fixed_all(corpus_tree: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    dest = tmp_path_factory.mktemp("classified") / "tree"
    shutil.copytree(corpus_tree, dest)
    roots = [str(p) for p in sorted(dest.iterdir()) if p.is_dir()]
    return dest, fix_paths(roots, [REGISTRY["permissions"]], write=False)


def test_every_step_of_a_narrowed_job_is_classified(fixed_all: tuple[Path, list]) -> None:
    dest, results = fixed_all
    bad: list[str] = []
    narrowed = 0
    for r in results:
        if r.status != "changed":
            continue
        root = Path(r.path).parent.parent.parent
        ctx = RepoContext(repo_reader(root))
        before, after = _load(r.original), _load(r.updated)
        b, a = _effective(before), _effective(after)
        for jid in b:
            if b[jid] == a.get(jid):
                continue
            narrowed += 1
            bad += [f"{r.path} jobs.{jid}: {u}" for u in unclassified(before, jid, ctx)]
    print(f"\n{narrowed} jobs change permissions; unclassified steps among them: {len(bad)}")
    assert bad == []


def test_no_checkout_loses_credentials_a_later_step_may_use(corpus_tree: Path) -> None:
    roots = [str(p) for p in sorted(corpus_tree.iterdir()) if p.is_dir()]
    results = fix_paths(roots, [REGISTRY["persist-credentials"]], write=False)
    bad: list[str] = []
    for r in results:
        for c in r.changes:
            data = _load(r.original)
            parts = c.location.split(".")  # jobs.<id>.steps[<n>]
            jid, index = parts[1], int(parts[2].split("[")[1].rstrip("]"))
            job = data["jobs"][jid]
            ctx = RepoContext(repo_reader(Path(r.path).parent.parent.parent))
            reader = ScriptReader(ctx.read_text)
            for step in job["steps"][index + 1:]:
                if not isinstance(step, dict):
                    continue
                uses = step.get("uses")
                if isinstance(uses, str) and not uses.startswith(("./", "$/", "docker://")):
                    if git_credential_use(uses) != "":
                        bad.append(f"{r.path} {c.location}: later {uses}")
                elif "run" in step:
                    # what git does with the persisted credentials; a program holding the job
                    # token in its environment is the permissions check's concern, above
                    env = {k: v for k, v in _env(data, job, step).items() if not names_job_token(v)}
                    shell = str(step.get("shell") or _shell(job, data) or runner_default_shell(job))
                    res = reader.run_step(str(step["run"]), shell, env, True)
                    if res.analysis.git_uses or res.analysis.unknown:
                        bad.append(f"{r.path} {c.location}: later run step "
                                   f"{(res.analysis.git_uses or res.analysis.unknown)[0]}")
    assert bad == []
