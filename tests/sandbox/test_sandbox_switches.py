"""Sandbox test switches: a fault answered after the request was carried out, and expiring
the App's installation tokens on demand."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from github import Auth, BadCredentialsException, GithubException, GithubIntegration
from sandbox_helpers import BOT_TOKEN, make_client

from fixbot.sandbox import Sandbox


def test_500_after_carries_the_request_out_then_answers_500(sandbox: Sandbox) -> None:
    sandbox.create_repo("acme", "w", {"README.md": "x\n"})
    sandbox.push_files("acme", "w", "topic", {"a.txt": "a\n"}, "a", author="fixbot-bot")
    repo = make_client(sandbox).get_repo("acme/w")
    sandbox.inject_fault(r"/pulls$", "500-after", count=1, method="POST")
    with pytest.raises(GithubException) as err:
        repo.create_pull(base="main", head="topic", title="T", body="B")
    assert err.value.status == 500
    assert [(p.number, p.title) for p in repo.get_pulls(state="all")] == [(1, "T")]
    assert [e.line() for e in sandbox.access_log if e.method == "POST"] == [
        "POST /api/v3/repos/acme/w/pulls 500"]


def test_expire_installation_tokens(sandbox: Sandbox) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    sandbox.configure_app(9, key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    sandbox.add_installation("acme", 5)
    sandbox.create_repo("acme", "w", {"README.md": "x\n"})
    app = GithubIntegration(auth=Auth.AppAuth(9, pem), base_url=sandbox.api_url, retry=None)
    token = app.get_access_token(5).token
    assert make_client(sandbox, token).get_repo("acme/w").full_name == "acme/w"
    assert sandbox.expire_installation_tokens() == 1
    assert sandbox.expire_installation_tokens() == 0
    with pytest.raises(BadCredentialsException):
        make_client(sandbox, token).get_repo("acme/w")
    assert make_client(sandbox, BOT_TOKEN).get_repo("acme/w").full_name == "acme/w"
    fresh = app.get_access_token(5).token
    assert make_client(sandbox, fresh).get_repo("acme/w").full_name == "acme/w"
