"""Decide: for each risky expression of a site, the variable that replaces it, or why it stays.

Risky means attacker-controllable or of unknown origin (:mod:`fixbot.kb.injection`). In a bash
script, the quoting around it (:mod:`fixbot.kb.shell_spots`) says how a variable is read there
and its role (:mod:`fixbot.kb.shell_roles`) whether a variable changes anything at all. Every
other language is left as it is with a note that says what to do by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fixbot.kb import js_spots, pwsh_spots, py_spots, shell_roles, shell_spots
from fixbot.kb.expressions import swap_out
from fixbot.kb.injection import Ref, Verdict, tokens, variable_name, verdict
from fixbot.kb.script_files import EITHER_DEFAULT, language_of_shell
from fixbot.step_env import effective_env, env_layers, free_variable
from fixbot.transforms.template_injection.extract import Site
from fixbot.workflow import Workflow


@dataclass(frozen=True)
class Move:
    expression: str  # as written
    verdict: Verdict
    var: str
    replace: tuple[int, int, str]  # (start, end, new) in the script's value
    new_env: bool  # the step's env: gains ``var``
    runner_env: bool  # ``var`` is a variable the runner sets itself (GITHUB_HEAD_REF)
    unquoted: bool  # read as a bare ``${VAR}`` (its words still split)


@dataclass(frozen=True)
class Leave:
    expression: str
    verdict: Verdict
    why: str  # the precise risk and what to do instead


@dataclass
class Decision:
    moves: list[Move] = field(default_factory=list)
    leaves: list[Leave] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)  # the entries the step's env: gains
    # the script's edits, when they are not one per move (PowerShell rewrites a '…' string whole)
    replaces: list[tuple[int, int, str]] | None = None
    language: str = "shell"  # "javascript" for actions/github-script


def _risky(expr: str, site: Site) -> Verdict | None:
    v = verdict(expr, site.facts)
    return v if v.kind in ("attacker", "unknown") else None


def _whole_language(site: Site, script: str, why: str) -> Decision:
    d = Decision()
    for expr in swap_out(script)[1]:
        v = _risky(expr, site)
        if v is not None:
            d.leaves.append(Leave(expr, v, why))
    return d


_ENV_HINT = ("pass it through the step's `env:` and read the variable instead")


def decide(wf: Workflow, site: Site) -> Decision:
    script = str(site.node.value)
    if site.kind == "github-script":
        return _js(wf, site, script)
    shell = site.shell
    if shell == EITHER_DEFAULT:
        return _whole_language(site, script, (
            "the runner is chosen by an expression and may be Windows (PowerShell) or not "
            "(bash), and the two read a variable differently; set `shell:` on the step, then "
            f"{_ENV_HINT}"))
    lang = language_of_shell(shell)
    if lang == "pwsh":
        return _pwsh(wf, site, script)
    if lang == "python":
        return _python(wf, site, script)
    if lang == "cmd":
        return _whole_language(site, script, (
            "a `cmd` script: cmd pastes `%NAME%` into the line before it reads it, so a "
            "variable holding `&` or `|` still runs commands there; move the step to "
            f"`shell: pwsh` (or bash), then {_ENV_HINT} (`$env:NAME`)"))
    if lang != "bash":
        return _whole_language(site, script, (
            f"a `{shell.strip()}` script, which fixbot does not rewrite; {_ENV_HINT}"))
    return _bash(wf, site, script)


def _spot_why(quoting: str, other_is_ansi: bool) -> str | None:
    if quoting == "heredoc-quoted":
        return ("it is in a here-document with a quoted delimiter, which expands no variable: "
                "a value holding the delimiter on a line of its own ends the here-document and "
                "the lines after it run as commands; unquote the delimiter (the text then "
                "expands `$`) or write the value with `printf '%s' \"$NAME\"` from `env:`")
    if quoting == "comment":
        return ("it is in a comment: a value holding a line break ends the comment and the next "
                "line runs as a command (bodies and commit messages can hold line breaks); "
                "delete the expression from the comment")
    if quoting == "other":
        return ("it is inside a `$'…'` string, where a variable is not expanded; "
                f"close the string around `\"$NAME\"` after you {_ENV_HINT}" if other_is_ansi else
                "fixbot cannot tell the quoting where it sits; " + _ENV_HINT)
    return None


def _role_why(role: shell_roles.Role) -> str | None:
    if role.kind == "command":
        return ("it is the command that runs: its value is meant to be run, so a variable in its "
                "place runs the same text; check that only trusted values reach it (an "
                "allowlist of commands), then read it from `env:`")
    if role.kind == "code":
        return (f"it is part of the program that `{role.command}` reads, so a variable there is "
                "expanded into that program just the same and still runs as code; hand it to "
                f"`{role.command}` as data instead (an environment variable the program reads "
                "itself, `jq --arg`, `awk -v`, `\"$1\"` of a `bash -c` script)")
    return None


def _ascii(script: str) -> str:
    """The script with every non-ASCII character written as ``x``: the readers take ASCII only
    (tree-sitter counts bytes), and no shell syntax is a non-ASCII character, so the parse,
    the quoting and every offset stay those of the script as written."""
    return script if script.isascii() else "".join(c if c.isascii() else "x" for c in script)


class _Names:
    """The variable each moved expression is read from: one already in ``env:`` holding the same
    expression, the runner's own (``GITHUB_HEAD_REF``), or a new free name added to ``d.env``."""

    def __init__(self, wf: Workflow, site: Site, script: str, d: Decision) -> None:
        layers = env_layers(wf, site.job, site.step)
        self.env = effective_env(layers)
        self.taken = {k for layer in layers for k in layer}
        self.by_value = {v.strip(): k for k, v in self.env.items()}
        self.chosen: dict[str, str] = {}  # expression (stripped) -> variable
        self.script = script
        self.d = d

    def env_verdict(self, expr: str) -> Verdict | None:
        """``${{ env.NAME }}`` alone, where the workflow, the job or the step declares
        ``NAME`` in an ``env:`` and the script never names ``NAME`` itself: the shell already
        holds the same value in that variable (the ``env`` context is what the step's
        environment holds), so reading ``$NAME`` changes only who parses it. Else None: an
        undeclared name (one a step wrote to ``$GITHUB_ENV``, or none: empty, where the
        variable may be a runner's own) or a script that may change the variable first."""
        toks = tokens(expr.strip().removeprefix("${{").removesuffix("}}"))
        if toks is None or len(toks) != 3 or toks[0] != ("ident", toks[0][1]) \
                or toks[0][1].lower() != "env" or toks[1] != ("op", ".") \
                or toks[2][0] != "ident":
            return None
        name = toks[2][1]
        ref = Ref(("env", name.lower()), f"env.{name}")
        declared = [k for k in self.env if k.lower() == name.lower()]
        var = declared[0] if len(declared) == 1 else None
        if var is None or not (var.isascii() and var.isidentifier()) or \
                free_variable(var, self.script, set()) != var:
            # read through a variable of its own: the step's `env:` evaluates the same
            # expression the script had, and no variable the script or runner uses is touched
            why = (f"`env.{name}` is declared in no `env:` here: an earlier step may have "
                   "written it to `$GITHUB_ENV`, from text fixbot does not trace (it may be "
                   "text an attacker wrote)" if not declared else
                   f"`env.{name}` is the variable `{declared[0]}` of an `env:` here, whose "
                   "value fixbot does not trace (it may hold text an attacker wrote), and the "
                   "script sets or names that variable itself")
            return Verdict("unknown", ref, why, None)
        return Verdict("unknown", ref, f"`env.{name}` is the variable `{var}` of an `env:` "
                       "here, whose value fixbot does not trace (it may hold text an attacker "
                       "wrote)", var)

    def var(self, expr: str, v: Verdict) -> tuple[str, bool]:
        """The variable, and whether the runner sets it itself."""
        key = expr.strip()
        if v.ref is not None and v.ref.parts[0] == "env" and v.default_env in self.env:
            self.chosen[key] = v.default_env
            return v.default_env, False
        var = self.chosen.get(key) or self.by_value.get(key)
        runner_env = False
        if var is None and v.default_env is not None and v.default_env not in self.env:
            var, runner_env = v.default_env, True
        if var is None:
            var = free_variable(variable_name(v.ref), self.script, self.taken | set(self.d.env))
            self.d.env[var] = key
        self.chosen[key] = var
        return var, runner_env or var == v.default_env


