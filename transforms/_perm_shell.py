"""What a ``run:`` script does with the job token (``permissions`` transform, private).

A script counts only where it can reach the token: a variable of its environment set to
``github.token``/``secrets.GITHUB_TOKEN``, the token written into the script, or ``git push``
with the credentials ``actions/checkout`` persisted. Programs the knowledge base cannot account
for that run with the token make the job unknown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping as Map
from typing import Any

from fixbot.kb import Need, analyze_shell, lookup_program
from fixbot.kb.git_use import may_push_by_name, pushing_tool, script_calls
from fixbot.kb.shell_lex import lex
from transforms._perm_model import (
    EXPORTED_TOKEN,
    OIDC_DOC,
    Analysis,
    Found,
    Surroundings,
    mentions_job_token,
    text,
    token_vars,
)

_GIT_NEEDS = analyze_shell("git push").needs + analyze_shell("git fetch").needs
OIDC_USE = re.compile(r"ACTIONS_ID_TOKEN_REQUEST_(?:URL|TOKEN)|getIDToken\s*\(")
CONTENTS_DOC = ("https://docs.github.com/en/rest/authentication/permissions-required-for-github-apps"
                "#repository-permissions-for-contents")
# With the checkout's credentials in .git/config, a program we do not know may push when its
# command line says so: such a step makes the job unknown.
_MAY_PUSH = re.compile(r"(?:^|\s)--push\b|\bgh-deploy\b")
_TASK_RUNNERS = frozenset({"make", "just", "task", "rake", "invoke", "nox", "npm", "yarn", "pnpm",
                           "bun", "mage", "bazel", "gradle", "gradlew", "mvn", "sbt"})
_REGISTRY_TOOLS = frozenset({"docker", "podman", "buildah", "helm", "flux", "oras", "crane",
                             "skopeo", "kubectl", "gem", "twine", "ko", "kind", "cosign"})
_RISKY_TARGET = re.compile(r"\s[\w:./-]*(?:push|deploy|release|publish|gh-pages)[\w:./-]*")
_OIDC_TOOLS = re.compile(
    r"(?<![\w./-])(?:uv\s+publish|npm\s+publish|pnpm\s+publish|yarn\s+npm\s+publish|"
    r"twine\s+upload|poetry\s+publish|hatch\s+publish|pdm\s+publish|flit\s+publish|"
    r"maturin\s+(?:publish|upload)|cargo\s+publish|gem\s+push|cosign\s+(?:sign|attest)\w*|"
    r"sigstore\s+sign|gh\s+attestation|aws\s+sts\s+assume-role-with-web-identity|"
    r"az\s+login|gcloud\s+auth|vault\s+(?:login|write))\b")
_SHELLS = {None, "bash", "sh", "pwsh", "powershell", "cmd"}
# Programs that never read a token from their environment (shell syntax, coreutils, text tools).
_INERT = frozenset({
    "echo", "printf", "cd", "pwd", "pushd", "popd", "ls", "cat", "mkdir", "rm", "rmdir", "cp",
    "mv", "ln", "touch", "chmod", "chown", "test", "[", "[[", "]]", "true", "false", "exit",
    "return", "set", "unset", "shift", "source", ".", "export", "read", "sleep", "date", "grep",
    "egrep", "fgrep", "sed", "awk", "gawk", "cut", "tr", "sort", "uniq", "head", "tail", "wc",
    "tee", "find", "jq", "yq", "basename", "dirname", "realpath", "readlink", "mktemp",
    "sha256sum", "sha1sum", "sha512sum", "md5sum", "shasum", "base64", "tar", "zip", "unzip",
    "gzip", "gunzip", "xz", "bzip2", "diff", "cmp", "file", "stat", "du", "df", "printenv",
    "which", "type", "hash", "install", "seq", "expr", "bc", "column", "fold", "nl", "rev", "paste", "comm",
    "split", "truncate", "whoami", "id", "uname", "hostname", "nproc", "free", "ps", "kill",
    "wait", "trap", "for", "in", "while", "until", "if", "then", "else", "elif", "fi", "do",
    "done", "case", "esac", "select", "function", "{", "}", "(", ")", "!", "local", "declare",
    "typeset", "readonly", "let", "eval", "continue", "break", "shopt", "ulimit", "umask", "alias",
    ":", "mapfile", "readarray", "getopts", "write-host", "write-output", "write-error",
    "set-content", "get-content", "out-file", "add-content", "new-item", "remove-item",
    "copy-item", "move-item", "test-path", "get-childitem", "set-location", "join-path",
    "select-string", "foreach-object", "where-object",
})
_WRAPPERS = frozenset({"sudo", "env", "time", "nohup", "timeout", "exec", "command", "builtin",
                       "nice", "xargs", "stdbuf"})
_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\[[^]]*\])?\+?=")
# Shell words the lexer leaves in front of the command proper (`then goreleaser ...`,
# `{ cmd; }`): the program is the word after them.
_LEADING_KEYWORDS = frozenset({"{", "(", "!", "if", "then", "else", "elif", "do", "while",
                               "until"})
# Shell functions defined in the script: their bodies are analysed where they stand, so a call
# to one is not an unknown program.
_FUNC_DEF = re.compile(r"(?m)^\s*(?:function\s+([\w.:-]+)|([\w.:-]+)\s*\(\s*\))")



def run_script(script: str, shell: Any, env: Map[str, str], persisted: bool, where: str,
         sur: Surroundings, out: Analysis) -> None:
    if OIDC_USE.search(script):
        out.add(where, Need({"id-token": "write"}, "requests an OIDC token from the runner",
                            OIDC_DOC, via_token=False))
    m = _OIDC_TOOLS.search(script)
    if m:
        out.maybe.append(Found(where, Need(
            {"id-token": "write"}, f"`{' '.join(m.group(0).split())}` can publish or sign with "
            "an OIDC token (trusted publishing, keyless signing) when the job is granted one",
            OIDC_DOC, via_token=False)))
    in_env = token_vars(env)
    inline = mentions_job_token(script)
    if not in_env and not inline and not persisted:
        return  # the script cannot reach the job token
    sh = text(shell).split()[0].lower() if text(shell).strip() else None
    if sh not in _SHELLS:
        if in_env or inline or re.search(r"\bgit\b", script):
            out.unknown.append(f"{where}: a `{sh}` script that can reach the job token")
        return
    found = analyze_shell(script)
    avail = bool(in_env) or inline
    for need in found.needs:
        if avail or (persisted and need in _GIT_NEEDS):
            out.add(where, need)
    if persisted:
        _pushing_tools(script, where, sur, out)
        if not avail:
            for prog, line in _opaque_commands(script, True):
                words = line.split()
                if prog in _REGISTRY_TOOLS or pushing_tool(line) or (
                        prog in ("npm", "pnpm", "yarn", "bun") and len(words) > 1
                        and words[1] in ("publish", "pack", "exec", "dlx", "npm")):
                    continue
                path = words[0] if words else ""
                local_script = "/" in path and not path.startswith(("/usr/", "/bin/", "/opt/"))
                if _MAY_PUSH.search(line) or (prog in _TASK_RUNNERS and _RISKY_TARGET.search(line)) \
                        or (local_script and may_push_by_name(prog)):
                    out.may_push.append(f"{where}: `{line[:60]}` may push with the credentials "
                                       "actions/checkout persisted")
    if avail:
        out.unknown.extend(f"{where}: `{u}`" for u in found.unknown)
        unknown: list[str] = []
        for prog, line in _opaque_commands(script, bool(in_env)):
            needs = lookup_program(prog, line)
            if needs is not None:
                for need in needs:
                    out.add(where, need)
            elif prog not in unknown:
                unknown.append(prog)
        for prog in unknown:
            via = f" (in ${in_env[0]})" if in_env else ""
            if in_env and in_env[0] == EXPORTED_TOKEN:
                via = " (a token an earlier step wrote to $GITHUB_ENV)"
            out.unknown.append(f"{where}: `{prog}` runs with the job token{via}")


def _pushing_tools(script: str, where: str, sur: Surroundings, out: Analysis,
                   depth: int = 0) -> None:
    """Release tools and repository scripts that push with the credentials checkout persisted."""
    tool = pushing_tool(script)
    if tool:
        out.add(where, Need({"contents": "write"}, f"`{tool}` pushes commits or "
                            "tags with the credentials actions/checkout persisted", CONTENTS_DOC))
    for path in script_calls(script):
        path = path.removeprefix("./")
        body = sur.ctx.read_text(path) if depth < 2 else None
        if body is not None:
            for need in analyze_shell(body).needs:
                if need in _GIT_NEEDS:
                    out.add(f"{where} → {path}", need)
            _pushing_tools(body, f"{where} → {path}", sur, out, depth + 1)
        elif may_push_by_name(path):
            out.may_push.append(f"{where}: runs `{path}`, which may push with the persisted "
                               "credentials (it is not in the repository context to read)")


def _opaque_commands(script: str, whole_env: bool) -> list[tuple[str, str]]:
    """(program, command line) of the commands the KB cannot account for."""
    lexed = lex(script)
    functions = {(a or b).lower() for a, b in _FUNC_DEF.findall(script)}
    progs: list[tuple[str, str]] = []
    # a function body runs where it is called: with functions around, every command may see the
    # token as soon as the script mentions it anywhere
    exported = whole_env or (bool(functions) and mentions_job_token(script))
    for raw in lexed.commands:
        words = list(raw)
        full = lexed.restore(" ".join(words))
        if words and words[0] == "export" and mentions_job_token(full):
            exported = True
            continue
        if not exported and not mentions_job_token(full):
            continue
        while words and (_ASSIGN.match(words[0]) or words[0] in _WRAPPERS
                         or words[0] in _LEADING_KEYWORDS
                         or (words[0].startswith("-") and len(words) > 1)):
            words = words[1:]
        if not words:
            if mentions_job_token(full):
                exported = True  # a bare assignment: later commands may use the variable
            continue
        prog = words[0].rsplit("/", 1)[-1].lower()
        if prog in _INERT or prog in ("gh", "git", "curl", "wget") or prog.startswith(("$", "-")) \
                or prog in functions:
            continue
        progs.append((prog, " ".join(lexed.restore(w) for w in words)))
    return progs
