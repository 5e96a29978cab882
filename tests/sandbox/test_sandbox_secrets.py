"""The sandbox's Actions secrets: keys, sealed values, the three levels, permissions like GitHub."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from nacl.public import PrivateKey, PublicKey, SealedBox
from sandbox_helpers import BOT_TOKEN, make_client

from fixbot.sandbox import Sandbox, secret_box
from fixbot.sandbox.store import Store

VALUE = "ghp_sandboxSecretValue1234567890abcdefXYZ"


def call(sb: Sandbox, method: str, path: str, body: Any = None,
         token: str = BOT_TOKEN) -> tuple[int, Any, dict[str, str]]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(sb.api_url + path, method=method, data=data,
                                 headers={"Authorization": f"token {token}",
                                          "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req) as resp:
            status, raw, headers = resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as e:
        status, raw, headers = e.code, e.read(), dict(e.headers)
    return status, (json.loads(raw) if raw else None), headers


def sealed(key_b64: str, value: str) -> str:
    return base64.b64encode(SealedBox(PublicKey(base64.b64decode(key_b64))).encrypt(
        value.encode())).decode()


@pytest.fixture
def acme(sandbox: Sandbox) -> Sandbox:
    sandbox.create_repo("acme", "widgets", {"README.md": "x\n"})
    sandbox.create_repo("acme", "vault", {"README.md": "x\n"}, private=True)
    return sandbox


def test_public_key_is_made_once_per_repository(acme: Sandbox) -> None:
    status, first, _ = call(acme, "GET", "/repos/acme/widgets/actions/secrets/public-key")
    assert status == 200 and set(first) == {"key_id", "key"}
    assert len(base64.b64decode(first["key"])) == 32  # a Curve25519 public key
    assert call(acme, "GET", "/repos/acme/widgets/actions/secrets/public-key")[1] == first
    other = call(acme, "GET", "/repos/acme/vault/actions/secrets/public-key")[1]
    assert other["key"] != first["key"] and other["key_id"] != first["key_id"]


def test_put_creates_then_updates_and_decrypts_with_the_private_key(acme: Sandbox) -> None:
    key = call(acme, "GET", "/repos/acme/widgets/actions/secrets/public-key")[1]
    body = {"encrypted_value": sealed(key["key"], VALUE), "key_id": key["key_id"]}
    status, reply, _ = call(acme, "PUT", "/repos/acme/widgets/actions/secrets/npm_token", body)
    assert (status, reply) == (201, {})
    assert acme.read_secret("acme/widgets", "NPM_TOKEN") == VALUE
    body = {"encrypted_value": sealed(key["key"], "v2"), "key_id": key["key_id"]}
    assert call(acme, "PUT", "/repos/acme/widgets/actions/secrets/NPM_TOKEN", body)[:2] == (
        204, None)
    assert acme.read_secret("acme/widgets", "npm_token") == "v2"
    status, got, _ = call(acme, "GET", "/repos/acme/widgets/actions/secrets/npm_token")
    assert status == 200 and got["name"] == "NPM_TOKEN" and set(got) == {
        "name", "created_at", "updated_at"}
    assert call(acme, "DELETE", "/repos/acme/widgets/actions/secrets/NPM_TOKEN")[0] == 204
    assert call(acme, "GET", "/repos/acme/widgets/actions/secrets/NPM_TOKEN")[0] == 404
    assert call(acme, "DELETE", "/repos/acme/widgets/actions/secrets/NPM_TOKEN")[0] == 404


@pytest.mark.parametrize("case", ["wrong key_id", "other key", "not base64", "garbage box",
                                  "missing key_id", "bad name"])
def test_put_rejects_what_it_cannot_open_with_422(acme: Sandbox, case: str) -> None:
    key = call(acme, "GET", "/repos/acme/widgets/actions/secrets/public-key")[1]
    stranger = base64.b64encode(bytes(PrivateKey.generate().public_key)).decode()
    good = sealed(key["key"], VALUE)
    name, body = "TOKEN", {"encrypted_value": good, "key_id": key["key_id"]}
    if case == "wrong key_id":
        body["key_id"] = "12345"
    elif case == "other key":
        body["encrypted_value"] = sealed(stranger, VALUE)
    elif case == "not base64":
        body["encrypted_value"] = "%%%"
    elif case == "garbage box":
        body["encrypted_value"] = base64.b64encode(b"x" * 80).decode()
    elif case == "missing key_id":
        del body["key_id"]
    else:
        name = "GITHUB_TOKEN"
    status, reply, _ = call(acme, "PUT", f"/repos/acme/widgets/actions/secrets/{name}", body)
    assert status == 422 and reply["message"] == "Validation Failed"
    assert VALUE not in json.dumps(reply)
    assert call(acme, "GET", "/repos/acme/widgets/actions/secrets")[1]["total_count"] == 0


def test_lists_at_each_level_with_pyGithub(acme: Sandbox) -> None:
    acme.add_secret("acme/widgets", "NPM_TOKEN", VALUE)
    acme.add_secret("acme/widgets", "DEPLOY_KEY", environment="production")
    acme.add_environment("acme/widgets", "staging")
    acme.add_org_secret("acme", "ORG_ALL")
    acme.add_org_secret("acme", "ORG_PRIVATE", visibility="private")
    acme.add_org_secret("acme", "ORG_PICKED", visibility="selected", repos=["vault"])
    gh = make_client(acme)
    repo = gh.get_repo("acme/widgets")
    assert [s.name for s in repo.get_secrets()] == ["NPM_TOKEN"]
    envs = {e.name: sorted(s.name for s in e.get_secrets()) for e in repo.get_environments()}
    assert envs == {"production": ["DEPLOY_KEY"], "staging": []}
    assert {(s.name, s.visibility) for s in gh.get_organization("acme").get_secrets()} == {
        ("ORG_ALL", "all"), ("ORG_PRIVATE", "private"), ("ORG_PICKED", "selected")}
    for full, expected in (("acme/widgets", ["ORG_ALL"]),
                           ("acme/vault", ["ORG_ALL", "ORG_PICKED", "ORG_PRIVATE"])):
        status, reply, _ = call(acme, "GET", f"/repos/{full}/actions/organization-secrets")
        assert status == 200 and [s["name"] for s in reply["secrets"]] == expected
    assert acme.read_secret("acme/widgets", "DEPLOY_KEY", environment="production") == "seeded"
    assert acme.read_org_secret("acme", "ORG_ALL") == "seeded"


def test_secret_lists_paginate_like_github(acme: Sandbox) -> None:
    for i in range(5):
        acme.add_secret("acme/widgets", f"S{i}")
    status, page2, headers = call(acme, "GET", "/repos/acme/widgets/actions/secrets?per_page=2&page=2")
    assert status == 200 and page2["total_count"] == 5
    assert [s["name"] for s in page2["secrets"]] == ["S2", "S3"]
    assert 'rel="next"' in headers["Link"] and 'rel="last"' in headers["Link"]
    assert make_client(acme).get_repo("acme/widgets").get_secrets().totalCount == 5


def test_environment_secrets_need_an_existing_environment(acme: Sandbox) -> None:
    assert call(acme, "GET", "/repos/acme/widgets/environments/nope/secrets")[0] == 404
    acme.add_environment("acme/widgets", "prod env")
    status, reply, _ = call(acme, "GET", "/repos/acme/widgets/environments/prod%20env/secrets")
    assert (status, reply) == (200, {"total_count": 0, "secrets": []})
    key = call(acme, "GET", "/repos/acme/widgets/environments/prod%20env/secrets/public-key")[1]
    assert key != call(acme, "GET", "/repos/acme/widgets/actions/secrets/public-key")[1]
    body = {"encrypted_value": sealed(key["key"], VALUE), "key_id": key["key_id"]}
    assert call(acme, "PUT", "/repos/acme/widgets/environments/prod%20env/secrets/X",
                body)[0] == 201
    assert acme.read_secret("acme/widgets", "X", environment="prod env") == VALUE


def test_tokens_without_the_right_get_403_like_github(acme: Sandbox) -> None:
    narrow = acme.add_token("carol", permissions={"contents": "write", "metadata": "read"})
    status, reply, headers = call(acme, "GET", "/repos/acme/widgets/actions/secrets", token=narrow)
    assert status == 403
    assert reply["message"] == "Resource not accessible by personal access token"
    assert headers["X-Accepted-GitHub-Permissions"] == "secrets=read"
    reader = acme.add_token("dave", permissions={"secrets": "read"})
    assert call(acme, "GET", "/repos/acme/widgets/actions/secrets", token=reader)[0] == 200
    assert call(acme, "DELETE", "/repos/acme/widgets/actions/secrets/X", token=reader)[0] == 403
    # environments are listed with read access; their secrets need "environments"
    acme.add_environment("acme/widgets", "prod")
    assert call(acme, "GET", "/repos/acme/widgets/environments", token=narrow)[0] == 200
    assert call(acme, "GET", "/repos/acme/widgets/environments/prod/secrets",
                token=reader)[0] == 403
    assert call(acme, "GET", "/orgs/acme/actions/secrets", token=reader)[0] == 403


def _installation_token(sb: Sandbox, permissions: dict[str, str] | None) -> str:
    installation = sb.add_installation("acme", permissions=permissions)
    token = "ghs_" + "i" * 36 + str(installation)
    sb.server.forge.store.add_token("fixbot-sandbox[bot]", token, installation_id=installation,
                                    account_type="Bot")
    return token


def test_an_app_without_secrets_permission_is_refused(acme: Sandbox) -> None:
    token = _installation_token(acme, None)  # the App's defaults hold no secrets permission
    status, reply, _ = call(acme, "GET", "/repos/acme/widgets/actions/secrets", token=token)
    assert (status, reply["message"]) == (403, "Resource not accessible by integration")
    assert call(acme, "GET", "/repos/acme/widgets/actions/organization-secrets",
                token=token)[0] == 403
    granted = _installation_token(acme, {"secrets": "write", "organization_secrets": "read"})
    assert call(acme, "GET", "/repos/acme/widgets/actions/secrets", token=granted)[0] == 200
    assert call(acme, "GET", "/orgs/acme/actions/secrets", token=granted)[0] == 200


def test_values_stay_out_of_the_access_log(tmp_path: Path, acme: Sandbox) -> None:
    key = call(acme, "GET", "/repos/acme/widgets/actions/secrets/public-key")[1]
    for key_id in ("nope", key["key_id"]):
        call(acme, "PUT", "/repos/acme/widgets/actions/secrets/T",
             {"encrypted_value": sealed(key["key"], VALUE), "key_id": key_id})
    log = (tmp_path / "access.log").read_text()
    assert "PUT /api/v3/repos/acme/widgets/actions/secrets/T 422" in log
    assert "PUT /api/v3/repos/acme/widgets/actions/secrets/T 201" in log
    assert VALUE not in log
    raw = (tmp_path / "forge" / "forge.sqlite3").read_bytes()
    assert VALUE.encode() not in raw  # only the sealed box is stored


def test_people_can_seed_through_a_store_of_a_served_root(acme: Sandbox) -> None:
    other = Store(acme.root / "forge.sqlite3")  # as a second process would
    try:
        secret_box.add_repo_secret(other, "acme/widgets", "FROM_A_PERSON", "p")
        secret_box.add_environment_secret(other, "acme/widgets", "prod", "ENV_ONE")
        secret_box.add_org_secret(other, "acme", "ORG_ONE", visibility="selected",
                                  repos=["acme/widgets"])
        with pytest.raises(ValueError):
            secret_box.add_repo_secret(other, "acme/widgets", "1BAD")
    finally:
        other.close()
    repo = make_client(acme).get_repo("acme/widgets")
    assert [s.name for s in repo.get_secrets()] == ["FROM_A_PERSON"]
    reply = call(acme, "GET", "/repos/acme/widgets/actions/organization-secrets")[1]
    assert [s["name"] for s in reply["secrets"]] == ["ORG_ONE"]
    assert acme.read_secret("acme/widgets", "FROM_A_PERSON") == "p"
