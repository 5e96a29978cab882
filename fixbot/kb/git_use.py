"""Commands that use git's stored credentials, repository scripts, and programs that never touch a
token. Everything here reads a parsed :class:`~fixbot.kb.shell.Command`, never script text.

Shared by the transforms that must know whether a job uses git with credentials
(``persist-credentials`` keeps them, ``permissions`` grants ``contents``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from fixbot.kb.shell import SHELLS, Command
from fixbot.kb.task_runners import task_names

# git subcommands that talk to a remote, and what they do there
_GIT_NETWORK = {"push": "push", "fetch": "read", "pull": "read", "ls-remote": "read",
                "clone": "clone", "submodule": "read", "remote": "read", "subtree": "push",
                "send-pack": "push", "fetch-pack": "read", "archive": "read", "lfs": "read",
                "annex": "read"}
# git-lfs: ``push`` uploads objects (with http.extraheader, like git); these read from the remote
_LFS_READ = frozenset({"fetch", "pull", "checkout", "clone", "prune", "smudge", "filter-process",
                       "fsck", "migrate", "locks", "lock", "unlock"})
# git-annex: commands that write to a remote (``copy``/``move`` only with ``--to``)
_ANNEX_PUSH = frozenset({"sync", "push", "assist", "satisfy", "export", "mirror"})
_ANNEX_READ = frozenset({"pull", "get", "fetch", "import"})
_GIT_VALUE_OPTS = frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path",
                             "--config-env"})
_SUBMODULE_NETWORK = frozenset({"update", "sync", "foreach", "add"})

# Release and publishing tools that push commits, tags or branches with git: (program, pattern
# searched in the normalised arguments).
_PUSHING_TOOLS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (prog, re.compile(args)) for prog, args in (
        ("lerna", r"^(?:publish|version)\b"),
        ("mvn", r"(?:^|\s)release:(?:prepare|perform)\b"),
        ("cargo", r"^release\b"),
        ("cargo-release", r""),
        ("release-it", r""),
        ("semantic-release", r""),
        ("hub", r"^push\b"),
        ("mkdocs", r"^gh-deploy\b"),
        ("mike", r"^(?:deploy|delete|set-default|alias)\b.*(?:\s--push\b|\s-p\b)"),
        ("ghp-import", r"(?:^|\s)(?:-p|--push)\b"),
        ("gh-pages", r"(?:^|\s)(?:-d|--dist)\b"),
        ("changeset", r"^(?:publish|tag)\b"),
        ("git-cliff", r"(?:^|\s)--push\b"),
    ))
_PACKAGE_RUNNERS = frozenset({"npx", "pnpx", "bunx"})
# A program that may push when its command line says so (with persisted credentials).
_MAY_PUSH_ARG = re.compile(r"(?:^|\s)--push\b|\bgh-deploy\b")
_TASK_RUNNERS = frozenset({"make", "just", "task", "rake", "invoke", "nox", "npm", "yarn", "pnpm",
                           "bun", "mage", "bazel", "gradle", "gradlew", "mvn", "sbt"})
_REGISTRY_TOOLS = frozenset({"docker", "podman", "buildah", "helm", "flux", "oras", "crane",
                             "skopeo", "kubectl", "gem", "twine", "ko", "kind", "cosign"})
_RISKY_TARGET = re.compile(r"(?:^|\s)[\w:./-]*(?:push|deploy|release|publish|gh-pages)[\w:./-]*")
_RISKY_NAME = re.compile(r"push|publish|release|deploy|tag|commit|sync|bump|backport", re.I)

# Programs that never read a token from their environment (shell syntax, coreutils, text tools).
INERT = frozenset({
    "echo", "printf", "cd", "pwd", "pushd", "popd", "ls", "cat", "mkdir", "rm", "rmdir", "cp",
    "mv", "ln", "touch", "chmod", "chown", "test", "[", "[[", "true", "false", "exit",
    "return", "set", "unset", "shift", "export", "read", "sleep", "date", "grep",
    "egrep", "fgrep", "sed", "awk", "gawk", "cut", "tr", "sort", "uniq", "head", "tail", "wc",
    "tee", "find", "jq", "yq", "basename", "dirname", "realpath", "readlink", "mktemp",
    "sha256sum", "sha1sum", "sha512sum", "md5sum", "shasum", "base64", "tar", "zip", "unzip",
    "gzip", "gunzip", "xz", "bzip2", "diff", "cmp", "file", "stat", "du", "df", "printenv",
    "which", "type", "hash", "install", "seq", "expr", "bc", "column", "fold", "nl", "rev", "paste",
    "comm", "split", "truncate", "whoami", "id", "uname", "hostname", "nproc", "free", "ps", "kill",
    "wait", "trap", "local", "declare", "typeset", "readonly", "let", "continue", "break", "shopt",
    "ulimit", "umask", "alias", ":", "mapfile", "readarray", "getopts", "write-host",
    "write-output", "write-error", "set-content", "get-content", "out-file", "add-content",
    "new-item", "remove-item", "copy-item", "move-item", "test-path", "get-childitem",
    "set-location", "join-path", "select-string", "foreach-object", "where-object",
})
_INTERPRETERS = {"python": "python", "python3": "python", "py": "python", "node": "node",
                 "ruby": "ruby", "perl": "perl", "pwsh": "pwsh", "powershell": "pwsh",
                 "source": "shell", ".": "shell", **{s: "shell" for s in SHELLS}}
_EXTENSIONS = {"sh": "shell", "bash": "shell", "py": "python", "js": "node", "mjs": "node",
               "cjs": "node", "ts": "node", "rb": "ruby", "pl": "perl", "ps1": "pwsh"}
_WORKSPACE = ("$GITHUB_WORKSPACE/", "${GITHUB_WORKSPACE}/", "${{ github.workspace }}/",
              "${{github.workspace}}/", "$env:GITHUB_WORKSPACE/", "${env:GITHUB_WORKSPACE}/")


def git_subcommand(cmd: Command) -> tuple[int, str]:
    """(index in ``cmd.args``, name) of a git command's subcommand; (-1, "") when none."""
    i = 0
    args = cmd.args
    while i < len(args) and args[i].startswith("-"):
        i += 2 if args[i] in _GIT_VALUE_OPTS else 1
    return (i, args[i]) if i < len(args) else (-1, "")


