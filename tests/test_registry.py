"""Every transform module is registered, has the small interface, and is pure."""

from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

import fixbot.transforms as transforms
from fixbot.transforms import PLANNED, REGISTRY

TRANSFORMS_DIR = Path(transforms.__file__).parent


def test_every_module_is_registered() -> None:
    public = {m.name for m in pkgutil.iter_modules([str(TRANSFORMS_DIR)]) if not m.name.startswith("_")}
    assert public == {m.__name__.rsplit(".", 1)[1] for m in REGISTRY.values()}


def test_interface_and_ids() -> None:
    for tid, module in REGISTRY.items():
        assert tid == module.ID
        assert tid not in PLANNED
        assert module.SUMMARY and "\n" not in module.SUMMARY
        assert module.DOCS.startswith("https://")
        assert callable(module.analyze)


def _owner(f: Path) -> str:
    """The transform a source file belongs to: its module, or the package it is part of."""
    rel = f.relative_to(TRANSFORMS_DIR)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def test_transforms_do_no_io_and_never_import_each_other() -> None:
    forbidden = {"open", "subprocess", "os", "pathlib", "socket", "requests", "git", "github"}
    names = {m.__name__.rsplit(".", 1)[1] for m in REGISTRY.values()}
    sources = sorted(TRANSFORMS_DIR.rglob("*.py"))
    assert any(len(f.relative_to(TRANSFORMS_DIR).parts) > 1 for f in sources)  # packages are read
    for f in sources:
        if f == TRANSFORMS_DIR / "__init__.py":
            continue  # the registry imports every transform
        tree = ast.parse(f.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                mods = [a.name.split(".")[0] for a in node.names]
                assert not any(a.name.startswith("fixbot.transforms") for a in node.names), \
                    f"{f.name}: import transforms modules with `from ... import`"
            elif isinstance(node, ast.ImportFrom):
                mods = [(node.module or "").split(".")[0]]
                module = node.module or ""
                if module == "fixbot.transforms" or module.startswith("fixbot.transforms."):
                    parts = module.split(".")[1:]
                    imported = set(parts[1:2]) if len(parts) > 1 else {a.name for a in node.names}
                    assert imported <= {_owner(f)} and not (imported - {_owner(f)}) & names, \
                        f"{f.relative_to(TRANSFORMS_DIR)} imports another transform ({module})"
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id != "open", f"{f.name} calls open()"
                continue
            else:
                continue
            assert not set(mods) & forbidden, f"{f.name} imports {mods}"
