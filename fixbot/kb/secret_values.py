"""Which literal values in a workflow (or a script it runs) are credentials, and how to show them.

A value is met as an ``env:`` value, a ``with:`` input, a shell word or a Python string; the
caller passes it with the name it is assigned to, when there is one. Two kinds of rule decide:

- **Known formats**, found anywhere in the text: GitHub tokens (``ghp_``, ``github_pat_``,
  ``gho_``, ``ghu_``, ``ghs_``, ``ghr_``), AWS access key ids, Slack tokens and webhook URLs,
  Stripe secret and restricted keys, Google API keys, npm, PyPI and Docker Hub tokens, SendGrid
  keys, private key blocks, JWTs and passwords written into URLs. Where Yelp's detect-secrets has
  the format, its own compiled pattern is used (through ``finditer``, for the span); the formats
  it lacks are written here.
- **A credential-like name** (``*_TOKEN``, ``*_KEY``, ``*_SECRET``, ``*PASSWORD*``, ``*_PAT``,
  ``AUTH``...) holding a random-looking literal: kind ``credential`` (``aws-secret-access-key``
  for a 40-character value under an AWS secret key name).

Not secrets, whatever the name: expressions and variable references, placeholders and documented
example keys, public identifiers (emails, versions, paths, URLs without a password, numbers), and
the throwaway passwords of CI service containers (``postgres``, ``root``, ``password``...): they
are public fixtures, and low-entropy values never pass the name rule. ``docs/secrets-detection.md``
lists every rule with its reason; ``tests/secrets/cases.toml`` is the labelled set that pins them.

A :class:`Found` holds a span, never the value, so it can be printed; :func:`redacted` is the one
way to show a value: its kind's public prefix, stars and its length.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Kind:
    """A credential format: its stable id, how people call it, the secret name it becomes when
    the value's own name says nothing, and the public prefixes that may be shown."""

    id: str
    label: str
    secret: str
    prefixes: tuple[str, ...] = ()


KINDS: dict[str, Kind] = {k.id: k for k in (
    Kind("github-pat-classic", "GitHub personal access token (classic)", "GH_PAT", ("ghp_",)),
    Kind("github-pat-fine-grained", "GitHub fine-grained personal access token", "GH_PAT",
         ("github_pat_",)),
    Kind("github-oauth", "GitHub OAuth access token", "GH_OAUTH_TOKEN", ("gho_",)),
    Kind("github-user-to-server", "GitHub App user access token", "GH_APP_USER_TOKEN", ("ghu_",)),
    Kind("github-app-installation", "GitHub App installation token", "GH_APP_TOKEN", ("ghs_",)),
    Kind("github-refresh", "GitHub App refresh token", "GH_REFRESH_TOKEN", ("ghr_",)),
    Kind("aws-access-key-id", "AWS access key id", "AWS_ACCESS_KEY_ID",
         ("AKIA", "ASIA", "ABIA", "ACCA")),
    Kind("aws-secret-access-key", "AWS secret access key", "AWS_SECRET_ACCESS_KEY"),
    Kind("slack-token", "Slack token", "SLACK_TOKEN",
         ("xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxr-", "xoxs-")),
    Kind("slack-webhook", "Slack incoming webhook URL", "SLACK_WEBHOOK_URL",
         ("https://hooks.slack.com/services/",)),
    Kind("stripe-key", "Stripe secret key", "STRIPE_SECRET_KEY",
         ("sk_live_", "rk_live_", "sk_test_", "rk_test_")),
    Kind("google-api-key", "Google API key", "GOOGLE_API_KEY", ("AIza",)),
    Kind("npm-token", "npm access token", "NPM_TOKEN", ("npm_",)),
    Kind("pypi-token", "PyPI API token", "PYPI_TOKEN", ("pypi-",)),
    Kind("dockerhub-token", "Docker Hub access token", "DOCKERHUB_TOKEN", ("dckr_pat_",)),
    Kind("sendgrid-key", "SendGrid API key", "SENDGRID_API_KEY", ("SG.",)),
    Kind("private-key", "private key", "PRIVATE_KEY"),  # prefix: its BEGIN line (see _prefix)
    Kind("jwt", "JSON Web Token", "JWT", ("eyJ",)),
    Kind("url-password", "password in a URL", "URL_PASSWORD"),
    Kind("credential", "random-looking value of a credential-like name", "API_TOKEN"),
)}


