"""A small read-only HTML view of the sandbox's pull requests, for people.

``fixbot demo --keep`` points a newcomer here so they see a pull request as a maintainer would
on GitHub: its title, its body rendered from Markdown (GitHub-flavoured: tables, strikethrough,
task lists, ``<details>`` sections), its comments and its diff. The pages live where GitHub's
``html_url`` and ``diff_url`` point:

* ``/``: every repository the credentials can see, with its pull requests;
* ``/{owner}/{name}/pull/{n}``: one pull request;
* ``/{owner}/{name}/pull/{n}.diff``: its diff as plain text (``/pull/{n}.patch``: as patches).

The body and the comments are untrusted text (fixbot writes them from workflow files that
anyone may have written), so everything is escaped: Markdown is rendered with markdown-it-py,
and the raw HTML it lets through is kept only for an allowlist of attribute-less tags
(``<details>``, ``<summary>``, ``<b>``, ...), balanced, everything else shown as text; HTML
comments are hidden, as GitHub hides them. The pages run no script and load nothing (a
``Content-Security-Policy`` says so to the browser), and links to ``javascript:`` and similar
are refused by markdown-it's link check.

Like the API, the pages need credentials (a browser asks for them: any user name, a token as
the password). This module only reads; the JSON API is untouched by it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from fixbot.sandbox.api_core import Forge, Principal
from fixbot.sandbox.gitstore import BareRepo, find_repo, list_repos
from fixbot.sandbox.payload_pulls import live_shas

PULL_PATH = re.compile(r"^/(?P<owner>[^/]+)/(?P<name>[^/]+)/pull/(?P<number>\d+)"
                       r"(?P<ext>\.diff|\.patch)?/?$")
MAX_DIFF_BYTES = 2 * 1024 * 1024  # a larger diff is cut (with a note), as GitHub does
HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; style-src 'unsafe-inline'; "
                                "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
Page = tuple[int, dict[str, str], bytes]


def handles(path: str) -> bool:
    """Whether ``path`` is one of this view's pages (GET or HEAD)."""
    return path == "/" or PULL_PATH.match(path) is not None


def page(forge: Forge, principal: Principal, path: str, base: str) -> Page:
    """(status, headers, body) of the page at ``path`` for ``principal``."""
    if path == "/":
        return _html(200, "Pull requests", _index(forge, principal))
    m = PULL_PATH.match(path)
    assert m is not None
    repo = find_repo(forge.root, m["owner"], m["name"])
    if repo is None or not forge.can_see(principal, repo):
        return _html(404, "Not found", "<p>No such repository.</p>")
    repo_id = int(forge.store.repo_row(repo.full_name)["id"])
    row = forge.store.issue(repo_id, int(m["number"]))
    if row is None or not row["is_pull"]:
        return _html(404, "Not found", f"<p>No pull request #{int(m['number'])} in "
                                       f"{_e(repo.full_name)}.</p>")
    head, base_sha = live_shas(repo, row)
    if m["ext"]:
        text = _patch(repo, base_sha, head) if m["ext"] == ".patch" else _diff(repo, base_sha, head)
        return 200, {**HEADERS, "Content-Type": "text/plain; charset=utf-8"}, text.encode()
    title = f"{row['title']} · Pull Request #{row['number']} · {repo.full_name}"
    return _html(200, title, _pull(forge, repo, row, _diff(repo, base_sha, head), base))


# -- pages -----------------------------------------------------------------------------------
def _index(forge: Forge, principal: Principal) -> str:
    parts = ["<h1>Pull requests</h1>"]
    repos = [r for r in list_repos(forge.root) if forge.can_see(principal, r)]
    for repo in repos:
        rows = forge.store.pulls(int(forge.store.repo_row(repo.full_name)["id"]))
        parts.append(f"<h2>{_e(repo.full_name)}</h2>")
        if not rows:
            parts.append('<p class="muted">No pull requests.</p>')
            continue
        items = []
        for row in sorted(rows, key=lambda r: -int(r["number"])):
            href = f"/{_e(repo.full_name)}/pull/{int(row['number'])}"
            items.append(f'<li>{_state(row)} <a href="{href}">{_e(row["title"])}</a> '
                         f'<span class="muted">#{int(row["number"])} by '
                         f'{_e(row["user_login"])}</span>{_labels(forge, row)}</li>')
        parts.append(f"<ul class=\"pulls\">{''.join(items)}</ul>")
    if not repos:
        parts.append('<p class="muted">No repositories.</p>')
    return "".join(parts)


