"""What the commands of a script do with the job token: ``gh``, ``git``, REST calls, and programs.

Scripts are read by :mod:`fixbot.kb.shell` (bash) and :mod:`fixbot.kb.pwsh` (PowerShell); this
module decides, command by command, what each needs. :func:`analyze_commands` is the one entry
both transforms use:

- a command *sees* the job token when a variable of its environment (the step's, or one the
  script assigned) holds it, or when its words name it;
- ``git`` sees it also through the credentials ``actions/checkout`` persisted (``git=True``);
- a command the knowledge base cannot account for that sees the token is *unknown*.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from fixbot.kb.collect import Collector, rest_call
from fixbot.kb.git_use import (
    INERT,
    git_network,
    may_push_command,
    pushing_tool,
    reads_git_config,
    script_call,
)
from fixbot.kb.github_script import analyze_github_script
from fixbot.kb.http_calls import http_call
from fixbot.kb.model import Need, ScriptAnalysis
from fixbot.kb.shell import Assignment, Command, FileWrite, Script, expand_known_vars, parse
from fixbot.kb.tables import lookup_program, tables
from fixbot.kb.token import EXPORTED_NAME, JOB, NONE, OTHER, credential, names_job_token

__all__ = ["ScriptCall", "analyze_commands", "analyze_github_script", "analyze_shell"]

_GH_TOKEN_VARS = ("GH_TOKEN", "GITHUB_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN")
_OIDC_VARS = ("ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN")
_CONTENTS_DOC = ("https://docs.github.com/en/rest/authentication/permissions-required-for-github-apps"
                 "#repository-permissions-for-contents")
_HTTP = frozenset({"curl", "wget", "invoke-restmethod", "invoke-webrequest", "irm", "iwr"})


@dataclass(frozen=True)
class ScriptCall:
    """A repository script a command runs (``./x.sh``, ``bash x.sh``, ``python x.py``)."""

    path: str  # as written, ``./`` and the workspace prefix removed
    language: str  # "shell", "python", "pwsh", or the interpreter/extension for others
    env: Mapping[str, str]  # the environment it runs with
    line: int


@dataclass
class _State:
    env: dict[str, str]
    git: bool
    out: Collector
    functions: frozenset[str]
    everywhere: bool  # with functions around, every command may see a token the script mentions
    mentions: bool = False  # the script names the job token somewhere (e.g. piped to a login)
    calls: list[ScriptCall] = field(default_factory=list)
    may_push: list[str] = field(default_factory=list)
    git_uses: list[str] = field(default_factory=list)
    stores: set[str] = field(default_factory=set)


def analyze_shell(script: str, env: Mapping[str, str] | None = None, git: bool = False
                  ) -> ScriptAnalysis:
    """Needs of a bash ``run:`` body. ``env`` is the step's environment (defaults to the token
    being reachable through ``GITHUB_TOKEN``, as a knowledge-base check); ``git``: checkout's
    credentials are persisted."""
    parsed = parse(script)
    if env is None:
        env = {"GITHUB_TOKEN": "${{ github.token }}"}
    return analyze_commands(parsed, env, git)


def analyze_commands(script: Script, env: Mapping[str, str], git: bool,
                     calls: list[ScriptCall] | None = None,
                     stores: frozenset[str] = frozenset()) -> ScriptAnalysis:
    """Needs of a parsed script run with ``env``; repository scripts it runs go to ``calls``.
    ``stores``: tools an earlier step left the job token configured for (``docker``, ...)."""
    out = Collector()
    if script.error:
        out.unknown_use(script.error)
        return out.result()
    mentions = any(names_job_token(_item_text(i)) for i in script.items)
    st = _State(dict(env), git, out, script.functions, bool(script.functions) and mentions,
                mentions=mentions, stores=set(stores))
    if git and reads_git_config(script.commands):
        st.stores.add("disk")  # the persisted header is read back: the token is in the open
    for item in script.items:
        if isinstance(item, Assignment):
            if any(v in (item.value or "") for v in _OIDC_VARS):
                out.need(tables().oidc)
            if item.value is not None:
                st.env[item.name] = item.value
            continue
        if isinstance(item, FileWrite):
            _file_write(item, st)
            continue
        _command(item, st)
    if any(_untold_dir(d, env, script) for d in script.path_dirs):
        st.stores.add(_UNTOLD_PATH)  # later steps' bare commands may be that directory's programs
    if calls is not None:
        calls.extend(st.calls)
    added = sorted(st.stores - set(stores)) + (["git"] if st.git and not git else [])
    return ScriptAnalysis(out.result().needs, out.result().unknown, tuple(st.may_push),
                          tuple(st.git_uses), tuple(added))


# a store: a directory an earlier step put on $GITHUB_PATH that cannot be told (``$(cmd)``, a
# variable): a later bare command not known here may be one of the repository's scripts
_UNTOLD_PATH = "path:?"
_OUTSIDE_DIRS = ("$HOME", "${HOME}", "~", "/", "\\", "$RUNNER_", "${RUNNER_", "${{ runner.",
                 "$env:RUNNER_", "$env:HOME", "$env:USERPROFILE", "$env:ProgramFiles")
_TOLD_DIRS = ("$GITHUB_WORKSPACE", "${GITHUB_WORKSPACE}", "${{ github.workspace }}",
              "${{github.workspace}}", "$PWD", "${PWD}", "$env:GITHUB_WORKSPACE", "$pwd")


_ONE_VAR = re.compile(r"^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$")


def _untold_dir(d: str, env: Mapping[str, str] | None = None, script: Script | None = None,
                depth: int = 0) -> bool:
    """Whether a directory written to $GITHUB_PATH cannot be told (it may be the repository's).
    A lone ``$NAME`` counts as outside the repository when every value the step can give it
    (its environment, each plain assignment in the script) is empty or outside it (under
    ``$HOME``, the runner's directories, an absolute path), and no command may set it another
    way (``read NAME``, ``printf -v NAME``); a value inside the workspace cannot be mapped
    here, so it is untold."""
    d = d.strip()
    if _ONE_VAR.match(d) and env is not None and script is not None:
        values = _values(d, env, script)
        if values is not None:
            return not all(_outside(v, env, script, depth + 1) for v in values)
    if d == "?" or "$(" in d or "`" in d:
        return True
    if d.startswith(_OUTSIDE_DIRS) or (len(d) > 1 and d[1] == ":"):
        return False
    rest = next((d[len(p):] for p in _TOLD_DIRS if d == p or d.startswith(p + "/")), d)
    return "$" in rest


def _values(var: str, env: Mapping[str, str], script: Script) -> list[str] | None:
    """Every value ``$NAME`` can have in the step, or None where a command may set it."""
    one = _ONE_VAR.match(var)
    if not one:
        return None
    name = one.group(1) or one.group(2)
    values = [i.value for i in script.items if isinstance(i, Assignment) and i.name == name]
    if name in env:
        values.append(env[name])
    if not values or any(v is None for v in values) or any(
            isinstance(i, Command) and name in i.args for i in script.items):
        return None
    return [v for v in values if v is not None]


def _outside(value: str, env: Mapping[str, str], script: Script, depth: int) -> bool:
    """An empty value, or a directory outside the repository (through variables, a few deep)."""
    v = value.strip().strip("\"'")
    if not v:
        return True
    if v.startswith(_OUTSIDE_DIRS) or (len(v) > 1 and v[1] == ":"):
        return True
    values = _values(v.split("/", 1)[0], env, script) if depth < 3 else None
    return values is not None and all(_outside(x, env, script, depth + 1) for x in values)


def _item_text(item: Command | Assignment | FileWrite) -> str:
    if isinstance(item, FileWrite):
        return item.content
    return item.text if isinstance(item, Command) else f"{item.name}={item.value or ''}"


# files a job-token write to which stays inside the run (step outputs and the job summary are
# handled by the transforms; /dev/* is not a file)
_HARMLESS_TARGETS = ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "/dev/null", "/dev/stdout", "$null",
                     "/dev/stderr")


def _file_write(w: FileWrite, st: _State) -> None:
    st.stores |= written_token_stores(w.target, w.content, st.env)


def written_token_stores(target: str, content: str, env: Mapping[str, str]) -> set[str]:
    """What writing ``content`` into ``target`` leaves for later steps when it holds the job token:
    ``github-env`` for $GITHUB_ENV (every later step gets it), ``disk`` for any other file
    (``~/.netrc``, ``~/.npmrc``: any later program may read it), plus ``curl`` for curl's and
    wget's configuration files or a file that cannot be told ("?"). Shared by every reader."""
    if credential(content, env) != JOB and not names_job_token(content):
        return set()
    if "GITHUB_ENV" in target:
        return {"github-env"}
    if any(t in target for t in _HARMLESS_TARGETS):
        return set()
    if target.rstrip("/").endswith(("curlrc", "wgetrc", "netrc")) or target == "?":
        return {"disk", "curl"}
    return {"disk"}


def sees_token(cmd: Command, env: Mapping[str, str]) -> bool:
    """Whether the job token can reach ``cmd``: through its environment or its own words."""
    full = {**env, **cmd.env}
    if names_job_token(cmd.text) or any(names_job_token(a) for a in cmd.args):
        return True
    return any(credential(v, full) == JOB for v in full.values())


def _command(cmd: Command, st: _State) -> None:
    env = {**st.env, **cmd.env}
    if any(v in cmd.text for v in _OIDC_VARS):
        st.out.need(tables().oidc)
    sees = st.everywhere or sees_token(cmd, st.env) or "disk" in st.stores
    prog = cmd.program
    if not prog and "/" in cmd.path and "$" not in (known := expand_known_vars(cmd.path, env)):
        # `$GITHUB_ACTION_PATH/x.sh`: a repository script once the variable is known
        cmd = Command(known.rsplit("/", 1)[-1].lower(), cmd.args, cmd.env, cmd.text, cmd.line,
                      known, cmd.wrappers)
        prog = cmd.program
    if not prog:
        if sees or st.git:
            st.out.unknown_use(f"`{_short(cmd.text)}` runs a command chosen at run time")
        return
    if prog in _WRITERS and _writes_token(cmd, env):
        st.stores.add("disk")  # the job token written into a file (~/.netrc, ~/.npmrc ...)
    if prog in st.functions or prog in INERT:
        return
    used = _store_use(cmd, st.stores)
    if used is not None:
        st.out.need(used)
        return
    call = script_call(cmd)
    if call is not None:
        st.calls.append(ScriptCall(call[0], call[1], env, cmd.line))
        return
    if (_UNTOLD_PATH in st.stores and (st.git or sees) and "/" not in cmd.path
            and "\\" not in cmd.path and prog not in ("gh", "git") and prog not in _HTTP
            and lookup_program(prog, cmd.line_text()) is None):
        st.out.unknown_use(f"`{prog}` may be a repository script on a directory an earlier step "
                           "put on $GITHUB_PATH")
        return
    if prog == "gh":
        _gh(cmd, env, sees, st)
    elif prog == "git":
        _git(cmd, env, sees, st)
    elif prog in _HTTP:
        if sees or "curl" in st.stores:
            http_call(cmd, env, st.out, configured="curl" in st.stores)
    elif st.git and (tool := pushing_tool(cmd)):
        st.git_uses.append(f"runs `{tool}`, which pushes with git")
        st.out.need(Need({"contents": "write"}, f"`{tool}` pushes commits or tags with the "
                         "credentials actions/checkout persisted", _CONTENTS_DOC))
    if prog in ("gh", "git") or prog in _HTTP:
        return
    if (sees or st.mentions) and prog in ("docker", "podman", "helm") and _registry_login(cmd):
        st.stores.add("helm" if prog == "helm" else "docker")
    if sees:
        needs = lookup_program(prog, cmd.line_text())
        if needs is None:
            st.out.unknown_use(f"`{prog}` runs with the job token")
        for n in needs or ():
            st.out.need(n)
    elif st.git and may_push_command(cmd):
        st.may_push.append(f"`{_short(cmd.text)}` may push with the credentials actions/checkout "
                           "persisted")


# programs whose arguments name files they write (redirections are FileWrite items)
_WRITERS = frozenset({"tee", "set-content", "add-content", "out-file"})
_ENV_LINE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:=|<<)")


def _writes_token(cmd: Command, env: Mapping[str, str]) -> bool:
    """Whether a printing command writes the job token somewhere other than an env/output
    file (``NAME=value`` lines go to $GITHUB_ENV/$GITHUB_OUTPUT, tracked elsewhere)."""
    return any(credential(a, env) == JOB and not _ENV_LINE.match(a.strip()) for a in cmd.args)


def _store_use(cmd: Command, stores: set[str]) -> Need | None:
    line = " ".join(cmd.args)
    for rule in tables().store_uses:
        if rule.store in stores and rule.program == cmd.program and (
                rule.args is None or rule.args.search(line)):
            return rule.need
    return None


def _registry_login(cmd: Command) -> bool:
    """``docker login ghcr.io`` / ``helm registry login ghcr.io``: logs in to GitHub Packages."""
    words = [a.lower() for a in cmd.args]
    if "login" not in words[:2]:
        return False
    return any(h in a for a in words for h in ("ghcr.io", "docker.pkg.github.com",
                                                "containers.pkg.github.com"))


def _short(text: str) -> str:
    one = " ".join(text.split())
    return one if len(one) <= 60 else one[:59] + "…"


# --- gh -------------------------------------------------------------------------------------

_GH_GLOBAL_VALUE = frozenset({"-R", "--repo", "--hostname"})
_GH_API_VALUE = frozenset({"-X", "--method", "-H", "--header", "-f", "--raw-field", "-F", "--field",
                           "--input", "-q", "--jq", "-t", "--template", "--hostname", "--cache",
                           "-p", "--preview"})


def _gh(cmd: Command, env: Mapping[str, str], sees: bool, st: _State) -> None:
    words = [a for a in cmd.args if not a.startswith("-")]
    if words[:1] == ["auth"]:
        if words[1:2] in (["login"], ["setup-git"]):
            st.git = True  # later git commands authenticate through gh's stored token
            st.stores.add("gh")
        return
    sees = sees or "gh" in st.stores
    if words[:2] == ["pr", "checkout"]:
        st.git_uses.append("runs `gh pr checkout`, which fetches with git")
    # gh takes GH_TOKEN before GITHUB_TOKEN (and the enterprise pair for GHES hosts)
    first = next((env[v] for v in _GH_TOKEN_VARS[:2] if v in env), None)
    named = [v for v in (first, *(env.get(v) for v in _GH_TOKEN_VARS[2:])) if v is not None]
    kinds = {credential(v, env) for v in named}
    # `gh api -H "Authorization: ..."` sends that header's credential instead of gh's own
    headers = [cmd.args[i + 1] for i, a in enumerate(cmd.args[:-1]) if a in ("-H", "--header")]
    headers += [a.split("=", 1)[1] for a in cmd.args if a.startswith("--header=")]
    if any(h.lower().lstrip().startswith("authorization") and credential(h, env) != NONE
           for h in headers):
        kinds = {credential(h, env) for h in headers if h.lower().lstrip().startswith(
            "authorization")}
        named = named or ["header"]
    if named and kinds <= {OTHER, NONE} and EXPORTED_NAME not in env:
        return  # gh runs with another credential (unless $GITHUB_ENV may have replaced it)
    if not named and not sees:
        return  # no token reaches gh
    args = list(cmd.args)
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
            _gh_api(args[i + 1:], st.out)
            return
        i += 1
    if not pos:
        return  # gh --version, gh --help
    t = tables().gh
    for key in (" ".join(pos), pos[0]):
        if key in t:
            need = t[key]
            if need is None:
                st.out.unknown_use("gh " + " ".join(pos))
            elif key in tables().gh_json_required and not any(
                    a == "--json" or a.startswith("--json=") or a == "--web" for a in args):
                st.out.unknown_use(f"gh {key} without --json reads a default set of fields "
                                   "(projects among them) whose needs are not documented")
            else:
                st.out.need(need)
                _gh_flags(key, args[i:], st.out)
            return
    st.out.unknown_use("gh " + " ".join(pos))


def _gh_flags(command: str, rest: list[str], out: Collector) -> None:
    """Flags that reach further than the subcommand itself (``--json`` fields, projects)."""
    flags = tables().gh_flags
    for j, a in enumerate(rest):
        name, eq, val = a.partition("=")
        value = val if eq else (rest[j + 1] if j + 1 < len(rest) else "")
        for rule in flags:
            if rule.flag != name or not command.startswith(rule.command):
                continue
            if rule.field is None:
                if rule.need is None:
                    out.unknown_use(f"gh {command} {name}")
                else:
                    out.need(rule.need)
            elif rule.field in {f.strip() for f in value.split(",")}:
                if rule.need is None:
                    out.unknown_use(f"gh {command} {name} {rule.field}")
                else:
                    out.need(rule.need)


def _gh_api(args: list[str], out: Collector) -> None:
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
    rest_call(method, path, out, "gh api")


# --- git ------------------------------------------------------------------------------------

# git subcommands that can store a credential for later git commands (a remote URL with the
# token, url.<...>.insteadOf, http.extraheader, a credential helper's store)
_GIT_STORING = frozenset({"config", "remote", "credential", "clone", "credential-store"})


def _git(cmd: Command, env: Mapping[str, str], sees: bool, st: _State) -> None:
    from fixbot.kb.git_use import git_subcommand

    sub = git_subcommand(cmd)[1]
    if sub in _GIT_STORING and (any(credential(a, env) == JOB for a in cmd.args) or (
            sub in ("credential", "credential-store", "config") and (st.mentions or sees))):
        st.git = True  # later git commands (this step's and later steps') use the job token
        st.stores.add("git")
    kind = git_network(cmd)
    if kind is None:
        return
    urls = [a for a in cmd.args if "://" in a or a.startswith("git@")]
    creds = [credential(_userinfo(u), env) for u in urls if _userinfo(u)]
    github = all("github.com" in u.lower() or "github.server_url" in u.lower() for u in urls)
    if creds and all(c in (OTHER, NONE) for c in creds) and not (st.git and github):
        # the remote URL carries its own credential (checkout's persisted http.extraheader would
        # still be sent to github.com, whatever the URL says)
        return
    if not (st.git or sees or JOB in creds or "disk" in st.stores):
        return  # no credential of the job reaches git
    g = tables().git
    if kind == "clone" and urls and not any(_same_repo(u) for u in urls):
        return  # another repository: not this job token's business
    st.git_uses.append(f"runs `git {cmd.args[_sub_index(cmd)]}`")
    st.out.need(g["push"] if kind == "push" else g["read"])


def _sub_index(cmd: Command) -> int:
    from fixbot.kb.git_use import git_subcommand

    return git_subcommand(cmd)[0]


def _userinfo(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep:
        return ""
    host = rest.split("/", 1)[0]
    return host.rpartition("@")[0]


def _same_repo(url: str) -> bool:
    low = url.lower().replace(" ", "")
    return "github.repository" in low or "github_repository" in low
