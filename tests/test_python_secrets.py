"""Golden tests of the Python credentials codemod (fixbot.kb.python_secrets), with the real detector.

tests/codemod_secrets/<case>.before.py -> <case>.after.py; a case without ``.after.py`` must stay
byte-identical. ``EXPECTED`` holds each case's exact ``moved`` (name, line) and ``left``. Regenerate
the ``.after.py`` files with ``FIXBOT_REGEN=1`` only (the test then prints what to put in EXPECTED).
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import libcst as cst
import pytest

from fixbot.kb.python_secrets import rewrite
from fixbot.kb.secret_values import find, secret_name

HERE = Path(__file__).parent / "codemod_secrets"
CASES = sorted(p.name.removesuffix(".before.py") for p in HERE.glob("*.before.py"))

_SAYS = "[ghp_**** (40 chars)]"
# every credential the fixtures hold (random, never real); none may appear in a message
SECRETS = (
    "ghp_KcBEKanD0F0rPZkcHFuep88VxcA3iMwyAs0R", "ghp_qDlRtQxiDX3pCNycLapim86tIxX5puQJCBEe",
    "ghp_PLu2Gk1oApccFt0MQeI72fjyK8x6Mjh9XXgC", "npm_kZm8wBACpRrjNHl3hrDtkQP80lXlEXwuBoaI",
    "AKIACVUPFQ2ZKY5P7R74", "MFekFRD5ziAILwIyFSkJCg9A", "Vq7TnX2pLw9Rk4",
    "MIIEowIBAAKCAQEA1x2Y3z4W5v6U7t8S9r0Q1p2O3n4M5l6K7j8I9h0G1f2E3d4C5b6A7z8Y9x0W1v2U3t4S5r6Q7p8O9n0M",
    "ghp_KcBEKanD0F0rPZkc", "HFuep88VxcA3iMwyAs0R",  # the halves of a concatenated token
)
EXPECTED: dict[str, tuple[list[tuple[str, int]], list[str]]] = {
    'bearer_header': ([('GH_PAT', 3), ('GH_PAT', 4)], []),
    'class_attribute': ([('GH_PAT', 7), ('API_KEY', 10)], []),
    'comments_formatting': ([('GH_PAT', 4), ('API_KEY', 7)], []),
    'crlf': ([('GH_PAT', 3)], []),
    'dict_value': ([('API_KEY', 5), ('AWS_ACCESS_KEY_ID', 6)], []),
    'docstring_future': ([('AWS_ACCESS_KEY_ID', 7)], []),
    'does_not_parse': ([], ['the script does not parse as Python: line 4: parser error: error at 4:4: expected one of ), *, **, NAME']),
    'env_defaults': ([('NPM_TOKEN', 3), ('GH_TOKEN', 4), ('AWS_ACCESS_KEY_ID', 5), ('API_KEY', 6), ('GH_PAT', 10)], []),
    'escapes_in_literal': ([('GH_PAT', 3)], []),
    'existing_import_os': ([('NPM_TOKEN', 5)], []),
    'fstring_left': ([], ['line 4: password in a URL [**** (14 chars)] is in an f-string: left as is', f'line 5: GitHub personal access token (classic) {_SAYS} is in an f-string: left as is']),
    'implicit_concatenation': ([('GH_PAT', 1)], [f'line 3: GitHub personal access token (classic) {_SAYS} is part of an implicitly concatenated string: left as is']),
    'import_os_alias': ([('GH_PAT', 4)], []),
    'import_os_in_function': ([('NPM_TOKEN', 3)], [f'line 7: GitHub personal access token (classic) {_SAYS} import os comes later in this scope (line 8): left as is']),
    'import_os_later': ([('GH_PAT', 9)], [f'line 3: GitHub personal access token (classic) {_SAYS} import os comes later (line 5): left as is']),
    'keyword_arg': ([('LOGIN_OR_TOKEN', 4), ('NPM_TOKEN', 5)], []),
    'lookalike': ([], []),
    'module_constant': ([('GH_TOKEN', 5)], []),
    'not_expressions': ([], [f'line 1: GitHub personal access token (classic) {_SAYS} is in a docstring or a string statement: left as is', f'line 4: GitHub personal access token (classic) {_SAYS} is used as a key: left as is', f'line 5: GitHub personal access token (classic) {_SAYS} is used as a key: left as is', f'line 6: GitHub personal access token (classic) {_SAYS} is a %-format string: left as is', f'line 7: GitHub personal access token (classic) {_SAYS} is a str.format string: left as is', 'line 8: AWS access key id [AKIA**** (20 chars)] is in a bytes literal: left as is']),
    'os_rebound': ([], [f'line 3: GitHub personal access token (classic) {_SAYS} the name os is bound by something other than a top-level import os (line 1): left as is']),
    'os_shadowed_locally': ([('GH_PAT', 6)], [f'line 3: GitHub personal access token (classic) {_SAYS} the name os is bound to something else here: left as is']),
    'precedence': ([('GH_PAT', 3), ('GH_PAT', 4), ('GH_PAT', 5), ('GH_PAT', 6)], []),
    'private_key_block': ([('DEPLOY_KEY', 3)], []),
    'same_name_two_tokens': ([('GH_PAT', 3), ('GH_PAT_2', 6), ('GH_PAT', 11)], []),
    'same_token_twice': ([('GH_PAT', 3), ('GH_PAT', 4)], []),
    'url_password': ([('URL_PASSWORD', 3)], []),
}


def _values(source: str) -> set[str]:
    """The credentials of a case: the fixtures' own (listed) and whatever the detector sees in the text."""
    return {f.value(source) for f in find(source)} | set(SECRETS)


