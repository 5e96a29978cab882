"""Test hooks: injected failures and the per-request transfer log."""

from __future__ import annotations

import json
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

    def reply(self) -> tuple[int, dict[str, str], bytes]:
        """(status, headers, body) of the failure."""
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.kind in ("500", "500-after"):
            body = {"message": "Server Error", "documentation_url": RATE_DOC}
            return 500, headers, json.dumps(body).encode()
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
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.faults: list[Fault] = []

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
