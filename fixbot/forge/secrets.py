"""Actions secrets on the forge: the names a repository can use, and storing a new secret.

Values are never readable through the API; fixbot reads names only. A list the credentials may
not read (403) or cannot see (404) is reported in :attr:`Visible.unreadable`, never taken for an
empty list: "cannot tell" is not "missing".

:func:`create_secret` seals the value for the repository's public key (a libsodium sealed box,
PyNaCl, as GitHub documents) before anything goes over the wire, and the value appears in no
exception, log line or repr: errors name the repository and the secret, never the value.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from github.PaginatedList import PaginatedList
from github.Repository import Repository
from github.Secret import Secret
from nacl.exceptions import CryptoError
from nacl.public import PublicKey, SealedBox

from fixbot.errors import ForgeError, UsageError
from fixbot.forge.client import Forge, split_full_name
from fixbot.forge.retry import status_of
from fixbot.redact import redact

_UNREADABLE = (403, 404)
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Visible:
    """The Actions secret names a repository can use, as the credentials see them.

    Names are as the forge lists them (GitHub upper-cases them; a workflow's ``secrets.NAME``
    matches case-insensitively). ``unreadable`` says, one line per list, which lists could not
    be read and why (``"repository secrets: 403 Resource not accessible by integration"``);
    a name missing from a list that was not read is unknown, not absent.
    """

    repository: tuple[str, ...] = ()
    environments: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (environment, names), sorted
    organization: tuple[str, ...] = ()
    unreadable: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """Every list was read."""
        return not self.unreadable

    def environment(self, name: str) -> tuple[str, ...]:
        """The secret names of environment ``name`` (``()`` if absent or unread)."""
        return next((names for env, names in self.environments if env == name), ())

    def names(self, environment: str | None = None) -> frozenset[str]:
        """Upper-cased names a job sees: repository and organisation secrets, plus those of
        ``environment`` if given."""
        found = [*self.repository, *self.organization]
        if environment is not None:
            found += self.environment(environment)
        return frozenset(n.upper() for n in found)

    def has(self, name: str, environment: str | None = None) -> bool | None:
        """True when ``name`` is visible (to a job of ``environment``, if given); False when it
        is in no list and every list that could hold it was read; None when that is unknown."""
        if name.upper() in self.names(environment):
            return True
        lists = ["repository secrets", "organization secrets"]
        if environment is not None:
            lists += ["environments", f"secrets of environment {environment}"]
        unknown = any(line.startswith(f"{what}: ") for line in self.unreadable for what in lists)
        return None if unknown else False


def _unreadable(what: str, e: ForgeError) -> str | None:
    """``"what: 403 message"`` for a list the credentials may not read, else None."""
    status = status_of(e)
    if status not in _UNREADABLE:
        return None
    data: Any = getattr(e.__cause__, "data", None)
    message = str(data.get("message") or "") if isinstance(data, dict) else ""
    reason = message or ("forbidden" if status == 403 else "not found")
    return f"{what}: {status} {reason}"


def _names(items: PaginatedList[Any]) -> tuple[str, ...]:
    return tuple(sorted(str(s.name) for s in items))


def secret_names(forge: Forge, full: str) -> Visible:
    """The repository, environment and organisation secret names ``full`` can use.

    Organisation secrets are read through the repository (``GET /repos/{o}/{r}/actions/
    organization-secrets``: what this repository may use, with the repository's own rights),
    not the organisation's list, which needs organisation admin. A 403 or 404 on any list goes
    to ``unreadable``; other failures raise :class:`ForgeError`."""
    owner, name = split_full_name(full)
    repo: Repository = forge._repo(full)
    unreadable: list[str] = []

    def read(what: str, fn: Any) -> Any:
        try:
            return forge.policy.call(f"{full}: list {what}", fn)
        except ForgeError as e:
            line = _unreadable(what, e)
            if line is None:
                raise
            unreadable.append(line)
            return None

    repo_names = read("repository secrets", lambda: _names(repo.get_secrets()))
    environments: list[tuple[str, tuple[str, ...]]] = []
    envs = read("environments", lambda: sorted(repo.get_environments(), key=lambda e: e.name))
    for env in envs or []:
        env_names = read(f"secrets of environment {env.name}",
                         lambda env=env: _names(env.get_secrets()))
        if env_names is not None:
            environments.append((str(env.name), env_names))
    org_names: tuple[str, ...] | None = ()
    if str(getattr(repo.owner, "type", "") or "") != "User":  # a user's repository has none
        gh = forge._gh(owner, name)
        url = f"{repo.url}/actions/organization-secrets"
        org_names = read("organization secrets", lambda: _names(
            PaginatedList(Secret, gh.requester, url, None, list_item="secrets")))
    return Visible(repository=repo_names or (), environments=tuple(environments),
                   organization=org_names or (), unreadable=tuple(unreadable))


def _seal(what: str, key: str, value: str) -> str:
    try:
        box = SealedBox(PublicKey(base64.b64decode(key, validate=True)))
        return base64.b64encode(box.encrypt(value.encode("utf-8"))).decode("ascii")
    except (binascii.Error, ValueError, TypeError, CryptoError):
        # The library's message is about the key; still, say nothing that could hold the value.
        raise ForgeError(f"{what}: the forge's public key is not a Curve25519 key") from None


def create_secret(forge: Forge, full: str, name: str, value: str, *,
                  environment: str | None = None) -> None:
    """Create or update Actions secret ``name`` of ``full`` (or of its ``environment``) with
    ``value``, sealed for the repository's (environment's) public key.

    Raises :class:`ForgeError` (403 when the credentials may not manage secrets, 422 when the
    forge refuses the sealed value); the value is in no message."""
    if not _NAME_RE.match(name) or name.upper().startswith("GITHUB_"):
        raise UsageError(f"{full}: {name!r} is not a valid secret name (letters, digits and _, "
                         "not starting with a digit or GITHUB_)")
    if not isinstance(value, str) or not value:
        raise UsageError(f"{full}: secret {name}: the value must be a non-empty string")
    owner, repo_name = split_full_name(full)
    repo: Repository = forge._repo(full)
    requester = forge._gh(owner, repo_name).requester
    secrets_url = (f"{repo.url}/actions/secrets" if environment is None
                   else f"{repo.url}/environments/{quote(environment, safe='')}/secrets")
    what = f"{full}: create secret {name}" + (f" in environment {environment}"
                                                if environment else "")

    def put_once() -> None:
        _, key = forge.policy.call(f"{what}: get public key", lambda: requester.requestJsonAndCheck(
            "GET", f"{secrets_url}/public-key"))
        if not isinstance(key, dict) or not isinstance(key.get("key"), str):
            raise ForgeError(f"{what}: the forge sent no public key")
        body = {"encrypted_value": _seal(what, key["key"], value),
                "key_id": str(key.get("key_id", ""))}
        url = f"{secrets_url}/{quote(name, safe='')}"
        forge.policy.call(what, lambda: requester.requestJsonAndCheck("PUT", url, input=body))

    try:
        try:
            put_once()
        except ForgeError as e:
            if status_of(e) != 422:
                raise
            put_once()  # the key may have been replaced between the two requests
    except ForgeError as e:
        if value not in str(e) and value not in str(e.__cause__ or ""):
            raise
        raise ForgeError(redact(str(e), [value])) from None
