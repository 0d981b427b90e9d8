"""Does a real renderer accept every piece of maths in every Markdown output of every family?

The outputs are made as a course makes them (``generate`` of every built-in family: Markdown
handouts, worked solutions and the notebooks' Markdown cells; ``solve --format md``;
``grade --format md`` feedback, for mistakes of every kind and a tampered file; ``check
--format md --reveal``). Each is parsed as Markdown by markdown-it with VS Code's KaTeX plugin
(the ``$...$`` and ``$$...$$`` delimiters GitHub and Jupyter read: maths is taken out before
Markdown sees ``_`` or ``*``), and every piece is rendered by KaTeX with ``throwOnError`` and
``strict: "error"`` (``tests/katex/render.js``). A ``$`` left in the text is a piece the
renderer did not recognise.

KaTeX and markdown-it come from the npm registry, pinned in ``tests/katex/package-lock.json``,
installed into ``tests/.katex`` (ignored by git) by ``make katex`` (``.ci/run`` does) or, when
missing, by the fixture. Without node the test fails, saying so: it is never skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest
from click.testing import CliRunner

from grader.cli import cli
from grader.family import builtin_family_ids
from grader.files import read_data
from grader.rules import MISCONCEPTIONS, Rules
from grader.solver import solve
from grader.validation import instance_from_dict

ROOT = Path(__file__).resolve().parent.parent
PINNED = ROOT / "tests" / "katex"
INSTALLED = ROOT / "tests" / ".katex"


def _install() -> None:
    """``make katex``: the pinned packages into tests/.katex, unless they are there already."""
    lock = (PINNED / "package-lock.json").read_bytes()
    there = INSTALLED / "package-lock.json"
    if there.exists() and there.read_bytes() == lock and (INSTALLED / "node_modules" / "katex").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is not installed: the Markdown maths test installs KaTeX with it "
                    "(apt-get install npm; .ci/run does), or run make katex")
    INSTALLED.mkdir(exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(PINNED / name, INSTALLED / name)
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=INSTALLED, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, f"npm ci in {INSTALLED} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def render_math() -> Callable[[list[dict[str, str]]], dict[str, Any]]:
    """``render(documents)``: what tests/katex/render.js says of them."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: the Markdown maths test renders with KaTeX under node "
                    "(apt-get install nodejs npm; .ci/run does)")
    _install()

    def render(documents: list[dict[str, str]]) -> dict[str, Any]:
        done = subprocess.run([node, str(PINNED / "render.js")], input=json.dumps({"documents": documents}),
                              capture_output=True, text=True, timeout=300,
                              env={**os.environ, "NODE_PATH": str(INSTALLED / "node_modules")})
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    return render


def _invoke(args: list[str], ok: tuple[int, ...] = (0,)) -> str:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code in ok, (args, result.output)
    return result.output


def _answers_toml(answers: dict[str, Any]) -> str:
    return "".join(f"{k} = {json.dumps(v)}\n" for k, v in answers.items())


def _with_answers(handout: str, answers: dict[str, Any]) -> str:
    """The TOML handout with its [answers] table replaced by ``answers``."""
    head = handout[:handout.index("\n[answers]\n") + 1]
    return f"{head}[answers]\n{_answers_toml(answers)}"


def _hand_worked(instance, rules: Rules, d: int) -> dict[str, float]:
    trace = solve(instance, rules)
    values = dict(trace.givens)
    for q in trace.quantities:
        values[q.id] = round(q.recompute(values), d)
    return {q.id: values[q.id] for q in trace.quantities}


