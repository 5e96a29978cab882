"""What ``run:`` scripts do with the job token: ``gh``, ``git`` and REST calls."""

from __future__ import annotations

import os
import re

from fixbot.kb.collect import Collector, rest_call
from fixbot.kb.github_script import analyze_github_script
from fixbot.kb.http_calls import http_call
from fixbot.kb.model import ScriptAnalysis
from fixbot.kb.shell_lex import Lexed, lex
from fixbot.kb.tables import tables

__all__ = ["analyze_github_script", "analyze_shell"]

_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_TOKEN_VARS = ("GH_TOKEN", "GITHUB_TOKEN", "GH_ENTERPRISE_TOKEN")
# Words that may stand before the command proper.
_LEADING = frozenset(
    [
        "{",
        "}",
        "(",
        ")",
        "!",
        "if",
        "then",
        "else",
        "elif",
        "do",
        "while",
        "until",
        "time",
        "nohup",
        "exec",
        "command",
        "builtin",
        "&&",
        "||",
        "fi",
        "done",
    ]
)
# wrapper -> number of arguments it takes before the command (options are skipped as well)
_WRAPPERS = {"timeout": 1, "xargs": 0, "sudo": 0, "env": 0, "retry": 0, "nice": 0, "stdbuf": 0, "npx": 0}
# wrapper options that take a value
_WRAPPER_VALUE_OPTS = {
    "xargs": frozenset({"-I", "-i", "-n", "-P", "-L", "-d", "-E", "-s", "-a"}),
    "env": frozenset({"-u", "--unset", "-C", "--chdir", "-S", "--split-string"}),
    "sudo": frozenset({"-u", "-g", "-U", "-C", "-h", "-p", "-r", "-t", "-D"}),
    "timeout": frozenset({"-s", "--signal", "-k", "--kill-after"}),
}


def _other_credential(lexed: Lexed, value: str) -> bool:
    """A token value that is clearly not the job token (another secret, an app token...)."""
    text = lexed.restore(value)
    if "${{" not in text:
        return False  # a shell variable: may well hold the job token
    low = text.lower().replace(" ", "")
    return "github.token" not in low and "secrets.github_token" not in low


def _strip_prefix(lexed: Lexed, words: list[str], env: dict[str, str]) -> list[str]:
    """Drop keywords, ``VAR=value`` assignments (recorded in ``env``) and wrappers."""
    i = 0
    while i < len(words):
        w = words[i]
        if w in _LEADING:
            i += 1
        elif _ASSIGN.match(w):
            name, _, value = w.partition("=")
            env[name] = value
            i += 1
        elif w in ("export", "set", "declare", "local", "readonly") and i + 1 < len(words):
            return []  # handled by the caller for exports; nothing runs here
        elif os.path.basename(w) in _WRAPPERS:
            base = os.path.basename(w)
            i += 1
            skip = _WRAPPERS[base]
            while i < len(words) and (words[i].startswith("-") or skip > 0 or _ASSIGN.match(words[i])):
                if words[i] in _WRAPPER_VALUE_OPTS.get(base, ()):
                    i += 1
                elif _ASSIGN.match(words[i]):
                    name, _, value = words[i].partition("=")
                    env[name] = value  # env VAR=value cmd
                elif not words[i].startswith("-"):
                    skip -= 1
                i += 1
        else:
            break
    return words[i:]


def analyze_shell(script: str) -> ScriptAnalysis:
    """Needs of a ``run:`` body (bash or pwsh): ``gh``, ``git``, and REST calls with curl/wget."""
    out = Collector()
    _analyze(script, out, {}, depth=0)
    return out.result()


def _analyze(script: str, out: Collector, env: dict[str, str], depth: int) -> None:
    lexed = lex(script)
    for raw in lexed.commands:
        if any("ACTIONS_ID_TOKEN_REQUEST_" in w for w in raw):
            out.need(tables().oidc)
        _command(lexed, raw, out, env, depth)


