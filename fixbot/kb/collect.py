"""Collecting needs and unknowns; REST calls shared by gh api, curl and wget."""

from __future__ import annotations

import re

from fixbot.kb.model import Need, ScriptAnalysis
from fixbot.kb.tables import normalize_api_path, rest_need


class Collector:
    def __init__(self) -> None:
        self.needs: list[Need] = []
        self.unknown: list[str] = []

    def need(self, n: Need | None) -> None:
        if n is not None and n.scopes and n not in self.needs:
            self.needs.append(n)

    def unknown_use(self, what: str) -> None:
        if what not in self.unknown:
            self.unknown.append(what)

    def result(self) -> ScriptAnalysis:
        return ScriptAnalysis(needs=tuple(self.needs), unknown=tuple(self.unknown))


def rest_call(method: str, url: str, out: Collector, what: str) -> None:
    full = compact_exprs(url)
    shown = f"{what} {method} {full}"
    if full.strip("/").lower() == "graphql" or full.lower().rstrip("/").endswith("/graphql"):
        out.unknown_use(f"{what} graphql")
        return
    segs = normalize_api_path(full)
    if segs is None:
        out.unknown_use(shown)
        return
    need, known = rest_need(method, segs)
    if not known:
        out.unknown_use(shown)
    else:
        out.need(need)


def compact_exprs(text: str) -> str:
    return re.sub(r"\$\{\{.*?\}\}", lambda m: m.group(0).replace(" ", ""), text, flags=re.DOTALL)
