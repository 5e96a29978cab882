"""The kinds of change a pull request's body explains, each once.

Changes group by transform and by the shape of their summary (names, scope lists and
parentheses masked). A kind's explanation is made of the sentences every change of it gives
(each change's own job said as "the job"); what is left of a change's explanation is
particular to it, and changes with the same particular part are listed together. Links a
particular part cites move to the kind's sources; commit SHAs are shortened.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import groupby

from fixbot.pr_diff import FileDiff, plural
from fixbot.types import Change

_GRANT = r"\b[a-z-]+: (?:read|write|none)(?:, [a-z-]+: (?:read|write|none))*"
_SEGMENT = re.compile(rf"(`[^`]*`|\([^()]*\)|{_GRANT})")
_URL_NOTE = re.compile(r" \((https?://[^\s()]+)\)")
SHA = re.compile(r"@([0-9a-f]{7})[0-9a-f]{33}\b")


@dataclass(frozen=True)
class _Risk:
    rank: int  # lower first: changes that can break something come first
    text: str  # what goes wrong if fixbot misjudged the change


_RISKS = {
    "permissions": _Risk(0, "can break a step that needs a scope fixbot did not find"),
    "fork-safety": _Risk(1, "changes when and with which token the job runs"),
    "secrets": _Risk(1, "the workflow fails until the secret exists"),
    "persist-credentials": _Risk(2, "can break a later git command that used the saved token"),
    "template-injection": _Risk(3, "low: the same value reaches the script through `env:`"),
}
_OTHER_RISK = _Risk(2, "see its explanation")
_KEEP = _Risk(9, "none: the job keeps what it has")


@dataclass
class _Item:
    path: str
    change: Change
    line: int
    specific: str = ""  # what is particular to this change (sentences not common to its kind)
    general: str = ""  # the same, with the change's own job said as "the job"
    refs: str = ""  # the marks of the sentences it shares with some others of its kind


@dataclass
class Kind:
    transform: str
    label: str
    why: str
    items: list[_Item] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    shared: list[str] = field(default_factory=list)  # sentences some of its changes give

    @property
    def risk(self) -> _Risk:
        if self.label.startswith("keep "):  # a change that keeps what the job has
            return _KEEP
        return _RISKS.get(self.transform, _OTHER_RISK)


def _shape(summary: str) -> str:
    return _SEGMENT.sub(lambda m: "`…`" if m.group(0).startswith("`") else "…", summary)


def group(files: list[FileDiff]) -> list[Kind]:
    """The changes grouped by transform and summary shape (the summary with its names, scope
    lists and parentheses masked), riskiest first: each kind's explanation is made of the
    sentences every change of it gives (names of each change's own job said as "the job"),
    and the rest is what is particular to one change."""
    groups: dict[tuple[str, str], list[_Item]] = {}
    for f in files:
        for c, line in f.changes:
            groups.setdefault((c.transform, _shape(c.summary)), []).append(
                _Item(f.result.path, c, line))
    kinds = [_kind(t, items) for (t, _), items in groups.items()]
    order = {id(k): i for i, k in enumerate(kinds)}
    return sorted(kinds, key=lambda k: (k.risk.rank, order[id(k)]))


def _kind(transform: str, items: list[_Item]) -> Kind:
    texts = [[general(s, it.change.location) for s in _sentences(it.change.explanation)]
             for it in items]
    common = [s for s in dict.fromkeys(texts[0]) if all(s in t for t in texts[1:])]
    counts: dict[str, int] = {}
    for t in texts:
        for g in dict.fromkeys(t):
            counts[g] = counts.get(g, 0) + 1
    shared = [g for g, n in counts.items() if n > 1 and g not in common]
    sources: list[str] = []
    for it, sents in zip(items, texts, strict=True):
        own = [(s, g) for s, g in zip(_sentences(it.change.explanation), sents, strict=True)
               if g not in common and g not in shared]
        it.specific = _compact(" ".join(s for s, _ in own), sources)
        it.general = _compact(" ".join(g for _, g in own), sources)
        it.refs = ", ".join(_mark(shared.index(g)) for g in dict.fromkeys(sents) if g in shared)
    return Kind(transform, _label([it.change.summary for it in items]),
                 SHA.sub(r"@\1", " ".join(common)), items, sources,
                 [_compact(g, sources) for g in shared])


def _mark(i: int) -> str:
    """``[a]``, ``[b]`` … ``[z]``, ``[aa]`` …: a shared sentence's mark."""
    letters = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        letters = chr(97 + r) + letters
    return f"[{letters}]"


def _label(summaries: list[str]) -> str:
    """The summary the changes share, with what differs between them masked."""
    parts = [_SEGMENT.split(s) for s in summaries]
    out = []
    for i, seg in enumerate(parts[0]):
        if all(p[i] == seg for p in parts[1:]):
            out.append(seg)
        elif seg.startswith("("):
            out[-1] = out[-1].rstrip() if out else ""
        else:
            out.append("`…`" if seg.startswith("`") else "…")
    return "".join(out).strip()


def job_of(location: str) -> str | None:
    m = re.match(r"jobs\.([^.\[]+)", location)
    return m.group(1) if m else None


def general(sentence: str, location: str) -> str:
    """A sentence with its change's own job said as "the job" (to compare across changes)."""
    job = job_of(location)
    if job is None:
        return sentence
    return sentence.replace(f"Job `{job}`", "The job").replace(f"job `{job}`", "the job")


def _sentences(text: str) -> list[str]:
    """``text`` split after ``. `` where a sentence starts, outside code, quotes and
    parentheses."""
    out, start, depth, code, quote = [], 0, 0, False, False
    for i, ch in enumerate(text):
        if ch == "`":
            code = not code
        elif code:
            continue
        elif ch == '"':
            quote = not quote
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(depth - 1, 0)
        elif (ch in ".!?" and not depth and not quote and text[i + 1:i + 2] == " "
              and (text[i + 2:i + 3].isupper() or text[i + 2:i + 3] in "`\"“")):
            out.append(text[start:i + 1].strip())
            start = i + 2
    tail = text[start:].strip()
    return out + ([tail] if tail else [])


def _compact(text: str, sources: list[str]) -> str:
    """``text`` with its cited links moved to ``sources`` and commit SHAs shortened."""
    def cite(m: re.Match[str]) -> str:
        if m.group(1) not in sources:
            sources.append(m.group(1))
        return ""

    return SHA.sub(r"@\1", _URL_NOTE.sub(cite, text))


def short_path(path: str) -> str:
    return path.removeprefix(".github/workflows/")


def _where(it: _Item) -> str:
    loc = it.change.location.removeprefix("jobs.")
    return f"`{loc}` (line {it.line})" if loc else f"top level (line {it.line})"


def _places(items: list[_Item]) -> str:
    """``ci.yml` `test.steps[0]` (line 14), …; `nightly.yml` …`` (per file, in line order)."""
    return "; ".join(f"`{short_path(p)}` " + ", ".join(_where(it) for it in group)
                     for p, group in groupby(items, key=lambda it: it.path))


def _count_places(items: list[_Item]) -> str:
    """``1197 changes in `everything.yml` `` (the comment below lists each one)."""
    return ", ".join(f"{plural(len(list(group)), 'change')} in `{short_path(p)}`"
                     for p, group in groupby(items, key=lambda it: it.path))


def kind_section(k: Kind, full: bool, places: bool = True, cap: int = 0) -> list[str]:
    """A kind: its explanation once, the sentences some of its changes share (marked), its
    sources, then each change's own part (changes with the same part together; with ``cap``,
    cut to that many characters), or, when none has one (or ``full`` is False), where the
    changes are, per file; without ``places``, only how many there are per file."""
    n = len(k.items)
    out = [f"### {k.label} · `{k.transform}` · {n}", ""]
    if k.why:
        out += [f"**Why it is safe:** {k.why}", ""]
    if full and k.shared:
        out += ["Where marked: " + " ".join(f"{_mark(i)} {s}" for i, s in enumerate(k.shared)),
                ""]
    if full and any(it.specific or it.refs for it in k.items):
        alike: dict[tuple[str, str], list[_Item]] = {}
        for it in k.items:
            alike.setdefault((it.general, it.refs), []).append(it)
        for (general, refs), group in alike.items():
            text = group[0].specific if len(group) == 1 else general
            if cap and len(text) > cap:
                text = text[:cap].rstrip() + "… (in full in the comment below)"
            where = _places(group) if places else _count_places(group)
            out.append(f"- {where}{' ' + refs if refs else ''}: {text}".rstrip(": "))
    else:
        out.append(f"Where: {_places(k.items) if places else _count_places(k.items)}.")
    if not places:
        out += ["", "The comment below lists each one."]
    if k.sources:
        out += ["", "Sources: " + ", ".join(k.sources)]
    docs = list(dict.fromkeys(it.change.docs for it in k.items if it.change.docs))
    if docs:
        out += ["", "Docs: " + ", ".join(docs)]
    return out + [""]
