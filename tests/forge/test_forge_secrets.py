"""fixbot.forge.secrets against a live sandbox: names at each level, unreadable lists, storing a
secret that the sandbox's private key opens to the same value, and the value never shown."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from forge_helpers import BOT
from nacl.public import PrivateKey

from fixbot.errors import ForgeError, UsageError
from fixbot.forge import Forge, Policy, TokenCredentials, Visible, create_secret, secret_names
from fixbot.sandbox import Sandbox

VALUE = "xoxb-1234567890-abcdefghijABCDEFGHIJ-sandboxvalue"


def _forge(sb: Sandbox, token: str = BOT) -> Forge:
    return Forge(sb.api_url, TokenCredentials(token), Policy(sleep=lambda _s: None))


@pytest.fixture
def acme(tmp_path: Path) -> Iterator[Sandbox]:
    """A sandbox with an access log file, the bot's classic token and two repositories."""
    with Sandbox(tmp_path / "forge", access_log=tmp_path / "access.log") as sb:
        sb.add_token("fixbot-bot", BOT)
        sb.create_repo("acme", "widgets", {"README.md": "x\n"})
        sb.create_repo("acme", "vault", {"README.md": "x\n"}, private=True)
        yield sb


def test_names_at_each_level(acme: Sandbox) -> None:
    acme.add_secret("acme/widgets", "NPM_TOKEN")
    acme.add_secret("acme/widgets", "DEPLOY_KEY", environment="production")
    acme.add_environment("acme/widgets", "staging")
    acme.add_org_secret("acme", "ORG_ALL")
    acme.add_org_secret("acme", "ORG_PRIVATE", visibility="private")
    acme.add_org_secret("acme", "ORG_PICKED", visibility="selected", repos=["vault"])
    seen = secret_names(_forge(acme), "acme/widgets")
    assert seen == Visible(repository=("NPM_TOKEN",),
                           environments=(("production", ("DEPLOY_KEY",)), ("staging", ())),
                           organization=("ORG_ALL",), unreadable=())
    assert seen.complete
    assert seen.has("npm_token") is True  # workflows match names case-insensitively
    assert seen.has("DEPLOY_KEY") is False and seen.has("DEPLOY_KEY", "production") is True
    assert seen.has("ORG_PICKED") is False
    vault = secret_names(_forge(acme), "acme/vault")
    assert vault.organization == ("ORG_ALL", "ORG_PICKED", "ORG_PRIVATE")
    assert vault.repository == () and vault.environments == ()


def test_a_users_repository_has_no_organisation_list(acme: Sandbox) -> None:
    alice = acme.add_token("alice")
    acme.create_repo("alice", "dotfiles", {"README.md": "x\n"})
    seen = secret_names(_forge(acme, alice), "alice/dotfiles")
    assert seen == Visible() and seen.complete
    assert not any(e.path.endswith("/organization-secrets") for e in acme.access_log)


def test_lists_that_cannot_be_read_are_unreadable_not_empty(acme: Sandbox) -> None:
    acme.add_secret("acme/widgets", "NPM_TOKEN")
    acme.add_secret("acme/widgets", "DEPLOY_KEY", environment="production")
    narrow = acme.add_token("carol", permissions={"contents": "write", "secrets": "read"})
    seen = secret_names(_forge(acme, narrow), "acme/widgets")
    assert seen.repository == ("NPM_TOKEN",)
    assert seen.environments == ()
    assert seen.unreadable == (
        "secrets of environment production: 403 Resource not accessible by personal access token",)
    assert not seen.complete
    assert seen.has("NPM_TOKEN") is True
    assert seen.has("DEPLOY_KEY", "production") is None  # unknown, not missing
    assert seen.has("DEPLOY_KEY") is False  # a job without that environment cannot use it
    none = acme.add_token("dave", permissions={"contents": "write"})
    blind = secret_names(_forge(acme, none), "acme/widgets")
    assert blind.repository == () and blind.has("NPM_TOKEN") is None
    assert [line.split(":")[0] for line in blind.unreadable] == [
        "repository secrets", "secrets of environment production", "organization secrets"]


