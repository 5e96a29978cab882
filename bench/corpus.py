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
    """Copy every corpus file to ``dest/<repo>/.github/workflows/<file>``; return repo roots."""
    repos: list[Path] = []
    for repo_dir in sorted((root / "workflows").iterdir()):
        if not repo_dir.is_dir():
            continue
        target = dest / repo_dir.name / ".github" / "workflows"
        target.mkdir(parents=True, exist_ok=True)
        for f in sorted(repo_dir.iterdir()):
            if f.is_file():
                shutil.copyfile(f, target / f.name)
        repos.append(dest / repo_dir.name)
    return repos
