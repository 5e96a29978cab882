"""Every knowledge-base entry is well formed, and known facts come out of the lookup API exactly."""

from __future__ import annotations

import re

import pytest

from fixbot.kb import SCOPE_LEVELS, ActionInfo, Need, lookup_action, lookup_reusable_workflow
from fixbot.kb.actions import action_entries, workflow_entries
from fixbot.kb.tables import tables
from fixbot.kb.versions import parse_spec

JOB = "${{ secrets.GITHUB_TOKEN }}"


def _all_entries():  # type: ignore[no-untyped-def]
    seen = set()
    for table in (action_entries(), workflow_entries()):
        for key, entry in table.items():
            if id(entry) not in seen:
                seen.add(id(entry))
                yield key, entry


def _scopes(info: ActionInfo | None) -> list[dict[str, str]]:
    assert info is not None
    return [dict(n.scopes) for n in info.needs]


def _check_need(need: Need, where: str) -> None:
    assert need.reason.strip() and "\n" not in need.reason, where
    assert need.source.startswith("https://"), where
    for scope, level in need.scopes.items():
        assert scope in SCOPE_LEVELS, f"{where}: unknown scope {scope}"
        assert level in SCOPE_LEVELS[scope], f"{where}: {scope}: {level} is not allowed"
    if "id-token" in need.scopes:
        assert not need.via_token, f"{where}: id-token never goes through a token input"
    if need.scopes.get("deployments") == "write":
        assert "release" not in need.reason.lower(), f"{where}: releases need contents write"


def test_every_action_entry_is_well_formed() -> None:
    entries = list(_all_entries())
    assert len(entries) > 150
    for key, entry in entries:
        assert key == key.lower() and key.count("/") >= 1, key
        assert entry.reason.strip() and "\n" not in entry.reason, key
        assert entry.source.startswith("https://"), key
        for alias in [k for k, e in action_entries().items() if e is entry]:
            assert entry.source_for(alias).startswith("https://github.com/") or alias == entry.key
        for en in entry.needs:
            _check_need(en.need, key)
            parse_spec(en.versions)
            for cond in en.when:
                assert cond.input == cond.input.lower()
                if cond.matches is not None:
                    re.compile(cond.matches)


def test_every_script_fact_is_well_formed() -> None:
    t = tables()
    for key, need in [*t.gh.items(), *t.octokit.items(), *t.git.items(), ("oidc", t.oidc)]:
        if need is not None:
            _check_need(need, key)
    for rule in t.rest:
        assert rule.need is None or rule.need.source.startswith("https://")
        assert rule.scope is None or rule.scope in SCOPE_LEVELS
    for ns, (scope, source) in t.namespaces.items():
        assert scope is None or scope in SCOPE_LEVELS, ns
        assert source.startswith("https://"), ns


def test_checkout_needs_contents_read() -> None:
    assert _scopes(lookup_action("actions/checkout@v4", {})) == [{"contents": "read"}]
    assert _scopes(lookup_action("Actions/Checkout@v4.1.2", {"fetch-depth": "0"})) == [{"contents": "read"}]
    assert _scopes(lookup_action("actions/checkout@main", {"token": "${{ github.token }}"})) == [
        {"contents": "read"}
    ]
    # another credential: the checkout no longer uses the job token
    assert _scopes(lookup_action("actions/checkout@v4", {"token": "${{ secrets.PAT }}"})) == []


def test_release_needs_contents_write_never_deployments() -> None:
    assert _scopes(lookup_action("softprops/action-gh-release@v2", {"files": "dist/*"})) == [
        {"contents": "write"}
    ]
    for key, entry in _all_entries():
        for en in entry.needs:
            if "release" in en.need.reason.lower() and en.need.scopes:
                assert "deployments" not in en.need.scopes, key


def test_upload_sarif_needs_security_events_and_actions_read() -> None:
    for ref in ("v3", "v4", "ff2f1c621b7f889edc0d3c761ac2e6a3f8cdb0dd"):
        info = lookup_action(f"github/codeql-action/upload-sarif@{ref}", {"sarif_file": "r.sarif"})
        assert _scopes(info) == [{"security-events": "write", "actions": "read", "contents": "read"}]


def test_codeql_analyze() -> None:
    assert _scopes(lookup_action("github/codeql-action/analyze@v3", {})) == [
        {"actions": "read", "contents": "read"},
        {"security-events": "write"},
    ]
    assert _scopes(lookup_action("github/codeql-action/analyze@v3", {"upload": "never"})) == [
        {"actions": "read", "contents": "read"}
    ]


def test_pypi_trusted_publishing() -> None:
    info = lookup_action("pypa/gh-action-pypi-publish@release/v1", {})
    assert info is not None and [(dict(n.scopes), n.via_token) for n in info.needs] == [
        ({"id-token": "write"}, False)
    ]
    assert _scopes(lookup_action("pypa/gh-action-pypi-publish@v1", {"password": "${{ secrets.PYPI }}"})) == []


