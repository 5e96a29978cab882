"""Which ``${{ }}`` expressions an attacker can fill, for the template-injection transform.

GitHub substitutes every ``${{ }}`` into a ``run:`` script's text before the shell reads it, so
a value that someone outside the repository writes (a pull request title, a branch name, a
commit message, an input typed into a manual run) can end a quoted string and run commands.
The data (``injection.toml``) says which contexts those are, with the sources it restates:
GitHub's "Script injections" page and zizmor's ``template-injection`` audit.

An expression is read with a small tokenizer of GitHub's expression syntax (strings, numbers,
operators, context paths, function calls), never searched as text. Its verdict:

- ``attacker``: it reads a context an outsider can write (``github.event.*`` text fields,
  ``github.head_ref``, ``inputs.*`` that are not booleans or numbers, ...);
- ``unknown``: it reads a value whose origin fixbot cannot see (``steps.*.outputs.*``,
  ``needs.*.outputs.*``, a matrix built by an expression): moved as well, and said so;
- ``secret``: ``secrets.*`` (the ``secrets`` transform's concern);
- ``safe``: everything else (``github.sha``, ``runner.os``, ``env.*``, a literal matrix, numbers
  such as ``github.event.pull_request.number``, and any comparison, whose value is true/false).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

Kind = Literal["attacker", "unknown", "secret", "safe"]

GITHUB_DOCS = "https://docs.github.com/en/actions/concepts/security/script-injections"
ZIZMOR_DOCS = "https://docs.zizmor.sh/audits/#template-injection"

_CONTEXTS = frozenset({"github", "env", "vars", "secrets", "inputs", "steps", "needs", "matrix",
                       "strategy", "runner", "job", "jobs"})
# functions whose value is a boolean or a hash, whatever they read
_VALUELESS = frozenset({"contains", "startswith", "endswith", "success", "failure", "always",
                        "cancelled", "hashfiles"})
_TOKEN = re.compile(r"""
    (?P<str>'(?:[^']|'')*')
  | (?P<num>-?(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?))
  | (?P<op>==|!=|<=|>=|&&|\|\||[<>!(),\[\].*])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_-]*)
  | (?P<ws>\s+)
""", re.VERBOSE)


@cache
def data() -> dict[str, Any]:
    text = resources.files("fixbot.kb").joinpath("injection.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@dataclass(frozen=True)
class Ref:
    """A context path an expression reads: its parts lower-cased (``*`` for a filter, ``?`` for
    an index computed by an expression) and the text as written."""

    parts: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Verdict:
    kind: Kind
    ref: Ref | None = None  # the context that decided it
    why: str = ""  # who can write it, for the reader
    default_env: str | None = None  # a runner variable holding the same value (GITHUB_HEAD_REF)


@dataclass(frozen=True)
class Facts:
    """What the workflow says about its own values: input types and literal matrices."""

    input_types: dict[str, str]  # input name (lower-case) -> type ("string", "boolean", ...)
    literal_matrix: bool  # the job's matrix holds no expression


def tokens(inner: str) -> list[tuple[str, str]] | None:
    """The tokens of an expression's inner text, or None when it is not one."""
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(inner):
        m = _TOKEN.match(inner, pos)
        if m is None:
            return None
        kind = m.lastgroup or ""
        if kind != "ws":
            out.append((kind, m.group(0)))
        pos = m.end()
    return out


