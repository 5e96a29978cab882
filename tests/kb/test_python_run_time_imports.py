"""Modules a Python script imports by a literal name at run time are followed like imports."""

from __future__ import annotations

import pytest

from fixbot.kb.python_script import analyze_python


@pytest.mark.parametrize(
    "src",
    [
        'import importlib\nsp = importlib.import_module("subprocess")\nsp.run(["git", "push"])',
        'import importlib\nimportlib.import_module("subprocess").run(["git", "push"])',
        '__import__("subprocess").check_call(["git", "push"])',
        'from importlib import import_module as im\nm = im("subprocess")\nm.Popen(["git", "push"])',
    ],
)
def test_literal_run_time_import_is_followed(src: str) -> None:
    facts = analyze_python(src)
    assert [c.argv for c in facts.commands] == [("git", "push")]
    assert facts.unknown == ()


def test_dunder_import_of_a_submodule_is_the_package() -> None:
    facts = analyze_python('o = __import__("os.path")\no.system("git push")')
    assert [c.shell for c in facts.commands] == ["git push"]


def test_module_named_at_run_time_is_unknown() -> None:
    facts = analyze_python('import importlib, sys\nm = importlib.import_module(sys.argv[1])\nm.run(["git"])')
    assert facts.unknown
