"""The ``secrets`` transform against what real repositories write (an adversarial review of
issue 10): bash quoting corners, YAML shapes the splice must keep valid, and places a credential
can sit that fixbot does not rewrite, where it must say so in a note rather than stay silent.

Each test pins the exact output, or the exact note. The rule: a fix must not break the workflow,
change what a script does, leak the value, or move what is not a credential; when unsure the
value stays where it is, with a note.
"""

from __future__ import annotations

from pathlib import Path

from fixbot import engine, files
from fixbot.transforms import secrets
from fixbot.types import FileResult
from fixbot.workflow import RepoContext

PAT = "ghp_4axxvSx90PAVUkPllUcNHFI2lkZR1WHFgfhL"  # made up
NPM = "npm_crxkD2htdjze6t4VzVtiw6IAGDKJNSRE7DXG"  # made up
HEAD = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n"


def run(tmp_path: Path, workflow: str, extra: dict[str, str] | None = None) -> FileResult:
    root = tmp_path / "repo"
    (root / ".github/workflows").mkdir(parents=True)
    (root / ".github/workflows/w.yml").write_text(workflow, encoding="utf-8")
    for path, text in (extra or {}).items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    ctx = RepoContext(files.repo_reader(root))
    [target] = files.discover([str(root / ".github/workflows/w.yml")])
    return engine.process_target(target, [secrets], ctx)


def notes(result: FileResult) -> list[str]:
    return [n.message for n in result.notes]


def no_value(result: FileResult) -> None:
    for n in result.notes:
        assert PAT not in n.message and NPM not in n.message
        assert PAT[4:20] not in n.message


# --- bash: the credential must be moved whole, or left with a note -----------------------------

def test_line_continuation_inside_a_credential_is_left_alone(tmp_path: Path) -> None:
    """`"token ghp_4axx…\\<newline>PllU…"`: the shell joins the two lines into one token. Moving
    the first half moved the wrong value (the secret a person creates would be a prefix) and left
    the rest of the token in the script."""
    wf = HEAD + ("    steps:\n      - run: |\n"
                 f'          curl -H "Authorization: token {PAT[:18]}\\\n'
                 f'          {PAT[18:]}" https://x\n')
    result = run(tmp_path, wf)
    no_value(result)
    assert result.status == "unchanged"
    assert notes(result) == [
        "left alone: a random-looking value of a credential-like name (**** (18 chars)) in the "
        "`run` script of step 1 of job `a`: it is written with a backslash escape or a line "
        "continuation, so the script's value is not the text written; move it into a secret "
        "by hand and rotate it (it stays in the git history)"]


def test_credential_after_a_backslash_is_left_alone(tmp_path: Path) -> None:
    r"""`echo \ghp_…` is the word `ghp_…`; `\"${GH_PAT}"` would be a literal quote."""
    wf = HEAD + f"    steps:\n      - run: echo \\{PAT}\n"
    result = run(tmp_path, wf)
    assert result.status == "unchanged"
    assert notes(result) == [
        "left alone: a GitHub personal access token (classic) (ghp_**** (40 chars)) in the "
        "`run` script of step 1 of job `a`: it is written with a backslash escape or a line "
        "continuation, so the script's value is not the text written; move it into a secret "
        "by hand and rotate it (it stays in the git history)"]


def test_credential_in_patterns_is_noted(tmp_path: Path) -> None:
    """`[[ $T == ghp_… ]]`, `case … in ghp_…)` and `=~`: tree-sitter calls these patterns and
    regexes; they were neither rewritten nor reported."""
    wf = HEAD + ("    steps:\n      - run: |\n"
                 f"          [[ $T == {PAT} ]] && echo same\n"
                 f'          case "$T" in\n            {PAT}) echo yes;;\n          esac\n'
                 f"          [[ $T =~ ^{NPM}$ ]] && echo npm\n")
    result = run(tmp_path, wf)
    assert result.status == "unchanged"
    why = ("it is in a pattern (`[[ == ]]`, `=~` or `case`), where fixbot does not rewrite; "
           "move it into a secret by hand and rotate it (it stays in the git history)")
    assert notes(result) == [
        "left alone: a GitHub personal access token (classic) (ghp_**** (40 chars)) in the "
        f"`run` script of step 1 of job `a`: {why}",
        "left alone: a GitHub personal access token (classic) (ghp_**** (40 chars)) in the "
        f"`run` script of step 1 of job `a`: {why}",
        "left alone: an npm access token (npm_**** (40 chars)) in the "
        f"`run` script of step 1 of job `a`: {why}"]


