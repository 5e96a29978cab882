"""Git work for ``fixbot run``: partial + sparse clone, one commit on fixbot's branch, push.

GitPython stays in this module. The token never reaches argv, remotes or ``.git/config``: it is
sent as an ``http.extraHeader`` given to each git process through ``GIT_CONFIG_COUNT`` /
``GIT_CONFIG_KEY_n`` / ``GIT_CONFIG_VALUE_n`` environment variables (git >= 2.31), so error
messages (which quote the command line) cannot contain it either.

GitPython is imported on first use, not with this module: a command that never runs git (``fixbot
fix``, ``fixbot list``) does not pay for it at start-up.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fixbot import files
from fixbot.errors import GitError, InputError
from fixbot.redact import redact

if TYPE_CHECKING:
    import git

NAME = "fixbot"
EMAIL = "fixbot@users.noreply.github.com"
# Only these are checked out; other files the transforms ask for are fetched one blob at a time.
SPARSE = ("/.github/workflows/", "/.github/actions/")
_SAFE_PATH = re.compile(r"^(?!/)(?!.*(?:^|/)\.\.?(?:/|$))[^\x00]+$")


@dataclass(frozen=True)
class Tip:
    """A commit at the tip of a branch, as far as fixbot needs to judge it."""

    sha: str
    parents: tuple[str, ...]
    tree: str
    author_email: str
    committer_email: str

    @property
    def by_fixbot_only(self) -> bool:
        """One commit, authored and committed by fixbot: the branch holds nothing of a person's."""
        return (self.author_email == EMAIL and self.committer_email == EMAIL
                and len(self.parents) == 1)


def auth_env(token: str | None, url: str | None = None) -> dict[str, str]:
    """Environment for one git process: no prompts, stalled transfers abort (under 1 KB/s for
    60 s), and the token as an extra HTTP header, sent only to the origin of ``url`` (the
    forge's host) when it is an http(s) URL: a submodule or redirect elsewhere never gets it."""
    config = [("http.lowSpeedLimit", "1000"), ("http.lowSpeedTime", "60")]
    if token:
        key = "http.extraHeader"
        origin = _origin(url) if url else None
        if origin:
            key = f"http.{origin}/.extraHeader"
        config.append((key, f"Authorization: Basic {_basic(token)}"))
    env = {"GIT_TERMINAL_PROMPT": "0", "GCM_INTERACTIVE": "never",
           "GIT_CONFIG_COUNT": str(len(config))}
    for i, (key, value) in enumerate(config):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    return env


def _origin(url: str) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL (userinfo dropped), else None."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https"):
        return None
    host = rest.split("/", 1)[0].rpartition("@")[2]
    return f"{scheme.lower()}://{host}" if host else None


def _basic(token: str) -> str:
    return base64.b64encode(f"x-access-token:{token}".encode()).decode()


def _identity_env() -> dict[str, str]:
    return {"GIT_AUTHOR_NAME": NAME, "GIT_AUTHOR_EMAIL": EMAIL,
            "GIT_COMMITTER_NAME": NAME, "GIT_COMMITTER_EMAIL": EMAIL}


