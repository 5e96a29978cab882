"""Issue 12's end-to-end proof on a world of 200+ sandbox repositories built from
``../shared/corpus`` (:mod:`sweep_world`): the right pull requests open; a second sweep opens
none and pushes nothing; a declined pull request stays declined; a sweep killed half way and
rerun ends where an uninterrupted one does; shards together equal one sweep; the dashboard issue
lists every pull request."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import sweep_world
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from e2e_helpers import BOT_TOKEN, HUMAN_TOKEN, client

from fixbot.cli import main
from fixbot.sandbox import Sandbox
from fixbot.sandbox.api_core import RateBook
from fixbot.sandbox.graphql_api import Unavailable, fetch_schema

pytestmark = pytest.mark.slow
ORG = sweep_world.ORG
BRANCHES = ("fixbot/harden-workflows", "fixbot/move-secrets")


@pytest.fixture(scope="module")
def schema() -> Path:
    try:
        return fetch_schema()
    except Unavailable as e:
        pytest.skip(str(e))


def new_world(path: Path, schema: Path, corpus: Path) -> tuple[Sandbox, sweep_world.World]:
    sb = Sandbox(path, graphql_schema=schema).start()
    sb.add_token("fixbot-bot", BOT_TOKEN)
    sb.add_token("alice", HUMAN_TOKEN)
    return sb, sweep_world.build(sb, corpus)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for var in ("GITHUB_TOKEN", "FIXBOT_APP_ID", "FIXBOT_APP_PRIVATE_KEY",
                "FIXBOT_APP_PRIVATE_KEY_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("FIXBOT_TOKEN", BOT_TOKEN)
    yield monkeypatch


def sweep(sb: Sandbox, env: pytest.MonkeyPatch, *extra: str) -> tuple[int, dict[str, Any]]:
    env.setenv("GITHUB_API_URL", sb.api_url)
    buf = StringIO()
    with redirect_stdout(buf):
        code = main(["sweep", ORG, "--format", "json", "-q", *extra])
    return code, json.loads(buf.getvalue())


def outcome(r: dict[str, Any]) -> str:
    lanes = [r["status"]] + ([r["secrets"]["status"]] if r["secrets"] else [])
    if "pr-opened" in lanes:
        return "pr"
    return "clean" if r["status"] == "no-changes" else r["status"]


def state(sb: Sandbox) -> dict[str, Any]:
    """Every repository's fixbot branches (their trees) and pull requests (number, title,
    body, state), with the sandbox's own address taken out of the text."""
    gh = client(sb)
    out: dict[str, Any] = {}
    for bare in sorted((sb.root / ORG).glob("*.git")):
        trees = []
        for b in BRANCHES:
            proc = subprocess.run(["git", "--git-dir", str(bare), "rev-parse", "--verify", "-q",
                                   f"refs/heads/{b}^{{tree}}"], capture_output=True, text=True)
            trees.append(proc.stdout.strip())
        full = f"{ORG}/{bare.name.removesuffix('.git')}"
        pulls = [] if not any(trees) else [
            (p.number, p.title, (p.body or "").replace(sb.url, "SANDBOX"), p.state)
            for p in gh.get_repo(full).get_pulls(state="all")]
        out[full] = (trees, pulls)
    return out


def pull_count(sb: Sandbox) -> int:
    row = sb.server.forge.store.one("SELECT COUNT(*) AS n FROM issues WHERE is_pull = 1")
    return int(row["n"]) if row else 0


def test_a_sweep_of_the_world(tmp_path: Path, schema: Path, corpus_root: Path,
                              env: pytest.MonkeyPatch) -> None:
    sb, world = new_world(tmp_path / "a", schema, corpus_root)
    try:
        assert len(world.expected) >= 200
        code, out = sweep(sb, env)
        assert code == 3  # the repositories whose .github/fixbot.yml is invalid
        got = {r["repo"]: outcome(r) for r in out["repos"]}
        assert got == world.expected
        reasons = {r["repo"]: r["reason"] for r in out["repos"] if r["repo"] in world.reasons}
        assert reasons == world.reasons
        first = state(sb)
        assert {r for r, (trees, pulls) in first.items() if pulls} == world.with_prs()

        # a second sweep opens none and pushes nothing (it also writes the dashboard issue)
        before = len(sb.access_log)
        code, again = sweep(sb, env, "--dashboard", f"{ORG}/dashboard")
        assert code == 3
        assert {r["repo"] for r in again["repos"] if r["status"] == "pr-opened"} == set()
        writes = [f"{e.method} {e.path}" for e in sb.access_log[before:]
                  if e.path.endswith("/git-receive-pack")
                  or (e.method in ("POST", "PATCH", "PUT", "DELETE")
                      and e.path.startswith("/api/v3/repos/") and "/dashboard/" not in e.path)]
        assert writes == []
        assert state(sb) == first
        (issue,) = client(sb).get_repo(f"{ORG}/dashboard").get_issues(state="all")
        listed = {line.split("](")[0].removeprefix("| [") for line in issue.body.splitlines()
                  if line.startswith("| [")}
        opened = {f"{r}#{p[0]}" for r, (t, pulls) in first.items() for p in pulls}
        assert listed == opened

        # a person declines one pull request: it stays closed, nothing is proposed again
        victim = sorted(world.with_prs())[0]
        number = first[victim][1][0][0]
        client(sb).get_repo(victim).get_pull(number).edit(state="closed")
        code, third = sweep(sb, env)
        (row,) = [r for r in third["repos"] if r["repo"] == victim]
        assert row["status"] == "declined" or (row["secrets"] or {}).get("status") == "declined"
        pulls = client(sb).get_repo(victim).get_pulls(state="all")
        assert [(p.number, p.state) for p in pulls] == [(number, "closed")]
        (tmp_path / "a-state.json").write_text(json.dumps(first), encoding="utf-8")
    finally:
        sb.stop()