def refs(toks: list[tuple[str, str]]) -> list[Ref]:
    """The context paths among an expression's tokens (function names are not paths)."""
    out: list[Ref] = []
    i = 0
    while i < len(toks):
        kind, text = toks[i]
        if kind != "ident" or text.lower() not in _CONTEXTS or \
                (i > 0 and toks[i - 1] == ("op", ".")) or \
                (i + 1 < len(toks) and toks[i + 1] == ("op", "(")):
            i += 1
            continue
        parts, written, j = [text.lower()], [text], i + 1
        while j < len(toks):
            if toks[j] == ("op", ".") and j + 1 < len(toks) and \
                    (toks[j + 1][0] == "ident" or toks[j + 1] == ("op", "*")):
                parts.append(toks[j + 1][1].lower())
                written.append("." + toks[j + 1][1])
                j += 2
            elif toks[j] == ("op", "["):
                depth, k = 1, j + 1
                while k < len(toks) and depth:
                    depth += {"[": 1, "]": -1}.get(toks[k][1], 0) if toks[k][0] == "op" else 0
                    k += 1
                inside = toks[j + 1:k - 1]
                if len(inside) == 1 and inside[0][0] == "str":
                    parts.append(inside[0][1][1:-1].replace("''", "'").lower())
                elif inside == [("op", "*")]:
                    parts.append("*")
                else:
                    parts.append("?")
                    out.extend(refs(inside))
                written.append("".join(t for _, t in toks[j:k]))
                j = k
            else:
                break
        out.append(Ref(tuple(parts), "".join(written)))
        i = j
    return out


def _valueless(toks: list[tuple[str, str]]) -> bool:
    """Whether the expression's value is a boolean or a hash whatever its contexts hold: a
    comparison or a negation at the top level, or one call of such a function (``&&`` and
    ``||`` give one of their operands, so they keep the operands' values)."""
    depth = 0
    compare = False
    for kind, text in toks:
        if kind != "op":
            continue
        if text in "([":
            depth += 1
        elif text in ")]":
            depth -= 1
        elif depth == 0 and text in ("&&", "||"):
            return False
        elif depth == 0 and text in ("==", "!=", "<", ">", "<=", ">="):
            compare = True
    if compare or (toks and toks[0] == ("op", "!")):
        return True
    if len(toks) >= 3 and toks[0][0] == "ident" and toks[0][1].lower() in _VALUELESS \
            and toks[1] == ("op", "(") and toks[-1] == ("op", ")"):
        depth = 0
        for k, (kind, text) in enumerate(toks[1:], 1):
            depth += {"(": 1, ")": -1}.get(text, 0) if kind == "op" else 0
            if depth == 0:
                return k == len(toks) - 1
    return False


def _fixed_leaf(leaf: str) -> bool:
    ev = data()["event"]
    return leaf in ev["fixed_leaves"] or leaf.endswith(tuple(ev["fixed_suffixes"]))


def context_verdict(ref: Ref, facts: Facts) -> Verdict:
    """Who can write the value of one context path."""
    p = ref.parts
    head = p[0]
    if head == "secrets":
        return Verdict("secret", ref)
    if head == "github":
        if len(p) == 1:
            return Verdict("attacker", ref, "the whole `github` context holds the event's text")
        if p[1] == "event":
            if len(p) >= 4 and p[2] == "inputs":
                return _input(ref, p[3], facts, "github.event.inputs")
            if len(p) > 2 and _fixed_leaf(p[-1]):
                return Verdict("safe", ref)
            return Verdict("attacker", ref, _event_why(p))
        if p[1] in {s.lower() for s in data()["github"]["safe"]}:
            return Verdict("safe", ref)
        env = data()["github"]["default_env"].get(p[1]) if len(p) == 2 else None
        return Verdict("attacker", ref, _github_why(p[1]), env)
    if head == "inputs":
        if len(p) < 2:
            return Verdict("attacker", ref, "every input of the run, typed by whoever starts it")
        return _input(ref, p[1], facts, "inputs")
    if head in ("steps", "needs", "jobs"):
        if len(p) >= 3 and p[2] in ("outcome", "conclusion", "result"):
            return Verdict("safe", ref)
        what = "step" if head == "steps" else "job"
        return Verdict("unknown", ref, f"an output of {what} `{p[1] if len(p) > 1 else '?'}`, "
                       "whose value may come from an attacker (fixbot does not follow where it "
                       "is computed)")
    if head == "vars" and len(p) >= 2:
        return Verdict("unknown", ref, f"`{ref.text}` is a configuration variable, set outside "
                       "the workflow by whoever can edit the repository's, environment's or "
                       "organization's variables: fixbot cannot see what it holds, and a quote "
                       "in it would end the script's string")
    if head == "matrix":
        if facts.literal_matrix:
            return Verdict("safe", ref)
        return Verdict("unknown", ref, "a matrix value built by an expression, whose origin "
                       "fixbot does not follow")
    return Verdict("safe", ref)


