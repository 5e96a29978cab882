"""What run: scripts and actions/github-script scripts need."""

from __future__ import annotations

import pytest

from fixbot.kb import ScriptAnalysis, analyze_github_script, analyze_shell, merge_scopes


def scopes(a: ScriptAnalysis) -> dict[str, str]:
    return merge_scopes(*(n.scopes for n in a.needs))


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("gh pr comment 12 --body hi", {"pull-requests": "write"}),
        ("gh pr view 12 --json title", {"pull-requests": "read"}),
        ("gh pr list --state open", {"pull-requests": "read"}),
        ("gh pr merge --auto --squash 12", {"contents": "write", "pull-requests": "write"}),
        ("gh pr edit 12 --add-label bug", {"pull-requests": "write"}),
        ("gh release create v1.0 dist/* --generate-notes", {"contents": "write"}),
        ("gh release upload v1.0 a.tgz --clobber", {"contents": "write"}),
        ("gh release download v1.0", {"contents": "read"}),
        ("gh issue create --title t --body b", {"issues": "write"}),
        ("gh issue comment 3 --body b", {"issues": "write"}),
        ("gh issue edit 3 --add-label x", {"issues": "write"}),
        ("gh run list --workflow ci.yml", {"actions": "read"}),
        ("gh run download 123 -n dist", {"actions": "read"}),
        ("gh run rerun 123 --failed", {"actions": "write"}),
        ("gh run cancel 123", {"actions": "write"}),
        ("gh workflow run release.yml -f tag=v1", {"actions": "write"}),
        ("gh -R owner/repo pr comment 1 -b x", {"pull-requests": "write"}),
        ("gh --repo owner/repo issue close 1", {"issues": "write"}),
        ("gh label create bug --color FF0000", {"issues": "write"}),
        ("gh auth status", {}),
        ("gh --version", {}),
    ],
)
def test_gh_subcommands(script: str, expected: dict[str, str]) -> None:
    a = analyze_shell(script)
    assert scopes(a) == expected
    assert a.unknown == ()


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("gh api repos/{owner}/{repo}/issues/1/comments -f body=hi", {"issues": "write"}),
        (
            "gh api -X POST /repos/$GITHUB_REPOSITORY/issues/${{ github.event.number }}/labels -f 'labels[]=x'",
            {"issues": "write"},
        ),
        ("gh api repos/${{ github.repository }}/pulls/1/files --paginate", {"pull-requests": "read"}),
        ("gh api --method DELETE repos/o/r/actions/caches?key=x", {"actions": "write"}),
        ("gh api repos/o/r/releases --method=POST -f tag_name=v1", {"contents": "write"}),
        ("gh api -XPUT repos/o/r/pulls/3/merge", {"contents": "write", "pull-requests": "write"}),
        ("gh api repos/o/r/commits/abc/status", {"statuses": "read"}),
        ("gh api repos/o/r/actions/runs/1/jobs", {"actions": "read"}),
        ("gh api users/octocat", {}),
    ],
)
def test_gh_api(script: str, expected: dict[str, str]) -> None:
    a = analyze_shell(script)
    assert scopes(a) == expected
    assert a.unknown == ()


def test_gh_api_unknowns() -> None:
    assert analyze_shell("gh api graphql -f query='{ viewer { login } }'").unknown == ("gh api graphql",)
    assert analyze_shell('gh api "$URL"').unknown == ("gh api GET $URL",)
    assert analyze_shell("gh extension install foo/gh-bar && gh bar run").unknown == ("gh bar run",)
    assert analyze_shell("gh secret set X --body y").unknown == ("gh secret set",)


def test_git() -> None:
    assert scopes(analyze_shell("git push")) == {"contents": "write"}
    assert scopes(analyze_shell("git push --tags")) == {"contents": "write"}
    assert scopes(analyze_shell("git push origin HEAD:refs/heads/main")) == {"contents": "write"}
    assert scopes(analyze_shell('git -C "$DIR" -c user.name=bot push --force-with-lease')) == {
        "contents": "write"
    }
    assert scopes(analyze_shell("git fetch --depth=1 origin main")) == {"contents": "read"}
    assert scopes(analyze_shell("git pull --rebase")) == {"contents": "read"}
    assert scopes(analyze_shell("git clone https://github.com/${{ github.repository }}.git src")) == {
        "contents": "read"
    }
    assert scopes(analyze_shell("git clone https://github.com/other/project.git")) == {}
    assert scopes(analyze_shell("git commit -m 'git push'")) == {}
    assert (
        scopes(
            analyze_shell("git push https://x-access-token:${{ secrets.BOT_PAT }}@github.com/o/r.git HEAD")
        )
        == {}
    )


