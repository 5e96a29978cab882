"""The facts stage 1 of ``permissions`` produces: what runs in a job and which credentials it can
reach, as typed values (read by :mod:`.extract`, judged by :mod:`.decide`)."""

from __future__ import annotations

from collections.abc import Mapping as Map
from dataclasses import dataclass

from fixbot.kb.script_files import StepScript
from fixbot.transforms.permissions.grants import Grant


@dataclass(frozen=True)
class Opaque:
    """Something whose use of the token cannot be read (the message says what and where)."""

    message: str


@dataclass(frozen=True)
class Container:
    """A job or service container whose registry password is the job token."""

    where: str


@dataclass(frozen=True)
class ActionStep:
    where: str
    uses: str
    inputs: Map[str, str]
    comment: str | None  # the version comment after ``uses:``
    env: Map[str, str]  # the step's environment (workflow < job < step)


@dataclass(frozen=True)
class UnreadAction:
    """An action the knowledge base does not know and whose action.yml was not read."""

    where: str
    uses: str
    why: str  # e.g. "`--online` or `--action-cache` would decide it from its action.yml"


@dataclass(frozen=True)
class MetaAction:
    """An action the knowledge base does not know, judged by its own action.yml."""

    where: str
    uses: str
    url: str  # the action.yml at that ref
    kind: str  # "composite" (its steps are facts of their own), "JavaScript", "Docker"
    carriers: tuple[str, ...]  # how the job token reaches it (empty: it cannot)
    persisted: bool  # git has credentials (a checkout persisted them, or a step configured git)
    git_words: tuple[str, ...]  # words of its metadata that speak of git writes


@dataclass(frozen=True)
class OpaqueCode:
    """Code no reader here reads: a ``docker://`` image or a local JavaScript/Docker action."""

    where: str
    what: str  # "a Docker container", "a local JavaScript action"
    gets_token: bool


@dataclass(frozen=True)
class GithubScript:
    where: str
    script: str
    job_token: bool  # its octokit client uses the job token
    sources: tuple[str, ...]  # the script and the repository files it requires
    unread: str | None  # a required file not in the repository context
    env: Map[str, str]  # the step's environment
    persisted: bool  # git has the job token checkout persisted (or a step configured it)


@dataclass(frozen=True)
class ScriptStep:
    where: str
    reach: bool  # the job token can reach the script (environment, text, a configured tool)
    persisted: bool  # git has the job token checkout persisted
    token_vars: tuple[str, ...]  # the environment variables holding the job token
    read: StepScript  # what the knowledge base's script reader found


@dataclass(frozen=True)
class RemoteCall:
    where: str
    uses: str


@dataclass(frozen=True)
class CalleeAsks:
    """A called job's own ``permissions:`` (None: it cannot be read exactly)."""

    where: str
    grant: Grant | None


@dataclass(frozen=True)
class CalleeInherits:
    """A called job without a block of its own: it runs with the caller's grant (so any of its
    programs can ask for an OIDC token the caller grants)."""

    where: str


Fact = (Opaque | Container | ActionStep | UnreadAction | MetaAction | OpaqueCode | GithubScript
        | ScriptStep | RemoteCall | CalleeAsks | CalleeInherits)
