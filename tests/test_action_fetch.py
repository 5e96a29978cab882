"""Action metadata from the forge (fixbot/action_fetch.py): the disk cache, ForgeSource over a
counting fake forge, ``Forge.file_text`` on the real sandbox, and the options of each command."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import time
from pathlib import Path

import pytest

from fixbot.action_fetch import (
    DiskCache,
    ForgeSource,
    Layered,
    for_fix,
    for_forge,
    for_run,
    host_dir,
    prefetch,
    remote_uses,
    web_url,
)
from fixbot.action_source import ActionRef, CacheDir, Found, Metadata, Missing, Unavailable, parse_ref
from fixbot.errors import ForgeError, RateLimited, UsageError
from fixbot.forge import Forge, TokenCredentials
from fixbot.sandbox import Sandbox

SHA = "0123456789abcdef0123456789abcdef01234567"
TOKEN = "ghp_actionFetchToken000000000000000000000"
JS = "name: t\nruns:\n  using: node20\n  main: index.js\n"


def ref(uses: str) -> ActionRef:
    r = parse_ref(uses)
    assert r is not None
    return r


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class FakeForge:
    """Forge.file_text over a dict {(full, path, ref): text}, counting every request."""

    api_url = "https://ghes.example.com/api/v3"

    def __init__(self, files: dict[tuple[str, str, str], str], error: Exception | None = None,
                 delay: float = 0.0, count_file: Path | None = None) -> None:
        self.files, self.error, self.delay, self.count_file = files, error, delay, count_file
        self.calls: list[tuple[str, str, str]] = []

    def fresh(self) -> FakeForge:
        return self

    def file_text(self, full: str, path: str, ref: str, max_bytes: int) -> str | None:
        self.calls.append((full, path, ref))
        if self.count_file is not None:
            with self.count_file.open("a") as f:
                f.write(f"{full} {path} {ref}\n")
        time.sleep(self.delay)
        if self.error is not None:
            raise self.error
        return self.files.get((full, path, ref))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cache(tmp_path: Path, clock: Clock) -> DiskCache:
    return DiskCache(tmp_path / "cache", "ghes.example.com", ttl=3600, clock=clock)


# -- the disk cache ----------------------------------------------------------------------------
def test_commit_sha_answers_are_kept_for_good_tags_for_the_ttl(cache: DiskCache,
                                                               clock: Clock) -> None:
    pinned, tag = ref(f"Acme/Act@{SHA}"), ref("acme/act/sub/dir@v1")
    cache.put(pinned, ("action.yml", JS))
    cache.put(tag, ("action.yaml", JS))
    assert cache.get(pinned).answer == ("action.yml", JS)  # type: ignore[union-attr]
    assert cache.get(tag).answer == ("action.yaml", JS)  # type: ignore[union-attr]
    clock.now += 3601
    assert cache.get(pinned).answer == ("action.yml", JS)  # type: ignore[union-attr]
    assert cache.get(tag) is None
    assert sorted(p.relative_to(cache.root).as_posix() for p in cache.root.rglob("*.json")) == [
        f"actions/ghes.example.com/acme/act/{SHA}/action.json",
        "actions/ghes.example.com/acme/act/v1/sub%2Fdir.action.json"]


def test_no_metadata_answers_are_cached_for_the_ttl_even_at_a_commit(cache: DiskCache,
                                                                     clock: Clock) -> None:
    # a 404 may also mean "these credentials cannot see it": never kept for good
    r = ref(f"acme/none@{SHA}")
    cache.put(r, None)
    hit = cache.get(r)
    assert hit is not None and hit.answer is None
    clock.now += 3601
    assert cache.get(r) is None


def test_entries_are_private_and_hold_no_credential(cache: DiskCache) -> None:
    cache.put(ref("acme/act@v1"), ("action.yml", JS))
    entry = cache.root / "actions/ghes.example.com/acme/act/v1/action.json"
    assert oct(entry.stat().st_mode & 0o777) == "0o600"
    assert oct(entry.parent.stat().st_mode & 0o777) == "0o700"
    assert set(json.loads(entry.read_text())) == {"version", "key", "fetched", "name", "text"}
    assert not [p for p in entry.parent.iterdir() if p.name.startswith(".tmp-")]


@pytest.mark.parametrize("content", [
    "", "{", "[]", "null", '{"version": 1}', "\xff\xfe",
    '{"version": 1, "key": "acme/act@v1", "fetched": "soon", "name": "action.yml", "text": "x"}',
    '{"version": 1, "key": "acme/act@v1", "fetched": 1e6, "name": "evil.yml", "text": "x"}',
    '{"version": 1, "key": "acme/act@v1", "fetched": 1e6, "name": "action.yml", "text": null}',
    '{"version": 1, "key": "acme/other@v1", "fetched": 1e6, "name": "action.yml", "text": "x"}',
    '{"version": 2, "key": "acme/act@v1", "fetched": 1e6, "name": "action.yml", "text": "x"}',
    '{"version": 1, "key": "acme/act@v1", "fetched": 9e9, "name": "action.yml", "text": "x"}',
])
def test_a_corrupt_entry_is_ignored_and_refetched(cache: DiskCache, content: str) -> None:
    r = ref("acme/act@v1")
    cache.put(r, ("action.yml", JS))
    entry = cache.root / "actions/ghes.example.com/acme/act/v1/action.json"
    entry.write_bytes(content.encode("latin-1"))
    assert cache.get(r) is None
    forge = FakeForge({("acme/act", "action.yml", "v1"): JS})
    assert ForgeSource(forge, cache).fetch(r) == ("action.yml", JS)  # type: ignore[arg-type]
    assert len(forge.calls) == 1
    assert cache.get(r).answer == ("action.yml", JS)  # type: ignore[union-attr]


def test_links_in_the_cache_are_never_followed(cache: DiskCache, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "action.json").write_text(json.dumps(
        {"version": 1, "key": "acme/act@v1", "fetched": 1e6, "name": "action.yml", "text": "x"}))
    repo_dir = cache.root / "actions/ghes.example.com/acme/act"
    repo_dir.mkdir(parents=True)
    (repo_dir / "v1").symlink_to(outside)  # the ref's directory is a link
    r = ref("acme/act@v1")
    assert cache.get(r) is None
    cache.put(r, ("action.yml", JS))  # refused (reported once), nothing written through it
    assert json.loads((outside / "action.json").read_text())["text"] == "x"
    assert sorted(p.name for p in outside.iterdir()) == ["action.json"]
    # an entry that is itself a link is not read, and is replaced (not written through)
    tag = ref("acme/act@v2")
    cache.put(tag, ("action.yml", JS))
    entry = repo_dir / "v2" / "action.json"
    entry.unlink()
    entry.symlink_to(outside / "action.json")
    assert cache.get(tag) is None
    cache.put(tag, ("action.yml", "new"))
    assert not entry.is_symlink() and json.loads(entry.read_text())["text"] == "new"
    assert json.loads((outside / "action.json").read_text())["text"] == "x"


@pytest.mark.parametrize("uses", [
    "acme/act@.", "acme/act@.hidden", "acme/act@release/v1", "acme/act@%2e%2e",
    "acme/act@a%2F..%2Fb", "acme/act@" + "v" * 400, "acme/act/.github/x@v1",
])
def test_every_ref_stays_one_directory_below_the_repository(cache: DiskCache, uses: str) -> None:
    r = ref(uses)
    cache.put(r, ("action.yml", uses))
    assert cache.get(r).answer == ("action.yml", uses)  # type: ignore[union-attr]
    files = [p for p in cache.root.rglob("*") if p.is_file()]
    assert len(files) == 1
    rel = files[0].relative_to(cache.root / "actions/ghes.example.com/acme/act")
    assert len(rel.parts) == 2 and rel.parts[0] not in (".", "..")
    assert len(rel.parts[0]) <= 160


def test_an_unwritable_cache_still_answers(tmp_path: Path, clock: Clock,
                                           caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cache = DiskCache(blocker / "cache", "h", clock=clock)
    forge = FakeForge({("acme/act", "action.yml", "v1"): JS})
    source = ForgeSource(forge, cache)  # type: ignore[arg-type]
    assert source.fetch(ref("acme/act@v1")) == ("action.yml", JS)
    assert source.fetch(ref("acme/act@v1")) == ("action.yml", JS)
    assert len(forge.calls) == 2  # nothing kept on disk; Metadata memoises per process
    assert len([r for r in caplog.records if "not usable" in r.getMessage()]) == 1


# -- ForgeSource -------------------------------------------------------------------------------
def test_forge_source_asks_for_action_yaml_only_after_a_404(cache: DiskCache) -> None:
    forge = FakeForge({("acme/yml", "action.yml", "v1"): JS,
                       ("acme/yaml", "sub/action.yaml", SHA): JS})
    source = ForgeSource(forge, cache)  # type: ignore[arg-type]
    assert source.fetch(ref("acme/yml@v1")) == ("action.yml", JS)
    assert source.fetch(ref(f"acme/yaml/sub@{SHA}")) == ("action.yaml", JS)
    assert source.fetch(ref("acme/none@v1")) is None
    assert forge.calls == [("acme/yml", "action.yml", "v1"),
                           ("acme/yaml", "sub/action.yml", SHA),
                           ("acme/yaml", "sub/action.yaml", SHA),
                           ("acme/none", "action.yml", "v1"), ("acme/none", "action.yaml", "v1")]
    forge.calls.clear()  # a new process: everything comes from the disk cache
    again = ForgeSource(forge, cache)  # type: ignore[arg-type]
    for uses in ("acme/yml@v1", f"acme/yaml/sub@{SHA}", "acme/none@v1"):
        again.fetch(ref(uses))
    assert forge.calls == []


def test_metadata_asks_once_for_a_thousand_repositories(cache: DiskCache) -> None:
    forge = FakeForge({("acme/act", "action.yml", "v1"): JS})
    md = Metadata(ForgeSource(forge, cache), web="https://ghes.example.com")  # type: ignore[arg-type]
    answers = {type(md.lookup("Acme/Act@v1")) for _ in range(1000)}
    assert answers == {Found} and len(forge.calls) == 1
    found = md.lookup("acme/act@v1")
    assert isinstance(found, Found)
    assert found.url == "https://ghes.example.com/acme/act/blob/v1/action.yml"
    assert isinstance(md.lookup("acme/gone@v1"), Missing)


def test_forge_errors_are_unavailable_not_cached_and_name_no_token(cache: DiskCache,
                                                                  clock: Clock) -> None:
    forge = FakeForge({}, error=ForgeError("acme/act: read action.yml at v1: forbidden (403)"))
    md = Metadata(ForgeSource(forge, cache))  # type: ignore[arg-type]
    answer = md.lookup("acme/act@v1")
    assert isinstance(answer, Unavailable) and "forbidden (403)" in answer.why
    assert md.errors == ["acme/act: read action.yml at v1: forbidden (403)"]
    assert cache.get(ref("acme/act@v1")) is None


def test_a_rate_limit_stops_asking_the_forge(cache: DiskCache) -> None:
    forge = FakeForge({}, error=RateLimited("rate limited: the limit resets in 3000 s"))
    md = Metadata(ForgeSource(forge, cache))  # type: ignore[arg-type]
    first, second = md.lookup("acme/a@v1"), md.lookup("acme/b@v1")
    assert isinstance(first, Unavailable) and isinstance(second, Unavailable)
    assert "rate limit" in second.why
    assert len(forge.calls) == 1


def _fetch_in_child(cache_root: str, count_file: str) -> None:
    forge = FakeForge({("acme/act", "action.yml", "v1"): JS}, delay=0.3,
                      count_file=Path(count_file))
    source = ForgeSource(forge, DiskCache(Path(cache_root), "h"))  # type: ignore[arg-type]
    assert source.fetch(ref("acme/act@v1")) == ("action.yml", JS)


@pytest.mark.skipif("fork" not in mp.get_all_start_methods(), reason="needs fork")
def test_processes_sharing_the_cache_fetch_once(tmp_path: Path) -> None:
    count = tmp_path / "count"
    count.touch()
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_fetch_in_child, args=(str(tmp_path / "c"), str(count)))
             for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    assert count.read_text().splitlines() == ["acme/act action.yml v1"]


# -- Forge.file_text on the sandbox ------------------------------------------------------------
@pytest.fixture
def sb(tmp_path: Path) -> Sandbox:  # type: ignore[misc]
    with Sandbox(tmp_path / "forge") as sandbox:
        sandbox.add_token("fixbot-bot", TOKEN)
        yield sandbox


def test_file_text_reads_one_file_at_a_ref_in_one_request(sb: Sandbox) -> None:
    sb.create_repo("tools", "act", {"action.yml": "old\n", "sub/action.yml": "sub\n",
                                    "bin.yml": b"\xff\xfe", "dir/action.yml/x": "x"})
    repo = sb.repo("tools", "act")
    old = repo.branch_sha("main")
    assert old is not None
    repo.git("tag", "v1", old)
    new = sb.push_files("tools", "act", "main", {"action.yml": "new\n"})
    forge = Forge(sb.api_url, TokenCredentials(TOKEN))
    sb.clear_log()
    assert forge.file_text("tools/act", "action.yml", "v1") == "old\n"
    assert forge.file_text("Tools/Act", "action.yml", new) == "new\n"
    assert forge.file_text("tools/act", "sub/action.yml", "main") == "sub\n"
    assert [e.line() for e in sb.access_log] == [
        "GET /api/v3/repos/tools/act/contents/action.yml 200",
        "GET /api/v3/repos/Tools/Act/contents/action.yml 200",
        "GET /api/v3/repos/tools/act/contents/sub/action.yml 200"]
    assert forge.file_text("tools/act", "action.yaml", "v1") is None  # no such file
    assert forge.file_text("tools/act", "action.yml", "v9") is None  # no such ref
    assert forge.file_text("tools/nope", "action.yml", "v1") is None  # no such repository
    assert forge.file_text("tools/act", "dir/action.yml", "main") is None  # a directory
    with pytest.raises(ForgeError, match="not UTF-8"):
        forge.file_text("tools/act", "bin.yml", "main")
    with pytest.raises(ForgeError, match="over the 3-byte limit"):
        forge.file_text("tools/act", "action.yml", "v1", max_bytes=3)


def test_file_text_errors_name_no_credential(sb: Sandbox) -> None:
    sb.create_repo("tools", "act", {"action.yml": JS})
    for forge in (Forge(sb.api_url, TokenCredentials("ghp_wrongToken0000000000000000000000000")),
                  Forge(sb.api_url, None)):
        with pytest.raises(ForgeError) as e:
            forge.file_text("tools/act", "action.yml", "main")
        assert "401" in str(e.value) and "ghp_" not in str(e.value)
    with pytest.raises(ForgeError, match="no credentials"):
        Forge(sb.api_url, None).git_token("tools/act")


def test_forge_metadata_is_one_per_forge_and_links_to_the_forge(sb: Sandbox, tmp_path: Path) -> None:
    sb.create_repo("tools", "act", {"action.yml": JS})
    forge = Forge(sb.api_url, TokenCredentials(TOKEN))
    env = {"FIXBOT_CACHE_DIR": str(tmp_path / "cache")}
    md = for_forge(forge, env)
    assert for_forge(forge, env) is md and for_forge(Forge(sb.api_url, None), env) is not md
    found = md.lookup("tools/act@main")
    assert isinstance(found, Found) and found.text == JS
    assert found.url == f"{sb.url}/tools/act/blob/main/action.yml"
    entry = (tmp_path / "cache/actions" / host_dir(sb.api_url) / "tools/act/main/action.json")
    assert entry.is_file() and TOKEN not in entry.read_text()
    # a loopback forge without FIXBOT_CACHE_DIR (the sandbox, demo) is kept in memory only
    assert for_forge(Forge(sb.api_url, None), {}).source.cache is None  # type: ignore[union-attr]


# -- options -----------------------------------------------------------------------------------
def test_fix_options(tmp_path: Path) -> None:
    assert for_fix(None, False, None, {}).source is None
    with pytest.raises(UsageError, match="only meaningful with --online"):
        for_fix(None, False, "https://ghes.example.com/api/v3", {})
    with pytest.raises(UsageError, match="not a directory"):
        for_fix(str(tmp_path / "nope"), True, None, {})
    with pytest.raises(UsageError, match="FIXBOT_ACTION_TTL"):
        for_fix(None, True, None, {"FIXBOT_ACTION_TTL": "soon"})
    assert isinstance(for_fix(str(tmp_path), False, None, {}).source, CacheDir)
    env = {"FIXBOT_CACHE_DIR": str(tmp_path / "c"), "GITHUB_API_URL": "https://ghes.example.com/api/v3",
           "GITHUB_TOKEN": TOKEN}
    online = for_fix(None, True, None, env)
    assert isinstance(online.source, ForgeSource) and online.web == "https://ghes.example.com"
    assert online.source.cache is not None
    assert online.source.cache.root == tmp_path / "c" and online.source.cache.host == "ghes.example.com"
    both = for_fix(str(tmp_path), True, None, {**env, "GITHUB_TOKEN": ""})
    assert isinstance(both.source, Layered) and both.source.then.forge.anonymous
    assert for_fix(None, True, None, {"XDG_CACHE_HOME": str(tmp_path / "x")}).web == \
        "https://github.com"


def test_run_options(tmp_path: Path) -> None:
    assert for_run(None, None, {}).source is None  # local mode without a cache directory
    assert isinstance(for_run(str(tmp_path), None, {}).source, CacheDir)
    forge = Forge("https://api.github.com", None)
    assert isinstance(for_run(None, forge, {"FIXBOT_ACTION_CACHE": str(tmp_path)}).source, CacheDir)
    md = for_run(None, forge, {"XDG_CACHE_HOME": str(tmp_path / "xdg")})
    assert isinstance(md.source, ForgeSource) and md.source.cache is not None
    assert md.source.cache.root == tmp_path / "xdg" / "fixbot"
    assert md.source.cache.host == "api.github.com"


def test_urls() -> None:
    assert web_url("https://x:tok@api.github.com") == "https://github.com"
    assert web_url("https://ghes.example.com/api/v3/") == "https://ghes.example.com"
    assert web_url("http://127.0.0.1:8080/api/v3") == "http://127.0.0.1:8080"
    assert host_dir("https://x:tok@ghes.example.com:8443/api/v3") == "ghes.example.com_8443"
    assert host_dir("https://API.github.com") == "api.github.com"


# -- prefetch ----------------------------------------------------------------------------------
WF = """on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: acme/act@v1
      - uses: ACME/act@v1
      - uses: acme/other/sub@SHA
      - uses: ./local
      - uses: docker://alpine:3
      - uses: ${{ matrix.action }}
      - run: echo
  b:
    uses: acme/wf/.github/workflows/x.yml@v1
