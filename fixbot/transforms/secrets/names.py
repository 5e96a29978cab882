"""Plan: the secret name each credential becomes, and the variable a script reads it from.

Names are stable (from the key the value is assigned to, else from the kind of credential),
one per distinct value, and reuse the secret a workflow already reads under the same key
(``NPM_TOKEN: ${{ secrets.NPM_AUTH }}`` in one job and ``NPM_TOKEN: npm_…`` in another: the
same credential goes by ``NPM_AUTH``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fixbot.kb.secret_values import Found, secret_name

_IDENT = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


def secret_ref(expr: str) -> str | None:
    """``X`` for an expression that is exactly ``${{ secrets.X }}`` (spacing free), else None."""
    e = expr.strip()
    if not (e.startswith("${{") and e.endswith("}}")):
        return None
    inner = e[3:-2].strip()
    if not inner.startswith("secrets."):
        return None
    name = inner[len("secrets."):]
    return name if name and set(name) <= _IDENT and not name[0].isdigit() else None


def referenced(data: Any) -> tuple[set[str], dict[str, str]]:
    """The secret names a workflow's plain data reads anywhere, and the keys (env names,
    inputs) whose value is exactly ``${{ secrets.X }}``, with X."""
    names: set[str] = set()
    by_key: dict[str, str] = {}

    def walk(node: Any, key: str | None) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, str(k))
        elif isinstance(node, list):
            for v in node:
                walk(v, None)
        elif isinstance(node, str) and "secrets." in node:
            ref = secret_ref(node)
            if ref is not None and key is not None:
                by_key.setdefault(key.upper(), ref)
            at = node.find("${{")
            while at >= 0:
                end = node.find("}}", at)
                if end < 0:
                    break
                for word in node[at + 3:end].replace("(", " ").replace(")", " ").split():
                    if word.startswith("secrets.") and set(word[8:]) <= _IDENT and word[8:]:
                        names.add(word[8:])
                at = node.find("${{", end)

    walk(data, None)
    return names, by_key


@dataclass
class Namer:
    referenced: set[str] = field(default_factory=set)
    by_key: dict[str, str] = field(default_factory=dict)
    _by_value: dict[str, str] = field(default_factory=dict, repr=False)
    _taken: set[str] = field(default_factory=set)

    def name(self, found: Found, value: str, key: str | None) -> tuple[str, bool]:
        """The secret for credential ``value`` (found under ``key``), and whether it is one the
        workflow already reads (reused: a person checks it holds this value)."""
        known = self._by_value.get(value)
        if known is not None:
            return known, known in self.referenced
        reused = self.by_key.get(key.upper()) if key else None
        if reused is not None and reused not in self._taken:
            self._by_value[value] = reused
            self._taken.add(reused)
            return reused, True
        base = secret_name(found, key)
        from_key = key is not None and base == key.upper().removeprefix("INPUT_")
        proposed = self._claim(base, may_reuse=from_key)
        self._by_value[value] = proposed
        return proposed, proposed in self.referenced

    def _claim(self, base: str, may_reuse: bool = False) -> str:
        """``base``, or ``base_2``…: the first name no other credential has here, that the
        repository does not read already (unless ``may_reuse``: the key it came from is that
        secret's own name) and that GitHub allows; taken from then on."""
        proposed, n = base, 1
        while proposed in self._taken or (proposed in self.referenced and not may_reuse) \
                or proposed.startswith("GITHUB_"):
            n += 1
            proposed = f"{base}_{n}"
        self._taken.add(proposed)
        return proposed

    def known(self, value: str) -> str | None:
        """The name credential ``value`` already has (in this workflow or the repository)."""
        return self._by_value.get(value)

    def record(self, value: str, name: str) -> None:
        """Credential ``value`` goes by ``name`` (named by the Python codemod)."""
        self._by_value.setdefault(value, name)
        self._taken.add(name)

    def adopt(self, repo: Namer) -> None:
        """Start from the names the repository's workflows give (:func:`repository`): one
        secret per credential across the repository, never one name for two credentials."""
        self.referenced |= repo.referenced
        self.by_key = {**repo.by_key, **self.by_key}
        self._by_value = {**repo._by_value, **self._by_value}
        self._taken |= repo._taken

    def fresh(self, found: Found, key: str | None) -> str:
        """A new secret name for a credential whose value the caller keeps to itself (the
        Python codemod names each distinct value once)."""
        return self._claim(secret_name(found, key))
