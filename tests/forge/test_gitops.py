"""gitops against the sandbox's git smart HTTP: sparse partial clones, lazy reads, identity."""

from __future__ import annotations

from pathlib import Path

import pytest
from forge_helpers import BOT

from fixbot import gitops
from fixbot.errors import GitError
from fixbot.sandbox import Sandbox

WORKFLOW = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: ./scripts/go.sh\n"


def _seed(sb: Sandbox) -> None:
    sb.create_repo("acme", "tools", {
        ".github/workflows/ci.yml": WORKFLOW,
        ".github/actions/setup/action.yml": "runs:\n  using: composite\n  steps: []\n",
        ".github/ISSUE_TEMPLATE.md": "hi\n",
        "scripts/go.sh": "git push origin HEAD\n",
        "big.txt": "x" * (2 * 1024 * 1024),
        "README.md": "tools\n"})


def test_sparse_checkout_and_lazy_reads(sandbox: Sandbox, tmp_path: Path) -> None:
    _seed(sandbox)
    co = gitops.clone(sandbox.git_url("acme", "tools"), tmp_path / "c", BOT)
    rels = (p.relative_to(co.path).as_posix() for p in co.path.rglob("*") if p.is_file())
    present = sorted(r for r in rels if not r.startswith(".git/"))
    assert present == [".github/actions/setup/action.yml", ".github/workflows/ci.yml"]
    sandbox.clear_log()
    assert co.read_text("./scripts/go.sh") == "git push origin HEAD\n"  # fetched on demand
    fetched = sum(e.bytes_out for e in sandbox.access_log)
    assert 0 < fetched < 5000
    # A file a transform asks for is fetched once (git cannot tell a missing blob's size),
    # then refused when over the 1 MiB limit.
    assert co.read_text("big.txt") is None
    sandbox.clear_log()
    assert co.read_text("../etc/passwd") is None and co.read_text("missing") is None
    assert sum(e.bytes_out for e in sandbox.access_log) == 0
    assert "extraheader" not in (co.path / ".git/config").read_text().lower()


def test_commit_identity_push_and_tip(sandbox: Sandbox, tmp_path: Path) -> None:
    _seed(sandbox)
    co = gitops.clone(sandbox.git_url("acme", "tools"), tmp_path / "c", BOT)
    base = co.head
    assert co.remote_tip("fixbot/x") is None
    co.start_branch("fixbot/x")
    (co.path / ".github/workflows/ci.yml").write_text(WORKFLOW + "# more\n")
    tip = co.commit([".github/workflows/ci.yml"], "Change\n")
    assert tip.parents == (base,) and tip.by_fixbot_only
    co.push("fixbot/x", None)
    assert co.remote_tip("fixbot/x") == tip.sha
    (co.path / ".github/workflows/ci.yml").write_text(WORKFLOW + "# again\n")
    co.commit([".github/workflows/ci.yml"], "Again\n")
    with pytest.raises(GitError, match="git push failed: .*stale info"):  # the lease holds
        co.push("fixbot/x", None)
    human = sandbox.push_files("acme", "tools", "fixbot/x", {"n.txt": "n\n"}, "n",
                               author="alice")
    fetched = co.fetch_tip("fixbot/x")
    assert fetched.sha == human and not fetched.by_fixbot_only
    assert fetched.author_email == "alice@users.noreply.sandbox"


def test_clone_errors_do_not_show_the_token(sandbox: Sandbox, tmp_path: Path) -> None:
    with pytest.raises(GitError) as err:
        gitops.clone(sandbox.git_url("acme", "nope"), tmp_path / "c", BOT)
    assert "git clone failed" in str(err.value) and BOT not in str(err.value)


def test_the_token_header_is_scoped_to_the_forge_origin() -> None:
    """The token goes only to the clone URL's origin, never to another host git may contact
    (a submodule, a redirect)."""
    from fixbot.gitops import auth_env

    env = auth_env("tok", "https://user:pw@forge.example:8443/o/r.git")
    keys = [env[f"GIT_CONFIG_KEY_{i}"] for i in range(int(env["GIT_CONFIG_COUNT"]))]
    assert keys == ["http.lowSpeedLimit", "http.lowSpeedTime",
                    "http.https://forge.example:8443/.extraHeader"]
    local = auth_env("tok", "/srv/repos/r.git")  # a local path: no HTTP, the header is harmless
    assert local["GIT_CONFIG_KEY_2"] == "http.extraHeader"
