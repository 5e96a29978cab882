"""``${{ }}`` expressions inside scripts, as both shell readers handle them.

GitHub substitutes ``${{ }}`` before the shell sees the script, so a reader swaps each one for a
placeholder word its grammar reads as a plain token, and restores the original text in every value
it returns: no placeholder ever leaves a reader.
"""

from __future__ import annotations

import re

_EXPR = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)
PLACEHOLDER = re.compile(r"_fxe(\d+)x_")


def swap_out(script: str) -> tuple[str, list[str]]:
    """The script (LF line ends) with its expressions swapped for placeholders, and the
    expressions in placeholder order."""
    exprs: list[str] = []

    def swap(m: re.Match[str]) -> str:
        exprs.append(m.group(0))
        return f"_fxe{len(exprs) - 1}x_"

    return _EXPR.sub(swap, script.replace("\r\n", "\n")), exprs


def restore(text: str, exprs: list[str]) -> str:
    """``text`` with every placeholder replaced by the expression it stands for."""
    return PLACEHOLDER.sub(lambda m: exprs[int(m.group(1))], text)


def mask(script: str) -> tuple[str, str, list[tuple[int, int]]]:
    """The script with LF line ends, the same text with each expression replaced by as many
    ``Z`` (a word to every grammar, and every offset unchanged), and the expressions' spans:
    what the readers that edit scripts in place parse (their offsets are the script's)."""
    text = script.replace("\r\n", "\n")
    _, exprs = swap_out(text)
    spans: list[tuple[int, int]] = []
    out: list[str] = []
    pos = 0
    for e in exprs:
        at = text.index(e, pos)
        out.append(text[pos:at])
        out.append("Z" * len(e))
        spans.append((at, at + len(e)))
        pos = at + len(e)
    out.append(text[pos:])
    return text, "".join(out), spans
