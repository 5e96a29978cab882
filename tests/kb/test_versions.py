"""Reading versions from refs and pin comments."""

from __future__ import annotations

import pytest

from fixbot.kb.versions import _INF, overlaps, parse_spec, ref_range

SHA = "3d3c42e5aac5ba805825da76410c181273ba90b1"


@pytest.mark.parametrize(
    ("ref", "comment", "expected"),
    [
        ("v4", None, ((4, 0, 0), (4, _INF, _INF))),
        ("v4.1", None, ((4, 1, 0), (4, 1, _INF))),
        ("v4.1.2", None, ((4, 1, 2), (4, 1, 2))),
        ("4.1.2", None, ((4, 1, 2), (4, 1, 2))),
        ("release/v1", None, ((1, 0, 0), (1, _INF, _INF))),
        ("v2.0.0-beta.1", None, ((2, 0, 0), (2, 0, 0))),
        ("v4.0.0rc1", None, ((4, 0, 0), (4, 0, 0))),
        ("main", None, None),
        ("stable", None, None),
        (SHA, None, None),
        (SHA, "# v7.0.1", ((7, 0, 1), (7, 0, 1))),
        (SHA, "v9", ((9, 0, 0), (9, _INF, _INF))),
        (SHA, "# tag=v4.2", ((4, 2, 0), (4, 2, _INF))),
        (SHA, "# pin@v2.3.4", ((2, 3, 4), (2, 3, 4))),
        (SHA, "# main", None),
        ("v5", "# v1.0.0", ((5, 0, 0), (5, _INF, _INF))),  # the ref wins over a comment
    ],
)
def test_ref_range(ref: str, comment: str | None, expected: object) -> None:
    assert ref_range(ref, comment) == expected


def test_specs() -> None:
    v4 = ref_range("v4")
    assert overlaps("*", v4) and overlaps(">=4", v4) and not overlaps("<4", v4)
    assert overlaps("<4.2", v4) and overlaps(">=4.2", v4)  # a floating v4 may be 4.1 or 4.3
    assert not overlaps(">=4.2", ref_range("v4.1.9")) and overlaps(">=4.2", ref_range("v4.2.0"))
    assert overlaps(">=2,<4", ref_range("v3.9")) and not overlaps(">=2,<4", ref_range("v4.0.0"))
    assert overlaps("=3", ref_range("v3.5.1")) and not overlaps("=3", ref_range("v4"))
    assert all(overlaps(s, None) for s in ("*", ">=9", "<1"))  # unknown version: every need
    with pytest.raises(ValueError):
        parse_spec("~4")
