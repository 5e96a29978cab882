"""What the steps of one job do with the job token (``permissions`` transform, private).

Steps are read as plain data. Each token use becomes a :class:`Found` (where, and the KB need
with its reason and source); anything whose use of the token cannot be told becomes an entry
of ``unknown``, which makes the whole job unknown to the transform.
"""

from __future__ import annotations

import re
from collections.abc import Mapping as Map
from dataclasses import dataclass, field, replace
from typing import Any

from fixbot.kb import Need, analyze_github_script, analyze_shell, is_job_token, lookup_action
from fixbot.kb.shell_lex import lex
from fixbot.workflow import RepoContext

OIDC_DOC = ("https://docs.github.com/en/actions/security-for-github-actions/"
            "security-hardening-your-deployments/about-security-hardening-with-openid-connect"
            "#adding-permissions-settings")
PACKAGES_DOC = ("https://docs.github.com/en/packages/managing-github-packages-using-github-actions-"
                "workflows/publishing-and-installing-a-package-with-github-actions"
                "#authenticating-to-package-registries-on-github")
_GIT_NEEDS = analyze_shell("git push").needs + analyze_shell("git fetch").needs
_INPUT_EXPR = re.compile(r"\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}")
_OIDC = re.compile(r"ACTIONS_ID_TOKEN_REQUEST_(?:URL|TOKEN)|getIDToken\s*\(")
_REQUIRE = re.compile(r"require\(\s*[`'\"](?:\$\{\s*process\.env\.GITHUB_WORKSPACE\s*\}/|\./)"
                      r"([^`'\"]+)[`'\"]\s*\)")
CONTENTS_DOC = ("https://docs.github.com/en/rest/authentication/permissions-required-for-github-apps"
                "#repository-permissions-for-contents")
_RELEASE_TOOLS = re.compile(
    r"(?<![\w./-])(?:lerna\s+(?:publish|version)|release:(?:prepare|perform)|cargo\s+release|"
    r"release-it|semantic-release|git\s+subtree\s+push|hub\s+push|mkdocs\s+gh-deploy|"
    r"mike\s+(?:deploy|delete|set-default|alias)[^\n;&|]*--push|ghp-import[^\n;&|]*\s(?:-p|--push)|"
    r"gh-pages\s+(?:-d|--dist)|changeset\s+(?:publish|tag)|git-cliff[^\n;&|]*--push)")
# With the checkout's credentials in .git/config, a program we do not know may push when its
# command line says so: such a step makes the job unknown.
_MAY_PUSH = re.compile(r"(?:^|\s)--push\b|\bgh-deploy\b")
_TASK_RUNNERS = frozenset({"make", "just", "task", "rake", "invoke", "nox", "npm", "yarn", "pnpm",
                           "bun", "mage", "bazel", "gradle", "gradlew", "mvn", "sbt"})
_REGISTRY_TOOLS = frozenset({"docker", "podman", "buildah", "helm", "flux", "oras", "crane",
                             "skopeo", "kubectl", "gem", "twine", "ko", "kind", "cosign"})
_RISKY_TARGET = re.compile(r"\s[\w:./-]*(?:push|deploy|release|publish|gh-pages)[\w:./-]*")
_SCRIPT_CALL = re.compile(
    r"(?:^|[\s;&|(])(?:(?:bash|sh|zsh|python3?|node|pwsh|ruby|perl)\s+)?"
    r"((?:\./|\$GITHUB_WORKSPACE/|\$\{\{\s*github\.workspace\s*\}\}/)?"
    r"[\w.-]+(?:/[\w.-]+)*\.(?:sh|bash|py|js|mjs|rb|pl|ps1))\b")
_RISKY_NAME = re.compile(r"push|publish|release|deploy|tag|commit|sync|bump|backport", re.I)
_OIDC_TOOLS = re.compile(
    r"(?<![\w./-])(?:uv\s+publish|npm\s+publish|pnpm\s+publish|yarn\s+npm\s+publish|"
    r"twine\s+upload|poetry\s+publish|hatch\s+publish|pdm\s+publish|flit\s+publish|"
    r"maturin\s+(?:publish|upload)|cargo\s+publish|gem\s+push|cosign\s+(?:sign|attest)\w*|"
    r"sigstore\s+sign|gh\s+attestation|aws\s+sts\s+assume-role-with-web-identity|"
    r"az\s+login|gcloud\s+auth|vault\s+(?:login|write))\b")
