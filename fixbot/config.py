"""``.github/fixbot.yml``: a repository's settings for fixbot, and the org-level default
(``fixbot sweep --config FILE``) they are merged over.

Schema (every key optional)::

    enabled: false            # opt the repository out of sweeps entirely
    transforms:
      only: [permissions]     # transform ids to run (default: all)
      skip: [secrets]         # transform ids not to run
    ignore-paths:             # workflow files fixbot leaves alone (fnmatch globs, repo-relative)
      - .github/workflows/release-*.yml
    labels: [security]        # labels added to fixbot's pull requests, beside `fixbot`
    reviewers: [octocat]      # people asked to review fixbot's new pull requests
    max-open-prs: 50          # org file only: fixbot's open pull requests across the org

A file that is not valid raises :class:`ConfigError` naming the file, the key and what was
expected; the sweep reports that repository as an error and goes on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from fixbot.errors import InputError

PATH = ".github/fixbot.yml"
MAX_BYTES = 64 * 1024
_KEYS = ("enabled", "transforms", "ignore-paths", "labels", "reviewers", "max-open-prs")
_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")


class ConfigError(InputError):
    """A configuration file that cannot be used, with the reason."""


@dataclass(frozen=True)
class Config:
    enabled: bool = True
    only: tuple[str, ...] | None = None
    skip: tuple[str, ...] = ()
    ignore_paths: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    max_open_prs: int | None = None
    given: frozenset[str] = field(default=frozenset(), compare=False)  # keys the file set


def parse(text: str, where: str = PATH, org: bool = False) -> Config:
    """The configuration in ``text`` (the file ``where``); ``org``: the org-level default file,
    which may also set ``max-open-prs``."""
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise ConfigError(f"{where}: over {MAX_BYTES:,} bytes: not a fixbot configuration")
    try:
        data = YAML(typ="safe", pure=True).load(text)
    except YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(f"{where}: not valid YAML{at}: {getattr(e, 'problem', None) or e}"
                          ) from None
    if data is None:
        return Config()
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping of settings, got {_kind(data)}")
    unknown = [str(k) for k in data if k not in _KEYS]
    if unknown:
        raise ConfigError(f"{where}: unknown key {', '.join(map(repr, unknown))} (known: "
                          f"{', '.join(_KEYS)})")
    if "max-open-prs" in data and not org:
        raise ConfigError(f"{where}: max-open-prs is an org-level setting (fixbot sweep "
                          "--config FILE), not a repository's")
    c = Config(given=frozenset(str(k) for k in data))
    if "enabled" in data:
        if not isinstance(data["enabled"], bool):
            raise ConfigError(f"{where}: enabled: expected true or false, got "
                              f"{_kind(data['enabled'])}")
        c = replace(c, enabled=data["enabled"])
    if "transforms" in data:
        c = _transforms(c, data["transforms"], where)
    if "ignore-paths" in data:
        c = replace(c, ignore_paths=_strings(data["ignore-paths"], f"{where}: ignore-paths", None))
    if "labels" in data:
        c = replace(c, labels=_strings(data["labels"], f"{where}: labels", None))
    if "reviewers" in data:
        c = replace(c, reviewers=_strings(data["reviewers"], f"{where}: reviewers", _LOGIN))
    if "max-open-prs" in data:
        n = data["max-open-prs"]
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ConfigError(f"{where}: max-open-prs: expected a whole number ≥ 0, got "
                              f"{_kind(n)}")
        c = replace(c, max_open_prs=n)
    return c


def merge(org: Config, repo: Config) -> Config:
    """The repository's settings over the org's: a key the repository file sets wins;
    labels and reviewers add up."""
    out = org
    if "enabled" in repo.given:
        out = replace(out, enabled=repo.enabled)
    if "ignore-paths" in repo.given:
        out = replace(out, ignore_paths=repo.ignore_paths)
    if "transforms" in repo.given:
        out = replace(out, only=repo.only, skip=repo.skip)
    labels = tuple(dict.fromkeys(org.labels + repo.labels))
    reviewers = tuple(dict.fromkeys(org.reviewers + repo.reviewers))
    return replace(out, labels=labels, reviewers=reviewers,
                   given=org.given | repo.given)


def _transforms(c: Config, value: Any, where: str) -> Config:
    from fixbot.transforms import REGISTRY

    if not isinstance(value, dict):
        raise ConfigError(f"{where}: transforms: expected a mapping with `only` and/or `skip`, "
                          f"got {_kind(value)}")
    extra = [str(k) for k in value if k not in ("only", "skip")]
    if extra:
        raise ConfigError(f"{where}: transforms: unknown key {', '.join(map(repr, extra))} "
                          "(known: only, skip)")
    picked: dict[str, tuple[str, ...]] = {}
    for key in ("only", "skip"):
        if key in value:
            ids = _strings(value[key], f"{where}: transforms.{key}", None)
            wrong = [i for i in ids if i not in REGISTRY]
            if wrong:
                raise ConfigError(f"{where}: transforms.{key}: unknown transform id "
                                  f"{', '.join(map(repr, wrong))} (known: "
                                  f"{', '.join(sorted(REGISTRY))})")
            picked[key] = ids
    return replace(c, only=picked.get("only", c.only), skip=picked.get("skip", c.skip))


def _strings(value: Any, what: str, check: re.Pattern[str] | None) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{what}: expected a list of strings, got {_kind(value)}")
    if check is not None:
        bad = [v for v in value if not check.match(v)]
        if bad:
            raise ConfigError(f"{what}: not a GitHub login: {', '.join(map(repr, bad))}")
    return tuple(dict.fromkeys(v.strip() for v in value))


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {value!r}"[:80]
