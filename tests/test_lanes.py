"""The two pull requests' machinery without a forge: the engine keeping one lane's changes, the
files other than workflows that changes carry (written safely, by ``fix`` and ``run``), the
secrets pull request's title and checklist, and local mode committing each lane on its branch.
Real transforms, real files, real git."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from fixbot import engine, file_edits, files, pr, pr_secrets
from fixbot.cli import main
from fixbot.commands.fix import write_fixed
from fixbot.commands.run import run_local
from fixbot.transforms import select
from fixbot.types import Change, FileEdit, FileResult, SecretValue
from fixbot.workflow import RepoContext

TOKEN = "ghp_" + "Zq7Lk2Vb9Xw4Rt6Yp1Mn8Hc3Jd5Fg0Se2Ua7"  # made up
WORKFLOW = ("on: push\njobs:\n  publish:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: actions/checkout@v4\n      - run: python scripts/publish.py\n"
            "      - run: ./release.sh\n        env:\n"
            f"          RELEASE_TOKEN: {TOKEN}\n")
# another credential than the workflow's (one value would be one secret: test_secrets_repository)
SCRIPT_TOKEN = "ghp_" + "Pw3Nc8Rf1Tg6Yh4Uj9Ik2Ol5Qa7Sd0Zx3Cv8"  # made up
SCRIPT = f'import sys\n\nAPI_TOKEN = "{SCRIPT_TOKEN}"  # the bot\'s\nprint(sys.argv)\n'


def repo(tmp_path: Path, workflow: str = WORKFLOW, script: str = SCRIPT) -> Path:
    root = tmp_path / "repo"
    (root / ".github/workflows").mkdir(parents=True)
    (root / ".github/workflows/release.yml").write_text(workflow)
    (root / "scripts").mkdir()
    (root / "scripts/publish.py").write_text(script)
    return root


def process(root: Path, keep: object = None) -> list[FileResult]:
    ctx = RepoContext(files.repo_reader(root))
    return [engine.process_target(t, select(None, None), ctx, None, keep)  # type: ignore[arg-type]
            for t in files.discover([str(root)])]


# -- the engine keeps one lane ------------------------------------------------------------------

def test_keep_change_keeps_one_lane(tmp_path: Path) -> None:
    root = repo(tmp_path)
    both = [c for r in process(root) for c in r.changes]
    assert any(c.secrets for c in both) and any(not c.secrets for c in both)
    hardening = [c for r in process(root, lambda c: not c.secrets) for c in r.changes]
    moving = [c for r in process(root, pr_secrets.needs_person) for c in r.changes]
    assert hardening and not any(c.secrets for c in hardening)
    assert moving and all(c.secrets and c.transform == "secrets" for c in moving)
    assert {c.summary for c in hardening} | {c.summary for c in moving} == \
        {c.summary for c in both}


# -- files other than workflows ----------------------------------------------------------------

@pytest.mark.parametrize("path", ["../x.py", "/etc/passwd", ".git/config", "a/./b.py", "a/../b.py",
                                  "", "a\\b.py", "scripts/", "sub/.GIT/hooks/pre-commit"])
def test_paths_leaving_the_work_tree_are_refused(path: str) -> None:
    assert file_edits.refused(path) is not None


def test_plain_paths_are_accepted() -> None:
    assert file_edits.refused("scripts/publish.py") is None
    assert file_edits.refused(".github/scripts/a b.py") is None


def carrying(root: Path, name: str, edit: FileEdit) -> tuple[files.Target, FileResult]:
    wf = root / ".github/workflows" / name
    wf.write_text("on: push\n")
    target = files.Target(wf, root, f".github/workflows/{name}", f".github/workflows/{name}")
    change = Change("secrets", "", 1, "s", "e", (), files=(edit,))
    return target, FileResult(target.display, "changed", changes=[change], original="on: push\n",
                              updated="on: push\n# fixed\n")


def test_two_changes_rewriting_one_file_differently_write_nothing(tmp_path: Path) -> None:
    root = repo(tmp_path)
    before = SCRIPT
    t1, r1 = carrying(root, "a.yml", FileEdit("scripts/publish.py", before, "one\n"))
    t2, r2 = carrying(root, "b.yml", FileEdit("scripts/publish.py", before, "two\n"))
    out = write_fixed([t1, t2], [r1, r2])
    assert [r.status for r in out] == ["error", "error", "error"]
    assert out[2].path == "scripts/publish.py"
    assert "two changes rewrite this file differently" in (out[2].error or "")
    assert "scripts/publish.py" in (out[0].error or "")
    assert (root / "scripts/publish.py").read_text() == SCRIPT
    assert (root / ".github/workflows/a.yml").read_text() == "on: push\n"


def test_the_same_new_text_from_two_changes_is_written_once(tmp_path: Path) -> None:
    root = repo(tmp_path)
    t1, r1 = carrying(root, "a.yml", FileEdit("scripts/publish.py", SCRIPT, "same\n"))
    t2, r2 = carrying(root, "b.yml", FileEdit("scripts/publish.py", SCRIPT, "same\n"))
    out = write_fixed([t1, t2], [r1, r2])
    assert [r.status for r in out] == ["changed", "changed"]
    assert (root / "scripts/publish.py").read_text() == "same\n"


@pytest.mark.parametrize("inside", [True, False])
def test_a_directory_link_is_not_written_through(tmp_path: Path, inside: bool) -> None:
    root = repo(tmp_path)
    elsewhere = (root / "real") if inside else (tmp_path / "outside")
    elsewhere.mkdir()
    (elsewhere / "x.py").write_text(SCRIPT)
    os.symlink(elsewhere, root / "linked")
    t, r = carrying(root, "a.yml", FileEdit("linked/x.py", SCRIPT, "new\n"))
    out = write_fixed([t], [r])
    assert [x.status for x in out] == ["error", "error"]
    assert out[1].error == "linked is a symbolic link; not written through"
    assert (elsewhere / "x.py").read_text() == SCRIPT
    assert (root / ".github/workflows/a.yml").read_text() == "on: push\n"


def test_a_file_link_is_not_written_through(tmp_path: Path) -> None:
    root = repo(tmp_path)
    (tmp_path / "victim.py").write_text(SCRIPT)
    os.symlink(tmp_path / "victim.py", root / "scripts/link.py")
    t, r = carrying(root, "a.yml", FileEdit("scripts/link.py", SCRIPT, "new\n"))
    out = write_fixed([t], [r])
    assert out[1].error == "cannot write the fixed file: it is a symlink; not written through"
    assert (tmp_path / "victim.py").read_text() == SCRIPT
    assert (root / ".github/workflows/a.yml").read_text() == "on: push\n"  # restored


def test_fix_writes_the_script_and_diff_shows_it(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    root = repo(tmp_path)
    assert main(["fix", "--diff", str(root)]) == 1
    out = capsys.readouterr().out
    assert "+++ b/scripts/publish.py" in out  # relative to the PATH given, as the workflow
    assert '+API_TOKEN = os.environ["' in out
    assert (root / "scripts/publish.py").read_text() == SCRIPT  # --diff writes nothing
    assert main(["fix", str(root)]) == 0
    script = (root / "scripts/publish.py").read_text()
    assert SCRIPT_TOKEN not in script and "os.environ" in script
    assert main(["fix", "--check", str(root)]) == 0  # a second run changes nothing


# -- the secrets pull request's text -------------------------------------------------------------

def secret_results(tmp_path: Path) -> list[FileResult]:
    return process(repo(tmp_path), pr_secrets.needs_person)


def test_title_counts_the_secrets_to_create(tmp_path: Path) -> None:
    results = secret_results(tmp_path)
    names = [s.name for s in pr_secrets.secrets_of(results)]
    assert len(names) == 2
    seen = pr_secrets.Seen()
    assert pr_secrets.title(results, seen) == "Move 2 hardcoded credentials into secrets (2 to create)"
    one = pr_secrets.Seen(frozenset({names[0].upper()}))
    assert pr_secrets.title(results, one) == "Move 2 hardcoded credentials into secrets (1 to create)"
    assert pr_secrets.missing(results, one) == names[1:]
    every = pr_secrets.Seen(frozenset(n.upper() for n in names))
    assert pr_secrets.title(results, every) == "Move 2 hardcoded credentials into secrets (all created)"


def test_checklist_ticks_seen_names_and_never_rotation(tmp_path: Path) -> None:
    results = secret_results(tmp_path)
    names = [s.name for s in pr_secrets.secrets_of(results)]
    cl = pr_secrets.checklist(results, pr_secrets.Seen(frozenset({names[0]})))
    creates = [(done, t) for done, t in cl.items if t.startswith("create secret")]
    assert [(done, t.split("`")[1]) for done, t in creates] == [(True, names[0]), (False, names[1])]
    rotates = [done for done, t in cl.items if t.startswith("rotate ")]
    assert rotates == [False, False]
    assert cl.note is None and cl.branch == "fixbot/move-secrets"
    text = pr.body(results, ["secrets"], cl)
    assert f"- [x] create secret `{names[0]}`" in text
    assert f"- [ ] create secret `{names[1]}`" in text
    assert TOKEN not in text and TOKEN not in pr_secrets.title(results, pr_secrets.Seen())


def test_an_unreadable_list_ticks_nothing_and_says_so_once(tmp_path: Path) -> None:
    results = secret_results(tmp_path)
    names = [s.name for s in pr_secrets.secrets_of(results)]
    seen = pr_secrets.Seen(frozenset({names[0]}), "repository secrets: 403 forbidden")
    cl = pr_secrets.checklist(results, seen)
    assert not any(done for done, _ in cl.items)
    text = pr.body(results, ["secrets"], cl)
    assert text.count("could not read the secret names") == 1
    assert "- [x]" not in text


def test_value_is_never_rendered() -> None:
    s = SecretValue("X_TOKEN", "kind", "ghp_**** (40 chars)", TOKEN)
    assert TOKEN not in repr(s)


# -- local mode: one branch per lane -------------------------------------------------------------

def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                          text=True).stdout


def test_local_mode_commits_each_lane_on_its_branch(tmp_path: Path) -> None:
    root = repo(tmp_path)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "-c", "user.name=a", "-c", "user.email=a@example.com", "commit", "-qm", "init")
    o = run_local(str(root), select(None, None), workdir=tmp_path / "work")
    assert o.status == "pr-opened" and o.secrets is not None
    assert o.secrets.status == "pr-opened"
    assert o.secrets.title == "Move 2 hardcoded credentials into secrets (2 to create)"
    assert "local mode" in (o.secrets.body or "")
    clone = tmp_path / "work" / "repo"
    hard = git(clone, "diff", "--name-only", "main", "fixbot/harden-workflows").split()
    moved = git(clone, "diff", "--name-only", "main", "fixbot/move-secrets").split()
    assert hard == [".github/workflows/release.yml"]
    assert moved == [".github/workflows/release.yml", "scripts/publish.py"]
    assert "permissions:" not in git(clone, "diff", "main", "fixbot/move-secrets")
    assert "secrets." not in git(clone, "diff", "main", "fixbot/harden-workflows")
    for text in (o.body, o.title, o.secrets.body, o.secrets.title):
        assert TOKEN not in (text or "")
