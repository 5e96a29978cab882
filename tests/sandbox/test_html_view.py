"""The sandbox's read-only HTML view of pull requests: what a maintainer would see, with the
untrusted body escaped, behind the same credentials as the API; the JSON API is unchanged."""

from __future__ import annotations

import base64
import urllib.error
import urllib.request

import pytest
from github import Github
from sandbox_helpers import BOT_TOKEN, HUMAN_TOKEN

from fixbot.sandbox import Sandbox
from fixbot.sandbox.html_view import render_markdown

HOSTILE = """Fixes **two** things.

<script>alert("body")</script>
<img src=x onerror="alert(1)"> <b onclick="alert(2)">bold?</b> <b>bold</b>
<a href="javascript:alert(3)">a link</a> [md link](javascript:alert(4)) ![img](http://tracker.example/x.png)
<iframe src="http://evil.example"></iframe>

<details><summary>ci.yml</summary>

```diff
-old <script>x</script>
+new
```

</details>
</details></summary><details open>

- [ ] create secret `NPM_TOKEN`
- [x] rotate the old one

| change | count |
|---|---|
| `permissions` | 1 |

~~gone~~ <!-- fixbot:fingerprint=abc transforms=permissions -->
"""


def _open(url: str, token: str | None = BOT_TOKEN, method: str = "GET"
          ) -> tuple[int, dict[str, str], str]:
    headers = {}
    if token is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(f"me:{token}".encode()).decode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers, method=method),
                                    timeout=30) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


@pytest.fixture
def pull(sandbox: Sandbox, gh: Github) -> str:
    """A pull request with a hostile title and body, and a comment; returns its html_url."""
    sandbox.create_repo("acme", "widgets", {".github/workflows/ci.yml": "on: push\n"})
    sandbox.push_files("acme", "widgets", "fixbot/harden-workflows",
                       {".github/workflows/ci.yml": "on: push\npermissions: {}\n"},
                       message="Harden", author="fixbot-bot")
    repo = gh.get_repo("acme/widgets")
    pr = repo.create_pull(base="main", head="fixbot/harden-workflows",
                          title='Harden <img src=x onerror="alert(0)"> & more', body=HOSTILE)
    pr.add_to_labels("fixbot")
    pr.create_issue_comment("A person's <script>alert(5)</script> comment")
    return str(pr.html_url)


def test_the_pull_request_page_shows_what_a_maintainer_sees(sandbox: Sandbox, pull: str) -> None:
    assert pull == f"{sandbox.url}/acme/widgets/pull/1"  # the API's html_url is the page
    status, headers, page = _open(pull)
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    # the title, state, branches and label
    assert ("<h1>Harden &lt;img src=x onerror=&quot;alert(0)&quot;&gt; &amp; more "
            '<span class="muted">#1</span></h1>') in page
    assert ('<span class="state open">open</span> <b>fixbot-bot</b> wants to merge '
            "<code>fixbot/harden-workflows</code> into <code>main</code> "
            '<span class="label">fixbot</span>') in page
    # the body, rendered: allowed markup kept, the rest shown as text
    assert "<p>Fixes <strong>two</strong> things.</p>" in page
    assert "&lt;script&gt;alert(&quot;body&quot;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "&lt;b onclick=&quot;alert(2)&quot;&gt;bold?</b>" not in page
    assert "<b>bold</b>" in page
    assert "<details><summary>ci.yml</summary>" in page
    assert '<span class="del">-old &lt;script&gt;x&lt;/script&gt;\n</span>' in page
    assert '<input type="checkbox" disabled> create secret <code>NPM_TOKEN</code>' in page
    assert '<input type="checkbox" disabled checked> rotate the old one' in page
    assert "<td><code>permissions</code></td>" in page and "<s>gone</s>" in page
    assert "fixbot:fingerprint" not in page  # hidden, as on GitHub
    # the comment, escaped too
    assert "fixbot-bot commented" in page
    assert "A person's &lt;script&gt;alert(5)&lt;/script&gt; comment" in page
    # the diff
    assert '<div class="fname">.github/workflows/ci.yml</div>' in page
    assert '<span class="add">+permissions: {}\n</span>' in page
    # nothing active anywhere
    lowered = page.lower()
    assert '<a href="http://tracker.example/x.png">img</a>' in page  # a link, never loaded
    for active in ("<script", "<img", "<iframe", "onerror=\"", "onclick=\"",
                   'href="javascript:', 'src="'):
        assert active not in lowered, active