def test_docker_login_to_ghcr_needs_packages_write() -> None:
    ghcr = {"registry": "ghcr.io", "username": "${{ github.actor }}", "password": JOB}
    assert _scopes(lookup_action("docker/login-action@v3", ghcr)) == [{"packages": "write"}]
    assert _scopes(lookup_action("docker/login-action@v3", {**ghcr, "password": "${{ github.token }}"})) == [
        {"packages": "write"}
    ]
    # Docker Hub, or GHCR with a PAT: nothing for the job token
    assert (
        _scopes(lookup_action("docker/login-action@v3", {"username": "u", "password": "${{ secrets.HUB }}"}))
        == []
    )
    assert (
        _scopes(lookup_action("docker/login-action@v3", {**ghcr, "password": "${{ secrets.CR_PAT }}"})) == []
    )


def test_build_push_to_ghcr() -> None:
    inputs = {"context": ".", "push": True, "tags": "ghcr.io/o/r:latest"}
    assert _scopes(lookup_action("docker/build-push-action@v6", inputs)) == [{"packages": "write"}]  # type: ignore[arg-type]
    assert _scopes(lookup_action("docker/build-push-action@v6", {**inputs, "push": "false"})) == []
    assert _scopes(
        lookup_action(
            "docker/build-push-action@v6", {**inputs, "push": "${{ github.event_name != 'pull_request' }}"}
        )
    ) == [{"packages": "write"}]
    assert _scopes(lookup_action("docker/build-push-action@v6", {"push": "true", "tags": "user/img"})) == [
        {"contents": "read"}
    ]


def test_aws_credentials_oidc_only_with_role_and_no_keys() -> None:
    role = {"role-to-assume": "arn:aws:iam::1:role/x", "aws-region": "us-east-1"}
    assert _scopes(lookup_action("aws-actions/configure-aws-credentials@v4", role)) == [{"id-token": "write"}]
    keys = {**role, "aws-access-key-id": "${{ secrets.K }}", "aws-secret-access-key": "${{ secrets.S }}"}
    assert _scopes(lookup_action("aws-actions/configure-aws-credentials@v4", keys)) == []
    assert _scopes(lookup_action("aws-actions/configure-aws-credentials@v4", {"aws-region": "x"})) == []


def test_scorecard_publish_results() -> None:
    base = {"results_file": "r.sarif", "results_format": "sarif"}
    assert _scopes(lookup_action("ossf/scorecard-action@v2", {**base, "publish_results": "true"})) == [
        {"contents": "read", "actions": "read"},
        {"id-token": "write"},
    ]
    assert _scopes(lookup_action("ossf/scorecard-action@v2", base)) == [
        {"contents": "read", "actions": "read"}
    ]
    # a PAT replaces the job token for reads, but OIDC does not go through it
    assert _scopes(
        lookup_action(
            "ossf/scorecard-action@v2",
            {**base, "repo_token": "${{ secrets.SCORECARD }}", "publish_results": True},
        )  # type: ignore[dict-item]
    ) == [{"id-token": "write"}]


def test_known_safe_actions_have_no_needs() -> None:
    for uses in (
        "actions/setup-python@v5",
        "actions/cache@v4",
        "actions/upload-artifact@v4",
        "actions/cache/restore@v4",
        "astral-sh/setup-uv@v6",
        "swatinem/rust-cache@v2",
    ):
        info = lookup_action(uses, {})
        assert info is not None and info.needs == (), uses


def test_unknown_and_local_actions() -> None:
    assert lookup_action("someone/unknown-action@v1", {}) is None
    assert lookup_action("./.github/actions/local", {}) is None
    assert lookup_action("docker://alpine:3", {}) is None
    assert lookup_action("fluxcd/pkg//actions/kustomize@main", {}) is not None


def test_alias_reports_the_key_that_matched() -> None:
    info = lookup_action("nick-invision/retry@v2", {})
    assert info is not None and info.uses == "nick-invision/retry"
    info = lookup_action("DenoLand/setup-deno@v2", {})
    assert info is not None and info.uses == "denoland/setup-deno"


def test_version_aware_needs_and_union_when_unknown() -> None:
    sha = "28ca1036281a5e5922ead5184a1bbf96e5fc984e"
    v9 = [{"issues": "write", "pull-requests": "write"}, {"actions": "write"}]
    v8 = [{"issues": "write", "pull-requests": "write"}]
    assert _scopes(lookup_action("actions/stale@v9", {})) == v9
    assert _scopes(lookup_action("actions/stale@v9.1.0", {})) == v9
    assert _scopes(lookup_action("actions/stale@v8.0.0", {})) == v8
    assert _scopes(lookup_action(f"actions/stale@{sha}", {}, "# v8.0.0")) == v8
    assert _scopes(lookup_action(f"actions/stale@{sha}", {}, "v9")) == v9
    # undeterminable versions: the union of all versions
    assert _scopes(lookup_action(f"actions/stale@{sha}", {})) == v9
    assert _scopes(lookup_action("actions/stale@main", {})) == v9
    assert _scopes(lookup_action(f"actions/stale@{sha}", {}, "# pinned")) == v9


