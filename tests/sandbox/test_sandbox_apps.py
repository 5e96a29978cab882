"""The GitHub App flow: RS256 JWT, installation tokens, installation-scoped access."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from github import Auth, BadCredentialsException, Github, GithubException, GithubIntegration
from github.Auth import AppAuth

from fixbot.sandbox import Sandbox

APP_ID = 4242


@pytest.fixture(scope="module")
def key_pair() -> tuple[str, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


@pytest.fixture
def app_sandbox(sandbox: Sandbox, key_pair: tuple[str, bytes]) -> Sandbox:
    sandbox.configure_app(APP_ID, key_pair[1])
    sandbox.create_repo("acme", "widgets", {"README.md": "hi\n"})
    sandbox.create_repo("acme", "gadgets", {"README.md": "hi\n"})
    sandbox.create_repo("other", "secret", {"README.md": "no\n"})
    sandbox.add_installation("acme", 77)
    return sandbox


def _integration(sb: Sandbox, private: str, app_id: int = APP_ID) -> GithubIntegration:
    return GithubIntegration(auth=AppAuth(app_id, private), base_url=sb.api_url, retry=None,
                             seconds_between_requests=None, seconds_between_writes=None)


def test_installation_token_flow(app_sandbox: Sandbox, key_pair: tuple[str, bytes], git,
                                 tmp_path: Path) -> None:
    integration = _integration(app_sandbox, key_pair[0])
    installations = list(integration.get_installations())
    assert [(i.id, i.target_type) for i in installations] == [(77, "Organization")]
    assert integration.get_repo_installation("acme", "widgets").id == 77
    assert integration.get_org_installation("acme").id == 77

    token = integration.get_access_token(77)
    assert token.token.startswith("ghs_") and len(token.token) == 40
    assert 3500 < token.expires_at.timestamp() - time.time() <= 3600

    gh = integration.get_github_for_installation(77)
    assert gh.get_repo("acme/widgets").full_name == "acme/widgets"
    with pytest.raises(GithubException) as err:
        gh.get_repo("other/secret")  # outside the installation: invisible
    assert err.value.status == 404

    inst_gh = Github(auth=AppAuth(APP_ID, key_pair[0]).get_installation_auth(77),
                     base_url=app_sandbox.api_url, retry=None, seconds_between_requests=None,
                     seconds_between_writes=None)
    repos = inst_gh.get_repo("acme/widgets")  # mints its own token
    assert repos.permissions.admin is False and repos.permissions.push is True
    installation = integration.get_app_installation(77)
    assert sorted(r.full_name for r in installation.get_repos()) == ["acme/gadgets", "acme/widgets"]

    # the installation token works for git as x-access-token, like on GitHub
    git("clone", app_sandbox.git_url("acme", "widgets"), str(tmp_path / "c"), token=token.token)
    assert (tmp_path / "c" / "README.md").read_text() == "hi\n"
    denied = git("clone", app_sandbox.git_url("other", "secret"), str(tmp_path / "d"),
                 token=token.token, check=False)
    assert denied.returncode == 128


def test_selected_repositories_installation(app_sandbox: Sandbox, key_pair: tuple[str, bytes]) -> None:
    app_sandbox.add_installation("acme", 78, repos=["gadgets"])
    gh = _integration(app_sandbox, key_pair[0]).get_github_for_installation(78)
    assert gh.get_repo("acme/gadgets").name == "gadgets"
    with pytest.raises(GithubException):
        gh.get_repo("acme/widgets")


def test_jwt_signed_by_another_key_or_app_is_rejected(app_sandbox: Sandbox,
                                                     key_pair: tuple[str, bytes]) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    for integration in (_integration(app_sandbox, other), _integration(app_sandbox, key_pair[0], 999)):
        with pytest.raises(GithubException) as err:
            integration.get_access_token(77)
        assert err.value.status == 401
        assert err.value.data["message"] == "A JSON web token could not be decoded"


def test_expired_installation_token_is_bad_credentials(tmp_path: Path,
                                                       key_pair: tuple[str, bytes]) -> None:
    with Sandbox(tmp_path / "f", app_id=APP_ID, app_public_key=key_pair[1], token_ttl=1) as sb:
        sb.create_repo("acme", "widgets", {"README.md": "hi\n"})
        sb.add_installation("acme", 5)
        token = _integration(sb, key_pair[0]).get_access_token(5).token
        gh = Github(auth=Auth.Token(token), base_url=sb.api_url, retry=None,
                    seconds_between_requests=None, seconds_between_writes=None)
        assert gh.get_repo("acme/widgets").name == "widgets"
        time.sleep(1.2)
        with pytest.raises(BadCredentialsException):
            gh.get_repo("acme/widgets")
