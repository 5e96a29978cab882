from __future__ import annotations

from pathlib import Path

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--regen-golden", action="store_true",
                     help="rewrite golden .out.yml/.report.txt files from the current output")


# Fixtures that hand a test the whole real-world corpus: such a test is corpus-wide, so `slow`.
CORPUS_FIXTURES = frozenset({"corpus_root", "corpus_tree", "zizmor_baseline"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the corpus fixtures (directly or through another fixture)
    `slow`, so the default loop leaves it out; tests that read the corpus without them are
    marked by hand."""
    for item in items:
        if CORPUS_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


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


@pytest.fixture(scope="session")
def zizmor_baseline(corpus_tree: Path):  # type: ignore[no-untyped-def]
    """zizmor's findings on the unchanged corpus (per file and audit id), run once per session,
    and a function giving the same counts for a fixed copy of the corpus tree."""
    from bench import zizmor

    if zizmor.zizmor_exe() is None:
        pytest.skip("zizmor is not installed (pip install zizmor)")
    before, skipped = zizmor.counts(corpus_tree)

    def after(dest: Path):  # type: ignore[no-untyped-def]
        return zizmor.counts(dest, {dest / p.relative_to(corpus_tree) for p in skipped})[0]

    return before, after
