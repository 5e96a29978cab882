"""Action metadata from the forge: :class:`ForgeSource`, its disk cache, and the
:class:`~fixbot.action_source.Metadata` each command uses.

:class:`ForgeSource` reads ``owner/repo[/path]@ref``'s ``action.yml`` with the contents API, one
request per action and ref (``action.yaml`` only after a 404 for ``action.yml``), through
:meth:`fixbot.forge.Forge.file_text`. Its answers are kept on disk by :class:`DiskCache` under
``$XDG_CACHE_HOME/fixbot/actions/<forge host>/`` (``FIXBOT_CACHE_DIR`` replaces
``$XDG_CACHE_HOME/fixbot``): a full commit SHA's metadata for good, anything else (a tag, a
branch, "no metadata file there") for ``FIXBOT_ACTION_TTL`` seconds (24 h). Processes that share
the directory fetch each action and ref once: the fetch holds a lock on the ref's directory.

The cache holds what the forge answered and when, never a credential. Every path part comes
from workflow text, so each is percent-encoded into one file name, and the cache never follows a
symbolic link below its root.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import math
import os
import re
import secrets
import stat
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlparse

from fixbot.action_source import (
    MAX_BYTES,
    ActionRef,
    CacheDir,
    Metadata,
    SourceError,
    from_options,
    parse_ref,
)
from fixbot.errors import ForgeError, InputError, RateLimited, UsageError
from fixbot.forge import Forge, TokenCredentials
from fixbot.redact import strip_userinfo

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows: no cross-process lock there
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

DEFAULT_TTL = 24 * 3600  # seconds a tag's or branch's answer (or a "none there") is reused
_VERSION = 1
_SKEW = 300  # an entry dated later than now + this is not trusted
_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


def is_commit_sha(ref: str) -> bool:
    """A full commit SHA (SHA-1 or SHA-256, lower case): what it names never changes."""
    return bool(_SHA.match(ref))


def _part(text: str) -> str:
    """One file-name-safe path component for ``text`` (injective, never ``.``/``..``)."""
    out = quote(text, safe="")
    if out.startswith("."):
        out = "%2E" + out[1:]
    if not out or len(out) > 150:
        out = "sha256-" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return out


def host_dir(api_url: str) -> str:
    """The cache directory name of a forge: its host (and port), never userinfo."""
    u = urlparse(api_url)
    host = (u.hostname or "unknown").lower()
    return _part(f"{host}_{u.port}" if u.port else host)


def web_url(api_url: str) -> str:
    """Where people read files of this forge: https://github.com for api.github.com, else the
    API URL without GHES's ``/api/v3``."""
    u = urlparse(strip_userinfo(api_url))
    if (u.hostname or "").lower() == "api.github.com":
        return "https://github.com"
    path = u.path.rstrip("/").removesuffix("/api/v3")
    return f"{u.scheme}://{u.netloc}{path}"


@dataclass(frozen=True)
class Cached:
    """An answer read from the disk cache: ``(name, text)``, or None for "no metadata file"."""

    answer: tuple[str, str] | None


@dataclass
class DiskCache:
    """Answers of one forge under ``root/actions/<host>/<owner>/<repo>/<ref>/``: ``action.json``
    for the repository's root action, ``<path>.action.json`` for one in a directory (every part
    percent-encoded). Entries are JSON: version, key, fetch time, file name and text."""

    root: Path  # $XDG_CACHE_HOME/fixbot or $FIXBOT_CACHE_DIR
    host: str  # host_dir(api_url)
    ttl: float = DEFAULT_TTL
    clock: Callable[[], float] = field(default=time.time)
    _broken: bool = field(default=False, repr=False)

    def _dirs(self, ref: ActionRef) -> list[str]:
        return ["actions", self.host, _part(ref.owner), _part(ref.repo), _part(ref.ref)]

    @staticmethod
    def _file(ref: ActionRef) -> str:
        return f"{_part(ref.path)}.action.json" if ref.path else "action.json"

    # -- reading -------------------------------------------------------------------------------
    def get(self, ref: ActionRef) -> Cached | None:
        """The cached answer if there is a fresh, well-formed one; None otherwise (a corrupt
        entry is ignored: the next :meth:`put` replaces it)."""
        try:
            with self._open_dir(ref, create=False) as fd:
                data = _read_entry(fd, self._file(ref))
        except OSError:
            return None
        if data is None:
            return None
        entry = _valid(data, ref)
        if entry is None:
            log.debug("action cache: ignoring a malformed entry for %s", ref.key)
            return None
        fetched, answer = entry
        now = self.clock()
        if fetched > now + _SKEW:
            return None
        if answer is not None and is_commit_sha(ref.ref):
            return Cached(answer)  # a commit's files never change
        return Cached(answer) if now - fetched <= self.ttl else None

    # -- writing -------------------------------------------------------------------------------
    def put(self, ref: ActionRef, answer: tuple[str, str] | None) -> None:
        """Store an answer (atomically: a new file renamed over the old one). A cache that
        cannot be written is reported once and otherwise left alone."""
        body = json.dumps({"version": _VERSION, "key": ref.key, "fetched": self.clock(),
                           "name": answer[0] if answer else None,
                           "text": answer[1] if answer else None}, ensure_ascii=False)
        try:
            with self._open_dir(ref, create=True) as fd:
                _write_entry(fd, self._file(ref), body.encode("utf-8"))
        except OSError as e:
            self._warn(e)

    @contextlib.contextmanager
    def lock(self, ref: ActionRef) -> Iterator[None]:
        """Hold an exclusive lock on the ref's directory (so processes sharing the cache fetch
        one action and ref once); without a usable cache directory, no lock."""
        with contextlib.ExitStack() as stack:
            try:
                fd: int | None = stack.enter_context(self._open_dir(ref, create=True))
            except OSError as e:
                self._warn(e)
                fd = None
            if fd is not None and fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)  # released when the descriptor is closed
            yield

    # -- directories ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def _open_dir(self, ref: ActionRef, create: bool) -> Iterator[int]:
        """A descriptor of the ref's directory, reached one component at a time without
        following a symbolic link below ``root`` (and created, mode 0700, with ``create``)."""
        if create:
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for name in self._dirs(ref):
                if create:
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(name, 0o700, dir_fd=fd)
                nxt = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                os.close(fd)
                fd = nxt
            yield fd
        finally:
            os.close(fd)

    def _warn(self, e: OSError) -> None:
        if not self._broken:
            self._broken = True
            log.warning("action metadata cache %s is not usable (%s); continuing without it",
                        self.root, e.strerror or e)


