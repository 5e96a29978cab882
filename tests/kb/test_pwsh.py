"""PowerShell ``run:`` scripts read with tree-sitter-powershell (fixbot.kb.pwsh)."""

from __future__ import annotations

from typing import Any

import pytest

from fixbot.kb.pwsh import parse_pwsh
from fixbot.kb.shell import Assignment, Command

from .test_coverage import CORPUS


def cmd(program: str, *args: str, line: int = 1, text: str, path: str | None = None,
        wrappers: tuple[str, ...] = ()) -> Command:
    return Command(program, args, {}, text, line, program if path is None else path, wrappers)


# (id, script, exact Script.items)
ITEMS: list[tuple[str, str, tuple[Command | Assignment, ...]]] = [
    (
        "hash-in-quoted-message",
        'git commit -am "Fix #42: bump" # not an argument\ngit push origin HEAD:main',
        (
            cmd("git", "commit", "-am", "Fix #42: bump", text='git commit -am "Fix #42: bump"'),
            cmd("git", "push", "origin", "HEAD:main", line=2, text="git push origin HEAD:main"),
        ),
    ),
    (
        "backtick-continuations",
        'gh pr comment ${{ github.event.pull_request.number }} `\n    --body "Preview is `"ready`"" `\n'
        "    --repo $env:GITHUB_REPOSITORY",
        (
            cmd("gh", "pr", "comment", "${{ github.event.pull_request.number }}", "--body",
                'Preview is "ready"', "--repo", "$env:GITHUB_REPOSITORY",
                text='gh pr comment ${{ github.event.pull_request.number }} `\n    --body "Preview is `"ready`"" '
                     "`\n    --repo $env:GITHUB_REPOSITORY"),
        ),
    ),
    (
        "invoke-restmethod",
        'Invoke-RestMethod -Uri "$env:GITHUB_API_URL/repos/${{ github.repository }}/labels" '
        '-Headers @{ Authorization = "Bearer $env:GITHUB_TOKEN" } -Method Post',
        (
            cmd("invoke-restmethod", "-Uri", "$env:GITHUB_API_URL/repos/${{ github.repository }}/labels",
                "-Headers", '@{ Authorization = "Bearer $env:GITHUB_TOKEN" }', "-Method", "Post",
                path="Invoke-RestMethod",
                text='Invoke-RestMethod -Uri "$env:GITHUB_API_URL/repos/${{ github.repository }}/labels" '
                     '-Headers @{ Authorization = "Bearer $env:GITHUB_TOKEN" } -Method Post'),
        ),
    ),
    (
        "env-token-then-gh",
        '$env:GH_TOKEN = "${{ github.token }}"\ngh release create "v$version" --generate-notes',
        (
            Assignment("GH_TOKEN", "${{ github.token }}", True, 1),
            cmd("gh", "release", "create", "v$version", "--generate-notes", line=2,
                text='gh release create "v$version" --generate-notes'),
        ),
    ),
    (
        "plain-variable",
        "$tag = 'v1.2'\ngit tag $tag",
        (Assignment("tag", "v1.2", False, 1), cmd("git", "tag", "$tag", line=2, text="git tag $tag")),
    ),
    (
        "call-variable-is-dynamic",
        "& $exe --version",
        (cmd("", "--version", path="$exe", text="& $exe --version"),),
    ),
    (
        "call-expression-is-dynamic",
        '& "${{ inputs.tool }}" sync',
        (cmd("", "sync", path="${{ inputs.tool }}", text='& "${{ inputs.tool }}" sync'),),
    ),
    (
        "iex-variable-is-dynamic",
        "iex $script",
        (cmd("", "$script", path="$script", text="iex $script", wrappers=("invoke-expression",)),),
    ),
    (
        "iex-pipeline-input-is-dynamic",
        "irm https://example.invalid/install.ps1 | iex",
        (
            cmd("irm", "https://example.invalid/install.ps1", text="irm https://example.invalid/install.ps1"),
            cmd("", path="", text="iex", wrappers=("invoke-expression",)),
        ),
    ),
    (
        "iex-literal-is-read",
        "Invoke-Expression -Command 'git fetch --tags'",
        (cmd("git", "fetch", "--tags", text="git fetch --tags"),),
    ),
    (
        "start-process",
        "Start-Process -FilePath git -ArgumentList 'push','--tags' -Wait -NoNewWindow",
        (
            cmd("git", "push", "--tags", wrappers=("start-process",),
                text="Start-Process -FilePath git -ArgumentList 'push','--tags' -Wait -NoNewWindow"),
        ),
    ),
    (
        "start-process-positional-string",
        'Start-Process "C:\\tools\\gh.exe" "release upload v2 `"my file.zip`"" -Wait',
        (
            cmd("gh", "release", "upload", "v2", "my file.zip", wrappers=("start-process",),
                path="C:\\tools\\gh.exe", text='Start-Process "C:\\tools\\gh.exe" "release upload v2 `"my file.zip`"" -Wait'),
        ),
    ),
    (
        "here-string-is-data",
        '$notes = @"\ngit push --force\nbuilt from $(git rev-parse --short HEAD)\n"@\ngh release edit v1 --notes $notes',
        (
            cmd("git", "rev-parse", "--short", "HEAD", line=3, text="git rev-parse --short HEAD"),
            Assignment("notes", "git push --force\nbuilt from $(git rev-parse --short HEAD)", False, 1),
            cmd("gh", "release", "edit", "v1", "--notes", "$notes", line=5,
                text="gh release edit v1 --notes $notes"),
        ),
    ),
    (
        "verbatim-here-string-is-data",
        "$body = @'\ngh pr merge --admin $(whoami)\n'@",
        (Assignment("body", "gh pr merge --admin $(whoami)", False, 1),),
    ),
    (
        "block-comment",
        "<#\n  git push --force\n#>\ngit status",
        (cmd("git", "status", line=4, text="git status"),),
    ),
    (
        "if-block",
        "if ($IsWindows) { git fetch --depth 1 } else { Write-Host skipped }",
        (
            cmd("git", "fetch", "--depth", "1", text="git fetch --depth 1"),
            cmd("write-host", "skipped", path="Write-Host", text="Write-Host skipped"),
        ),
    ),
    (
        "foreach",
        "foreach ($pkg in Get-ChildItem out\\*.nupkg) {\n  dotnet nuget push $pkg --api-key $env:KEY\n}",
        (
            cmd("get-childitem", "out\\*.nupkg", path="Get-ChildItem", text="Get-ChildItem out\\*.nupkg"),
            cmd("dotnet", "nuget", "push", "$pkg", "--api-key", "$env:KEY", line=2,
                text="dotnet nuget push $pkg --api-key $env:KEY"),
        ),
    ),
    (
        "pipeline-script-block",
        "Get-ChildItem *.md | ForEach-Object { git add $_ }",
        (
            cmd("get-childitem", "*.md", path="Get-ChildItem", text="Get-ChildItem *.md"),
            cmd("git", "add", "$_", text="git add $_"),
            cmd("foreach-object", "{ git add $_ }", path="ForEach-Object", text="ForEach-Object { git add $_ }"),
        ),
    ),
    (
        "subexpression-in-string",
        'Write-Output "sha=$(git rev-parse HEAD)" >> $env:GITHUB_OUTPUT',
        (
            cmd("git", "rev-parse", "HEAD", text="git rev-parse HEAD"),
            cmd("write-output", "sha=$(git rev-parse HEAD)", path="Write-Output",
                text='Write-Output "sha=$(git rev-parse HEAD)" >> $env:GITHUB_OUTPUT'),
        ),
    ),
    (
        "try-catch-finally",
        "try { gh auth status } catch { exit 1 } finally { git config --unset credential.helper }",
        (
            cmd("gh", "auth", "status", text="gh auth status"),
            cmd("git", "config", "--unset", "credential.helper", text="git config --unset credential.helper"),
        ),
    ),
    (
        "crlf",
        "git fetch origin\r\n\r\ngh pr list\r\n",
        (cmd("git", "fetch", "origin", text="git fetch origin"), cmd("gh", "pr", "list", line=3, text="gh pr list")),
    ),
    (
        "call-literal-script",
        "& ./scripts/release.ps1 -Version:2.0\n. .\\tools\\common.ps1",
        (
            cmd("release.ps1", "-Version", "2.0", path="./scripts/release.ps1",
                text="& ./scripts/release.ps1 -Version:2.0"),
            cmd("common.ps1", path=".\\tools\\common.ps1", line=2, text=". .\\tools\\common.ps1"),
        ),
    ),
    (
        "call-quoted-exe-path",
        '& "C:\\Program Files\\GitHub CLI\\gh.exe" auth setup-git',
        (
            cmd("gh", "auth", "setup-git", path="C:\\Program Files\\GitHub CLI\\gh.exe",
                text='& "C:\\Program Files\\GitHub CLI\\gh.exe" auth setup-git'),
        ),
    ),
    (
        "env-path-append-and-set-environment-variable",
        "$env:Path += \";C:\\tools\"\n[Environment]::SetEnvironmentVariable('GH_TOKEN', $secret)\n"
        "[Environment]::SetEnvironmentVariable('X', '1', 'Machine')",
        (Assignment("Path", "$env:Path;C:\\tools", True, 1), Assignment("GH_TOKEN", "$secret", True, 2)),
    ),
    (
        "pwsh-command-and-bash-c",
        "pwsh -NoProfile -Command \"gh pr view\"\nbash -c 'git push origin main'",
        (
            cmd("gh", "pr", "view", text="gh pr view"),
            cmd("git", "push", "origin", "main", line=2, text="git push origin main"),
        ),
    ),
    (
        "function-body-and-call",
        "function Publish-It {\n  git push --tags\n}\nPublish-It",
        (cmd("git", "push", "--tags", line=2, text="git push --tags"), cmd("publish-it", path="Publish-It", line=4,
                                                                            text="Publish-It")),
    ),
    (
        "assignment-from-command-and-cast",
        "[string]$sha = git rev-parse HEAD",
        (cmd("git", "rev-parse", "HEAD", text="git rev-parse HEAD"),
         Assignment("sha", "git rev-parse HEAD", False, 1)),
    ),
    (
        "quoting-and-escapes",
        "git commit -m 'it''s done' --author \"`$me `\"x`\"\" foo\"bar\" a`$b",
        (cmd("git", "commit", "-m", "it's done", "--author", '$me "x"', "foobar", "a$b",
             text="git commit -m 'it''s done' --author \"`$me `\"x`\"\" foo\"bar\" a`$b"),),
    ),
    (
        "curl-alias-kept",
        "curl.exe -fsSL -o gh.zip https://example.invalid/gh.zip\ncurl https://example.invalid",
        (
            cmd("curl", "-fsSL", "-o", "gh.zip", "https://example.invalid/gh.zip", path="curl.exe",
                text="curl.exe -fsSL -o gh.zip https://example.invalid/gh.zip"),
            cmd("curl", "https://example.invalid", line=2, text="curl https://example.invalid"),
        ),
    ),
    (
        "chain-operators",
        "git diff --quiet || git commit -qam wip",
        (cmd("git", "diff", "--quiet", text="git diff --quiet"),
         cmd("git", "commit", "-qam", "wip", text="git commit -qam wip")),
    ),
    (
        "script-block-call",
        "& { gh api user }",
        (cmd("gh", "api", "user", text="gh api user"),),
    ),
    (
        "expression-as-command-is-dynamic",
        "${{ inputs.command }} --verbose",
        (cmd("", "--verbose", path="${{ inputs.command }}", text="${{ inputs.command }} --verbose"),),
    ),
]