def test_killed_sharded_and_faulty_sweeps_end_alike(tmp_path: Path, schema: Path,
                                                   corpus_root: Path,
                                                   env: pytest.MonkeyPatch) -> None:
    """Four identical worlds: one uninterrupted sweep; one killed (SIGKILL) after a third of
    its pull requests and swept again; one swept as shards 1/3, 2/3 and 3/3; one swept as a
    GitHub App whose installation tokens live two minutes (renewed as they near expiry) on a
    forge that allows 50 requests a second and fails 5% of them (a fixed seed), swept again
    while a repository's retries ran out."""
    whole, world = new_world(tmp_path / "whole", schema, corpus_root)
    killed, _ = new_world(tmp_path / "killed", schema, corpus_root)
    sharded, _ = new_world(tmp_path / "sharded", schema, corpus_root)
    faulty = Sandbox(tmp_path / "faulty", graphql_schema=schema, fail_rate=0.05, seed=11,
                     rate_limit=50, rate_window=1, token_ttl=120).start()
    faulty.add_token("alice", HUMAN_TOKEN)
    sweep_world.build(faulty, corpus_root)
    try:
        sweep(whole, env)
        expected = state(whole)
        want = len(world.with_prs())

        proc = subprocess.Popen(
            [sys.executable, "-m", "fixbot", "sweep", ORG, "-q", "--format", "json"],
            env={**os.environ, "GITHUB_API_URL": killed.api_url, "FIXBOT_TOKEN": BOT_TOKEN},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 600
        while pull_count(killed) < want // 3 and proc.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert 0 < pull_count(killed) < want  # it really stopped half way
        sweep(killed, env)
        assert state(killed) == expected

        seen: set[str] = set()
        for i in (1, 2, 3):
            _, out = sweep(sharded, env, "--shard", f"{i}/3")
            part = {r["repo"] for r in out["repos"]}
            assert not part & seen
            seen |= part
        assert seen == set(world.expected)
        assert state(sharded) == expected

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = tmp_path / "app.pem"
        pem.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
        faulty.configure_app(4242, key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
            slug="fixbot-app")
        # what sweep.yml asks of its token: the secrets PR's checklist reads secret names
        faulty.add_installation(ORG, 77, permissions={
            "contents": "write", "pull_requests": "write", "issues": "write",
            "metadata": "read", "workflows": "write", "secrets": "read"})
        # on top of the limit and the random failures: primary and secondary limits for sure
        faulty.inject_fault(r"/pulls$", "primary", count=2, method="POST", reset_in=1)
        faulty.inject_fault(r"/labels$", "secondary", count=2, method="POST", retry_after=1)
        env.delenv("FIXBOT_TOKEN")
        env.setenv("FIXBOT_APP_ID", "4242")
        env.setenv("FIXBOT_APP_PRIVATE_KEY_FILE", str(pem))
        runs = 0
        while runs < 3:
            _, out = sweep(faulty, env)
            runs += 1
            if not any(r["status"] == "error" and r["repo"] not in world.reasons
                       for r in out["repos"]):
                break
        log = faulty.access_log
        assert [e for e in log if e.status in (500, 502, 503)]  # the faults did happen
        assert len([e for e in log if e.status == 403]) >= 4  # rate limited
        assert len([e for e in log if e.path.endswith("/access_tokens")]) > 1
        faulty.server.faults.fail_rate = 0.0  # the test reads the end state without faults
        faulty.server.forge.rates = RateBook()
        assert state(faulty) == expected
    finally:
        for sb in (whole, killed, sharded, faulty):
            sb.stop()