def _pwsh(wf: Workflow, site: Site, script: str) -> Decision:
    """A PowerShell script: each expression's run of text (:mod:`fixbot.kb.pwsh_spots`) decides
    how ``$env:NAME`` is read there; the rewritten script must parse."""
    d = Decision()
    parsed = pwsh_spots.read(_ascii(script))
    if parsed.error is not None:
        return _whole_language(site, script, (
            f"{parsed.error}, so fixbot cannot tell how to read a variable there; {_ENV_HINT} "
            "(`$env:NAME`)"))
    names = _Names(wf, site, script, d)
    by_seg: dict[pwsh_spots.Segment, list[tuple[int, int, str, Verdict, bool]]] = {}
    for start, end, held in parsed.expressions:
        expr = script[start:end]
        v = _risky(expr, site) or names.env_verdict(expr)
        if v is None:
            continue
        if held is None or held.quoting not in ("double", "here", "single", "bare"):
            why = (held.why if held is not None and held.why else
                   "it is in a comment: a value holding a line break ends the comment and the "
                   "next line runs" if held is not None and held.quoting == "comment" else
                   "it is in a verbatim here-string (@'…'@), which expands no variable: a value "
                   "holding the closing `'@` ends it and the lines after it run"
                   if held is not None and held.quoting == "here-verbatim" else
                   "fixbot cannot tell the quoting where it sits")
            hint = ("delete the expression from the comment" if held is not None
                    and held.quoting == "comment" else f"{_ENV_HINT} (`$env:NAME`)")
            d.leaves.append(Leave(expr, v, f"{why}; {hint}"))
            continue
        var, runner = names.var(expr, v)
        by_seg.setdefault(held, []).append((start, end, var, v, runner))
    edits: list[tuple[int, int, str]] = []
    for seg, items in by_seg.items():
        spots = parsed.splice(seg, [(a, e, var) for a, e, var, _, _ in items])
        if isinstance(spots, str):
            d.leaves += [Leave(script[a:e], v, f"{spots}; {_ENV_HINT} (`$env:NAME`)")
                         for a, e, _, v, _ in items]
            continue
        edits += spots
        d.moves += [Move(script[a:e], v, var, (a, e, ""), var in d.env, runner, False)
                    for a, e, var, v, runner in items]
    for k in [k for k in d.env if not any(m.var == k for m in d.moves)]:
        d.env.pop(k)  # named for an expression that stays
    new = script
    for lo, hi, text in sorted(edits, reverse=True):
        new = new[:lo] + text + new[hi:]
    if edits and pwsh_spots.read(_ascii(new)).error is not None:  # never expected
        return _whole_language(site, script, "the script would not parse rewritten; " + _ENV_HINT)
    d.replaces = sorted(edits)
    return d