def test_download_artifact_from_other_runs() -> None:
    assert _scopes(lookup_action("actions/download-artifact@v4", {"name": "x"})) == []
    assert _scopes(lookup_action("actions/download-artifact@v4", {"run-id": "1"})) == []
    assert _scopes(
        lookup_action(
            "actions/download-artifact@v4",
            {"run-id": "${{ github.event.workflow_run.id }}", "github-token": JOB},
        )
    ) == [{"actions": "read"}]


def test_reusable_workflows() -> None:
    info = lookup_reusable_workflow(
        "slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@v2.1.0"
    )
    assert _scopes(info) == [{"actions": "read", "contents": "write"}, {"id-token": "write"}]
    assert lookup_reusable_workflow("./.github/workflows/local.yml") is None
    assert lookup_reusable_workflow("someone/repo/.github/workflows/x.yml@v1") is None


@pytest.mark.parametrize(
    ("uses", "inputs", "expected"),
    [
        ("peter-evans/create-pull-request@v7", {}, [{"contents": "write", "pull-requests": "write"}]),
        ("peter-evans/create-pull-request@v7", {"token": "${{ steps.app.outputs.token }}"}, []),
        ("actions/deploy-pages@v4", {}, [{"pages": "write"}, {"id-token": "write"}]),
        ("actions/deploy-pages@v4", {"token": "${{ secrets.X }}"}, [{"id-token": "write"}]),
        (
            "actions/attest-build-provenance@v2",
            {"subject-path": "dist/*"},
            [{"attestations": "write"}, {"id-token": "write"}],
        ),
        ("actions/labeler@v5", {}, [{"contents": "read", "pull-requests": "write"}, {"issues": "write"}]),
        ("google-github-actions/auth@v2", {"workload_identity_provider": "p"}, [{"id-token": "write"}]),
        ("google-github-actions/auth@v2", {"credentials_json": "${{ secrets.GCP }}"}, []),
        (
            "azure/login@v2",
            {"client-id": "c", "tenant-id": "t", "subscription-id": "s"},
            [{"id-token": "write"}],
        ),
        ("azure/login@v1", {"creds": "${{ secrets.AZURE }}"}, []),
        (
            "zizmorcore/zizmor-action@v0",
            {},
            [{"contents": "read"}, {"security-events": "write", "actions": "read"}],
        ),
        ("zizmorcore/zizmor-action@v0", {"advanced-security": False}, [{"contents": "read"}]),
        (
            "actions/dependency-review-action@v4",
            {"comment-summary-in-pr": "always"},
            [{"contents": "read"}, {"pull-requests": "write"}],
        ),
        ("codecov/codecov-action@v5", {"use_oidc": True}, [{"id-token": "write"}]),
        ("codecov/codecov-action@v3", {"use_oidc": True}, []),
        ("uraimo/run-on-arch-action@v3", {"githubToken": JOB}, [{"packages": "write"}]),
        ("uraimo/run-on-arch-action@v3", {}, []),
    ],
)
def test_known_facts(uses: str, inputs: dict[str, object], expected: list[dict[str, str]]) -> None:
    assert _scopes(lookup_action(uses, inputs)) == expected  # type: ignore[arg-type]


def test_empty_token_input_means_the_default() -> None:
    assert _scopes(lookup_action("uraimo/run-on-arch-action@v3", {"githubToken": ""})) == []
    assert _scopes(lookup_action("actions/checkout@v4", {"token": ""})) == [{"contents": "read"}]
    assert _scopes(lookup_action("uraimo/run-on-arch-action@v3", {"githubToken": "${{ github.token }}"})) == [
        {"packages": "write"}
    ]


def test_github_script_token_in_use() -> None:
    info = lookup_action("actions/github-script@v7", {"script": "x"})
    assert info is not None and info.needs == () and info.job_token and info.token_inputs == ("github-token",)
    info = lookup_action("actions/github-script@v7", {"github-token": "${{ secrets.BOT }}", "script": "x"})
    assert info is not None and not info.job_token


def test_is_job_token() -> None:
    from fixbot.kb import is_job_token

    assert is_job_token("${{ github.token }}") and is_job_token("${{ secrets.GITHUB_TOKEN }}")
    assert is_job_token("${{ secrets.github_token || secrets.PAT }}")
    assert is_job_token("")  # actions commonly fall back to github.token
    assert not is_job_token("${{ secrets.MY_PAT }}") and not is_job_token("${{ steps.app.outputs.token }}")
    assert not is_job_token(None)
