"""The forge client: PyGithub behind a small typed surface (PyGithub stays in this package).

PyGithub objects (a repository, a pull request) carry the client, and so the token, they were
fetched with. With a GitHub App the installation token is renewed before it expires, so such an
object is reused only while the client that fetched it is still the current one; after a
renewal it is fetched again through the new client.

Retries: reads and writes that set absolute values (GET, PATCH of fields, label PUT/POST of the
same names) are retried under :class:`Policy`; a POST that creates something (a comment, a pull
request) is retried only after looking for what the first attempt may have created.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, TypeVar
from urllib.parse import quote, urlparse

import requests
from github import Auth, Github, GithubException, GithubIntegration
from github.PullRequest import PullRequest
from github.Repository import Repository
from jwt import PyJWTError

from fixbot.errors import ForgeError, UsageError
from fixbot.forge.auth import AppCredentials, Credentials, TokenCredentials
from fixbot.forge.retry import Policy, status_of
from fixbot.redact import strip_userinfo

TIMEOUT = 30
MAX_FILE_BYTES = 1024 * 1024  # file_text refuses larger files (the contents API's base64 limit)
_REFRESH_MARGIN = 300  # renew an installation token this many seconds before it expires


@dataclass(frozen=True)
class RepoInfo:
    full_name: str
    default_branch: str
    clone_url: str
    html_url: str
    archived: bool
    disabled: bool


@dataclass(frozen=True)
class PullInfo:
    number: int
    url: str  # the page people open (html_url)
    state: str  # "open" | "closed"
    merged: bool
    title: str
    body: str
    head_sha: str
    author: str = ""  # the login that opened it (fixbot's own account, for fixbot's PRs)


@dataclass
class _Installation:
    token: str
    expires: float
    gh: Github


def split_full_name(full: str) -> tuple[str, str]:
    owner, _, name = full.partition("/")
    if not owner or not name or "/" in name:
        raise UsageError(f"expected a repository as OWNER/NAME, got {full!r}")
    return owner, name


class Forge:
    """One forge (GitHub, GHES or the sandbox) seen through one set of credentials.

    ``credentials=None`` is anonymous: reads of public repositories only (``fix --online``
    without a token); git and every write then fail with a :class:`ForgeError`.
    """

    def __init__(self, api_url: str, credentials: Credentials | None,
                 policy: Policy | None = None, timeout: int = TIMEOUT) -> None:
        self.api_url = api_url
        self.policy: Policy = _Located.at(policy or Policy(), api_url)
        host = urlparse(api_url).hostname or ""
        # PyGithub's pacing protects github.com's secondary limits; other forges (GHES,
        # the sandbox) do not need a quarter-second pause per request.
        pace = host == "api.github.com" or host.endswith(".github.com")
        self._kwargs: dict[str, Any] = {
            "base_url": api_url, "timeout": timeout, "retry": None,
            "seconds_between_requests": 0.25 if pace else None,
            "seconds_between_writes": 1.0 if pace else None}
        self._credentials = credentials
        self._token_gh: Github | None = None
        if isinstance(credentials, TokenCredentials):
            self._token_gh = Github(auth=Auth.Token(credentials.token), **self._kwargs)
        elif credentials is None:
            self._token_gh = Github(**self._kwargs)
        self._installations: dict[str, _Installation] = {}
        # (the client that fetched it, the object): reused only while that client is current
        self._repos: dict[str, tuple[Github, Repository]] = {}
        self._pulls: dict[tuple[str, int], tuple[Github, PullRequest]] = {}

    def fresh(self) -> Forge:
        """A new client for the same forge and credentials, sharing no connection or cached
        object with this one (for a process forked from the one that made this client)."""
        return Forge(self.api_url, self._credentials, self.policy, self._kwargs["timeout"])

    @property
    def anonymous(self) -> bool:
        return self._credentials is None

    # -- credentials -------------------------------------------------------------------------
    def _installation(self, owner: str, name: str | None) -> _Installation:
        """The App's installation token for ``owner`` (found through ``owner/name``, or through
        the organisation or user ``owner`` when ``name`` is None), renewed near its expiry."""
        creds = self._credentials
        assert isinstance(creds, AppCredentials)
        cached = self._installations.get(owner.lower())
        if cached and cached.expires - self.policy.clock() > _REFRESH_MARGIN:
            return cached
        app = GithubIntegration(auth=Auth.AppAuth(creds.app_id, creds.private_key),
                                **self._kwargs)
        what = f"{owner}/{name}: GitHub App installation" if name else \
            f"{owner}: GitHub App installation"

        def find() -> Any:
            if name:
                return app.get_repo_installation(owner, name)
            try:
                return app.get_org_installation(owner)
            except GithubException as e:
                if e.status != 404:
                    raise
                return app.get_user_installation(owner)

        try:
            installation = self.policy.call(what, find)
            grant = self.policy.call(what, lambda: app.get_access_token(installation.id))
        except ForgeError as e:
            if status_of(e) == 404:
                where = (f"{owner}/{name} (or the repository does not exist)" if name else
                         f"{owner} (or the account does not exist)")
                raise ForgeError(f"{what}: the App is not installed on {where}") from e
            if status_of(e) == 401:
                raise ForgeError(f"{what}: the forge rejected the App's JWT (401): check "
                                 "FIXBOT_APP_ID and the private key") from e
            raise
        except (ValueError, PyJWTError) as e:  # a key PyJWT cannot load
            raise ForgeError(f"{what}: the App private key is not usable: {type(e).__name__}"
                             ) from e
        expires = (self.policy.clock() + (grant.expires_at.timestamp() - time.time())
                   if grant.expires_at else self.policy.clock() + 3600)
        gh = Github(auth=Auth.Token(grant.token), **self._kwargs)
        entry = _Installation(grant.token, expires, gh)
        self._installations[owner.lower()] = entry
        return entry

    def owner_client(self, owner: str) -> Github:
        """The client that lists ``owner``'s repositories (for :mod:`fixbot.forge.org`)."""
        if self._token_gh is not None:
            return self._token_gh
        return self._installation(owner, None).gh

    def _gh(self, owner: str, name: str) -> Github:
        if self._token_gh is not None:
            return self._token_gh
        return self._installation(owner, name).gh

    def git_token(self, full: str) -> str:
        """The token git uses for this repository (an installation token for an App)."""
        if self._credentials is None:
            raise ForgeError(f"{full}: no credentials: set FIXBOT_TOKEN (or GITHUB_TOKEN)")
        if isinstance(self._credentials, TokenCredentials):
            return self._credentials.token
        return self._installation(*split_full_name(full)).token

    # -- repositories ------------------------------------------------------------------------
    def _repo(self, full: str) -> Repository:
        owner, name = split_full_name(full)
        gh = self._gh(owner, name)  # renews an installation token that is about to expire
        cached = self._repos.get(full)
        if cached is None or cached[0] is not gh:
            repo = self.policy.call(f"{full}: get repository", lambda: gh.get_repo(full))
            cached = self._repos[full] = (gh, repo)
        return cached[1]

    def repo(self, full: str) -> RepoInfo:
        r = self._repo(full)
        if not isinstance(r.full_name, str) or not isinstance(r.clone_url, str):
            hint = url_hint(self.api_url)
            raise ForgeError(f"{full}: get repository: {strip_userinfo(self.api_url)} answered "
                             "without a repository: it does not look like GitHub's REST API"
                             + (f"; {hint}" if hint else ""))
        return RepoInfo(r.full_name, r.default_branch, r.clone_url, r.html_url,
                        bool(r.archived), bool(getattr(r, "disabled", False) or False))

    def _reader(self, owner: str, name: str) -> Github:
        """The client that reads a file of ``owner/name``: the token's; with an App, the
        installation of that owner if fixbot has one, else any installation it already has
        (an installation token reads public repositories too), else that owner's."""
        if self._token_gh is not None:
            return self._token_gh
        now = self.policy.clock()
        mine = self._installations.get(owner.lower())
        if mine is None:
            mine = next((i for i in self._installations.values()
                         if i.expires - now > _REFRESH_MARGIN), None)
        if mine is not None and mine.expires - now > _REFRESH_MARGIN:
            return mine.gh
        if owner.lower() not in self._installations and self._installations:
            # only installations near their expiry, none of this owner (an action's): renew
            # one fixbot has rather than look for an installation the owner never had
            return self._installation(next(iter(self._installations)), None).gh
        return self._installation(owner, name).gh

    def file_text(self, full: str, path: str, ref: str,
                  max_bytes: int = MAX_FILE_BYTES) -> str | None:
        """The UTF-8 text of the file ``path`` of ``full`` at ``ref``, in one request
        (``GET /repos/{o}/{r}/contents/{path}?ref=REF``). None when the forge answers 404 (no
        such repository, ref or file, or the credentials cannot see it) or ``path`` is a
        directory; a :class:`ForgeError` (naming no credential) for anything else, including a
        file over ``max_bytes``, a symbolic link, a submodule or text that is not UTF-8."""
        owner, name = split_full_name(full)
        gh = self._reader(owner, name)
        what = f"{full}: read {path} at {ref}"
        url = f"/repos/{quote(owner, safe='')}/{quote(name, safe='')}/contents/{quote(path)}"

        def get() -> Any:
            return gh.requester.requestJsonAndCheck("GET", url, parameters={"ref": ref})[1]

        try:
            data = self.policy.call(what, get)
        except ForgeError as e:
            if status_of(e) == 404:
                return None
            raise
        if isinstance(data, list):
            return None  # a directory: no file there
        if not isinstance(data, dict) or data.get("type") != "file":
            kind = data.get("type") if isinstance(data, dict) else type(data).__name__
            raise ForgeError(f"{what}: it is a {kind}, not a file")
        size = data.get("size")
        if isinstance(size, int) and size > max_bytes:
            raise ForgeError(f"{what}: {size:,} bytes, over the {max_bytes:,}-byte limit")
        if data.get("encoding") != "base64" or not isinstance(data.get("content"), str):
            raise ForgeError(f"{what}: the forge sent no content (encoding "
                             f"{data.get('encoding')!r}); the file is too large to read this way")
        try:
            raw = base64.b64decode(data["content"])
        except (binascii.Error, ValueError) as e:
            raise ForgeError(f"{what}: the forge sent content that is not base64") from e
        if len(raw) > max_bytes:
            raise ForgeError(f"{what}: {len(raw):,} bytes, over the {max_bytes:,}-byte limit")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ForgeError(f"{what}: not UTF-8 text") from e

    # -- pull requests -----------------------------------------------------------------------
    def _info(self, full: str, pr: PullRequest) -> PullInfo:
        self._pulls[(full, pr.number)] = (self._gh(*split_full_name(full)), pr)
        return PullInfo(pr.number, pr.html_url, pr.state, pr.merged_at is not None,
                        pr.title or "", pr.body or "", pr.head.sha,
                        pr.user.login if pr.user is not None else "")

    def pulls(self, full: str, branch: str) -> list[PullInfo]:
        """Every pull request (open or closed) from ``branch`` of the repository itself,
        newest first."""
        repo = self._repo(full)
        owner = full.split("/")[0]

        def fetch() -> list[PullRequest]:
            return list(repo.get_pulls(state="all", head=f"{owner}:{branch}"))

        found = self.policy.call(f"{full}: list pull requests", fetch)
        return sorted((self._info(full, p) for p in found), key=lambda p: -p.number)

    def _pull(self, full: str, number: int) -> PullRequest:
        repo = self._repo(full)
        gh = self._gh(*split_full_name(full))
        cached = self._pulls.get((full, number))
        if cached is None or cached[0] is not gh:
            pull = self.policy.call(f"{full}: get pull request #{number}",
                                    lambda: repo.get_pull(number))
            cached = self._pulls[(full, number)] = (gh, pull)
        return cached[1]

    def open_pull(self, full: str, base: str, branch: str, title: str, body: str,
                  label: str, extra_labels: tuple[str, ...] = (),
                  reviewers: tuple[str, ...] = ()) -> PullInfo:
        repo = self._repo(full)

        def created() -> PullRequest | None:  # what a failed first attempt may have created
            found = [p for p in self.pulls(full, branch) if p.state == "open"]
            return self._pull(full, found[0].number) if found else None

        try:
            pr = self.policy.create(f"{full}: open pull request",
                                    lambda: repo.create_pull(base=base, head=branch, title=title,
                                                             body=body), created)
        except ForgeError as e:
            # A retried POST whose first attempt did succeed: "A pull request already exists".
            if status_of(e) != 422 or "already exists" not in str(e):
                raise
            existing = [p for p in self.pulls(full, branch) if p.state == "open"]
            if not existing:
                raise
            pr = self._pull(full, existing[0].number)
            self.edit_pull(full, pr.number, title=title, body=body)
        self.policy.call(f"{full}: label pull request #{pr.number}",
                         lambda: pr.add_to_labels(label, *extra_labels))
        if reviewers:
            self.policy.call(f"{full}: request reviews on #{pr.number}",
                             lambda: pr.create_review_request(reviewers=list(reviewers)))
        return self._info(full, pr)

    def edit_pull(self, full: str, number: int, *, title: str | None = None,
                  body: str | None = None, state: str | None = None) -> None:
        pr = self._pull(full, number)
        fields: dict[str, Any] = {k: v for k, v in (("title", title), ("body", body),
                                                    ("state", state)) if v is not None}
        self.policy.call(f"{full}: update pull request #{number}", lambda: pr.edit(**fields))

    def closed_by(self, full: str, number: int) -> str | None:
        """The login that closed issue or pull request ``number`` (the issue's ``closed_by``),
        or None when the forge does not say (open, or closed without a known actor)."""
        repo = self._repo(full)
        issue = self.policy.call(f"{full}: get issue #{number}", lambda: repo.get_issue(number))
        user = issue.closed_by
        return str(user.login) if user is not None else None

    def comment(self, full: str, number: int, text: str, marker: str) -> None:
        """Add a comment holding ``marker`` (a hidden HTML comment in ``text``); a retry after
        a failed attempt first looks for a comment with that marker, so none is duplicated."""
        if marker not in text:
            raise ValueError("the comment text must contain its marker")
        pr = self._pull(full, number)

        def created() -> bool | None:
            return True if self.has_comment(full, number, marker) else None

        self.policy.create(f"{full}: comment on #{number}",
                           lambda: bool(pr.create_issue_comment(text)), created)

    def has_comment(self, full: str, number: int, marker: str) -> bool:
        pr = self._pull(full, number)

        def scan() -> bool:
            return any(marker in (c.body or "") for c in pr.get_issue_comments())

        return self.policy.call(f"{full}: list comments on #{number}", scan)


