"""Regression tests for the wrong fixes found in review (issue 7, items 2-9 and 14).

Each case is a workflow (and, where it matters, repository files) that the previous analysis got
wrong; each asserts the exact outcome through the engine: the job's resulting permissions (or that
it was left as it is) and whether the checkout keeps its credentials.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from fixbot import engine
from fixbot.files import repo_reader
from fixbot.transforms import REGISTRY
from fixbot.workflow import RepoContext


@dataclass(frozen=True)
class Outcome:
    perms: object  # job t's effective permissions after the fix ("default": none anywhere)
    persisted: bool  # its checkout keeps the credentials
    notes: str  # every note, joined


def run(tmp_path: Path, workflow: str, files: dict[str, str] | None = None,
        transform: str = "permissions") -> Outcome:
    for rel, body in (files or {}).items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(body)
    result = engine.process("t.yml", workflow, [REGISTRY[transform]], RepoContext(repo_reader(tmp_path)))
    assert result.status != "error", result.error
    text = result.updated if result.status == "changed" else workflow
    data = YAML(typ="safe").load(text)
    job = data["jobs"]["t"]
    perms = job.get("permissions", data.get("permissions", "default"))
    checkout = next((s for s in job["steps"] if "actions/checkout" in str(s.get("uses", ""))), {})
    persisted = (checkout.get("with") or {}).get("persist-credentials") is not False
    return Outcome(perms, persisted, " ".join(n.message for n in result.notes))


def job(steps: str, env: str = "") -> str:
    return ("on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n" + env +
            "    steps:\n      - uses: actions/checkout@v4\n" + steps)


# item 2: a `#` inside quotes does not hide the rest of the line
def test_hash_in_quotes_keeps_the_push(tmp_path: Path) -> None:
    wf = job('      - run: |\n          git commit -am "release #123" && git push\n')
    assert run(tmp_path, wf).perms == {"contents": "write"}
    assert run(tmp_path, wf, transform="persist-credentials").persisted is True


# item 5: here-strings, ANSI-C strings and wrappers
@pytest.mark.parametrize("script, expected", [
    ('grep -q x <<< "$s"\ngh issue close 3', {"contents": "read", "issues": "write"}),
    ("echo $'it\\'s' ; gh issue close 3", {"contents": "read", "issues": "write"}),
    ("timeout 600 gh release create v1", {"contents": "write"}),
    ("nice -n 5 gh pr comment 1 -b hi", {"contents": "read", "pull-requests": "write"}),
    ("env FOO=1 gh pr close 2", {"contents": "read", "pull-requests": "write"}),
])
def test_shell_forms(tmp_path: Path, script: str, expected: dict[str, str]) -> None:
    wf = job("      - run: |\n" + "".join(f"          {ln}\n" for ln in script.splitlines())
             + "        env:\n          GH_TOKEN: ${{ github.token }}\n")
    assert run(tmp_path, wf).perms == expected


def test_timeout_reports_the_program_it_runs(tmp_path: Path) -> None:
    wf = job("      - run: timeout 600 some-deployer --go\n"
             "        env:\n          GH_TOKEN: ${{ github.token }}\n")
    out = run(tmp_path, wf)
    assert out.perms == "default"
    assert "`some-deployer` runs with the job token" in out.notes and "`600`" not in out.notes


def test_unparsable_script_is_unknown(tmp_path: Path) -> None:
    wf = job("      - run: |\n          BODY=\"${BODY//$'\\n'/$'\\n'> }\"\n          gh issue create -F - <<< \"$BODY\"\n"
             "        env:\n          GH_TOKEN: ${{ github.token }}\n")
    out = run(tmp_path, wf)
    assert out.perms == "default" and "cannot be parsed" in out.notes


# item 3: curl auth forms that are not read are unknown
@pytest.mark.parametrize("curl", [
    'curl -H "$AUTH" https://api.github.com/repos/o/r/issues -d x',
    "curl --oauth2-bearer \"$T\" -X POST https://api.github.com/repos/o/r/dispatches",
    "curl -K auth.cfg https://api.github.com/repos/o/r/issues -d x",
    "curl --netrc https://api.github.com/repos/o/r/issues -d x",
    "curl -H @headers.txt https://api.github.com/repos/o/r/issues -d x",
])
def test_curl_auth_forms(tmp_path: Path, curl: str) -> None:
    wf = job(f"      - run: {curl}\n        env:\n          T: ${{{{ github.token }}}}\n")
    perms = run(tmp_path, wf).perms
    if "--oauth2-bearer" in curl:  # read: a bearer token from the job's env creates a dispatch
        assert perms == {"contents": "write"}
    else:  # not read: the job is left as it is
        assert perms == "default"


# item 4: Python scripts are read with libcst, not as shell
def test_python_script_that_pushes(tmp_path: Path) -> None:
    files = {"scripts/bump.py": 'import subprocess\nsubprocess.run(["git", "push"], check=True)\n'}
    wf = job("      - run: python scripts/bump.py\n")
    assert run(tmp_path, wf, files).perms == {"contents": "write"}
    assert run(tmp_path, wf, files, "persist-credentials").persisted is True


def test_javascript_script_is_unknown(tmp_path: Path) -> None:
    """No parser reads the script; only git's persisted credentials reach it, so what it may do
    is bounded by a push: `contents: write` is kept (and the checkout keeps its credentials)."""
    files = {"scripts/bump.js": 'require("child_process").execSync("git push")\n'}
    wf = job("      - run: node scripts/bump.js\n")
    out = run(tmp_path, wf, files)
    assert out.perms == {"contents": "write"}
    result = engine.process("t.yml", wf, [REGISTRY["permissions"]],
                            RepoContext(repo_reader(tmp_path)))
    assert "a node script, which no parser here reads, and could push" in \
        result.changes[-1].explanation
    assert run(tmp_path, wf, files, "persist-credentials").persisted is True


# item 6: credentials setup steps write to disk
def test_setup_dotnet_then_nuget_push(tmp_path: Path) -> None:
    wf = job("      - uses: actions/setup-dotnet@v4\n        with:\n"
             "          source-url: https://nuget.pkg.github.com/o/index.json\n"
             "        env:\n          NUGET_AUTH_TOKEN: ${{ github.token }}\n"
             "      - run: dotnet nuget push out/*.nupkg\n")
    assert run(tmp_path, wf).perms == {"contents": "read", "packages": "write"}


def test_docker_login_action_then_push(tmp_path: Path) -> None:
    wf = job("      - uses: docker/login-action@v3\n        with:\n          registry: ghcr.io\n"
             "          username: x\n          password: ${{ github.token }}\n"
             "      - run: docker push ghcr.io/o/img:1\n")
    assert run(tmp_path, wf).perms == {"contents": "read", "packages": "write"}


def test_gh_auth_setup_git_then_push(tmp_path: Path) -> None:
    wf = ("on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
          "      - uses: actions/checkout@v4\n        with:\n          persist-credentials: false\n"
          "      - run: gh auth setup-git\n        env:\n          GH_TOKEN: ${{ github.token }}\n"
          "      - run: git push origin HEAD\n")
    assert run(tmp_path, wf).perms == {"contents": "write"}


# item 7: gh needs depend on flags
def test_gh_pr_view_closing_issues(tmp_path: Path) -> None:
    wf = job("      - run: gh pr view 1 --json closingIssuesReferences\n"
             "        env:\n          GH_TOKEN: ${{ github.token }}\n")
    assert run(tmp_path, wf).perms == {"contents": "read", "issues": "read", "pull-requests": "read"}


# item 8: a SHA is not a version
def test_sha_pinned_checkout_uses_its_comment(tmp_path: Path) -> None:
    sha = "0ad4b8fadaa221de15dcec353f45205ec38ea70b"
    base = ("on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
            f"      - uses: actions/checkout@{sha}{{}}\n      - run: make\n")
    assert run(tmp_path, base.format("  # v4.1.4"), transform="persist-credentials").persisted is False
    out = run(tmp_path, base.format(""), transform="persist-credentials")
    assert out.persisted is True and "cannot be told (a commit SHA needs a `# vX` comment)" in out.notes


# item 9: an action the knowledge base does not know may use the persisted credentials
def test_unknown_action_keeps_credentials(tmp_path: Path) -> None:
    wf = job("      - uses: some-org/unheard-of-action@v1\n")
    out = run(tmp_path, wf, transform="persist-credentials")
    assert out.persisted is True
    assert "`some-org/unheard-of-action` is not in the knowledge base" in out.notes


# item 14: no placeholder in notes; an expression in `shell:` is not "inside the script"
def test_expression_script_note_has_no_placeholder(tmp_path: Path) -> None:
    wf = ("on:\n  workflow_dispatch:\n    inputs:\n      cmd:\n        type: string\n"
          "jobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
          "      - run: ${{ inputs.cmd }}\n        env:\n          GH_TOKEN: ${{ github.token }}\n")
    out = run(tmp_path, wf)
    assert out.perms == "default"
    assert "${{ inputs.cmd }}" in out.notes
    assert "fixbot_expr" not in out.notes.lower() and "_fxe" not in out.notes


def test_matrix_shell_is_a_shell_choice(tmp_path: Path) -> None:
    wf = job("      - run: gh pr comment 1 -b hi\n        shell: ${{ matrix.shell }}\n"
             "        env:\n          GH_TOKEN: ${{ github.token }}\n")
    out = run(tmp_path, wf)
    assert out.perms == "default"
    assert "the shell is chosen by an expression (`${{ matrix.shell }}`)" in out.notes


# Windows runners run `run:` steps in pwsh by default: read them as PowerShell
def test_windows_default_shell_is_pwsh(tmp_path: Path) -> None:
    wf = ("on: push\njobs:\n  t:\n    runs-on: windows-latest\n    steps:\n"
          "      - uses: actions/checkout@v4\n"
          "      - run: $env:GH_TOKEN = \"${{ github.token }}\"; gh release create v1\n")
    assert run(tmp_path, wf).perms == {"contents": "write"}


def test_matrix_runner_that_may_be_windows_reads_both(tmp_path: Path) -> None:
    wf = ("on: push\njobs:\n  t:\n    runs-on: ${{ matrix.os }}\n    strategy:\n      matrix:\n"
          "        os: [ubuntu-latest, windows-latest]\n    steps:\n"
          "      - uses: actions/checkout@v4\n"
          "      - run: ./gradlew.bat --version --no-daemon\n        env:\n"
          "          GH_TOKEN: ${{ github.token }}\n")
    out = run(tmp_path, wf)
    assert out.perms == "default" and "PowerShell script cannot be parsed" in out.notes
