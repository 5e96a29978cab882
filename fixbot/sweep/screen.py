"""The pre-screen: decide, before cloning, which repositories a sweep needs to run at all.

One GraphQL query per batch of repositories (aliases ``r0``…``rN``) reads, for each: whether it
is empty, its workflow files' texts, ``.github/fixbot.yml`` and whether fixbot's branches exist.
The transforms then run in memory over those texts. A repository is **clean** (reported
``no-changes``, never cloned) only when all of this holds:

* no fixbot branch exists (else its pull request may need updating or closing: run it);
* every workflow file was read as text (no symbolic link, binary or oversized blob);
* the transforms changed nothing and reported no file error;
* every other file the transforms asked for (local actions, called workflows, the scripts
  steps run) was fetched too: the missing ones are asked for in up to :data:`ROUNDS` more
  batched queries, and a repository whose reads are still unanswered is run, not guessed.

So the screen never calls clean what ``run`` would change: what it read is what ``run`` reads.
A forge without GraphQL (404) makes :func:`prescreen` return None: the sweep then runs every
repository, as before the screen existed.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fixbot import action_fetch, config, engine, files, pr, pr_secrets
from fixbot.action_source import Metadata
from fixbot.errors import FixbotError, ForgeError
from fixbot.forge import Forge
from fixbot.forge.org import OrgRepo
from fixbot.forge.retry import status_of
from fixbot.types import FileResult, Transform
from fixbot.workflow import RepoContext

BATCH = 50
ROUNDS = 3
_BRANCHES = {"harden": pr.BRANCH, "secrets": pr_secrets.BRANCH}


@dataclass
class Seen:
    """What the screen learnt of one repository."""

    repo: OrgRepo
    found: bool = True
    empty: bool = False
    config_text: str | None = None
    branches: bool = False  # a fixbot branch exists
    workflows: dict[str, str | None] = field(default_factory=dict)  # path -> text (None: unreadable)
    extra: dict[str, str | None] = field(default_factory=dict)  # other files read, None: absent
    results: list[FileResult] = field(default_factory=list)
    clean: bool = False


def graphql(forge: Forge, owner: str, query: str) -> dict[str, Any] | None:
    """POST one query (the forge's retry and rate-limit policy applies); None when the forge
    has no GraphQL endpoint (404)."""
    gh = forge.owner_client(owner)
    url = gh.requester.graphql_url

    def post() -> Any:
        return gh.requester.requestJsonAndCheck("POST", url, input={"query": query})[1]

    try:
        data = forge.policy.call(f"{owner}: GraphQL query", post)
    except ForgeError as e:
        if status_of(e) in (404, 410, 501):
            return None
        raise
    if not isinstance(data, dict):
        raise ForgeError(f"{owner}: GraphQL query: the forge answered without a JSON object")
    errors = data.get("errors") or []
    if data.get("data") is None and errors:  # the whole query failed (e.g. RATE_LIMITED)
        first = errors[0] if isinstance(errors[0], dict) else {}
        raise ForgeError(f"{owner}: GraphQL query failed: {first.get('type') or 'error'}: "
                         f"{str(first.get('message', ''))[:200]}")
    return data


def _lit(value: str) -> str:
    return json.dumps(value)  # a JSON string is a GraphQL string literal


def _repo_fields(seen: Seen, paths: Sequence[str] | None) -> str:
    owner, name = seen.repo.full_name.split("/", 1)
    if paths is not None:  # a later round: only the files asked for
        blobs = " ".join(f"f{i}: object(expression: {_lit('HEAD:' + p)}) {{ ... on Blob "
                         "{ text isBinary } }" for i, p in enumerate(paths))
        return f"repository(owner: {_lit(owner)}, name: {_lit(name)}) {{ {blobs} }}"
    refs = " ".join(f"{k}: ref(qualifiedName: {_lit('refs/heads/' + b)}) {{ name }}"
                    for k, b in _BRANCHES.items())
    return (f"repository(owner: {_lit(owner)}, name: {_lit(name)}) {{ isEmpty "
            f"wf: object(expression: {_lit('HEAD:' + files.WORKFLOW_DIR)}) {{ ... on Tree "
            "{ entries { name type mode object { ... on Blob { text isBinary byteSize } } } } } "
            f"cfg: object(expression: {_lit('HEAD:' + config.PATH)}) {{ ... on Blob {{ text }} }} "
            f"{refs} }}")


def _query(parts: list[str]) -> str:
    return "query { " + " ".join(f"r{i}: {p}" for i, p in enumerate(parts)) + " }"


def prescreen(forge: Forge, owner: str, repos: list[OrgRepo], transforms: Sequence[Transform],
           org_config: config.Config, actions: Metadata) -> dict[str, Seen] | None:
    """What the screen learnt of each repository (by full name), or None without GraphQL."""
    out: dict[str, Seen] = {}
    for start in range(0, len(repos), BATCH):
        batch = [Seen(r) for r in repos[start:start + BATCH]]
        data = graphql(forge, owner, _query([_repo_fields(s, None) for s in batch]))
        if data is None:
            return None
        got = data.get("data") or {}
        for i, s in enumerate(batch):
            _first(s, got.get(f"r{i}"))
            out[s.repo.full_name] = s
        pending = [s for s in batch if s.found and not s.empty and not s.branches]
        for _round in range(ROUNDS + 1):
            asks = {s.repo.full_name: _analyse(s, transforms, org_config, actions)
                    for s in pending}
            pending = [s for s in pending if asks[s.repo.full_name]]
            if not pending or _round == ROUNDS:
                break
            wanted = [sorted(asks[s.repo.full_name]) for s in pending]
            data = graphql(forge, owner, _query([_repo_fields(s, w)
                                                 for s, w in zip(pending, wanted, strict=True)]))
            got = (data or {}).get("data") or {}
            for i, (s, w) in enumerate(zip(pending, wanted, strict=True)):
                node = got.get(f"r{i}") or {}
                for j, path in enumerate(w):
                    blob = node.get(f"f{j}")
                    s.extra[path] = (blob.get("text") if isinstance(blob, dict)
                                     and not blob.get("isBinary") else None)
    return out


def _first(s: Seen, node: Any) -> None:
    if not isinstance(node, dict):
        s.found = False
        return
    s.empty = bool(node.get("isEmpty"))
    s.branches = any(node.get(k) for k in _BRANCHES)
    cfg = node.get("cfg")
    s.config_text = cfg.get("text") if isinstance(cfg, dict) else None
    tree = node.get("wf")
    for e in (tree or {}).get("entries") or []:
        name = e.get("name", "")
        if not name.endswith((".yml", ".yaml")) or e.get("type") != "blob":
            continue
        blob = e.get("object") or {}
        ok = (e.get("mode") in (0o100644, 0o100755) and not blob.get("isBinary")
              and isinstance(blob.get("text"), str)
              and (blob.get("byteSize") or 0) <= files.MAX_FILE_BYTES)
        s.workflows[f"{files.WORKFLOW_DIR}/{name}"] = blob["text"] if ok else None


def _analyse(s: Seen, transforms: Sequence[Transform], org_config: config.Config,
             actions: Metadata) -> set[str]:
    """Run the transforms in memory; the files they asked for that the screen has not fetched
    yet (empty: decided; ``s.clean`` says how)."""
    s.clean = False
    try:
        cfg = config.merge(org_config, config.parse(s.config_text)
                           if s.config_text is not None else config.Config())
    except FixbotError:
        return set()  # the sweep reports the error from the configuration itself
    if not cfg.enabled or any(t is None for t in s.workflows.values()):
        return set()
    chosen = [t for t in transforms
              if (cfg.only is None or t.ID in cfg.only) and t.ID not in cfg.skip]
    paths = [p for p in sorted(s.workflows)
             if not any(fnmatch.fnmatchcase(p, g) for g in cfg.ignore_paths)]
    known: dict[str, str | None] = {**s.workflows, **s.extra}
    missing: set[str] = set()

    def read_text(path: str) -> str | None:
        if path in known:
            return known[path]
        missing.add(path)
        return None

    texts = [t for t in (s.workflows[p] for p in paths) if t is not None]
    if actions.source is not None:
        action_fetch.prefetch(actions, texts)
    ctx = RepoContext(read_text, actions=actions, workflows=tuple(paths))
    results = []
    for path in paths:
        text = s.workflows[path]
        assert text is not None
        if "\ufffd" in text:  # not UTF-8 on the forge: let the clone's reader say so
            return set()
        results.append(engine.process(path, text, chosen, ctx))
    if missing:
        return missing
    s.results = results
    s.clean = not pr.changed(results) and not any(r.status == "error" for r in results)
    return set()