def test_the_diff_and_patch_are_plain_text(sandbox: Sandbox, pull: str) -> None:
    repo = sandbox.repo("acme", "widgets")
    base = repo.branch_sha("main")
    head = repo.branch_sha("fixbot/harden-workflows")
    expected = repo.git("diff", "--no-color", "-M", f"{base}...{head}").decode()
    status, headers, diff = _open(f"{pull}.diff")
    assert (status, headers["Content-Type"], diff) == (200, "text/plain; charset=utf-8", expected)
    status, _, patch = _open(f"{pull}.patch")
    assert status == 200 and patch.startswith("From ") and "Subject: [PATCH] Harden" in patch


def test_the_index_lists_every_pull_request(sandbox: Sandbox, pull: str) -> None:
    sandbox.create_repo("acme", "empty", {"README.md": "hi\n"})
    status, _, page = _open(f"{sandbox.url}/")
    assert status == 200
    assert ('<span class="state open">open</span> <a href="/acme/widgets/pull/1">Harden '
            '&lt;img src=x onerror=&quot;alert(0)&quot;&gt; &amp; more</a>') in page
    assert "<h2>acme/empty</h2><p class=\"muted\">No pull requests.</p>" in page


def test_the_pages_need_credentials_like_the_api(sandbox: Sandbox, pull: str) -> None:
    status, headers, text = _open(pull, token=None)
    assert (status, headers["WWW-Authenticate"]) == (401, 'Basic realm="GitHub"')
    assert "Harden" not in text
    assert _open(pull, token="ghp_wrong000000000000000000000000000000")[0] == 401
    assert _open(pull, token=HUMAN_TOKEN)[0] == 200
    status, _, _ = _open(pull, method="HEAD")
    assert status == 200
    assert _open(f"{sandbox.url}/acme/widgets/pull/2")[0] == 404
    assert _open(f"{sandbox.url}/acme/nothing/pull/1")[0] == 404
    status, headers, body = _open(pull, method="POST")  # not a page: the forge's JSON 404
    assert status == 404 and headers["Content-Type"].startswith("application/json")
    lines = [e.line() for e in sandbox.access_log if "/api/" not in e.path]
    assert "GET /acme/widgets/pull/1 401" in lines and "GET /acme/widgets/pull/1 200" in lines


def test_a_closed_and_a_merged_pull_request(sandbox: Sandbox, gh: Github, pull: str) -> None:
    gh.get_repo("acme/widgets").get_pull(1).edit(state="closed")
    assert '<span class="state closed">closed</span>' in _open(pull)[2]
    gh.get_repo("acme/widgets").get_pull(1).edit(state="open")
    sandbox.merge_pull("acme", "widgets", 1)
    page = _open(pull)[2]
    assert '<span class="state merged">merged</span>' in page
    assert '<span class="add">+permissions: {}\n</span>' in page  # the diff it merged


@pytest.mark.parametrize(("markdown", "html"), [
    ("plain & <b>", "<p>plain &amp; <b></p>\n</b>"),  # an unclosed allowed tag is closed
    ("</details> stray", "&lt;/details&gt; stray"),  # a closing tag that closes nothing
    ("<details open>\n<summary>x</summary>\n\ny\n\n</details>\n",
     "<details open>\n<summary>x</summary>\n<p>y</p>\n</details>\n"),
    ("<DETAILS style='x'>", "&lt;DETAILS style=&#x27;x&#x27;&gt;"),
    ("<!-- a\n--> b", " b"),
    ("<!-- never closed", ""),
    ("[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>\n"),
    ("[x](https://example.com/?a=\"b\")", '<p><a href="https://example.com/?a=%22b%22">x</a></p>\n'),
    ("- [ ] a\n- b", '<ul>\n<li><input type="checkbox" disabled> a</li>\n<li>b</li>\n</ul>\n'),
    ("<br><hr/>", "<p><br><hr></p>\n"),
    ("a <svg onload=alert(1)> b", "<p>a &lt;svg onload=alert(1)&gt; b</p>\n"),
])
def test_render_markdown(markdown: str, html: str) -> None:
    assert render_markdown(markdown) == html


def test_the_json_api_is_unchanged_by_the_view(sandbox: Sandbox, gh: Github, pull: str) -> None:
    """The API still answers JSON everywhere under /api/v3 (the schema test checks bodies)."""
    pr = gh.get_repo("acme/widgets").get_pull(1)
    assert pr.body == HOSTILE and pr.html_url == pull
    status, headers, body = _open(f"{sandbox.api_url}/repos/acme/widgets/pulls/1")
    assert status == 200 and headers["Content-Type"] == "application/json; charset=utf-8"
    assert '"body": ' in body and "<html" not in body
