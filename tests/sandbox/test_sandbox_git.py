"""Git smart HTTP against the sandbox with real git: auth, clone, partial + sparse clone, push."""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from pathlib import Path

from sandbox_helpers import BOT_TOKEN, HUMAN_TOKEN, WORKFLOW

from fixbot.sandbox import Sandbox


def _git_entries(sb: Sandbox) -> list[tuple[str, str, int]]:
    return [(e.method, e.path, e.status) for e in sb.access_log if "/api/" not in e.path]


def test_unauthenticated_request_gets_github_challenge(sandbox: Sandbox) -> None:
    sandbox.create_repo("acme", "widgets", {"README.md": "hi\n"})
    url = sandbox.git_url("acme", "widgets") + "/info/refs?service=git-upload-pack"
    try:
        urllib.request.urlopen(url)
        raise AssertionError("expected 401")
    except urllib.error.HTTPError as e:
        assert e.code == 401
        assert e.headers["WWW-Authenticate"] == 'Basic realm="GitHub"'
        assert e.headers["Content-Length"] == str(len(e.read()))


def test_clone_without_token_fails_and_with_token_in_url_works(sandbox: Sandbox, git, tmp_path: Path) -> None:
    sandbox.create_repo("acme", "widgets", {"README.md": "hi\n", ".github/workflows/ci.yml": WORKFLOW})
    url = sandbox.git_url("acme", "widgets")
    denied = git("clone", url, str(tmp_path / "denied"), check=False)
    assert denied.returncode == 128
    assert _git_entries(sandbox) == [("GET", "/acme/widgets.git/info/refs", 401)]

    bad = git("clone", url.replace("http://", "http://x-access-token:ghp_wrong@"),
              str(tmp_path / "bad"), check=False)
    assert bad.returncode == 128 and "Authentication failed" in bad.stderr

    git("clone", url.replace("http://", f"http://x-access-token:{BOT_TOKEN}@"), str(tmp_path / "ok"))
    assert (tmp_path / "ok" / ".github/workflows/ci.yml").read_text() == WORKFLOW
    assert (tmp_path / "ok" / "README.md").read_text() == "hi\n"


def test_extra_header_auth_skips_the_401_probe_and_url_without_dot_git(sandbox: Sandbox, git, tmp_path: Path) -> None:
    sandbox.create_repo("acme", "widgets", {"README.md": "hi\n"})
    sandbox.clear_log()
    url = f"{sandbox.url}/acme/widgets"  # no .git suffix, like GitHub accepts
    git("clone", url, str(tmp_path / "c"), token=HUMAN_TOKEN)
    statuses = [s for _m, _p, s in _git_entries(sandbox)]
    assert statuses and all(s == 200 for s in statuses)
    assert {e.login for e in sandbox.access_log} == {"alice"}
    assert (tmp_path / "c" / "README.md").read_text() == "hi\n"


def test_unknown_repository_is_not_found(sandbox: Sandbox, git, tmp_path: Path) -> None:
    proc = git("clone", sandbox.git_url("acme", "nope"), str(tmp_path / "x"), token=BOT_TOKEN,
               check=False)
    assert proc.returncode == 128
    assert "not found" in proc.stderr
    assert _git_entries(sandbox)[-1] == ("GET", "/acme/nope.git/info/refs", 404)


def test_push_new_branch_and_large_chunked_push(sandbox: Sandbox, git, tmp_path: Path) -> None:
    sandbox.create_repo("acme", "widgets", {"README.md": "hi\n"})
    work = tmp_path / "w"
    git("clone", sandbox.git_url("acme", "widgets"), str(work), token=BOT_TOKEN)
    (work / "big.bin").write_bytes(os.urandom(3 * 1024 * 1024))  # > http.postBuffer: chunked
    git("add", "big.bin", cwd=work)
    git("commit", "-q", "-m", "add big file", cwd=work)
    git("push", "origin", "HEAD:refs/heads/feature", cwd=work, token=BOT_TOKEN)
    local = git("rev-parse", "HEAD", cwd=work).stdout.strip()
    assert sandbox.repo("acme", "widgets").branch_sha("feature") == local
    push = [e for e in sandbox.access_log if e.path.endswith("git-receive-pack")
            and e.method == "POST"]
    # git probes with a 4-byte flush packet before a chunked upload larger than postBuffer
    assert [(e.status, e.bytes_in) for e in push][0] == (200, 4)
    assert len(push) == 2 and push[1].status == 200
    assert push[1].bytes_in > 3 * 1024 * 1024  # the whole random blob went up, de-chunked


def test_partial_sparse_clone_of_50mb_repo_moves_under_1mb(sandbox: Sandbox, git, tmp_path: Path) -> None:
    sandbox.create_repo("acme", "huge", {
        "assets/blob.bin": os.urandom(50 * 1024 * 1024),
        "README.md": "big repo\n",
        ".github/workflows/ci.yml": WORKFLOW,
    })
    sandbox.clear_log()
    work = tmp_path / "huge"
    git("clone", "--filter=blob:none", "--no-checkout", "--depth", "1",
        sandbox.git_url("acme", "huge"), str(work), token=BOT_TOKEN)
    git("sparse-checkout", "set", "--no-cone", "/.github/workflows/", cwd=work)
    git("checkout", "main", cwd=work, token=BOT_TOKEN)
    files = sorted(str(p.relative_to(work)) for p in work.rglob("*")
                   if p.is_file() and ".git" not in p.relative_to(work).parts[:1])
    assert files == [".github/workflows/ci.yml"]
    assert (work / ".github/workflows/ci.yml").read_text() == WORKFLOW
    down = sum(e.bytes_out for e in sandbox.access_log)
    up = sum(e.bytes_in for e in sandbox.access_log)
    print(f"partial+sparse clone of a 50 MiB repo: {down} B down, {up} B up, "
          f"{len(sandbox.access_log)} requests")
    assert down < 100_000, down  # measured ~2 KB; the 50 MiB blob never moves
    assert all(e.status == 200 for e in sandbox.access_log)

    # push back from the shallow, partial clone
    (work / ".github/workflows/ci.yml").write_text(WORKFLOW + "# changed\n")
    git("commit", "-q", "-am", "edit workflow", cwd=work)
    git("push", "origin", "HEAD:refs/heads/fixbot/harden", cwd=work, token=BOT_TOKEN)
    local = git("rev-parse", "HEAD", cwd=work).stdout.strip()
    assert sandbox.repo("acme", "huge").branch_sha("fixbot/harden") == local


def test_concurrent_clones_and_api_calls(sandbox: Sandbox, git, tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from sandbox_helpers import make_client

    sandbox.create_repo("acme", "widgets", {"data.bin": os.urandom(2 * 1024 * 1024),
                                            ".github/workflows/ci.yml": WORKFLOW})
    gh = make_client(sandbox)

    def clone(i: int) -> str:
        dest = tmp_path / f"c{i}"
        git("clone", "--quiet", sandbox.git_url("acme", "widgets"), str(dest), token=BOT_TOKEN)
        return (dest / ".github/workflows/ci.yml").read_text()

    def api(i: int) -> str:
        return gh.get_repo("acme/widgets").get_contents(".github/workflows/ci.yml") \
            .decoded_content.decode()

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(clone, range(8))) + list(pool.map(api, range(16)))
    assert results == [WORKFLOW] * 24
