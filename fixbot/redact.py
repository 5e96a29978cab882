"""One place that removes credentials from text fixbot prints, logs or raises.

A URL such as ``https://user:TOKEN@host/r.git`` loses its userinfo wherever it appears in a
string (``https://host/r.git``); known secret values (tokens) are replaced by ``***``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# scheme://userinfo@ — userinfo is everything up to the last "@" before the host part ends.
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/?#\s]*@)")


def strip_userinfo(text: str) -> str:
    """``text`` with the ``user:password@`` of every URL in it removed."""
    return _USERINFO.sub(lambda m: m.group("scheme"), text)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without URL userinfo and with every non-empty value of ``secrets`` as ``***``."""
    text = strip_userinfo(text)
    for s in secrets:
        if s:
            text = text.replace(s, "***")
    return text