@dataclass(frozen=True)
class Found:
    """A credential inside a text: its kind and span. The value is not kept, so a Found can be
    printed, logged and compared safely; :meth:`value` reads it back from the text."""

    kind: str  # an id of :data:`KINDS`, e.g. "github-pat-classic", "credential"
    label: str  # human label, e.g. "GitHub personal access token (classic)"
    start: int
    end: int

    def value(self, text: str) -> str:
        return text[self.start:self.end]


# --- what is not a secret ---------------------------------------------------------------------

# expressions and references to other variables (bash, cmd, PowerShell): not a literal
_REFERENCE = re.compile(r"\$\{\{|\$[A-Za-z_{(]|%[A-Za-z_]\w*%|\$env:", re.IGNORECASE)
# words only people write into a value that stands for a real one; matched in one case
# (``example``, ``EXAMPLE``, ``Example``) so that random mixed-case tokens do not hit them by chance
_WORDS = ("example", "sample", "dummy", "fake", "redacted", "placeholder", "changeme", "change_me",
          "change-me", "changeit", "your", "insert", "replace", "test")
_PLACEHOLDER = re.compile("|".join(f"{w}|{w.upper()}|{w.title()}" for w in _WORDS)
                          + r"|xxxx|XXXX|\*\*\*|\.\.\.|…|<[^>]*>|\{[^}]*\}")
_SEPARATORS = re.compile(r"[-_.]")
# documented example values (AWS's docs) that do not say "example" in a way the rule above sees
_DOCUMENTED = frozenset({
    "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",  # AWS's documentation
    # jwt.io's example token, copied into countless READMEs and tests
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0"
    "IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
})
# the default passwords of service images and tutorials: public fixtures, not credentials
_FIXTURE_PASSWORDS = frozenset({
    "postgres", "postgresql", "password", "passwd", "pass", "root", "secret", "admin", "mysql",
    "redis", "guest", "user", "test", "mongo", "mongodb", "sa", "default", "changeit", "letmein",
    "qwerty", "welcome", "rabbitmq", "minio", "minioadmin", "oracle", "mariadb", "keycloak",
    "elastic", "docker", "ci", "dev", "local", "travis", "github", "actions", "runner",
})
_LEET = str.maketrans("@430$51!", "aaeossii")
_ASCENDING = 6  # a run this long of consecutive characters (123456, abcdef) is typed, not random


def _ascending_run(body: str) -> bool:
    run = 1
    for a, b in zip(body, body[1:], strict=False):
        run = run + 1 if ord(b) == ord(a) + 1 and a.isalnum() and b.isalnum() else 1
        if run >= _ASCENDING:
            return True
    return False


def is_placeholder(body: str) -> bool:
    """Whether a value (without its format's public prefix) stands for a credential rather than
    being one: placeholder words, masks, one repeated character, typed sequences, documented
    example keys."""
    if body in _DOCUMENTED or _PLACEHOLDER.search(body):
        return True
    core = _SEPARATORS.sub("", body)
    return len(set(core)) <= 2 or _ascending_run(body)


def is_fixture_password(value: str) -> bool:
    """A default password of a service container or tutorial (``postgres``, ``Passw0rd!``,
    ``root123``): what a throwaway CI database is started with, public by design."""
    junk = "0123456789!?#_-. "
    word = value.strip(junk).lower().translate(_LEET).strip(junk)
    return word in _FIXTURE_PASSWORDS or not word


