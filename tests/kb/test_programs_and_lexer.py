"""Well-known programs run with the job token, and shell syntax the lexer reads as data."""

from __future__ import annotations

import pytest

from fixbot.kb import Need, analyze_shell, lookup_program, merge_scopes
from fixbot.kb.shell import parse
from fixbot.kb.tables import program_rules


def _scopes(needs: tuple[Need, ...]) -> dict[str, str]:
    return merge_scopes(*(n.scopes for n in needs))


def test_program_rules_are_well_formed() -> None:
    for rule in program_rules():
        assert rule.name == rule.name.lower()
        for need in rule.needs:
            assert need.reason and need.source.startswith("https://"), rule.name
            assert "id-token" not in need.scopes or not need.via_token, rule.name
            assert "deployments" not in need.scopes, rule.name


def test_goreleaser_gets_every_documented_scope() -> None:
    needs = lookup_program("goreleaser", "goreleaser release --clean")
    assert needs is not None
    assert _scopes(needs) == {"contents": "write", "id-token": "write", "issues": "write",
                              "packages": "write"}
    assert [n.via_token for n in needs if "id-token" in n.scopes] == [False]


@pytest.mark.parametrize("line", ["dist host --steps=upload", "dist plan --output-format=json",
                                  "cargo dist build --tag=v1"])
def test_cargo_dist_releases_need_contents_write(line: str) -> None:
    needs = lookup_program(line.split()[0], line)
    assert needs is not None and _scopes(needs) == {"contents": "write"}


@pytest.mark.parametrize("line", ["cargo build --release", "cargo release patch", "node x.js",
                                  "semantic-release", "npx changeset publish"])
def test_other_programs_stay_unknown(line: str) -> None:
    assert lookup_program(line.split()[0], line) is None


def cmds(script: str) -> list[list[str]]:
    parsed = parse(script)
    assert parsed.error is None, parsed.error
    return [[c.program, *c.args] for c in parsed.commands]


def test_array_assignments_are_data() -> None:
    got = cmds('labels=("release blocker")\nlabels+=("minor $(gh api x) blocker")\nfoo')
    assert got == [["gh", "api", "x"], ["foo"]]


def test_arithmetic_runs_no_program() -> None:
    assert cmds("n=$((n + 1))\n(( count++ ))\necho $(( $(date +%s) - 1 ))") == [
        ["date", "+%s"], ["echo", "$(( $(date +%s) - 1 ))"]]


def test_case_patterns_are_data() -> None:
    script = 'case "$a" in\n  foo|bar) gh pr view 1 ;;\n  *)\n    echo no\n    ;;\nesac\nbaz'
    assert cmds(script) == [["gh", "pr", "view", "1"], ["echo", "no"], ["baz"]]
    assert cmds("case $a in foo) one;; *) two;; esac; three") == [["one"], ["two"], ["three"]]
    # a subshell inside a case arm is still a command
    assert ["make"] in cmds("case $a in\n x) (cd d; make) ;;\nesac")


def test_case_arm_gh_calls_still_count() -> None:
    found = analyze_shell('case "$1" in\n  *) gh pr comment 1 -b hi ;;\nesac')
    assert merge_scopes(*(n.scopes for n in found.needs)) == {"pull-requests": "write"}


def test_arithmetic_conditions_run_no_program() -> None:
    assert cmds("if (( unavailable > 0 )); then\n  echo x\nfi\nwhile ((i < 3)); do i=1; done") == [
        ["echo", "x"]]


def test_smokeshow_and_pinact() -> None:
    needs = lookup_program("smokeshow", "smokeshow upload htmlcov")
    assert needs is not None and _scopes(needs) == {"statuses": "write"}
    plain = lookup_program("pinact", "pinact run -u")
    assert plain is not None and _scopes(plain) == {"contents": "read"}
    review = lookup_program("pinact", "pinact run -review -pr 3")
    assert review is not None and _scopes(review) == {"contents": "read", "pull-requests": "write"}


def test_zizmor_only_reads() -> None:
    for line in ("zizmor --format sarif .", "uvx zizmor --format sarif ."):
        needs = lookup_program(line.split()[0], line)
        assert needs is not None and _scopes(needs) == {"actions": "read", "contents": "read"}
    assert lookup_program("uvx", "uvx ruff check") is None


def test_quoted_arithmetic_runs_no_program() -> None:
    assert cmds('echo "n: $((n + 1)) at $(date)"') == [["date"], ["echo", "n: $((n + 1)) at $(date)"]]


@pytest.mark.parametrize("line", [
    "npm publish", "gem push --KEY github --host https://rubygems.pkg.github.com/o x.gem",
    "mvn --batch-mode deploy -s settings.xml", "gradlew publish", "gradle publishToMavenLocal",
    "docker login ghcr.io --username u --password-stdin", "helm registry login ghcr.io -u x",
])
def test_publishing_to_github_packages_needs_packages_write(line: str) -> None:
    needs = lookup_program(line.split()[0], line)
    assert needs is not None and _scopes(needs) == {"packages": "write"}


@pytest.mark.parametrize("line", ["npm run build", "gem build x.gemspec", "mvn test",
                                  "docker build .", "docker login docker.io -u x"])
def test_other_package_commands_stay_unknown(line: str) -> None:
    assert lookup_program(line.split()[0], line) is None


def test_functions_are_followed_where_they_are_called() -> None:
    script = ("release() { goreleaser release --clean; }\n"
              "GITHUB_TOKEN=${{ github.token }} release\n")
    found = analyze_shell(script, env={})
    assert found.unknown == ()  # `release` is the function, not an unknown program
    assert "contents" in merge_scopes(*(n.scopes for n in found.needs))  # goreleaser's needs