""".replace("@SHA", f"@{SHA}")


def test_prefetch_asks_for_each_unknown_remote_action_once(cache: DiskCache) -> None:
    assert remote_uses([WF, WF, "{not: [yaml"]) == ["acme/act@v1", f"acme/other/sub@{SHA}"]
    forge = FakeForge({("acme/act", "action.yml", "v1"): JS})
    md = Metadata(ForgeSource(forge, cache))  # type: ignore[arg-type]
    assert prefetch(md, [WF]) == 2
    assert prefetch(md, [WF]) == 2
    assert forge.calls == [("acme/act", "action.yml", "v1"),
                           ("acme/other", "sub/action.yml", SHA),
                           ("acme/other", "sub/action.yaml", SHA)]
    assert prefetch(Metadata(), [WF]) == 0


def test_cache_root_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from fixbot.action_fetch import cache_root

    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache_root({}) == tmp_path / ".cache" / "fixbot"
    assert cache_root({"XDG_CACHE_HOME": "relative"}) == tmp_path / ".cache" / "fixbot"
    assert cache_root({"XDG_CACHE_HOME": "/x", "FIXBOT_CACHE_DIR": "/y"}) == Path("/y")
    assert os.fspath(cache_root({"XDG_CACHE_HOME": "/x"})) == "/x/fixbot"
