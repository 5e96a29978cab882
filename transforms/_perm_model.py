"""Values shared by the job analysis of the ``permissions`` transform (private): where a need
was found, what a list of steps needs, and the environment steps run in."""

from __future__ import annotations

from collections.abc import Mapping as Map
from dataclasses import dataclass, field
from typing import Any

from fixbot.kb import Need
from fixbot.kb.token import names_job_token
from fixbot.kb.token import token_vars as token_vars
from fixbot.workflow import RepoContext

OIDC_DOC = ("https://docs.github.com/en/actions/security-for-github-actions/"
            "security-hardening-your-deployments/about-security-hardening-with-openid-connect"
            "#adding-permissions-settings")
PACKAGES_DOC = ("https://docs.github.com/en/packages/managing-github-packages-using-github-actions-"
                "workflows/publishing-and-installing-a-package-with-github-actions"
                "#authenticating-to-package-registries-on-github")


# The name under which a token an earlier step wrote to $GITHUB_ENV is tracked.
EXPORTED_TOKEN = "FIXBOT_EXPORTED_TOKEN"


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
    # steps that may push with the credentials checkout persisted: unknown unless the job is
    # known to need `contents: write` anyway (all a push can need)
    may_push: list[str] = field(default_factory=list)

    def add(self, where: str, need: Need) -> None:
        if need.scopes and Found(where, need) not in self.found:
            self.found.append(Found(where, need))

    def extend(self, other: Analysis, prefix: str) -> None:
        for f in other.found:
            self.add(f"{prefix}{f.where}", f.need)
        for u in other.unknown:
            self.unknown.append(f"{prefix}{u}")
        self.maybe += [Found(f"{prefix}{f.where}", f.need) for f in other.maybe]
        self.may_push += [f"{prefix}{u}" for u in other.may_push]

    def settle(self) -> None:
        """Pushes that may happen are unknown unless ``contents: write`` is needed anyway."""
        if not any(f.need.scopes.get("contents") == "write" for f in self.found):
            self.unknown += self.may_push
        self.may_push = []


@dataclass(frozen=True)
class Surroundings:
    """What the steps of a job (or of a composite action) run inside."""

    env: Map[str, str]  # workflow env < job env (strings)
    ctx: RepoContext
    inputs: Map[str, str] | None = None  # a composite action's inputs, for ${{ inputs.x }}
    depth: int = 0
    shell: Any = None  # `defaults.run.shell` of the job or workflow


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


mentions_job_token = names_job_token