class Checkout:
    """A sparse work tree of one repository's default branch."""

    def __init__(self, repo: git.Repo, secrets: tuple[str, ...]) -> None:
        self.repo = repo
        self.path = Path(repo.working_tree_dir or ".")
        self._secrets = secrets

    def _git(self, *args: str, what: str) -> str:
        import git

        try:
            return str(self.repo.git.execute(["git", *args]))
        except git.GitCommandError as e:
            raise GitError(f"git {what} failed: {_stderr(e, self._secrets)}") from e

    @property
    def head(self) -> str:
        return self._git("rev-parse", "HEAD", what="rev-parse")

    @property
    def branch(self) -> str:
        return self._git("rev-parse", "--abbrev-ref", "HEAD", what="rev-parse")

    def read_text(self, rel: str) -> str | None:
        """RepoContext reader: the work tree, else one blob of HEAD fetched on demand."""
        import git

        text: str | None = files.repo_reader(self.path)(rel)
        rel = rel.removeprefix("./")
        if text is not None or not _SAFE_PATH.match(rel):
            return text
        try:
            listing = str(self.repo.git.ls_tree("-l", "HEAD", "--", rel))
        except git.GitCommandError:
            return None
        parts = listing.split("\t", 1)[0].split() if listing and "\n" not in listing else []
        if len(parts) != 4 or parts[1] != "blob" or parts[0] == "120000":
            return None
        if not parts[3].isdigit() or int(parts[3]) > files.MAX_FILE_BYTES:
            return None
        try:
            data = self.repo.git.execute(["git", "cat-file", "blob", parts[2]],
                                         stdout_as_string=False, strip_newline_in_stdout=False)
            return files.decode(bytes(data))
        except (git.GitCommandError, InputError):
            return None

    def remote_tip(self, branch: str) -> str | None:
        """The SHA of ``branch`` on origin, or None when it does not exist (no REST call)."""
        out = self._git("ls-remote", "origin", f"refs/heads/{branch}", what="ls-remote")
        for line in out.splitlines():
            sha, _, ref = line.partition("\t")
            if ref == f"refs/heads/{branch}":
                return sha
        return None

    def fetch_tip(self, branch: str) -> Tip:
        """Fetch the tip commit of ``branch`` (no blobs, depth 1) and describe it."""
        ref = f"refs/remotes/origin/{branch}"
        self._git("fetch", "--quiet", "--depth=1", "--filter=blob:none", "origin",
                  f"+refs/heads/{branch}:{ref}", what="fetch")
        return self.tip(ref)

    def tip(self, rev: str) -> Tip:
        raw = self._git("cat-file", "commit", rev, what="cat-file")
        head, _, _ = raw.partition("\n\n")
        fields: dict[str, list[str]] = {}
        for line in head.splitlines():
            key, _, value = line.partition(" ")
            fields.setdefault(key, []).append(value)

        def email(key: str) -> str:
            m = re.search(r"<([^>]*)>", (fields.get(key) or [""])[0])
            return m.group(1) if m else ""

        sha = self._git("rev-parse", f"{rev}^{{commit}}", what="rev-parse")
        return Tip(sha, tuple(fields.get("parent", [])), (fields.get("tree") or [""])[0],
                   email("author"), email("committer"))

    def materialize(self, paths: list[str]) -> None:
        """Check out ``paths`` (files outside the sparse patterns that a change rewrites) in the
        work tree: each is added to the sparse patterns as a literal path (glob characters
        escaped), so that it can be written and committed like a workflow."""
        wanted = [p for p in paths if _SAFE_PATH.match(p)]
        if not wanted:
            return
        literal = ["/" + re.sub(r"([\\*?\[\]!#])", r"\\\1", p) for p in wanted]
        self._git("sparse-checkout", "add", *literal, what="sparse-checkout add")

    def reset_to(self, rev: str) -> None:
        """Put the work tree back to ``rev`` (detached), dropping what this run wrote: the next
        pull request's changes start from the base again."""
        self._git("checkout", "--quiet", "--force", "--detach", rev, what="checkout")

    def start_branch(self, branch: str) -> None:
        self._git("checkout", "--quiet", "-B", branch, what="checkout")

    def commit(self, paths: list[str], message: str) -> Tip:
        """Stage ``paths`` and make one commit as fixbot."""
        self._git("add", "--sparse", "--", *paths, what="add")
        with self.repo.git.custom_environment(**_identity_env()):
            self._git("commit", "--quiet", "--no-verify", "-m", message, what="commit")
        return self.tip("HEAD")

    def push(self, branch: str, expect: str | None) -> None:
        """Push HEAD to ``branch``; ``expect`` is the SHA the branch must still have (None: it
        must not exist), so a commit a person pushed meanwhile is never overwritten."""
        lease = f"--force-with-lease=refs/heads/{branch}:{expect or ''}"
        self._git("push", "--quiet", "--no-verify", lease, "origin",
                  f"HEAD:refs/heads/{branch}", what="push")

    def delete_remote(self, branch: str, expect: str) -> None:
        lease = f"--force-with-lease=refs/heads/{branch}:{expect}"
        self._git("push", "--quiet", "--no-verify", lease, "origin", f":refs/heads/{branch}",
                  what="push --delete")


