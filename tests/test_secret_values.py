"""The credential detector against its labelled set (tests/secrets/cases.toml): every case's kind
and span, precision and recall, and the two ways a value is shown or named."""

from __future__ import annotations

import re
import time
import tomllib
from pathlib import Path

import pytest

from fixbot.kb.secret_values import KINDS, Found, credential_name, find, redacted, secret_name

CASES = tomllib.loads((Path(__file__).parent / "secrets" / "cases.toml").read_text(encoding="utf-8"))["case"]
PLACES = {"env", "with", "run-bash", "run-pwsh", "run-python", "container", "services", "python-file"}


def _id(i: int, case: dict[str, str]) -> str:
    return f"{i:03}-{case['expect']}-{case['place']}-{case.get('name', '_')}"


def test_the_set_is_big_and_well_formed() -> None:
    assert len(CASES) >= 100
    assert {c["place"] for c in CASES} == PLACES
    kinds = {c["expect"] for c in CASES} - {"none"}
    assert kinds == set(KINDS), f"kinds without a true case: {set(KINDS) - kinds}"
    for kind in kinds:  # each kind in more than one place
        assert len({c["place"] for c in CASES if c["expect"] == kind}) >= 2, kind
    assert sum(c["expect"] == "none" for c in CASES) >= 50


def test_precision_and_recall() -> None:
    tp = fp = fn = 0
    wrong: list[str] = []
    for i, c in enumerate(CASES):
        found = find(c["value"], c.get("name"))
        if c["expect"] == "none":
            fp += bool(found)
            if found:
                wrong.append(f"false positive {_id(i, c)}: {[f.kind for f in found]}")
        elif found:
            tp += 1
        else:
            fn += 1
            wrong.append(f"missed {_id(i, c)}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    summary = (f"{len(CASES)} cases: {tp} true positives, {fp} false positives, {fn} missed; "
               f"precision {precision:.1%}, recall {recall:.1%}")
    print(summary)
    assert fp == 0 and fn == 0, summary + "\n" + "\n".join(wrong)


@pytest.mark.parametrize("case", CASES, ids=[_id(i, c) for i, c in enumerate(CASES)])
def test_case_kind_and_span(case: dict[str, str]) -> None:
    value = case["value"]
    found = find(value, case.get("name"))
    if case["expect"] == "none":
        assert found == []
        return
    secret = case.get("secret", value)
    start = value.index(secret)
    assert found == [Found(case["expect"], KINDS[case["expect"]].label, start, start + len(secret))]
    assert found[0].value(value) == secret


_SHOWN = re.compile(r"\*\*\*\* \(\d+ chars\)")


@pytest.mark.parametrize("case", [c for c in CASES if c["expect"] != "none"],
                         ids=[_id(i, c) for i, c in enumerate(CASES) if c["expect"] != "none"])
def test_redacted_shows_only_the_public_prefix(case: dict[str, str]) -> None:
    value = case.get("secret", case["value"])
    kind = case["expect"]
    shown = redacted(kind, value)
    prefix = shown[:shown.index("****")]
    assert value.startswith(prefix)
    assert _SHOWN.fullmatch(shown[len(prefix):]), shown
    assert shown.endswith(f"({len(value)} chars)")
    public = KINDS[kind].prefixes
    if kind == "private-key":
        assert re.fullmatch(r"-----BEGIN [A-Z ]*PRIVATE KEY-----", prefix)
    else:
        assert prefix in public or prefix == "", (kind, prefix)
    # nothing of the value past its prefix, whatever the kind claimed
    assert redacted("credential", value) == f"**** ({len(value)} chars)"
    assert redacted("no-such-kind", value) == f"**** ({len(value)} chars)"


def test_redacted_examples() -> None:
    assert redacted("github-pat-classic", "ghp_" + "A1b2" * 9) == "ghp_**** (40 chars)"
    assert redacted("npm-token", "npm_" + "Zz9" * 12) == "npm_**** (40 chars)"
    assert redacted("aws-secret-access-key", "k" * 40) == "**** (40 chars)"
    # a prefix is shown only when the value has it
    assert redacted("github-pat-classic", "gho_abc") == "**** (7 chars)"


def _found(kind: str) -> Found:
    return Found(kind, KINDS[kind].label, 0, 1)


