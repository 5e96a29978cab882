"""File writes through pipes, here-strings, ``sed -i`` and descriptors (bash), and PowerShell's
redirections, file cmdlets, splats and ``cmd /c``."""

from __future__ import annotations

from fixbot.kb.pwsh import parse_pwsh
from fixbot.kb.scripts import analyze_commands
from fixbot.kb.shell import FileWrite, parse

TOKEN = {"T": "${{ github.token }}"}


def _writes(items: tuple[object, ...]) -> list[tuple[str, str]]:
    return [(i.target, i.content) for i in items if isinstance(i, FileWrite)]


def test_pipe_into_tee_and_sudo_tee_and_dd() -> None:
    assert ("~/.netrc", 'echo "$T"') in _writes(parse('echo "$T" | tee -a ~/.netrc >/dev/null').items)
    assert _writes(parse('printf %s "$T" | sudo tee /root/.netrc').items) == [
        ("/root/.netrc", 'printf %s "$T"')]
    assert _writes(parse('echo "$T" | dd of=$HOME/.netrc status=none').items) == [
        ("$HOME/.netrc", 'echo "$T"')]
    assert _writes(parse("echo x | sponge f").items) == [("f", "echo x")]
    assert _writes(parse("echo x | grep x").items) == []


def test_herestring_install_sed_and_fd() -> None:
    w = _writes(parse('install -m 600 /dev/stdin ~/.netrc <<< "$T"').items)
    assert [t for t, _ in w] == ["~/.netrc"] and "$T" in w[0][1]
    assert [t for t, _ in _writes(parse('sed -i "s/X/$T/" .npmrc').items)] == [".npmrc"]
    assert [t for t, _ in _writes(parse("sed -i.bak -e s/a/b/ a b").items)] == ["a", "b"]
    assert _writes(parse("sed s/a/b/ a").items) == []
    items = parse('exec 3> ~/.netrc\necho "$T" >&3\necho x 2>&1').items
    assert _writes(items)[-1] == ("~/.netrc", 'echo "$T"')
    assert len(_writes(items)) == 2


def test_token_writes_are_stores() -> None:
    for script in ('echo "$T" | tee -a ~/.netrc', 'echo "$T" | sudo tee /root/.netrc >/dev/null',
                   'echo "$T" | dd of=$HOME/.netrc', 'install -m600 /dev/stdin ~/.netrc <<< "$T"',
                   'exec 3> ~/.netrc\necho "$T" >&3', 'sed -i "s/X/$T/" .npmrc'):
        assert "disk" in analyze_commands(parse(script), TOKEN, False).stores, script


def test_github_path_dirs() -> None:
    assert parse('echo "$(realpath bin)" >> "$GITHUB_PATH"').path_dirs == ("bin",)
    assert parse('echo "$GITHUB_WORKSPACE/bin" | tee -a "$GITHUB_PATH"').path_dirs == (
        "$GITHUB_WORKSPACE/bin",)
    assert parse('some-tool | tee -a "$GITHUB_PATH"').path_dirs == ("?",)


def test_untold_github_path_makes_later_bare_commands_unknown() -> None:
    first = analyze_commands(parse('echo "$(go env GOPATH)/bin" >> "$GITHUB_PATH"'), {}, True)
    assert "path:?" in first.stores
    assert analyze_commands(parse("docs-update"), {}, True, stores=frozenset(first.stores)).unknown
    assert not analyze_commands(parse("docs-update"), {}, False,
                                stores=frozenset(first.stores)).unknown
    told = analyze_commands(parse('echo "$HOME/.local/bin" >> "$GITHUB_PATH"'), {}, True)
    assert "path:?" not in told.stores


def test_pwsh_writes() -> None:
    assert _writes(parse_pwsh('"x $env:T" > ~/.netrc').items) == [("~/.netrc", '"x $env:T"')]
    assert _writes(parse_pwsh('"x" | Out-File -FilePath ~/.netrc -Encoding ascii').items) == [
        ("~/.netrc", '"x"')]
    assert _writes(parse_pwsh("Set-Content ~/.netrc 'x'").items) == [("~/.netrc", "x")]
    assert _writes(parse_pwsh('"x" > $null').items) == []
    got = parse_pwsh('Add-Content -Path $env:GITHUB_PATH -Value "$env:GITHUB_WORKSPACE/bin"')
    assert got.path_dirs == ("$env:GITHUB_WORKSPACE/bin",)
    assert parse_pwsh('"$env:GITHUB_WORKSPACE/bin" >> $env:GITHUB_PATH').path_dirs == (
        "$env:GITHUB_WORKSPACE/bin",)
    assert parse_pwsh('"bin" | Out-File -Append $env:GITHUB_PATH').path_dirs == ("bin",)


def test_pwsh_arrays_splats_and_cmd() -> None:
    sp = parse_pwsh("Start-Process git -ArgumentList @('push', 'origin') -Wait").commands
    assert [(c.program, c.args) for c in sp] == [("git", ("push", "origin"))]
    sp = parse_pwsh("$a = @('push', 'origin')\n& git @a").commands
    assert [(c.program, c.args) for c in sp] == [("git", ("push", "origin"))]
    assert parse_pwsh("& git @unknown").commands[0].dynamic
    twice = parse_pwsh("$a = @('status')\n$a = @('push')\n& git @a").commands
    assert twice[0].dynamic
    got = parse_pwsh('cmd /c "git push origin HEAD:x"').commands
    assert [(c.program, c.args) for c in got] == [("git", ("push", "origin", "HEAD:x"))]
    got = parse_pwsh('cmd.exe /c "echo a && git push"').commands
    assert [c.program for c in got] == ["echo", "git"]
    assert parse_pwsh('cmd /c "$env:X"').commands[0].dynamic