def _read_entry(dir_fd: int, name: str) -> object | None:
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    except OSError as e:
        if e.errno == errno.ELOOP:
            return None  # a link where an entry should be: not followed, not trusted
        raise
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            return None
        raw = f.read(4 * MAX_BYTES + 4096)
    try:
        data: object = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return data


def _valid(data: object, ref: ActionRef) -> tuple[float, tuple[str, str] | None] | None:
    """``(fetch time, answer)`` of a well-formed entry for ``ref``, else None."""
    if not isinstance(data, dict) or data.get("version") != _VERSION or data.get("key") != ref.key:
        return None
    fetched, name, text = data.get("fetched"), data.get("name"), data.get("text")
    if isinstance(fetched, bool) or not isinstance(fetched, int | float) or not math.isfinite(fetched):
        return None
    if name is None and text is None:
        return float(fetched), None
    names = {f.rsplit("/", 1)[-1] for f in ref.files()}
    if name in names and isinstance(text, str) and len(text) <= MAX_BYTES:
        return float(fetched), (name, text)
    return None


def _write_entry(dir_fd: int, name: str, data: bytes) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    tmp = f".tmp-{secrets.token_hex(8)}"
    fd = os.open(tmp, flags, 0o600, dir_fd=dir_fd)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)  # replaces a link, never follows it
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dir_fd)
        raise


class ForgeSource:
    """A :class:`~fixbot.action_source.Source` over a forge's contents API, cached on disk."""

    where = "the forge"

    def __init__(self, forge: Forge, cache: DiskCache | None = None) -> None:
        self.forge = forge
        self.cache = cache
        self._pid = os.getpid()
        self._stopped: str | None = None  # why the forge is not asked again (a rate limit)

    def fetch(self, ref: ActionRef) -> tuple[str, str] | None:
        if self.cache is None:
            return self._ask(ref)
        hit = self.cache.get(ref)
        if hit is not None:
            return hit.answer
        with self.cache.lock(ref):
            hit = self.cache.get(ref)  # another process may have fetched it meanwhile
            if hit is not None:
                return hit.answer
            answer = self._ask(ref)
            self.cache.put(ref, answer)
        return answer

    def _ask(self, ref: ActionRef) -> tuple[str, str] | None:
        if self._stopped:
            raise SourceError(self._stopped)
        if os.getpid() != self._pid:  # forked (fix's process pool): no shared connection
            self.forge, self._pid = self.forge.fresh(), os.getpid()
        full = f"{ref.owner}/{ref.repo}"
        try:
            for rel in ref.files():
                text = self.forge.file_text(full, rel, ref.ref, MAX_BYTES)
                if text is not None:
                    return rel.rsplit("/", 1)[-1], text
        except RateLimited as e:
            self._stopped = f"the forge's rate limit was reached ({strip_userinfo(str(e))})"
            log.warning("action metadata: %s; not asking the forge again in this run",
                        self._stopped)
            raise SourceError(self._stopped) from None
        except ForgeError as e:
            msg = strip_userinfo(str(e))
            log.warning("action metadata: %s", msg)
            raise SourceError(msg) from None
        return None


@dataclass
class Layered:
    """The read-only action cache first, then the forge for what it does not hold."""

    first: CacheDir
    then: ForgeSource
    where: str = "the action cache or the forge"

    def fetch(self, ref: ActionRef) -> tuple[str, str] | None:
        return self.first.fetch(ref) or self.then.fetch(ref)


