"""Version ranges of action refs (``v4``, ``v4.1.2``, a SHA with a ``# v4.1.0`` comment)."""

from __future__ import annotations

import re

Version = tuple[int, int, int]
_INF = 10**9
_LOWEST: Version = (0, 0, 0)
_HIGHEST: Version = (_INF, _INF, _INF)

_SHA = re.compile(r"^[0-9a-fA-F]{40}$")
# A version in a ref: "v4", "4.1.2", "release/v1", "v1.4.6", "v0". Anchored at a separator so
# that branch names such as "main" or "stable" give nothing.
_REF_VERSION = re.compile(r"(?:^|[/@_-])v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-+.]?[A-Za-z][0-9A-Za-z.]*)?$")
# A version mentioned anywhere in a pin comment: "# v4.1.0", "# tag=v4", "pin@v2.3.4".
_COMMENT_VERSION = re.compile(r"(?<![\w.])v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?![\w])")
_CONSTRAINT = re.compile(r"^(>=|<=|==|!=|>|<|=)?\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$")


def ref_range(ref: str, comment: str | None = None) -> tuple[Version, Version] | None:
    """The closed range of versions a ref may stand for, or None when it cannot be told.

    ``v4`` stands for any 4.x.y; ``v4.1`` for any 4.1.y; a 40-hex SHA takes its version from the
    pin comment, if one names a version.
    """
    ref = ref.strip()
    if _SHA.match(ref) or not ref:
        text = (comment or "").strip().lstrip("#").strip()
        m = _COMMENT_VERSION.search(text) if text else None
    else:
        m = _REF_VERSION.search(ref)
    if m is None:
        return None
    parts = [int(g) if g is not None else None for g in m.groups()]
    major, minor, patch = parts
    assert major is not None
    if minor is None:
        return (major, 0, 0), (major, _INF, _INF)
    if patch is None:
        return (major, minor, 0), (major, minor, _INF)
    return (major, minor, patch), (major, minor, patch)


def _bound(op: str, v: Version) -> tuple[Version, Version] | None:
    """Closed range for one constraint; ``!=`` is not supported (None)."""
    if v[2] > 0:
        below = (v[0], v[1], v[2] - 1)
    elif v[1] > 0:
        below = (v[0], v[1] - 1, _INF)
    else:
        below = (v[0] - 1, _INF, _INF)
    above = (v[0], v[1], v[2] + 1)
    if op in ("", "=", "=="):
        return v, v
    if op == ">=":
        return v, _HIGHEST
    if op == ">":
        return above, _HIGHEST
    if op == "<=":
        return _LOWEST, v
    if op == "<":
        return _LOWEST, below
    return None


def parse_spec(spec: str) -> tuple[Version, Version]:
    """``"*"``, ``">=4"``, ``"<3"``, ``">=2,<4"`` -> closed range. Raises ValueError if malformed."""
    spec = spec.strip()
    lo, hi = _LOWEST, _HIGHEST
    if spec in ("", "*"):
        return lo, hi
    for part in spec.split(","):
        m = _CONSTRAINT.match(part.strip())
        if m is None:
            raise ValueError(f"bad version constraint {part!r} in {spec!r}")
        op = m.group(1) or ""
        nums = [int(g) if g is not None else 0 for g in m.group(2, 3, 4)]
        v: Version = (nums[0], nums[1], nums[2])
        if op in ("", "=", "==") and m.group(3) is None:
            # "=4" means any 4.x.y
            b: tuple[Version, Version] | None = ((nums[0], 0, 0), (nums[0], _INF, _INF))
        else:
            b = _bound(op, v)
        if b is None:
            raise ValueError(f"unsupported version operator in {spec!r}")
        lo, hi = max(lo, b[0]), min(hi, b[1])
    return lo, hi


def overlaps(spec: str, rng: tuple[Version, Version] | None) -> bool:
    """Whether a need declared for ``spec`` may apply to a ref of range ``rng`` (None = unknown)."""
    lo, hi = parse_spec(spec)
    if lo > hi:
        return False
    if rng is None:
        return True
    return max(lo, rng[0]) <= min(hi, rng[1])