def test_an_app_installation_without_the_permission(acme: Sandbox) -> None:
    installation = acme.add_installation("acme")  # the App's defaults: no secrets permission
    token = "ghs_" + "a" * 36
    acme.server.forge.store.add_token("fixbot-sandbox[bot]", token,
                                      installation_id=installation, account_type="Bot")
    seen = secret_names(_forge(acme, token), "acme/widgets")
    assert "repository secrets: 403 Resource not accessible by integration" in seen.unreadable
    with pytest.raises(ForgeError) as err:
        create_secret(_forge(acme, token), "acme/widgets", "NEW", VALUE)
    assert "403" in str(err.value)
    assert VALUE not in str(err.value) and VALUE not in repr(err.value)


def test_other_failures_raise(acme: Sandbox) -> None:
    acme.inject_fault(r"/actions/secrets$", "500", count=10)
    with pytest.raises(ForgeError, match="repository secrets"):
        secret_names(_forge(acme), "acme/widgets")


def test_create_then_decrypt_with_the_sandbox_private_key(acme: Sandbox) -> None:
    forge = _forge(acme)
    create_secret(forge, "acme/widgets", "SLACK_TOKEN", VALUE)
    assert acme.read_secret("acme/widgets", "SLACK_TOKEN") == VALUE
    assert secret_names(forge, "acme/widgets").has("SLACK_TOKEN") is True
    create_secret(forge, "acme/widgets", "SLACK_TOKEN", "rotated")  # an update: 204
    assert acme.read_secret("acme/widgets", "SLACK_TOKEN") == "rotated"
    acme.add_environment("acme/widgets", "prod")
    create_secret(forge, "acme/widgets", "ENV_TOKEN", VALUE, environment="prod")
    assert acme.read_secret("acme/widgets", "ENV_TOKEN", environment="prod") == VALUE
    puts = [(e.method, e.status) for e in acme.access_log if e.method == "PUT"]
    assert puts == [("PUT", 201), ("PUT", 204), ("PUT", 201)]


def test_the_value_is_never_shown(acme: Sandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                  capfd: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)  # PyGithub logs requests at DEBUG
    forge = _forge(acme)
    create_secret(forge, "acme/widgets", "SLACK_TOKEN", VALUE)
    failures: list[BaseException] = []
    for name, kw in (("NO_SUCH_ENV", {"environment": "nope"}), ("GITHUB_X", {}), ("OK", {})):
        if name == "OK":
            acme.inject_fault(r"/actions/secrets/OK$", "500", count=10, method="PUT")
        try:
            create_secret(forge, "acme/widgets", name, VALUE, **kw)
        except (ForgeError, UsageError) as failure:
            failures.append(failure)
    with pytest.raises(ForgeError):
        create_secret(_forge(acme), "acme/missing", "X", VALUE)
    assert len(failures) == 3
    for caught in failures:
        chain: BaseException | None = caught
        while chain is not None:
            assert VALUE not in str(chain) and VALUE not in repr(chain)
            chain = chain.__cause__ or chain.__context__
    out, err = capfd.readouterr()
    assert VALUE not in out + err + caplog.text
    assert VALUE not in (tmp_path / "access.log").read_text()
    assert "SLACK_TOKEN" in (tmp_path / "access.log").read_text()


def test_a_value_the_forge_cannot_open_is_refused_once_retried(acme: Sandbox) -> None:
    forge = _forge(acme)
    create_secret(forge, "acme/widgets", "FIRST", VALUE)
    stranger = base64.b64encode(bytes(PrivateKey.generate())).decode()
    with acme.server.forge.store.tx() as db:  # the forge's private half no longer matches
        db.execute("UPDATE secret_keys SET private_key = ? WHERE scope = 'repo:acme/widgets'",
                   (stranger,))
    with pytest.raises(ForgeError, match="422") as err:
        create_secret(forge, "acme/widgets", "SECOND", VALUE)
    assert VALUE not in str(err.value)
    # the key is fetched again once (it may have been replaced in between), then fixbot stops
    assert [e.status for e in acme.access_log if e.method == "PUT"] == [201, 422, 422]


def test_visible_repr_holds_names_only(acme: Sandbox) -> None:
    acme.add_secret("acme/widgets", "NPM_TOKEN", VALUE)
    assert VALUE not in repr(secret_names(_forge(acme), "acme/widgets"))
