"""The sweep's pure parts: `.github/fixbot.yml` validation and merging, shards, the progress
line, the Markdown report."""

from __future__ import annotations

import io

import pytest

from fixbot import config
from fixbot.commands.lifecycle import Outcome
from fixbot.forge import PullInfo
from fixbot.sweep import in_shard
from fixbot.sweep.report import Progress, markdown


@pytest.mark.parametrize(("text", "message"), [
    ("enabled: maybe\n", "x.yml: enabled: expected true or false, got str 'maybe'"),
    ("- a\n", "x.yml: expected a mapping of settings, got a list"),
    ("enable: false\n", "x.yml: unknown key 'enable' (known: enabled, transforms, "
                        "ignore-paths, labels, reviewers, max-open-prs)"),
    ("transforms: [permissions]\n", "x.yml: transforms: expected a mapping with `only` and/or "
                                    "`skip`, got a list"),
    ("transforms:\n  only: [permisions]\n", "x.yml: transforms.only: unknown transform id "
     "'permisions' (known: fork-safety, permissions, persist-credentials, secrets, template-injection)"),
    ("transforms:\n  drop: [secrets]\n", "x.yml: transforms: unknown key 'drop' (known: only, "
                                         "skip)"),
    ("labels: 7\n", "x.yml: labels: expected a list of strings, got int 7"),
    ("reviewers: ['not a login']\n", "x.yml: reviewers: not a GitHub login: 'not a login'"),
    ("max-open-prs: 3\n", "x.yml: max-open-prs is an org-level setting (fixbot sweep --config "
                          "FILE), not a repository's"),
    ("labels: [a\n", "x.yml: not valid YAML (line 2): expected ',' or ']', but got '<stream "
                     "end>'"),
])
def test_invalid_files_say_which_key_and_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(config.ConfigError) as err:
        config.parse(text, "x.yml")
    assert str(err.value) == message


def test_a_repositorys_keys_win_and_lists_add_up() -> None:
    org = config.parse("labels: [security]\nreviewers: [octocat]\nignore-paths: ['a*']\n"
                       "max-open-prs: 9\n", "org.yml", org=True)
    repo = config.parse("labels: [ci]\ntransforms:\n  skip: [secrets]\n")
    got = config.merge(org, repo)
    assert (got.enabled, got.only, got.skip, got.ignore_paths, got.labels, got.reviewers,
            got.max_open_prs) == (True, None, ("secrets",), ("a*",), ("security", "ci"),
                                  ("octocat",), 9)
    assert config.merge(org, config.parse("enabled: false\n")).enabled is False
    assert config.parse("") == config.Config()


def test_shards_split_every_name_once_and_alike_everywhere() -> None:
    names = [f"acme/repo-{i}" for i in range(300)]
    parts = [[n for n in names if in_shard(n, (i, 4))] for i in (1, 2, 3, 4)]
    assert sorted(n for p in parts for n in p) == sorted(names)
    assert all(40 < len(p) < 110 for p in parts)  # a hash, not a range
    assert in_shard("Acme/Repo-7", (1, 4)) == in_shard("acme/repo-7", (1, 4))
    # sha256 of the name: the same split on every machine and Python (no hash seed)
    assert [n for n in names[:8] if in_shard(n, (2, 4))] == ['acme/repo-1', 'acme/repo-4', 'acme/repo-7']


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_redraws_one_line_on_a_terminal_and_prints_lines_elsewhere() -> None:
    pr = PullInfo(1, "http://x/acme/a/pull/1", "open", False, "T", "B", "abc")
    done = [Outcome("acme/a", "pr-opened", pr), Outcome("acme/b", "error", reason="boom")]
    tty = _Tty()
    p = Progress(2, tty)
    for o in done:
        p(o)
    assert tty.getvalue() == (
        "\r[############------------] 1/2 repositories, 1 PR(s) opened, 0 error(s)"
        "\r[########################] 2/2 repositories, 1 PR(s) opened, 1 error(s)\n")
    plain = io.StringIO()
    p = Progress(2, plain)
    for o in done:
        p(o)
    assert plain.getvalue() == ("fixbot: [1/2] acme/a: pr-opened\n"
                                "fixbot: [2/2] acme/b: error\n")


def test_the_markdown_report_has_a_table_per_status() -> None:
    pr = PullInfo(3, "http://x/acme/a/pull/3", "open", False, "T", "B", "abc")
    md = markdown("acme", [Outcome("acme/a", "pr-opened", pr),
                           Outcome("acme/b", "skipped", reason="repository is a fork | x")],
                  shard=(2, 4))
    assert md == (
        "# fixbot sweep of acme (shard 2 of 4)\n\n"
        "2 repositories: 1 pull request(s) opened, 0 updated, 1 skipped, 0 error(s).\n\n"
        "## Pull requests opened (1)\n\n| Repository | Pull request | Why |\n|---|---|---|\n"
        "| acme/a | [#3](http://x/acme/a/pull/3) |  |\n\n"
        "## Skipped (1)\n\n| Repository | Pull request | Why |\n|---|---|---|\n"
        "| acme/b |  | repository is a fork \\| x |\n")
