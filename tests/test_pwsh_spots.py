"""fixbot.kb.pwsh_spots: the quoting of literal text in PowerShell scripts, and what reads an
environment variable in its place (exact outputs; the rules are in docs/transforms/secrets.md)."""

from __future__ import annotations

import pytest

from fixbot.kb import pwsh_spots

S = "ghp_4axxvSx90PAVUkPllUcNHFI2lkZR1WHFgfhL"  # fake


def rewrite(script: str, literal: str = S, var: str = "TOK") -> str:
    """``script`` with its (first) ``literal`` read from ``$env:var``, or the reason it stays."""
    parsed = pwsh_spots.read(script)
    assert parsed.error is None, parsed.error
    at = script.index(literal)
    end = at + len(literal)
    seg = next(g for g in parsed.segments if g.start <= at and end <= g.end)
    spots = parsed.splice(seg, [(at, end, var)])
    if isinstance(spots, str):
        return "left: " + spots
    [(lo, hi, new)] = spots
    return script[:lo] + new + script[hi:]


@pytest.mark.parametrize(("script", "want"), [
    # expandable strings: ${env:NAME}, braced so that what follows cannot extend the name
    (f'Write-Host "token {S}ok"', 'Write-Host "token ${env:TOK}ok"'),
    (f'$h = @{{ Authorization = "Bearer {S}" }}', '$h = @{ Authorization = "Bearer ${env:TOK}" }'),
    (f'"a $x {S} $(Get-Date)" | Out-File f', '"a $x ${env:TOK} $(Get-Date)" | Out-File f'),
    (f'$b = @"\nAuthorization: token {S}\n"@\n', '$b = @"\nAuthorization: token ${env:TOK}\n"@\n'),
    # a whole single-quoted string: $env:NAME
    (f"$env:GH_TOKEN = '{S}'\n", "$env:GH_TOKEN = $env:TOK\n"),
    (f"gh auth login -Token '{S}' -X", "gh auth login -Token $env:TOK -X"),
    (f"cmd -Token:'{S}'", "cmd -Token:$env:TOK"),
    (f"[Environment]::SetEnvironmentVariable('T', '{S}')",
     "[Environment]::SetEnvironmentVariable('T', $env:TOK)"),
    (f"& '{S}' x", "& $env:TOK x"),
    # part of one: closed and concatenated inside parentheses
    (f"Invoke-WebRequest -Uri 'https://bob:{S}@h/x' -OutFile o",
     "Invoke-WebRequest -Uri ('https://bob:' + $env:TOK + '@h/x') -OutFile o"),
    (f"$m = 'it''s {S}'", "$m = ('it''s ' + $env:TOK)"),
    (f"$m = '{S};x'", "$m = ($env:TOK + ';x')"),
    (f"$h = 'Bearer {S} {{0}}' -f $x", "$h = ('Bearer ' + $env:TOK + ' {0}') -f $x"),
    (f"$h = @{{ Authorization = 'Bearer {S}' }}", "$h = @{ Authorization = ('Bearer ' + $env:TOK) }"),
    (f"cmd -Body ('x' + 'token {S}')", "cmd -Body ('x' + ('token ' + $env:TOK))"),
    # a bare word: $env:NAME when it is the whole word, ${env:NAME} inside one
    (f"docker login -u me -p {S}\n", "docker login -u me -p $env:TOK\n"),
    (f"git clone https://x:{S}@github.com/a/b.git", "git clone https://x:${env:TOK}@github.com/a/b.git"),
    (f"git push https://x:{S}@github.com/$env:R", "git push https://x:${env:TOK}@github.com/$env:R"),
    (f"cmd {S}@host", "cmd ${env:TOK}@host"),
    (f"cmd -T:{S}", "cmd -T:$env:TOK"),
    (f"Write-Host 'é'\ncmd {S}", "Write-Host 'é'\ncmd $env:TOK"),
    (f"./deploy.ps1 -Token {S}\n", "./deploy.ps1 -Token $env:TOK\n"),
    (f"Start-Job {{ cmd '{S}' }}", "Start-Job { cmd $env:TOK }"),  # a child process: env inherited
    (f"$s = @\"\n{S}\n\"@\n", "$s = @\"\n${env:TOK}\n\"@\n"),
])
def test_rewritten(script: str, want: str) -> None:
    assert rewrite(script) == want


