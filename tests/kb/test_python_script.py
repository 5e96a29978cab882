"""The Python script reader (libcst): exact facts for small scripts, and every corpus .py file read."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bench.corpus import corpus_dir
from fixbot.kb.python_script import PyCommand, PyFacts, PyHttpCall, analyze_python


def C(argv: tuple[str, ...] | None, line: int, text: str, shell: str | None = None,
      prefix: tuple[str, ...] = ()) -> PyCommand:
    return PyCommand(argv, shell, line, text, prefix)


def H(method: str, url: str | None, auth: bool | None, line: int, text: str) -> PyHttpCall:
    return PyHttpCall(method, url, auth, line, text)


def F(*, commands: tuple[PyCommand, ...] = (), http: tuple[PyHttpCall, ...] = (), env: frozenset[str] = frozenset(),
      unknown: tuple[str, ...] = (), imports: tuple[str, ...] = (), error: str | None = None) -> PyFacts:
    return PyFacts(commands, http, env, unknown, imports, error)


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


SP = ("subprocess",)
BUILT = "with a command built at run time"

CASES: list[tuple[str, str, PyFacts]] = [
    # --- subprocess, every entry point ----------------------------------------------------------
    ("run-list", src("""
        import subprocess
        subprocess.run(["git", "push", "origin", "main"], check=True)
        """), F(commands=(C(("git", "push", "origin", "main"), 2,
                            'subprocess.run(["git", "push", "origin", "main"], check=True)'),), imports=SP)),
    ("call-tuple", src("""
        import subprocess
        subprocess.call(("gh", "release", "create", "v1.2.0"))
        """), F(commands=(C(("gh", "release", "create", "v1.2.0"), 2,
                            'subprocess.call(("gh", "release", "create", "v1.2.0"))'),), imports=SP)),
    ("check-call-and-output", src("""
        import subprocess
        sha = subprocess.check_output(["git", "rev-parse", "HEAD"], text=True).strip()
        subprocess.check_call(["git", "tag", "-a", "v1", "-m", "v1"])
        """), F(commands=(C(("git", "rev-parse", "HEAD"), 2,
                            'subprocess.check_output(["git", "rev-parse", "HEAD"], text=True)'),
                          C(("git", "tag", "-a", "v1", "-m", "v1"), 3,
                            'subprocess.check_call(["git", "tag", "-a", "v1", "-m", "v1"])')), imports=SP)),
    ("popen-args-keyword", src("""
        import subprocess
        proc = subprocess.Popen(args=["git", "fetch", "--tags"], stdout=subprocess.PIPE)
        """), F(commands=(C(("git", "fetch", "--tags"), 2,
                            'subprocess.Popen(args=["git", "fetch", "--tags"], stdout=subprocess.PIPE)'),),
                imports=SP)),
    ("getoutput-getstatusoutput", src("""
        import subprocess
        tag = subprocess.getoutput("git describe --tags")
        code, out = subprocess.getstatusoutput("gh pr list --state open")
        """), F(commands=(C(None, 2, 'subprocess.getoutput("git describe --tags")', shell="git describe --tags"),
                          C(None, 3, 'subprocess.getstatusoutput("gh pr list --state open")',
                            shell="gh pr list --state open")), imports=SP)),
    ("os-system-and-popen", src("""
        import os
        os.system("git push --tags")
        log = os.popen("git log -1 --format=%s").read()
        """), F(commands=(C(None, 2, 'os.system("git push --tags")', shell="git push --tags"),
                          C(None, 3, 'os.popen("git log -1 --format=%s")', shell="git log -1 --format=%s")),
                imports=("os",))),
    ("os-exec-and-spawn", src("""
        import os
        os.spawnv(os.P_WAIT, "/usr/bin/git", ["git", "fetch", "origin"])
        os.execlp("gh", "gh", "pr", "merge", "--auto")
        """), F(commands=(C(("/usr/bin/git", "fetch", "origin"), 2,
                            'os.spawnv(os.P_WAIT, "/usr/bin/git", ["git", "fetch", "origin"])'),
                          C(("gh", "pr", "merge", "--auto"), 3, 'os.execlp("gh", "gh", "pr", "merge", "--auto")')),
                imports=("os",))),
    ("os-execvpe-drops-env", src("""
        import os
        os.execvpe("git", ["git", "push"], {"GIT_TRACE": "1"})
        """), F(commands=(C(("git", "push"), 2, 'os.execvpe("git", ["git", "push"], {"GIT_TRACE": "1"})'),),
                imports=("os",))),
    ("asyncio-subprocesses", src("""
        import asyncio
        async def main():
            await asyncio.create_subprocess_exec("git", "push", "origin")
            await asyncio.create_subprocess_shell("gh release upload v1 dist/*")
        """), F(commands=(C(("git", "push", "origin"), 3, 'asyncio.create_subprocess_exec("git", "push", "origin")'),
                          C(None, 4, 'asyncio.create_subprocess_shell("gh release upload v1 dist/*")',
                            shell="gh release upload v1 dist/*")), imports=("asyncio",))),
    ("shlex-split-literal", src("""
        import shlex, subprocess
        subprocess.run(shlex.split("git commit -m 'bump the version'"))
        """), F(commands=(C(("git", "commit", "-m", "bump the version"), 2,
                            """subprocess.run(shlex.split("git commit -m 'bump the version'"))"""),),
                imports=("shlex", "subprocess"))),
    ("str-split-literal", src("""
        import subprocess
        subprocess.run("git push --follow-tags".split())
        """), F(commands=(C(("git", "push", "--follow-tags"), 2, 'subprocess.run("git push --follow-tags".split())'),),
                imports=SP)),
    ("sys-executable-is-python", src("""
        import subprocess, sys
        subprocess.check_call([sys.executable, "-m", "twine", "upload", "dist/x.whl"])
        """), F(commands=(C(("python", "-m", "twine", "upload", "dist/x.whl"), 2,
                            'subprocess.check_call([sys.executable, "-m", "twine", "upload", "dist/x.whl"])'),),
                imports=("subprocess", "sys"))),
    # --- names: aliases, constants, mutation ----------------------------------------------------
    ("alias-import-as", src("""
        import subprocess as sp
        sp.run(["git", "pull", "--rebase"])
        """), F(commands=(C(("git", "pull", "--rebase"), 2, 'sp.run(["git", "pull", "--rebase"])'),), imports=SP)),
    ("alias-from-import-as", src("""
        from subprocess import run as r
        from os import system
        r(["git", "push"])
        system("gh workflow run ci.yml")
        """), F(commands=(C(("git", "push"), 3, 'r(["git", "push"])'),
                          C(None, 4, 'system("gh workflow run ci.yml")', shell="gh workflow run ci.yml")),
                imports=("subprocess", "subprocess.run", "os", "os.system"))),
    ("constant-list-defined-after-use", src("""
        import subprocess
        def publish():
            subprocess.run(PUSH, check=True)
        PUSH = ("git", "push", "--atomic", "origin", "main", "v1")
        """), F(commands=(C(("git", "push", "--atomic", "origin", "main", "v1"), 3,
                            "subprocess.run(PUSH, check=True)"),), imports=SP)),
    ("starred-constant", src("""
        import subprocess
        GIT = ["git", "-C", "site"]
        subprocess.run([*GIT, "push"])
        """), F(commands=(C(("git", "-C", "site", "push"), 3, 'subprocess.run([*GIT, "push"])'),), imports=SP)),
    ("mutated-list-is-dynamic", src("""
        import subprocess
        cmd = ["git"]
        cmd.append("push")
        subprocess.run(cmd)
        """), F(commands=(C(None, 4, "subprocess.run(cmd)"),), unknown=(f"line 4: subprocess.run {BUILT}",),
                imports=SP)),
    ("rebound-name-is-dynamic", src("""
        import subprocess
        cmd = ["git", "status"]
        if True:
            cmd = ["git", "push"]
        subprocess.run(cmd)
        """), F(commands=(C(None, 5, "subprocess.run(cmd)"),), unknown=(f"line 5: subprocess.run {BUILT}",),
                imports=SP)),
    # --- dynamic commands -----------------------------------------------------------------------
    ("fstring-element", src("""
        import subprocess
        subprocess.run(["git", "push", "origin", f"v{version}"])
        """), F(commands=(C(None, 2, 'subprocess.run(["git", "push", "origin", f"v{version}"])',
                            prefix=("git", "push", "origin")),), unknown=(f"line 2: subprocess.run {BUILT}",),
                imports=SP)),
    ("parameter-argv", src("""
        import subprocess
        def sh(cmd):
            return subprocess.run(cmd, check=True)
        """), F(commands=(C(None, 3, "subprocess.run(cmd, check=True)"),),
                unknown=(f"line 3: subprocess.run {BUILT}",), imports=SP)),
    ("list-plus-dynamic", src("""
        import subprocess
        subprocess.check_call(["git", "push"] + extra_args)
        """), F(commands=(C(None, 2, 'subprocess.check_call(["git", "push"] + extra_args)', prefix=("git", "push")),),
                unknown=(f"line 2: subprocess.check_call {BUILT}",), imports=SP)),
    ("fstring-plain-is-literal", src("""
        import subprocess
        subprocess.run(["git", f"push"])
        """), F(commands=(C(("git", "push"), 2, 'subprocess.run(["git", f"push"])'),), imports=SP)),
    # --- shell strings --------------------------------------------------------------------------
    ("shell-true-string", src("""
        import subprocess
        subprocess.run("git add -A && git commit -m bump && git push", shell=True, check=True)
        """), F(commands=(C(None, 2, 'subprocess.run("git add -A && git commit -m bump && git push", shell=True, check=True)'[:80],
                            shell="git add -A && git commit -m bump && git push"),), imports=SP)),
    ("shell-true-fstring", src("""
        import subprocess
        subprocess.run(f"git push origin {branch}", shell=True)
        """), F(commands=(C(None, 2, 'subprocess.run(f"git push origin {branch}", shell=True)'),),
                unknown=(f"line 2: subprocess.run {BUILT}",), imports=SP)),
    ("shell-true-list-first-item", src("""
        import subprocess
        subprocess.call(["git push --tags"], shell=True)
        """), F(commands=(C(None, 2, 'subprocess.call(["git push --tags"], shell=True)', shell="git push --tags"),),
                imports=SP)),
    ("string-without-shell-split", src("""
        import subprocess
        subprocess.run("git push")
        """), F(commands=(C(("git", "push"), 2, 'subprocess.run("git push")'),), imports=SP)),
    ("os-system-concatenated-constant", src("""
        import os
        REMOTE = "origin"
        os.system("git push " + REMOTE)
        """), F(commands=(C(None, 3, 'os.system("git push " + REMOTE)', shell="git push origin"),),
                imports=("os",))),
    # --- where the code sits, and what is not code ----------------------------------------------
    ("nested-functions-and-main-guard", src("""
        import subprocess

        def release():
            def push():
                subprocess.check_call(["git", "push", "--follow-tags"])
            push()

        if __name__ == "__main__":
            release()
            subprocess.run(["git", "status"])
        """), F(commands=(C(("git", "push", "--follow-tags"), 5, 'subprocess.check_call(["git", "push", "--follow-tags"])'),
                          C(("git", "status"), 10, 'subprocess.run(["git", "status"])')), imports=SP)),
    ("comments-and-strings-are-not-commands", src("""
        # afterwards: git push origin main
        note = "remember to git push"
        print("subprocess.run(['git', 'push'])")
        help_text = '''os.system("git push")'''
        """), F()),
    ("docstrings-are-not-commands", src('''
        """Release helper.

        Runs `git push --tags` after tagging; see subprocess.run(["git", "push"]).
        """
        import subprocess


        def tag():
            """Calls os.system("git push") on success."""
            return subprocess.run(["git", "tag", "v2"])
        '''), F(commands=(C(("git", "tag", "v2"), 10, 'subprocess.run(["git", "tag", "v2"])'),), imports=SP)),
    ("encoding-cookie", "# -*- coding: utf-8 -*-\nimport os\nos.system('git push')\n",
     F(commands=(C(None, 3, "os.system('git push')", shell="git push"),), imports=("os",))),
    ("crlf-line-endings", "import subprocess\r\n\r\n# push\r\nsubprocess.run(['git', 'push'])\r\n",
     F(commands=(C(("git", "push"), 4, "subprocess.run(['git', 'push'])"),), imports=SP)),
    ("tab-indentation", "import subprocess\nif True:\n\tfor _ in range(1):\n\t\tsubprocess.run(['git', 'pull'])\n",
     F(commands=(C(("git", "pull"), 4, "subprocess.run(['git', 'pull'])"),), imports=SP)),
    ("long-call-text-is-cut", src("""
        import subprocess
        subprocess.run(["gh", "api", "--method", "POST", "/repos/octo/hello/releases", "-f", "tag_name=v1.0.0"])
        """), F(commands=(C(("gh", "api", "--method", "POST", "/repos/octo/hello/releases", "-f", "tag_name=v1.0.0"), 2,
                            'subprocess.run(["gh", "api", "--method", "POST", "/repos/octo/hello/releases", "-f"'[:80]),),
                imports=SP)),
    # --- programs through other libraries ---------------------------------------------------------
    ("sh-library", src("""
        import sh
        sh.git.push("origin", "main")
        """), F(unknown=("line 2: runs programs through sh (sh.git.push), which is not analysed",), imports=("sh",))),
    ("plumbum-library", src("""
        from plumbum.cmd import git
        git["push", "origin"] & FG
        """), F(unknown=("line 2: runs programs through plumbum (plumbum.cmd.git), which is not analysed",),
                imports=("plumbum.cmd", "plumbum.cmd.git"))),
    ("runner-as-value", src("""
        import functools, subprocess
        run = functools.partial(subprocess.run, check=True)
        run(["git", "push"])
        """), F(unknown=("line 2: subprocess.run used as a value; the calls made with it are not followed",),
                imports=("functools", "subprocess"))),
    ("exec-of-code", src("""
        exec(open("scripts/release_steps.py").read())
        """), F(unknown=("line 1: builtins.exec runs code or requests that are not analysed",))),
    # --- GitPython and other git/GitHub clients ----------------------------------------------------
    ("gitpython-repo", src("""
        import git
        repo = git.Repo(".")
        repo.git.add(all=True)
        repo.index.commit("bump")
        repo.remote().push()
        repo.git.push("origin", "main", force=True)
        """), F(commands=(C(("git", "add", "--all"), 3, "repo.git.add(all=True)"),
                          C(("git", "push", "origin"), 5, "repo.remote().push()"),
                          C(("git", "push", "--force", "origin", "main"), 6, 'repo.git.push("origin", "main", force=True)')),
                imports=("git",))),
    ("gitpython-clone-from", src("""
        from git import Repo
        Repo.clone_from("https://github.com/octo/site.git", "site", depth=1)
        """), F(commands=(C(("git", "clone", "--depth=1", "https://github.com/octo/site.git", "site"), 2,
                            'Repo.clone_from("https://github.com/octo/site.git", "site", depth=1)'),),
                imports=("git", "git.Repo"))),
    ("gitpython-dynamic-refspec", src("""
        from git import Repo
        origin = Repo(".").remotes.origin
        origin.push(refspec=f"HEAD:{branch}")
        """), F(commands=(C(None, 3, 'origin.push(refspec=f"HEAD:{branch}")', prefix=("git", "push", "origin")),),
                unknown=(f"line 3: GitPython Remote.push {BUILT}",), imports=("git", "git.Repo"))),
    ("gitpython-repo-handed-on", src("""
        import git
        repo = git.Repo(".")
        publish(repo)
        """), F(unknown=("line 3: git.Repo object passed to code that is not followed",), imports=("git",))),
    ("dulwich", src("""
        from dulwich import porcelain
        porcelain.push(".", "origin", "main")
        """), F(unknown=("line 2: dulwich git client (dulwich.porcelain.push) whose API calls are not analysed",),
                imports=("dulwich", "dulwich.porcelain"))),
    ("pygithub", src("""
        import os
        from github import Auth, Github
        gh = Github(auth=Auth.Token(os.environ["GITHUB_TOKEN"]))
        gh.get_repo("octo/hello").create_issue(title="release")
        """), F(env=frozenset({"GITHUB_TOKEN"}),
                unknown=("line 3: PyGithub client (github.Github) whose API calls are not analysed",
                         "line 3: PyGithub client (github.Auth.Token) whose API calls are not analysed"),
                imports=("os", "github", "github.Auth", "github.Github"))),
    ("github3-ghapi-gidgethub-octokit", src("""
        import github3
        from ghapi.all import GhApi
        import gidgethub.aiohttp
        from octokit import Octokit
        a = github3.login(token=t)
        b = GhApi(owner="octo", repo="hello")
        c = gidgethub.aiohttp.GitHubAPI(session, "bot")
        d = Octokit().repos.get(owner="octo", repo="hello")
        """), F(unknown=("line 5: github3.py client (github3.login) whose API calls are not analysed",
                         "line 6: ghapi client (ghapi.all.GhApi) whose API calls are not analysed",
                         "line 7: gidgethub client (gidgethub.aiohttp.GitHubAPI) whose API calls are not analysed",
                         "line 8: octokit.py client (octokit.Octokit.repos.get) whose API calls are not analysed",
                         "line 8: octokit.py client (octokit.Octokit) whose API calls are not analysed"),
                imports=("github3", "ghapi.all", "ghapi.all.GhApi", "gidgethub.aiohttp", "octokit", "octokit.Octokit"))),
    # --- HTTP -------------------------------------------------------------------------------------
    ("requests-get-authorization", src("""
        import os, requests
        token = os.environ["GITHUB_TOKEN"]
        requests.get("https://api.github.com/repos/o/r/issues", headers={"Authorization": f"Bearer {token}"})
        """), F(http=(H("GET", "https://api.github.com/repos/o/r/issues", True, 3,
                        'requests.get("https://api.github.com/repos/o/r/issues", headers={"Authorization":'[:80]),),
                env=frozenset({"GITHUB_TOKEN"}), imports=("os", "requests"))),
    ("requests-post-anonymous", src("""
        import requests
        requests.post("https://hooks.example.com/notify", json={"ok": True})
        """), F(http=(H("POST", "https://hooks.example.com/notify", False, 2,
                        'requests.post("https://hooks.example.com/notify", json={"ok": True})'),), imports=("requests",))),
    ("requests-headers-built-then-set", src("""
        import os, requests
        headers = {"Accept": "application/vnd.github+json"}
        headers["Authorization"] = "token " + os.getenv("GH_TOKEN")
        requests.put(f"https://api.github.com/repos/{repo}/contents/x", headers=headers)
        """), F(http=(H("PUT", "https://api.github.com/repos/{…}/contents/x", True, 4,
                        'requests.put(f"https://api.github.com/repos/{repo}/contents/x", headers=headers)'),),
                env=frozenset({"GH_TOKEN"}), imports=("os", "requests"))),
    ("requests-headers-parameter", src("""
        import requests
        def patch(h):
            return requests.patch("https://api.github.com/repos/o/r", headers=h)
        """), F(http=(H("PATCH", "https://api.github.com/repos/o/r", None, 3,
                        'requests.patch("https://api.github.com/repos/o/r", headers=h)'),), imports=("requests",))),
    ("requests-request-dynamic-url", src("""
        import requests
        def api(url, tok):
            return requests.request("DELETE", url, auth=("bot", tok))
        """), F(http=(H("DELETE", None, True, 3, 'requests.request("DELETE", url, auth=("bot", tok))'),),
                unknown=("line 3: requests.request to a URL built at run time",), imports=("requests",))),
    ("requests-percent-and-format-urls", src("""
        import requests
        requests.get("https://api.github.com/repos/%s/pulls" % repo)
        requests.get("https://api.github.com/repos/{}/tags?page={}".format(repo, n))
        """), F(http=(H("GET", "https://api.github.com/repos/{…}/pulls", False, 2,
                        'requests.get("https://api.github.com/repos/%s/pulls" % repo)'),
                      H("GET", "https://api.github.com/repos/{…}/tags?page={…}", False, 3,
                        'requests.get("https://api.github.com/repos/{}/tags?page={}".format(repo, n))')),
                imports=("requests",))),
    ("requests-session-headers-update", src("""
        import requests
        s = requests.Session()
        s.headers.update({"Authorization": "token x"})
        s.post("https://api.github.com/repos/o/r/releases", json={})
        """), F(http=(H("POST", "https://api.github.com/repos/o/r/releases", True, 4,
                        's.post("https://api.github.com/repos/o/r/releases", json={})'),), imports=("requests",))),
    ("requests-session-plain-with", src("""
        import requests
        with requests.Session() as s:
            s.get("https://pypi.org/pypi/fixbot/json")
        """), F(http=(H("GET", "https://pypi.org/pypi/fixbot/json", False, 3, 's.get("https://pypi.org/pypi/fixbot/json")'),),
                imports=("requests",))),
    ("requests-session-handed-on", src("""
        import requests
        s = requests.Session()
        fetch_all(s)
        """), F(unknown=("line 3: requests.Session object passed to code that is not followed",),
                imports=("requests",))),
    ("httpx-client-headers", src("""
        import httpx
        with httpx.Client(headers={"Authorization": "Bearer t"}) as c:
            c.delete("https://api.github.com/repos/o/r/git/refs/tags/v1")
        httpx.get("https://example.org/")
        """), F(http=(H("DELETE", "https://api.github.com/repos/o/r/git/refs/tags/v1", True, 3,
                        'c.delete("https://api.github.com/repos/o/r/git/refs/tags/v1")'),
                      H("GET", "https://example.org/", False, 4, 'httpx.get("https://example.org/")')),
                imports=("httpx",))),
    ("urllib-request-object", src("""
        import urllib.request
        req = urllib.request.Request("https://api.github.com/repos/o/r/dispatches", data=b"{}",
                                     headers={"Authorization": "token t"}, method="POST")
        urllib.request.urlopen(req)
        """), F(http=(H("POST", "https://api.github.com/repos/o/r/dispatches", True, 4, "urllib.request.urlopen(req)"),),
                imports=("urllib.request",))),
    ("urllib-add-header-and-plain-url", src("""
        from urllib.request import Request, urlopen
        req = Request("https://api.github.com/user")
        req.add_header("Authorization", "Bearer " + tok)
        with urlopen(req) as resp:
            pass
        urlopen("https://example.com/data.json")
        """), F(http=(H("GET", "https://api.github.com/user", True, 4, "urlopen(req)"),
                      H("GET", "https://example.com/data.json", False, 6, 'urlopen("https://example.com/data.json")')),
                imports=("urllib.request", "urllib.request.Request", "urllib.request.urlopen"))),
    ("http-client-connection", src("""
        import http.client
        conn = http.client.HTTPSConnection("api.github.com")
        conn.request("POST", "/repos/o/r/issues", body, {"Authorization": "token t"})
        """), F(http=(H("POST", "https://api.github.com/repos/o/r/issues", True, 3,
                        'conn.request("POST", "/repos/o/r/issues", body, {"Authorization": "token t"})'),),
                imports=("http.client",))),
    ("urllib-method-replaced-later", src("""
        import urllib.request as ur
        req = ur.Request("https://api.github.com/repos/o/r", b"x", {"Authorization": "t"})
        req.get_method = lambda: "DELETE"
        ur.urlopen(req)
        """), F(http=(H("?", "https://api.github.com/repos/o/r", True, 4, "ur.urlopen(req)"),),
                imports=("urllib.request",))),
    ("aiohttp-session-headers-parameter", src("""
        import aiohttp
        async def main(h):
            async with aiohttp.ClientSession(headers=h) as s:
                async with s.get("https://api.github.com/user") as r:
                    pass
        """), F(http=(H("GET", "https://api.github.com/user", None, 4, 's.get("https://api.github.com/user")'),),
                imports=("aiohttp",))),
    ("pty-spawn", src("""
        import pty
        pty.spawn(["git", "push"])
        """), F(commands=(C(("git", "push"), 2, 'pty.spawn(["git", "push"])'),), imports=("pty",))),
    ("byte-order-mark-and-shell-false", "\ufeffimport subprocess\nsubprocess.run(['git', 'push'], shell=False)\n",
     F(commands=(C(("git", "push"), 2, "subprocess.run(['git', 'push'], shell=False)"),), imports=SP)),
    # --- environment and imports ------------------------------------------------------------------
    ("env-reads", src("""
        import os
        from os import environ
        a = os.environ.get("A")
        b = os.getenv("B", "x")
        c = os.environ["C"]
        if "D" in os.environ:
            e = environ.get("E")
        os.environ["GH_TOKEN"] = a
        f = os.environ[name]
        """), F(env=frozenset({"A", "B", "C", "D", "E"}),
                unknown=("line 9: reads an environment variable named at run time",),
                imports=("os", "os.environ"))),
    ("relative-imports-without-package", src("""
        from . import helpers
        import scripts.tools
        """), F(unknown=("line 1: imports from ., whose package is not known",), imports=("scripts.tools",))),
    ("dynamic-import", src("""
        import importlib
        importlib.import_module("scripts.notes")
        importlib.import_module(name)
        """), F(unknown=("line 3: imports a module named at run time",), imports=("importlib", "scripts.notes"))),
    # --- not Python 3 -----------------------------------------------------------------------------
    ("syntax-error", "def broken(:\n    pass\n", F(error="syntax error: parser error: error at 2:4: expected one of "
                                                   "), *, **, NAME")),
    ("python2-print", src("""
        import os
        print "pushing"
        os.system("git push")
        """), F(error="syntax error: parser error: error at 2:15: expected one of !=, %, &, (, *, **, +, ,, -, ., /, "
                      "//, :, ;, <, <<, <=, =, ==, >, >=, >>, @, NEWLINE, [, ^, and, if, in, is, not, or, |")),
]


@pytest.mark.parametrize(("source", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_facts(source: str, expected: PyFacts) -> None:
    assert analyze_python(source) == expected


def test_relative_imports_with_package() -> None:
    facts = analyze_python("from . import helpers\nfrom ..util import run\nfrom ... import far\n", package="tools.release")
    assert facts.imports == ("tools.release", "tools.release.helpers", "tools.util", "tools.util.run")
    assert facts.unknown == ("line 3: imports from ..., whose package is not known",)


REPOS = (corpus_dir() or Path("/nonexistent")) / "repos"
# Measured: all 131 .py files under corpus/repos parse as Python 3 (no file has `error`; none to list).
CORPUS_PY_ERRORS = 0


@pytest.mark.slow
@pytest.mark.skipif(not REPOS.is_dir(), reason=f"corpus repositories not found at {REPOS} (set FIXBOT_CORPUS)")
def test_corpus_python_files(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(p for p in REPOS.rglob("*.py") if p.is_file())
    errors = [p for p in files if analyze_python(p.read_bytes().decode("utf-8", "replace")).error]
    with capsys.disabled():
        print(f"\npython scripts: {len(files)} files, {len(files) - len(errors)} parse, {len(errors)} errors")
    assert files
    assert len(errors) == CORPUS_PY_ERRORS, [str(p) for p in errors]


def test_methods_used_as_values_are_unknown() -> None:
    facts = analyze_python(src("""
        import git, requests
        s = requests.Session()
        repo = git.Repo(".")
        with_retries(s.post, "https://api.github.com/graphql")
        with_retries(repo.git.push, "origin")
        s.headers.update({"User-Agent": "bot"})
        """))
    assert facts.unknown == ("line 4: s.post used as a value; the calls made with it are not followed",
                             "line 5: repo.git.push used as a value; the calls made with it are not followed")
    assert facts.commands == facts.http == ()