def _js(wf: Workflow, site: Site, script: str) -> Decision:
    """The JavaScript of ``actions/github-script``: an expression inside string text reads
    ``process.env.NAME`` (:mod:`fixbot.kb.js_spots`); the rewritten script must parse."""
    parsed = js_spots.read(_ascii(script))
    return _in_strings(wf, site, script, Decision(language="javascript"), parsed, js_spots,
                       "it is pasted into the JavaScript of `actions/github-script` before it "
                       "runs, so a value holding a quote and code runs as code",
                       "(`process.env.NAME`)", script, leave_hint=False)


def _python(wf: Workflow, site: Site, script: str) -> Decision:
    """A ``shell: python`` script: an expression inside a plain string literal reads
    ``os.environ["NAME"]`` (:mod:`fixbot.kb.py_spots`); the rewritten script must parse."""
    parsed = py_spots.read(script)
    return _in_strings(wf, site, script, Decision(language="python"), parsed, py_spots,
                       "it is pasted into the Python program before it runs, so a value "
                       "holding a quote and code runs as code",
                       "(`os.environ[\"NAME\"]`)", parsed.text, leave_hint=True)


def _in_strings(wf: Workflow, site: Site, script: str, d: Decision, parsed: Any, reader: Any,
                pasted: str, how: str, text: str, leave_hint: bool) -> Decision:
    """The moves of a language whose reader (``js_spots``, ``py_spots``) rewrites expressions
    found inside string text: ``parsed`` is its reading of the script, ``text`` what the
    spots' offsets index, ``how`` how that language reads a variable."""
    if parsed.error is not None:
        return _whole_language(site, script, f"{pasted}, and {parsed.error}; {_ENV_HINT} {how}")
    names = _Names(wf, site, script, d)
    chosen: dict[tuple[int, int], str] = {}
    for spot in parsed.spots:
        expr = text[spot.start:spot.end]
        v = _risky(expr, site) or names.env_verdict(expr)
        if v is None:
            continue
        if spot.why is not None:
            tail = f"; {_ENV_HINT} {how}" if leave_hint else ""
            d.leaves.append(Leave(expr, v, f"{pasted}; {spot.why}{tail}"))
            continue
        var, runner = names.var(expr, v)
        chosen[(spot.start, spot.end)] = var
        d.moves.append(Move(expr, v, var, (spot.start, spot.end, ""), var in d.env, runner,
                            False))
    edits = reader.rewrite(parsed, chosen)
    new = parsed.text
    for lo, hi, piece in sorted(edits, reverse=True):
        new = new[:lo] + piece + new[hi:]
    if edits and not reader.parses(new):  # never expected
        return _whole_language(site, script, f"{pasted}; the script would not parse "
                               f"rewritten; {_ENV_HINT} {how}")
    for k in [k for k in d.env if not any(m.var == k for m in d.moves)]:
        d.env.pop(k)
    d.replaces = edits
    return d