def _pull(forge: Forge, repo: BareRepo, row: dict[str, Any], diff: str, base: str) -> str:
    n = int(row["number"])
    api = f"{base}/api/v3/repos/{repo.full_name}/pulls/{n}"
    comments = forge.store.comments(int(row["id"]))
    parts = [
        f'<p class="muted"><a href="/">Pull requests</a> / {_e(repo.full_name)}</p>',
        f'<h1>{_e(row["title"])} <span class="muted">#{n}</span></h1>',
        f'<p>{_state(row)} <b>{_e(row["user_login"])}</b> wants to merge '
        f'<code>{_e(row["head_ref"] or "")}</code> into <code>{_e(row["base_ref"] or "")}</code>'
        f'{_labels(forge, row)}</p>',
        f'<div class="box"><div class="who">{_e(row["user_login"])} · '
        f'{_e(row["created_at"])}</div><div class="markdown">'
        f'{render_markdown(row["body"] or "")}</div></div>',
    ]
    for c in comments:
        parts.append(f'<div class="box"><div class="who">{_e(c["user_login"])} commented · '
                     f'{_e(c["created_at"])}</div><div class="markdown">'
                     f'{render_markdown(c["body"] or "")}</div></div>')
    parts.append(f'<h2>Files changed</h2>{_diff_html(diff)}')
    parts.append(f'<p class="muted">Read-only view of the fixbot sandbox forge. As JSON: '
                 f'<a href="{_e(api)}">{_e(api)}</a>; as a diff: '
                 f'<a href="/{_e(repo.full_name)}/pull/{n}.diff">.diff</a>.</p>')
    return "".join(parts)


def _state(row: dict[str, Any]) -> str:
    state = "merged" if row["merged_at"] else str(row["state"])
    return f'<span class="state {state}">{state}</span>'


def _labels(forge: Forge, row: dict[str, Any]) -> str:
    names = [lab["name"] for lab in forge.store.issue_labels(int(row["id"]))]
    return "".join(f' <span class="label">{_e(n)}</span>' for n in names)


def _diff(repo: BareRepo, base: str, head: str) -> str:
    """``git diff base...head`` (what GitHub shows: the changes since the merge base)."""
    if not base or not head:
        return ""
    raw = repo.git("diff", "--no-color", "--no-ext-diff", "-M", f"{base}...{head}", check=False)
    return _cut(raw)


def _patch(repo: BareRepo, base: str, head: str) -> str:
    if not base or not head:
        return ""
    return _cut(repo.git("format-patch", "--stdout", "--no-color", f"{base}..{head}",
                         check=False))


def _cut(raw: bytes) -> str:
    text = raw[:MAX_DIFF_BYTES].decode("utf-8", "replace")
    return text + ("\n[diff cut at 2 MiB]\n" if len(raw) > MAX_DIFF_BYTES else "")


def _diff_html(diff: str) -> str:
    if not diff:
        return '<p class="muted">No changes.</p>'
    files: list[list[str]] = []
    for line in diff.splitlines():
        if line.startswith("diff --git ") or not files:
            files.append([])
        files[-1].append(line)
    out = []
    for lines in files:
        name = next((ln[6:] for ln in lines if ln.startswith("+++ b/")),
                    lines[0].rsplit(" b/", 1)[-1])
        body = "".join(_diff_line(ln) for ln in lines if not ln.startswith(
            ("diff --git ", "index ", "--- ", "+++ ")))
        out.append(f'<div class="file"><div class="fname">{_e(name)}</div>'
                   f'<pre class="diff">{body}</pre></div>')
    return "".join(out)


def _diff_line(line: str) -> str:
    kind = ("hunk" if line.startswith("@@") else "add" if line.startswith("+")
            else "del" if line.startswith("-") else "ctx")
    return f'<span class="{kind}">{_e(line)}\n</span>'


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _html(status: int, title: str, body: str) -> Page:
    doc = (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
           f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
           f"<title>{_e(title)}</title><style>{_CSS}</style></head>"
           f"<body><main>{body}</main></body></html>\n")
    return status, {**HEADERS, "Content-Type": "text/html; charset=utf-8"}, doc.encode()