def entropy(value: str) -> float:
    """Shannon entropy of the characters of ``value``, in bits per character."""
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in (value.count(ch) for ch in set(value)))


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_VERSION = re.compile(r"v?\d+(\.\d+)+([-+.~][\w.+-]*)?", re.IGNORECASE)
_EMAIL = re.compile(r"[^@\s/]+@[\w-]+(\.[\w-]+)+")
_URL = re.compile(r"[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_PATH = re.compile(r"(\.{0,2}|~)/|[A-Za-z]:\\|.*/[\w.-]*\.[A-Za-z][A-Za-z0-9]{0,5}$")
_IDENTIFIER = re.compile(r"[a-z][a-z0-9]*([-_.][a-z][a-z0-9]*)+")  # my-app.prod_name: words
# a media type (``application/json``, ``application/vnd.github+json``): a header's value next to
# a credential's, assigned to its name by mistake or by a loose dict key
_MEDIA_TYPE = re.compile(r"(application|audio|font|image|message|model|multipart|text|video)"
                         r"/[a-z0-9][a-z0-9.+-]*", re.IGNORECASE)
_LITERAL = re.compile(r"[\x21-\x7e]+")  # one printable word, no space


def _classes(value: str) -> int:
    return (any(c.islower() for c in value) + any(c.isupper() for c in value)
            + any(c.isdigit() for c in value) + any(not c.isalnum() for c in value))


def is_random_literal(value: str) -> bool:
    """The name rule's test of a value: one literal word that looks generated rather than typed
    or that identifies something public. At least 10 characters; under 16 it needs three
    character classes, from 16 on two; and enough entropy for its length."""
    n = len(value)
    if n < 10 or n > 512 or not _LITERAL.fullmatch(value) or _REFERENCE.search(value):
        return False
    if value.lower() in ("true", "false", "null", "none", "yes", "no"):
        return False
    if (_UUID.fullmatch(value) is None and value.replace("-", "").isdigit()) or _VERSION.fullmatch(value):
        return False
    if _EMAIL.fullmatch(value) or _URL.match(value) or _PATH.match(value) or _IDENTIFIER.fullmatch(value) \
            or _MEDIA_TYPE.fullmatch(value):
        return False
    if _classes(value) < (3 if n < 16 else 2):
        return False
    if entropy(value) < min(3.0, math.log2(n) - 0.5):
        return False
    return not is_placeholder(value) and not is_fixture_password(value)


# --- credential-like names --------------------------------------------------------------------

_NAME_PART = re.compile(r"[^A-Z0-9]+")
# the last word (or two) of a credential's name; PASSWORD/PASSWD anywhere
_CREDENTIAL_END = re.compile(
    r"(^|_)(TOKEN|SECRET|PAT|PASS|PASSPHRASE|CREDENTIALS?|AUTH|AUTHORIZATION|APIKEY|API_KEY"
    r"|ACCESS_KEY|SECRET_KEY|PRIVATE_KEY|[A-Z0-9]+_KEY|AUTH_KEY)$")
_CREDENTIAL_ANY = re.compile(r"PASSWORD|PASSWD")
# *_KEY names that hold public or non-credential values
_NOT_CREDENTIAL = re.compile(
    r"(^|_)(PUBLIC|PUBLISHABLE|CACHE|RESTORE|PRIMARY|SORT|PARTITION|LOOKUP|HASH|MAP|DEDUP|GROUP"
    r"|CONCURRENCY|SITE|ANON|ANONYMOUS)_KEY$|PUBLIC_KEY")
_AWS_SECRET_NAME = re.compile(r"SECRET_ACCESS_KEY$|^AWS_SECRET|AWS.*_SECRET(_KEY)?$")
_AWS_SECRET_VALUE = re.compile(r"[A-Za-z0-9/+]{40}")


@lru_cache(maxsize=4096)
def normal_name(name: str) -> str:
    """``name`` as an upper-case SCREAMING_SNAKE word (``INPUT_`` of action inputs dropped)."""
    upper = _NAME_PART.sub("_", name.upper()).strip("_")
    return upper.removeprefix("INPUT_")


@lru_cache(maxsize=4096)
def credential_name(name: str | None) -> bool:
    """Whether a value's name says it holds a credential (``NPM_TOKEN``, ``api-key``,
    ``db_password``), and not a public key or a cache key."""
    if not name:
        return False
    n = normal_name(name)
    if _NOT_CREDENTIAL.search(n):
        return False
    return bool(_CREDENTIAL_END.search(n) or _CREDENTIAL_ANY.search(n))


# --- known formats ------------------------------------------------------------------------------

_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_URLSAFE = _ALNUM + "-_"
# a cheap first look: no known format can be in a text without one of these
_TRIGGER = re.compile(r"gh[pousr]_|github_pat_|A3T|ABIA|ACCA|AKIA|ASIA|(?i:xox)|hooks\.slack|k_live_"
                      r"|k_test_|AIza|npm_|_authToken|pypi-|dckr_pat_|SG\.|PRIVATE KEY|eyJ|://"
                      r"|(?i:aws)|(?i:bearer|authorization)")


@dataclass(frozen=True)
class _Rule:
    """One format: a pattern (detect-secrets' own where it has the format), the group holding
    the credential, the characters the token may continue with (detect-secrets' patterns match
    a fixed length), and a check of the match."""

    pattern: re.Pattern[str]
    kind: Callable[[str], str | None]  # the matched value -> kind id (None: not this format)
    group: int = 0
    extend: str = ""
    check: Callable[[str], bool] = lambda v: True


def _const(kind: str) -> Callable[[str], str | None]:
    return lambda v: kind


def _github(value: str) -> str | None:
    return {"ghp": "github-pat-classic", "gho": "github-oauth", "ghu": "github-user-to-server",
            "ghs": "github-app-installation", "ghr": "github-refresh"}.get(value[:3])


def _private_key_body(value: str) -> bool:
    """A key block with a key in it: 64 characters or more, not a mask (``...``, ``xxxx``). The
    placeholder words are not looked for: a 1,600-character base64 body holds one by chance."""
    body = re.sub(r"-----[^-]*-----|\s|\\n|[A-Za-z-]+:.*", "", value)
    return len(body) >= 64 and len(set(body)) >= 16 and not re.search(r"\.\.\.|…|xxxx|XXXX|\*\*\*|<", body)


def _aws_secret(value: str) -> bool:
    """AWS secret access keys are base64: mixed case (a 40-digit hex git SHA is not one)."""
    return value != value.lower() and value != value.upper() and entropy(value) >= 3.5


def _jwt(value: str) -> bool:
    parts = value.split(".")
    from detect_secrets.plugins.jwt import JwtTokenDetector

    return len(parts) == 3 and len(parts[2]) >= 16 and bool(JwtTokenDetector.is_formally_valid(value))


_JWT_SHAPE = re.compile(r"eyJ[\w-]*\.[\w-]*\.")
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
                          r".*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)", re.DOTALL)