@pytest.mark.parametrize(("script", "items"), [pytest.param(s, i, id=n) for n, s, i in ITEMS])
def test_items(script: str, items: tuple[Command | Assignment, ...]) -> None:
    got = parse_pwsh(script)
    assert got.error is None
    assert got.items == items


@pytest.mark.parametrize(
    ("script", "line"),
    [
        pytest.param("git push (\n", 1, id="unclosed-paren"),
        pytest.param("Write-Host 'ok'\nif ($x) { git push\n", 2, id="unclosed-block"),
        pytest.param('gh pr create --title "${{ github.head_ref }}\n', 1, id="unclosed-string"),
        # valid PowerShell the grammar rejects (airbus-cert/tree-sitter-powershell#46, #59,
        # microsoft/vscode#328110): reported as unreadable, never as "runs nothing"
        pytest.param("git fetch\ngit log -1 --format=%H", 2, id="grammar-gap-flag-equals"),
        pytest.param("cargo test -- --nocapture", 1, id="grammar-gap-double-dash"),
        pytest.param("./gradlew.bat build", 1, id="grammar-gap-dot-slash-command"),
    ],
)
def test_syntax_error(script: str, line: int) -> None:
    got = parse_pwsh(script)
    assert got.items == ()
    assert got.error == f"line {line}: the PowerShell script cannot be parsed"