_CSS = """
body{font:14px/1.5 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1f2328;margin:0}
main{max-width:1012px;margin:0 auto;padding:16px 24px}
a{color:#0969da}.muted{color:#59636e}code,pre{font:12px/1.45 ui-monospace,Menlo,Consolas,monospace}
.box{border:1px solid #d1d9e0;border-radius:6px;margin:16px 0}
.who{background:#f6f8fa;border-bottom:1px solid #d1d9e0;padding:8px 16px;color:#59636e}
.markdown{padding:16px}.markdown pre{background:#f6f8fa;padding:12px;overflow:auto}
.markdown code{background:#eff1f3;padding:.1em .3em;border-radius:4px}
.markdown pre code{background:none;padding:0}.markdown table{border-collapse:collapse}
.markdown th,.markdown td{border:1px solid #d1d9e0;padding:4px 10px}
.markdown details{margin:8px 0}.markdown summary{cursor:pointer}
.state{border-radius:2em;color:#fff;padding:2px 10px;font-weight:600;font-size:12px}
.open{background:#1f883d}.closed{background:#cf222e}.merged{background:#8250df}
.label{background:#ddf4ff;border-radius:2em;padding:0 8px;font-size:12px}
.file{border:1px solid #d1d9e0;border-radius:6px;margin:12px 0}
.fname{background:#f6f8fa;padding:6px 12px;font-family:ui-monospace,Menlo,monospace}
pre.diff{margin:0;padding:8px 0;overflow:auto}pre.diff span{display:block;padding:0 12px}
.add{background:#dafbe1}.del{background:#ffebe9}.hunk{background:#ddf4ff;color:#59636e}
ul.pulls{list-style:none;padding:0}ul.pulls li{padding:6px 0;border-bottom:1px solid #d1d9e0}
"""


# -- Markdown --------------------------------------------------------------------------------
_MD = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_MD.disable("image")  # GitHub proxies images; this view loads nothing from elsewhere
_VOID = frozenset({"br", "hr"})
_ALLOWED_TAG = re.compile(
    r"^<(?P<close>/?)(?P<name>details|summary|b|strong|i|em|code|kbd|sub|sup|s|del|ins|br|hr)"
    r"(?P<open>\s+open)?\s*/?>$", re.IGNORECASE)
_TAG = re.compile(r"<!--.*?(?:-->|\Z)|<[^<>]*>?", re.DOTALL)
_TASK = re.compile(r"^\[([ xX])\] ")


def render_markdown(text: str) -> str:
    """HTML for Markdown ``text`` from an untrusted author: GitHub-flavoured rendering, with
    only allowlisted, balanced, attribute-less tags of its raw HTML kept (see the module)."""
    tokens = _MD.parse(text)
    stack: list[str] = []
    _sanitize(tokens, stack)
    _task_lists(tokens)
    rendered: str = _MD.renderer.render(tokens, _MD.options, {})
    return rendered + "".join(f"</{name}>" for name in reversed(stack))


def _sanitize(tokens: Sequence[Token], stack: list[str]) -> None:
    for tok in tokens:
        if tok.type in ("html_block", "html_inline"):
            tok.content = _filter_html(tok.content, stack)
        elif tok.type == "fence" and tok.info.strip().split(" ")[0] == "diff":
            tok.type, tok.content = "html_block", _diff_fence(tok.content)
        if tok.children:
            _sanitize(tok.children, stack)


def _filter_html(raw: str, stack: list[str]) -> str:
    """Raw HTML from the text: allowlisted tags kept (closing tags only when they close the
    innermost open one), comments dropped, everything else escaped."""
    out: list[str] = []
    pos = 0
    for m in _TAG.finditer(raw):
        out.append(_e(raw[pos:m.start()]))
        pos = m.end()
        tag = m.group(0)
        if tag.startswith("<!--"):
            continue
        allowed = _ALLOWED_TAG.match(tag)
        if allowed is None:
            out.append(_e(tag))
            continue
        name = allowed["name"].lower()
        if name in _VOID:
            out.append(f"<{name}>")
        elif allowed["close"]:
            if stack and stack[-1] == name:
                stack.pop()
                out.append(f"</{name}>")
            else:
                out.append(_e(tag))
        else:
            stack.append(name)
            out.append(f"<{name}{' open' if allowed['open'] and name == 'details' else ''}>")
    out.append(_e(raw[pos:]))
    return "".join(out)


def _diff_fence(code: str) -> str:
    lines = code.splitlines()
    return f'<pre class="diff">{"".join(_diff_line(ln) for ln in lines)}</pre>\n'


def _task_lists(tokens: list[Token]) -> None:
    """``- [ ] x`` / ``- [x] x`` list items get a disabled check box, as on GitHub."""
    for i, tok in enumerate(tokens):
        if (tok.type != "inline" or i < 2 or tokens[i - 2].type != "list_item_open"
                or not tok.children or tok.children[0].type != "text"):
            continue
        first = tok.children[0]
        m = _TASK.match(first.content)
        if m is None:
            continue
        first.content = first.content[m.end():]
        box = Token("html_inline", "", 0)
        box.content = ('<input type="checkbox" disabled'
                       f'{" checked" if m.group(1) != " " else ""}> ')
        tok.children.insert(0, box)