def _command(lexed: Lexed, raw: list[str], out: Collector, env: dict[str, str], depth: int) -> None:
    if raw and raw[0] == "export":
        for w in raw[1:]:
            if _ASSIGN.match(w):
                name, _, value = w.partition("=")
                env[name] = value
        return
    if len(raw) >= 3 and raw[0].lower().startswith("$env:") and raw[1] == "=":
        env[raw[0][5:]] = raw[2]
        return
    local = dict(env)
    words = _strip_prefix(lexed, raw, local)
    if not words:
        env.update(local)  # a line of bare assignments sets them for the rest of the script
        return
    prog = os.path.basename(words[0]).lower()
    prog = prog[:-4] if prog.endswith(".exe") else prog
    args = words[1:]
    if prog in ("bash", "sh", "zsh", "pwsh", "powershell") and depth < 3:
        for j, a in enumerate(args[:-1]):
            if a in ("-c", "-Command", "-command"):
                _analyze(lexed.restore(args[j + 1]), out, dict(local), depth + 1)
                break
    elif prog == "eval" and depth < 3:
        _analyze(lexed.restore(" ".join(args)), out, dict(local), depth + 1)
    elif prog == "gh":
        token = next((local[v] for v in _TOKEN_VARS if v in local), None)
        if token is not None and _other_credential(lexed, token):
            return
        _gh(lexed, args, out)
    elif prog == "git":
        _git(lexed, args, out)
    elif prog in ("curl", "wget", "invoke-restmethod", "invoke-webrequest", "irm", "iwr"):
        http_call(lexed, prog, args, out)


# --- gh -------------------------------------------------------------------------------------

_GH_GLOBAL_VALUE = frozenset({"-R", "--repo", "--hostname"})
_GH_API_VALUE = frozenset(
    {
        "-X",
        "--method",
        "-H",
        "--header",
        "-f",
        "--raw-field",
        "-F",
        "--field",
        "--input",
        "-q",
        "--jq",
        "-t",
        "--template",
        "--hostname",
        "--cache",
        "-p",
        "--preview",
    }
)


def _gh(lexed: Lexed, args: list[str], out: Collector) -> None:
    pos: list[str] = []
    i = 0
    while i < len(args) and len(pos) < 2:
        a = args[i]
        if a in _GH_GLOBAL_VALUE:
            i += 2
            continue
        if a.startswith("-"):
            i += 1
            continue
        pos.append(a)
        if a == "api":
            _gh_api(lexed, args[i + 1 :], out)
            return
        i += 1
    if not pos:
        return  # gh --version, gh --help
    t = tables().gh
    for key in (" ".join(pos), pos[0]):
        if key in t:
            need = t[key]
            if need is None:
                out.unknown_use("gh " + lexed.restore(" ".join(pos)))
            else:
                out.need(need)
            return
    out.unknown_use("gh " + lexed.restore(" ".join(pos)))


def _gh_api(lexed: Lexed, args: list[str], out: Collector) -> None:
    method: str | None = None
    has_fields = False
    path: str | None = None
    i = 0
    while i < len(args):
        a = args[i]
        flag, eq, val = a.partition("=")
        if a.startswith("--") and eq and flag in _GH_API_VALUE:
            value: str | None = val
            a = flag
            step = 1
        elif a in _GH_API_VALUE:
            value = args[i + 1] if i + 1 < len(args) else None
            step = 2
        elif len(a) > 2 and a[:2] in ("-X", "-f", "-F", "-H"):
            value, a, step = a[2:], a[:2], 1
        elif a.startswith("-"):
            i += 1
            continue
        else:
            if path is None:
                path = a
            i += 1
            continue
        if a in ("-X", "--method") and value:
            method = value.upper()
        elif a in ("-f", "--raw-field", "-F", "--field", "--input"):
            has_fields = True
        i += step
    if path is None:
        out.unknown_use("gh api")
        return
    if method is None:
        method = "POST" if has_fields else "GET"
    rest_call(lexed, method, path, out, "gh api")


# --- git ------------------------------------------------------------------------------------

_GIT_VALUE_OPTS = frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path"})


def _git(lexed: Lexed, args: list[str], out: Collector) -> None:
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 2 if args[i] in _GIT_VALUE_OPTS else 1
    if i >= len(args):
        return
    sub, rest = args[i], args[i + 1 :]
    urls = [lexed.restore(a) for a in rest if "://" in a or a.startswith("git@")]
    if any(_foreign_credential(u) for u in urls):
        return  # the remote URL carries its own credential
    g = tables().git
    if sub == "push":
        out.need(g["push"])
    elif sub in ("fetch", "pull", "clone", "ls-remote", "submodule"):
        if sub == "clone" and urls and not any(_same_repo(u) for u in urls):
            return  # another repository: not this job token's business
        out.need(g["read"])


def _foreign_credential(url: str) -> bool:
    m = re.match(r"^[a-z]+://([^/@]+)@", url, re.IGNORECASE)
    if m is None:
        return False
    cred = m.group(1).lower().replace(" ", "")
    if "${{" in cred:
        return "github.token" not in cred and "secrets.github_token" not in cred
    return False


def _same_repo(url: str) -> bool:
    low = url.lower().replace(" ", "")
    return "github.repository" in low or "github_repository" in low
