"""Loading ``actions.toml`` and answering lookups for ``uses:`` references."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, cast

from fixbot.kb.model import Access, ActionInfo, Need, is_job_token
from fixbot.kb.token import EXPORTED_NAME, JOB, VARIABLE, credential, names_job_token
from fixbot.kb.versions import overlaps, parse_spec, ref_range


@dataclass(frozen=True)
class Condition:
    """One test on a ``with:`` input; a need applies when all its conditions may hold."""

    input: str
    matches: str | None = None  # regex, searched case-insensitively
    equals: str | None = None  # compared case-insensitively after stripping
    present: bool | None = None  # the input is (True) / is not (False) given
    default: str | None = None  # the value the action uses when the input is absent

    def may_hold(self, inputs: Mapping[str, str]) -> bool:
        value = inputs.get(self.input)
        if self.present is not None:
            return (value is not None and value.strip() != "") == self.present
        if value is None:
            value = self.default
        if value is None:
            return False
        if "${{" in value:
            return True  # decided at run time: assume it may hold
        if self.matches is not None:
            return re.search(self.matches, value, re.IGNORECASE) is not None
        if self.equals is not None:
            return value.strip().lower() == self.equals.lower()
        return True


@dataclass(frozen=True)
class StoreRule:
    """The action writes the job token into a tool's configuration (a registry login, a NuGet
    source) when ``token_env`` (or, if empty, its token input) holds the job token."""

    store: str  # "nuget", "docker", "helm", "git"
    token_env: str
    when: tuple[Condition, ...]


@dataclass(frozen=True)
class EntryNeed:
    need: Need
    versions: str
    when: tuple[Condition, ...]


@dataclass(frozen=True)
class Entry:
    key: str
    needs: tuple[EntryNeed, ...]
    token_inputs: tuple[str, ...]
    token_default: bool  # the action uses github.token when no token input is given
    reason: str
    source: str
    group: bool = False  # aliases are distinct actions that share the same facts
    stores: tuple[StoreRule, ...] = ()  # credentials it writes to disk for later steps
    # environment variables the action reads its token from, in the order it tries them; the
    # first one set decides, before any token input (actions documented to read the token from
    # their environment rather than from an input defaulting to github.token)
    token_env: tuple[str, ...] = ()

    def source_for(self, key: str) -> str:
        """The documentation link for one key of this entry."""
        if key == self.key or not self.group:
            return self.source
        owner, repo, *path = key.split("/")
        tail = f"/tree/HEAD/{'/'.join(path)}" if path else "#readme"
        return f"https://github.com/{owner}/{repo}{tail}"


def normalize_uses(uses: str) -> tuple[str, str] | None:
    """``Owner/Repo//path@ref`` -> (``owner/repo/path``, ``ref``); None for local/docker refs."""
    u = uses.strip()
    if not u or u.startswith(("./", "$/", ".", "docker://")):
        return None
    path, _, ref = u.partition("@")
    path = re.sub(r"/+", "/", path.strip().lower()).strip("/")
    if path.count("/") < 1:
        return None
    return path, ref.strip()


def _scopes(raw: Any, where: str) -> dict[str, Access]:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: scopes must be a table")
    out: dict[str, Access] = {}
    for k, v in raw.items():
        if v not in ("read", "write"):
            raise ValueError(f"{where}: bad access {v!r} for {k}")
        out[str(k)] = cast(Access, v)
    return out


def _entry(raw: dict[str, Any]) -> Entry:
    key = str(raw["uses"]).lower()
    source = str(raw.get("source", ""))
    needs: list[EntryNeed] = []
    for i, n in enumerate(raw.get("needs", [])):
        where = f"{key} needs[{i}]"
        conds = tuple(_condition(c) for c in n.get("when", []))
        versions = str(n.get("versions", "*"))
        parse_spec(versions)  # validate early
        need = Need(
            scopes=_scopes(n.get("scopes"), where),
            reason=str(n.get("reason", raw.get("reason", ""))),
            source=str(n.get("source", source)),
            via_token=bool(n.get("via_token", True)),
        )
        needs.append(EntryNeed(need=need, versions=versions, when=conds))
    return Entry(
        key=key,
        needs=tuple(needs),
        token_inputs=tuple(str(t).lower() for t in raw.get("token_inputs", [])),
        token_default=bool(raw.get("token_default", True)),
        reason=str(raw.get("reason", "")),
        source=source,
        group=bool(raw.get("group", False)),
        stores=tuple(StoreRule(str(r["store"]), str(r.get("token_env", "")),
                               tuple(_condition(c) for c in r.get("when", [])))
                     for r in raw.get("stores", [])),
        token_env=tuple(str(v) for v in raw.get("token_env", [])),
    )