_PRIVATE_KEY_HEADER = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")

@lru_cache(maxsize=1)
def _rules() -> tuple[_Rule, ...]:
    """The format rules. detect-secrets is imported here, on first use: it imports
    ``requests``, which a command that never reads a credential should not load."""
    from detect_secrets.plugins.aws import AWSKeyDetector
    from detect_secrets.plugins.github_token import GitHubTokenDetector
    from detect_secrets.plugins.jwt import JwtTokenDetector
    from detect_secrets.plugins.npm import NpmDetector
    from detect_secrets.plugins.pypi_token import PypiTokenDetector
    from detect_secrets.plugins.sendgrid import SendGridDetector
    from detect_secrets.plugins.slack import SlackDetector
    from detect_secrets.plugins.stripe import StripeDetector

    return (
        _Rule(_PRIVATE_KEY, _const("private-key"), check=_private_key_body),
        # detect-secrets: ghp_/gho_/ghu_/ghs_/ghr_ + 36 (GitHub says they may grow: extended)
        _Rule(GitHubTokenDetector.denylist[0], _github, extend=_ALNUM),
        _Rule(re.compile(r"github_pat_[0-9A-Za-z]{22,}_[0-9A-Za-z]{50,}"), _const("github-pat-fine-grained")),
        _Rule(AWSKeyDetector.denylist[0], _const("aws-access-key-id")),
        # detect-secrets: `aws..key = "<40>"` written in one text (a script line, a Python file)
        _Rule(AWSKeyDetector.denylist[1], _const("aws-secret-access-key"), group=1, check=_aws_secret),
        # the same unquoted, as in ~/.aws/credentials (`aws_secret_access_key = <40>`), which
        # detect-secrets' pattern (quotes required) does not see
        _Rule(re.compile(r"(?i:aws_secret_access_key|aws_secret_key)\s*[=:]\s*([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"),
              _const("aws-secret-access-key"), group=1, check=_aws_secret),
        _Rule(SlackDetector.denylist[0], _const("slack-token"), extend=_ALNUM + "-"),
        _Rule(SlackDetector.denylist[1], _const("slack-webhook"), extend=_ALNUM + "_"),
        _Rule(StripeDetector.denylist[0], _const("stripe-key"), extend=_ALNUM),
        _Rule(re.compile(r"[rs]k_test_[0-9a-zA-Z]{24,}"), _const("stripe-key")),
        _Rule(re.compile(r"AIza[0-9A-Za-z_-]{35}"), _const("google-api-key")),
        _Rule(re.compile(r"npm_[A-Za-z0-9]{36}"), _const("npm-token")),
        # detect-secrets: a legacy (UUID) token after `//registry/:_authToken=` in an .npmrc line
        _Rule(NpmDetector.denylist[0], lambda v: None if v.startswith("npm_") else "npm-token", group=1),
        _Rule(PypiTokenDetector.denylist[0], _const("pypi-token"), extend=_URLSAFE),
        _Rule(PypiTokenDetector.denylist[1], _const("pypi-token"), extend=_URLSAFE),
        _Rule(re.compile(r"dckr_pat_[A-Za-z0-9_-]{27,}"), _const("dockerhub-token")),
        _Rule(SendGridDetector.denylist[0], _const("sendgrid-key")),
        _Rule(re.compile(JwtTokenDetector.denylist[0].pattern.removesuffix("*?") + "*"), _const("jwt"),
              check=_jwt),
        # scheme://user:PASSWORD@host. Not detect-secrets' BasicAuthDetector: its password class
        # leaves out RFC 3986's sub-delimiters (`!$&'()*+,;=`, all legal in a password) and it needs
        # a user name (`redis://:PASSWORD@host` is common). `${{ }}`/`$VAR` passwords are references.
        _Rule(re.compile(r"://[^\s:/?#\[\]@]*:([^\s/?#\[\]@]+)@"), _const("url-password"), group=1),
        _Rule(re.compile(r"(?i:authorization:\s*(?:bearer|token|basic)|bearer)\s+([A-Za-z0-9._~+/-]+=*)"),
              _const("credential"), group=1, check=is_random_literal),
    )
