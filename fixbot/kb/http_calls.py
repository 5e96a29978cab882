"""curl, wget and PowerShell web cmdlets calling the GitHub REST API.

Each command line is read with the option rules of its program (curl's ``tool_getparam.c``,
wget's ``getopt_long`` table, PowerShell's parameter binder): clusters of single-letter options
(``-sSfLX POST``, ``-sd x``), values attached (``-XPOST``, ``-Fbody=x``) or in the next word,
``--long=value``, curl's ``--no-``/``--expand-`` prefixes and ``--next``/``-:`` (each request is
analysed on its own). A call is counted only when its URL is the API. Its credential is read from
the forms we know (``-H "Authorization: ..."``, ``-u user:token``, ``--oauth2-bearer``, pwsh
``-Headers @{...}``/``-Token``); a credential or URL in a form not read (``-H "$AUTH"``,
``-H @file``, ``-K file``/``-K-``, ``--netrc``, ``wget -e``/``-i``, ``-Headers $h``, pwsh splatting
``@params``) is *unknown* when the job token can reach the command, never "no token".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from fixbot.kb.collect import Collector, compact_exprs, rest_call
from fixbot.kb.shell import Command
from fixbot.kb.token import NONE, OTHER, credential

_API_HOST = re.compile(r"(api|uploads)\.github\.com|GITHUB_API_URL|github\.api_url|/api/v3/",
                       re.IGNORECASE)
_PWSH = frozenset({"invoke-restmethod", "invoke-webrequest", "irm", "iwr"})


# --- option tables ------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Options:
    """One program's command-line grammar: short letters (with their long name) and long names
    that take a value; everything else is a flag."""

    short: Mapping[str, str]  # letter -> long name
    valued: frozenset[str]  # long names that take a value
    prefixes: bool  # long names may be abbreviated to a unique prefix (getopt_long)


# curl: src/tool_getparam.c `aliases[]` (ARG_STRG/ARG_FILE take a value; ARG_BOOL/ARG_NONE do not)
_CURL = _Options(
    short={
        "a": "append", "A": "user-agent", "b": "cookie", "B": "use-ascii", "c": "cookie-jar",
        "C": "continue-at", "d": "data", "D": "dump-header", "e": "referer", "E": "cert",
        "f": "fail", "F": "form", "g": "globoff", "G": "get", "h": "help", "H": "header",
        "i": "show-headers", "I": "head", "j": "junk-session-cookies", "J": "remote-header-name",
        "k": "insecure", "K": "config", "l": "list-only", "L": "location", "m": "max-time",
        "M": "manual", "n": "netrc", "N": "buffer", "o": "output", "O": "remote-name",
        "p": "proxytunnel", "P": "ftp-port", "q": "disable", "Q": "quote", "r": "range",
        "R": "remote-time", "s": "silent", "S": "show-error", "t": "telnet-option",
        "T": "upload-file", "u": "user", "U": "proxy-user", "v": "verbose", "V": "version",
        "w": "write-out", "x": "proxy", "X": "request", "y": "speed-time", "Y": "speed-limit",
        "z": "time-cond", "Z": "parallel", "0": "http1.0", "1": "tlsv1", "2": "sslv2",
        "3": "sslv3", "4": "ipv4", "6": "ipv6", ":": "next", "#": "progress-bar",
    },
    valued=frozenset({
        "abstract-unix-socket", "alt-svc", "aws-sigv4", "cacert", "capath", "cert", "cert-type",
        "ciphers", "config", "connect-timeout", "connect-to", "continue-at", "cookie",
        "cookie-jar", "create-file-mode", "crlfile", "curves", "data", "data-ascii",
        "data-binary", "data-raw", "data-urlencode", "delegation", "dns-interface",
        "dns-ipv4-addr", "dns-ipv6-addr", "dns-servers", "doh-url", "dump-header", "ech",
        "egd-file", "engine", "etag-compare", "etag-save", "expect100-timeout", "form",
        "form-string", "ftp-account", "ftp-alternative-to-user", "ftp-method", "ftp-port",
        "ftp-ssl-ccc-mode", "happy-eyeballs-timeout-ms", "haproxy-clientip", "header", "help",
        "hostpubmd5", "hostpubsha256", "hsts", "interface", "ip-tos", "ipfs-gateway", "json",
        "keepalive-cnt", "keepalive-time", "key", "key-type", "knownhosts", "krb", "krb4",
        "libcurl", "limit-rate", "local-port", "login-options", "mail-auth", "mail-from",
        "mail-rcpt", "max-filesize", "max-redirs", "max-time", "netrc-file", "noproxy",
        "oauth2-bearer", "output", "output-dir", "parallel-max", "parallel-max-host", "pass",
        "pinnedpubkey", "preproxy", "proto", "proto-default", "proto-redir", "proxy",
        "proxy-cacert", "proxy-capath", "proxy-cert", "proxy-cert-type", "proxy-ciphers",
        "proxy-crlfile", "proxy-header", "proxy-key", "proxy-key-type", "proxy-pass",
        "proxy-pinnedpubkey", "proxy-service-name", "proxy-tls13-ciphers", "proxy-tlsauthtype",
        "proxy-tlspassword", "proxy-tlsuser", "proxy-user", "proxy1.0", "pubkey", "quote",
        "random-file", "range", "rate", "referer", "request", "request-target", "resolve",
        "retry", "retry-delay", "retry-max-time", "sasl-authzid", "service-name", "sigalgs",
        "socks4", "socks4a", "socks5", "socks5-gssapi-service", "socks5-hostname", "speed-limit",
        "speed-time", "ssl-sessions", "stderr", "telnet-option", "tftp-blksize", "time-cond",
        "tls-max", "tls13-ciphers", "tlsauthtype", "tlspassword", "tlsuser", "trace",
        "trace-ascii", "trace-config", "unix-socket", "upload-file", "upload-flags", "url",
        "url-query", "user", "user-agent", "variable", "vlan-priority", "write-out",
    }),
    prefixes=False,
)

# wget: src/main.c `option_data[]` (getopt_long: `--name=value`, `--name value`, unique prefixes;
# `-nv`/`-nc`/`-nH`/`-nd`/`-np` are `-n` with a value)
_WGET = _Options(
    short={
        "a": "append-output", "A": "accept", "b": "background", "B": "base", "c": "continue",
        "d": "debug", "D": "domains", "e": "execute", "E": "adjust-extension", "F": "force-html",
        "h": "help", "H": "span-hosts", "i": "input-file", "I": "include-directories",
        "k": "convert-links", "K": "backup-converted", "l": "level", "L": "relative",
        "m": "mirror", "n": "no", "N": "timestamping", "o": "output-file",
        "O": "output-document", "p": "page-requisites", "P": "directory-prefix", "q": "quiet",
        "Q": "quota", "r": "recursive", "R": "reject", "S": "server-response", "t": "tries",
        "T": "timeout", "U": "user-agent", "v": "verbose", "V": "version", "w": "wait",
        "x": "force-directories", "X": "exclude-directories", "4": "inet4-only",
        "6": "inet6-only",
    },
    valued=frozenset({
        "accept", "accept-regex", "append-output", "base", "bind-address", "bind-dns-address",
        "body-data", "body-file", "ca-certificate", "ca-directory", "certificate",
        "certificate-type", "ciphers", "compression", "config", "connect-timeout", "crl-file",
        "cut-dirs", "default-page", "directory-prefix", "dns-servers", "dns-timeout", "domains",
        "egd-file", "exclude-directories", "exclude-domains", "execute", "follow-tags", "ftp-password",
        "ftp-user", "header", "hsts-file", "http-password", "http-user", "ignore-tags",
        "include-directories", "input-file", "input-metalink", "level", "limit-rate",
        "load-cookies", "local-encoding", "max-redirect", "metalink-index", "method", "no",
        "output-document", "output-file", "password", "pinnedpubkey", "post-data", "post-file",
        "preferred-location", "prefer-family", "private-key", "private-key-type", "progress",
        "proxy-password", "proxy-user", "quota", "random-file", "read-timeout", "referer",
        "reject", "reject-regex", "regex-type", "remote-encoding", "report-speed",
        "restrict-file-names", "retry-on-http-error", "save-cookies", "secure-protocol",
        "tries", "timeout", "use-askpass", "user", "user-agent", "wait", "waitretry",
        "warc-cdx", "warc-dedup", "warc-file", "warc-header", "warc-max-size", "warc-tempdir",
    }),
    prefixes=True,
)


# --- reading a command line ---------------------------------------------------------------------

@dataclass
class _Request:
    """One request as the program will send it: its options (long names) and URLs."""

    options: list[tuple[str, str]] = field(default_factory=list)  # (long name, value or "")
    urls: list[str] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)  # words whose meaning is not known

    def has(self, *names: str) -> bool:
        return any(n in names for n, _ in self.options)

    def values(self, *names: str) -> list[str]:
        return [v for n, v in self.options if n in names]


def _long_name(word: str, grammar: _Options) -> str:
    if not grammar.prefixes:
        return word
    known = grammar.valued | set(grammar.short.values())
    if word in known:
        return word
    hits = [k for k in known if k.startswith(word)]
    return hits[0] if len(hits) == 1 else word


def _read_cli(args: tuple[str, ...], grammar: _Options, curl: bool) -> list[_Request]:
    """The requests of one command line (curl's ``--next`` starts another)."""
    requests = [_Request()]
    variables: dict[str, str] = {}
    flags = True
    i = 0
    while i < len(args):
        a = args[i]
        nxt = args[i + 1] if i + 1 < len(args) else None
        req = requests[-1]
        i += 1
        if not flags or not a.startswith("-") or a == "-":
            req.urls.append(a)
            continue
        if a == "--":
            flags = False
            continue
        if a.startswith("--"):
            word, eq, attached = a[2:].partition("=")
            expand = False
            if curl and word.startswith("no-"):
                word = word[3:]
            elif curl and word.startswith("expand-"):
                word, expand = word[7:], True
            name = _long_name(word, grammar)
            if name not in grammar.valued:
                if name == "next" and curl:
                    requests.append(_Request())
                else:
                    req.options.append((name, ""))
                continue
            if eq:
                value = attached
            elif nxt is not None:
                value, i = nxt, i + 1
            else:
                value = ""
            if expand:
                value = _expand(value, variables)
            if name == "variable":
                _variable(value, variables)
            req.options.append((name, value))
            continue
        # a cluster of single letters: the first that takes a value takes the rest of the word,
        # or the next word when it ends the cluster
        letters = a[1:]
        for j, letter in enumerate(letters):
            short = grammar.short.get(letter)
            if short is None:
                req.unread.append(f"-{letter}")
                continue
            name = short
            if name not in grammar.valued:
                if name == "next" and curl:
                    requests.append(_Request())
                    req = requests[-1]
                else:
                    req.options.append((name, ""))
                continue
            if letters[j + 1:]:
                value = letters[j + 1:]
            elif nxt is not None:
                value, i = nxt, i + 1
            else:
                value = ""
            req.options.append((name, value))
            break
    return [r for r in requests if r.options or r.urls or r.unread]


def _variable(value: str, variables: dict[str, str]) -> None:
    """curl ``--variable name=content`` / ``%ENV`` (imported) / ``name@file`` (read from a file)."""
    if value.startswith("%"):
        name = re.split(r"[=@]", value[1:], maxsplit=1)[0]
        variables[name] = "${" + name + "}"
        return
    m = re.match(r"([A-Za-z0-9_]+)([=@])(.*)", value, re.DOTALL)
    if m:
        variables[m.group(1)] = m.group(3) if m.group(2) == "=" else "$(cat " + m.group(3) + ")"


def _expand(value: str, variables: Mapping[str, str]) -> str:
    """``{{name}}``/``{{name:func}}`` replaced by the variable's content; an unset one by a
    variable reference of unknown content."""
    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        return variables.get(name, "${CURL_VARIABLE_" + name + "}")
    return re.sub(r"\{\{([A-Za-z0-9_]+)(?::[^}]*)?\}\}", sub, value)


# --- deciding ------------------------------------------------------------------------------------

@dataclass
class _Facts:
    """What one request does, in terms common to curl, wget and pwsh."""

    method: str | None = None
    body: bool = False
    urls: list[str] = field(default_factory=list)  # the API URLs
    others: list[str] = field(default_factory=list)  # other URLs, and words from a variable
    auth: list[str] = field(default_factory=list)
    opaque: list[str] = field(default_factory=list)  # credentials in a form not read
    hidden: list[str] = field(default_factory=list)  # options or URLs from somewhere not read


def http_call(cmd: Command, env: Mapping[str, str], out: Collector, configured: bool = False
              ) -> None:
    """The REST need of one curl/wget/pwsh call that the job token can reach. ``configured``: an
    earlier command wrote the job token into the program's default configuration (``~/.curlrc``,
    ``~/.wgetrc``, ``~/.netrc``)."""
    if cmd.program in _PWSH:
        requests = [_pwsh(cmd.args)]
    elif cmd.program == "wget":
        requests = [_wget(r) for r in _read_cli(cmd.args, _WGET, curl=False)]
    else:
        requests = [_curl(r) for r in _read_cli(cmd.args, _CURL, curl=True)]
        if configured and cmd.args[:1] not in (("-q",), ("--disable",)):
            for facts in requests:
                facts.opaque.append("~/.curlrc written with the job token")
    if configured and cmd.program == "wget":
        for facts in requests:
            facts.opaque.append("~/.wgetrc written with the job token")
    for facts in requests:
        _decide(facts, cmd.program, env, out)


def _decide(f: _Facts, what: str, env: Mapping[str, str], out: Collector) -> None:
    if f.hidden:
        out.unknown_use(f"{what} reads options or URLs from {f.hidden[0]}, which is not read")
        return
    job_auth = any(credential(h, env) not in (OTHER, NONE) for h in f.auth)
    if not f.urls:
        if job_auth and f.others:
            out.unknown_use(f"{what} sends the job token to `{f.others[0]}`, not known to be the API")
        return
    if any(o.startswith("$") for o in f.others) and not f.auth:
        out.unknown_use(f"{what} to the API with words from a variable (`{f.others[0]}`), which may "
                        "carry a credential")
        return
    if f.opaque and all(credential(h, env) == NONE for h in f.auth):
        out.unknown_use(f"{what} to the API with a credential in a form not read ({f.opaque[0]})")
        return
    if not job_auth:
        return  # an anonymous request, or another credential: the job token is not used
    for url in f.urls:
        url = compact_exprs(url)
        m = re.search(r"(?:github\.com|GITHUB_API_URL\}?|github\.api_url\s*\}\}|/api/v3)(/[^\s\"']*)",
                      url)
        path = m.group(1) if m else url
        rest_call(f.method or ("POST" if f.body else "GET"), path, out, what)


def _header(f: _Facts, flag: str, value: str) -> None:
    header = value.strip()
    if header.startswith("@"):
        f.opaque.append(f"{flag} {value}")
    elif ":" not in _outside_vars(header):
        f.opaque.append(f"{flag} {value}")  # the whole header comes from a variable
    elif header.lower().startswith(("authorization", "proxy-authorization")):
        f.auth.append(header)


def _urls(f: _Facts, words: list[str]) -> None:
    for w in words:
        if _API_HOST.search(w):
            f.urls.append(w)
        elif w.startswith("$") or "://" in w:
            f.others.append(w)  # a URL elsewhere, or words from a variable (options, a URL)


_CURL_DATA = frozenset({"data", "data-ascii", "data-binary", "data-raw", "data-urlencode", "json"})
_CURL_OPAQUE = frozenset({"netrc", "netrc-file", "netrc-optional", "cookie", "aws-sigv4",
                          "negotiate", "ntlm", "delegation"})


def _curl(r: _Request) -> _Facts:
    f = _Facts()
    _urls(f, r.urls + r.values("url"))
    for name, value in r.options:
        if name == "header":
            _header(f, "-H", value)
        elif name in ("user", "oauth2-bearer", "proxy-user"):
            f.auth.append(value)
        elif name in _CURL_OPAQUE:
            f.opaque.append(f"--{name} {value}".strip())
        elif name == "config":
            f.hidden.append("stdin (`-K -`)" if value == "-" else f"`--config {value}`")
        elif name == "request-target":
            f.hidden.append(f"`--request-target {value}`")
    requested = r.values("request")
    if requested:
        f.method = requested[-1].upper()
    elif r.has("head"):
        f.method = "HEAD"
    elif r.has("upload-file"):
        f.method = "PUT"
    elif r.has("form", "form-string"):
        f.method = "POST"
    elif r.has(*_CURL_DATA):
        f.method = "GET" if r.has("get") else "POST"
    f.body = r.has("upload-file", "form", "form-string", *_CURL_DATA)
    return f


def _wget(r: _Request) -> _Facts:
    f = _Facts()
    _urls(f, r.urls)
    for name, value in r.options:
        if name == "header":
            _header(f, "--header", value)
        elif name in ("user", "password", "http-user", "http-password", "proxy-user",
                      "proxy-password"):
            f.auth.append(value)
        elif name in ("load-cookies", "use-askpass"):
            f.opaque.append(f"--{name} {value}")
        elif name == "execute":
            f.hidden.append(f"`-e {value}` (a wgetrc command)")
        elif name in ("input-file", "config"):
            f.hidden.append(f"`--{name} {value}`")
    requested = r.values("method")
    if requested:
        f.method = requested[-1].upper()
    elif r.has("post-data", "post-file"):
        f.method = "POST"
    f.body = r.has("post-data", "post-file", "body-data", "body-file")
    return f


# PowerShell: Invoke-WebRequest / Invoke-RestMethod parameters that take a value (others are
# switches); names bind by unique prefix, case-insensitively; ``-Uri`` is positional 0.
_PWSH_VALUED = (
    "uri", "method", "custommethod", "headers", "body", "infile", "outfile", "contenttype",
    "token", "authentication", "credential", "websession", "sessionvariable", "form",
    "timeoutsec", "maximumredirection", "maximumretrycount", "retryintervalsec", "useragent",
    "proxy", "proxycredential", "certificate", "certificatethumbprint", "transferencoding",
    "sslprotocol", "httpversion", "responseheadersvariable", "statuscodevariable",
    "connectiontimeoutseconds", "operationtimeoutseconds", "maximumfollowrellink",
    "unixsocket", "erroraction", "warningaction", "informationaction", "progressaction",
    "errorvariable", "warningvariable", "informationvariable", "outvariable", "outbuffer",
    "pipelinevariable",
)
_PWSH_SWITCHES = (
    "usebasicparsing", "usedefaultcredentials", "disablekeepalive", "passthru", "resume",
    "skipcertificatecheck", "skipheadervalidation", "skiphttperrorcheck", "nopropxy", "noproxy",
    "allowunencryptedauthentication", "allowinsecureredirect", "preserveauthorizationonredirect",
    "preserveheadersonredirect", "proxyusedefaultcredentials", "followrellink", "verbose",
    "debug",
)


def _pwsh_name(word: str) -> str:
    low = word.lower()
    names = _PWSH_VALUED + _PWSH_SWITCHES
    if low in names:
        return low
    hits = [n for n in names if n.startswith(low)]
    return hits[0] if len(hits) == 1 else low


def _pwsh(args: tuple[str, ...]) -> _Facts:
    f = _Facts()
    params: list[tuple[str, str]] = []
    positional: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if re.match(r"@[A-Za-z_]", a):
            f.hidden.append(f"`{a}` (splatted parameters)")
            continue
        m = re.match(r"-([A-Za-z][A-Za-z0-9]*)(?::(.*))?$", a, re.DOTALL)
        if m is None:
            positional.append(a)
            continue
        name = _pwsh_name(m.group(1))
        if m.group(2) is not None:
            params.append((name, m.group(2)))
        elif name in _PWSH_VALUED:
            params.append((name, args[i] if i < len(args) else ""))
            i += 1
        else:
            params.append((name, ""))
    uris = [v for n, v in params if n == "uri"] + positional[:1]
    _urls(f, uris)
    f.others += [p for p in positional[1:] if p.startswith("$")]
    for name, value in params:
        if name in ("method", "custommethod"):
            f.method = value.upper()
        elif name == "headers":
            if value.lstrip().startswith("@{"):
                if "authorization" in value.lower():
                    f.auth.append(value)
            else:
                f.opaque.append(f"-Headers {value}")
        elif name in ("token", "credential", "proxycredential"):
            f.auth.append(value)
        elif name in ("usedefaultcredentials", "websession", "certificate",
                      "certificatethumbprint"):
            f.opaque.append(f"-{name} {value}".strip())
        elif name == "infile":
            f.method = f.method or "POST"
            f.body = True
        elif name in ("body", "form"):
            f.body = True
    return f


def is_api_url(url: str) -> bool:
    return _API_HOST.search(url) is not None


def _outside_vars(header: str) -> str:
    """The header text with ``$VAR``/``${VAR}`` and expressions removed."""
    return re.sub(r"\$\{\{.*?\}\}|\$\{[^}]*\}|\$\(.*?\)|\$[A-Za-z_][A-Za-z0-9_]*", "", header)
