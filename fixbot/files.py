"""Finding workflow files and reading them safely (size, binary, encoding, symlinks)."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fixbot.errors import InputError, UsageError

MAX_FILE_BYTES = 1024 * 1024  # workflows over 1 MiB are rejected, not parsed
WORKFLOW_DIR = ".github/workflows"


@dataclass(frozen=True)
class Target:
    """One workflow file to process."""

    file: Path  # where it is on disk
    root: Path  # the repository root it belongs to (for RepoContext)
    display: str  # the path reported to the user
    repo_path: str  # the path relative to the repository root


def discover(paths: list[str]) -> list[Target]:
    """Expand PATH arguments: a directory is a repository root, a file is a workflow file."""
    targets: list[Target] = []
    single_dir = len(paths) == 1 and Path(paths[0]).is_dir()
    for arg in paths:
        p = Path(arg)
        if p.is_dir():
            wf_dir = p / WORKFLOW_DIR
            if not wf_dir.is_dir():
                continue
            for f in sorted(wf_dir.iterdir(), key=lambda x: x.name):
                if f.suffix in (".yml", ".yaml") and (f.is_file() or f.is_symlink()):
                    rel = f"{WORKFLOW_DIR}/{f.name}"
                    shown = rel if single_dir else _join(arg, rel)
                    targets.append(Target(f, p, shown, rel))
        elif p.is_file() or p.is_symlink():
            root = _repo_root_of(p)
            rel = f"{WORKFLOW_DIR}/{p.name}" if root else p.name  # never resolved: a link
            targets.append(Target(p, root or p.parent, arg.replace(os.sep, "/"), rel))
        elif p.exists():
            raise UsageError(f"{arg}: not a regular file")
        else:
            raise UsageError(f"{arg}: no such file or directory")
    return targets


def _join(arg: str, rel: str) -> str:
    return f"{arg.rstrip('/').replace(os.sep, '/')}/{rel}" if arg not in (".", "./") else rel


def _repo_root_of(file: Path) -> Path | None:
    parent = file.absolute().parent
    if parent.name == "workflows" and parent.parent.name == ".github":
        return parent.parent.parent
    return None


def read_workflow(target: Target) -> str:
    """The decoded text (BOM kept) of a workflow file, or InputError with a clear reason."""
    f = target.file
    if f.is_symlink():
        real = f.resolve()
        root = target.root.resolve()
        if not real.is_relative_to(root):
            raise InputError("symlink points outside the repository; not followed")
        raise InputError(f"symlink to {real.relative_to(root).as_posix()}; edit the target instead")
    if not f.resolve().is_relative_to(target.root.resolve()):
        raise InputError("its directory is a symlink that leaves the repository; not followed")
    return read_text_file(f)


def read_text_file(f: Path) -> str:
    try:
        size = f.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(f"file is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit")
        data = f.read_bytes()
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror or e}") from e
    return decode(data)


def decode(data: bytes) -> str:
    if b"\x00" in data:
        raise InputError("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"not UTF-8 text (invalid byte at offset {e.start})") from e


def repo_reader(root: Path) -> Callable[[str], str | None]:
    """A RepoContext.read_text for files under ``root`` that refuses anything unsafe."""
    real_root = root.resolve()

    def read(rel: str) -> str | None:
        rel = rel.removeprefix("./")
        if not rel or rel.startswith("/") or "\x00" in rel:
            return None
        p = (root / rel)
        try:
            real = p.resolve()
            if not real.is_relative_to(real_root) or not real.is_file():
                return None
            return read_text_file(real)
        except (InputError, OSError, RuntimeError):
            return None

    return read


def write_atomic(path: Path, data: bytes, root: Path | None = None,
                 expect: bytes | None = None) -> None:
    """Replace a regular file's content, keeping its mode; never writes through a link.

    The new content goes to a temporary file created exclusively (``O_CREAT|O_EXCL|O_NOFOLLOW``,
    a random name) in the same directory, opened relative to that directory, and is then renamed
    over ``path``. ``path`` must be a regular file when the write starts and still be one (the same
    inode) just before the rename; with ``root``, its directory must resolve inside ``root``; with
    ``expect``, it must still hold exactly those bytes (what fixbot read), so that an edit a person
    made meanwhile is never overwritten.
    Any failure removes the temporary file and raises :class:`InputError` naming the reason;
    the file keeps its old bytes.
    """
    dir_fd = _open_dir(path, root, "the fixed file")
    try:
        _replace_in(dir_fd, path.name, data, expect)
    finally:
        os.close(dir_fd)


def _open_dir(path: Path, root: Path | None, what: str) -> int:
    """A descriptor of ``path``'s directory, which must resolve inside ``root`` (when given)."""
    try:
        real_dir = path.parent.resolve(strict=True)
    except (OSError, RuntimeError) as e:
        raise InputError(f"cannot write {what}: {_reason(e)}") from e
    if root is not None and not real_dir.is_relative_to(root.resolve()):
        raise InputError(f"cannot write {what}: its directory is a symlink that leaves the "
                         "repository; not written through")
    try:
        return os.open(real_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as e:
        raise InputError(f"cannot write {what}: {_reason(e)}") from e


def create_new(path: Path, data: bytes, root: Path | None = None) -> None:
    """Create ``path``, a file that must not exist yet (a link in its place counts as existing),
    with ``data`` (mode 0644); never through a link: its directory must resolve inside
    ``root``. The data goes to a temporary file first and is then linked to its name, which
    fails if the name was taken meanwhile. Any failure raises :class:`InputError` naming the
    reason and leaves nothing behind."""
    dir_fd = _open_dir(path, root, "the new file")
    try:
        fd, tmp = _exclusive_temp(dir_fd)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                os.fchmod(f.fileno(), 0o644)
            os.link(tmp, path.name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd, follow_symlinks=False)
        except FileExistsError as e:
            raise InputError("cannot write the new file: a file of that name exists; left as "
                             "it is") from e
        except OSError as e:
            raise InputError(f"cannot write the new file: {_reason(e)}") from e
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=dir_fd)
    finally:
        os.close(dir_fd)