_KIND_ORDER = {k: i for i, k in enumerate(KINDS)}


def _extend(text: str, end: int, chars: str) -> int:
    while end < len(text) and text[end] in chars:
        end += 1
    return end


def _bounded(text: str, start: int, end: int) -> bool:
    """A token starts and ends at a word boundary (no letter or digit glued to it)."""
    return (start == 0 or not text[start - 1].isalnum()) and (end == len(text) or not text[end].isalnum())


def _public_prefix(kind: str, value: str) -> str:
    if kind == "private-key":
        m = _PRIVATE_KEY_HEADER.match(value)
        return m.group(0) if m else ""
    return next((p for p in KINDS[kind].prefixes if value.startswith(p)), "") if kind in KINDS else ""


def _url_password(text: str, start: int, end: int) -> bool:
    password = text[start:end]
    user = text[:start - 1].rsplit("/", 1)[-1]
    if _REFERENCE.search(password) or password == user or is_fixture_password(password):
        return False
    if _VERSION.fullmatch(password) or text.startswith("sha256:", end + 1):  # docker://img:tag@sha256:
        return False
    return not is_placeholder(password)


def _formats(text: str) -> Iterator[Found]:
    for rule in _rules():
        for m in rule.pattern.finditer(text):
            start, end = m.span(rule.group)
            if start < 0 or start == end:
                continue
            end = _extend(text, end, rule.extend)
            value = text[start:end]
            kind = rule.kind(value)
            if kind is None or value in _DOCUMENTED or not rule.check(value):
                continue
            if kind == "url-password":
                if not _url_password(text, start, end):
                    continue
            elif kind != "private-key" and (not _bounded(text, start, end) or
                                            is_placeholder(value[len(_public_prefix(kind, value)):])):
                continue
            yield Found(kind, KINDS[kind].label, start, end)