def test_quoting_contexts_that_work(tmp_path: Path) -> None:
    """Command substitution, backticks, arrays, here-strings, nested quotes, `${X:-default}`,
    `env X=… cmd` and a token as a command name: each reads the variable where the value was."""
    wf = HEAD + ("    steps:\n      - run: |\n"
                 f'          X=$(curl -H "Authorization: token {PAT}" https://x)\n'
                 f"          Y=`echo {PAT}`\n"
                 f"          arr=({PAT} other)\n"
                 f"          cat <<< {PAT}\n"
                 f"          echo \"a'{PAT}'c\"\n"
                 f"          echo ${{T:-{PAT}}}\n"
                 f"          env GH_TOKEN={PAT} gh pr list\n")
    result = run(tmp_path, wf)
    assert result.status == "changed" and not result.notes
    assert result.updated == HEAD + (
        "    steps:\n      - run: |\n"
        '          X=$(curl -H "Authorization: token ${GH_PAT}" https://x)\n'
        '          Y=`echo "${GH_PAT}"`\n'
        '          arr=("${GH_PAT}" other)\n'
        '          cat <<< "${GH_PAT}"\n'
        "          echo \"a'${GH_PAT}'c\"\n"
        '          echo ${T:-"${GH_PAT}"}\n'
        '          env GH_TOKEN="${GH_PAT}" gh pr list\n'
        "        env:\n          GH_PAT: ${{ secrets.GH_PAT }}\n")


# --- YAML: the edited file must stay valid -----------------------------------------------------

def test_flow_mapping_env(tmp_path: Path) -> None:
    """`env: {A_TOKEN: ghp_…, B: c}`: a plain `${{ … }}` inside a flow mapping is a nested flow
    mapping, so the edited file did not parse and the whole file failed."""
    wf = HEAD + (f"    steps:\n      - env: {{A_TOKEN: {PAT}, B: c}}\n"
                 '        run: echo "$A_TOKEN"\n')
    result = run(tmp_path, wf)
    assert result.status == "changed", result.error
    assert result.updated == HEAD + ("    steps:\n      - env: {A_TOKEN: '${{ secrets.A_TOKEN }}', B: c}\n"
                                     '        run: echo "$A_TOKEN"\n')


def test_flow_sequence_with_input(tmp_path: Path) -> None:
    wf = HEAD + (f"    steps:\n      - uses: some/action@v1\n        with: {{token: {NPM}}}\n")
    result = run(tmp_path, wf)
    assert result.status == "changed", result.error
    assert result.updated == HEAD + ("    steps:\n      - uses: some/action@v1\n"
                                     "        with: {token: '${{ secrets.NPM_TOKEN }}'}\n")


# --- places fixbot does not rewrite must be reported -------------------------------------------


def test_matrix_and_if_are_noted(tmp_path: Path) -> None:
    wf = HEAD + ("    strategy:\n      matrix:\n"
                 f"        token: [{PAT}, other]\n"
                 "    steps:\n"
                 f"      - if: env.T == '{NPM}'\n        run: echo hi\n")
    result = run(tmp_path, wf)
    assert result.status == "unchanged"
    tail = ("fixbot moves credentials only out of `env:`, `with:`, `secrets:`, container "
            "credentials and `run:` scripts; move it into a secret by hand and rotate it (it "
            "stays in the git history)")
    assert notes(result) == [
        "left alone: a GitHub personal access token (classic) (ghp_**** (40 chars)) in "
        f"`jobs.a.strategy.matrix.token[0]`: {tail}",
        "left alone: an npm access token (npm_**** (40 chars)) in "
        f"`jobs.a.steps[0].if`: {tail}"]


