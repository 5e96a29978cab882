"""An organisation's (or a user's) repositories, listed with pagination, for ``fixbot sweep``.

With a token: ``GET /orgs/{org}/repos`` (a user account: ``GET /users/{user}/repos``). With a
GitHub App: the installation on that owner, ``GET /installation/repositories``. 100 per page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from github import GithubException

from fixbot.errors import ForgeError
from fixbot.forge.auth import AppCredentials
from fixbot.forge.client import Forge
from fixbot.forge.retry import status_of

PER_PAGE = 100
EMPTY = "repository is empty"


@dataclass(frozen=True)
class OrgRepo:
    full_name: str
    default_branch: str
    archived: bool
    disabled: bool
    fork: bool
    # size 0: no commits, or a size GitHub has not computed yet (:func:`has_commits` tells)
    empty: bool

    def skip_reason(self) -> str | None:
        """Why a sweep leaves this repository alone, or None."""
        if self.archived:
            return "repository is archived"
        if self.disabled:
            return "repository is disabled"
        if self.fork:
            return "repository is a fork (fixbot fixes the upstream repository)"
        if self.empty:
            return EMPTY
        return None


def list_repos(forge: Forge, owner: str) -> list[OrgRepo]:
    """Every repository of ``owner`` the credentials see, sorted by full name."""
    gh = forge.owner_client(owner)
    app = isinstance(getattr(forge, "_credentials", None), AppCredentials)
    what = f"{owner}: list repositories"

    def fetch() -> list[Any]:
        gh.per_page = PER_PAGE
        if app:
            return _installation_repos(gh)
        try:
            return list(gh.get_organization(owner).get_repos(type="all"))
        except GithubException as e:
            if e.status != 404:
                raise
            return list(gh.get_user(owner).get_repos(type="owner"))

    try:
        raw = forge.policy.call(what, fetch)
    except ForgeError as e:
        if status_of(e) == 404:
            raise ForgeError(f"{owner}: no such organisation or user (or the credentials "
                             "cannot see it)") from e
        raise
    repos = [OrgRepo(r.full_name, r.default_branch or "", bool(r.archived),
                     bool(getattr(r, "disabled", False) or False), bool(r.fork),
                     (r.size or 0) == 0)
             for r in raw if app is False or r.owner.login.lower() == owner.lower()]
    return sorted(repos, key=lambda r: r.full_name.lower())


def _installation_repos(gh: Any) -> list[Any]:
    """``GET /installation/repositories``, every page (PyGithub's ``get_repos`` on the
    installation's own client)."""
    from github.PaginatedList import PaginatedList
    from github.Repository import Repository

    return list(PaginatedList(Repository, gh.requester, "/installation/repositories",
                              {"per_page": PER_PAGE}, list_item="repositories"))


def has_commits(forge: Forge, repo: OrgRepo) -> bool:
    """Whether a repository whose listed size is 0 has its default branch (one request)."""
    owner = repo.full_name.split("/", 1)[0]
    gh = forge.owner_client(owner)

    def get() -> bool:
        try:
            gh.requester.requestJsonAndCheck(
                "GET", f"/repos/{repo.full_name}/branches/{quote(repo.default_branch, safe='')}")
        except GithubException as e:
            if e.status == 404:
                return False
            raise
        return True

    return bool(repo.default_branch) and forge.policy.call(
        f"{repo.full_name}: read branch {repo.default_branch}", get)
