"""``secrets``: credentials written into workflows, and the Python scripts they run, move into the
secrets context; ``${{ secrets.X }}`` expanded inside ``run:`` moves into the step's ``env:``.

The pipeline: extract (every place a value can be written: :mod:`.extract`) → decide (the
credential detector, :mod:`fixbot.kb.secret_values`) → plan (secret and variable names:
:mod:`.names`) → render (edits per location: :mod:`.render`). A change that moves a credential
carries the secret it must become (:class:`fixbot.types.SecretValue`), so that it goes to the
pull request of its own, with the checklist to create the secret and rotate the credential.
"""

from __future__ import annotations

from fixbot.transforms.secrets import extract, render
from fixbot.transforms.secrets.names import Namer, referenced
from fixbot.types import Finding
from fixbot.workflow import RepoContext, Workflow
from fixbot.yamlmodel import to_plain

ID = "secrets"
SUMMARY = ("hardcoded credentials moved into ${{ secrets.NAME }}; ${{ secrets.X }} in run: "
           "moved into env:")
DOCS = ("https://docs.github.com/en/actions/security-for-github-actions/security-guides/"
        "using-secrets-in-github-actions")


def analyze(wf: Workflow, ctx: RepoContext) -> list[Finding]:
    root = wf.root
    if root is None:
        return []
    names, by_key = referenced(to_plain(root))
    namer = Namer(names, by_key)
    namer.adopt(repository(ctx))
    plan = render.Plan(wf, ctx, namer)
    for site in extract.sites(wf, ctx):
        plan.add(site)
    return plan.findings()


def repository(ctx: RepoContext) -> Namer:
    """The secret names of the repository's credentials: its workflows planned one after the
    other in path order with one :class:`Namer`, so that the same credential gets the same
    name in every file and two credentials never share one, whichever file is analysed first
    and in whichever process. Worked out once per repository context."""
    found = ctx.memo.get(ID)
    if isinstance(found, Namer):
        return found
    repo = Namer()
    docs = [(p, ctx.parse(p)) for p in ctx.workflows]
    for _, doc in docs:
        if doc is not None and doc.root is not None:
            refs, keys = referenced(to_plain(doc.root))
            repo.referenced |= refs
            for k, v in keys.items():
                repo.by_key.setdefault(k, v)
    for path, doc in docs:
        if doc is None:
            continue
        other = Workflow(path, doc)
        if other.root is None:
            continue
        plan = render.Plan(other, ctx, repo)
        for site in extract.sites(other, ctx):
            plan.add(site)
    ctx.memo[ID] = repo
    return repo
