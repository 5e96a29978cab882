"""Wrappers, command strings, piped scripts, aliases, task runners and working directories."""

from __future__ import annotations

import pytest

from fixbot.kb.git_use import git_network, script_call
from fixbot.kb.pwsh import parse_pwsh
from fixbot.kb.script_files import ScriptReader
from fixbot.kb.shell import parse


def _pushes(script: str) -> bool:
    return any(git_network(c) == "push" for c in parse(script).commands)


@pytest.mark.parametrize("script", [
    "flock /tmp/l git push", "git tag | parallel git push origin {}", "watch -n 10 -g git push",
    "setsid -w git push", "xvfb-run -a git push", "sudo runuser -u runner -- git push",
    "poetry run git push", "nix develop --command git push", "env -S 'git push origin HEAD'",
    "sudo su runner -c 'git push'", "script -q -e -c 'git push' /dev/null",
    "trap 'git push' EXIT", "find . -exec git push origin HEAD \\;", "coproc git push",
    "bash -o pipefail -c 'git push'", "echo 'git push' | bash", "cat <<'EOF' | bash\ngit push\nEOF\n",
    "alias p='git push origin HEAD'\np", "git config alias.ship push\ngit ship origin HEAD",
    "git lfs push origin main", "git send-pack origin HEAD", "git annex sync --content",
])
def test_push_is_found(script: str) -> None:
    assert _pushes(script)


@pytest.mark.parametrize("script", [
    "curl -fsSL https://example.com/i.sh | bash",
    'docker run --rm -v "$PWD:/w" alpine/git push',
    "echo \"$X\" | sh",
])
def test_unknown_is_a_dynamic_command(script: str) -> None:
    assert any(c.dynamic for c in parse(script).commands)


def test_plain_pipes_and_aliases_stay_quiet() -> None:
    assert not any(c.dynamic for c in parse("echo hi | cat\nalias ls='ls -la'\nls x").commands)


def test_pwsh_set_alias_and_backslash_paths() -> None:
    cmds = parse_pwsh("Set-Alias -Name ship -Value git\nship push").commands
    assert any(c.program == "git" and c.args == ("push",) for c in cmds)
    call = script_call(parse_pwsh(".\\scripts\\ship.ps1").commands[0])
    assert call == ("scripts/ship.ps1", "pwsh")


def _reader(files: dict[str, str]) -> ScriptReader:
    return ScriptReader(files.get)


@pytest.mark.parametrize(("files", "run"), [
    ({"package.json": '{"scripts":{"ship":"git push"}}'}, "npm run ship"),
    ({"package.json": '{"scripts":{"postversion":"git push"}}'}, "npm version patch"),
    ({"package.json": '{"scripts":{"test":"node t.js && git push"}}'}, "npm test"),
    ({"package.json": '{"scripts":{"ship":"git push"}}'}, "yarn ship"),
    ({"Makefile": "X = git\nall: docs\ndocs:\n\t@$(X) push\n"}, "make"),
    ({"justfile": "update:\n    git push\n"}, "just update"),
    ({"tools/ship.sh": "git push\n"}, "cd tools\n./ship.sh"),
])
def test_task_runners_and_directories(files: dict[str, str], run: str) -> None:
    step = _reader(files).run_step(run, "", {}, True)
    assert step.analysis.git_uses, step


def test_working_directory_and_github_path() -> None:
    files = {"tools/ship.sh": "git push\n", "bin/ship": "#!/bin/sh\ngit push\n"}
    assert _reader(files).run_step("./ship.sh", "", {}, True, cwd="tools").analysis.git_uses
    first = _reader(files).run_step('echo "$GITHUB_WORKSPACE/bin" >> "$GITHUB_PATH"', "", {}, True)
    assert "path:bin" in first.analysis.stores
    later = _reader(files).run_step("ship", "", {}, True, frozenset(first.analysis.stores))
    assert later.analysis.git_uses


def test_make_variable_program_is_unknown() -> None:
    step = _reader({"Makefile": "all:\n\t$(TOOL) run\n"}).run_step("make", "", {}, True)
    assert step.analysis.unknown


def test_cd_to_a_variable_makes_relative_scripts_unknown() -> None:
    step = _reader({}).run_step('cd "$DIR"\n./x.sh', "", {}, True)
    assert step.analysis.unknown
