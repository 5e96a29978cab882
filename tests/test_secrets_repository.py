"""One secret per credential across a repository (issue 10): the secrets transform names the
credentials of all the repository's workflows and the Python scripts they run together, so the
same value gets the same name in every file, and two values never share one, whichever file is
processed first or in whichever worker process."""

from __future__ import annotations

from pathlib import Path

from fixbot.commands.fix import fix_paths
from fixbot.transforms import REGISTRY

PAT_A = "ghp_4axxvSx90PAVUkPllUcNHFI2lkZR1WHFgfhL"
PAT_B = "ghp_XAYbhlq275uulmCAzvAEzyK9raAvZEG4J5oN"
NPM = "npm_crxkD2htdjze6t4VzVtiw6IAGDKJNSRE7DXG"


def _workflow(env: dict[str, str], run: str = "make") -> str:
    lines = "".join(f"          {k}: {v}\n" for k, v in env.items())
    return ("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
            f"      - run: {run}\n        env:\n{lines}")


def _names(root: Path) -> dict[str, set[tuple[str, str]]]:
    results = fix_paths([str(root)], [REGISTRY["secrets"]], write=False)
    out: dict[str, set[tuple[str, str]]] = {}
    for r in results:
        for c in r.changes:
            for s in c.secrets:
                out.setdefault(r.path, set()).add((s.name, s.value))
    return out


def test_two_credentials_never_share_a_name_and_one_keeps_its_name_everywhere(tmp_path: Path) -> None:
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    (tmp_path / "tools").mkdir()
    # a generic key: each name comes from the kind of credential (GH_PAT)
    (wf / "a.yml").write_text(_workflow({"token": PAT_A}), encoding="utf-8")
    (wf / "b.yml").write_text(_workflow({"token": PAT_B, "NPM_TOKEN": NPM}), encoding="utf-8")
    (wf / "c.yml").write_text(_workflow({"auth": PAT_A}, run="python tools/pub.py"), encoding="utf-8")
    (tmp_path / "tools" / "pub.py").write_text(f'TOKEN = "{PAT_B}"\n', encoding="utf-8")
    names = _names(tmp_path)
    assert names == {
        ".github/workflows/a.yml": {("GH_PAT", PAT_A)},
        ".github/workflows/b.yml": {("GH_PAT_2", PAT_B), ("NPM_TOKEN", NPM)},
        ".github/workflows/c.yml": {("GH_PAT", PAT_A), ("GH_PAT_2", PAT_B)},
    }
    # the same answer whichever file is asked about on its own
    for one in ("a.yml", "b.yml", "c.yml"):
        got = fix_paths([str(wf / one)], [REGISTRY["secrets"]], write=False)
        assert {(s.name, s.value) for r in got for c in r.changes for s in c.secrets} \
            == names[f".github/workflows/{one}"]
