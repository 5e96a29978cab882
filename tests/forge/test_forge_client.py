"""The forge client against the sandbox: typed values, lookups, retries and error mapping."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from forge_helpers import BOT, HUMAN

from fixbot.errors import ForgeError, RateLimited
from fixbot.forge import AppCredentials, Forge, Policy, TokenCredentials
from fixbot.sandbox import Sandbox

BRANCH = "fixbot/harden-workflows"


def _forge(sb: Sandbox, waits: list[float] | None = None, **kw: object) -> Forge:
    sleep = waits.append if waits is not None else (lambda _s: None)
    return Forge(sb.api_url, TokenCredentials(BOT), Policy(sleep=sleep, **kw))  # type: ignore


def test_repo_info(sandbox: Sandbox) -> None:
    sandbox.create_repo("acme", "widgets", {"README.md": "x\n"}, branch="trunk", archived=True)
    info = _forge(sandbox).repo("acme/widgets")
    assert (info.full_name, info.default_branch, info.archived, info.disabled) == (
        "acme/widgets", "trunk", True, False)
    assert info.clone_url == f"{sandbox.url}/acme/widgets.git"


def test_pull_lookup_open_twice_comments_and_close(sandbox: Sandbox) -> None:
    sandbox.create_repo("acme", "widgets", {"README.md": "x\n"})
    sandbox.push_files("acme", "widgets", BRANCH, {"a.txt": "a\n"}, "a", author="fixbot-bot")
    sandbox.push_files("acme", "widgets", "other", {"b.txt": "b\n"}, "b", author="alice")
    forge = _forge(sandbox)
    first = forge.open_pull("acme/widgets", "main", BRANCH, "T", "B", "fixbot")
    Forge(sandbox.api_url, TokenCredentials(HUMAN)).open_pull(
        "acme/widgets", "main", "other", "theirs", "", "x")
    # A second open (e.g. a retried POST) finds the existing pull request.
    again = forge.open_pull("acme/widgets", "main", BRANCH, "T2", "B2", "fixbot")
    assert again.number == first.number == 1
    pulls = _forge(sandbox).pulls("acme/widgets", BRANCH)
    assert [(p.number, p.title, p.body, p.state, p.merged) for p in pulls] == [
        (1, "T2", "B2", "open", False)]
    assert not forge.has_comment("acme/widgets", 1, "<!-- m -->")
    forge.comment("acme/widgets", 1, "hello <!-- m -->", "<!-- m -->")
    assert forge.has_comment("acme/widgets", 1, "<!-- m -->")
    forge.edit_pull("acme/widgets", 1, state="closed")
    assert _forge(sandbox).pulls("acme/widgets", BRANCH)[0].state == "closed"


def test_secondary_limit_waits_retry_after(sandbox: Sandbox) -> None:
    sandbox.create_repo("acme", "widgets", {"README.md": "x\n"})
    sandbox.inject_fault(r"^/api/v3/repos/acme/widgets$", "secondary", count=2, retry_after=7)
    waits: list[float] = []
    assert _forge(sandbox, waits).repo("acme/widgets").full_name == "acme/widgets"
    assert waits == [7.0, 7.0]


def test_primary_limit_waits_until_reset_within_cap(sandbox: Sandbox) -> None:
    sandbox.create_repo("acme", "widgets", {"README.md": "x\n"})
    sandbox.inject_fault(r"^/api/v3/repos/acme/widgets$", "primary", count=1, reset_in=20)
    waits: list[float] = []
    _forge(sandbox, waits).repo("acme/widgets")
    assert len(waits) == 1 and 19 <= waits[0] <= 22


def test_primary_limit_beyond_cap_raises(sandbox: Sandbox) -> None:
    sandbox.create_repo("acme", "widgets", {"README.md": "x\n"})
    sandbox.inject_fault(r"^/api/v3/repos/acme/widgets$", "primary", count=1, reset_in=900)
    waits: list[float] = []
    with pytest.raises(RateLimited, match="resets in 9"):
        _forge(sandbox, waits, max_wait=60).repo("acme/widgets")
    assert waits == []


def test_server_errors_back_off_exponentially(sandbox: Sandbox) -> None:
    sandbox.create_repo("acme", "widgets", {"README.md": "x\n"})
    sandbox.inject_fault(r"^/api/v3/repos/acme/widgets$", "500", count=3)
    waits: list[float] = []
    _forge(sandbox, waits, backoff=0.5).repo("acme/widgets")
    assert waits == [0.5, 1.0, 2.0]


@pytest.mark.parametrize("token,full,message", [
    ("ghp_wrong", "acme/widgets", "acme/widgets: get repository: authentication failed (401"),
    (BOT, "acme/missing", "acme/missing: get repository: not found (404)"),
])
def test_errors_name_the_repository(sandbox: Sandbox, token: str, full: str,
                                    message: str) -> None:
    sandbox.create_repo("acme", "widgets", {"README.md": "x\n"})
    forge = Forge(sandbox.api_url, TokenCredentials(token), Policy(sleep=lambda _s: None))
    with pytest.raises(ForgeError) as err:
        forge.repo(full)
    assert str(err.value).startswith(message)
    assert token not in str(err.value)


@pytest.mark.parametrize("ttl,mints", [(3600, 1), (120, 3)])
def test_installation_tokens_are_cached_per_owner_until_near_expiry(
        tmp_path: Path, ttl: int, mints: int) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    with Sandbox(tmp_path / "f", token_ttl=ttl) as sb:
        sb.configure_app(9, public)
        sb.add_installation("acme", 5)
        sb.create_repo("acme", "a", {"README.md": "a\n"})
        sb.create_repo("acme", "b", {"README.md": "b\n"})
        forge = Forge(sb.api_url, AppCredentials("9", pem))
        first = forge.git_token("acme/a")
        assert forge.repo("acme/b").full_name == "acme/b"
        # A token closer than 5 minutes to expiry is renewed before every use.
        assert (forge.git_token("acme/b") == first) == (mints == 1)
        minted = [e for e in sb.access_log if e.path.endswith("/access_tokens")]
        assert len(minted) == mints


def test_an_actions_file_is_read_with_a_renewed_token_of_the_installation_fixbot_has(
        tmp_path: Path) -> None:
    """An action's repository belongs to an owner the App is not installed on. With tokens that
    live less than the renewal margin, fixbot renews the installation it has to read it (an
    installation token reads public repositories), rather than ask for one that owner never had."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    with Sandbox(tmp_path / "f", token_ttl=120) as sb:
        sb.configure_app(9, public)
        sb.add_installation("acme", 5)
        sb.create_repo("acme", "a", {"README.md": "a\n"})
        sb.create_repo("actions", "checkout", {"action.yml": "name: checkout\n"})
        forge = Forge(sb.api_url, AppCredentials("9", pem))
        assert forge.repo("acme/a").full_name == "acme/a"
        # no "the App is not installed on actions/checkout" error: the sandbox's installation
        # token does not see another owner's repository, so the file is simply not found
        assert forge.file_text("actions/checkout", "action.yml", "main") is None
        asked = [e.path for e in sb.access_log if e.path.endswith("/installation")]
        assert asked == ["/api/v3/repos/acme/a/installation", "/api/v3/orgs/acme/installation"]