def _by_name(text: str, name: str) -> Found | None:
    """The name rule: the whole value (surrounding quotes and blanks aside) under a credential
    name."""
    start, end = 0, len(text)
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end - start >= 2 and text[start] == text[end - 1] and text[start] in "'\"":
        start, end = start + 1, end - 1
    value = text[start:end]
    n = normal_name(name)
    if (_AWS_SECRET_NAME.search(n) and _AWS_SECRET_VALUE.fullmatch(value) and _aws_secret(value)
            and not is_placeholder(value)):
        return Found("aws-secret-access-key", KINDS["aws-secret-access-key"].label, start, end)
    if not is_random_literal(value) or _JWT_SHAPE.match(value):  # a JWT the JWT rule turned down
        return None
    return Found("credential", KINDS["credential"].label, start, end)


# ``NAME=value`` written inside a text: a line of ``$GITHUB_ENV`` or of an env file, a
# ``--build-arg``/``-e`` word, a ``build-args:`` input, ``--password=value``
_ASSIGNED = re.compile(r"(?<![\w$.-])-{0,2}([A-Za-z_][A-Za-z0-9_-]*)=(['\"]?)([^\s'\"=&;|]+)\2"
                       r"(?=[\s'\";&|]|$)")


def _assigned(text: str) -> list[Found]:
    """The name rule on each ``NAME=value`` inside ``text`` whose name is a credential's."""
    out: list[Found] = []
    for m in _ASSIGNED.finditer(text):
        if not credential_name(m.group(1)):
            continue
        f = _by_name(m.group(3), m.group(1))
        if f is not None:
            at = m.start(3)
            out.append(Found(f.kind, f.label, at + f.start, at + f.end))
    return out


def find(text: str, name: str | None = None) -> list[Found]:
    """Credentials in ``text``: a literal value (an env value, a with: input, a shell word, a
    Python string). ``name`` is what the value is assigned to where there is one (env key,
    input name, shell variable, Python variable/keyword/dict key), which enables the
    credential-name + entropy rule. Non-overlapping, in order."""
    if len(text) < 8:
        return []
    found = list(_formats(text)) if _TRIGGER.search(text) else []
    if name is not None and not found and credential_name(name):
        by_name = _by_name(text, name)
        if by_name is not None:
            found.append(by_name)
    if "=" in text and not (found and found[0].start == 0 and found[0].end == len(text)):
        found += _assigned(text)
    # the widest match wins an overlap; on equal spans, the more specific kind (KINDS' order)
    found.sort(key=lambda f: (f.start, -(f.end - f.start), _KIND_ORDER[f.kind]))
    out: list[Found] = []
    for f in found:
        if not out or f.start >= out[-1].end:
            out.append(f)
    return out


def redacted(kind: str, value: str) -> str:
    """How a credential is shown: its format's public prefix (never another character of it),
    stars, and its length, e.g. ``ghp_**** (40 chars)``."""
    return f"{_public_prefix(kind, value)}**** ({len(value)} chars)"


_GENERIC = frozenset({"TOKEN", "KEY", "SECRET", "PASSWORD", "PASSWD", "PASS", "PAT", "AUTH",
                      "API_KEY", "APIKEY", "CREDENTIALS", "CREDENTIAL", "AUTHORIZATION",
                      "ACCESS_TOKEN", "AUTH_TOKEN", "API_TOKEN", "PASSPHRASE", "SECRET_KEY"})


def secret_name(found: Found, name: str | None) -> str:
    """The secret a found credential becomes: its own name when that says it is a credential
    (``NPM_AUTH_TOKEN``, ``db-password`` -> ``DB_PASSWORD``), unless it is a bare word
    (``token``, ``password``) and the format says more (``GH_PAT``); else its kind's name.
    Always a name GitHub accepts: ``[A-Z0-9_]``, not starting with a digit or ``GITHUB_``
    (``GITHUB_TOKEN`` -> ``GH_TOKEN``)."""
    kind = KINDS[found.kind]
    out = kind.secret
    if name and credential_name(name):
        n = normal_name(name)
        if n and (n not in _GENERIC or found.kind in ("credential", "url-password")):
            out = n
    out = re.sub(r"_+", "_", out)
    if out.startswith("GITHUB_"):
        out = "GH_" + out.removeprefix("GITHUB_")
    if out[:1].isdigit():
        out = "SECRET_" + out
    return out
