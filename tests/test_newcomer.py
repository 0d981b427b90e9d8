"""What a newcomer trips over, found by using the tool from the README alone (an instructor with
an LMS roster export, a student with the handout): each test is one of those places, and
failed before it was mended."""

from __future__ import annotations

import inspect

import click
import pytest
from click.testing import CliRunner

from grader.cli import cli


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _commands(group: click.Group, path: tuple[str, ...] = ()):
    """(the words of the command line, the command) of every command, subcommands included."""
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))


def _example_lines(command: click.Command) -> list[str]:
    """The ``backprop ...`` lines of a command's docstring (its Example)."""
    doc = inspect.getdoc(command.callback) or command.help or ""
    return [line.strip() for line in doc.splitlines() if line.strip().startswith("backprop ")]


@pytest.mark.parametrize("words", [w for w, c in _commands(cli) if _example_lines(c)], ids=" ".join)
def test_every_example_in_help_is_one_whole_line(runner, words):
    """Does `backprop X --help` show each of its examples as the command to type, on one line
    (not run together with the next one, nor broken in the middle of a path)?"""
    command = dict(_commands(cli))[words]
    shown = [line.strip() for line in runner.invoke(cli, [*words, "--help"]).output.splitlines()]
    for example in _example_lines(command):
        assert example in shown, f"`backprop {' '.join(words)} --help` does not show {example!r} on one line"


# --------------------------------------------------------------------------- a TOML handout's lines

def _filled_handout(tmp_path, edit):
    """A 2-2-1-threshold handout answered right to 4 decimals, then ``edit``ed as a student might."""
    import re

    from grader.family import load_family
    from grader.generator import draw_variant
    from grader.render.handout import handout_toml

    variant = draw_variant(load_family("2-2-1-threshold"), b"newcomer", "hw3", "chloe")
    trace = variant.trace()
    text = re.sub(r'^(\w+) = ""', lambda m: f"{m.group(1)} = {round(trace.value(m.group(1)), 4)!r}",
                  handout_toml(variant), flags=re.M)
    path = tmp_path / "chloe.toml"
    path.write_text(edit(text), encoding="utf-8")
    return path, variant


