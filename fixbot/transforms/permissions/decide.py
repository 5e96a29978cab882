"""Stage 2 of ``permissions``: what each fact needs from the job token, by the knowledge base.

Each need becomes a :class:`Found` (where, and the KB need with its reason and source); a fact
whose use of the token cannot be told becomes an entry of ``unknown``, which makes the whole job
unknown to the transform. Unknown never means "needs nothing".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import cast

from fixbot.kb import Access, Need, analyze_github_script, lookup_action, lookup_reusable_workflow
from fixbot.kb.actions import action_entries, container_pull_need
from fixbot.kb.git_use import may_push_by_name
from fixbot.kb.github_script import github_script_oidc
from fixbot.kb.model import ActionInfo
from fixbot.kb.tables import tables
from fixbot.kb.token import token_vars
from fixbot.transforms.permissions.extract import EXPORTED_TOKEN
from fixbot.transforms.permissions.facts import (
    ActionStep,
    CalleeAsks,
    CalleeInherits,
    Container,
    Fact,
    GithubScript,
    MetaAction,
    Opaque,
    OpaqueCode,
    RemoteCall,
    ScriptStep,
    UnreadAction,
)
from fixbot.transforms.permissions.grants import describe

PUSH_DOC = ("https://docs.github.com/en/actions/writing-workflows/workflow-syntax-for-github-"
            "actions#defining-access-for-the-github_token-scopes")
REUSE_DOC = ("https://docs.github.com/en/actions/sharing-automations/reusing-workflows"
             "#access-and-permissions")


@dataclass(frozen=True)
class Found:
    where: str  # e.g. 'step 3 "Publish" (softprops/action-gh-release@v2)'
    need: Need


@dataclass
class Analysis:
    found: list[Found] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    # needs that hold only if the job has the scope now (never added): OIDC is open to every
    # program of a job that is granted id-token, so a publish command may be using it
    maybe: list[Found] = field(default_factory=list)
    # steps that may push with the git credentials a checkout persisted: a push needs
    # `contents: write`, and those credentials can do nothing else, so they bound what such a
    # step can need (kept where the job has `contents: write` now, see plan)
    may_push: list[Found] = field(default_factory=list)
    # a called job runs with the caller's grant (no block of its own); and whether any called
    # job was read at all (a local or metadata callee)
    inherits: bool = False
    callees: bool = False
    # why actions the knowledge base does not know need nothing (read from their action.yml)
    evidence: list[str] = field(default_factory=list)
    # steps whose action gets another credential than the job token, with the scopes it would
    # need of the job token (the evidence for a narrowing of a job that looks like it writes)
    credentials: list[str] = field(default_factory=list)

    def add(self, where: str, need: Need) -> None:
        if need.scopes and Found(where, need) not in self.found:
            self.found.append(Found(where, need))


def decide_job(facts: list[Fact]) -> Analysis:
    """What a job's facts need, with the pushes that may happen (see :attr:`Analysis.may_push`)."""
    out = Analysis()
    for fact in facts:
        _decide(fact, out)
    return out


def _may_push(out: Analysis, where: str, why: str) -> None:
    # why that bounds it by `contents: write` is said once per job (render: PUSH_BOUND)
    need = Need({"contents": "write"}, why, PUSH_DOC)
    if Found(where, need) not in out.may_push:
        out.may_push.append(Found(where, need))


def _decide(fact: Fact, out: Analysis) -> None:
    if isinstance(fact, Opaque):
        out.unknown.append(fact.message)
    elif isinstance(fact, Container):
        out.add(fact.where, container_pull_need())
    elif isinstance(fact, ActionStep):
        info = lookup_action(fact.uses, fact.inputs, fact.comment, fact.env)
        if info is None:
            out.unknown.append(f"{fact.where}: `{fact.uses.split('@', 1)[0]}` is not in the "
                               "knowledge base")
            return
        for need in info.needs:
            out.add(fact.where, need)
        if not info.job_token:
            _other_credential(fact, info, out)
    elif isinstance(fact, UnreadAction):
        out.unknown.append(f"{fact.where}: `{fact.uses.split('@', 1)[0]}` is not in the "
                           f"knowledge base; {fact.why}")
    elif isinstance(fact, MetaAction):
        _metadata(fact, out)
    elif isinstance(fact, OpaqueCode):
        if fact.gets_token:
            out.unknown.append(f"{fact.where}: {fact.what} that receives the job token")
    elif isinstance(fact, GithubScript):
        _github_script(fact, out)
    elif isinstance(fact, ScriptStep):
        _script(fact, out)
    elif isinstance(fact, RemoteCall):
        info = lookup_reusable_workflow(fact.uses)
        if info is None:
            out.unknown.append(f"{fact.where}: the reusable workflow is not in the knowledge base")
            return
        for need in info.needs:
            out.add(fact.where, need)
    elif isinstance(fact, CalleeInherits):
        out.inherits = True
    elif fact.grant is None:
        out.unknown.append(f"{fact.where}: its `permissions:` cannot be read exactly")
    else:
        out.callees = True
        if fact.grant:
            _callee_asks(fact, out)