_SHELLS = {None, "bash", "sh", "pwsh", "powershell", "cmd"}
# Programs that never read a token from their environment (shell syntax, coreutils, text tools).
_INERT = frozenset("""
    echo printf cd pwd pushd popd ls cat mkdir rm rmdir cp mv ln touch chmod chown test [ [[ ]]
    true false exit return set unset shift source . export read sleep date grep egrep fgrep sed
    awk gawk cut tr sort uniq head tail wc tee find jq yq basename dirname realpath readlink
    mktemp sha256sum sha1sum sha512sum md5sum shasum base64 tar zip unzip gzip gunzip xz bzip2
    diff cmp file stat du df printenv which type hash seq expr bc column fold nl rev paste comm
    split truncate whoami id uname hostname nproc free ps kill wait trap for in while until if
    then else elif fi do done case esac select function { } ( ) ! local declare typeset
    readonly let eval continue break shopt ulimit umask alias : mapfile readarray getopts write-host write-output
    write-error set-content get-content out-file add-content new-item remove-item copy-item
    move-item test-path get-childitem set-location join-path select-string foreach-object
    where-object exit""".split())
_WRAPPERS = frozenset({"sudo", "env", "time", "nohup", "timeout", "exec", "command", "builtin",
                       "nice", "xargs", "stdbuf"})
_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\[[^]]*\])?\+?=")


@dataclass(frozen=True)
class Found:
    where: str  # e.g. 'step 3 "Publish" (softprops/action-gh-release@v2)'
    need: Need


@dataclass
class Analysis:
    found: list[Found] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    # needs that hold only if the job has the scope now (never added): OIDC is open to every
    # program of a job that is granted id-token, so a publish command may be using it
    maybe: list[Found] = field(default_factory=list)

    def add(self, where: str, need: Need) -> None:
        if need.scopes and Found(where, need) not in self.found:
            self.found.append(Found(where, need))

    def extend(self, other: Analysis, prefix: str) -> None:
        for f in other.found:
            self.add(f"{prefix}{f.where}", f.need)
        for u in other.unknown:
            self.unknown.append(f"{prefix}{u}")
        self.maybe += [Found(f"{prefix}{f.where}", f.need) for f in other.maybe]


