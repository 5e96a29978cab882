"""Lay out ../shared/corpus as repositories (``<dest>/<owner>__<repo>/.github/workflows/``).

The corpus is read in place and copied only into a temporary directory; nothing of it is ever
committed to this project.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

DEFAULT = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


def corpus_dir() -> Path | None:
    """The corpus root (``FIXBOT_CORPUS`` or ../shared/corpus), or None when it is absent."""
    root = Path(os.environ.get("FIXBOT_CORPUS", DEFAULT))
    return root if (root / "workflows").is_dir() else None


def corpus_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "workflows").glob("*/*") if p.is_file())


def lay_out(root: Path, dest: Path) -> list[Path]:
    """Copy the corpus into one repository per snapshot: ``dest/<owner>__<repo>@<when>/``.

    Files keep their original path (``MANIFEST.tsv``), so a workflow that calls a sibling
    (``uses: ./.github/workflows/x.yml``) finds it as it would in the real repository. Starter
    templates, which live outside ``.github/workflows/`` upstream, go there under their flattened
    name. Without a manifest every file goes to ``dest/<owner>__<repo>/.github/workflows/``.
    Returns the repository roots, sorted.
    """
    manifest = root / "MANIFEST.tsv"
    repos: set[Path] = set()
    if manifest.is_file():
        with manifest.open(encoding="utf-8") as f:
            header = f.readline().rstrip("\n").split("\t")
            for line in f:
                row = dict(zip(header, line.rstrip("\n").split("\t"), strict=True))
                src = root / row["path"]
                repo_dir, filename = src.parent.name, src.name
                when, name = filename.split("__", 1)
                original = row["original_path"]
                rel = original if original.startswith(".github/workflows/") and \
                    "/" not in original.removeprefix(".github/workflows/") else \
                    f".github/workflows/{name}"
                repo = dest / f"{repo_dir}@{when}"
                target = repo / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, target)
                repos.add(repo)
        return sorted(repos)
    for repo_dir in sorted((root / "workflows").iterdir()):
        if not repo_dir.is_dir():
            continue
        target = dest / repo_dir.name / ".github" / "workflows"
        target.mkdir(parents=True, exist_ok=True)
        for f in sorted(repo_dir.iterdir()):
            if f.is_file():
                shutil.copyfile(f, target / f.name)
        repos.add(dest / repo_dir.name)
    return sorted(repos)


ACTIONS_DEFAULT = Path(__file__).resolve().parent.parent.parent / "shared" / "actions"


def repos_dir(root: Path) -> Path | None:
    """The repository-context snapshots (``<corpus>/repos/<owner>__<repo>__<when>/``), or None."""
    repos = root / "repos"
    return repos if (repos / "REPOS.tsv").is_file() else None


def actions_dir() -> Path | None:
    """The action-metadata directory (``FIXBOT_ACTIONS`` or ../shared/actions), or None when it
    is absent."""
    root = Path(os.environ.get("FIXBOT_ACTIONS", ACTIONS_DEFAULT))
    return root if (root / "MANIFEST.tsv").is_file() else None


def snapshots(root: Path) -> list[Path]:
    """The snapshot directories of ``<corpus>/repos`` (empty when it is absent)."""
    repos = repos_dir(root)
    return sorted(p for p in repos.iterdir() if p.is_dir()) if repos else []


def copy_snapshots(root: Path, dest: Path) -> list[Path]:
    """Copy every snapshot of ``<corpus>/repos`` to ``dest/<owner>__<repo>__<when>/`` (modes
    kept; the corpus has no symlinks, and none would be followed). Returns the copies, sorted."""
    out = []
    for snap in snapshots(root):
        shutil.copytree(snap, dest / snap.name, symlinks=True)
        out.append(dest / snap.name)
    return out


def add_repo_context(root: Path, repos: list[Path]) -> None:
    """Give each repository laid out by :func:`lay_out` (``<owner>__<repo>@<when>``) the files of
    its ``<corpus>/repos`` snapshot that it does not have yet (the workflows are the same
    bytes; the README of corpus/repos says so)."""
    for repo in repos:
        snap = (repos_dir(root) or root / "repos") / repo.name.replace("@", "__")
        if not snap.is_dir():
            continue
        for src in sorted(snap.rglob("*")):
            target = repo / src.relative_to(snap)
            if src.is_file() and not src.is_symlink() and not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, target)


def update_doc_section(doc: Path, heading: str, section: str) -> None:
    """Replace the section of ``doc`` that starts with ``heading`` (up to the next ``## ``
    heading) by ``section``, or append it: how the benchmarks keep docs/performance.md."""
    text = doc.read_text(encoding="utf-8")
    start = text.find(heading)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        nxt = text.find("\n## ", start + len(heading))
        text = text[:start] + section + (text[nxt:] if nxt >= 0 else "")
    doc.write_text(text, encoding="utf-8")