def git_network(cmd: Command) -> str | None:
    """``push``/``read``/``clone`` for a git command that talks to a remote, else None."""
    if cmd.program != "git":
        return None
    i, sub = git_subcommand(cmd)
    kind = _GIT_NETWORK.get(sub)
    rest = cmd.args[i + 1:]
    if sub == "submodule" and not (rest and rest[0] in _SUBMODULE_NETWORK):
        return None
    if sub == "remote" and not (rest and rest[0] == "update"):
        return None
    if sub == "subtree" and not (rest and rest[0] in ("push", "pull")):
        return None
    if sub == "subtree" and rest[0] == "pull":
        return "read"
    if sub == "archive" and not any(a == "--remote" or a.startswith("--remote=") for a in rest):
        return None
    if sub == "lfs":
        op = next((a for a in rest if not a.startswith("-")), "")
        if op == "push":
            return "push"
        return "read" if op in _LFS_READ else None
    if sub == "annex":
        op = next((a for a in rest if not a.startswith("-")), "")
        if op in _ANNEX_PUSH or (op in ("copy", "move") and any(
                a == "--to" or a.startswith("--to=") for a in rest)):
            return "push"
        return "read" if op in _ANNEX_READ or op in ("copy", "move") else None
    return kind


def pushing_tool(cmd: Command) -> str | None:
    """The release tool ``cmd`` runs that pushes with git, as a short text, or None."""
    prog, args = cmd.program, cmd.args
    # `npm exec -- X`, `pnpm exec X`, `pnpm dlx X`, `yarn dlx X`, `bun x X` run package X
    if prog in ("npm", "pnpm", "yarn", "bun") and args[:1] and args[0] in ("exec", "dlx", "x"):
        prog, args = "npx", tuple(a for a in args[1:] if a != "--")
    if prog in _PACKAGE_RUNNERS and args:
        rest = [a for a in args if not a.startswith("-")]
        if rest:
            prog, args = rest[0].rsplit("/", 1)[-1].lower().split("@", 1)[0], tuple(rest[1:])
    if prog == "git" and git_subcommand(cmd)[1] == "subtree" and "push" in cmd.args:
        return "git subtree push"
    line = " ".join(args)
    for name, pattern in _PUSHING_TOOLS:
        if prog == name and pattern.search(line):
            return " ".join((prog, *args[:2])).strip()
    return None


