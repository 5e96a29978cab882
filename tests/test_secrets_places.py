"""The labelled set (tests/secrets/cases.toml) through the whole ``secrets`` transform, each case in
its place: a workflow (and, for ``python-file``, the repository script a step runs) holding the
value under its name, run through :func:`fixbot.engine.process`.

A case is *flagged* when a change carries a :class:`~fixbot.types.SecretValue` holding the
credential, or when a ``secrets`` note says it was left alone (a comment, a verbatim string, a
``cmd`` script…) naming its redacted form at the case's location. Precision and recall are printed,
overall and per place: recall must be 100% and no look-alike may be flagged. A flagged case that
is not a note must have changed the file (the engine's guard passed: status ``changed``) and the
credential must be gone from every output (the workflow and the script that changed with it).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from fixbot.engine import process
from fixbot.kb.secret_values import find, redacted
from fixbot.transforms import secrets
from fixbot.types import FileResult
from fixbot.workflow import RepoContext

CASES: list[dict[str, str]] = tomllib.loads(
    (Path(__file__).parent / "secrets" / "cases.toml").read_text(encoding="utf-8"))["case"]
SCRIPT = "tools/x.py"


def _id(i: int, case: dict[str, str]) -> str:
    return f"{i:03}-{case['expect']}-{case['place']}-{case.get('name', '_')}"


# --- writing a value into its place -------------------------------------------------------------

def _yaml_value(value: str, indent: int) -> str:
    """``value`` as a YAML scalar at ``indent`` (the key's column): plain where that reads back
    the same, a literal block for several lines, else double-quoted (JSON's escapes are YAML's)."""
    if "\n" in value.rstrip("\n"):
        trailing = len(value) - len(value.rstrip("\n"))
        chomp = {0: "-", 1: ""}.get(trailing, "+")
        pad = " " * (indent + 2)
        lines = value.rstrip("\n").split("\n") + [""] * max(0, trailing - 1)
        return f"|{chomp}\n" + "\n".join(pad + ln if ln else "" for ln in lines)
    try:
        plain_ok = yaml.safe_load(f"k: {value}") == {"k": value}
    except yaml.YAMLError:
        plain_ok = False
    return value if plain_ok and "#" not in value else json.dumps(value)


def _block(text: str, indent: int) -> str:
    """A ``run:`` script as a literal block whose lines sit at ``indent``."""
    pad = " " * indent
    return "|\n" + "\n".join(pad + ln if ln else "" for ln in text.rstrip("\n").split("\n"))


_SAFE_BASH = re.compile(r"[A-Za-z0-9_@%+=:,./~-]+")


def _bash_word(value: str) -> str:
    """``value`` as one bash word: as written when it is already quoted or plain, double quotes
    around a reference, single quotes around anything else."""
    if _SAFE_BASH.fullmatch(value) or (len(value) >= 2 and value[0] == value[-1] and value[0] in "'\""):
        return value
    if "$" in value and '"' not in value:
        return f'"{value}"'
    return "'" + value.replace("'", "'\\''") + "'"


def _bash(case: dict[str, str]) -> str:
    value, name = case["value"], case.get("name")
    if "\n" in value:  # a here-document writing a file
        return f"mkdir -p ~/.x\ncat > ~/.x/file <<EOF\n{value.rstrip(chr(10))}\nEOF\nls ~/.x\n"
    if name is None:
        if value.lower().startswith(("authorization:", "x-api-key:")):
            return f'curl -fsS -H "{value}" https://api.acme.io/v1/thing\n'
        if "://" in value:
            return f"git clone {_bash_word(value)} src\n"
        if re.match(r"[A-Z_]+=", value):  # a line of $GITHUB_ENV
            return f'echo "{value}" >> "$GITHUB_ENV"\n'
        if value.startswith("//"):
            return f"echo {_bash_word(value)} > ~/.npmrc\n"
        return f"echo start\nsome-tool --value {_bash_word(value)}\n"
    return f"export {name}={_bash_word(value)}\n./deploy.sh\n"


def _pwsh(case: dict[str, str]) -> str:
    value, name = case["value"], case.get("name")
    if value.startswith(("$env:", "%")) or "$" in value:
        literal = value
    else:
        literal = "'" + value.replace("'", "''") + "'"
    if name is None:
        return f"Invoke-WebRequest -Uri {literal} -OutFile out.bin\n"
    return f"$env:{name} = {literal}\n./deploy.ps1\n"


_IDENT = re.compile(r"[A-Za-z_]\w*")


def _python(case: dict[str, str], i: int) -> str:
    """A Python script holding the value under its name: an assignment, a keyword argument or
    a dict entry (in turn), with a comment and a call around it."""
    value, name = case["value"], case.get("name") or "value"
    lit = repr(value)
    if not _IDENT.fullmatch(name) or name[0].isupper() and i % 3 == 1:
        body = f"HEADERS = {{\n    {name!r}: {lit},\n    'Accept': 'application/json',\n}}\nsend(HEADERS)\n"
    elif i % 3 == 2 and name.islower():
        body = f"client = connect(\n    host='api.acme.io',  # the production API\n    {name}={lit},\n)\n"
    else:
        body = f"{name} = {lit}  # set by hand\nsend({name})\n"
    return f"import sys\n\n\ndef send(x):\n    print(len(x), file=sys.stderr)\n\n\ndef connect(**kw):\n    return kw\n\n\n{body}"


@dataclass
class Built:
    workflow: str
    files: dict[str, str]
    location: str  # where the transform's change or note is expected


HEAD = "name: ci\non: push\n"


def _steps(steps: str, job_extra: str = "", wf_extra: str = "") -> str:
    return (f"{HEAD}{wf_extra}jobs:\n  build:\n    runs-on: ubuntu-latest\n{job_extra}"
            f"    steps:\n      - uses: actions/checkout@v4\n{steps}")


def build(i: int, case: dict[str, str]) -> Built:
    place, value = case["place"], case["value"]
    name = case.get("name")
    step = "jobs.build.steps[1]"
    if place == "env":  # workflow, job and step env in turn
        key = name or "VALUE"
        entry = f"{key}: {_yaml_value(value, 0)}"
        level = i % 3
        if level == 0:
            wf_env = "env:\n" + _indent(entry, 2) + "\n"
            return Built(_steps("      - run: ./deploy.sh\n", wf_extra=wf_env), {}, "")
        if level == 1:
            job_env = "    env:\n" + _indent(entry, 6) + "\n"
            return Built(_steps("      - run: ./deploy.sh\n", job_extra=job_env), {}, "jobs.build")
        return Built(_steps("      - run: ./deploy.sh\n        env:\n" + _indent(entry, 10) + "\n"),
                     {}, step)
    if place == "with":
        key = name or "value"
        entry = f"{key}: {_yaml_value(value, 10)}"
        return Built(_steps("      - uses: acme/deploy-action@v2\n        with:\n"
                            + " " * 10 + entry + "\n"), {}, step)
    if place == "run-bash":
        return Built(_steps("      - name: deploy\n        run: " + _block(_bash(case), 10) + "\n"),
                     {}, step)
    if place == "run-pwsh":
        return Built(_steps("      - shell: pwsh\n        run: " + _block(_pwsh(case), 10) + "\n"),
                     {}, step)
    if place == "run-python":
        return Built(_steps("      - shell: python\n        run: " + _block(_python(case, i), 10)
                            + "\n"), {}, step)
    if place == "python-file":
        return Built(_steps(f"      - run: python {SCRIPT}\n"), {SCRIPT: _python(case, i)}, step)
    if place == "container":
        if name == "password":
            job = ("    container:\n      image: ghcr.io/acme/builder:1\n      credentials:\n"
                   f"        username: acme-bot\n        password: {_yaml_value(value, 8)}\n")
        else:
            job = ("    container:\n      image: ghcr.io/acme/builder:1\n      env:\n"
                   f"        {name or 'VALUE'}: {_yaml_value(value, 8)}\n")
        return Built(_steps("      - run: make test\n", job_extra=job), {}, "jobs.build")
    if place == "services":
        if name == "password":
            svc = ("      registry:\n        image: ghcr.io/acme/cache:2\n        credentials:\n"
                   f"          username: acme-bot\n          password: {_yaml_value(value, 10)}\n")
        else:
            svc = ("      db:\n        image: postgres:16\n        env:\n"
                   f"          {name or 'VALUE'}: {_yaml_value(value, 10)}\n")
        return Built(_steps("      - run: make test\n", job_extra="    services:\n" + svc), {},
                     "jobs.build")
    raise AssertionError(f"unknown place {place!r}")


def _indent(text: str, n: int) -> str:
    return "\n".join(" " * n + ln if ln else "" for ln in text.split("\n"))


# --- running a case ---------------------------------------------------------------------------

@dataclass
class Outcome:
    case: dict[str, str]
    built: Built
    result: FileResult
    by_change: bool
    by_note: bool
    problems: list[str]

    @property
    def flagged(self) -> bool:
        return self.by_change or self.by_note


def run_case(i: int, case: dict[str, str]) -> Outcome:
    built = build(i, case)
    assert yaml.safe_load(built.workflow), "the built workflow must be YAML"
    ctx = RepoContext(read_text=built.files.get)
    result = process(".github/workflows/ci.yml", built.workflow, [secrets], ctx)
    secret = case.get("secret", case["value"])
    moved = [s for c in result.changes for s in c.secrets]
    by_change = any(s.value == secret for s in moved)
    notes = [n for n in result.notes if n.transform == secrets.ID]
    problems: list[str] = []
    by_note = False
    if case["expect"] != "none":
        shown = redacted(case["expect"], secret)
        by_note = any(shown in n.message and n.location == built.location for n in notes)
    else:
        by_change = bool(moved)
        by_note = any("left alone" in n.message for n in notes)
    if case["expect"] != "none" and by_change:
        if result.status != "changed":
            problems.append(f"status {result.status} ({result.error}): the guard refused the output")
        outputs = [result.updated or ""] + [f.after for c in result.changes for f in c.files]
        if any(secret in out for out in outputs):
            problems.append("the credential is still in the output")
        for c in result.changes:
            for f in c.files:
                assert f.path in built.files
    if result.failed:
        problems.append("failed: " + "; ".join(str(o.error) for o in result.failed))
    return Outcome(case, built, result, by_change, by_note, problems)


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    return [run_case(i, c) for i, c in enumerate(CASES)]


def test_every_place_is_covered() -> None:
    assert {c["place"] for c in CASES} == {"env", "with", "run-bash", "run-pwsh", "run-python",
                                           "container", "services", "python-file"}
    for c in CASES:  # the detector alone agrees with the label (tests/test_secret_values.py)
        assert bool(find(c["value"], c.get("name"))) == (c["expect"] != "none"), c


def test_precision_and_recall_in_place(outcomes: list[Outcome]) -> None:
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # tp fp fn tn
    wrong: list[str] = []
    for i, o in enumerate(outcomes):
        row = per[o.case["place"]]
        positive = o.case["expect"] != "none"
        if positive and o.flagged:
            row[0] += 1
        elif positive:
            row[2] += 1
            wrong.append(f"missed {_id(i, o.case)}")
        elif o.flagged:
            row[1] += 1
            wrong.append(f"false positive {_id(i, o.case)}")
        else:
            row[3] += 1
        wrong += [f"{_id(i, o.case)}: {p}" for p in o.problems]

    def line(label: str, tp: int, fp: int, fn: int, tn: int) -> str:
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        return (f"{label:<12} {tp + fp + fn + tn:>4} cases  tp {tp:>3}  fp {fp:>2}  fn {fn:>2}  "
                f"tn {tn:>3}  precision {precision:7.1%}  recall {recall:7.1%}")

    total = [sum(r[k] for r in per.values()) for k in range(4)]
    report = [line("all", *total)] + [line(p, *per[p]) for p in sorted(per)]
    notes = sum(o.by_note and not o.by_change for o in outcomes if o.case["expect"] != "none")
    report.append(f"flagged by a note (left alone, not rewritten): {notes}")
    print("\n" + "\n".join(report))
    assert total[1] == 0 and total[2] == 0 and not wrong, "\n".join(report + wrong)


def test_notes_only_where_a_script_is_not_rewritten(outcomes: list[Outcome]) -> None:
    """Every credential of the set moves, in bash and PowerShell scripts alike: none of its
    places is one fixbot leaves with a note (a comment, a verbatim here-string, `cmd`)."""
    for i, o in enumerate(outcomes):
        if o.case["expect"] != "none":
            assert o.by_change, f"{_id(i, o.case)} was only noted:\n{o.result.notes}"


def test_look_alikes_leave_the_file_alone(outcomes: list[Outcome]) -> None:
    """A look-alike changes nothing (an expression in a script still moves into ``env:``)."""
    for i, o in enumerate(outcomes):
        if o.case["expect"] == "none" and "${{" not in o.case["value"]:
            assert o.result.status == "unchanged", f"{_id(i, o.case)}: {o.result.changes}"


def test_the_change_reads_the_secret(outcomes: list[Outcome]) -> None:
    """Each moved credential is read back as ``${{ secrets.NAME }}`` in the new workflow."""
    for i, o in enumerate(outcomes):
        if not o.by_change or o.case["expect"] == "none":
            continue
        out = o.result.updated or ""
        for c in o.result.changes:
            for s in c.secrets:
                assert f"secrets.{s.name} }}}}" in out, (_id(i, o.case), s.name)
                assert s.value not in out


def _strings(data: object) -> list[str]:
    if isinstance(data, dict):
        return [s for v in data.values() for s in _strings(v)]
    if isinstance(data, list):
        return [s for v in data for s in _strings(v)]
    return [data] if isinstance(data, str) else []


@pytest.mark.parametrize("i", range(len(CASES)), ids=[_id(i, c) for i, c in enumerate(CASES)])
def test_the_value_is_where_the_case_says(i: int) -> None:
    """The built workflow (or script) holds the value as written: a YAML value reads back as
    it, a script holds its text, a Python file holds it as a string constant."""
    import ast

    case = CASES[i]
    built = build(i, case)
    values = _strings(yaml.safe_load(built.workflow))
    if case["place"] in ("env", "with", "container", "services"):
        assert case["value"] in values
    elif case["place"] == "python-file":
        tree = ast.parse(built.files[SCRIPT])
        assert case["value"] in [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)]
    elif case["place"] == "run-python":
        script = next(v for v in values if "import sys" in v)
        tree = ast.parse(script)
        assert case["value"] in [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)]
    else:
        assert any(case["value"].rstrip("\n") in v for v in values)
