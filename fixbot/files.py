"""Finding workflow files and reading them safely (size, binary, encoding, symlinks)."""

from __future__ import annotations

import os
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
            rel = p.resolve().relative_to(root.resolve()).as_posix() if root else p.name
            targets.append(Target(p, root or p.parent, arg.replace(os.sep, "/"), rel))
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


def write_atomic(path: Path, data: bytes) -> None:
    """Replace a file's content, keeping its mode; never leaves a half-written file."""
    mode = path.stat().st_mode
    tmp = path.with_name(f".{path.name}.fixbot-tmp")
    tmp.write_bytes(data)
    try:
        os.chmod(tmp, mode & 0o7777)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
