"""What ``fixbot run`` prints: progress on stderr under -v (nothing extra on stdout with --format
json), silence under -q, and never URL userinfo or a token (issue 7, item 13 and "Also")."""

from __future__ import annotations

import json
import logging

import pytest
from e2e_helpers import BOT_TOKEN, HUMAN_TOKEN, seed

from fixbot.cli import main
from fixbot.sandbox import Sandbox

ONLY = ["--only", "persist-credentials"]


def test_verbose_run_says_what_it_does_on_stderr_only(sb: Sandbox,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    repo = seed(sb, "webapp")
    assert main(["run", repo, "-v", *ONLY, "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["status"] == "pr-opened"  # stdout is the JSON object alone
    assert err.splitlines() == [
        f"fixbot: acme/webapp: cloning {sb.url}/acme/webapp.git (branch main)",
        "fixbot: acme/webapp: 1 workflow file(s): 1 changed, 0 unchanged, 0 error(s)",
        "fixbot: acme/webapp: pushing fixbot/harden-workflows",
        "fixbot: acme/webapp: opening a pull request"]
    # -v before the command works too; the rerun is up to date and pushes nothing
    assert main(["-v", "run", repo, *ONLY, "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["status"] == "up-to-date"
    assert err.splitlines() == [
        f"fixbot: acme/webapp: cloning {sb.url}/acme/webapp.git (branch main)",
        "fixbot: acme/webapp: 1 workflow file(s): 1 changed, 0 unchanged, 0 error(s)"]


@pytest.mark.parametrize("flags", [[], ["-q"], ["-v", "-q"]])
def test_quiet_and_default_runs_print_nothing_on_stderr(sb: Sandbox, flags: list[str],
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    repo = seed(sb, "webapp")
    assert main(["run", repo, *flags, *ONLY, "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert (json.loads(out)["status"], err) == ("pr-opened", "")


def test_a_source_url_with_userinfo_is_never_echoed(sb: Sandbox,
                                                    capsys: pytest.CaptureFixture[str],
                                                    caplog: pytest.LogCaptureFixture) -> None:
    seed(sb, "webapp")
    caplog.set_level(logging.DEBUG)
    secret_url = sb.git_url("acme", "webapp").replace("http://", f"http://alice:{HUMAN_TOKEN}@")
    assert main(["run", secret_url, "-vv", *ONLY, "--format", "json"]) == 0
    out, err = capsys.readouterr()
    obj = json.loads(out)
    assert (obj["repo"], obj["status"]) == (f"{sb.url}/acme/webapp", "pr-opened")
    assert main(["run", secret_url, *ONLY]) == 0
    text_out, text_err = capsys.readouterr()
    assert text_out.startswith(f"{sb.url}/acme/webapp: pr-opened\n")
    missing = sb.git_url("acme", "nope").replace("http://", f"http://alice:{HUMAN_TOKEN}@")
    assert main(["run", missing, *ONLY, "--format", "json"]) == 3
    bad_out, bad_err = capsys.readouterr()
    bad = json.loads(bad_out)
    assert (bad["repo"], bad["status"]) == (f"{sb.url}/acme/nope", "error")
    assert bad["reason"].startswith("git clone failed: ")
    for where, text in {"stdout": out + text_out + bad_out, "stderr": err + text_err + bad_err,
                        "logs": caplog.text}.items():
        assert HUMAN_TOKEN not in text, where
        assert BOT_TOKEN not in text, where
        assert "alice:" not in text, where
