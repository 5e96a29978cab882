from __future__ import annotations

from pathlib import Path

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--regen-golden", action="store_true",
                     help="rewrite golden .out.yml/.report.txt files from the current output")


@pytest.fixture(scope="session")
def corpus_root() -> Path:
    from bench.corpus import corpus_dir

    root = corpus_dir()
    if root is None:
        pytest.skip("the real-world corpus is absent (set FIXBOT_CORPUS or provide ../shared/corpus)")
    return root


@pytest.fixture(scope="session")
def corpus_tree(corpus_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus laid out as repositories in a temporary directory (read-only use)."""
    from bench.corpus import lay_out

    dest = tmp_path_factory.mktemp("corpus")
    lay_out(corpus_root, dest)
    return dest