def test_function_names_are_recorded() -> None:
    assert parse_pwsh("function Deploy-Site { gh workflow run deploy }").functions == frozenset({"deploy-site"})


def test_no_placeholder_leaks() -> None:
    script = ('$env:A = "${{ secrets.A }}"\n& "${{ inputs.tool }}" ${{ inputs.args }} "x${{ env.B }}y"\n'
              "iex 'git tag ${{ inputs.tag }}'")
    got = parse_pwsh(script)
    assert got.error is None
    for item in got.items:
        for value in (vars(item)).values():
            assert "_fxe" not in str(value), item
    assert got.commands[-1] == cmd("git", "tag", "${{ inputs.tag }}", line=3, text="git tag ${{ inputs.tag }}")


def _shell(value: Any) -> str | None:
    return value.split()[0].lower() if isinstance(value, str) and value.split() else None


def _default_shell(node: Any) -> str | None:
    defaults = node.get("defaults") if isinstance(node, dict) else None
    run = defaults.get("run") if isinstance(defaults, dict) else None
    return _shell(run.get("shell")) if isinstance(run, dict) else None


def _pwsh_scripts() -> list[tuple[str, str]]:
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe")
    found: list[tuple[str, str]] = []
    for path in sorted(CORPUS.glob("*/*")):
        try:
            doc = yaml.load(path.read_text(encoding="utf-8"))
        except Exception:  # unreadable YAML is test_coverage's business
            continue
        if not isinstance(doc, dict) or not isinstance(doc.get("jobs"), dict):
            continue
        for job in doc["jobs"].values():
            if not isinstance(job, dict) or not isinstance(job.get("steps"), list):
                continue
            runs_on = job.get("runs-on")
            labels = runs_on if isinstance(runs_on, list) else [runs_on]
            windows = any(isinstance(label, str) and "windows" in label.lower() for label in labels)
            default = _default_shell(job) or _default_shell(doc) or ("pwsh" if windows else None)
            for step in job["steps"]:
                if not isinstance(step, dict) or not isinstance(step.get("run"), str):
                    continue
                if (_shell(step.get("shell")) or default) in ("pwsh", "powershell"):
                    found.append((str(path), step["run"]))
    return found


# Measured on the corpus of 2026 (55 repositories, 1259 workflow files): 230 PowerShell run: steps, 186
# read, 44 unreadable. Every one of the 44 is valid PowerShell that tree-sitter-powershell 0.26.4 rejects:
# `--flag=value` / `-Dname=value` arguments (airbus-cert/tree-sitter-powershell#46), a bare `--`
# argument (#59), `./path` or `./x.ps1` at command position (microsoft/vscode#328110), `$env:X\path`
# as a bare argument, `-3.13-arm64`, a one-line `switch` clause and a comma list of strings piped on.
# A better grammar lowers the number: update it then; a higher number is a regression here.
CORPUS_PWSH_SCRIPTS = 230
CORPUS_PARSE_ERRORS = 44


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"workflow corpus not found at {CORPUS} (set FIXBOT_CORPUS)")
def test_corpus_pwsh_scripts() -> None:
    scripts = _pwsh_scripts()
    errors = [(path, s.error) for path, run in scripts if (s := parse_pwsh(run)).error]
    assert (len(scripts), len(errors)) == (CORPUS_PWSH_SCRIPTS, CORPUS_PARSE_ERRORS), errors