def _input(ref: Ref, name: str, facts: Facts, prefix: str) -> Verdict:
    kind = facts.input_types.get(name, "")
    if kind in ("boolean", "number"):
        return Verdict("safe", ref)
    return Verdict("attacker", ref, f"`{prefix}.{name}` is any text that whoever starts the run types "
                   "(`workflow_dispatch`) or the calling workflow passes (`workflow_call`)")


def _event_why(p: tuple[str, ...]) -> str:
    leaf = p[-1] if len(p) > 2 else "event"
    return (f"`{'.'.join(p)}` is event text (a {leaf.replace('_', ' ')}) that whoever opens the "
            "issue, pull request, comment, branch or commit writes")


def _github_why(field: str) -> str:
    if field in ("head_ref", "base_ref", "ref", "ref_name"):
        return f"`github.{field}` is a branch or tag name, which anyone who pushes one (a fork's " \
               "pull request included) chooses"
    if field in ("actor", "triggering_actor"):
        return f"`github.{field}` is an account name chosen by its owner"
    return f"`github.{field}` is not on the list of fields GitHub fills in itself"


def verdict(expression: str, facts: Facts) -> Verdict:
    """The verdict on one ``${{ … }}`` expression as written."""
    inner = expression.strip()
    if inner.startswith("${{") and inner.endswith("}}"):
        inner = inner[3:-2]
    toks = tokens(inner)
    if toks is None:
        return Verdict("unknown", None, "an expression fixbot cannot read")
    found = [context_verdict(r, facts) for r in refs(toks)]
    if not found:
        return Verdict("safe")
    order: dict[Kind, int] = {"attacker": 0, "unknown": 1, "secret": 2, "safe": 3}
    worst = min(found, key=lambda v: order[v.kind])
    if worst.kind in ("attacker", "unknown") and _valueless(toks):
        return Verdict("safe", worst.ref)
    single = len(found) == 1 and len(toks) == len(_ref_tokens(toks))
    return Verdict(worst.kind, worst.ref, worst.why, worst.default_env if single else None)


def _ref_tokens(toks: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The tokens that belong to a path (identifiers, dots, indexes, strings in indexes)."""
    return [t for t in toks if t[0] in ("ident", "str") or t[1] in (".", "[", "]", "*")]


def variable_name(ref: Ref | None) -> str:
    """A stable SCREAMING_SNAKE variable name for the value of ``ref``:
    ``github.event.pull_request.title`` -> ``PR_TITLE``, ``inputs.tag-name`` -> ``INPUT_TAG_NAME``,
    ``steps.meta.outputs.tags`` -> ``META_TAGS``."""
    if ref is None:
        return "EXPR_VALUE"
    p = [x for x in ref.parts if x not in ("*", "?")]
    short = data()["names"]["short"]
    if p[:2] == ["github", "event"] and len(p) >= 4 and p[2] == "inputs":
        words = ["input", p[3]]
    elif p[:2] == ["github", "event"] and len(p) > 2:
        words = [short.get(p[2], p[2]), *p[3:]]
    elif p[0] == "github":
        words = p[1:] or ["github", "context"]
    elif p[0] == "inputs":
        words = ["input", *p[1:]] if len(p) > 1 else ["inputs"]
    elif p[0] in ("steps", "needs", "jobs") and len(p) >= 4 and p[2] == "outputs":
        words = [p[1], *p[3:]]
    else:
        words = p
    words = words[-4:] if len(words) > 4 else words
    name = re.sub(r"[^A-Z0-9]+", "_", "_".join(words).upper()).strip("_") or "VALUE"
    if name[0].isdigit():
        name = "V_" + name
    if name in data()["names"]["reserved"] or name.startswith(("GITHUB_", "RUNNER_", "ACTIONS_")):
        name += "_VALUE"
    return name
