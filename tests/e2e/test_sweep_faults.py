"""A sweep under injected faults ends where a clean sweep ends: primary rate limits, App
installation tokens that expire every two minutes (renewed as they near expiry), and 5% of
REST and GraphQL requests answered 500/502/503 (a fixed seed)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from e2e_helpers import HUMAN_TOKEN, client
from test_sweep import ORG, world

from fixbot.cli import main
from fixbot.sandbox import Sandbox
from fixbot.sandbox.graphql_api import Unavailable, fetch_schema

BRANCHES = ("fixbot/harden-workflows", "fixbot/move-secrets")


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    for var in ("GITHUB_TOKEN", "FIXBOT_TOKEN", "FIXBOT_APP_PRIVATE_KEY", "GITHUB_API_URL"):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "app.pem").write_bytes(pem)
    monkeypatch.setenv("FIXBOT_APP_ID", "4242")
    monkeypatch.setenv("FIXBOT_APP_PRIVATE_KEY_FILE", str(tmp_path / "app.pem"))
    yield key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)


def state(sb: Sandbox) -> dict[str, object]:
    """Every repository's fixbot pull requests (title, body, state) and branch trees."""
    gh = client(sb)
    out: dict[str, object] = {}
    for repo in sorted(p.name.removesuffix(".git") for p in (sb.root / ORG).glob("*.git")):
        full = f"{ORG}/{repo}"
        bare = sb.root / ORG / f"{repo}.git"
        trees = {}
        for b in BRANCHES:
            proc = subprocess.run(["git", "--git-dir", str(bare), "rev-parse", "--verify", "-q",
                                   f"refs/heads/{b}^{{tree}}"], capture_output=True, text=True)
            trees[b] = proc.stdout.strip() or None
        pulls = [(p.number, p.title, p.body, p.state) for p in
                 gh.get_repo(full).get_pulls(state="all")] if trees != dict.fromkeys(BRANCHES) \
            else []
        out[full] = (trees, pulls)
    return out


def sweep(sb: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
          ) -> tuple[int, dict]:
    monkeypatch.setenv("GITHUB_API_URL", sb.api_url)
    capsys.readouterr()
    code = main(["sweep", ORG, "--format", "json", "--concurrency", "3"])
    return code, json.loads(capsys.readouterr().out)


def test_faults_end_in_the_same_pull_requests(tmp_path: Path, app_env: bytes,
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    try:
        schema = fetch_schema()
    except Unavailable as e:
        pytest.skip(str(e))
    results = {}
    for name, faults in (("clean", {}), ("faulty", {"fail_rate": 0.05, "seed": 7,
                                                    "rate_limit": 10, "rate_window": 1,
                                                    "token_ttl": 120})):
        with Sandbox(tmp_path / name, graphql_schema=schema, **faults) as sb:  # type: ignore[arg-type]
            sb.configure_app(4242, app_env, slug="fixbot-app")
            sb.add_installation(ORG, 77)
            sb.add_token("alice", HUMAN_TOKEN)  # for reading the end state
            world(sb)
            if faults:  # for certain, whatever the machine's speed makes of the 10 req/s limit
                sb.inject_fault(r"/pulls$", "primary", count=1, method="POST", reset_in=1)
                sb.inject_fault(r"/labels$", "secondary", count=1, method="POST", retry_after=1)
            code, out = sweep(sb, monkeypatch, capsys)
            runs = 1
            # a repository whose retries ran out is an error; the next sweep finishes it
            while any(r["status"] == "error" and r["repo"] != "acme/bad-config"
                      for r in out["repos"]) and runs < 3:
                code, out = sweep(sb, monkeypatch, capsys)
                runs += 1
            assert code == 3  # acme/bad-config, in both
            results[name] = (state(sb), {r["repo"]: r["status"] for r in out["repos"]})
            if name == "faulty":
                log = sb.access_log
                failed = [e for e in log if e.status in (500, 502, 503)]
                limited = [e for e in log if e.status == 403]
                minted = [e for e in log if e.path.endswith("/access_tokens")]
                assert failed and limited and len(minted) > 1  # the faults did happen
    clean_state, _ = results["clean"]
    faulty_state, _ = results["faulty"]
    assert faulty_state == clean_state
    opened = sorted(r for r, (trees, pulls) in clean_state.items() if pulls)  # type: ignore[misc]
    assert opened == ["acme/needs-a", "acme/needs-b", "acme/needs-c"]
