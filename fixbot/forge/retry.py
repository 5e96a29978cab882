"""Bounded retries around PyGithub calls, and PyGithub errors turned into clear ForgeErrors.

PyGithub is built with ``retry=None`` (its default urllib3 retry makes 11 requests on a 500 and
then raises ``requests.exceptions.RetryError``): the policy lives here instead.

* 5xx, connection errors and timeouts: up to ``attempts`` tries, exponential backoff.
* 403/429 rate limits: wait ``Retry-After`` (secondary limit) or until ``X-RateLimit-Reset``
  (primary limit), if that wait is at most ``max_wait`` seconds; else :class:`RateLimited`.
* 401, 404, 422 and other 4xx: no retry, one clear :class:`ForgeError` naming the repository.
* A POST that creates something (:meth:`Policy.create`) may have been carried out even though
  its answer was a 5xx or never arrived: before each retry it looks for what the first attempt
  would have created, and returns that instead of creating a duplicate. A rate-limit refusal is
  retried as it is (GitHub did not carry out the request).

Messages never hold URL userinfo (:func:`fixbot.redact.strip_userinfo`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests
from github import GithubException

from fixbot.errors import ForgeError, RateLimited
from fixbot.redact import strip_userinfo

T = TypeVar("T")

_RATE_WORDS = ("rate limit", "abuse")


@dataclass
class Policy:
    attempts: int = 4
    backoff: float = 0.5  # seconds before the 2nd try; doubled for each further try
    max_wait: float = 60.0  # the longest wait accepted for one rate-limit reset
    sleep: Callable[[float], None] = field(default=time.sleep)
    clock: Callable[[], float] = field(default=time.time)

    def call(self, what: str, fn: Callable[[], T]) -> T:
        """Run ``fn`` (one or a few idempotent PyGithub requests: reads, or writes of absolute
        values) under this policy; ``what`` names the operation and repository for error
        messages, e.g. ``"acme/widgets: get repository"``."""
        return self._run(what, fn, None)

    def create(self, what: str, fn: Callable[[], T], created: Callable[[], T | None]) -> T:
        """Run ``fn``, one non-idempotent POST. After a 5xx, a connection error or a timeout,
        ``created()`` is asked whether the failed attempt did create the object (it looks for
        fixbot's marker); its answer, if not None, is returned instead of posting again."""
        return self._run(what, fn, created)

    def _run(self, what: str, fn: Callable[[], T], created: Callable[[], T | None] | None) -> T:
        attempt = 1
        while True:
            maybe_done = False  # the failed attempt may have been carried out
            try:
                return fn()
            except GithubException as e:
                wait = self._wait_for(e, attempt)
                if wait is None:
                    raise _error(what, e) from e
                maybe_done = not _is_rate_limit(e)
            except (requests.ConnectionError, requests.Timeout) as e:
                if attempt >= self.attempts:
                    raise ForgeError(f"{what}: cannot reach the forge ({type(e).__name__}) "
                                     f"after {attempt} attempts") from e
                wait = self.backoff * 2 ** (attempt - 1)
                maybe_done = True
            except requests.RequestException as e:
                raise ForgeError(f"{what}: request failed ({type(e).__name__})") from e
            self.sleep(wait)
            attempt += 1
            if created is not None and maybe_done:
                found = created()
                if found is not None:
                    return found

    def _wait_for(self, e: GithubException, attempt: int) -> float | None:
        """Seconds to wait before retrying ``e``, or None to give up now."""
        status = e.status
        if _is_rate_limit(e):
            headers = _headers(e)
            wait = _rate_wait(headers, self.clock())
            if wait > self.max_wait:
                raise RateLimited(f"rate limited: the limit resets in {int(wait)} s, longer than "
                                  f"the {int(self.max_wait)} s fixbot waits") from e
            if attempt >= self.attempts:
                raise RateLimited(f"rate limited after {attempt} attempts") from e
            return wait
        if status is not None and 500 <= status <= 599 and attempt < self.attempts:
            return float(self.backoff * 2 ** (attempt - 1))
        return None


def _headers(e: GithubException) -> dict[str, str]:
    return {k.lower(): v for k, v in (e.headers or {}).items()}


def _message(e: GithubException) -> str:
    data: Any = e.data
    if isinstance(data, dict):
        msg = str(data.get("message") or "")
        details = [str(x.get("message") or x.get("code") or "") for x in data.get("errors") or []
                   if isinstance(x, dict)]
        details = [d for d in details if d]
        if details:
            msg = f"{msg}: {'; '.join(details)}" if msg else "; ".join(details)
        return msg
    return str(data or "")[:200]


def _is_rate_limit(e: GithubException) -> bool:
    if e.status == 429:
        return True
    if e.status != 403:
        return False
    headers = _headers(e)
    return ("retry-after" in headers or headers.get("x-ratelimit-remaining") == "0"
            or any(w in _message(e).lower() for w in _RATE_WORDS))


def _rate_wait(headers: dict[str, str], now: float) -> float:
    if headers.get("retry-after", "").isdigit():
        return float(headers["retry-after"])
    reset = headers.get("x-ratelimit-reset", "")
    if reset.isdigit():
        return max(0.0, float(reset) - now) + 1.0
    return 60.0  # GitHub: "wait at least one minute" when neither header is present


def _error(what: str, e: GithubException) -> ForgeError:
    what = strip_userinfo(what)
    status = e.status
    msg = strip_userinfo(_message(e) or "no message")
    if status == 401:
        return ForgeError(f"{what}: authentication failed (401 {msg}); check FIXBOT_TOKEN, "
                          "GITHUB_TOKEN or the GitHub App settings")
    if status == 404:
        return ForgeError(f"{what}: not found (404): the repository does not exist or the "
                          "credentials cannot see it")
    if status == 403:
        return ForgeError(f"{what}: forbidden (403 {msg}): the credentials lack a permission")
    if status == 422:
        return ForgeError(f"{what}: rejected (422 {msg})")
    if status is not None and status >= 500:
        return ForgeError(f"{what}: the forge failed ({status} {msg}) on every attempt")
    return ForgeError(f"{what}: HTTP {status} {msg}")


def status_of(e: BaseException) -> int | None:
    """The HTTP status behind a ForgeError raised by :meth:`Policy.call`, if any."""
    cause = e.__cause__
    return cause.status if isinstance(cause, GithubException) else None
