"""``template-injection``: attacker-controllable ``${{ }}`` expressions expanded inside a bash
``run:`` script move into the step's ``env:``, and the script reads them as variables.

The pipeline: extract (every script a step runs, with its language: :mod:`.extract`) →
decide (who can write each expression, :mod:`fixbot.kb.injection`; where it sits in the
script, :mod:`fixbot.kb.shell_spots` and :mod:`fixbot.kb.shell_roles`: :mod:`.decide`) →
render (one change per step, and the notes: :mod:`.render`).
"""

from __future__ import annotations

from fixbot.kb.injection import GITHUB_DOCS
from fixbot.transforms.template_injection import decide, extract, render
from fixbot.types import Finding
from fixbot.workflow import RepoContext, Workflow

ID = "template-injection"
SUMMARY = "attacker-controllable ${{ }} expressions in run: scripts passed through env:"
DOCS = GITHUB_DOCS


def analyze(wf: Workflow, ctx: RepoContext) -> list[Finding]:
    if wf.root is None:
        return []
    out: list[Finding] = []
    for site in extract.sites(wf):
        out += render.findings(wf, site, decide.decide(wf, site))
    return out