def may_push_command(cmd: Command) -> bool:
    """Whether an unknown program's command line suggests it pushes with git."""
    prog, line = cmd.program, " ".join(cmd.args)
    if prog in _REGISTRY_TOOLS or prog in INERT:
        return False
    if prog in ("npm", "pnpm", "yarn", "bun") and cmd.args[:1] and cmd.args[0] in (
            "publish", "pack", "exec", "dlx", "npm"):
        return False
    if bool(_MAY_PUSH_ARG.search(line)):
        return True
    if prog not in _TASK_RUNNERS:
        return False
    # only what runs counts (`npm run deploy`, `make release`), not where it runs
    # (`make -C publish-docs test`, `npm run build -w packages/publish-utils`)
    names = task_names(cmd)
    return bool(_RISKY_TARGET.search(line if names is None else " ".join(names)))


def script_call(cmd: Command) -> tuple[str, str] | None:
    """(path, language) of a repository script ``cmd`` runs, or None."""
    interp = _INTERPRETERS.get(cmd.program)
    if interp is not None:
        code = next((cmd.args[j + 1] for j, a in enumerate(cmd.args[:-1])
                     if a in ("-c", "-e", "--eval", "-Command", "-command")), None)
        if code is not None and interp != "shell":
            return code, f"{interp}-code"  # the program's text is on the command line
        if interp == "python" and "-m" in cmd.args:
            j = cmd.args.index("-m")
            if j + 1 < len(cmd.args):
                return f"-m {cmd.args[j + 1]}", "python"
            return None
        path = next((_slashes(a) for a in cmd.args if not a.startswith("-")), None)
        if path is None or path.startswith(("/usr/", "/bin/", "/opt/")) or "$(" in path:
            return None
        if interp == "shell" or "." in path.rsplit("/", 1)[-1] or "/" in path:
            return _strip(path), _language(path, interp)
        return None
    path = _slashes(cmd.path)
    if "/" in path and not path.startswith(("/usr/", "/bin/", "/opt/", "~")) and not _drive(path):
        return _strip(path), _language(path, "")
    return None


def _slashes(path: str) -> str:
    """``.\\scripts\\x.ps1`` (Windows separators) as ``./scripts/x.ps1``."""
    return path.replace("\\", "/") if path.startswith((".\\", "..\\")) or (
        "\\" in path and not _drive(path) and "/" not in path and "$" not in path) else path


def _drive(path: str) -> bool:
    """A Windows absolute path (``C:/x``, ``C:\\x``): not a repository file."""
    return len(path) > 2 and path[1] == ":" and path[0].isalpha() and path[2] in "/\\"


def _language(path: str, interp: str) -> str:
    ext = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
    return interp or _EXTENSIONS.get(ext, ext or "executable")


def _strip(path: str) -> str:
    for prefix in _WORKSPACE:
        if path.startswith(prefix):
            path = path[len(prefix):]
    return path.removeprefix("./")


def may_push_by_name(path: str) -> bool:
    """Whether an unreadable script's name suggests it pushes: the file's own name, or the last
    component of a ``python -m`` module (``tools/publish/lint.sh`` and ``-m publish.lint`` run
    ``lint``; the directories and packages they sit in say nothing about what they do)."""
    name = re.split(r"[/\\]", path)[-1]
    if path.startswith("python -m "):
        name = path.removeprefix("python -m ").rsplit(".", 1)[-1]
    return bool(_RISKY_NAME.search(name))


# `git config` actions that print values (the persisted AUTHORIZATION header among them)
_CONFIG_READS = frozenset({"--get", "--get-all", "--get-regexp", "--get-urlmatch", "-l",
                           "--list", "get", "list", "--show-origin"})


def reads_persisted_credentials(script: str) -> bool:
    """Whether a bash script reads the credentials a checkout persisted back out of git's
    configuration (``git config --get http.<url>.extraheader``, ``git config --list``, the
    ``.git/config`` file): it then holds the job token itself, not only git's use of it.
    A script that cannot be parsed counts when its text names the header."""
    from fixbot.kb.shell import parse

    parsed = parse(script)
    if parsed.error:
        return "extraheader" in script.lower()
    return reads_git_config(parsed.commands)


def reads_git_config(commands: Iterable[Command]) -> bool:
    """:func:`reads_persisted_credentials` for commands already read."""
    for cmd in commands:
        args = [a.lower() for a in cmd.args]
        if cmd.program == "git" and args[:1] == ["config"] and (
                _CONFIG_READS & set(args) or any("extraheader" in a for a in args)):
            return True
        if any(a.endswith(".git/config") or "extraheader" in a for a in args):
            return True
    return False
