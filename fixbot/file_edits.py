"""Other repository files that change with a workflow change (:class:`FileEdit`: a Python script
whose literal credential now reads the step's environment).

They are merged per path (two changes giving one path different new texts is an error on that
file), refused where unsafe (a path leaving the repository, into ``.git``, or through a link),
and written like workflow files, never through a link, only once what they go with was written.
A workflow change whose file cannot be written is held back with it: the workflow file becomes
an error and keeps its bytes, so a pull request never carries half of a change.
"""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from fixbot import files
from fixbot.errors import InputError
from fixbot.types import FileEdit, FileResult

WORKFLOWS = files.WORKFLOW_DIR + "/"


@dataclass
class Extra:
    """One file other than a workflow that this run changes: ``path`` relative to ``root``
    (the repository), ``display`` as reported, the new ``edit`` (None on a conflict), the
    indexes of the workflow results that carry it, and why it cannot be written."""

    root: Path | None
    path: str
    display: str
    edit: FileEdit | None
    carriers: list[int] = field(default_factory=list)
    error: str | None = None


def prefix_of(display: str) -> str:
    """What the reported path of a workflow puts before repository-relative paths:
    ``repo/.github/workflows/ci.yml`` -> ``repo/``."""
    if WORKFLOWS in display:
        return display.rsplit(WORKFLOWS, 1)[0]
    head, sep, _ = display.rpartition("/")
    return head + sep


def refused(path: str) -> str | None:
    """Why ``path`` (relative to the repository root, ``/`` separators) must not be written,
    or None: it must stay inside the repository and out of ``.git``."""
    if not path or "\x00" in path or "\\" in path:
        return "not a plain relative path; not written"
    p = PurePosixPath(path)
    if p.is_absolute() or any(part in ("..", ".") for part in path.split("/")):
        return "the path leaves the repository; not written"
    if any(part.lower() == ".git" for part in p.parts) or path.endswith("/"):
        return "not a file of the repository's work tree; not written"
    return None


def _through_link(root: Path, path: str) -> str | None:
    """The first directory of ``path`` under ``root`` that is a symbolic link, or None."""
    at = root
    for part in PurePosixPath(path).parts[:-1]:
        at = at / part
        try:
            if stat.S_ISLNK(os.lstat(at).st_mode):
                return (at.relative_to(root)).as_posix()
        except OSError:
            return None  # missing: the write says so
    return None


def plan(results: list[FileResult], roots: list[Path | None] | None = None) -> list[Extra]:
    """The files the changed ``results`` carry, one per path, in order of first mention;
    ``roots[i]`` is the repository root of ``results[i]`` (None: nothing is to be written,
    e.g. for a diff). Conflicting new texts and unsafe paths are errors."""
    found: dict[tuple[str, str], Extra] = {}
    for i, r in enumerate(results):
        if r.status != "changed":
            continue
        root = roots[i] if roots is not None else None
        prefix = prefix_of(r.path)
        for c in r.changes:
            for fe in c.files:
                key = (str(root) if root is not None else prefix, fe.path)
                x = found.get(key)
                if x is None:
                    x = found[key] = Extra(root, fe.path, prefix + fe.path, fe,
                                           error=refused(fe.path))
                elif x.edit is not None and (x.edit.after != fe.after
                                             or x.edit.before != fe.before):
                    x.edit = None
                    x.error = x.error or ("two changes rewrite this file differently; nothing "
                                          "written (fix one workflow at a time)")
                if i not in x.carriers:
                    x.carriers.append(i)
    for x in found.values():
        if x.error is None and x.root is not None:
            link = _through_link(x.root, x.path)
            if link is not None:
                x.error = f"{link} is a symbolic link; not written through"
    return list(found.values())


def hold_back(extras: list[Extra], results: list[FileResult]) -> list[FileResult]:
    """``results`` where every workflow carrying a file that cannot be written is an error
    (it keeps its bytes: the change and its file go together or not at all)."""
    out = list(results)
    for x in extras:
        if x.error is None:
            continue
        for i in x.carriers:
            out[i] = _held(out[i], x)
    return out


def _held(r: FileResult, x: Extra) -> FileResult:
    if r.status == "error":
        return r
    return FileResult(path=r.path, status="error", original=r.original, notes=r.notes,
                      error=f"not written: its change also rewrites {x.display}, which "
                            f"cannot be written ({x.error})")


def errors(extras: list[Extra]) -> list[FileResult]:
    """One error result per file that could not be written, saying why."""
    return [FileResult(path=x.display, status="error", error=x.error)
            for x in extras if x.error is not None]


def write(extras: list[Extra], targets: list[files.Target],
          results: list[FileResult]) -> list[FileResult]:
    """Write each file whose carrying workflows were all written (``results``: after the
    workflows were written, aligned with ``targets``), never through a link and only over the
    text the change read. A file that cannot be written gets its error, and its carriers
    become errors and get their original bytes back."""
    out = list(results)
    for x in extras:
        if x.error is not None or x.edit is None or x.root is None:
            continue
        if any(out[i].status != "changed" for i in x.carriers):
            x.error = "not written: a workflow it goes with could not be written"
            continue
        try:
            if x.edit.before is None:
                files.create_new(x.root / x.path, x.edit.after.encode("utf-8"), x.root)
            else:
                files.write_atomic(x.root / x.path, x.edit.after.encode("utf-8"),
                                   x.root, x.edit.before.encode("utf-8"))
        except InputError as e:
            x.error = str(e)
            for i in x.carriers:
                _restore(targets[i], out[i])
                out[i] = _held(out[i], x)
    return out


def _restore(t: files.Target, r: FileResult) -> None:
    """Put a written workflow's original bytes back (only over what fixbot wrote)."""
    if r.original is None or r.updated is None:
        return
    with contextlib.suppress(InputError):  # someone changed it meanwhile: theirs stays
        files.write_atomic(t.file, r.original.encode("utf-8"), t.root,
                           r.updated.encode("utf-8"))


def paths(results: list[FileResult]) -> list[str]:
    """The repository-relative paths of the files the changed ``results`` carry."""
    return list(dict.fromkeys(fe.path for r in results if r.status == "changed"
                              for c in r.changes for fe in c.files))


def written(results: list[FileResult]) -> list[FileEdit]:
    """The files the changed ``results`` carry, one per path (as :func:`plan` merged them)."""
    by_path: dict[str, FileEdit] = {}
    for r in results:
        if r.status == "changed":
            for c in r.changes:
                for fe in c.files:
                    by_path.setdefault(fe.path, fe)
    return list(by_path.values())


def diff_results(results: list[FileResult]) -> list[tuple[FileResult, bool]]:
    """The carried files as ``changed`` results (for a unified diff), one per path, each with
    whether it is a new file."""
    return [(FileResult(path=x.display, status="changed", original=x.edit.before or "",
                        updated=x.edit.after), x.edit.before is None)
            for x in plan(results) if x.edit is not None and x.error is None]
