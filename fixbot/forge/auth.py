"""Credentials from the environment: a token, or a GitHub App (installation token per owner).

Order: ``FIXBOT_TOKEN``; else a GitHub App (``FIXBOT_APP_ID`` with ``FIXBOT_APP_PRIVATE_KEY`` or
``FIXBOT_APP_PRIVATE_KEY_FILE``); else ``GITHUB_TOKEN``. The App comes before ``GITHUB_TOKEN``
because Actions sets ``GITHUB_TOKEN`` in every job, while the App settings are explicit (and
pull requests opened with ``GITHUB_TOKEN`` trigger no workflow runs).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from fixbot.errors import UsageError
from fixbot.redact import strip_userinfo

DEFAULT_API_URL = "https://api.github.com"


@dataclass(frozen=True)
class TokenCredentials:
    token: str = field(repr=False)
    source: str = "FIXBOT_TOKEN"


@dataclass(frozen=True)
class AppCredentials:
    app_id: str
    private_key: str = field(repr=False)


Credentials = TokenCredentials | AppCredentials


def api_url(flag: str | None, env: Mapping[str, str] | None = None) -> str:
    """``--github-url``, else ``GITHUB_API_URL``, else ``https://api.github.com``."""
    env = os.environ if env is None else env
    url = (flag or env.get("GITHUB_API_URL") or DEFAULT_API_URL).strip()
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"--github-url: expected an http(s) URL, got {strip_userinfo(url)!r}")
    return url.rstrip("/")


def from_env(env: Mapping[str, str] | None = None) -> Credentials:
    env = os.environ if env is None else env
    if env.get("FIXBOT_TOKEN"):
        return TokenCredentials(env["FIXBOT_TOKEN"].strip(), "FIXBOT_TOKEN")
    app_id = env.get("FIXBOT_APP_ID", "").strip()
    if app_id:
        return AppCredentials(app_id, _private_key(env))
    if env.get("GITHUB_TOKEN"):
        return TokenCredentials(env["GITHUB_TOKEN"].strip(), "GITHUB_TOKEN")
    raise UsageError("no credentials: set FIXBOT_TOKEN (or GITHUB_TOKEN), or FIXBOT_APP_ID with "
                     "FIXBOT_APP_PRIVATE_KEY or FIXBOT_APP_PRIVATE_KEY_FILE")


def _private_key(env: Mapping[str, str]) -> str:
    key = env.get("FIXBOT_APP_PRIVATE_KEY", "")
    if key.strip():
        return key.replace("\\n", "\n")
    path = env.get("FIXBOT_APP_PRIVATE_KEY_FILE", "")
    if not path:
        raise UsageError("FIXBOT_APP_ID is set but neither FIXBOT_APP_PRIVATE_KEY nor "
                         "FIXBOT_APP_PRIVATE_KEY_FILE is")
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise UsageError(f"FIXBOT_APP_PRIVATE_KEY_FILE: cannot read {path}: "
                         f"{e.strerror or e}") from e