def _condition(c: Mapping[str, Any]) -> Condition:
    return Condition(input=str(c["input"]).lower(), matches=c.get("matches"),
                     equals=c.get("equals"), present=c.get("present"), default=c.get("default"))


@lru_cache(maxsize=1)
def _actions_toml() -> dict[str, Any]:
    """``actions.toml``, read and parsed once for every table in it."""
    text = resources.files("fixbot.kb").joinpath("actions.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, Entry], dict[str, Entry]]:
    data = _actions_toml()
    actions: dict[str, Entry] = {}
    workflows: dict[str, Entry] = {}
    for table, out in (("action", actions), ("workflow", workflows)):
        for raw in data.get(table, []):
            e = _entry(raw)
            for key in (e.key, *(str(a).lower() for a in raw.get("aliases", []))):
                if key in out:
                    raise ValueError(f"duplicate KB key {key!r}")
                out[key] = e
    return actions, workflows


@lru_cache(maxsize=1)
def _git_credential_users() -> dict[str, str]:
    return {str(r["uses"]).lower(): str(r["reason"])
            for r in _actions_toml().get("git_credentials", [])}


def git_credential_use(uses: str) -> str | None:
    """Why the action uses the git credentials checkout persisted; "" when it is known not to;
    None when the knowledge base does not know the action."""
    norm = normalize_uses(uses)
    if norm is None:
        return None
    users = _git_credential_users()
    for key, why in users.items():
        if norm[0] == key or norm[0].startswith(key + "/"):
            return why
    return "" if norm[0] in action_entries() else None


def action_entries() -> Mapping[str, Entry]:
    """Every action key (aliases included) -> its entry."""
    return _tables()[0]


def workflow_entries() -> Mapping[str, Entry]:
    return _tables()[1]


def _uses_job_token(entry: Entry, inputs: Mapping[str, str],
                    env: Mapping[str, str] | None = None) -> bool:
    env_token = _env_token(entry, env or {})
    if env_token is not None:
        return env_token
    if not entry.token_inputs:
        return True
    # an empty value is as good as absent: the action's own default applies
    given = [inputs[t] for t in entry.token_inputs if inputs.get(t, "").strip()]
    if not given:
        return entry.token_default
    return any(is_job_token(v) for v in given)


def _env_token(entry: Entry, env: Mapping[str, str]) -> bool | None:
    """Whether the token an action reads from its environment (``token_env``) is the job token:
    the first of those variables the step sets (to a non-empty value) decides. A value that may
    hold the job token (``${{ env.X }}``, a computed choice of secrets) counts as the job token;
    another secret or a literal does not. None: none is set, the action's inputs decide.
    A job token an earlier step wrote to $GITHUB_ENV (name not known) may be any of them."""
    if not entry.token_env:
        return None
    if names_job_token(env.get(EXPORTED_NAME, "")):
        return True
    for name in entry.token_env:
        value = env.get(name)
        if value is None or not value.strip():
            continue
        return credential(value, env) in (JOB, VARIABLE)
    return None


def stores_of(uses: str, inputs: Mapping[str, str], env: Mapping[str, str]) -> tuple[str, ...]:
    """The tools an action leaves the job token configured for (``docker``, ``nuget`` ...)."""
    norm = normalize_uses(uses)
    entry = action_entries().get(norm[0]) if norm else None
    if entry is None:
        return ()
    ins = _norm_inputs(inputs)
    out: list[str] = []
    for rule in entry.stores:
        token = env.get(rule.token_env) if rule.token_env else None
        holds = is_job_token(token) if rule.token_env else _uses_job_token(entry, ins, env)
        if token is not None and not token.strip():
            holds = False
        if holds and all(c.may_hold(ins) for c in rule.when):
            out.append(rule.store)
    return tuple(out)


def _resolve(entry: Entry, key: str, ref: str, inputs: Mapping[str, str], comment: str | None,
             env: Mapping[str, str] | None = None) -> ActionInfo:
    rng = ref_range(ref, comment)
    job_token = _uses_job_token(entry, inputs, env)
    out: list[Need] = []
    for en in entry.needs:
        if not overlaps(en.versions, rng):
            continue
        if not all(c.may_hold(inputs) for c in en.when):
            continue
        if en.need.via_token and not job_token:
            continue
        if en.need not in out:
            out.append(en.need)
    return ActionInfo(uses=key, needs=tuple(out), token_inputs=entry.token_inputs, job_token=job_token)


def _norm_inputs(inputs: Mapping[str, object]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in inputs.items():
        if isinstance(v, bool):
            s = "true" if v else "false"
        elif v is None:
            s = ""
        else:
            s = str(v)
        out[str(k).lower()] = s
    return out


def lookup_action(
    uses: str, inputs: Mapping[str, str], version_comment: str | None = None,
    env: Mapping[str, str] | None = None,
) -> ActionInfo | None:
    """Needs of a step's ``uses:`` given its ``with:`` inputs and its environment (workflow <
    job < step; it decides the token of actions that read it from there, ``token_env``); None
    if the action is unknown."""
    norm = normalize_uses(uses)
    if norm is None:
        return None
    entry = action_entries().get(norm[0])
    if entry is None:
        return None
    return _resolve(entry, norm[0], norm[1], _norm_inputs(inputs), version_comment, env)


def lookup_reusable_workflow(uses: str) -> ActionInfo | None:
    """Needs of a remote reusable workflow (``jobs.<id>.uses``); None if unknown."""
    norm = normalize_uses(uses)
    if norm is None:
        return None
    entry = workflow_entries().get(norm[0])
    if entry is None:
        return None
    return _resolve(entry, norm[0], norm[1], {}, None)


@lru_cache(maxsize=1)
def _extra_tables() -> dict[str, Any]:
    data = _actions_toml()
    return {"container": data["container_credentials"][0],
            "persisted": {str(r["uses"]).lower(): r for r in data.get("persisted_credentials", [])}}


def container_pull_need() -> Need:
    """What a job's ``container:``/``services:`` image pulled with the job token needs."""
    raw = _extra_tables()["container"]
    return Need(cast(dict[str, Access], dict(raw["scopes"])), str(raw["reason"]), str(raw["source"]),
                via_token=bool(raw.get("via_token", True)))


@dataclass(frozen=True)
class CheckoutCredentials:
    where: str  # where the persisted token is kept
    risk: str  # what keeping it exposes
    source: str


def checkout_credentials(low: int, high: int) -> tuple[CheckoutCredentials, ...]:
    """Where actions/checkout keeps persisted credentials for major versions ``low``..``high``
    (several entries when the range spans a change)."""
    rng = ((low, 0, 0), (high, 10**9, 10**9))
    return tuple(k for versions, k in _checkout_credentials() if overlaps(versions, rng))


@lru_cache(maxsize=1)
def _checkout_credentials() -> tuple[tuple[str, CheckoutCredentials], ...]:
    return tuple((str(r["versions"]), CheckoutCredentials(str(r["where"]), str(r["risk"]),
                                                          str(r["source"])))
                 for r in _actions_toml().get("checkout_credentials", []))


def persists_job_token(uses: str, inputs: Mapping[str, str]) -> bool:
    """Whether a step (``uses:`` with its raw ``with:`` inputs) leaves the job token in
    ``.git/config`` for later git commands (``actions/checkout`` unless told otherwise)."""
    rule = _extra_tables()["persisted"].get(uses.split("@", 1)[0].strip().lower().rstrip("/"))
    if rule is None:
        return False
    for cond in rule.get("off_when", []):
        value = inputs.get(str(cond["input"]))
        if "equals" in cond and value is not None and \
                value.strip().lower() == str(cond["equals"]).lower():
            return False
        if cond.get("present") is True and value is not None and value.strip():
            return False
    token = inputs.get(str(rule["token_input"]))
    return token is None or is_job_token(token)
