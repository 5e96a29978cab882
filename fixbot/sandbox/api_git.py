"""REST: the Git Data API (refs, trees, commits, blobs) and file contents, read from bare repos."""

from __future__ import annotations

import base64
import os
import tempfile
from typing import Any

from fixbot.sandbox import payloads as P
from fixbot.sandbox.api_core import (
    ApiError,
    ApiRequest,
    ApiResponse,
    not_found,
    paginate,
    route,
    route_path,
    validation_failed,
)
from fixbot.sandbox.gitstore import BareRepo, GitFailed, git_env

REFS_DOC = "https://docs.github.com/enterprise-server@3.19/rest/git/refs"


def _repo(req: ApiRequest) -> BareRepo:
    return req.repo(req.params["owner"], req.params["repo"])


def _ref_error(message: str, doc: str = REFS_DOC) -> ApiError:
    return ApiError(422, message, documentation_url=doc)


@route_path("GET", "/repos/{owner}/{repo}/git/ref/{ref}")
def get_ref(req: ApiRequest) -> ApiResponse:
    repo = _repo(req)
    full = "refs/" + req.params["ref"]
    sha = repo.ref_sha(full)
    if sha is None:
        raise not_found()
    return ApiResponse(200, P.git_ref(req, repo, full, sha))


@route("GET", "/repos/{owner}/{repo}/git/refs")
def list_refs(req: ApiRequest) -> ApiResponse:
    repo = _repo(req)
    return paginate(req, [P.git_ref(req, repo, r, s) for r, s in repo.refs("refs/")])


@route_path("GET", "/repos/{owner}/{repo}/git/refs/{ref}")
def get_refs_legacy(req: ApiRequest) -> ApiResponse:
    """The legacy plural read: one object on an exact match, else the refs under that prefix."""
    repo = _repo(req)
    full = "refs/" + req.params["ref"]
    sha = repo.ref_sha(full)
    if sha is not None:
        return ApiResponse(200, P.git_ref(req, repo, full, sha))
    matches = [(r, s) for r, s in repo.refs("refs/") if r.startswith(full)]
    if not matches:
        raise not_found()
    return ApiResponse(200, [P.git_ref(req, repo, r, s) for r, s in matches])


@route_path("GET", "/repos/{owner}/{repo}/git/matching-refs/{ref}")
def matching_refs(req: ApiRequest) -> ApiResponse:
    repo = _repo(req)
    full = "refs/" + req.params["ref"]
    return ApiResponse(200, [P.git_ref(req, repo, r, s)
                             for r, s in repo.refs("refs/") if r.startswith(full)])


@route("POST", "/repos/{owner}/{repo}/git/refs")
def create_ref(req: ApiRequest) -> ApiResponse:
    repo = _repo(req)
    ref = req.field("ref", str, required=True)
    sha = req.field("sha", str, required=True)
    if not ref.startswith("refs/") or ref.count("/") < 2:
        raise _ref_error("Reference name must start with 'refs/' and have at least two slashes.")
    if repo.ref_sha(ref) is not None:
        raise _ref_error("Reference already exists")
    if repo.object_type(sha) is None:
        raise _ref_error("Object does not exist")
    try:
        repo.update_ref(ref, sha, "0" * 40)
    except GitFailed as e:
        raise _ref_error("Reference update failed") from e
    return ApiResponse(201, P.git_ref(req, repo, ref, sha),
                       {"Location": P.git_ref(req, repo, ref, sha)["url"]})


@route_path("PATCH", "/repos/{owner}/{repo}/git/refs/{ref}")
def update_ref(req: ApiRequest) -> ApiResponse:
    repo = _repo(req)
    full = "refs/" + req.params["ref"]
    sha = req.field("sha", str, required=True)
    force = bool(req.field("force", bool))
    old = repo.ref_sha(full)
    if old is None:
        raise _ref_error("Reference does not exist")
    if repo.object_type(sha) is None:
        raise _ref_error("Object does not exist")
    if not force and not repo.is_ancestor(old, sha):
        raise _ref_error("Update is not a fast forward")
    repo.update_ref(full, sha, old)
    return ApiResponse(200, P.git_ref(req, repo, full, sha))