# -- errors that say where fixbot tried to connect ---------------------------------------------
T = TypeVar("T")


@dataclass
class _Located(Policy):
    """The forge's :class:`Policy`, whose errors also name the forge's URL and the likely cause
    when the forge cannot be reached (or answers 404 at a URL that looks like no REST API)."""

    api_url: str = ""

    @classmethod
    def at(cls, policy: Policy, api_url: str) -> _Located:
        own = {f.name: getattr(policy, f.name) for f in fields(Policy)}
        return cls(**own, api_url=api_url)

    def call(self, what: str, fn: Callable[[], T]) -> T:
        return self._located(what, lambda: super(_Located, self).call(what, fn))

    def create(self, what: str, fn: Callable[[], T], created: Callable[[], T | None]) -> T:
        return self._located(what, lambda: super(_Located, self).create(what, fn, created))

    def _located(self, what: str, run: Callable[[], T]) -> T:
        try:
            return run()
        except ForgeError as e:
            better = explain(what, e, self.api_url, self.attempts)
            if better is None:
                raise
            raise better from e.__cause__  # status_of() still sees the forge's answer


def explain(what: str, e: ForgeError, api_url: str, attempts: int) -> ForgeError | None:
    """A clearer error for ``e`` naming ``api_url``, or None to keep ``e`` as it is."""
    url = strip_userinfo(api_url)
    cause = e.__cause__
    if isinstance(cause, (requests.ConnectionError, requests.Timeout)):
        return ForgeError(f"{strip_userinfo(what)}: cannot reach the forge at {url} after "
                          f"{attempts} attempt(s): {_unreachable(cause, api_url)}")
    hint = url_hint(api_url)
    if status_of(e) == 404 and hint and hint not in str(e):
        return ForgeError(f"{e}; {hint}")
    return None