def test_not_fooled_by_comments_strings_and_words() -> None:
    script = """
    # git push origin main
    echo "run gh pr merge when ready"   # gh release create
    echo 'git push' > notes.txt
    mygit push
    legit push
    digit=1 # gh issue create
    """
    a = analyze_shell(script)
    # neither is git: they are programs the knowledge base does not know, holding the token
    assert a.needs == () and a.unknown == ("`mygit` runs with the job token",
                                           "`legit` runs with the job token")


def test_chains_continuations_and_substitutions() -> None:
    script = (
        "make build && git push origin main || echo failed; gh pr comment 1 \\\n"
        "  --body done | tee log\n"
        "TAG=$(gh release view --json tagName -q .tagName)\n"
        "for n in $(gh pr list -q '.[].number' --json number); do gh pr close $n; done\n"
    )
    assert scopes(analyze_shell(script)) == {"contents": "write", "pull-requests": "write"}


def test_pwsh_continuation_and_env() -> None:
    from fixbot.kb.script_files import ScriptReader

    script = "gh release create `\n  v1.0 `\n  out.zip\n$env:GH_TOKEN = '${{ secrets.OTHER }}'\ngh issue create -t x -b y"
    step = ScriptReader(lambda _: None).run_step(script, "pwsh", {"GH_TOKEN": "${{ github.token }}"}, False)
    assert scopes(step.analysis) == {"contents": "write"}


def test_other_credentials_for_gh() -> None:
    assert scopes(analyze_shell("GH_TOKEN=${{ secrets.PAT }} gh pr comment 1 -b x")) == {}
    assert scopes(analyze_shell("GH_TOKEN=${{ github.token }} gh pr comment 1 -b x")) == {
        "pull-requests": "write"
    }
    assert scopes(analyze_shell("export GH_TOKEN=${{ steps.app.outputs.token }}\ngh pr comment 1 -b x")) == {}


def test_heredoc_body_is_data() -> None:
    script = "cat > msg.txt <<'EOF'\ngit push\ngh pr merge 1\nEOF\ngh pr view 1 --json title"
    assert scopes(analyze_shell(script)) == {"pull-requests": "read"}
    assert scopes(analyze_shell("bash <<EOF\ngit push\nEOF")) == {"contents": "write"}


def test_wrappers() -> None:
    assert scopes(analyze_shell("sudo -E git push")) == {"contents": "write"}
    assert scopes(analyze_shell("timeout 60 gh run watch 1")) == {"actions": "read"}
    assert scopes(analyze_shell("echo 1 2 | xargs -I {} gh pr close {}")) == {"pull-requests": "write"}
    assert scopes(analyze_shell('bash -c "git push origin main"')) == {"contents": "write"}
    assert scopes(analyze_shell("if [ x ]; then git push; fi")) == {"contents": "write"}


def test_curl_to_the_api() -> None:
    auth = '-H "Authorization: Bearer ${{ secrets.GITHUB_TOKEN }}"'
    assert scopes(
        analyze_shell(
            f"curl -sSf {auth} -X POST https://api.github.com/repos/o/r/issues/1/comments -d '{{}}'"
        )
    ) == {"issues": "write"}
    assert scopes(
        analyze_shell(f'curl {auth} "$GITHUB_API_URL/repos/$GITHUB_REPOSITORY/releases/latest"')
    ) == {"contents": "read"}
    assert scopes(
        analyze_shell(
            f"curl {auth} --data-binary @f ${{{{ github.api_url }}}}/repos/${{{{ github.repository }}}}/statuses/abc"
        )
    ) == {"statuses": "write"}
    # anonymous, other credential, other host
    assert scopes(analyze_shell("curl -s https://api.github.com/repos/o/r/releases/latest")) == {}
    assert (
        scopes(
            analyze_shell(
                'curl -H "Authorization: token ${{ secrets.PAT }}" -X POST https://api.github.com/repos/o/r/dispatches'
            )
        )
        == {}
    )
    assert scopes(analyze_shell(f"curl {auth} https://example.com/api")) == {}
    assert scopes(
        analyze_shell(
            'wget --header="Authorization: token $GITHUB_TOKEN" https://api.github.com/repos/o/r/actions/artifacts'
        )
    ) == {"actions": "read"}


