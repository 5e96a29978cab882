"""Test hooks: injected failures and the per-request transfer log."""

from __future__ import annotations

import json
import random
import re
import threading
import time
from dataclasses import dataclass, field
from typing import IO

FAULT_KINDS = ("500", "500-after", "secondary", "primary")
SECONDARY_MESSAGE = ("You have exceeded a secondary rate limit. "
                     "Please wait a few minutes before you try again.")
RATE_DOC = ("https://docs.github.com/enterprise-server@3.19/rest/using-the-rest-api/"
            "rate-limits-for-the-rest-api")


@dataclass
class Fault:
    """The next ``remaining`` requests whose path matches ``pattern`` (a regex) fail.

    ``500-after`` carries the request out first and then answers 500 (a gateway that timed out
    after the backend committed): what makes a retried POST create a duplicate."""

    pattern: re.Pattern[str]
    kind: str
    remaining: int
    method: str | None = None
    retry_after: int = 1
    reset_in: int = 60
    hits: int = 0
    status: int = 500  # of a "500" fault: 500, 502 or 503

    def reply(self) -> tuple[int, dict[str, str], bytes]:
        """(status, headers, body) of the failure."""
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.kind in ("500", "500-after"):
            message = {502: "Bad Gateway", 503: "Service Unavailable"}.get(self.status,
                                                                             "Server Error")
            body = {"message": message, "documentation_url": RATE_DOC}
            return self.status, headers, json.dumps(body).encode()
        if self.kind == "secondary":
            headers["Retry-After"] = str(self.retry_after)
            body = {"message": SECONDARY_MESSAGE, "documentation_url": RATE_DOC +
                    "#about-secondary-rate-limits"}
            return 403, headers, json.dumps(body).encode()
        reset = int(time.time()) + self.reset_in
        headers.update({"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "0",
                        "X-RateLimit-Reset": str(reset), "X-RateLimit-Used": "5000",
                        "X-RateLimit-Resource": "core"})
        body = {"message": "API rate limit exceeded for user ID 1. If you reach out to GitHub "
                           "Support for help, please include the request ID.",
                "documentation_url": RATE_DOC + "#about-the-primary-rate-limit"}
        return 403, headers, json.dumps(body).encode()


class FaultBook:
    """Injected failures: :meth:`add` queues exact ones (by path pattern); ``fail_rate``
    makes that fraction of the REST and GraphQL requests (never ``/rate_limit``) answer 502,
    503 or 500 at random, repeatably for one ``seed``; ``slow_ms`` delays every response."""

    def __init__(self, fail_rate: float = 0.0, seed: int = 0, slow_ms: int = 0) -> None:
        self._lock = threading.Lock()
        self.faults: list[Fault] = []
        self.fail_rate = fail_rate
        self.slow_ms = slow_ms
        self._random = random.Random(seed)
        self.random_hits = 0

    def add(self, pattern: str, kind: str = "500", count: int = 1, method: str | None = None,
            retry_after: int = 1, reset_in: int = 60) -> Fault:
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {FAULT_KINDS}, not {kind!r}")
        fault = Fault(re.compile(pattern), kind, count, method.upper() if method else None,
                      retry_after, reset_in)
        with self._lock:
            self.faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.remaining <= 0 or (fault.method and fault.method != method):
                    continue
                if fault.pattern.search(path):
                    fault.remaining -= 1
                    fault.hits += 1
                    return fault
            if (self.fail_rate and path.startswith("/api/") and path != "/api/v3/rate_limit"
                    and self._random.random() < self.fail_rate):
                self.random_hits += 1
                status = self._random.choice((500, 502, 503))
                return Fault(re.compile(""), "500", 0, status=status)
        return None

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()


@dataclass(frozen=True)
class LogEntry:
    """One request: path without query string; body bytes read and written."""

    method: str
    path: str
    status: int
    bytes_in: int
    bytes_out: int
    login: str | None = None

    def line(self) -> str:
        return f"{self.method} {self.path} {self.status}"


@dataclass
class AccessLog:
    """In-memory list of :class:`LogEntry`, mirrored as ``METHOD PATH STATUS`` lines to a file."""

    file: IO[str] | None = None
    entries: list[LogEntry] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, entry: LogEntry) -> None:
        with self._lock:
            self.entries.append(entry)
            if self.file is not None:
                self.file.write(entry.line() + "\n")
                self.file.flush()

    def snapshot(self) -> list[LogEntry]:
        with self._lock:
            return list(self.entries)

    def clear(self) -> None:
        with self._lock:
            self.entries.clear()
