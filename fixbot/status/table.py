"""The reviewers' table: text for a terminal, Markdown for the dashboard issue and reports."""

from __future__ import annotations

from fixbot.status import PrRow

HEADERS = ("Pull request", "Kind", "Age", "CI", "Mergeable", "Review", "Person pushed",
           "Person commented", "Secrets missing")


def _cells(r: PrRow) -> tuple[str, ...]:
    if r.error:
        return (f"{r.repo}#{r.number}", r.lane, "", "", "", "", "", "", f"error: {r.error}")
    return (f"{r.repo}#{r.number}", r.lane, f"{r.age_days}d", r.ci, r.mergeable, r.review,
            "yes" if r.pushed_by_person else "no", "yes" if r.commented_by_person else "no",
            "" if r.secrets_missing is None else str(r.secrets_missing))


def ordered(rows: list[PrRow]) -> list[PrRow]:
    """Those that need a person first, then the oldest first."""
    return sorted(rows, key=lambda r: (not r.attention, -r.age_days, r.repo.lower(), r.number))


def text(rows: list[PrRow]) -> str:
    if not rows:
        return "no open fixbot pull requests\n"
    table = [HEADERS] + [_cells(r) for r in ordered(rows)]
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADERS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in table]
    need = sum(r.attention for r in rows)
    lines.append(f"{len(rows)} open fixbot pull request(s), {need} need a person")
    return "\n".join(lines) + "\n"


def markdown(rows: list[PrRow]) -> str:
    if not rows:
        return "No open fixbot pull requests.\n"
    out = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for r in ordered(rows):
        cells = list(_cells(r))
        cells[0] = f"[{_md(cells[0])}]({r.url})" if r.url else _md(cells[0])
        out.append("| " + " | ".join([cells[0]] + [_md(c) for c in cells[1:]]) + " |")
    need = sum(r.attention for r in rows)
    out += ["", f"{len(rows)} open fixbot pull request(s), {need} need a person."]
    return "\n".join(out) + "\n"


def _md(value: str) -> str:
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