@dataclass(frozen=True)
class Surroundings:
    """What the steps of a job (or of a composite action) run inside."""

    env: Map[str, str]  # workflow env < job env (strings)
    ctx: RepoContext
    inputs: Map[str, str] | None = None  # a composite action's inputs, for ${{ inputs.x }}
    depth: int = 0


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def env_map(value: Any) -> dict[str, str] | None:
    """A plain ``env:`` value as strings (None when it is not a mapping, e.g. an expression)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        return None
    return {str(k): text(v) for k, v in value.items()}


def mentions_job_token(s: str) -> bool:
    low = s.lower().replace(" ", "")
    return "github.token" in low or "secrets.github_token" in low


def token_vars(env: Map[str, str]) -> list[str]:
    """Names of the environment variables that hold the job token."""
    return sorted(k for k, v in env.items() if "${{" in v and is_job_token(v))


def _sub(value: Any, inputs: Map[str, str] | None) -> Any:
    """Replace ``${{ inputs.x }}`` by the value the action was given (recursively)."""
    if inputs is None:
        return value
    if isinstance(value, str):
        return _INPUT_EXPR.sub(lambda m: inputs.get(m.group(1).lower(), m.group(0)), value)
    if isinstance(value, dict):
        return {k: _sub(v, inputs) for k, v in value.items()}
    if isinstance(value, list):
        return [_sub(v, inputs) for v in value]
    return value


def _label(n: int, step: Map[str, Any]) -> str:
    name = step.get("name")
    uses = step.get("uses")
    out = f"step {n}"
    if isinstance(name, str) and name.strip() and "${{" not in name:
        out += f' "{name.strip()}"'
    if isinstance(uses, str):
        out += f" ({uses.strip()})"
    elif not isinstance(name, str) and isinstance(step.get("run"), str):
        first = next((ln.strip() for ln in step["run"].splitlines() if ln.strip()), "")
        out += f" (`{first[:40]}{'…' if len(first) > 40 else ''}`)"
    return out


def _action_name(uses: str) -> str:
    return uses.split("@", 1)[0].strip().lower().rstrip("/")


def analyze_steps(steps: list[tuple[Any, str | None]], sur: Surroundings) -> Analysis:
    """Needs of a list of steps, each given with the version comment after its ``uses:``."""
    out = Analysis()
    persisted = False  # a checkout left the job token in .git/config
    for n, (raw, comment) in enumerate(steps, 1):
        if not isinstance(raw, dict):
            continue
        step = _sub(raw, sur.inputs)
        where = _label(n, step)
        env = env_map(step.get("env"))
        if env is None:
            out.unknown.append(f"{where}: `env:` is an expression that may hold the job token")
            continue
        env = {**sur.env, **env}
        uses = step.get("uses")
        if isinstance(uses, str):
            with_ = step.get("with") if isinstance(step.get("with"), dict) else {}
            inputs = {str(k): text(v) for k, v in with_.items()}
            _uses(uses.strip(), inputs, comment, env, where, sur, out)
            if _action_name(uses) == "actions/checkout":
                persisted = persisted or _persists(inputs)
        elif "run" in step:
            _run(text(step.get("run")), step.get("shell"), env, persisted, where, sur, out)
    return out


def _persists(inputs: Map[str, str]) -> bool:
    if inputs.get("persist-credentials", "true").strip().lower() == "false":
        return False
    if inputs.get("ssh-key", "").strip():
        return False
    token = inputs.get("token")
    return token is None or is_job_token(token)


def _uses(uses: str, inputs: Map[str, str], comment: str | None, env: Map[str, str],
          where: str, sur: Surroundings, out: Analysis) -> None:
    if "${{" in uses:
        out.unknown.append(f"{where}: the action is chosen by an expression")
        return
    if uses.startswith("./"):
        _local_action(uses, inputs, env, where, sur, out)
        return
    if uses.startswith("docker://"):
        if token_vars(env) or any(mentions_job_token(v) for v in inputs.values()):
            out.unknown.append(f"{where}: a Docker container that receives the job token")
        return
    if _action_name(uses) == "actions/github-script":
        _github_script(inputs, where, sur, out)
        return
    info = lookup_action(uses, inputs, comment)
    if info is None:
        out.unknown.append(f"{where}: `{uses.split('@', 1)[0]}` is not in the knowledge base")
        return
    for need in info.needs:
        out.add(where, need)


def _github_script(inputs: Map[str, str], where: str, sur: Surroundings, out: Analysis) -> None:
    script = inputs.get("script", "")
    if _OIDC.search(script):
        out.add(where, Need({"id-token": "write"}, "core.getIDToken() requests an OIDC token",
                            OIDC_DOC, via_token=False))
    token = inputs.get("github-token")
    if token is not None and not is_job_token(token):
        return  # the script's octokit client uses another credential
    sources = [script]
    for m in _REQUIRE.finditer(script):
        body = sur.ctx.read_text(m.group(1))
        if body is None:
            out.unknown.append(f"{where}: runs `{m.group(1)}`, which is not in the repository "
                               "context to read")
            return
        sources.append(body)
    for src in sources:
        found = analyze_github_script(src)
        for need in found.needs:
            out.add(where, need)
        out.unknown.extend(f"{where}: `{u}`" for u in found.unknown)


def _run(script: str, shell: Any, env: Map[str, str], persisted: bool, where: str,
         sur: Surroundings, out: Analysis) -> None:
    if _OIDC.search(script):
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
                if prog in _REGISTRY_TOOLS or _RELEASE_TOOLS.search(line) or (
                        prog in ("npm", "pnpm", "yarn", "bun") and len(words) > 1
                        and words[1] in ("publish", "pack", "exec", "dlx", "npm")):
                    continue
                if _MAY_PUSH.search(line) or (prog in _TASK_RUNNERS
                                              and _RISKY_TARGET.search(line)):
                    out.unknown.append(f"{where}: `{line[:60]}` may push with the credentials "
                                       "actions/checkout persisted")
    if avail:
        out.unknown.extend(f"{where}: `{u}`" for u in found.unknown)
        for prog in _opaque_programs(script, bool(in_env)):
            via = f" (in ${in_env[0]})" if in_env else ""
            out.unknown.append(f"{where}: `{prog}` runs with the job token{via}")


def _pushing_tools(script: str, where: str, sur: Surroundings, out: Analysis,
                   depth: int = 0) -> None:
    """Release tools and repository scripts that push with the credentials checkout persisted."""
    m = _RELEASE_TOOLS.search(script)
    if m:
        out.add(where, Need({"contents": "write"}, f"`{m.group(0).strip()}` pushes commits or "
                            "tags with the credentials actions/checkout persisted", CONTENTS_DOC))
    for call in _SCRIPT_CALL.finditer(script):
        path = re.sub(r"^(\$GITHUB_WORKSPACE/|\$\{\{\s*github\.workspace\s*\}\}/|\./)", "",
                      call.group(1))
        body = sur.ctx.read_text(path) if depth < 2 else None
        if body is not None:
            for need in analyze_shell(body).needs:
                if need in _GIT_NEEDS:
                    out.add(f"{where} → {path}", need)
            _pushing_tools(body, f"{where} → {path}", sur, out, depth + 1)
        elif _RISKY_NAME.search(path.rsplit("/", 1)[-1]):
            out.unknown.append(f"{where}: runs `{path}`, which may push with the persisted "
                               "credentials (it is not in the repository context to read)")


def _opaque_programs(script: str, whole_env: bool) -> list[str]:
    """Programs the script runs with the token that the KB cannot account for."""
    progs: list[str] = []
    for prog, _ in _opaque_commands(script, whole_env):
        if prog not in progs:
            progs.append(prog)
    return progs


def _opaque_commands(script: str, whole_env: bool) -> list[tuple[str, str]]:
    """(program, command line) of the commands the KB cannot account for."""
    lexed = lex(script)
    progs: list[tuple[str, str]] = []
    exported = whole_env
    for raw in lexed.commands:
        words = list(raw)
        full = lexed.restore(" ".join(words))
        if words and words[0] == "export" and mentions_job_token(full):
            exported = True
            continue
        if not exported and not mentions_job_token(full):
            continue
        while words and (_ASSIGN.match(words[0]) or words[0] in _WRAPPERS
                         or (words[0].startswith("-") and len(words) > 1)):
            words = words[1:]
        if not words:
            if mentions_job_token(full):
                exported = True  # a bare assignment: later commands may use the variable
            continue
        prog = words[0].rsplit("/", 1)[-1].lower()
        if prog in _INERT or prog in ("gh", "git", "curl", "wget") or prog.startswith(("$", "-")):
            continue
        progs.append((prog, " ".join(lexed.restore(w) for w in words)))
    return progs


def _local_action(uses: str, inputs: Map[str, str], env: Map[str, str], where: str,
                  sur: Surroundings, out: Analysis) -> None:
    base = uses[2:].split("@", 1)[0].strip("/")
    doc = None
    for name in ("action.yml", "action.yaml"):
        doc = sur.ctx.parse(f"{base}/{name}" if base else name)
        if doc is not None:
            break
    if doc is None or not isinstance(doc.data, dict):
        out.unknown.append(f"{where}: the local action's action.yml is not in the repository "
                           "context to read")
        return
    data = doc.data
    declared = data.get("inputs") if isinstance(data.get("inputs"), dict) else {}
    values: dict[str, str] = {}
    for name, spec in declared.items():
        given = inputs.get(str(name)) or next(
            (v for k, v in inputs.items() if k.lower() == str(name).lower()), None)
        default = spec.get("default") if isinstance(spec, dict) else None
        values[str(name).lower()] = given if given is not None else text(default)
    runs = data.get("runs") if isinstance(data.get("runs"), dict) else {}
    using = text(runs.get("using")).lower()
    if using == "composite" and isinstance(runs.get("steps"), list):
        if sur.depth >= 4:
            out.unknown.append(f"{where}: local actions nested too deep to follow")
            return
        seq = doc.node_at(("runs", "steps"))
        comments = version_comments(doc.text, seq) if seq is not None else []
        steps = [(s, comments[i] if i < len(comments) else None)
                 for i, s in enumerate(runs["steps"])]
        inner = analyze_steps(steps, replace(sur, env=env, inputs=values, depth=sur.depth + 1))
        out.extend(inner, f"{where} → ")
        return
    carried = [*values.values(), *(text(v) for v in (env_map(runs.get("env")) or {}).values()),
               *(text(a) for a in runs.get("args", []) if isinstance(runs.get("args"), list))]
    if token_vars(env) or any(mentions_job_token(v) for v in carried):
        kind = "JavaScript" if using.startswith("node") else "Docker" if using == "docker" else using
        out.unknown.append(f"{where}: a local {kind} action that receives the job token")


def version_comments(doc_text: str, seq: Any) -> list[str | None]:
    """For each item of a steps sequence node, the comment after its ``uses:`` value."""
    from fixbot.yamlmodel import Mapping, Scalar

    out: list[str | None] = []
    for item in getattr(seq, "items", []):
        uses = item.get("uses") if isinstance(item, Mapping) else None
        comment = None
        if isinstance(uses, Scalar):
            eol = doc_text.find("\n", uses.end)
            rest = doc_text[uses.end:eol if eol >= 0 else len(doc_text)]
            m = re.match(r"\s*#\s*(\S.*?)\s*$", rest)
            comment = m.group(1) if m else None
        out.append(comment)
    return out