def test_local_composite_action_is_noted(tmp_path: Path) -> None:
    action = ("name: x\nruns:\n  using: composite\n  steps:\n"
              f'    - run: curl -H "Authorization: token {PAT}" https://x\n      shell: bash\n')
    wf = HEAD + "    steps:\n      - uses: ./.github/actions/x\n      - uses: ./.github/actions/x\n"
    result = run(tmp_path, wf, {".github/actions/x/action.yml": action})
    assert result.status == "unchanged"
    assert notes(result) == [
        "left alone: a GitHub personal access token (classic) (ghp_**** (40 chars)) in the "
        "local action `.github/actions/x/action.yml` (line 5), used by step 1 of job `a`: an "
        "action cannot read `secrets`; pass it from the workflow as an input, move it into a "
        "secret by hand and rotate it (it stays in the git history)"]


# --- the Python codemod: every step that runs the script must get the variable ----------------

def test_script_also_run_through_make_and_a_shell_script(tmp_path: Path) -> None:
    """`tools/x.py` is run by one step directly and by two others through `make release` and
    `bash scripts/deploy.sh`. The codemod rewrote it to `os.environ["GH_PAT"]` and only the
    direct step got `GH_PAT`: the other two jobs now fail. Either every step that runs it gets
    the variable (this output), or the script stays with a note."""
    wf = HEAD + ("    steps:\n      - run: python tools/x.py\n"
                 "  m:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make release\n"
                 "  s:\n    runs-on: ubuntu-latest\n    steps:\n      - run: bash scripts/deploy.sh\n")
    extra = {"tools/x.py": f'import requests\nTOKEN = "{PAT}"\nrequests.get("https://x", '
                           'headers={"Authorization": "token " + TOKEN})\n',
             "Makefile": "release:\n\tpython tools/x.py\n",
             "scripts/deploy.sh": "#!/bin/bash\npython tools/x.py\n"}
    result = run(tmp_path, wf, extra)
    env = "        env:\n          GH_PAT: ${{ secrets.GH_PAT }}\n"
    assert result.updated == HEAD + (
        "    steps:\n      - run: python tools/x.py\n" + env
        + "  m:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make release\n" + env
        + "  s:\n    runs-on: ubuntu-latest\n    steps:\n      - run: bash scripts/deploy.sh\n" + env)


def test_secret_the_step_already_passes_is_read_from_its_variable(tmp_path: Path) -> None:
    """`echo "${{ secrets.DEPLOY_KEY }}"` in a step whose env already has `DEPLOY_KEY: ${{
    secrets.DEPLOY_KEY }}`: the script reads `DEPLOY_KEY`; a second variable `DEPLOY_KEY_2` for
    the same secret was added before."""
    wf = HEAD + ('    steps:\n      - run: echo "${{ secrets.DEPLOY_KEY }}"\n'
                 "        env:\n          DEPLOY_KEY: ${{ secrets.DEPLOY_KEY }}\n")
    result = run(tmp_path, wf)
    assert result.updated == HEAD + ('    steps:\n      - run: echo "${DEPLOY_KEY}"\n'
                                     "        env:\n          DEPLOY_KEY: ${{ secrets.DEPLOY_KEY }}\n")


def test_existing_variable_the_script_overwrites_is_not_reused(tmp_path: Path) -> None:
    wf = HEAD + ('    steps:\n      - run: DEPLOY_KEY=x; echo "${{ secrets.DEPLOY_KEY }}"\n'
                 "        env:\n          DEPLOY_KEY: ${{ secrets.DEPLOY_KEY }}\n")
    result = run(tmp_path, wf)
    assert result.updated == HEAD + ('    steps:\n      - run: DEPLOY_KEY=x; echo "${DEPLOY_KEY_2}"\n'
                                     "        env:\n          DEPLOY_KEY: ${{ secrets.DEPLOY_KEY }}\n"
                                     "          DEPLOY_KEY_2: ${{ secrets.DEPLOY_KEY }}\n")