@pytest.mark.parametrize("kind,name,expected", [
    ("github-pat-classic", None, "GH_PAT"),
    ("github-pat-classic", "token", "GH_PAT"),  # a bare word says less than the format
    ("github-pat-classic", "GITHUB_TOKEN", "GH_TOKEN"),  # GITHUB_ is reserved
    ("github-pat-classic", "github-token", "GH_TOKEN"),
    ("github-pat-fine-grained", "INPUT_RELEASE_PAT", "RELEASE_PAT"),
    ("github-app-installation", "with", "GH_APP_TOKEN"),
    ("aws-access-key-id", "AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID"),  # not credential-like: kind
    ("aws-secret-access-key", "aws_secret_access_key", "AWS_SECRET_ACCESS_KEY"),
    ("slack-token", "SLACK_BOT_TOKEN", "SLACK_BOT_TOKEN"),
    ("slack-webhook", "webhook-url", "SLACK_WEBHOOK_URL"),
    ("npm-token", "NODE_AUTH_TOKEN", "NODE_AUTH_TOKEN"),
    ("npm-token", None, "NPM_TOKEN"),
    ("pypi-token", "password", "PYPI_TOKEN"),
    ("dockerhub-token", "password", "DOCKERHUB_TOKEN"),
    ("stripe-key", "api_key", "STRIPE_SECRET_KEY"),
    ("google-api-key", "key", "GOOGLE_API_KEY"),
    ("sendgrid-key", None, "SENDGRID_API_KEY"),
    ("private-key", "ssh-private-key", "SSH_PRIVATE_KEY"),
    ("jwt", None, "JWT"),
    ("url-password", "DATABASE_URL", "URL_PASSWORD"),
    ("credential", "db-password", "DB_PASSWORD"),
    ("credential", "password", "PASSWORD"),
    ("credential", None, "API_TOKEN"),
    ("credential", "Sonar.Token", "SONAR_TOKEN"),
    ("credential", "2fa__token", "SECRET_2FA_TOKEN"),  # must not start with a digit
    ("credential", "GITHUB_APP_PRIVATE_KEY", "GH_APP_PRIVATE_KEY"),
])
def test_secret_name(kind: str, name: str | None, expected: str) -> None:
    assert secret_name(_found(kind), name) == expected


@pytest.mark.parametrize("case", CASES, ids=[_id(i, c) for i, c in enumerate(CASES)])
def test_secret_names_are_valid(case: dict[str, str]) -> None:
    for f in find(case["value"], case.get("name")):
        n = secret_name(f, case.get("name"))
        assert re.fullmatch(r"[A-Z_][A-Z0-9_]*", n) and not n.startswith("GITHUB_"), n


@pytest.mark.parametrize("name,expected", [
    ("NPM_TOKEN", True), ("api-key", True), ("db_password", True), ("PGPASSWORD", True),
    ("INPUT_TOKEN", True), ("RELEASE_PAT", True), ("auth", True), ("client_secret", True),
    ("MYSQL_ROOT_PASSWORD", True), ("SIGNING_KEY", True),
    ("AUTHOR", False), ("PATH", False), ("PWD", False), ("key", False), ("CACHE_KEY", False),
    ("PUBLIC_KEY", False), ("STRIPE_PUBLISHABLE_KEY", False), ("AWS_ACCESS_KEY_ID", False),
    ("CLIENT_ID", False), ("TOKEN_URL", False), ("", False), (None, False),
])
def test_credential_name(name: str | None, expected: bool) -> None:
    assert credential_name(name) is expected


def test_found_never_holds_the_value() -> None:
    value = "ghp_" + "Q7w" * 12
    (f,) = find(value, "GH_TOKEN")
    assert value not in repr(f) and value[4:] not in str(f)


def test_find_is_fast() -> None:
    """Called on every env value and shell word of every workflow: a few microseconds a value."""
    values = [(c["value"], c.get("name")) for c in CASES] * 20
    words = [("ubuntu-latest", None), ("pip install -r requirements.txt", None), ("${{ matrix.os }}", "OS"),
             ("--frozen-lockfile", None), ("3.11", "PYTHON_VERSION")] * 2000
    t0 = time.perf_counter()
    for v, n in words:
        find(v, n)
    plain = (time.perf_counter() - t0) / len(words)
    t0 = time.perf_counter()
    for v, n in values:
        find(v, n)
    labelled = (time.perf_counter() - t0) / len(values)
    print(f"find: {plain * 1e6:.1f} us per ordinary word, {labelled * 1e6:.1f} us per labelled case")
    assert plain < 50e-6 and labelled < 2e-3