@pytest.mark.parametrize("edit, gone", [
    (lambda t: t.replace("dw_x1_A = ", "dw_x1_a = "), "dw_x1_A"),                     # a typo in the id
    (lambda t: "\n".join(line for line in t.splitlines() if not line.startswith("new_w_B_C ")),
     "new_w_B_C"),                                                                     # a line deleted
])
def test_check_of_a_toml_handout_keeps_every_asked_answer(runner, tmp_path, edit, gone):
    """Does `check` of a TOML handout still count an answer whose line the student mistyped or
    deleted, as `grade` does (the key's asked ids), instead of dropping it from the maximum?"""
    import json

    path, variant = _filled_handout(tmp_path, edit)
    result = runner.invoke(cli, ["check", str(path), "--json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["max_score"] == len(variant.asked) == 28
    assert [i["id"] for i in report["items"]] == list(variant.asked)
    assert {i["id"]: i["verdict"] for i in report["items"]}[gone] == "missing"
    assert report["score"] == 27


# --------------------------------------------------------------------------- the notebook's self-check

def test_the_notebook_self_check_names_a_mistyped_answer(tmp_path):
    """Does the self-check cell say, as `backprop check` of the same notebook does, that a
    variable the student named `dw_x2B` is not a quantity (did you mean 'dw_x2_B'?), instead of
    only listing dw_x2_B as missing?"""
    import math

    from grader.family import load_family
    from grader.generator import draw_variant
    from grader.render.notebook import notebook_handout
    from grader.selfcheck import report

    variant = draw_variant(load_family("2-2-1-threshold"), b"newcomer", "hw3", "chloe")
    trace = variant.trace()
    path = tmp_path / "chloe.ipynb"
    path.write_text(notebook_handout(variant), encoding="utf-8")
    namespace: dict[str, object] = {**dict(trace.givens), "exp": math.exp, "In": [], "sigmoid": math.exp}
    namespace.update({q: trace.value(q) for q in variant.asked})
    namespace["dw_x2B"] = namespace.pop("dw_x2_B")
    namespace["total"] = 3.0  # a variable of the student's own, near no id: no warning
    result = report(path, namespace)
    verdicts = {i.id: i.verdict for i in result.report.items}
    assert verdicts.pop("dw_x2_B") == "missing" and set(verdicts.values()) == {"correct"}
    warning = "'dw_x2B' is not a quantity of this problem (did you mean 'dw_x2_B'?); it was not graded"
    assert list(result.report.warnings) == [warning]
    assert warning in result.text()


# --------------------------------------------------------------------------- grade's options

def test_two_rosters_are_refused_not_one_silently_kept(runner, tmp_path):
    """`grade --export gradescope --roster gs.csv --export moodle --roster moodle.csv` wrote the
    Gradescope file from Moodle's roster (click kept the last --roster): is it one clear error?"""
    result = runner.invoke(cli, ["grade", "key.json", "subs", "--out", str(tmp_path / "out"),
                                 "--export", "gradescope", "--roster", "gs.csv",
                                 "--export", "moodle", "--roster", "moodle.csv"])
    assert result.exit_code == 2
    assert result.output == (
        "Error: --roster given 2 times (gs.csv, moodle.csv); a run takes one: export to each platform with "
        "its own roster in a run of its own (files already graded are not graded again)\n")
    assert not (tmp_path / "out").exists()


def test_a_moodle_export_without_the_assignment_s_column_says_what_to_do(runner, tmp_path):
    """The Moodle grade export names the assignment as Moodle does (`Assignment: Homework 3
    (Real)`), the key 'hw3': does the export's note say what to do at the import (map the column to
    the grade item), not only 'name the assignment as the platform does'?"""
    from platform_files import moodle_grades
    from test_platform_exports import _course

    students = [("Jürgen", "Müller", "s001", "jm@example.edu"), ("Zoë", "Åberg", "s002", "za@example.edu")]
    data = moodle_grades(students).replace(b"Assignment: hw3 (Real)", b"Assignment: Homework 3 (Real)")
    roster, key, subs = _course(tmp_path, data)
    result = runner.invoke(cli, ["grade", str(key), str(subs), "--out", str(tmp_path / "g"), "--jobs", "1",
                                 "--export", "moodle", "--roster", str(roster)])
    assert result.exit_code == 0, result.output
    assert ("The moodle roster export has no column for this assignment: when you import the file, map its "
            "column 'Assignment: hw3 (Real)' to the assignment's grade item (next time, generate with "
            "--assignment named as Moodle names the assignment)") in result.output


def test_an_answer_written_twice_says_which_and_where(runner, tmp_path):
    """A student who pasted an answer line twice got TOML's own words ("Cannot overwrite a
    value (at line 38, column 12)"): is it the id, both lines and the fix?"""
    def twice(text: str) -> str:
        line = next(line for line in text.splitlines() if line.startswith("o_A = "))
        return text.replace(line, f"{line}\n{line}", 1)

    path, _ = _filled_handout(tmp_path, twice)
    lines = path.read_text(encoding="utf-8").splitlines()
    number = next(n for n, line in enumerate(lines, 1) if line.startswith("o_A = "))
    result = runner.invoke(cli, ["check", str(path)])
    assert result.exit_code == 2
    assert result.output == (f"Error: {path}: is not valid TOML: line {number + 1}: o_A is given twice "
                             f"(first on line {number}); keep one\n")


# --------------------------------------------------------------------------- generate

@pytest.mark.parametrize("formats, note", [
    ("md,pdf", "Note: the Markdown and PDF handouts tell each student to write their answers in "
               "<student>.toml and check them with backprop check <student>.toml, and no .toml was "
               "written: add toml (or ipynb) to --format to hand out a file to answer in.\n"),
    ("toml,md", None),
    ("ipynb", None),
    ("md,ipynb", None),  # (the Markdown handout then says to answer in the notebook)
])
def test_generate_says_when_the_handouts_name_a_file_it_did_not_write(runner, tmp_path, formats, note):
    """`generate --format pdf` (or md without toml) hands out PDFs that say "Write your answers
    in student01.toml", a file nobody got: does generate say so?"""
    result = runner.invoke(cli, ["generate", "chain", "--count", "1", "--format", formats, "--out",
                                 str(tmp_path / "hw"), "--secret-file", str(tmp_path / "secret")])
    assert result.exit_code == 0, result.output
    last = "(instructor only: the same secret and roster give the same files)\n"
    assert result.output.endswith(note or last)
    if note:
        text = (tmp_path / "hw" / "handouts" / "student01.md").read_text(encoding="utf-8")
        assert "Write your answers in `student01.toml`" in text  # (what the note is about)


TOLD = {"toml": "Write your answers in `student01.toml` under `[answers]` and check them with "
                "`backprop check student01.toml`.",
        "ipynb": "Write your answers in the notebook `student01.ipynb`, each in its cell, and check "
                 "them with its self-check cell (or `backprop check student01.ipynb`)."}


@pytest.mark.parametrize("formats, answer_in", [("toml,md,pdf", "toml"), ("md,ipynb,pdf", "ipynb"),
                                                ("toml,md,ipynb,pdf", "toml")])
def test_the_handouts_to_read_say_to_answer_in_a_file_handed_out(runner, tmp_path, formats, answer_in):
    import pypdf

    result = runner.invoke(cli, ["generate", "chain", "--count", "2", "--format", formats, "--combined",
                                 "--out", str(tmp_path / "hw"), "--secret-file", str(tmp_path / "secret")])
    assert result.exit_code == 0, result.output
    handouts = tmp_path / "hw" / "handouts"
    md = (handouts / "student01.md").read_text(encoding="utf-8")
    assert TOLD[answer_in] in md
    assert all(told not in md for told in TOLD.values() if told != TOLD[answer_in])
    notebook = "the notebook " if answer_in == "ipynb" else ""
    for pdf in ("student01.pdf", "class.pdf"):
        text = " ".join("".join(p.extract_text() for p in pypdf.PdfReader(handouts / pdf).pages).split())
        assert f"Write your answers in {notebook}student01.{answer_in}" in text
        assert f"backprop check student02.{answer_in}" in text or pdf == "student01.pdf"


def test_a_handout_named_without_its_extension_is_pointed_to(runner, tmp_path, monkeypatch):
    """`backprop check 90000005` (the .toml left off) said only 'no such file': does it name the
    handout that is there?"""
    monkeypatch.chdir(tmp_path)
    path, _ = _filled_handout(tmp_path, lambda text: text)
    path.rename(tmp_path / "90000005.toml")
    (tmp_path / "90000005.ipynb").write_text("{}", encoding="utf-8")
    result = runner.invoke(cli, ["check", "90000005"])
    assert result.exit_code == 2
    assert result.output == ("Error: 90000005: no such file (there is 90000005.toml and 90000005.ipynb: "
                             "give the whole name)\n")
    assert runner.invoke(cli, ["check", "9000005.toml"]).output == "Error: 9000005.toml: no such file\n"


@pytest.mark.parametrize("name, kind", [("90000005.md", "the Markdown handout"),
                                        ("90000005.PDF", "the PDF handout")])
def test_check_of_the_handout_to_read_says_which_file_to_check(runner, tmp_path, name, kind):
    """A student who ran `backprop check 90000005.md` got "is not valid TOML: Expected '=' after a
    key" (and for the PDF "is a binary file"): does it say which file their answers go in?"""
    path = tmp_path / name
    path.write_text("# Backpropagation homework `hw3`\n\nStudent: **90000005**\n", encoding="utf-8")
    result = runner.invoke(cli, ["check", str(path)])
    assert result.exit_code == 2
    assert result.output == (f"Error: {path}: is {kind}, for reading; your answers go in the .toml (or the "
                             ".ipynb notebook) handout: check that file\n")


def test_ids_that_hold_dots_are_graded_from_the_files_names(runner, tmp_path):
    """A Gradescope roster where one student has no SID gives every student their email as id:
    handouts `jane.doe@uni.example.toml`, which `grade` read as the name up to the first dot
    ('jane', on nobody's row). It takes the longest part up to a dot that is a key's id."""
    roster = tmp_path / "gradescope.csv"
    roster.write_text("First Name,Last Name,SID,Email,Role\nJane,Doe,101,jane.doe@uni.example,Student\n"
                      "Zoë,Åberg,,zoe.aberg@uni.example,Student\n", encoding="utf-8")
    result = runner.invoke(cli, ["generate", "chain", "--roster", str(roster), "--out", str(tmp_path / "hw"),
                                 "--secret-file", str(tmp_path / "secret"), "--format", "toml,ipynb"])
    assert result.exit_code == 0, result.output
    assert "Note:" not in result.output
    handouts = tmp_path / "hw" / "handouts"
    assert sorted(p.name for p in handouts.glob("*.toml")) == ["jane.doe@uni.example.toml",
                                                               "zoe.aberg@uni.example.toml"]
    from grader.batch import run as batch

    subs = tmp_path / "subs"  # (the handouts handed in as they were: each its own student's, unanswered)
    subs.mkdir()
    for nb in handouts.glob("*.ipynb"):
        (subs / nb.name).write_bytes(nb.read_bytes())
    zoe = (handouts / "zoe.aberg@uni.example.ipynb").read_bytes()
    (subs / "zoe.aberg@uni.example.v2.ipynb").write_bytes(zoe)  # (a second file of hers)
    outcome = batch.grade_batch(str(tmp_path / "hw" / "key.json"), [str(subs)], str(tmp_path / "out"), jobs=1)
    rows = {r.student: r for r in outcome.rows}
    assert sorted(rows) == ["jane.doe@uni.example", "zoe.aberg@uni.example"]
    assert {r.status for r in rows.values()} == {"graded"}
    assert [d.student for d in outcome.duplicates] == ["zoe.aberg@uni.example"]
