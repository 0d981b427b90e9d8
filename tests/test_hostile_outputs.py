"""What a hostile student's file name, metadata or answer text does to the files an instructor
opens: the gradebook in a spreadsheet, summary.md and the feedback rendered as Markdown (Canvas,
Gradescope, GitHub, VS Code), and the summary ``backprop grade`` prints on a terminal. Student
text is shown as text: never a formula, a link, an image, HTML or a terminal control sequence.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from grader.batch.outputs import gradebook_csv
from grader.batch.rows import ErrorRow
from grader.cli import cli
from grader.render.inert import md_inline, printable
from tests.courses import course, right

ROOT = Path(__file__).resolve().parent.parent
EVIL_ANSWER = '"![p](https://evil.example/t.png) <img src=https://evil.example/i.png> [regrade](https://phish.example)"'
#: markup that a Markdown renderer turns into a link or an image to the student's address, or HTML
LIVE = re.compile(r"(?<!\\)\[[^\]\n]*(?<!\\)\]\((?!feedback/)(https?:|[^)\n]*(evil|phish))"
                  r"|(?<!\\)<(img|script|a |b>)", re.I)


@pytest.mark.parametrize(("text", "cell"), [
    ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"), ("+1+2", "'+1+2"), ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"),
    ("\r=1", "\\x0d=1"),  # (a bare CR, not quoted by csv with lineterminator \n, would end the line)
    ("a\rstudent05", "a\\x0dstudent05"), ("student01", "student01"),
], ids=["equals", "plus", "minus", "at", "tab", "cr", "cr-inside", "plain"])
def test_gradebook_cell_that_a_spreadsheet_would_run_is_text(text, cell):
    """Is a student id that Excel would read as a formula, or that would split its line, written
    so that it stays text on its own row?"""
    out = gradebook_csv([ErrorRow(text, 28.0, "x", "f")], ["p_A"])
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    assert [r["student"] for r in rows] == [cell]


def test_inline_markdown_is_inert():
    """Does student text stay text in Markdown (no link, image, HTML, table cell, heading)?"""
    text = md_inline("![x](https://e/t.png) <img src=x> [a](b) `c` | $x$ \\ \n# H\x1b[31m")
    assert not LIVE.search(text)
    assert "\n" not in text and "\x1b" not in text and "|" not in text.replace("\\|", "")
    assert md_inline("0.5") == "0.5" and md_inline("w_x1_A*x1 - 1/4") == "w_x1_A*x1 - 1/4"


def test_printable_escapes_control_characters():
    assert printable("a\x1b]0;PWNED\x07b\x9bc") == "a\\x1b]0;PWNED\\x07b\\x9bc"
    assert printable("line\nnext\ttab") == "line\nnext\ttab"


@pytest.fixture
def hostile_batch(tmp_path):
    key, subs, variants = course(tmp_path, 3)
    nb = json.loads(right(variants["student01"]))
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        cell["source"] = re.sub(r"^p_A = ", f"p_A = {EVIL_ANSWER} # ", src, count=1, flags=re.M)
    (subs / "student01.ipynb").write_text(json.dumps(nb))
    meta = json.loads(right(variants["student02"]))
    meta["metadata"]["backprop"]["student"] = "student03 ![m](https://evil.example/m.png) <b>x</b>"
    (subs / "student02.ipynb").write_text(json.dumps(meta))
    for name in ("=cmd|' -C calc'!A0", "[x](https:evil)![i](https:e)", "<img src=x onerror=alert(1)>",
                 "evil\x1b]0;PWNED\x07\x1b[31mRED"):
        (subs / f"{name}.ipynb").write_text(right(variants["student03"]))
    return key, subs, tmp_path / "out"


def test_hostile_names_and_answers_stay_text(runner, hostile_batch):
    """Do a batch's gradebook, summary.md, feedback and printed summary show the hostile text as
    text only?"""
    key, subs, out = hostile_batch
    result = runner.invoke(cli, ["grade", str(key), str(subs), "--out", str(out)])
    assert result.exit_code in (0, 1), result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    with open(out / "gradebook.csv", newline="") as fh:
        students = [r["student"] for r in csv.DictReader(fh)]
    assert "'=cmd|' -C calc'!A0" in students
    assert not any(s[:1] in "=+-@\t\r" for s in students)
    for md in [out / "summary.md", *sorted((out / "feedback").glob("*.md"))]:
        text = md.read_text()
        assert not LIVE.search(text), (md.name, LIVE.search(text))
        assert "\x1b" not in text
    assert "evil.example/t.png" in (out / "feedback" / "student01.md").read_text()  # shown, as text


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_named_pipe_given_to_grade_is_an_error_row_not_a_hang(tmp_path):
    """Does a named pipe among the files given (subs/* in a shell) get an error row instead of
    blocking the batch for ever?"""
    key, subs, variants = course(tmp_path, 2)
    (subs / "student02.ipynb").write_text(right(variants["student02"]))
    os.mkfifo(subs / "student01.ipynb")
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", str(key), str(subs / "student01.ipynb"),
                           str(subs / "student02.ipynb"), "--out", str(out)],
                          capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode in (0, 1), proc.stderr
    with open(out / "gradebook.csv", newline="") as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    assert rows["student01"]["status"] == "error"
    assert rows["student02"]["status"] == "graded"
    message = json.loads((out / "results" / "student01.json").read_text())["message"]
    assert "named pipe" in message


def test_check_prints_no_control_sequence_from_the_file(runner, tmp_path):
    """Does ``backprop check`` (an instructor looking at a student's file) print the file's
    control characters as escapes: the student id of the metadata, an answer line quoted in an
    error?"""
    _, _, variants = course(tmp_path, 1)
    nb = json.loads(right(variants["student01"]))
    nb["metadata"]["backprop"]["student"] = "student01\x1b]0;PWNED\x07\x1b[2J"
    (tmp_path / "esc.ipynb").write_text(json.dumps(nb))
    result = runner.invoke(cli, ["check", str(tmp_path / "esc.ipynb")])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "student01\\x1b]0;PWNED" in result.output
    toml = tmp_path / "esc.toml"
    toml.write_text("[answers]\np_A = 1+\x1b[2J\x1b]52;c;cHduZWQ=\x07\n")
    result = runner.invoke(cli, ["check", str(toml)])
    assert result.exit_code == 2 and "\x1b" not in result.output and "\\x1b[2J" in result.output


def test_a_gradescope_failure_quoting_the_student_s_file_is_inert_markdown():
    """The autograder's results.json ``output`` is Markdown Gradescope renders to the student and
    the TAs; a refusal quotes the student's file (its name, a line of it)."""
    from grader.platforms.autograder import failure

    hostile = "subs/x ![t](https://evil.example/t.png) [regrade](https://phish.example) <img src=x>.toml"
    out = failure({}, "error", f"Your submission could not be graded: {hostile}: is not valid TOML")
    assert out["output_format"] == "md"
    unescaped = re.compile(r"(?<!\\)(!?\[|<img)")  # an image, a link or HTML not escaped
    assert unescaped.findall(out["output"]) == []
    assert "\\[regrade\\]" in out["output"] and "\\<img" in out["output"]  # shown as written
