"""Explanations for the ``permissions`` transform: per-job reasons, triggers, follow-up actions."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping as Map

from transforms._perm_model import Found
from transforms._perm_scopes import describe

TOKEN_DOC = ("https://docs.github.com/en/actions/security-for-github-actions/security-guides/"
             "automatic-token-authentication#modifying-the-permissions-for-the-github_token")

# What a scope in this workflow means under each trigger (GitHub's rules; see the docs page).
TRIGGERS: dict[str, str] = {
    "pull_request": (
        "On `pull_request` from a fork (and on Dependabot pull requests) GitHub makes the token "
        "read-only whatever the block says, so a write step that fails only on fork pull "
        "requests is not fixed by adding write scopes."),
    "pull_request_target": (
        "`pull_request_target` runs with the base repository's token and secrets even for fork "
        "pull requests: these scopes are what a fork's pull request can reach through this "
        "workflow, so keep them minimal and never run the pull request's code here."),
    "workflow_run": (
        "`workflow_run` gets write tokens and secrets even when the triggering run had none: "
        "treat artifacts from the triggering run as untrusted data."),
    "release": (
        "On `release` events, creating a release or uploading its assets needs `contents: "
        "write` (there is no `releases` scope; `deployments: write` is only for the "
        "deployments API)."),
    "schedule": (
        "`schedule` runs use the workflow on the default branch, so a missing scope shows up "
        "only there, never in pull-request checks."),
}
_NOT_EXERCISED = {"push", "schedule", "release", "workflow_run", "workflow_dispatch",
                  "pull_request_target", "workflow_call", "issues", "issue_comment",
                  "repository_dispatch", "create", "delete", "tag", "merge_group"}


def trigger_notes(triggers: Iterable[str]) -> str:
    return " ".join(TRIGGERS[t] for t in sorted(TRIGGERS) if t in set(triggers))


def reasons(found: Iterable[Found], grant: Map[str, str]) -> str:
    """``contents: write for step 3 (softprops/action-gh-release@v2): creates … (source)``; …"""
    parts: list[str] = []
    for f in found:
        scopes = ", ".join(f"{s}: {lvl}" for s, lvl in sorted(f.need.scopes.items())
                           if grant.get(s) is not None)
        if scopes:
            parts.append(f"{scopes} for {f.where}: {f.need.reason} ({f.need.source})")
    return "; ".join(parts)


def job_explanation(job_id: str, grant: Map[str, str], found: list[Found], old: str | None,
                    triggers: Iterable[str], caller: bool) -> str:
    head = (f"Job `{job_id}` gets exactly the scopes it uses ({describe(grant)})"
            if old is None else
            f"Job `{job_id}` had {old}; it now gets exactly the scopes it uses ({describe(grant)})")
    why = reasons(found, grant)
    floor = ("" if "contents" not in grant or any("contents" in f.need.scopes for f in found)
             else " `contents: read` is the read-only default every job keeps.")
    rule = (" A job-level block replaces the workflow-level one for this job (scopes it does "
            "not list become `none`), so it lists every scope the job needs.")
    if caller:
        rule = (" A called workflow can only lower the permissions its caller grants, so the "
                "caller grants what the called jobs ask for or use.")
    body = f"{head}.{rule}{floor}" + (f" Needs: {why}." if why else
                                      " No step uses the token for anything else.")
    extra = trigger_notes(triggers)
    return body + (f" {extra}" if extra else "")


def top_explanation(grant: Map[str, str], old: str | None, covered: list[str],
                    triggers: Iterable[str]) -> str:
    what = (f"Adds a read-only default ({describe(grant)})" if old is None else
            f"Replaces {old} with a read-only default ({describe(grant)})")
    if covered:
        jobs = ", ".join(f"`{j}`" for j in covered)
        scope = (f"{what}: the jobs without a block of their own ({jobs}) run with only these "
                 "scopes, which is all their steps use.")
    else:
        scope = (f"{what}: every job has a block of its own, and this default covers jobs "
                 "added later.")
    body = scope
    if old is None:
        body += (" Without any block the token gets the repository default, which is "
                 "read-write on repositories and organisations created before February 2023.")
    extra = trigger_notes(triggers)
    return body + (f" {extra}" if extra else "")


def todo(path: str, triggers: Iterable[str]) -> str:
    if "workflow_call" in triggers:
        return (f"Run a workflow that calls `{path}` once on the default branch after merging: "
                "pull-request checks do not exercise the new permissions.")
    ts = sorted(set(triggers) & _NOT_EXERCISED)
    if not ts and set(triggers) & {"pull_request", "pull_request_review",
                                   "pull_request_review_comment"}:
        return (f"Check the run of `{path}` on the pull request that makes this change: it "
                "exercises the new permissions when the pull request comes from a branch of this "
                "repository (runs from forks get a read-only token whatever the block says).")
    ts = ts or sorted(set(triggers))
    how = ", ".join(f"`{t}`" for t in ts) if ts else "its triggers"
    return (f"Run workflow `{path}` once on the default branch after merging (it runs on {how}): "
            "pull-request checks do not exercise the new permissions.")
