"""The explicit registry of transforms, in the order the engine runs them.

A transform module has ``ID``, ``SUMMARY``, ``DOCS`` and a pure
``analyze(workflow, context) -> list[Change | Note]``: it satisfies the
:class:`fixbot.types.Transform` Protocol structurally (mypy checks each module against it
here). Modules never import each other.
"""

from __future__ import annotations

from fixbot.errors import UsageError
from fixbot.transforms import fork_safety, permissions, persist_credentials, secrets, template_injection
from fixbot.types import Transform

# Typed as the Protocol, so that mypy checks every module against it.
_MODULES: tuple[Transform, ...] = (
    # first: the others analyse the scripts as it leaves them (`${{ secrets.X }}` read from the
    # step's env:), so that a second run, which sees them that way, decides the same
    secrets,
    # before persist-credentials and permissions: they analyse the scripts as it leaves them
    template_injection,
    # before persist-credentials and permissions: a split moves steps and sets job permissions
    fork_safety,
    persist_credentials,
    permissions,  # after persist-credentials: it analyses the checkouts as they end up
)
REGISTRY: dict[str, Transform] = {m.ID: m for m in _MODULES}

# Ids reserved by DESIGN.md whose modules are not built yet.
PLANNED: dict[str, str] = {}


def select(only: str | None, skip: str | None) -> list[Transform]:
    """The transforms chosen by ``--only``/``--skip`` (comma-separated ids), in registry order."""
    def parse(ids: str | None, flag: str) -> set[str]:
        if ids is None:
            return set()
        wanted = {i.strip() for i in ids.split(",") if i.strip()}
        unknown = sorted(wanted - set(REGISTRY) - set(PLANNED))
        if unknown or not wanted:
            known = ", ".join(sorted(REGISTRY))
            raise UsageError(f"{flag}: unknown transform id {', '.join(unknown) or repr(ids)} "
                             f"(known: {known})")
        return wanted

    only_ids = parse(only, "--only")
    skip_ids = parse(skip, "--skip")
    missing = sorted(only_ids & set(PLANNED) - set(REGISTRY))
    if missing:
        raise UsageError(f"--only: transform {', '.join(missing)} is not available yet")
    return [m for i, m in REGISTRY.items()
            if (not only_ids or i in only_ids) and i not in skip_ids]
