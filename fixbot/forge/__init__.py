"""The forge client (GitHub, GHES or the sandbox) over PyGithub.

PyGithub stays inside this package; callers see :class:`Forge` and the typed values
:class:`RepoInfo` and :class:`PullInfo`. It shares no code with ``fixbot/sandbox``.
"""

from __future__ import annotations

from fixbot.forge.auth import (
    AppCredentials,
    Credentials,
    TokenCredentials,
    api_url,
    from_env,
)
from fixbot.forge.client import Forge, PullInfo, RepoInfo, split_full_name
from fixbot.forge.retry import Policy
from fixbot.forge.secrets import Visible, create_secret, secret_names

__all__ = ["AppCredentials", "Credentials", "Forge", "Policy", "PullInfo", "RepoInfo",
           "TokenCredentials", "Visible", "api_url", "create_secret", "from_env",
           "secret_names", "split_full_name"]