@route_path("DELETE", "/repos/{owner}/{repo}/git/refs/{ref}")
def delete_ref(req: ApiRequest) -> ApiResponse:
    repo = _repo(req)
    full = "refs/" + req.params["ref"]
    if repo.ref_sha(full) is None:
        raise _ref_error("Reference does not exist")
    repo.delete_ref(full)
    return ApiResponse(204, None)


@route("GET", "/repos/{owner}/{repo}/git/trees/{sha}")
def get_tree(req: ApiRequest) -> ApiResponse:
    repo = _repo(req)
    tree = repo.resolve(req.params["sha"], "tree")
    if tree is None:
        raise not_found()
    recursive = req.query.get("recursive", "") not in ("", "0", "false")
    items = [P.tree_item(req, repo, e) for e in repo.tree(tree, recursive)]
    return ApiResponse(200, {"sha": tree, "url": f"{req.api}/repos/{repo.full_name}/git/trees/"
                             f"{tree}", "tree": items, "truncated": False})


@route("GET", "/repos/{owner}/{repo}/git/commits/{sha}")
def get_commit(req: ApiRequest) -> ApiResponse:
    repo = _repo(req)
    sha = repo.resolve(req.params["sha"], "commit")
    info = repo.commit(sha) if sha else None
    if info is None:
        raise not_found()
    return ApiResponse(200, P.git_commit(req, repo, info))


@route("GET", "/repos/{owner}/{repo}/git/blobs/{sha}")
def get_blob(req: ApiRequest) -> ApiResponse:
    repo = _repo(req)
    sha = req.params["sha"]
    if repo.object_type(sha) != "blob":
        raise not_found()
    data = repo.blob(sha)
    return ApiResponse(200, {
        "sha": sha, "node_id": P.node_id("Blob", sha), "size": len(data),
        "url": f"{req.api}/repos/{repo.full_name}/git/blobs/{sha}",
        "content": base64.encodebytes(data).decode(), "encoding": "base64",
    })


@route("GET", "/repos/{owner}/{repo}/contents")
def get_root_contents(req: ApiRequest) -> ApiResponse:
    req.params["path"] = ""
    return get_contents(req)


@route_path("GET", "/repos/{owner}/{repo}/contents/{path}")
def get_contents(req: ApiRequest) -> ApiResponse:
    repo = _repo(req)
    ref = req.query.get("ref") or repo.default_branch()
    commit = repo.resolve(ref, "commit")
    if commit is None:
        raise ApiError(404, f"No commit found for the ref {ref}",
                       documentation_url="https://docs.github.com/rest/repos/contents#get-repository-content")
    path = req.params["path"].strip("/")
    entry = repo.entry(commit, path)
    if entry is None:
        raise not_found()
    if entry.type == "tree":
        listing = repo.tree(entry.sha, recursive=False)
        prefix = f"{path}/" if path else ""
        items = [P.content_entry(req, repo, e.__class__(e.mode, e.type, e.sha, e.size,
                                                         prefix + e.path), ref) for e in listing]
        return ApiResponse(200, items)
    return ApiResponse(200, P.content_file(req, repo, entry, ref))


# -- writes: blobs, trees, commits (no clone needed) ------------------------------------------
@route("POST", "/repos/{owner}/{repo}/git/blobs")
def create_blob(req: ApiRequest) -> ApiResponse:
    repo = _repo(req)
    content = req.field("content", str, required=True)
    encoding = req.field("encoding", str) or "utf-8"
    if encoding not in ("utf-8", "base64"):
        raise validation_failed([{"resource": "Blob", "field": "encoding", "code": "invalid"}])
    data = base64.b64decode(content) if encoding == "base64" else content.encode()
    sha = repo.git("hash-object", "-w", "--stdin", input=data).decode().strip()
    return ApiResponse(201, {"url": f"{req.api}/repos/{repo.full_name}/git/blobs/{sha}",
                             "sha": sha})