def _replace_in(dir_fd: int, name: str, data: bytes, expect: bytes | None = None) -> None:
    before = _regular(dir_fd, name)
    fd, tmp = _exclusive_temp(dir_fd)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            os.fchmod(f.fileno(), stat.S_IMODE(before.st_mode))
        now = _regular(dir_fd, name)
        if (now.st_dev, now.st_ino) != (before.st_dev, before.st_ino):
            raise InputError("cannot write the fixed file: it was replaced while fixbot worked; "
                             "left as it is")
        if expect is not None and _current(dir_fd, name) != expect:
            raise InputError("cannot write the fixed file: it changed after fixbot read it; "
                             "left as it is")
        os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dir_fd)
        if isinstance(e, OSError):
            raise InputError(f"cannot write the fixed file: {_reason(e)}") from e
        raise


def _current(dir_fd: int, name: str) -> bytes:
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dir_fd)
    with os.fdopen(fd, "rb") as f:
        return f.read(MAX_FILE_BYTES + 1)


def _regular(dir_fd: int, name: str) -> os.stat_result:
    """lstat ``name``: it must be a regular file (not a link, directory, device or FIFO)."""
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except OSError as e:
        raise InputError(f"cannot write the fixed file: {_reason(e)}") from e
    if stat.S_ISLNK(st.st_mode):
        raise InputError("cannot write the fixed file: it is a symlink; not written through")
    if not stat.S_ISREG(st.st_mode):
        raise InputError("cannot write the fixed file: not a regular file")
    return st


def _exclusive_temp(dir_fd: int) -> tuple[int, str]:
    """A new, empty file with a random name; never an existing file or link."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    for _ in range(16):
        tmp = f".fixbot-{secrets.token_hex(8)}.tmp"
        try:
            return os.open(tmp, flags, 0o600, dir_fd=dir_fd), tmp
        except FileExistsError:
            continue
        except OSError as e:
            raise InputError(f"cannot write the fixed file: {_reason(e)}") from e
    raise InputError("cannot write the fixed file: no free temporary name")


def _reason(e: BaseException) -> str:
    return (e.strerror if isinstance(e, OSError) and e.strerror else str(e)) or type(e).__name__
