"""What ``actions/github-script`` scripts do with the token.

There is no JavaScript parser in the stack: the script is read with regular expressions for the
forms we know, and everything it may do with a token that they do not account for lands in
``unknown``, never in "needs nothing":

- octokit calls on the ``github`` client (``github.rest.issues.update``, ``github.request``);
- code it loads: ``require()``/``import()`` of a repository file by a literal path is followed by
  the caller (:func:`required_files`); a path built at run time, or an npm package, is unknown;
- programs it starts (``exec.exec``, ``child_process``) are read as shell commands: with literal
  arguments they are analysed like a ``run:`` step (git with the credentials checkout persisted),
  else unknown (and they may push);
- a second client or a raw request (``getOctokit(...)``, ``new Octokit(...)``, ``fetch``,
  ``https.request``) given a token that may be the job token (``process.env.X``,
  ``core.getInput(...)``) is unknown.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping, Sequence

from fixbot.kb.collect import Collector
from fixbot.kb.model import Need, ScriptAnalysis
from fixbot.kb.tables import normalize_api_path, octokit_need, rest_need, tables
from fixbot.kb.token import JOB, VARIABLE, credential

_JS_COMMENT = re.compile(
    r"//[^\n]*|/\*.*?\*/|(\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`)", re.DOTALL
)
_OCTOKIT = re.compile(r"(?<![.\w$])github\s*\.\s*(?:rest\s*\.\s*)?([A-Za-z]+)\s*\.\s*([A-Za-z]+)\b")
_REQUEST = re.compile(r"\bgithub\s*\.\s*(request|paginate)\s*\(\s*(['\"`])([A-Z]+)\s+([^'\"`]+)\2")
_GRAPHQL = re.compile(r"\bgithub\s*\.\s*graphql\b")
_NOT_NAMESPACES = frozenset({"paginate", "request", "graphql", "hook", "log", "auth", "rest"})
_WORKSPACE_EXPR = re.compile(r"\$\{\{\s*github\s*\.\s*workspace\s*\}\}")
_WS = "${process.env.GITHUB_WORKSPACE}"
_LOADS = re.compile(r"(?<![\w$.])(require|import)\s*\(")
_PATH_JOIN = re.compile(r"^path\s*\.\s*(?:join|resolve)$")
# modules that neither run programs nor make requests
_INERT_MODULES = frozenset({
    "path", "fs", "fs/promises", "util", "os", "crypto", "url", "zlib", "assert", "events",
    "stream", "buffer", "querystring", "string_decoder", "timers", "readline", "process",
    "@actions/core", "@actions/glob", "@actions/io", "js-yaml", "yaml", "semver",
})
_PROCESS_MODULES = frozenset({"child_process", "@actions/exec"})
_CLIENT_MODULES = frozenset({"http", "https", "http2", "net", "tls", "node-fetch", "axios", "got",
                             "undici", "@actions/github", "@actions/http-client", "request",
                             "superagent"})
_EXEC_CALL = re.compile(r"(?<![\w$])exec\s*\.\s*(exec|getExecOutput)\b(\s*\()?")
_CP_METHODS = "execSync|execFileSync|execFile|spawnSync|spawn|fork|exec"
_CP_CALL = re.compile(rf"(?<![\w$])(?:[\w$]+\s*\.\s*)?({_CP_METHODS})\b(\s*\()?")
_BARE_EXEC = re.compile(r"(?<![\w$./@-])(exec|getExecOutput)\b(\s*\()?")
_DESTRUCTURED = re.compile(r"\{[^{}]*\}\s*=\s*(?:await\s+)?(?:require|import)\s*\(")
_CLIENT_CALL = re.compile(r"(?<![\w$.])(?:(?:[\w$]+\s*\.\s*)*getOctokit|new\s+(?:[\w$]+\s*\.\s*)*"
                          r"Octokit)\s*\(")
_RAW_HTTP = re.compile(r"(?<![\w$.])(?:fetch|(?:https?|http2)\s*\.\s*(?:request|get)|axios(?:\s*\.\s*"
                       r"[a-z]+)?|got(?:\s*\.\s*[a-z]+)?)\s*\(")
_EVAL = re.compile(r"(?<![\w$.])(?:eval|new\s+Function|Function)\s*\(")
_ENV_READ = re.compile(r"process\s*\.\s*env\s*(?:\.\s*([A-Za-z_$][\w$]*)|\[\s*(['\"`])([^'\"`]+)\2\s*\])"
                       r"|process\s*\.\s*env\b")
_GET_INPUT = re.compile(r"core\s*\.\s*getInput\s*\(\s*(?:(['\"`])([^'\"`]+)\1)?")
# variables the runner sets that hold no credential
_RUNNER_VARS = re.compile(r"^(?:GITHUB_(?!TOKEN$)[A-Z_]+|RUNNER_[A-Z_]+|CI|HOME|PATH|PWD)$")


def _strip_js_comments(src: str) -> str:
    return _JS_COMMENT.sub(lambda m: m.group(1) or "", src)


def analyze_github_script(script: str, env: Mapping[str, str] | None = None,
                          job_client: bool = True, git: bool = True) -> ScriptAnalysis:
    """Needs of an ``actions/github-script`` ``script:`` (or a file it loads).

    ``env``: the step's environment; ``job_client``: the ``github`` client (its ``github-token``
    input) is the job token; ``git``: git may have the credentials ``actions/checkout`` persisted
    (the default, when the caller does not know)."""
    out = Collector()
    steps: list[ScriptAnalysis] = []
    may_push: list[str] = []
    text = _WORKSPACE_EXPR.sub(_WS, script)
    src = _strip_js_comments(re.sub(r"\$\{\{.*?\}\}", "0", text, flags=re.DOTALL))
    raw = _strip_js_comments(text)  # expressions kept, to tell the credentials they name
    full_env = {**(env or {})}
    if job_client:
        full_env.setdefault("INPUT_GITHUB-TOKEN", "${{ github.token }}")
    if job_client:
        _octokit(src, out)
    if re.search(r"\bcore\s*\.\s*getIDToken\s*\(", src):
        out.need(tables().oidc)
    _loads(src, out)
    _processes(src, full_env, git, out, steps, may_push)
    _clients(raw, full_env, job_client, out)
    if _EVAL.search(src):
        out.unknown_use("eval()/Function() runs code built at run time")
    res = out.result()
    needs = list(res.needs)
    unknown = list(res.unknown)
    git_uses: list[str] = []
    for a in steps:
        needs += [n for n in a.needs if n not in needs]
        unknown += [u for u in a.unknown if u not in unknown]
        may_push += a.may_push
        git_uses += a.git_uses
    return ScriptAnalysis(tuple(needs), tuple(unknown), tuple(may_push), tuple(git_uses))


def _octokit(src: str, out: Collector) -> None:
    for m in _OCTOKIT.finditer(src):
        ns, method = m.group(1), m.group(2)
        if ns in _NOT_NAMESPACES:
            continue
        need, known = octokit_need(ns, method)
        if known:
            out.need(need)
        else:
            out.unknown_use(f"github.rest.{ns}.{method}")
    for m in _REQUEST.finditer(src):
        method, path = m.group(3), m.group(4).strip()
        segs = normalize_api_path(path)
        need, known = rest_need(method, segs) if segs else (None, False)
        if known:
            out.need(need)
        else:
            out.unknown_use(f"github.{m.group(1)} {method} {path}")
    if _GRAPHQL.search(src):
        out.unknown_use("github.graphql")
    if re.search(r"\bgithub\s*\.\s*request\s*\(\s*(?![\s'\"`])", src):
        out.unknown_use("github.request")  # a computed route
    if re.search(r"\bgithub\s*(?:\.\s*rest\s*)?\[", src):
        out.unknown_use("github.rest[...]")  # a method chosen at run time


# --- reading call arguments -------------------------------------------------------------------

def _call_args(src: str, open_paren: int) -> list[str]:
    """The top-level arguments of the call whose ``(`` is at ``open_paren``, as source text."""
    depth = 0
    args: list[str] = []
    start = open_paren + 1
    i = open_paren
    quote = ""
    while i < len(src):
        c = src[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = ""
        elif c in "'\"`":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append(src[start:i])
                break
        elif c == "," and depth == 1:
            args.append(src[start:i])
            start = i + 1
        i += 1
    return [a.strip() for a in args if a.strip()]


def _literal(arg: str) -> str | None:
    """The value of a JavaScript string literal (a template with no substitution but the
    workspace), else None."""
    arg = arg.strip()
    if len(arg) < 2 or arg[0] not in "'\"`" or arg[-1] != arg[0]:
        return None
    body = arg[1:-1]
    if arg[0] in body.replace("\\" + arg[0], ""):
        return None  # two literals joined: 'a' + 'b'
    if arg[0] == "`" and "${" in body.replace(_WS, ""):
        return None
    return re.sub(r"\\(.)", r"\1", body)


def _literal_list(arg: str) -> list[str] | None:
    arg = arg.strip()
    if not (arg.startswith("[") and arg.endswith("]")):
        return None
    items = _call_args("(" + arg[1:-1] + ")", 0)
    values = [_literal(i) for i in items]
    return None if any(v is None for v in values) else [v for v in values if v is not None]


# --- code it loads ------------------------------------------------------------------------------

def _module_path(args: list[str]) -> str | None:
    """The literal specifier of ``require(x)``/``import(x)`` (``path.join(WORKSPACE, 'a')``
    included), else None."""
    if len(args) != 1:
        return None
    lit = _literal(args[0])
    if lit is not None:
        return lit
    m = re.match(r"(path\s*\.\s*(?:join|resolve))\s*\(", args[0])
    if m is None or not args[0].endswith(")"):
        return None
    parts = _call_args(args[0], m.end() - 1)
    if not parts or re.sub(r"\s", "", parts[0]) != "process.env.GITHUB_WORKSPACE":
        return None
    rest = [_literal(p) for p in parts[1:]]
    if any(r is None for r in rest):
        return None
    return "/".join([_WS, *(r.strip("/") for r in rest if r is not None)])


def _repository_file(spec: str) -> str | None:
    """A repository path for a specifier github-script resolves in the workspace: ``./x``,
    ``.github/x`` (its ``require`` resolves any path starting with ``.`` from the working
    directory), or under ``$GITHUB_WORKSPACE``."""
    if spec.startswith(_WS + "/"):
        spec = "./" + spec[len(_WS) + 1:]
    if not spec.startswith("."):
        return None
    while spec.startswith("./"):
        spec = spec[2:]
    return spec


def _loads(src: str, out: Collector) -> None:
    for m in _LOADS.finditer(src):
        kind = m.group(1)
        spec = _module_path(_call_args(src, m.end() - 1))
        if spec is None:
            out.unknown_use(f"{kind}() of a path built at run time: the code it loads is not read")
            continue
        module = spec.removeprefix("node:")
        if _repository_file(spec) is not None or module in _INERT_MODULES | _PROCESS_MODULES:
            continue  # files are read by the caller; processes are read below
        if module in _CLIENT_MODULES:
            continue  # its requests are judged with the credentials they are given, below
        if spec.startswith("/"):
            out.unknown_use(f"{kind}('{spec}') loads a file outside the repository")
        else:
            out.unknown_use(f"{kind}('{spec}') loads the npm package `{module}`, which is not read")


def required_files(script: str) -> list[str]:
    """Repository files a ``script:`` runs through ``require()`` or ``import()``, in the order
    they appear."""
    text = _WORKSPACE_EXPR.sub(_WS, script)
    found = [m.group(1) for pattern in tables().github_script_require for m in pattern.finditer(text)]
    src = _strip_js_comments(text)
    for m in _LOADS.finditer(src):
        spec = _module_path(_call_args(src, m.end() - 1))
        path = _repository_file(spec) if spec is not None else None
        if path is not None and path not in found:
            found.append(path)
    return found


def github_script_sources(script: str, read_text: Callable[[str], str | None], limit: int = 20
                          ) -> tuple[tuple[str, ...], str | None]:
    """The script and every repository file it loads, followed through the files' own
    ``require()``s; the second value is the first file that cannot be read (None when all were)."""
    sources = [script]
    seen: set[str] = set()
    queue = required_files(script)
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        if len(seen) > limit:
            return tuple(sources), path
        body = read_text(path)
        if body is None:
            return tuple(sources), path
        sources.append(body)
        base = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
        queue += [p if not p.startswith("..") else _join(base, p) for p in required_files(body)]
    return tuple(sources), None


def _join(base: str, rel: str) -> str:
    parts = [p for p in base.split("/") if p]
    for p in rel.split("/"):
        if p == "..":
            if not parts:
                return "../" + rel
            parts.pop()
        elif p not in ("", "."):
            parts.append(p)
    return "/".join(parts)


# --- programs it starts -------------------------------------------------------------------------

# programs that run repository-defined tasks (package.json scripts, Makefiles, ...)
_TASK_RUNNERS = frozenset({"make", "just", "task", "npm", "yarn", "pnpm", "bun", "npx"})


def _processes(src: str, env: Mapping[str, str], git: bool, out: Collector,
               steps: list[ScriptAnalysis], may_push: list[str]) -> None:
    from fixbot.kb.scripts import ScriptCall, analyze_commands  # scripts imports this module
    from fixbot.kb.shell import parse

    uses_cp = re.search(r"['\"`](?:node:)?child_process['\"`]", src) is not None
    uses_exec = re.search(r"['\"`]@actions/exec['\"`]", src) is not None
    calls: list[tuple[str, re.Match[str]]] = [("exec", m) for m in _EXEC_CALL.finditer(src)]
    if uses_cp:
        calls += [("cp", m) for m in _CP_CALL.finditer(src)]
    if uses_exec:  # const { exec, getExecOutput } = require('@actions/exec')
        calls += [("exec", m) for m in _BARE_EXEC.finditer(src)]
    imports = [m.span() for m in _DESTRUCTURED.finditer(src)]
    calls = [(k, m) for k, m in calls
             if not (k == "cp" and _EXEC_CALL.match(src, m.start()))
             and not any(a <= m.start() < b for a, b in imports)]
    if (uses_cp or uses_exec) and not calls:
        out.unknown_use("child_process/@actions/exec is loaded; the programs it runs are not read")
        may_push.append("github-script runs programs that are not read; they may push with the "
                        "credentials actions/checkout persisted")
        return
    if uses_cp and re.search(r"\{[^}]*:[^}]*\}\s*=\s*require\s*\(\s*['\"`](?:node:)?child_process",
                             src):
        out.unknown_use("child_process functions renamed on import: the programs they run are "
                        "not read")
    for kind, m in calls:
        method = m.group(1)
        if m.group(2) is None:
            out.unknown_use(f"`{method}` used as a value: the programs it runs are not read")
            may_push.append(f"github-script passes `{method}` around; what it runs may push")
            continue
        shell = _command_line(kind, method, _call_args(src, m.end() - 1))
        if shell is None:
            out.unknown_use(f"github-script `{method}(...)` runs a command built at run time")
            may_push.append(f"github-script `{method}(...)` runs a command built at run time, "
                            "which may push with the credentials actions/checkout persisted")
            continue
        parsed = parse(shell)
        called: list[ScriptCall] = []
        steps.append(analyze_commands(parsed, env, git, called))
        runners = [c.program for c in parsed.commands if c.program in _TASK_RUNNERS]
        for what in [c.path for c in called] + runners:
            # a repository script or task runner: this reader does not follow them
            out.unknown_use(f"github-script runs `{what}`, which is not read from here")
            may_push.append(f"github-script runs `{what}`, which may push with the credentials "
                            "actions/checkout persisted")


def _command_line(kind: str, method: str, args: list[str]) -> str | None:
    """The shell text of a process call with literal arguments, else None."""
    if not args:
        return None
    first = _literal(args[0])
    if first is None:
        return None
    if kind == "cp" and method in ("exec", "execSync"):
        return first  # run by /bin/sh; a second argument is options
    listed = _literal_list(args[1]) if len(args) > 1 else []
    if listed is None and not args[1].lstrip().startswith("{"):
        return None  # arguments built at run time (an options object alone is fine)
    listed = listed or []
    if kind == "cp" and method == "fork":
        return shlex.join(["node", first, *listed])
    if kind == "exec":
        try:
            words = shlex.split(first)  # @actions/exec splits the command line itself
        except ValueError:
            return None
        return shlex.join([*words, *listed])
    return shlex.join([first, *listed])


# --- second clients and raw requests -------------------------------------------------------------

def _token_kind(text: str, env: Mapping[str, str], job_client: bool) -> str:
    """The most dangerous credential the argument text may carry: "job", "variable" or "none"."""
    kinds: list[str] = []
    if credential(text) == JOB:
        kinds.append("job")
    for m in _ENV_READ.finditer(text):
        name = m.group(1) or m.group(3)
        if name is None:
            kinds.append("variable")  # process.env passed whole, or indexed at run time
        elif name in env:
            kinds.append(str(credential(env[name], env)))
        elif not _RUNNER_VARS.match(name):
            kinds.append("variable")
    for m in _GET_INPUT.finditer(text):
        name = (m.group(2) or "").lower()
        kinds.append("job" if name == "github-token" and job_client else
                     "none" if name and "token" not in name else "variable")
    if re.search(r"(?<![\w$.])github\s*\.\s*(?:token|auth)\b|INPUT_GITHUB", text):
        kinds.append("job" if job_client else "variable")
    for kind in ("job", VARIABLE):
        if kind in kinds:
            return kind
    return "none"


def _clients(src: str, env: Mapping[str, str], job_client: bool, out: Collector) -> None:
    for m in _CLIENT_CALL.finditer(src):
        arg = " ".join(_call_args(src, m.end() - 1))
        kind = _token_kind(arg, env, job_client) if arg else "variable"
        if kind != "none":
            out.unknown_use(f"a second octokit client (`{' '.join(m.group(0).split())}...`) whose "
                            f"token may be the job token: its calls are not read")
    raw = list(_RAW_HTTP.finditer(src))
    if not raw:
        return
    # the request's credential may be set anywhere in the script (a headers object, a variable)
    kind = _token_kind(src, env, job_client)
    if kind != "none":
        what = " ".join(raw[0].group(0).rstrip("(").split())
        out.unknown_use(f"`{what}(...)` makes a request with a token that may be the job token")


def github_script_oidc(script: str) -> Need | None:
    """``id-token: write`` when a ``script:`` names the OIDC request anywhere (whatever token its
    octokit client uses), else None."""
    markers, need = tables().github_script_oidc
    return need if any(m in script for m in markers) else None


# A github-script that writes files or exports variables hands what it writes to later steps.
_FILE_WRITE = re.compile(r"\b(?:writeFileSync|writeFile|appendFileSync|appendFile|createWriteStream)\s*\(")
_EXPORT = re.compile(r"\bcore\s*\.\s*exportVariable\s*\(")


def github_script_effects(sources: Sequence[str], env: Mapping[str, str], job_client: bool
                          ) -> frozenset[str]:
    """What a github-script leaves for later steps when the job token can reach it: ``disk`` (it
    writes files, e.g. ``~/.netrc``) and ``github-env`` (``core.exportVariable``). Read from the
    text (there is no JavaScript parser here): a mention is enough, so this over-approximates."""
    reach = job_client or any(credential(v, env) == JOB for v in env.values())
    if not reach:
        return frozenset()
    out: set[str] = set()
    for src in sources:
        code = _strip_js_comments(src)
        if _FILE_WRITE.search(code):
            out.add("disk")
        if _EXPORT.search(code):
            out.add("github-env")
    return frozenset(out)