def _course(family: str, out: Path, secret: Path) -> list[tuple[str, str]]:
    """Every Markdown output of a course of ``family``: (name, text)."""
    course = out / family
    _invoke(["generate", family, "--count", "3", "--format", "toml,md,ipynb", "--out", str(course),
             "--secret-file", str(secret)])
    docs = [(f"{family}/{p.relative_to(course)}", p.read_text(encoding="utf-8"))
            for p in sorted(course.glob("*/*.md"))]
    for p in sorted((course / "handouts").glob("*.ipynb")):
        nb = nbformat.read(p, as_version=4)
        docs += [(f"{family}/{p.name}#cell{i}", c.source) for i, c in enumerate(nb.cells)
                 if c.cell_type == "markdown"]
    handout = course / "handouts" / "student01.toml"
    docs.append((f"{family}/solve --format md",
                 _invoke(["solve", str(handout), "--format", "md", "--secret", str(secret)])))

    # submissions with mistakes of every kind, and a tampered one, graded with Markdown feedback
    subs = out / f"{family}-submissions"
    subs.mkdir()
    data = read_data(handout)
    inst = instance_from_dict(data["instance"], "handout")
    d = inst.rounding
    answers: dict[str, Any] = {}
    for rules in (m.rules for m in MISCONCEPTIONS.values()):
        answers = {**_hand_worked(inst, rules, d), **answers}  # (the first rule to change an id wins)
    ids = list(answers)
    answers[ids[0]] = "one half"  # invalid
    del answers[ids[1]]  # missing
    text = handout.read_text(encoding="utf-8")
    (subs / "student01.toml").write_text(_with_answers(text, answers), encoding="utf-8")
    key = next(iter(data["instance"]["weights"]))
    tampered = text.replace(f"\n{key} = ", f"\n{key} = 0.125\n# was ", 1)
    tampered_inst = instance_from_dict(tomllib.loads(tampered)["instance"], "tampered")
    (subs / "student02.toml").write_text(
        _with_answers(tampered, _hand_worked(tampered_inst, Rules(), d)), encoding="utf-8")
    graded = out / f"{family}-graded"
    _invoke(["grade", str(course / "key.json"), str(subs), "--out", str(graded), "--format", "md",
             "--jobs", "1"], ok=(0, 1))
    docs += [(f"{family}/feedback/{p.name}", p.read_text(encoding="utf-8"))
             for p in sorted((graded / "feedback").glob("*.md"))]
    docs.append((f"{family}/check --format md --reveal",
                 _invoke(["check", str(subs / "student01.toml"), "--format", "md", "--reveal",
                          "--secret", str(secret)], ok=(1,))))
    return docs


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str]]:
    out = tmp_path_factory.mktemp("markdown")
    secret = out / "secret"
    secret.write_text("a secret for the Markdown maths test\n")
    docs = []
    for family in builtin_family_ids():
        docs += _course(family, out, secret)
    return docs


@pytest.mark.slow
def test_every_math_piece_of_every_markdown_output_renders(outputs, render_math):
    result = render_math([{"name": n, "text": t} for n, t in outputs])
    names = [n for n, _ in outputs]
    for kind in ("/handouts/", "/solutions/", ".ipynb#cell", "/solve --format md", "/feedback/",
                 "/check --format md"):
        assert sum(kind in n for n in names) >= len(builtin_family_ids()), kind
    assert result["pieces"] > 1000, result["pieces"]  # (every family's handouts, solutions, notebooks)
    assert result["rejected"] == [], (
        f"{len(result['rejected'])} of {result['pieces']} pieces rejected by KaTeX {result['katex']}: "
        + json.dumps(result["rejected"][:5], indent=1))
    assert result["stray"] == []


def test_a_broken_piece_is_rejected_and_a_stray_dollar_found(render_math):
    """The check itself: the double superscript the xor handouts had, and a $ the Markdown
    parser could not pair, are found."""
    result = render_math([
        {"name": "old xor", "text": "- `new_w_A_C_step2`: $w'_{A,C}^{(2)}$, the new weight\n"},
        {"name": "unpaired", "text": "costs $ 5 and $w_{A,C}$\n"},
        {"name": "right", "text": "$w'^{(2)}_{A,C} = w_{A,C} + \\Delta w_{A,C}$\n"},
    ])
    assert result["pieces"] == 3
    assert [(r["document"], r["piece"]) for r in result["rejected"]] == [("old xor", "w'_{A,C}^{(2)}")]
    assert "Double superscript" in result["rejected"][0]["error"]
    assert [s["document"] for s in result["stray"]] == ["unpaired"]