# -- the Metadata each command uses ------------------------------------------------------------
def cache_root(env: Mapping[str, str]) -> Path:
    """``$FIXBOT_CACHE_DIR``, else ``$XDG_CACHE_HOME/fixbot`` (an absolute one), else
    ``~/.cache/fixbot``."""
    if env.get("FIXBOT_CACHE_DIR"):
        return Path(env["FIXBOT_CACHE_DIR"])
    xdg = env.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "fixbot"


def ttl_from(env: Mapping[str, str]) -> float:
    raw = env.get("FIXBOT_ACTION_TTL", "").strip()
    if not raw:
        return DEFAULT_TTL
    try:
        ttl = float(raw)
    except ValueError:
        ttl = -1.0
    if not math.isfinite(ttl) or ttl < 0:
        raise UsageError(f"FIXBOT_ACTION_TTL: expected a number of seconds, got {raw!r}")
    return ttl


def disk_cache(api_url: str, env: Mapping[str, str]) -> DiskCache | None:
    """The disk cache of a forge. A forge on a loopback address (the sandbox, ``fixbot demo``:
    a new port each time) is cached in memory only, unless ``FIXBOT_CACHE_DIR`` is set."""
    host = (urlparse(api_url).hostname or "").lower()
    if host in _LOOPBACK and not env.get("FIXBOT_CACHE_DIR"):
        return None
    return DiskCache(cache_root(env), host_dir(api_url), ttl_from(env))


def forge_source(forge: Forge, env: Mapping[str, str] | None = None) -> ForgeSource:
    env = os.environ if env is None else env
    return ForgeSource(forge, disk_cache(forge.api_url, env))


_SHARED: weakref.WeakKeyDictionary[Forge, Metadata] = weakref.WeakKeyDictionary()


def for_forge(forge: Forge, env: Mapping[str, str] | None = None) -> Metadata:
    """The one Metadata over this forge (every repository a process runs on it shares it:
    ``demo`` and ``sweep`` ask the forge for an action and ref once)."""
    found = _SHARED.get(forge)
    if found is None:
        found = _SHARED[forge] = Metadata(forge_source(forge, env), web=web_url(forge.api_url))
    return found


def for_run(action_cache: str | None, forge: Forge | None,
            env: Mapping[str, str] | None = None) -> Metadata:
    """``fixbot run``'s metadata: ``--action-cache DIR``/``FIXBOT_ACTION_CACHE`` if given, else
    the forge's (local mode, without a forge: none)."""
    env = os.environ if env is None else env
    chosen = from_options(action_cache, env.get)
    if chosen.source is not None or forge is None:
        return chosen
    return for_forge(forge, env)


def for_fix(action_cache: str | None, online: bool, github_url: str | None,
            env: Mapping[str, str] | None = None) -> Metadata:
    """``fixbot fix``'s metadata: ``--action-cache DIR``/``FIXBOT_ACTION_CACHE`` (read-only),
    ``--online`` (the forge, cached on disk; with both, the directory first), or none.

    Online, the forge is ``--github-url``, else ``GITHUB_API_URL``, else api.github.com, read
    with ``FIXBOT_TOKEN``, else ``GITHUB_TOKEN``, else anonymously."""
    from fixbot.forge import api_url

    env = os.environ if env is None else env
    if github_url and not online:
        raise UsageError("--github-url is only meaningful with --online")
    chosen = from_options(action_cache, env.get)
    if not online:
        return chosen
    url = api_url(github_url, env)
    token = (env.get("FIXBOT_TOKEN") or env.get("GITHUB_TOKEN") or "").strip()
    creds = TokenCredentials(token, "FIXBOT_TOKEN" if env.get("FIXBOT_TOKEN") else
                             "GITHUB_TOKEN") if token else None
    online_source = forge_source(Forge(url, creds), env)
    source = (Layered(chosen.source, online_source) if isinstance(chosen.source, CacheDir)
              else online_source)
    return Metadata(source, web=web_url(url))


# -- asking before the transforms run ----------------------------------------------------------
def remote_uses(texts: Iterable[str]) -> list[str]:
    """The remote ``uses:`` of every step of these workflows that the knowledge base does not
    know, each once, in order of appearance (workflows that do not parse are skipped)."""
    from fixbot.kb.actions import lookup_action
    from fixbot.workflow import Workflow, scalar_text
    from fixbot.yamlmodel import Document

    seen: dict[str, str] = {}
    for text in texts:
        try:
            wf = Workflow("", Document(text.removeprefix("\ufeff")))
        except InputError:
            continue
        for _job_id, job in wf.jobs():
            for _i, step in wf.steps(job):
                uses = scalar_text(step.get("uses"))
                ref = parse_ref(uses) if uses else None
                if uses and ref and ref.key not in seen and lookup_action(uses, {}) is None:
                    seen[ref.key] = uses
    return list(seen.values())


def prefetch(metadata: Metadata, texts: Iterable[str]) -> int:
    """Ask the metadata source, before the transforms run, about every action the knowledge
    base does not know in these workflows: the transforms then find the answers memoised and
    do no I/O. Returns how many references were looked up."""
    if metadata.source is None:
        return 0
    wanted = remote_uses(texts)
    for uses in wanted:
        metadata.lookup(uses)
    return len(wanted)