def _unreachable(cause: requests.RequestException, api_url: str) -> str:
    """Why a request did not get an answer, said for a person, with what to check."""
    parts = urlparse(api_url)
    host = parts.hostname or "?"
    where = f"{host}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
    text = str(cause)
    if isinstance(cause, requests.exceptions.SSLError):
        return ("the TLS handshake failed (an untrusted or self-signed certificate? point "
                "REQUESTS_CA_BUNDLE at the forge's CA certificates)")
    if isinstance(cause, requests.exceptions.ProxyError):
        return "the proxy failed (check HTTPS_PROXY / HTTP_PROXY and NO_PROXY)"
    if isinstance(cause, requests.Timeout):
        return "no answer in time (is the host right, and does a firewall drop the connection?)"
    if "refused" in text.lower():
        return (f"connection refused: nothing listens on {where} (is the forge running, and "
                "are the host and port in the URL right?)")
    if any(w in text for w in ("NameResolutionError", "Name or service not known",
                               "nodename nor servname", "Temporary failure in name resolution",
                               "getaddrinfo failed")):
        return f"the host name {host} does not resolve (a typo in the URL? no network?)"
    return f"{type(cause).__name__} (is the URL right, and is the forge up?)"


def url_hint(api_url: str) -> str | None:
    """What is probably wrong with a REST API URL, or None when it looks like one:
    github.com's API is api.github.com, and a GitHub Enterprise Server's is under /api/v3."""
    parts = urlparse(api_url)
    host = (parts.hostname or "").lower()
    base = f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}"
    if host in ("github.com", "www.github.com"):
        return ("GitHub.com's REST API is https://api.github.com (--github-url or "
                "GITHUB_API_URL)")
    if host.startswith("api.") or parts.path.rstrip("/").endswith("/api/v3"):
        return None
    return (f"{strip_userinfo(api_url)} has no /api/v3: a GitHub Enterprise Server's REST API "
            f"is {base}/api/v3 (--github-url or GITHUB_API_URL)")