def test_every_case_is_expected() -> None:
    assert sorted(EXPECTED) == CASES
    assert len(CASES) >= 15


@pytest.mark.parametrize("case", CASES)
def test_codemod(case: str) -> None:
    before_path = HERE / f"{case}.before.py"
    after_path = HERE / f"{case}.after.py"
    before = before_path.read_bytes().decode("utf-8")
    result = rewrite(before, secret_name)
    got = [(m.name, m.line) for m in result.moved]
    if os.environ.get("FIXBOT_REGEN") == "1":
        if result.after == before:
            after_path.unlink(missing_ok=True)
        else:
            after_path.write_bytes(result.after.encode("utf-8"))
        print(f"{case!r}: ({got!r}, {list(result.left)!r}),")
        return
    expected_after = after_path.read_bytes().decode("utf-8") if after_path.exists() else before
    assert result.after == expected_after
    assert (got, list(result.left)) == EXPECTED[case]
    assert (result.after == before) == (not result.moved)
    values = _values(before)
    assert all(any(v in m.value for v in SECRETS) and m.value not in repr(m) for m in result.moved)
    pairs = {(m.name, m.value) for m in result.moved}  # one name per value, one value per name
    assert len(pairs) == len({n for n, _ in pairs}) == len({v for _, v in pairs})
    for message in result.left:
        assert not any(v in message for v in values), message
    if case != "does_not_parse":
        ast.parse(result.after)
        cst.parse_module(result.after)
        again = rewrite(result.after, secret_name)  # moves nothing; leaves the same (lines may shift)
        assert (again.after, again.moved) == (result.after, ())
        assert [m.split(": ", 1)[1] for m in again.left] == [m.split(": ", 1)[1] for m in result.left]


def test_no_value_outside_the_literals_moved() -> None:
    """Where nothing was left, no credential stays in the rewritten file."""
    for case in CASES:
        after = HERE / f"{case}.after.py"
        before = (HERE / f"{case}.before.py").read_text(encoding="utf-8")
        if after.exists() and not rewrite(before, secret_name).left:
            text = after.read_text(encoding="utf-8")
            assert not [v for v in SECRETS if v in text], case


def test_name_for_once_per_value_and_deterministic() -> None:
    calls: list[tuple[str, str | None]] = []

    def name_for(found: object, assigned: str | None) -> str:
        calls.append((getattr(found, "kind", ""), assigned))
        return "SAME"

    before = (HERE / "same_name_two_tokens.before.py").read_text(encoding="utf-8")
    first = rewrite(before, name_for)
    assert calls == [("github-pat-classic", "token"), ("github-pat-classic", "token")]
    assert [m.name for m in first.moved] == ["SAME", "SAME_2", "SAME"]
    assert rewrite(before, name_for) == first


def test_finder_is_injectable() -> None:
    from fixbot.kb.secret_values import Found

    def finder(text: str, name: str | None) -> list[Found]:
        return [Found("credential", "credential", 0, len(text))] if text == "s3cr3t-value" else []

    got = rewrite('x = {"k": "s3cr3t-value"}\n', lambda f, n: f"N_{n}".upper(), finder)
    assert got.after == 'import os\n\nx = {"k": os.environ["N_K"]}\n'
