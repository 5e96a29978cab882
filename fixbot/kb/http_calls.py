"""curl, wget and PowerShell web cmdlets calling the GitHub REST API."""

from __future__ import annotations

import re

from fixbot.kb.collect import Collector, compact_exprs, rest_call
from fixbot.kb.shell_lex import Lexed

# --- curl / wget ----------------------------------------------------------------------------

_API_HOST = re.compile(r"(api|uploads)\.github\.com|GITHUB_API_URL|github\.api_url|/api/v3/", re.IGNORECASE)
# flags whose value is a request body (curl, wget, Invoke-RestMethod)
_DATA_FLAGS = frozenset({
    "-d", "--data", "--data-raw", "--data-binary", "--data-urlencode", "-F", "--form", "--post-data",
    "--post-file", "--body-data", "-Body",
})
# flags that take a value
_HTTP_VALUE = _DATA_FLAGS | frozenset({
    "-X", "--request", "-H", "--header", "-T", "--upload-file", "-o", "--output",
    "-u", "--user", "-A", "--user-agent", "-w", "--write-out", "--retry", "-m",
    "--max-time", "--method", "-O", "--output-document", "-Method", "-Uri", "-Headers", "-InFile",
    "-OutFile", "-ContentType",
})


def http_call(lexed: Lexed, prog: str, args: list[str], out: Collector) -> None:
    method: str | None = None
    url: str | None = None
    auth: list[str] = []
    body = False
    i = 0
    while i < len(args):
        a = args[i]
        flag, eq, val = a.partition("=")
        if a.startswith("--") and eq:
            a, value, step = flag, val, 1
        elif a in _HTTP_VALUE:
            value, step = (args[i + 1] if i + 1 < len(args) else ""), 2
        elif len(a) > 2 and a[:2] in ("-X", "-H", "-d"):
            a, value, step = a[:2], a[2:], 1
        elif a.startswith("-") and not a.startswith("-Uri"):
            i += 1
            continue
        else:
            if url is None and _API_HOST.search(lexed.restore(a)):
                url = lexed.restore(a)
            i += 1
            continue
        if a in ("-X", "--request", "--method", "-Method"):
            method = value.upper()
        elif a in ("-H", "--header", "-Headers"):
            if "authorization" in lexed.restore(value).lower():
                auth.append(lexed.restore(value))
        elif a in ("-u", "--user"):
            auth.append(lexed.restore(value))
        elif a in ("-T", "--upload-file", "-InFile"):
            method = method or ("PUT" if a != "-InFile" else "POST")
        elif a in _DATA_FLAGS:
            body = True
        elif a == "-Uri" and _API_HOST.search(lexed.restore(value)):
            url = lexed.restore(value)
        i += step
    if url is None:
        return
    if prog in ("invoke-restmethod", "invoke-webrequest", "irm", "iwr") and not auth:
        auth = ["?"]  # pwsh passes headers as hashtables we do not parse; assume authenticated
    if not auth:
        return  # anonymous request: the job token is not used
    if all(_other_credential_text(h) for h in auth):
        return
    url = compact_exprs(url)
    m = re.search(r"(?:github\.com|GITHUB_API_URL\}?|github\.api_url\}\}|/api/v3)(/[^\s\"']*)", url)
    path = m.group(1) if m else url
    rest_call(lexed, method or ("POST" if body else "GET"), path, out, prog)


def _other_credential_text(text: str) -> bool:
    low = text.lower().replace(" ", "")
    if "${{" not in low:
        return False
    return "github.token" not in low and "secrets.github_token" not in low