@pytest.mark.parametrize(("script", "why"), [
    (f"# old token {S}", "it is in a comment"),
    (f"<#\n {S}\n#>", "it is in a comment"),
    (f"$t = @'\n{S}\n'@", "it is in a verbatim here-string (@'…'@), which expands no variable"),
    (f'Write-Host "a`{S}"', "it is written with backtick escapes"),
    (f"cmd 'a','{S}'", "it is part of a single-quoted string that does not stand alone"),
    (f"cmd 'x{S}'.Length", "it is part of a single-quoted string that does not stand alone"),
    (f"$n = '{S}'.Length", "it is part of a single-quoted string that does not stand alone"),
    (f"cmd {S}.txt", "a variable at the start of that word would read what follows as a member"),
    (f"cmd x`t{S}", "it is in a bare word that also holds quotes, variables or backtick escapes"),
    (f"cmd a'y'{S}", "it is in a bare word that also holds quotes, variables or backtick escapes"),
    (f"cmd $x{S}", "it is not in a string or argument fixbot can rewrite"),  # a variable's name
    (f'Write-Host "$env:A:{S}"', "it is glued to a variable's name"),
    (f"cmd --% /p:{S}", "it follows `--%`, which passes the rest of the line as written"),
    (f"{S} run", "it is a command name"),
    (f"function f {{ param([Parameter(HelpMessage='{S}')]$x) }}",
     "it is in an attribute, whose arguments must be constants"),
    (f"switch ($x) {{ '{S}' {{ 1 }} }}", "it is a `switch` label"),
    (f"$h = @{{ '{S}' = 1 }}", "it is a hashtable key"),
    (f"'x' > '{S}'", "it is a redirection target"),
    (f"Invoke-Command -ComputerName web1 -ScriptBlock {{ cmd '{S}' }}",
     "it is in a script block Invoke-Command may run on another computer, where the step's "
     "environment is not set"),
])
def test_left_alone(script: str, why: str) -> None:
    assert rewrite(script) == "left: " + why


def test_segments_and_names() -> None:
    script = ("$env:GH_TOKEN = 'a'\n$key = \"b $x c\"\n[Environment]::SetEnvironmentVariable('NPM_TOKEN', 'd')\n"
              "cmd e # f\n")
    got = [(g.quoting, script[g.start:g.end], g.name) for g in pwsh_spots.read(script).segments
           if g.quoting != "other"]
    assert got == [("single", "a", "GH_TOKEN"), ("double", "b ", "key"), ("double", " c", "key"),
                   ("single", "NPM_TOKEN", None), ("single", "d", "NPM_TOKEN"), ("bare", "e", None),
                   ("comment", "# f", None)]


def test_expressions() -> None:
    script = ("cmd ${{ secrets.A }} \"x ${{ secrets.B }}\" '${{ secrets.C }}' 'p ${{ secrets.D }}'\n"
              "# ${{ secrets.E }}\n")
    parsed = pwsh_spots.read(script)
    assert [seg.quoting if seg else None for _, _, seg in parsed.expressions] == [
        "bare", "double", "single", "single", "comment"]
    out = script
    for lo, hi, seg in reversed(parsed.expressions):
        assert seg is not None
        spots = parsed.splice(seg, [(lo, hi, script[lo:hi].split(".")[1][0])])
        if not isinstance(spots, str):
            [(a, b, new)] = spots
            out = out[:a] + new + out[b:]
    assert out == ("cmd $env:A \"x ${env:B}\" $env:C ('p ' + $env:D)\n"
                   "# ${{ secrets.E }}\n")


def test_several_in_one_string() -> None:
    """A single-quoted string holding several is replaced once, as a whole."""
    script = "$auth = '${{ secrets.USER }}:${{ secrets.PASS }}'\n"
    parsed = pwsh_spots.read(script)
    seg = parsed.expressions[0][2]
    assert seg is not None and seg is parsed.expressions[1][2]
    spans = [(lo, hi, script[lo:hi].split(".")[1].split()[0]) for lo, hi, _ in parsed.expressions]
    assert parsed.splice(seg, spans) == [(8, 49, "($env:USER + ':' + $env:PASS)")]
    word = f"git push https://{S}:{S}@h/x"
    parsed = pwsh_spots.read(word)
    seg = next(g for g in parsed.segments if g.quoting == "bare")
    at = word.index(S)
    assert parsed.splice(seg, [(at + len(S) + 1, at + 2 * len(S) + 1, "B"), (at, at + len(S), "A")]) == [
        (at, at + len(S), "${env:A}"), (at + len(S) + 1, at + 2 * len(S) + 1, "${env:B}")]


def test_unreadable_scripts() -> None:
    assert pwsh_spots.read("cmd --token=x").error == "the PowerShell script cannot be parsed"
    assert "typographic" in (pwsh_spots.read("Write-Host \u201cx\u201d").error or "")


def test_crlf_offsets() -> None:
    parsed = pwsh_spots.read(f"cmd a\r\ncmd '{S}'\r\n")
    assert parsed.text == f"cmd a\ncmd '{S}'\n"
    seg = next(g for g in parsed.segments if g.quoting == "single")
    assert parsed.text[seg.start:seg.end] == S
