"""Task runners (make pattern rules and includes, just aliases and -d, npm/yarn/pnpm workspaces,
npm install-test, go-task Taskfiles) and Python scripts' cwd= and file writes."""

from __future__ import annotations

import pytest

from fixbot.kb.python_script import analyze_python
from fixbot.kb.script_files import ScriptReader

PUSH = "git push origin HEAD:refs/heads/out"


def _step(files: dict[str, str], run: str, shell: str = "", env: dict[str, str] | None = None,
          git: bool = True, stores: frozenset[str] = frozenset()) -> tuple[bool, bool, set[str]]:
    step = ScriptReader(files.get).run_step(run, shell, env or {}, git, stores)
    return bool(step.analysis.git_uses), bool(step.analysis.unknown), set(step.analysis.stores)


@pytest.mark.parametrize(("files", "run"), [
    ({"Makefile": f"build:\n\techo b\ndocs-%:\n\t{PUSH}\n"}, "make docs-site"),
    ({"Makefile": "all: docs-x\ndocs-%:\n\tgit push origin $*\n"}, "make all"),
    ({"justfile": f"alias r := release\nrelease:\n    {PUSH}\n"}, "just r"),
    ({"sub/justfile": f"docs:\n    {PUSH}\n"}, "just -d sub --justfile sub/justfile docs"),
    ({"package.json": '{"workspaces":["packages/*"],"scripts":{"build":"echo"}}',
      "packages/app/package.json": f'{{"scripts":{{"build":"{PUSH}"}}}}'},
     "npm run build -w packages/app"),
    ({"package.json": '{"workspaces":["packages/app"]}',
      "packages/app/package.json": f'{{"name":"app","scripts":{{"build":"{PUSH}"}}}}'},
     "npm run build --workspace=app"),
    ({"package.json": '{"workspaces":["packages/app"]}',
      "packages/app/package.json": f'{{"name":"app","scripts":{{"build":"{PUSH}"}}}}'},
     "npm run build --workspaces"),
    ({"package.json": '{"workspaces":["packages/app"]}',
      "packages/app/package.json": f'{{"name":"app","scripts":{{"build":"{PUSH}"}}}}'},
     "yarn workspace app build"),
    ({"package.json": "{}", "pnpm-workspace.yaml": "packages:\n  - packages/app\n",
      "packages/app/package.json": f'{{"scripts":{{"build":"{PUSH}"}}}}'}, "pnpm -r run build"),
    ({"package.json": f'{{"scripts":{{"posttest":"{PUSH}"}}}}'}, "npm it"),
    ({"Taskfile.yml": f"version: '3'\ntasks:\n  docs:\n    cmds:\n      - {PUSH}\n"}, "task docs"),
    ({"Taskfile.yml": f"version: '3'\ntasks:\n  docs:\n    deps: [push]\n    cmds:\n"
                      f"      - cmd: echo\n  push:\n    cmds:\n      - {PUSH}\n"}, "task docs"),
    ({"Taskfile.yaml": f"version: '3'\ntasks:\n  default:\n    cmds:\n      - task: p\n"
                       f"  p:\n    cmds:\n      - {PUSH}\n"}, "task"),
])
def test_task_runner_pushes(files: dict[str, str], run: str) -> None:
    pushes, unknown, _ = _step(files, run)
    assert pushes and not unknown


@pytest.mark.parametrize(("files", "run"), [
    ({"Makefile": "include gen.mk\nall: gen\n\techo done\n"}, "make all"),
    ({"Makefile": "build:\n\techo b\ndocs-%:\n\techo d\n"}, "make other"),
    ({"package.json": '{"workspaces":["packages/*"]}'}, "npm run build --workspaces"),
    ({"package.json": '{"workspaces":["packages/*"]}'}, "yarn workspace app build"),
    ({"package.json": "{}"}, "pnpm -r run build"),
    ({"Taskfile.yml": "version: '3'\ntasks:\n  docs:\n    cmds:\n      - echo\n"}, "task other"),
    ({"Taskfile.yml": "version: '3'\ntasks:\n  docs:\n    cmds:\n      - '{{.CMD}} x'\n"},
     "task docs"),
])
def test_task_runner_unknown(files: dict[str, str], run: str) -> None:
    assert _step(files, run)[1]


def test_make_prerequisite_file_of_including_makefile_is_not_unknown() -> None:
    files = {"Makefile": "include gen.mk\nall: main.c\n\tcc main.c\n", "main.c": ""}
    assert _step(files, "make all") == (False, False, set())


def test_python_subprocess_cwd() -> None:
    files = {"release.sh": "#!/bin/sh\necho root\n", "tools/release.sh": f"#!/bin/sh\n{PUSH}\n",
             "Makefile": "docs:\n\techo\n", "site/Makefile": f"docs:\n\t{PUSH}\n"}
    script = 'import subprocess\nsubprocess.run(["./release.sh"], cwd="tools")\n'
    assert _step(files, script, "python")[0]
    script = 'import subprocess\nsubprocess.run("make docs", shell=True, cwd="site")\n'
    assert _step(files, script, "python")[0]
    script = 'import subprocess, sys\nsubprocess.run(["./release.sh"], cwd=sys.argv[1])\n'
    assert _step(files, script, "python")[1]
    facts = analyze_python('import subprocess\nsubprocess.run(["x"], cwd="a/b")\n')
    assert facts.commands[0].cwd == "a/b"


@pytest.mark.parametrize("script", [
    'import os\nwith open(os.path.expanduser("~/.netrc"), "w") as f:\n'
    '    f.write("machine github.com password " + os.environ["GH_TOKEN"])\n',
    'from pathlib import Path\nPath.home().joinpath(".netrc").write_text("p ${{ github.token }}")\n',
    'import os\ntok = os.getenv("GH_TOKEN")\nopen("/tmp/x", "a").write(tok)\n',
    'import os\nf = open("cfg", "w")\nprint(os.environ["GH_TOKEN"], file=f)\n',
])
def test_python_token_written_to_disk(script: str) -> None:
    stores = _step({}, script, "python", {"GH_TOKEN": "${{ github.token }}"}, git=False)[2]
    assert "disk" in stores


def test_python_token_written_to_github_env() -> None:
    script = ('import os\nwith open(os.environ["GITHUB_ENV"], "a") as f:\n'
              '    f.write(f"T={os.environ[\'GH_TOKEN\']}\\n")\n')
    stores = _step({}, script, "python", {"GH_TOKEN": "${{ github.token }}"}, git=False)[2]
    assert stores == {"github-env"}


def test_python_reads_and_other_values_are_not_stores() -> None:
    env = {"GH_TOKEN": "${{ github.token }}", "OTHER": "${{ secrets.PAT }}"}
    for script in ('import os\nprint(open(os.path.expanduser("~/.netrc")).read())\n',
                   'import os\nopen("x", "w").write(os.environ["OTHER"])\n',
                   'import os\nopen(os.environ["GITHUB_OUTPUT"], "a").write(os.environ["GH_TOKEN"])\n'):
        assert _step({}, script, "python", env, git=False)[2] == set()


def test_python_github_path_then_bare_command() -> None:
    files = {"bin/docs-update": f"#!/bin/sh\n{PUSH}\n"}
    script = ('import os\nwith open(os.environ["GITHUB_PATH"], "a") as f:\n'
              '    f.write(os.path.join(os.environ["GITHUB_WORKSPACE"], "bin") + "\\n")\n')
    stores = _step(files, script, "python")[2]
    assert stores == {"path:bin"}
    assert _step(files, "docs-update", stores=frozenset(stores))[0]
