"""Are answers read as people write them, by one reader for answer files and notebooks?

Typographic signs copied from our own PDFs, ``round(x, n)``, a decimal comma, an expression
left unquoted in TOML, answers that use the answers above them, and code that needs running:
each case in a TOML answer file, in a notebook read without running it, and at the command
line, with the exact message.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.answers import answers_from_table, read_answer, toml_answer_hint
from grader.cli import cli
from grader.family import load_family
from grader.generator import draw_variant
from grader.notebooks.read import read_answers
from grader.ops import OPS
from grader.render.handout import handout_toml
from grader.solver import givens, solve
from grader.validation import instance_from_dict

CHAIN = instance_from_dict({"alpha": 1.5, "bias": "none", "inputs": ["x1"], "layers": [["A"], ["B"]],
                            "weights": {"x1_A": 2.0, "A_B": -1.5},
                            "samples": [{"inputs": {"x1": -0.5}, "desired": {"B": 1.0}}]})
TRACE = solve(CHAIN)
IDS = TRACE.ids
GIVENS = givens(CHAIN)
P_A = TRACE.value("p_A")  # -1
O_A = TRACE.value("o_A")


def from_toml(table: dict[str, object]):
    return answers_from_table(table, "t.toml: answers", ids=set(IDS), names=GIVENS)[0]


def from_notebook(lines: list[str]):
    return read_answers(["\n".join(lines)], IDS, GIVENS)[0]


# --------------------------------------------------------------------------- typographic signs


@pytest.mark.parametrize("text, value", [
    ("\u22121", -1.0),                         # the minus sign our PDFs print
    ("\u20131", -1.0),                         # an en dash, as word processors make it
    ("2 \u00d7 (\u22120.5)", -1.0),            # the multiplication sign
    ("2 \u00b7 (\u22120.5)", -1.0),            # a middle dot
    ("2\u22c5(\u22120.5)", -1.0),              # the dot operator
    ("\u22121\u00f72 \u00d7 2", -1.0),         # the division sign
    ("\u00a0\u22121\u202f", -1.0),             # non-breaking and narrow spaces around it
    ("1/(1 + exp(\u2212(\u22121)))", O_A),
], ids=["minus", "en-dash", "times", "middle-dot", "dot-operator", "divide", "nbsp", "in-expression"])
def test_typographic_signs_are_read(text, value):
    """Is an answer copied from our PDF read as the number it shows, in TOML and in a notebook string?"""
    assert from_toml({"p_A": text})["p_A"].value == pytest.approx(value, abs=1e-15)
    assert from_notebook([f"p_A = {json.dumps(text)}"])["p_A"].value == pytest.approx(value, abs=1e-15)


def test_typographic_minus_in_notebook_code_says_what_to_type():
    """Python refuses the minus sign in code (the notebook would not run): does the answer say
    which sign it is and what to type instead?"""
    answer = from_notebook(["p_A = \u22121", "o_A = 0.5"])
    assert answer["p_A"].error == ("uses the sign \u2212 (U+2212, as printed), which Python does not read "
                                   "(code cell 1, line 1); type it in ASCII: p_A = -1")
    assert answer["o_A"].value == 0.5  # the other lines of the cell are still read


# --------------------------------------------------------------------------- round


@pytest.mark.parametrize("text, value", [
    ("round(0.731059, 4)", 0.7311),
    ("round(1/(1+exp(-p_A)), 4)", round(O_A, 4)),
    ("round(2.5)", 2.0),
    ("round(-0.26894, 2)", -0.27),
])
def test_round_is_read(text, value):
    assert from_toml({"p_A": "-1", "o_A": text})["o_A"].value == value
    assert from_notebook(["p_A = -1", f"o_A = {text}"])["o_A"].value == value


@pytest.mark.parametrize("text, message", [
    ("round(0.5, 2.5)", "round() takes a whole number of decimals from 0 to 15, not 2.5"),
    ("round(0.5, 16)", "round() takes a whole number of decimals from 0 to 15, not 16"),
    ("round(0.5, -1)", "round() takes a whole number of decimals from 0 to 15, not -1"),
    ("round(0.5, 2, 3)", "round() takes a number and a number of decimals: round(x, 4)"),
    ("round(0.5, ndigits=2)", "round() takes a number and a number of decimals: round(x, 4)"),
])
def test_round_refused_with_a_message(text, message):
    assert from_toml({"o_A": text})["o_A"].error == message
    assert from_notebook([f"o_A = {text}"])["o_A"].error == message


# --------------------------------------------------------------------------- decimal comma


def test_decimal_comma_in_a_toml_string_and_in_a_notebook():
    message = "uses a decimal comma (0,5); write a decimal point: -0.5"
    assert from_toml({"p_A": "-0,5"})["p_A"].error == message
    in_code = "uses a decimal comma (-0,5); write a decimal point: -0.5"
    assert from_notebook(["p_A = -0,5"])["p_A"].error == in_code
    assert from_notebook(['p_A = "-0,5"'])["p_A"].error == message
    # 0,05 is no Python at all (a leading zero): the line is lost, and the message says why
    assert from_notebook(["p_A = 0,05"])["p_A"].error == (
        "uses a decimal comma (0,05); write a decimal point: p_A = 0.05 (code cell 1, line 1)")


def test_a_pair_in_the_kernel_is_a_decimal_comma():
    """``o_A = 0,5`` run in a kernel makes the tuple (0, 5): does the self-check say why?"""
    assert read_answer("o_A", (0, 5)).error == ("is a pair of numbers (0, 5), not one number: a decimal "
                                                "comma? write the number with a decimal point")


def test_executed_values_are_read_like_the_others():
    """With --execute: is the placeholder unanswered (not invalid), and a pair a decimal comma?"""
    from grader.notebooks.read import merge_executed

    merged = merge_executed({}, {"p_A": "Ellipsis", "o_A": "(0, 5)", "p_B": -1.5})
    assert "p_A" not in merged and merged["p_B"].value == -1.5
    assert merged["o_A"].error.startswith("is a pair of numbers (0, 5), not one number: a decimal comma?")


# --------------------------------------------------------------------------- TOML files


ANSWER_FILE = """[instance]
alpha = 1.5
bias = "none"
inputs = ["x1"]
layers = [["A"], ["B"]]
[instance.weights]
x1_A = 2.0
A_B = -1.5
[[instance.samples]]
inputs = { x1 = -0.5 }
desired = { B = 1.0 }

