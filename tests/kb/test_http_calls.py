"""curl, wget and PowerShell web cmdlets read with their own option rules."""

from __future__ import annotations

import pytest

from fixbot.kb import ScriptAnalysis, analyze_shell, merge_scopes
from fixbot.kb.collect import Collector
from fixbot.kb.http_calls import http_call
from fixbot.kb.pwsh import parse_pwsh
from fixbot.kb.shell import Command

AUTH = '"Authorization: token $GITHUB_TOKEN"'
ISSUE = "https://api.github.com/repos/o/r/issues/1/comments"
RELEASE = "https://api.github.com/repos/o/r/releases/latest"


def scopes(a: ScriptAnalysis) -> dict[str, str]:
    return merge_scopes(*(n.scopes for n in a.needs))


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        # combined short options: the last letter may take the rest of the word or the next word
        (f"curl -sH {AUTH} -d x {ISSUE}", {"issues": "write"}),
        (f"curl -H {AUTH} -sd x {ISSUE}", {"issues": "write"}),
        (f"curl -H {AUTH} -sSfLX POST {ISSUE}", {"issues": "write"}),
        (f"curl -H {AUTH} -sSfLXPOST {ISSUE}", {"issues": "write"}),
        (f"curl -H {AUTH} -sSfL {RELEASE}", {"contents": "read"}),
        # attached values
        (f"curl -H {AUTH} -Fbody=x {ISSUE}", {"issues": "write"}),
        (f"curl -H {AUTH} -dx {ISSUE}", {"issues": "write"}),
        (f"curl -H {AUTH} -T- {ISSUE}", {"issues": "write"}),
        # long options: = form, --expand- prefix, every body option
        (f'curl -H {AUTH} --url="{ISSUE}" -d x', {"issues": "write"}),
        (f"curl -H {AUTH} --url {ISSUE} -d x", {"issues": "write"}),
        (f"curl -H {AUTH} --expand-data x {ISSUE}", {"issues": "write"}),
        (f"curl -H {AUTH} --data-urlencode b=x {ISSUE}", {"issues": "write"}),
        (f"curl -H {AUTH} --json '{{}}' {ISSUE}", {"issues": "write"}),
        (f"curl -H {AUTH} --form-string b=x {ISSUE}", {"issues": "write"}),
        (f"curl --header={AUTH} --data=x {ISSUE}", {"issues": "write"}),
        # -G sends the data in a GET; -I is a HEAD
        (f"curl -H {AUTH} -G -d per_page=100 {RELEASE}", {"contents": "read"}),
        (f"curl -H {AUTH} -I {RELEASE}", {"contents": "read"}),
        # --next: each request on its own
        (f"curl -H {AUTH} {RELEASE} --next -H {AUTH} -d x {ISSUE}",
         {"contents": "read", "issues": "write"}),
        (f"curl -H {AUTH} {RELEASE} -: -d x {ISSUE}", {"contents": "read"}),
        # curl variables: %ENV imported into an expanded header
        (f'curl --variable %GITHUB_TOKEN --expand-header "Authorization: token {{{{GITHUB_TOKEN}}}}" '
         f"-d x {ISSUE}", {"issues": "write"}),
        # wget: getopt clusters and abbreviations
        (f"wget -qO- --header={AUTH} {RELEASE}", {"contents": "read"}),
        (f"wget -q --head {AUTH} --post-data x {ISSUE}", {"issues": "write"}),
    ],
)
def test_http_option_forms(script: str, expected: dict[str, str]) -> None:
    a = analyze_shell(script)
    assert scopes(a) == expected
    assert a.unknown == ()


@pytest.mark.parametrize(
    "script",
    [
        f"curl -H {AUTH} -K- <<< 'url = \"{ISSUE}\"'",
        f"curl -H {AUTH} --config cfg.txt {ISSUE}",
        f"curl -sK cfg.txt {ISSUE}",
        f"curl -n {ISSUE}",
        f'curl -H "$HDR" -d x {ISSUE}',
        f"curl $OPTS {ISSUE}",
        f"wget -e 'header = Authorization: token x' {ISSUE}",
        f"wget -i urls.txt --header={AUTH}",
    ],
)
def test_http_unread_forms_are_unknown(script: str) -> None:
    assert analyze_shell(script).unknown


def test_next_request_alone_decides() -> None:
    # the second request is anonymous: only the first one's need counts
    a = analyze_shell(f"curl -H {AUTH} {RELEASE} --next -d x {ISSUE}")
    assert scopes(a) == {"contents": "read"}


def _pwsh(script: str, env: dict[str, str]) -> Collector:
    out = Collector()
    for cmd in parse_pwsh(script).commands:
        http_call(cmd, env, out)
    return out


def test_pwsh_splatting_is_unknown() -> None:
    script = "$p = @{ Uri = 'https://api.github.com/x'; Method = 'Post' }\nInvoke-WebRequest @p"
    assert _pwsh(script, {"GH_TOKEN": "${{ github.token }}"}).unknown


def test_pwsh_parameters() -> None:
    env = {"GH_TOKEN": "${{ github.token }}"}
    script = (f"Invoke-RestMethod -Meth Post -Head @{{Authorization=\"token $env:GH_TOKEN\"}} "
              f"-Body x {ISSUE}")
    out = _pwsh(script, env)
    assert out.unknown == []
    assert merge_scopes(*(n.scopes for n in out.needs)) == {"issues": "write"}
    out = _pwsh(f"Invoke-RestMethod -Uri:{RELEASE} -Headers $h", env)
    assert out.unknown


def test_curlrc_written_earlier_makes_a_plain_call_unknown() -> None:
    cmd = Command("curl", ("-d", "x", ISSUE), {}, f"curl -d x {ISSUE}", 1)
    out = Collector()
    http_call(cmd, {"GH_TOKEN": "${{ github.token }}"}, out, configured=True)
    assert out.unknown
    out = Collector()
    http_call(Command("curl", ("-q", "-d", "x", ISSUE), {}, "curl -q", 1),
              {"GH_TOKEN": "${{ github.token }}"}, out, configured=True)
    assert out.unknown == []
