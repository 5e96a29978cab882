"""Credentials and forge URL from the environment (no network)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixbot.errors import UsageError
from fixbot.forge import AppCredentials, TokenCredentials, api_url, from_env


def test_token_order() -> None:
    assert from_env({"FIXBOT_TOKEN": "a", "GITHUB_TOKEN": "b"}) == TokenCredentials("a")
    assert from_env({"GITHUB_TOKEN": "b"}) == TokenCredentials("b", "GITHUB_TOKEN")
    # An explicitly configured App wins over the ambient GITHUB_TOKEN of Actions jobs.
    app = from_env({"GITHUB_TOKEN": "b", "FIXBOT_APP_ID": "7", "FIXBOT_APP_PRIVATE_KEY": "K"})
    assert app == AppCredentials("7", "K")


def test_app_key_from_file_and_escaped_newlines(tmp_path: Path) -> None:
    key = tmp_path / "k.pem"
    key.write_text("-----BEGIN-----\nabc\n")
    assert from_env({"FIXBOT_APP_ID": "7", "FIXBOT_APP_PRIVATE_KEY_FILE": str(key)}) == \
        AppCredentials("7", "-----BEGIN-----\nabc\n")
    assert from_env({"FIXBOT_APP_ID": "7", "FIXBOT_APP_PRIVATE_KEY": "a\\nb"}) == \
        AppCredentials("7", "a\nb")


@pytest.mark.parametrize("env,message", [
    ({}, "no credentials: set FIXBOT_TOKEN"),
    ({"FIXBOT_APP_ID": "7"}, "FIXBOT_APP_ID is set but neither"),
    ({"FIXBOT_APP_ID": "7", "FIXBOT_APP_PRIVATE_KEY_FILE": "/nonexistent/k.pem"},
     "FIXBOT_APP_PRIVATE_KEY_FILE: cannot read /nonexistent/k.pem"),
])
def test_missing_credentials(env: dict[str, str], message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        from_env(env)


def test_secrets_are_not_in_repr() -> None:
    assert "s3cret" not in repr(TokenCredentials("s3cret"))
    assert "s3cret" not in repr(AppCredentials("1", "s3cret"))


def test_api_url_order() -> None:
    assert api_url(None, {}) == "https://api.github.com"
    assert api_url(None, {"GITHUB_API_URL": "https://ghe.example/api/v3/"}) == \
        "https://ghe.example/api/v3"
    assert api_url("http://127.0.0.1:1/api/v3", {"GITHUB_API_URL": "https://x"}) == \
        "http://127.0.0.1:1/api/v3"
    with pytest.raises(UsageError):
        api_url("ftp://x", {})
