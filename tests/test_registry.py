"""Every transform module is registered, has the small interface, and is pure."""

from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

import transforms
from transforms import PLANNED, REGISTRY

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


def test_transforms_do_no_io_and_never_import_each_other() -> None:
    forbidden = {"open", "subprocess", "os", "pathlib", "socket", "requests", "git", "github"}
    names = {m.__name__.rsplit(".", 1)[1] for m in REGISTRY.values()}
    for f in TRANSFORMS_DIR.glob("*.py"):
        tree = ast.parse(f.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                mods = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                mods = [(node.module or "").split(".")[0]]
                if node.module == "transforms" or (node.module or "").startswith("transforms."):
                    imported = {a.name for a in node.names} | {(node.module or "").split(".")[-1]}
                    if f.name != "__init__.py":
                        assert not imported & names, f"{f.name} imports another transform"
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id != "open", f"{f.name} calls open()"
                continue
            else:
                continue
            assert not set(mods) & forbidden, f"{f.name} imports {mods}"