def clone(url: str, dest: Path, token: str | None = None, *, branch: str | None = None,
          partial: bool = True, offline: bool = False) -> Checkout:
    """Clone ``url`` into ``dest`` with only the sparse paths checked out.

    ``partial``: ``--filter=blob:none --depth 1`` (for remote URLs; a local path is cloned with
    hard links instead, where filters do not apply). ``offline`` (a local path): every git
    process of this checkout may use only local paths (``GIT_ALLOW_PROTOCOL=file``), so nothing
    it does, not even a lazy fetch of a partial clone's missing objects, reaches the network.
    """
    import git

    env = auth_env(token, url)
    if offline:
        env["GIT_ALLOW_PROTOCOL"] = "file"
    secrets = (token, _basic(token)) if token else ()
    options = ["--no-checkout", "--quiet"]
    if partial:
        options += ["--filter=blob:none", "--depth=1"]
    if branch:
        options.append(f"--branch={branch}")
    try:
        repo = git.Repo.clone_from(url, str(dest), env=env, multi_options=options)
    except git.GitCommandError as e:
        raise GitError(f"git clone failed: {_stderr(e, tuple(s for s in secrets if s))}") from e
    repo.git.update_environment(**env)
    checkout = Checkout(repo, tuple(s for s in secrets if s))
    checkout._git("sparse-checkout", "set", "--no-cone", *SPARSE, what="sparse-checkout")
    checkout._git("checkout", "--quiet", what="checkout")
    return checkout


def open_local(path: Path) -> Checkout:
    import git

    return Checkout(git.Repo(str(path)), ())


@dataclass(frozen=True)
class LocalProblem:
    """Why a local path cannot be fixed by ``fixbot run``: ``status`` is ``error`` (not a
    repository) or ``skipped`` (an empty repository: nothing to fix), ``reason`` says it plainly."""

    status: str
    reason: str


def local_problem(source: str) -> LocalProblem | None:
    """What stands in the way of cloning the local path ``source``, or None when it is the root
    of a git repository (a work tree or a bare repository) with at least one commit on ``HEAD``.
    Reads the repository only; runs no git command that could reach a remote."""
    import git

    path = Path(source)
    if path.is_file():
        hint = (f" (to fix a workflow file in place, run `fixbot fix {source}`)"
                if path.suffix in (".yml", ".yaml") else "")
        return LocalProblem("error", f"not a git repository: {source} is a file{hint}")
    try:
        repo = git.Repo(source)
    except git.NoSuchPathError:
        return LocalProblem("error", f"{source}: no such directory")
    except git.InvalidGitRepositoryError:
        return LocalProblem("error", _not_a_repository(source))
    with repo:
        if not repo.bare and Path(repo.working_tree_dir or path).resolve() != path.resolve():
            return LocalProblem("error", _not_a_repository(source))
        if not repo.head.is_valid():
            return LocalProblem("skipped", "no commits yet: an empty repository has no workflows "
                                           "to fix")
    return None


def _not_a_repository(source: str) -> str:
    """"not a git repository", and where the repository is when ``source`` lies inside one."""
    import git

    try:
        with git.Repo(source, search_parent_directories=True) as outer:
            top = outer.working_tree_dir
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        top = None
    if top:
        return (f"not a git repository: {source} is a directory inside the repository {top}; "
                "give its root instead")
    return (f"not a git repository: {source} (to fix its workflow files in place, without a "
            f"commit, run `fixbot fix {source}`)")


def _stderr(e: git.GitCommandError, secrets: tuple[str, ...]) -> str:
    text = str(e.stderr or e).strip()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    lines = [ln.removeprefix("stderr: ").strip("'") for ln in lines]
    msg = "; ".join(ln for ln in lines if ln) or f"exit status {e.status}"
    return redact(msg, secrets)[-500:]