def _write_tree(repo: BareRepo, base_tree: str | None, items: list[dict[str, Any]]) -> str:
    fd, index = tempfile.mkstemp(prefix="sandbox-index-")
    os.close(fd)
    os.unlink(index)
    env = git_env(repo.root)
    env["GIT_INDEX_FILE"] = index
    import subprocess

    def run(*args: str, data: bytes | None = None) -> str:
        proc = subprocess.run(["git", "--git-dir", str(repo.path), *args], input=data,
                              capture_output=True, env=env)
        if proc.returncode != 0:
            raise GitFailed(proc.stderr.decode(errors="replace"))
        return proc.stdout.decode().strip()

    try:
        if base_tree:
            run("read-tree", base_tree)
        for item in items:
            path, mode = str(item.get("path", "")).strip("/"), str(item.get("mode", "100644"))
            if "content" in item and item["content"] is not None:
                sha = run("hash-object", "-w", "--stdin", data=str(item["content"]).encode())
            elif item.get("sha") is None:
                run("update-index", "--force-remove", "--", path)
                continue
            else:
                sha = str(item["sha"])
            run("update-index", "--add", "--cacheinfo", f"{mode},{sha},{path}")
        return run("write-tree")
    finally:
        if os.path.exists(index):
            os.unlink(index)


@route("POST", "/repos/{owner}/{repo}/git/trees")
def create_tree(req: ApiRequest) -> ApiResponse:
    repo = _repo(req)
    items = req.field("tree", list, required=True)
    base = req.field("base_tree", str)
    if base and repo.resolve(base, "tree") is None:
        raise validation_failed([{"resource": "Tree", "field": "base_tree", "code": "invalid"}])
    try:
        sha = _write_tree(repo, repo.resolve(base, "tree") if base else None, items)
    except GitFailed as e:
        raise validation_failed([{"resource": "Tree", "field": "tree", "code": "invalid"}]) from e
    body = get_tree(ApiRequest(**{**req.__dict__, "params": {**req.params, "sha": sha},
                                  "query": {"recursive": "1"}})).body
    return ApiResponse(201, body)


@route("POST", "/repos/{owner}/{repo}/git/commits")
def create_commit(req: ApiRequest) -> ApiResponse:
    repo = _repo(req)
    message = req.field("message", str, required=True)
    tree = req.field("tree", str, required=True)
    parents = req.field("parents", list) or []
    if repo.object_type(tree) != "tree" or any(repo.object_type(p) != "commit" for p in parents):
        raise validation_failed([{"resource": "Commit", "field": "tree", "code": "invalid"}])
    author = req.field("author", dict) or {}
    committer = req.field("committer", dict) or author
    import subprocess

    env = git_env(repo.root)
    default = {"name": req.login, "email": f"{req.login}@users.noreply.sandbox"}
    for prefix, who in (("AUTHOR", author), ("COMMITTER", committer)):
        env[f"GIT_{prefix}_NAME"] = str(who.get("name") or default["name"])
        env[f"GIT_{prefix}_EMAIL"] = str(who.get("email") or default["email"])
        if who.get("date"):
            env[f"GIT_{prefix}_DATE"] = str(who["date"])
    args = ["git", "--git-dir", str(repo.path), "commit-tree", tree]
    for p in parents:
        args += ["-p", p]
    proc = subprocess.run(args, input=message.encode(), capture_output=True, env=env)
    if proc.returncode != 0:
        raise validation_failed([{"resource": "Commit", "field": "tree", "code": "invalid"}])
    info = repo.commit(proc.stdout.decode().strip())
    assert info is not None
    return ApiResponse(201, P.git_commit(req, repo, info))