def test_github_script() -> None:
    src = """
    // github.rest.pulls.merge(...)  (a comment)
    const { data } = await github.rest.pulls.list({ ...context.repo, state: 'open' });
    await github.rest.issues.createComment({ ...context.repo, issue_number: ${{ github.event.number }}, body: 'x' });
    await github.issues.addLabels({ owner, repo, issue_number: 1, labels: ['a'] });
    await github.rest.repos.createRelease({ owner, repo, tag_name: 'v1' });
    const runs = await github.paginate(github.rest.actions.listWorkflowRuns, { owner, repo });
    await github.rest.reactions.createForIssueComment({ owner, repo, comment_id: 1, content: '+1' });
    """
    a = analyze_github_script(src)
    assert scopes(a) == {"actions": "read", "contents": "write", "issues": "write", "pull-requests": "read"}
    assert a.unknown == ()


def test_github_script_unknowns() -> None:
    a = analyze_github_script(
        "await github.graphql(query); await github.rest.secretScanning.listAlertsForRepo({})"
    )
    assert a.unknown == ("github.rest.secretScanning.listAlertsForRepo", "github.graphql")
    b = analyze_github_script(
        "await github.request('POST /repos/{owner}/{repo}/issues/{issue_number}/labels', x)"
    )
    assert scopes(b) == {"issues": "write"} and b.unknown == ()
    c = analyze_github_script(
        "await github.rest.pulls.merge({}); await github.rest.actions.cancelWorkflowRun({})"
    )
    assert scopes(c) == {"actions": "write", "contents": "write", "pull-requests": "write"}


def test_merge_scopes() -> None:
    assert merge_scopes(
        {"contents": "read"}, {"contents": "write", "issues": "read"}, {"contents": "read"}
    ) == {
        "contents": "write",
        "issues": "read",
    }
    assert merge_scopes() == {}


def test_pwsh_invoke_restmethod() -> None:
    script = (
        'Invoke-RestMethod -Uri "$env:GITHUB_API_URL/repos/$env:GITHUB_REPOSITORY/issues/1/comments" '
        '-Method Post -Headers @{Authorization="Bearer $env:GITHUB_TOKEN"} -Body $b'
    )
    assert scopes(analyze_shell(script)) == {"issues": "write"}


def test_heredoc_inside_substitution() -> None:
    script = "gh pr comment 1 --body \"$(cat <<'EOF'\ngit push now\nEOF\n)\"\necho done"
    assert scopes(analyze_shell(script)) == {"pull-requests": "write"}


def test_oidc_requests() -> None:
    sh = 'TOKEN=$(curl -sH "Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN" "$ACTIONS_ID_TOKEN_REQUEST_URL&audience=x")'
    a = analyze_shell(sh)
    assert [(dict(n.scopes), n.via_token) for n in a.needs] == [({"id-token": "write"}, False)]
    assert analyze_shell("# echo $ACTIONS_ID_TOKEN_REQUEST_URL").needs == ()
    b = analyze_github_script("const t = await core.getIDToken('sigstore')")
    assert [(dict(n.scopes), n.via_token) for n in b.needs] == [({"id-token": "write"}, False)]


def test_rest_paths_the_token_cannot_serve() -> None:
    assert analyze_shell("gh api -X PATCH repos/o/r/dependabot/alerts/1 -f state=dismissed").unknown == (
        "gh api PATCH repos/o/r/dependabot/alerts/1",
    )
    assert scopes(analyze_shell("gh api repos/o/r/dependabot/alerts")) == {"vulnerability-alerts": "read"}
    assert analyze_shell("gh api repos/o/r/actions/secrets").unknown == (
        "gh api GET repos/o/r/actions/secrets",
    )
    assert analyze_shell("gh api repos/o/r/environments/prod").unknown == (
        "gh api GET repos/o/r/environments/prod",
    )


def test_env_wrapper_assignments() -> None:
    assert scopes(analyze_shell("env GH_TOKEN=${{ secrets.PAT }} gh pr comment 1 -b x")) == {}
    assert scopes(analyze_shell("env -u FOO GH_TOKEN=$GITHUB_TOKEN gh pr comment 1 -b x")) == {
        "pull-requests": "write"
    }


def test_wrapper_options_with_values() -> None:
    assert scopes(analyze_shell("sudo -u runner git push")) == {"contents": "write"}
    assert scopes(analyze_shell("timeout -s KILL 60 gh run cancel 1")) == {"actions": "write"}