[answers]
p_A = -1
o_A = VALUE   # my answer
"""


@pytest.mark.parametrize("value, message", [
    ("1/(1+exp(-p_A))", 'line 15: o_A = 1/(1+exp(-p_A)) is an expression, which TOML reads only in quotes: '
                        'write o_A = "1/(1+exp(-p_A))"'),
    ("0,2689", "line 15: o_A = 0,2689 uses a decimal comma (0,2689); write a decimal point: o_A = 0.2689"),
    ("\u22120.5", "line 15: o_A = \u22120.5 uses the sign \u2212 (U+2212, as printed); type it in ASCII: "
                  "o_A = -0.5"),
], ids=["expression", "decimal-comma", "unicode-minus"])
def test_unreadable_toml_answer_line_says_how_to_write_it(value, message, tmp_path):
    """Is an answer line TOML cannot read named, with the line to write instead (exit 2)?"""
    path = tmp_path / "alice.toml"
    path.write_text(ANSWER_FILE.replace("VALUE", value))
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 2
    assert result.output == f"Error: {path}: is not valid TOML: {message}\n"


def test_quoted_as_told_the_answer_is_read(tmp_path):
    path = tmp_path / "alice.toml"
    path.write_text(ANSWER_FILE.replace("VALUE", '"1/(1+exp(\u2212p_A))"'))
    result = CliRunner().invoke(cli, ["check", str(path), "--json"])
    items = {i["id"]: i for i in json.loads(result.output)["items"]}
    assert items["o_A"]["verdict"] == "correct"


def test_other_toml_errors_are_left_as_they_are():
    assert toml_answer_hint('[answers]\np_A = "0.5"\no_A = 0.25\n') is None
    assert toml_answer_hint("[meta]\nstudent = alice\n") is None  # not an answer line


# --------------------------------------------------------------------------- earlier answers


def test_toml_answers_may_use_the_answers_above_them():
    answers = from_toml({"p_A": "w_x1_A * x1", "o_A": "1/(1+exp(-p_A))", "p_B": "w_A_B * o_A"})
    assert answers["o_A"].value == pytest.approx(O_A)
    assert answers["p_B"].value == pytest.approx(TRACE.value("p_B"))


@pytest.mark.parametrize("table, lines, message", [
    ({"p_B": "w_A_B * o_A", "o_A": "0.5"}, ["p_B = w_A_B * o_A", "o_A = 0.5"],
     "uses o_A before it is answered; an answer may use the given values and the answers above it"),
    ({"o_A": "", "p_B": "w_A_B * o_A"}, ["o_A = ...", "p_B = w_A_B * o_A"],
     "uses o_A, which is not answered"),
    ({"o_A": "nan", "p_B": "w_A_B * o_A"}, ["o_A = 'nan'", "p_B = w_A_B * o_A"],
     "uses o_A, whose answer is not readable (see o_A)"),
], ids=["below", "unanswered", "unreadable"])
def test_an_answer_that_uses_one_not_above_it_says_why(table, lines, message):
    """The same message from the TOML reader and the notebook reader (one reader)."""
    assert from_toml(table)["p_B"].error == message
    assert from_notebook(lines)["p_B"].error == message


def test_a_handout_answered_with_expressions_gets_full_marks(tmp_path):
    """A TOML handout whose answers are exact expressions over the givens and the answers above
    them (as a notebook's would be): all correct at the command line."""
    variant = draw_variant(load_family("2-2-1-threshold"), b"reading", "hw1", "alice")
    trace = variant.trace()
    given, asked = dict(trace.givens), set(variant.asked)

    def formula(qid: str) -> str:
        q = trace[qid]
        args = [a if a in given or a in asked else f"({formula(a)})" for a in q.args]
        return OPS[q.op].text(args).replace("^", "**")

    lines = []
    for line in handout_toml(variant).splitlines():
        key = line.split("=")[0].strip()
        lines.append(f"{key} = {json.dumps(formula(key))}" if key in asked and '""' in line else line)
    path = tmp_path / "alice.toml"
    path.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(cli, ["check", str(path)])
    n = len(variant.asked)
    assert result.exit_code == 0, result.output
    assert f"Score: {n} / {n}  ({n} correct)" in result.output


# --------------------------------------------------------------------------- needs execution


def test_needs_execution_messages_name_execute():
    answers = from_notebook(["def sigmoid(p):", "    return 1 / (1 + exp(-p))", "",
                             "o_A = sigmoid(-1)", "for k in range(1):", "    p_B = k", "h = sorted([1])",
                             "o_B = h"])
    assert answers["o_A"].error == ("needs execution: calls sigmoid(); check (or grade) with --execute to "
                                    "run the notebook, or write a number or an arithmetic expression")
    assert answers["p_B"].error == ("needs execution: assigned in a for loop (code cell 1); check (or grade) "
                                    "with --execute to run the notebook, or write a plain value")
    assert answers["o_B"].error == ("needs execution: uses h, which only running the notebook defines; "
                                    "check (or grade) with --execute to run the notebook")


def test_an_answer_file_is_never_run_so_it_does_not_say_execute():
    error = from_toml({"o_A": "sigmoid(-1)"})["o_A"].error
    assert error == ("uses sigmoid(), a function an answer cannot call; write a number or an arithmetic "
                     "expression (exp, log, sqrt and round may be used)")
    assert "--execute" not in error


def test_check_suggests_execute_for_a_notebook(tmp_path):
    """At the command line, does a notebook that computes its answers say to use --execute?"""
    from grader.render.notebook import build_notebook, notebook_text

    nb = build_notebook(CHAIN, IDS, assignment="hw1", student="s01", signature="sig")
    nb.cells.append(nb.cells[-1].copy())
    nb.cells[-1].source = "def f(x):\n    return x\n\np_A = f(-1)"
    path = tmp_path / "s01.ipynb"
    path.write_text(notebook_text(nb))
    result = CliRunner().invoke(cli, ["check", str(path)], env={"NO_COLOR": "1"})
    assert "p_A: your answer needs execution: calls f(); check (or grade) with --execute" in result.output


def test_math_is_the_same_in_every_reader():
    """The exact value of an expression does not depend on where it was written."""
    text = "1/(1+exp(-(2*(-0.5))))"
    values = {from_toml({"o_A": text})["o_A"].value, from_notebook([f"o_A = {text}"])["o_A"].value,
              from_notebook([f"o_A = {json.dumps(text)}"])["o_A"].value, read_answer("o_A", text).value}
    assert values == {1 / (1 + math.exp(-(2 * (-0.5))))}


def test_readme_reading_cases_exist():
    """The README names the reading rules (a student looks there first)."""
    text = (Path(__file__).parent.parent / "README.md").read_text()
    assert "decimal comma" in text and "round(x, 4)" in text


def test_grade_reads_toml_answers_as_check_does(tmp_path):
    """``grade`` reads a TOML file with the same reader: answers over the answers above them are
    graded, and an unquoted expression is the file's error row with the same fix."""
    from grader.generator import generate_variants
    from grader.key import key_document
    from grader.roster import numbered_roster

    family = load_family("chain")
    v1, v2 = generate_variants(family, numbered_roster(2), b"reading", "hw1", 1)
    (tmp_path / "key.json").write_text(json.dumps(key_document([v1, v2], family, "hw1")))
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / f"{v1.student}.toml").write_text(handout_toml(v1).replace(
        'p_A = ""', 'p_A = "w_x1_A * x1"').replace('o_A = ""', 'o_A = "1/(1+exp(\u2212p_A))"'))
    (subs / f"{v2.student}.toml").write_text(handout_toml(v2).replace('o_A = ""', "o_A = 1/(1+exp(-p_A))"))
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["grade", str(tmp_path / "key.json"), str(subs), "--out", str(out)])
    assert result.exit_code == 0, result.output
    first = json.loads((out / "results" / f"{v1.student}.json").read_text())
    verdicts = {i["id"]: i["verdict"] for i in first["items"]}
    assert verdicts["p_A"] == verdicts["o_A"] == "correct"
    second = json.loads((out / "results" / f"{v2.student}.json").read_text())
    assert second["status"] == "error"
    assert "o_A = 1/(1+exp(-p_A)) is an expression, which TOML reads only in quotes: write " \
           'o_A = "1/(1+exp(-p_A))"' in second["message"]
