"""The ``permissions`` package is a one-way pipeline: extract → decide → plan → render.

Each stage imports only the stages before it (``grants``, the scope arithmetic, comes first), so
data flows down once and no module is visited again later.
"""

from __future__ import annotations

import ast
from pathlib import Path

import fixbot.transforms.permissions as package

PACKAGE = Path(package.__file__).parent
ORDER = ["grants", "facts", "metadata", "read", "extract", "decide", "plan", "render", "__init__"]
MAX_LINES = 400


def _imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(package.__name__):
            rest = (node.module or "").removeprefix(package.__name__).lstrip(".")
            out.add(rest.split(".")[0] if rest else "__init__")
        elif isinstance(node, ast.ImportFrom) and node.level:
            out.add(node.module or "__init__")
    return out


def test_every_module_is_a_stage() -> None:
    assert sorted(p.stem for p in PACKAGE.glob("*.py")) == sorted(ORDER)


def test_stages_import_only_earlier_stages() -> None:
    for i, stage in enumerate(ORDER):
        imported = _imports(PACKAGE / f"{stage}.py")
        later = imported - set(ORDER[:i])
        assert not later, f"{stage} imports {sorted(later)}, which come after it (or itself)"


def test_modules_are_small() -> None:
    for path in PACKAGE.glob("*.py"):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines <= MAX_LINES, f"{path.name} has {lines} lines"


def test_knowledge_comes_from_the_knowledge_base() -> None:
    """No program, event or marker lists inside the transform: sets and regular expressions
    of facts live in ``fixbot/kb/`` (the one regex left reads ``${{ inputs.x }}`` expressions,
    and one reads a trailing version comment)."""
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Set | ast.SetComp) and len(getattr(node, "elts", ())) > 4:
                raise AssertionError(f"{path.name}:{node.lineno}: a set literal of facts")
            if isinstance(node, ast.Dict) and len(node.keys) > 4:
                raise AssertionError(f"{path.name}:{node.lineno}: a table of facts")
