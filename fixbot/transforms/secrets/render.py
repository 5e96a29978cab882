"""Decide and render: what each site holds, and the edits, changes and notes that move it.

One change per location (workflow, job or step): every credential of a step moves in the same
change as the ``env:`` entries its script now reads. A change that moves a credential carries
its :class:`SecretValue`; a change that only moves ``${{ secrets.X }}`` out of a script carries
none (it needs nobody to act first).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache

from fixbot import yamledit
from fixbot.errors import TransformError
from fixbot.kb import pwsh_spots, shell_spots
from fixbot.kb.python_secrets import Moved, Rewrite
from fixbot.kb.script_files import EITHER_DEFAULT, language_of_shell
from fixbot.kb.secret_values import Found, credential_name, find, is_random_literal, redacted
from fixbot.step_env import free_variable
from fixbot.transforms.secrets.extract import Site
from fixbot.transforms.secrets.names import Namer, secret_ref
from fixbot.types import Change, Edit, FileEdit, Finding, Note, SecretValue
from fixbot.workflow import RepoContext, Workflow
from fixbot.yamlmodel import Mapping, Scalar

ID = "secrets"
_FILES = "secrets.files"  # RepoContext.memo: the Python files rewritten, with their secrets
HARDENING = ("https://docs.github.com/en/actions/security-for-github-actions/security-guides/"
             "security-hardening-for-github-actions#using-secrets")
FORKS = ("https://docs.github.com/en/actions/security-for-github-actions/security-guides/"
         "using-secrets-in-github-actions#using-secrets-in-a-workflow")
CREATING = ("https://docs.github.com/en/actions/security-for-github-actions/security-guides/"
            "using-secrets-in-github-actions#creating-secrets-for-a-repository")


@dataclass
class _Moved:
    secret: SecretValue
    where: str
    reused: bool


@dataclass
class _Group:
    location: str
    line: int
    step: Mapping | None = None
    repls: dict[int, tuple[Scalar, list[tuple[int, int, str]]]] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)  # variables the step's env gains
    moved: list[_Moved] = field(default_factory=list)
    inline: list[str] = field(default_factory=list)  # ${{ secrets.X }} moved out of run:
    files: dict[str, FileEdit] = field(default_factory=dict)
    through: list[str] = field(default_factory=list)  # rewritten scripts it runs indirectly
    passed: list[SecretValue] = field(default_factory=list)  # their secrets, passed to them

    def replace(self, node: Scalar, start: int, end: int, new: str) -> None:
        self.repls.setdefault(id(node), (node, []))[1].append((start, end, new))


def _expression_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    at = text.find("${{")
    while at >= 0:
        end = text.find("}}", at)
        if end < 0:
            spans.append((at, len(text)))
            break
        spans.append((at, end + 2))
        at = text.find("${{", end + 2)
    return spans


_NAMED = re.compile(r"(?<![\w$.-])-{0,2}([A-Za-z_][A-Za-z0-9_-]*)=['\"]?$")


def key_of(text: str, found: Found, key: str | None) -> str | None:
    """The name a credential goes by: the ``NAME`` of a ``NAME=value`` written around it in the
    text (a ``$GITHUB_ENV`` line, a ``build-args`` entry) when that is a credential's name,
    else ``key``, the name the whole text is assigned to."""
    m = _NAMED.search(text, 0, found.start)
    return m.group(1) if m is not None and credential_name(m.group(1)) else key


def credentials(text: str, name: str | None) -> list[Found]:
    """The credentials in a literal, leaving out anything inside a ``${{ }}`` expression."""
    spans = _expression_spans(text)
    return [f for f in find(text, name)
            if not any(s < f.end and f.start < e for s, e in spans)]


# a quoted string assigned to a variable in PowerShell (``$env:NAME = '…'``, ``$name = "…"``,
# ``[Environment]::SetEnvironmentVariable('NAME', '…')``) or cmd (``set NAME=…``): the name
# enables the credential-name rule in a script fixbot only reports on
_ASSIGNED = re.compile(
    r"\$(?:env:)?(?P<n1>[A-Za-z_]\w*)\s*=\s*(?P<q1>['\"])(?P<v1>[^'\"\r\n]*)(?P=q1)"
    r"|SetEnvironmentVariable\(\s*['\"](?P<n2>[A-Za-z_]\w*)['\"]\s*,\s*(?P<q2>['\"])"
    r"(?P<v2>[^'\"\r\n]*)(?P=q2)"
    r"|(?im:^\s*set\s+\"?(?P<n3>[A-Za-z_]\w*)=(?P<v3>[^\"\r\n]*))", re.IGNORECASE)


def _unrewritten(script: str) -> list[Found]:
    """The credentials of a script fixbot does not rewrite (cmd, PowerShell it cannot parse): the
    known formats anywhere, and random values of credential-like names assigned as quoted
    strings; non-overlapping, in order."""
    found = credentials(script, None)
    for m in _ASSIGNED.finditer(script):
        k = next(k for k in "123" if m.group(f"n{k}") is not None)
        at = m.start(f"v{k}")
        value = m.group(f"v{k}")
        found += [Found(f.kind, f.label, at + f.start, at + f.end)
                  for f in credentials(value, m.group(f"n{k}"))]
    found.sort(key=lambda f: (f.start, -(f.end - f.start)))
    out: list[Found] = []
    for f in found:
        if not out or f.start >= out[-1].end:
            out.append(f)
    return out


class Plan:
    def __init__(self, wf: Workflow, ctx: RepoContext, namer: Namer) -> None:
        self.wf = wf
        self.ctx = ctx
        self.namer = namer
        self.groups: dict[str, _Group] = {}
        self.notes: list[Note] = []
        self._actions: set[str] = set()  # local actions reported on

    def _group(self, site: Site) -> _Group:
        g = self.groups.get(site.location)
        if g is None:
            g = self.groups[site.location] = _Group(site.location, site.node.line + 1, site.step)
        return g

    def _secret(self, found: Found, value: str, key: str | None, where: str) -> _Moved:
        name, reused = self.namer.name(found, value, key)
        return _Moved(SecretValue(name, found.label, redacted(found.kind, value), value), where, reused)

    def _leave(self, site: Site, found: Found, text: str, why: str) -> None:
        shown = redacted(found.kind, found.value(text))
        self.notes.append(Note(ID, site.location, (
            f"left alone: {_a(found.label)} ({shown}) in {site.where}: {why}; move it into a "
            "secret by hand and rotate it (it stays in the git history)")))

    # --- sites -----------------------------------------------------------------------------

    def add(self, site: Site) -> None:
        if site.kind == "value":
            self._value(site)
        elif site.kind == "elsewhere":
            self._elsewhere(site)
        elif site.kind == "action":
            self._action(site)
        else:
            self._run(site)

    def _elsewhere(self, site: Site) -> None:
        """A value fixbot does not rewrite (``if:``, a matrix, an input's default…): the known
        formats in it are reported, nothing is edited."""
        text = str(site.node.value)
        for f in find(text, None):
            self._leave(site, f, text, "fixbot moves credentials only out of `env:`, `with:`, "
                        "`secrets:`, container credentials and `run:` scripts")

    def _action(self, site: Site) -> None:
        """A local action a step uses: the known formats in its ``action.yml`` are reported
        once per workflow (an action cannot read ``secrets``: its caller passes an input)."""
        for name in ("action.yml", "action.yaml"):
            path = f"{site.name}/{name}" if site.name else name
            text = self.ctx.read_text(path)
            if text is not None:
                break
        else:
            return
        if path in self._actions:
            return
        self._actions.add(path)
        for f in find(text, None):
            shown = redacted(f.kind, f.value(text))
            line = text.count("\n", 0, f.start) + 1
            self.notes.append(Note(ID, site.location, (
                f"left alone: {_a(f.label)} ({shown}) in the local action `{path}` (line "
                f"{line}), used by {site.where}: an action cannot read `secrets`; pass it from "
                "the workflow as an input, move it into a secret by hand and rotate it (it "
                "stays in the git history)")))

    def _value(self, site: Site) -> None:
        text = str(site.node.value)
        found = credentials(text, site.name)
        if not found:
            return
        if site.location.count(".") == 1 and site.where.startswith("`with."):
            for f in found:  # a reusable workflow's inputs cannot read the secrets context
                self._leave(site, f, text, "a called workflow's `with:` cannot read `secrets`; "
                            "pass it under `secrets:` (the called workflow must declare it)")
            return
        try:  # a scalar whose text is not its value one for one (escapes): this one stays
            yamledit.splice_scalar(self.wf.doc, site.node, [(f.start, f.end, "x") for f in found])
        except TransformError as e:
            for f in found:
                self._leave(site, f, text, f"the edit cannot be written ({e})")
            return
        g = self._group(site)
        for f in found:
            m = self._secret(f, f.value(text), key_of(text, f, site.name), site.where)
            g.moved.append(m)
            g.replace(site.node, f.start, f.end, f"${{{{ secrets.{m.secret.name} }}}}")

    def _run(self, site: Site) -> None:
        script = str(site.node.value)
        lang = language_of_shell(site.shell)
        if lang == "bash":
            self._bash(site, script)
        elif lang == "pwsh":
            self._pwsh(site, script)
        elif lang == "python":
            self._python_inline(site, script)
        else:
            why = (f"a `{site.shell or lang}` script, which fixbot does not rewrite"
                   if site.shell != EITHER_DEFAULT else "the step runs in bash or in PowerShell "
                   "depending on the runner, and no one text reads a variable in both")
            for f in _unrewritten(script):
                self._leave(site, f, script, why)
        for path in site.scripts:
            self._python_file(site, path)
        self._through(site, script)

    def _through(self, site: Site, script: str) -> None:
        """A step that runs a rewritten Python script through something else (``make
        release``, ``bash scripts/deploy.sh``) passes its secrets too, else the script would
        fail there (``os.environ`` raises KeyError)."""
        moved: dict[str, tuple[SecretValue, ...]] = self.ctx.memo.get(_FILES, {})  # type: ignore[assignment]
        if not moved:
            return
        from fixbot.kb.script_files import ScriptReader

        reach = ScriptReader(self.ctx.read_text).run_step(script, site.shell, {}, False,
                                                          cwd=site.cwd).python_files
        for path in reach:
            if path in site.scripts or path not in moved:
                continue
            g = self._group(site)
            g.through.append(path)
            for secret in moved[path]:
                g.env.setdefault(secret.name, f"${{{{ secrets.{secret.name} }}}}")
                g.passed.append(secret)

    def _taken(self, site: Site) -> set[str]:
        """Variable names the step's environment already sets (workflow, job and step env)."""
        taken: set[str] = set()
        root = self.wf.root
        job_id = site.location.split(".")[1] if site.location.startswith("jobs.") else None
        job = dict(self.wf.jobs()).get(job_id) if job_id else None
        for owner in (root, job, site.step):
            env = owner.get("env") if isinstance(owner, Mapping) else None
            if isinstance(env, Mapping):
                taken |= {str(k.value) for k, _ in env.items}
        g = self.groups.get(site.location)
        if g is not None:
            taken |= set(g.env)
        return taken

    def _variable(self, site: Site, g: _Group, secret: str, script: str) -> str:
        """The env variable the step reads secret ``secret`` from (added to the step's env)."""
        want = f"${{{{ secrets.{secret} }}}}"
        for var, val in g.env.items():
            if val == want:
                return var
        env = site.step.get("env") if site.step is not None else None
        if isinstance(env, Mapping):  # the step already passes it: `X: ${{ secrets.X }}`
            for k, v in env.items:
                if isinstance(v, Scalar) and isinstance(v.value, str) \
                        and v.value.strip() == want \
                        and free_variable(str(k.value), script, set()) == str(k.value):
                    return str(k.value)
        var = free_variable(secret, script, self._taken(site))
        g.env[var] = want
        return var

    def _bash(self, site: Site, script: str) -> None:
        parsed = shell_spots.read(script)
        if parsed.error is not None:
            for f in credentials(script, None):
                self._leave(site, f, script, parsed.error)
            return
        g = self._group(site)
        for seg in parsed.segments:
            piece = script[seg.start:seg.end]
            for f in credentials(piece, seg.name):
                at, end = seg.start + f.start, seg.start + f.end
                if seg.quoting in ("comment", "heredoc-quoted", "pattern", "other"):
                    why = {"comment": "it is in a comment",
                           "heredoc-quoted": "it is in a here-document that expands no variable",
                           "pattern": "it is in a pattern (`[[ == ]]`, `=~` or `case`), where "
                                      "fixbot does not rewrite",
                           "other": "it is in a `$'…'` string"}[seg.quoting]
                    self._leave(site, f, piece, why)
                    continue
                if seg.quoting != "single" and _escaped(script, at, end):
                    self._leave(site, f, piece, "it is written with a backslash escape or a "
                                "line continuation, so the script's value is not the text written")
                    continue
                m = self._secret(f, script[at:end], key_of(piece, f, seg.name), site.where)
                var = self._variable(site, g, m.secret.name, script)
                spot = shell_spots.splice(seg.start, seg.end, seg.outer, at, end, var, seg.quoting)
                if spot is None:
                    self._leave(site, f, piece, "no variable can be read where it is")
                    continue
                g.moved.append(m)
                g.replace(site.node, *spot)
        for start, end, quoting, outer in parsed.expressions:
            name = secret_ref(script[start:end])
            if name is None or quoting in ("heredoc-quoted", "comment", "pattern", "other"):
                continue
            if name == "GITHUB_TOKEN":
                # the job token is a plain token (nothing the shell would run), and in the
                # step's env: it would reach every program of the step, not just the one
                # command it was written into: it stays where it is
                continue
            var = self._variable(site, g, name, script)
            spot = shell_spots.splice(start, end, outer, start, end, var, quoting) \
                if quoting != "single" else None
            if quoting == "single" and outer == (start - 1, end + 1):
                spot = (start - 1, end + 1, f'"${{{var}}}"')
            if spot is None:
                g.env.pop(var, None)
                continue
            g.inline.append(name)
            g.replace(site.node, *spot)

    def _pwsh(self, site: Site, script: str) -> None:
        """A PowerShell script: each credential, and each ``${{ secrets.X }}``, read from the
        step's env instead, quoted for where it is (:mod:`fixbot.kb.pwsh_spots`)."""
        parsed = pwsh_spots.read(script)
        if parsed.error is not None:
            for f in _unrewritten(script):
                self._leave(site, f, script, parsed.error)
            return
        # what moves, per segment: a credential (Found) or the secret a ${{ }} names (str)
        moving: dict[pwsh_spots.Segment, list[tuple[int, int, Found | str]]] = {}
        for seg in parsed.segments:
            piece = script[seg.start:seg.end]
            for f in credentials(piece, seg.name):
                at, end = seg.start + f.start, seg.start + f.end
                why = parsed.splice(seg, [(at, end, "NAME")])
                if isinstance(why, str):
                    self._leave(site, f, piece, why)
                else:
                    moving.setdefault(seg, []).append((at, end, f))
        for start, end, held in parsed.expressions:
            name = secret_ref(script[start:end])
            if name is None or name == "GITHUB_TOKEN" or held is None:
                continue  # GITHUB_TOKEN stays inline: see _bash
            if held.quoting in ("double", "here", "single", "bare") and \
                    not isinstance(parsed.splice(held, [(start, end, "NAME")]), str):
                moving.setdefault(held, []).append((start, end, name))
        trial = [parsed.splice(seg, [(a, e, "NAME") for a, e, _ in items]) for seg, items in moving.items()]
        edits = sorted(x for spots in trial if not isinstance(spots, str) for x in spots)
        new = script
        for lo, hi, text in reversed(edits):
            new = new[:lo] + text + new[hi:]
        if any(isinstance(spots, str) for spots in trial) or pwsh_spots.read(new).error is not None:
            for seg, items in moving.items():  # never expected: the rewritten script must parse
                for _, _, what in items:
                    if isinstance(what, Found):
                        self._leave(site, what, script[seg.start:seg.end],
                                    "the script would not parse with it rewritten")
            return
        g = self._group(site)
        for seg, items in moving.items():
            spans: list[tuple[int, int, str]] = []
            for at, end, what in items:
                if isinstance(what, Found):
                    piece = script[seg.start:seg.end]
                    m = self._secret(what, script[at:end], key_of(piece, what, seg.name), site.where)
                    g.moved.append(m)
                    spans.append((at, end, self._variable(site, g, m.secret.name, script)))
                else:
                    g.inline.append(what)
                    spans.append((at, end, self._variable(site, g, what, script)))
            spots = parsed.splice(seg, spans)
            assert not isinstance(spots, str)
            for spot in spots:
                g.replace(site.node, *spot)

    def _python_inline(self, site: Site, script: str) -> None:
        out = _codemod(script, self.namer)
        if out is None:
            return
        g = self._group(site)
        for why in out.left:
            self.notes.append(Note(ID, site.location, f"left alone in {site.where}: {why}"))
        if not out.moved:
            return
        _take(g, out.moved, f"{site.where}, line")
        old, new = script.splitlines(keepends=True), out.after.splitlines(keepends=True)
        at_old = [0]
        for ln in old:
            at_old.append(at_old[-1] + len(ln))
        for op, a0, a1, b0, b1 in difflib.SequenceMatcher(None, old, new,
                                                          autojunk=False).get_opcodes():
            if op != "equal":  # whole lines, so that new lines take the block's indentation
                g.replace(site.node, at_old[a0], at_old[a1], "".join(new[b0:b1]))

    def _python_file(self, site: Site, path: str) -> None:
        before = self.ctx.read_text(path)
        out = _codemod(before, self.namer) if before is not None else None
        if before is None or out is None:
            return
        for why in out.left:
            self.notes.append(Note(ID, site.location, f"left alone in `{path}`: {why}"))
        if not out.moved:
            return
        g = self._group(site)
        _take(g, out.moved, f"`{path}` line")
        g.files[path] = FileEdit(path, before, out.after)
        files: dict[str, tuple[SecretValue, ...]] = self.ctx.memo.setdefault(_FILES, {})  # type: ignore[assignment]
        files[path] = tuple(dict.fromkeys(m.secret for m in g.moved if m.where.startswith(f"`{path}`")))

    # --- rendering -----------------------------------------------------------------------

    def findings(self) -> list[Finding]:
        out: list[Finding] = []
        for g in self.groups.values():
            if not g.repls and not g.env:
                continue
            try:
                edits = self._edits(g)
            except TransformError as e:
                for m in g.moved:
                    self.notes.append(Note(ID, g.location, (
                        f"left alone: {_a(m.secret.kind)} ({m.secret.shown}) in {m.where}: the "
                        f"edit cannot be written ({e}); move it into a secret by hand and "
                        "rotate it")))
                continue
            out.append(_change(g, edits, "pull_request" in self.wf.triggers()))
        return out + self.notes

    def _edits(self, g: _Group) -> list[Edit]:
        doc = self.wf.doc
        edits = [yamledit.splice_scalar(doc, node, repls) for node, repls in g.repls.values()]
        if g.env:
            if g.step is None:
                raise TransformError("no step to carry the environment")
            env = g.step.get("env")
            if isinstance(env, Mapping):
                edits += [yamledit.set_key(doc, env, k, v, self.wf.style) for k, v in g.env.items()]
            elif env is None:
                edits.append(yamledit.set_key(doc, g.step, "env", dict(g.env), self.wf.style,
                                              before=("run", "with")))
            else:
                raise TransformError("the step's `env:` is not a mapping")
        return edits


def _escaped(script: str, at: int, end: int) -> bool:
    """Whether the shell reads ``script[at:end]`` (unquoted, in double quotes or in a
    here-document) as other text than written: a backslash inside it or just before it, or a
    backslash after it that joins the next line or character to the word."""
    if "\\" in script[at:end] or script[max(at - 1, 0):at] == "\\" \
            or script[max(at - 2, 0):at] == "\\\n":
        return True
    after = script[end:end + 2]
    return after[:1] == "\\" and (after[1:] == "\n" or after[1:].isalnum() or after[1:] == "_")


_CLEAN: dict[str, bool] = {}  # sources the codemod found nothing in (the answer does not depend
#                               on names), so that a script many steps run is read once


def _codemod(source: str, namer: Namer) -> Rewrite | None:
    """The codemod's rewrite of ``source`` with names from ``namer`` (recorded there), or None
    when it holds nothing to move or leave."""
    from fixbot.kb.python_secrets import rewrite

    if source in _CLEAN or not _may_hold(source):
        return None
    out = rewrite(source, namer.fresh, known=namer.known)
    for mv in out.moved:
        namer.record(mv.value, mv.name)
    if not out.moved and not out.left:
        if len(_CLEAN) > 2000:
            _CLEAN.clear()
        _CLEAN[source] = True
        return None
    return out


@lru_cache(maxsize=512)
def _may_hold(source: str) -> bool:
    """Whether a Python source has a string literal the codemod could move: one holding a
    known credential format, or a random-looking one while some name or string of the file is
    credential-like (the name rule needs both; the codemod decides which name a literal is
    assigned to). Python's own tokenizer finds them; most scripts have neither and skip the
    codemod's full parse with scope analysis. A source the tokenizer rejects goes to the
    codemod, which says why it cannot read it."""
    import io
    import tokenize

    random = named = False
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.NAME:
                named = named or credential_name(tok.string)
                continue
            if tok.type != tokenize.STRING:
                continue
            body = tok.string.lstrip("rRbBuUfF")
            body = body[3:-3] if body[:3] in ('"""', "'''") else body[1:-1]
            if find(body, None):
                return True
            named = named or credential_name(body)
            random = random or any(is_random_literal(w) for w in body.split())
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return True
    return random and named


def _take(g: _Group, moved: tuple[Moved, ...], where: str) -> None:
    """The credentials the Python codemod moved: each a secret the step passes by name."""
    for mv in moved:
        shown = redacted(mv.found.kind, mv.value)
        g.moved.append(_Moved(SecretValue(mv.name, mv.found.label, shown, mv.value),
                              f"{where} {mv.line}", False))
        g.env.setdefault(mv.name, f"${{{{ secrets.{mv.name} }}}}")


def _a(label: str) -> str:
    """``label`` with its indefinite article ("an AWS access key id", "a Slack token")."""
    return ("an " if label[:1].lower() in "aeiou" or label.startswith("npm") else "a ") + label


def _change(g: _Group, edits: list[Edit], forks: bool = False) -> Change:
    secrets = tuple(dict.fromkeys([m.secret for m in g.moved] + g.passed))
    names = list(dict.fromkeys(m.secret.name for m in g.moved))
    parts: list[str] = []
    if g.moved:
        what = "a hardcoded credential" if len(g.moved) == 1 else f"{len(g.moved)} hardcoded credentials"
        parts.append(f"move {what} into " + ", ".join(f"`secrets.{n}`" for n in names))
    if g.inline:
        parts.append("pass " + ", ".join(f"`secrets.{n}`" for n in dict.fromkeys(g.inline))
                     + " to the script through `env:`")
    if g.through:
        parts.append("pass " + ", ".join(f"`secrets.{n}`" for n in dict.fromkeys(
            p.name for p in g.passed)) + " to " + ", ".join(f"`{p}`" for p in g.through))
    summary = "; ".join(parts)
    why: list[str] = []
    if g.through:
        why.append("The step runs " + ", ".join(f"`{p}`" for p in g.through) + " through "
                   "another script or task runner, and the script now reads "
                   + ", ".join(f"`{p.name}`" for p in dict.fromkeys(g.passed))
                   + " from its environment: the step passes it, or the script would stop "
                   "there (it is created with the secret this pull request asks for).")
    if g.moved:
        kinds = ", ".join(f"{_a(m.secret.kind)} ({m.secret.shown}) in {m.where}" for m in g.moved)
        why.append(
            f"Found {kinds}. A value written into the repository can be read by anyone who can "
            "read it, and stays in its git history. The workflow now reads it from the secrets "
            "context at run time and behaves as before once the secret exists, so this pull "
            "request waits for a person: create the secret, then merge, then rotate the "
            f"credential ([using secrets]({CREATING})).")
        if forks:
            why.append("This workflow runs on `pull_request`: runs for pull requests from forks "
                       "get no secrets, so there the value is empty where the written one was "
                       "not; check that the steps reading it are skipped or tolerate that on "
                       f"forks ([secrets and forks]({FORKS})).")
    if g.env:
        why.append("The script reads " + ", ".join(f"`{v}`" for v in g.env)
                   + " from the step's `env:`, quoted for its shell.")
    if g.inline:
        why.append("GitHub pastes `${{ }}` into the script's text before the shell runs, so a "
                   "value holding quotes or `$(…)` would run as code; an environment variable "
                   "is handed over as data and the value is the same "
                   f"([security hardening]({HARDENING})).")
    if g.files:
        why.append("Changed with it: " + ", ".join(f"`{p}`" for p in g.files)
                   + " now reads the value from its environment (`os.environ`): anything else "
                   "that runs it (another workflow step, a Makefile, a person) needs that "
                   "variable set too.")
    todo: list[str] = []
    seen: set[str] = set()
    for m in g.moved:
        s = m.secret
        if s.name in seen:
            continue
        seen.add(s.name)
        if m.reused:
            todo.append(f"check that the existing secret `{s.name}` holds the {s.kind} found in "
                        f"{m.where} ({s.shown})")
        else:
            todo.append(f"create secret `{s.name}` holding the {s.kind} found in {m.where} "
                        f"({s.shown})")
        todo.append(f"rotate the {s.kind} found in {m.where}: it stays in the git history")
    return Change(ID, g.location, g.line, summary, " ".join(why), tuple(edits), tuple(todo),
                  HARDENING, secrets, tuple(g.files.values()))
