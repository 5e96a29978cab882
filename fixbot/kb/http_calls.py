"""curl, wget and PowerShell web cmdlets calling the GitHub REST API.

A call is counted only when its URL is the API. Its credential is read from the forms we know
(``-H "Authorization: ..."``, ``-u user:token``, ``--oauth2-bearer``, ``--header=``, pwsh
``-Headers @{...}``/``-Token``); a credential in a form we do not read (``-H "$AUTH"``, ``-H @file``,
``-K file``, ``--netrc``, ``-Headers $h``) is *unknown* when the job token can reach the command,
never "no token".
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from fixbot.kb.collect import Collector, compact_exprs, rest_call
from fixbot.kb.shell import Command
from fixbot.kb.token import NONE, OTHER, credential

_API_HOST = re.compile(r"(api|uploads)\.github\.com|GITHUB_API_URL|github\.api_url|/api/v3/",
                       re.IGNORECASE)
# flags whose value is a request body (curl, wget, Invoke-RestMethod)
_DATA_FLAGS = frozenset({
    "-d", "--data", "--data-raw", "--data-binary", "--data-urlencode", "--data-ascii", "--json",
    "-F", "--form", "--form-string", "--post-data", "--post-file", "--body-data", "--body-file",
    "-body", "-infile",
})
_AUTH_FLAGS = frozenset({"-u", "--user", "--oauth2-bearer", "--http-user", "--http-password",
                         "--password", "-token", "-credential", "--proxy-user"})
# credentials in files or forms not read here: unknown when the token can reach the command
_OPAQUE_AUTH = frozenset({"-K", "--config", "--netrc", "-n", "--netrc-file", "--netrc-optional",
                          "--load-cookies", "-b", "--cookie", "--use-default-credentials",
                          "-usedefaultcredentials", "-websession", "--aws-sigv4"})
# flags that take a value
_HTTP_VALUE = _DATA_FLAGS | _AUTH_FLAGS | frozenset({
    "-X", "--request", "-H", "--header", "-T", "--upload-file", "-o", "--output",
    "-A", "--user-agent", "-w", "--write-out", "--retry", "-m", "--max-time", "--method", "-O",
    "--output-document", "-method", "-uri", "-headers", "-outfile", "-contenttype", "-K",
    "--config", "--netrc-file", "-b", "--cookie", "--load-cookies", "-websession", "-e",
    "--referer", "--connect-timeout", "--retry-delay", "--retry-max-time", "-authentication",
    "--aws-sigv4", "--cacert", "--cert", "-E", "--key", "-x", "--proxy", "--resolve", "-r",
    "--range", "-C", "--continue-at", "-z", "--time-cond", "--limit-rate", "--max-redirs",
    "--tries", "-t", "--timeout", "-P", "--directory-prefix", "-a", "--append-output",
})
_PWSH = frozenset({"invoke-restmethod", "invoke-webrequest", "irm", "iwr"})


def http_call(cmd: Command, env: Mapping[str, str], out: Collector) -> None:
    """The REST need of one curl/wget/pwsh call that the job token can reach."""
    pwsh = cmd.program in _PWSH
    method: str | None = None
    url: str | None = None
    auth: list[str] = []
    opaque: list[str] = []
    others: list[str] = []
    body = False
    args = cmd.args
    i = 0
    while i < len(args):
        a = args[i]
        key = a.lower() if pwsh else a
        flag, eq, val = a.partition("=")
        if a.startswith("--") and eq:
            key, value, step = flag, val, 1
        elif key in _HTTP_VALUE:
            value, step = (args[i + 1] if i + 1 < len(args) else ""), 2
        elif not pwsh and len(a) > 2 and a[:2] in ("-X", "-H", "-d", "-u", "-K"):
            key, value, step = a[:2], a[2:], 1
        elif key.startswith("-"):
            if key in _OPAQUE_AUTH:
                opaque.append(a)
            i += 1
            continue
        else:
            if url is None and _API_HOST.search(a):
                url = a
            elif a.startswith("$") or "://" in a:
                others.append(a)  # a URL elsewhere, or words from a variable (options, a URL)
            i += 1
            continue
        if key in ("-X", "--request", "--method", "-method"):
            method = value.upper()
        elif key in ("-H", "--header", "--headers"):
            header = value.strip()
            if header.startswith("@"):
                opaque.append(f"{key} {value}")
            elif ":" not in _outside_vars(header):
                opaque.append(f"{key} {value}")  # the whole header comes from a variable
            elif header.lower().startswith(("authorization", "proxy-authorization")):
                auth.append(header)
        elif key == "-headers":
            if value.lstrip().startswith("@{"):
                if "authorization" in value.lower():
                    auth.append(value)
            else:
                opaque.append(f"-Headers {value}")
        elif key in _AUTH_FLAGS:
            auth.append(value)
        elif key in _OPAQUE_AUTH:
            opaque.append(f"{key} {value}")
        elif key in ("-T", "--upload-file", "-infile"):
            method = method or ("PUT" if key != "-infile" else "POST")
            body = True
        elif key in _DATA_FLAGS:
            body = True
        elif key == "-uri" and _API_HOST.search(value):
            url = value
        i += step
    what = cmd.program
    job_auth = any(credential(h, env) not in (OTHER, NONE) for h in auth)
    if url is None:
        if job_auth and others:
            out.unknown_use(f"{what} sends the job token to `{others[0]}`, not known to be the API")
        return
    if any(o.startswith("$") for o in others) and not auth:
        out.unknown_use(f"{what} to the API with words from a variable (`{others[0]}`), which may "
                        "carry a credential")
        return
    if opaque and not any(credential(h, env) not in (NONE,) for h in auth):
        out.unknown_use(f"{what} to the API with a credential in a form not read ({opaque[0]})")
        return
    if not auth:
        return  # anonymous request: the job token is not used
    if all(credential(h, env) in (OTHER, NONE) for h in auth):
        return  # another credential
    url = compact_exprs(url)
    m = re.search(r"(?:github\.com|GITHUB_API_URL\}?|github\.api_url\s*\}\}|/api/v3)(/[^\s\"']*)", url)
    path = m.group(1) if m else url
    rest_call(method or ("POST" if body else "GET"), path, out, what)


def is_api_url(url: str) -> bool:
    return _API_HOST.search(url) is not None


def _outside_vars(header: str) -> str:
    """The header text with ``$VAR``/``${VAR}`` and expressions removed."""
    return re.sub(r"\$\{\{.*?\}\}|\$\{[^}]*\}|\$\(.*?\)|\$[A-Za-z_][A-Za-z0-9_]*", "", header)