def _bash(wf: Workflow, site: Site, script: str) -> Decision:
    d = Decision()
    parsed = shell_spots.read(_ascii(script))
    roles = shell_roles.roles(_ascii(script)) if parsed.error is None else None
    if parsed.error is not None or roles is None:
        return _whole_language(site, script, (
            f"{parsed.error or 'the shell script cannot be parsed'}, so fixbot cannot tell how "
            f"to quote a variable there; {_ENV_HINT}"))
    names = _Names(wf, site, script, d)
    for start, end, quoting, outer in parsed.expressions:
        expr = script[start:end]
        v = _risky(expr, site) or names.env_verdict(expr)
        if v is None:
            continue
        ansi = any(g.start <= start and end <= g.end and g.quoting == "other"
                   for g in parsed.segments)
        why = _spot_why(quoting, ansi) or _role_why(roles.get((start, end), shell_roles.Role("data")))
        if why is not None:
            d.leaves.append(Leave(expr, v, why))
            continue
        var, runner_env = names.var(expr, v)
        new_env = var in d.env
        # a value that may be a list of words (an input, an output, a matrix value) stays a
        # bare ${VAR}: its words split as they did, but it can no longer run as code
        words = quoting == "unquoted" and v.ref is not None and v.ref.parts[0] != "github"
        seg = next((g for g in parsed.segments if g.start <= start and end <= g.end), None)
        lo, hi = (seg.start, seg.end) if seg is not None else (start, end)
        spot = shell_spots.splice(lo, hi, outer, start, end, var,
                                  "double" if words else quoting)
        if spot is None:  # kinds above were left; nothing else lacks a reference
            d.leaves.append(Leave(expr, v, "no variable can be read where it is"))
            continue
        d.moves.append(Move(expr, v, var, spot, new_env, runner_env, words))
    return d
