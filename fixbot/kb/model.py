"""Value types of the knowledge base and the scope vocabulary of ``GITHUB_TOKEN``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from fixbot.kb.token import is_job_token_input

Access = Literal["read", "write"]

# The permission keys a workflow may set for GITHUB_TOKEN, with the access levels each accepts
# (``none`` is always accepted and never appears in a need). Verified against
# https://docs.github.com/en/actions/writing-workflows/choosing-what-your-workflow-does/controlling-permissions-for-github_token
# (source: github/docs data/reusables/actions/github-token-available-permissions.md):
# ``id-token`` only takes ``write``, ``models`` and ``vulnerability-alerts`` only ``read``.
SCOPE_LEVELS: Mapping[str, frozenset[str]] = {
    "actions": frozenset({"read", "write"}),
    "artifact-metadata": frozenset({"read", "write"}),
    "attestations": frozenset({"read", "write"}),
    "checks": frozenset({"read", "write"}),
    "contents": frozenset({"read", "write"}),
    "deployments": frozenset({"read", "write"}),
    "discussions": frozenset({"read", "write"}),
    "id-token": frozenset({"write"}),
    "issues": frozenset({"read", "write"}),
    "models": frozenset({"read"}),
    "packages": frozenset({"read", "write"}),
    "pages": frozenset({"read", "write"}),
    "pull-requests": frozenset({"read", "write"}),
    "repository-projects": frozenset({"read", "write"}),
    "security-events": frozenset({"read", "write"}),
    "statuses": frozenset({"read", "write"}),
    "vulnerability-alerts": frozenset({"read"}),
}
SCOPES: frozenset[str] = frozenset(SCOPE_LEVELS)


@dataclass(frozen=True)
class Need:
    """Scopes some step needs, why, and where that is documented."""

    scopes: Mapping[str, Access]  # e.g. {"contents": "write"}
    reason: str  # one line, our words
    source: str  # https URL
    via_token: bool = True  # False for needs that do not go through the token input (id-token)
    # a few words for the YAML comment beside the scope, e.g. "comment on the PR"; empty: the
    # comment names the step alone
    purpose: str = ""


@dataclass(frozen=True)
class ActionInfo:
    """What the knowledge base knows about one ``uses:`` reference, already filtered."""

    uses: str  # the KB key that matched, e.g. "actions/checkout"
    needs: tuple[Need, ...]
    token_inputs: tuple[str, ...]
    # Whether the step runs with the job token; False when a token input carries another
    # credential. For actions/github-script, apply analyze_github_script's needs only if True.
    job_token: bool = True


@dataclass(frozen=True)
class ScriptAnalysis:
    """Needs found in a script, and the token uses whose needs cannot be told."""

    needs: tuple[Need, ...]
    unknown: tuple[str, ...]  # e.g. ("gh api graphql", "gh extension foo")
    # commands that may push with git credentials persisted earlier (unknown unless the job is
    # known to need contents: write anyway)
    may_push: tuple[str, ...] = ()
    git_uses: tuple[str, ...] = ()  # commands that use git credentials persisted earlier
    stores: tuple[str, ...] = ()  # tools the script left the job token configured for


def merge_scopes(*maps: Mapping[str, Access]) -> dict[str, Access]:
    """Union of scope maps; ``write`` beats ``read``. Keys come out sorted."""
    out: dict[str, Access] = {}
    for m in maps:
        for scope, level in m.items():
            if level == "write" or scope not in out:
                out[scope] = level
    return {k: out[k] for k in sorted(out)}


def is_job_token(value: str | None) -> bool:
    """True when a token input denotes the job's own ``GITHUB_TOKEN`` (see
    :func:`fixbot.kb.token.is_job_token_input`: one naming it, or an empty one)."""
    return is_job_token_input(value)