def _other_credential(fact: ActionStep, info: ActionInfo, out: Analysis) -> None:
    """Name the credential a step gives its action instead of the job token (a token input, or
    the environment variable the action reads it from) and the scopes the action would need
    of the job token without it: the evidence that they are not needed."""
    inputs = {k.lower(): v for k, v in fact.inputs.items()}
    entry = action_entries().get(info.uses)
    given = [(f"`{t}` input", inputs[t]) for t in info.token_inputs if inputs.get(t, "").strip()]
    given += [(f"`{n}` variable", fact.env[n]) for n in (entry.token_env if entry else ())
              if fact.env.get(n, "").strip()]
    as_job = lookup_action(fact.uses, {**inputs, **{t: "${{ github.token }}"
                                                    for t in info.token_inputs}}, fact.comment, {})
    if not given or as_job is None:
        return
    spared = {s: lvl for n in as_job.needs if n not in info.needs
              for s, lvl in n.scopes.items() if lvl == "write"}
    if not spared:
        return  # only reads spared: the read-only default covers them
    how, value = given[0]
    out.credentials.append(f"{fact.where} uses {_credential_name(value)} (its {how}), not the "
                           f"job token, so it needs no {describe(spared)} from the job")


def _credential_name(value: str) -> str:
    """An expression as written (``secrets.BOT_TOKEN``); never a literal, which may be a
    credential itself."""
    m = re.fullmatch(r"\s*\$\{\{\s*(.*?)\s*\}\}\s*", value, re.DOTALL)
    if m is None:
        return "a value that is not the job token"
    text = " ".join(m.group(1).split())
    return f"`{text}`" if len(text) <= 80 else f"`{text[:79]}…`"


def _metadata(fact: MetaAction, out: Analysis) -> None:
    """An action judged by its action.yml: unknown when the job token reaches it (the knowledge
    base does not say what it does with it), may push when git has credentials and its metadata
    speaks of git writes, else it needs nothing (its link is the evidence)."""
    name = fact.uses.split("@", 1)[0]
    if fact.kind == "composite":
        out.evidence.append(f"`{fact.uses}` ({fact.where}) is a composite action whose steps "
                            f"were read from its action.yml ({fact.url})")
    elif fact.carriers:
        out.unknown.append(f"{fact.where}: the job token reaches `{name}` through "
                           f"{fact.carriers[0]}, and the knowledge base does not know what it "
                           f"does with it ({fact.url})")
    elif fact.persisted and fact.git_words:
        words = ", ".join(f"“{w}”" for w in fact.git_words[:3])
        _may_push(out, fact.where, f"`{name}` may push with the persisted git credentials "
                  f"(its action.yml speaks of {words})")
    else:
        out.evidence.append(f"`{fact.uses}` ({fact.where}) cannot reach the job token: no "
                            f"input, environment variable or configured credential carries it "
                            f"({fact.url})")


def _callee_asks(fact: CalleeAsks, out: Analysis) -> None:
    asked = fact.grant or {}
    why = (f"the called job asks for {describe(asked)}; a caller that grants less makes the run "
           "fail with startup_failure")
    out.add(fact.where, Need(cast(dict[str, Access], asked), why, REUSE_DOC))


def _github_script(fact: GithubScript, out: Analysis) -> None:
    oidc = github_script_oidc(fact.script)
    if oidc is not None:
        out.add(fact.where, oidc)
    # even with another `github-token`, the script may build a client of its own from the job
    # token (getOctokit(process.env.X)) or run git with the persisted credentials
    reach = fact.job_token or bool(token_vars(fact.env)) or fact.persisted
    if fact.unread is not None:
        if reach:
            out.unknown.append(f"{fact.where}: runs `{fact.unread}`, which is not in the "
                               "repository context to read")
        return
    for src in fact.sources:
        found = analyze_github_script(src, fact.env, job_client=fact.job_token, git=fact.persisted)
        for need in found.needs:
            out.add(fact.where, need)
        out.unknown.extend(f"{fact.where}: `{u}`" for u in found.unknown)
        for m in found.may_push:
            _may_push(out, fact.where, m)


def _script(fact: ScriptStep, out: Analysis) -> None:
    """A ``run:`` script counts only where it can reach the token: a variable of its environment
    set to the job token, the token written into the script, a tool configured with it, or git
    with the credentials ``actions/checkout`` persisted."""
    where, a = fact.where, fact.read.analysis
    for tool in fact.read.oidc_tools:
        out.maybe.append(Found(where, _oidc_maybe(tool)))
    for need in a.needs:
        out.add(where, need)
    if fact.reach:
        via = ""
        if fact.token_vars:
            via = (" (a token an earlier step wrote to $GITHUB_ENV)"
                   if fact.token_vars[0] == EXPORTED_TOKEN else f" (in ${fact.token_vars[0]})")
        out.unknown.extend(f"{where}: {u}{via if 'runs with the job token' in u else ''}"
                           for u in a.unknown)
    elif fact.persisted:  # only git's persisted credentials reach what cannot be read
        for u in a.unknown:
            _may_push(out, where, f"{u}, and could push with the credentials a checkout "
                      "persisted")
    for m in a.may_push:
        _may_push(out, where, m)
    for path, why in fact.read.unread:
        if fact.reach:
            out.unknown.append(f"{where}: runs `{path}` with the job token ({why})")
        elif fact.persisted and may_push_by_name(path):
            _may_push(out, where, f"runs `{path}`, which may push with the persisted "
                      f"credentials ({why})")


def _oidc_maybe(tool: str) -> Need:
    return Need({"id-token": "write"}, f"`{tool}` can publish or sign with an OIDC token (trusted "
                "publishing, keyless signing) when the job is granted one", tables().oidc.source,
                via_token=False)


def granted_oidc_need() -> Need:
    """Why a granted ``id-token: write`` is kept when no step is known to use it."""
    return Need({"id-token": "write"}, "`id-token: write` is granted explicitly, and any program "
                "in the job can request an OIDC token with it, so its use cannot be ruled out",
                tables().oidc.source, via_token=False)
