"""The forge client after an hour and after a lost answer (issue 7, item 13).

* PyGithub objects fetched with an installation token that was since renewed are fetched again
  through the new client (the sandbox's switch expires the old token, as an hour would).
* A POST that creates something is not repeated blindly after a 5xx: the sandbox's ``500-after``
  fault carries the request out and then answers 500.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from forge_helpers import BOT, HUMAN
from github import Auth, Github

from fixbot.errors import ForgeError, UsageError
from fixbot.forge import AppCredentials, Forge, Policy, TokenCredentials, api_url
from fixbot.sandbox import Sandbox

BRANCH = "fixbot/harden-workflows"
MARKER = "<!-- fixbot:test -->"


class Clock:
    """The forge client's clock; the sandbox keeps real time."""

    def __init__(self) -> None:
        import time

        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def _rest(sb: Sandbox) -> list[str]:
    return [e.line() for e in sb.access_log if e.path.startswith("/api/")]


@pytest.fixture
def app_forge(tmp_path: Path) -> tuple[Sandbox, Forge, Clock]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    sb = Sandbox(tmp_path / "f").start()
    sb.configure_app(9, public)
    sb.add_installation("acme", 5)
    sb.create_repo("acme", "a", {"README.md": "a\n"})
    sb.push_files("acme", "a", BRANCH, {"x.txt": "x\n"}, "x", author="fixbot-bot")
    clock = Clock()
    forge = Forge(sb.api_url, AppCredentials("9", pem), Policy(sleep=lambda _s: None, clock=clock))
    yield sb, forge, clock
    sb.stop()


def test_cached_objects_are_fetched_again_after_the_token_is_renewed(
        app_forge: tuple[Sandbox, Forge, Clock]) -> None:
    sb, forge, clock = app_forge
    pull = forge.open_pull("acme/a", "main", BRANCH, "T", "B", "fixbot")
    first = forge.git_token("acme/a")
    assert sb.expire_installation_tokens() == 1  # an hour passes on the forge ...
    clock.now += 3600 - 200  # ... and for the client: within 5 minutes of the expiry
    sb.clear_log()
    forge.edit_pull("acme/a", pull.number, title="T2")
    forge.comment("acme/a", pull.number, f"hello {MARKER}", MARKER)
    assert forge.repo("acme/a").full_name == "acme/a"
    assert forge.git_token("acme/a") != first
    assert _rest(sb) == [
        "GET /api/v3/repos/acme/a/installation 200",
        "POST /api/v3/app/installations/5/access_tokens 201",
        "GET /api/v3/repos/acme/a 200",  # fetched again through the new client
        "GET /api/v3/repos/acme/a/pulls/1 200",
        "PATCH /api/v3/repos/acme/a/pulls/1 200",
        "POST /api/v3/repos/acme/a/issues/1/comments 201"]
    assert forge.pulls("acme/a", BRANCH)[0].title == "T2"


def _token_forge(sb: Sandbox) -> Forge:
    return Forge(sb.api_url, TokenCredentials(BOT), Policy(sleep=lambda _s: None))


def test_a_comment_whose_answer_was_lost_is_not_posted_twice(sandbox: Sandbox) -> None:
    sandbox.create_repo("acme", "w", {"README.md": "x\n"})
    sandbox.push_files("acme", "w", BRANCH, {"a.txt": "a\n"}, "a", author="fixbot-bot")
    forge = _token_forge(sandbox)
    forge.open_pull("acme/w", "main", BRANCH, "T", "B", "fixbot")
    sandbox.inject_fault(r"/issues/1/comments$", "500-after", count=1, method="POST")
    sandbox.clear_log()
    forge.comment("acme/w", 1, f"hello {MARKER}", MARKER)
    assert _rest(sandbox) == ["POST /api/v3/repos/acme/w/issues/1/comments 500",
                              "GET /api/v3/repos/acme/w/issues/1/comments 200"]
    gh = Github(base_url=sandbox.api_url, auth=Auth.Token(HUMAN), retry=None)
    assert [c.body for c in gh.get_repo("acme/w").get_issue(1).get_comments()] == [
        f"hello {MARKER}"]


def test_a_comment_that_was_not_made_is_retried_once(sandbox: Sandbox) -> None:
    sandbox.create_repo("acme", "w", {"README.md": "x\n"})
    sandbox.push_files("acme", "w", BRANCH, {"a.txt": "a\n"}, "a", author="fixbot-bot")
    forge = _token_forge(sandbox)
    forge.open_pull("acme/w", "main", BRANCH, "T", "B", "fixbot")
    sandbox.inject_fault(r"/issues/1/comments$", "500", count=1, method="POST")
    sandbox.clear_log()
    forge.comment("acme/w", 1, f"hello {MARKER}", MARKER)
    assert _rest(sandbox) == ["POST /api/v3/repos/acme/w/issues/1/comments 500",
                              "GET /api/v3/repos/acme/w/issues/1/comments 200",
                              "POST /api/v3/repos/acme/w/issues/1/comments 201"]
    assert forge.has_comment("acme/w", 1, MARKER)


def test_a_pull_request_whose_answer_was_lost_is_adopted_not_duplicated(sandbox: Sandbox) -> None:
    sandbox.create_repo("acme", "w", {"README.md": "x\n"})
    sandbox.push_files("acme", "w", BRANCH, {"a.txt": "a\n"}, "a", author="fixbot-bot")
    sandbox.inject_fault(r"/repos/acme/w/pulls$", "500-after", count=1, method="POST")
    forge = _token_forge(sandbox)
    sandbox.clear_log()
    info = forge.open_pull("acme/w", "main", BRANCH, "T", "B", "fixbot")
    assert info.number == 1
    assert [(p.number, p.state) for p in forge.pulls("acme/w", BRANCH)] == [(1, "open")]
    assert _rest(sandbox)[:3] == ["GET /api/v3/repos/acme/w 200",
                                  "POST /api/v3/repos/acme/w/pulls 500",
                                  "GET /api/v3/repos/acme/w/pulls 200"]
    assert not any(ln.startswith("POST /api/v3/repos/acme/w/pulls ") for ln in _rest(sandbox)[3:])


def test_comment_text_must_carry_its_marker(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="must contain its marker"):
        _token_forge(sandbox).comment("acme/w", 1, "no marker", MARKER)


def test_urls_with_userinfo_are_not_echoed() -> None:
    with pytest.raises(UsageError) as err:
        api_url("ftp://bot:s3cr3t@ghe.example/api/v3", {})
    assert str(err.value) == "--github-url: expected an http(s) URL, got 'ftp://ghe.example/api/v3'"


def test_forge_errors_carry_no_userinfo(sandbox: Sandbox) -> None:
    url = sandbox.api_url.replace("http://", "http://bot:s3cr3t@")
    forge = Forge(url, TokenCredentials(BOT), Policy(sleep=lambda _s: None, attempts=1))
    with pytest.raises(ForgeError) as err:
        forge.repo("acme/missing")
    assert "s3cr3t" not in str(err.value) and "bot:" not in str(err.value)
