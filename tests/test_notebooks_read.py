"""Static reading of notebook answers: notebooks built in code with nbformat's factories."""

from __future__ import annotations

import json

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nbformat import v4

from grader.answers import Answer
from grader.errors import BackpropError
from grader.grading import grade
from grader.notebooks import cells as cells_module
from grader.notebooks.read import parse_cell, parse_notebook, read_answers, submission_from_notebook
from grader.render.notebook import build_notebook, notebook_text
from grader.solver import givens, solve
from grader.validation import instance_from_dict

INSTANCE = instance_from_dict({
    "alpha": 0.5, "bias": "threshold", "inputs": ["x1", "x2"], "layers": [["A", "B"], ["C"]],
    "weights": {"x1_A": 1.0, "x2_A": -0.5, "bias_A": 0.5, "x1_B": 0.3, "x2_B": 0.2, "bias_B": -0.1,
                "A_C": 0.7, "B_C": -0.4, "bias_C": 0.2},
    "samples": [{"inputs": {"x1": 1.0, "x2": 0.0}, "desired": {"C": 1.0}}],
})
TRACE = solve(INSTANCE)
ASKED = TRACE.ids


def handout() -> nbformat.NotebookNode:
    return build_notebook(INSTANCE, ASKED, assignment="hw1", student="s01", signature="sig")


def filled(values: dict[str, str]) -> nbformat.NotebookNode:
    nb = handout()
    for cell in nb.cells:
        if "answer" in cell.metadata.get("tags", []):
            cell.source = "\n".join(
                f"{line.split(' = ')[0]} = {values[line.split(' = ')[0]]}"
                if line.endswith(" = ...") and line.split(" = ")[0] in values else line
                for line in cell.source.split("\n"))
    return nb


def read(nb: nbformat.NotebookNode):
    parsed = parse_notebook(notebook_text(nb).encode(), "s01.ipynb")
    return submission_from_notebook(parsed)


def verdicts(nb: nbformat.NotebookNode) -> dict[str, str]:
    sub = read(nb)
    report = grade(INSTANCE, sub.answers, asked=sub.asked)
    return {i.id: i.verdict for i in report.items}


def test_handout_is_valid_and_holds_no_answer():
    """Does the handout validate, carry the metadata, and contain none of the answers?"""
    nb = handout()
    nbformat.validate(nb)
    text = notebook_text(nb)
    assert json.loads(text)["metadata"]["backprop"]["student"] == "s01"
    for q in TRACE:
        if abs(q.value * 100 - round(q.value * 100)) > 1e-6:  # not a round given like 0.5
            assert repr(q.value) not in text and f"{q.value:.4f}" not in text, q.id
    tagged = [c for c in nb.cells if "answer" in c.metadata.get("tags", [])]
    assert sum(c.source.count(" = ...") for c in tagged) == len(ASKED)
    assert notebook_text(handout()) == text  # deterministic


def test_unfilled_handout_is_all_missing():
    assert set(verdicts(handout()).values()) == {"missing"}


def test_right_answers():
    assert set(verdicts(filled({q: repr(TRACE.value(q)) for q in ASKED})).values()) == {"correct"}


def test_hand_rounded_answers():
    assert set(verdicts(filled({q: f"{TRACE.value(q):.4f}" for q in ASKED})).values()) == {"correct"}


def test_expressions_over_givens_and_earlier_answers():
    """Expressions using given values, exp, math.exp and earlier answers are evaluated."""
    values = {q: repr(TRACE.value(q)) for q in ASKED}
    values.update({"p_A": "w_x1_A * x1 + w_x2_A * x2 + w_bias_A * bias", "o_A": "1 / (1 + math.exp(-p_A))",
                   "o_B": "1/(1+np.exp(-p_B))", "delta_C": "o_C * (1 - o_C) * (d_C - o_C)",
                   "new_w_A_C": "w_A_C + dw_A_C"})
    assert set(verdicts(filled(values)).values()) == {"correct"}


def test_cells_reordered_merged_split_and_untagged():
    """Answers count in any code cell, in any order, tagged or not; the last one wins."""
    nb = handout()
    nb.cells = [c for c in nb.cells if "answer" not in c.metadata.get("tags", [])]
    lines = [f"{q} = {TRACE.value(q)!r}" for q in ASKED]
    nb.cells.append(v4.new_code_cell("\n".join(lines[10:])))  # merged, untagged, out of order
    nb.cells += [v4.new_code_cell(line) for line in lines[:10]]  # split one per cell
    nb.cells.append(v4.new_code_cell("o_A = ...\np_A = 99"))  # placeholder keeps, later value wins
    got = verdicts(nb)
    assert got.pop("p_A") == "incorrect"
    assert set(got.values()) == {"correct"}


def test_syntax_error_loses_only_its_line():
    nb = filled({q: repr(TRACE.value(q)) for q in ASKED})
    cell = next(c for c in nb.cells if "o_A" in c.source and "answer" in c.metadata.get("tags", []))
    cell.source = cell.source.replace("o_B = ", "o_B = 0.5 +* ")
    sub = read(nb)
    assert sub.answers["o_B"].error.startswith("has a syntax error (code cell")
    assert sub.answers["o_A"].value == TRACE.value("o_A")
    assert sub.answers["o_C"].value == TRACE.value("o_C")


def test_parse_cell_keeps_lines_after_an_unclosed_bracket():
    body, lost = parse_cell("a = 1\nb = (2\nc = 3")
    assert [n for n, _ in lost] == [2]
    assert len(body) == 2


@pytest.mark.parametrize("text, message", [
    ("float('nan')", "is not a number (NaN)"),
    ("math.nan", "is not a number (NaN)"),
    ("'abc'", "unknown name 'abc'"),
    ("sigmoid(p_A)", "needs execution: calls sigmoid(); check (or grade) with --execute to run the "
                     "notebook, or write a number or an arithmetic expression"),
], ids=["nan", "math-nan", "string", "own-function"])
def test_nan_string_and_calls_are_invalid_with_a_message(text, message):
    sub = read(filled({"o_A": text}))
    assert sub.answers["o_A"].value is None
    assert sub.answers["o_A"].error == message


def test_string_holding_a_number_is_read():
    assert read(filled({"o_A": '"0.6225"'})).answers["o_A"].value == 0.6225


def test_loop_needs_execution():
    nb = handout()
    nb.cells.append(v4.new_code_cell("for i in range(1):\n    o_A = 0.6225"))
    assert read(nb).answers["o_A"].error.startswith("needs execution: assigned in a for loop")


def test_read_answers_uses_student_helpers():
    answers, _ = read_answers(["h = 2 * x1\no_A = h / 4"], ["o_A"], givens(INSTANCE))
    assert answers["o_A"].value == 0.5


def test_metadata_removed_cannot_be_self_checked():
    nb = handout()
    del nb.metadata["backprop"]
    with pytest.raises(BackpropError, match="has no backprop metadata"):
        read(nb)


@pytest.mark.parametrize("data, message", [
    (b"", "is empty"),
    (b"{\"cells\": [} oops}", "invalid JSON"),
    (b"\x00\x01\x02garbage\xff", "is a binary file"),
    (json.dumps({"nbformat": 3, "cells": []}).encode(), "nbformat version 3 is not supported"),
    (json.dumps({"a": 1}).encode(), "not a Jupyter notebook"),
], ids=["empty", "invalid-json", "binary", "nbformat-3", "not-notebook"])
def test_unreadable_files(data, message):
    with pytest.raises(BackpropError, match=message):
        parse_notebook(data, "x.ipynb")


def test_truncated_file():
    text = notebook_text(handout())
    with pytest.raises(BackpropError, match="cut off"):
        parse_notebook(text[: len(text) // 2].encode(), "x.ipynb")


def test_twenty_megabyte_notebook_is_read():
    nb = filled({q: repr(TRACE.value(q)) for q in ASKED})
    nb.cells[2].outputs = [v4.new_output("stream", text="x" * (20 * 1024 * 1024))]
    data = notebook_text(nb).encode()
    assert len(data) > 20 * 1024 * 1024
    sub = submission_from_notebook(parse_notebook(data, "big.ipynb"))
    assert sub.answers["o_A"].value == TRACE.value("o_A")


# --------------------------------------------------------------------------- the plain-cell fast path
# read_answers reads cells made only of plain lines (numbers, placeholders, comments) without ast;
# for any cells, it must give exactly what the ast path (fast=False) gives.

GIVENS = givens(INSTANCE)
NAMES = ["o_A", "p_A", "o_C", "delta_C", "new_w_A_C", "P", "x1", "w_x1_A", "alpha", "h", "_h1", "o_A2"]
ODD_NAMES = ["None", "True", "if", "lambda", "match", "_", "ö", "1o_A", "o-A", "o_A.x"]
# the handout filled in: repr() and rounded floats, as the usual lines hold them
USUAL_NUMBERS = ["0.5987", "0.7310585786300049", "1.0", "0.0", "1e-05", "1.5e-07", "2.5e+16", "1e400",
                 "1e+400", "999999999999.9", "1000000000000.0", "1000000000000.5", "1.7976931348623157e308",
                 "5e-324"]
# other spellings of Python number literals
NUMBERS = ["1.234E-1", "1E+3", "2", "0", "00", "0_0", "1_000", ".5", "5.", "1.e5", "00.5", "00e1",
           "1_0.0_1e1_0", "1e1_0", "12.", "123456789012345678", "1000000000001", "999999999999",
           "1000000000000",
           "1" + "0" * 30, "_".join(["9" * 30] * 31), "1_" * 30 + "1", "0" * 30, "0_" * 20 + "0", "1.5e-3",
           "5_0e-1_0", "0.5e0", "1" * 30 + "_" + "1" * 30]
# not number literals, or ones the fast path leaves to ast
NOT_NUMBERS = ["007", "01", "0_1", "1__0", "1_", "_1", "1e_1", "1_.5", "1._5", "0x1F", "0o7", "0b1", "1j",
               "1.5J", "1" + "0" * 5000, "1" * 32, "0" * 31, "_".join(["9" * 30] * 32), "inf", "nan", "1.5.3",
               "1e",
               "0.5e-", "1.5 2", "0.5.", "1e5.5", "٣"]
SIGNS = ["", "-", "+", "- ", "+\t", "-\f"]
ODD_SIGNS = ["--", "-+", "~", "not ", "+ -"]
PLACEHOLDERS = ["...", "None"]
OTHER_VALUES = ["True", "x1 * 2", "o_A + 1", "h / 4", "'0.5'", "'nan'", '"abc"', "exp(1)", "math.exp(-p_A)",
                "sigmoid(1)", "float('nan')", "math.nan", "nan", "inf", "0.5 +*", "(1", "1, 2", "[1]",
                "1 if x1 else 2", "(0.5)", "Ellipsis", "o_A", "....", ". . .", "None.x"]
WS = ["", " ", "  ", "\t", "\f", " \t"]
ODD_WS = ["\x0b", "\xa0", "\u2003", "\n"]
TRAILING = ["", " ", "\f", "\t", "  # the constant", "#c", " \t# (round to 4 decimal places)", "  # ünïcode",
            "  # é # = 1", "#", " # o_B = 1", "# \x0b \x1c \u2028"]
ODD_TRAILING = [";", "; o_C = 1", " \\", "  # \x00", "  # \ud800", " # a\ro_B = 1", "\r", " # c\r", " \x0b",
                " o_B"]
PLAIN_LINES = ["", "# Forward pass: outputs o_N", "  # indented comment", "#", "\t", "  ", "\f", "\t# c",
               "# é", "\f# c", " \f\t "]
OTHER_LINES = ["\x0b", "%time o_A = 1", "!ls", "  %matplotlib inline", "for i in range(2):", "    o_A = 0.25",
               "\to_C = 1", " o_A = 0.5", "def f():", "    return 1", "import math", "o_A += 1",
               "a, o_B = 1, 2", "o_A: float = 0.5", "o_A = o_B = 0.3", "o_A = \\", "0.5", "o_B = (1", ")",
               "\r",
               "None = 1", "if = 2", "o_A = 0.5\ro_B = 0.25", "\ufeffo_A = 1", "o_A == 1", "o_A = 0.5 0.5",
               "\x1c", "# \x00", "# \udc80", "o_A = 0.5\x00", "'''", '"""o_A = 1', "o_B = h"]


@st.composite
def lines(draw: st.DrawFn, mode: str) -> str:
    """A line of a cell: ``usual`` as in a filled handout, ``plain`` as the fast path reads any,
    ``odd`` a plain line with one odd part (or any other line)."""
    s = st.sampled_from
    if mode == "usual":
        kind = draw(st.integers(0, 5))
        if kind == 0:
            return draw(s(["", "# Forward pass: weighted sums p_N (round to 4 decimal places)", "#"]))
        numbers = NUMBERS if kind == 2 and draw(st.booleans()) else USUAL_NUMBERS  # sometimes a plain one
        value = "..." if kind == 1 else draw(s(["", "-"])) + draw(s(numbers))
        name = draw(s(NAMES + ["None", "if"] if draw(st.integers(0, 20)) == 0 else NAMES))
        odd = draw(st.integers(0, 20)) == 0  # sometimes a CR, a line break to Python
        trailing = draw(s([" # a\ro_B = 1.0", "\r"] if odd else ["", "", "  # the constant input"]))
        return f"{name} = {value}{trailing}"
    parts = ["line", "name", "sign", "number", "value", "ws", "trailing", "indent"]
    part = draw(s(parts)) if mode == "odd" else None
    kind = draw(st.integers(0, 5))
    if kind == 0 or part == "line":
        return draw(s(OTHER_LINES if part == "line" else PLAIN_LINES))
    if part == "value":
        value = draw(s(OTHER_VALUES))
    elif kind == 1:
        value = draw(s(PLACEHOLDERS))
    else:
        number = draw(s(NOT_NUMBERS if part == "number" else USUAL_NUMBERS + NUMBERS))
        value = draw(s(ODD_SIGNS if part == "sign" else SIGNS)) + number
    name = draw(s(ODD_NAMES if part == "name" else NAMES))
    if part is None and draw(st.booleans()):  # laid out as usual, to meet the usual lines' edges
        return f"{name} = {value.replace(' ', '')}{draw(s(['', '  # c', '#c', ' # o_B = 1']))}"
    indent = draw(s([" ", "\t", "\f", "  "])) if part == "indent" else ""
    left, right = draw(s(ODD_WS if part == "ws" else WS)), draw(s(ODD_WS if part == "ws" else WS))
    return f"{indent}{name}{left}={right}{value}{draw(s(ODD_TRAILING if part == 'trailing' else TRAILING))}"


@st.composite
def cells(draw: st.DrawFn) -> str:
    """A cell: all usual lines, all plain, plain but for one odd line, or anything."""
    mode = draw(st.sampled_from(["usual", "plain", "one-odd", "odd"]))
    body = draw(st.lists(lines("plain" if mode == "one-odd" else mode), max_size=8))
    if mode == "one-odd":
        body.insert(draw(st.integers(0, len(body))), draw(lines("odd")))
    ends = draw(st.lists(st.sampled_from(["\n"] * 5 + ["\r\n"] if mode != "usual" else ["\n"]),
                         min_size=len(body), max_size=len(body)))
    text = "".join(line + end for line, end in zip(body, ends, strict=True))
    return text[:-1] if text and draw(st.booleans()) else text


def described(answers: dict[str, Answer]) -> list[tuple]:
    """Everything the answers hold, with types (1 == 1.0 and -0.0 == 0.0 would hide a difference)."""
    return [(key, type(a), [(field, type(v), repr(v)) for field, v in vars(a).items()])
            for key, a in answers.items()]


def assert_same_as_ast(sources: list[str]) -> None:
    fast = read_answers(sources, ASKED, GIVENS)
    slow = read_answers(sources, ASKED, GIVENS, fast=False)
    assert described(fast[0]) == described(slow[0])
    assert fast == slow


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(cells(), max_size=4))
def test_plain_cells_give_the_same_answers_as_ast(sources):
    """Number spellings, placeholders, comments, blank lines, expressions, bad lines, indentation,
    magics, semicolons, CRLF: the fast path gives what parsing every cell with ast gives."""
    assert_same_as_ast(sources)


TRICKY_CELLS = {
    "signs-and-spellings": ["o_A = -0", "o_A = -0.0", "o_B = +0.5\no_C = + 1e400",
                            "p_A = 1_000\np_B = 0_0\np_C = 00.5"],
    "too-large": ["o_A = 1e400\no_B = -1e400\no_C = 1000000000001\nP = -123456789012345678"],
    "placeholders": ["o_A = 0.5\no_A = ...\no_B = 0.25\no_B = None", "o_A = 1e400",
                     "o_B = +" + "1" * 30 + "_" + "1" * 30],
    "names-for-later": ["h = 0.5", "h = 1e400", "o_A = h", "x1 = 0.5", "x1 = 1_000_000_000_000_0",
                        "o_B = x1 * 2", "p_A = 2", "alpha = +5.", "o_C = alpha", "P = 0.5 # c\r\nw_x1_A = 2",
                        "p_B = w_x1_A"],
    "signed-names-for-later": ["h = -0.5\nx1 = -2\nalpha = +1_0", "o_A = h\no_B = x1\no_C = alpha"],
    "a-cell-for-ast-between": ["o_A = 0.5", "for i in range(1):\n    h = 1", "o_B = h"],
    "crlf": ["o_A = 0.5\r\no_B = 0.25\r\n# c\r\n", "o_C = 1\r", "p_A = 2\r\r\n"],
    "lone-cr": ["o_A = 0.5 # a\ro_B = 1", "o_C = 0.5\ro_B = 0.25", "p_A = 0.25\r"],
    "lone-cr-in-usual-comment": ["o_A = 0.5 # a\ro_B = 1.0", "o_C = 0.25"],
    "keywords": ["None = 1\no_A = 0.5", "o_A = 0.5\nif = 2"],
    "keyword-in-usual-cell": ["o_A = 0.5\nTrue = 1.0", "o_B = 0.25"],
    "keyword-placeholder": ["o_A = 0.5", "lambda = ...", "o_B = 0.25"],
    "nul-surrogate-unicode": ["o_A = 0.5 # a\x00b", "o_B = 0.5 # \ud800", "o_C = 0.5  # é"],
    "nul-in-usual-comment": ["o_A = 0.5 # a\x00b", "o_C = 0.25"],
    "surrogate-in-usual-comment": ["o_A = 0.5 # \ud800", "o_C = 0.25"],
    "odd-whitespace-at-the-end": ["o_A = 0.5 \x0b", "o_B = 0.25\xa0", "o_C = 0.25"],
    "not-literals": ["o_A = 007", "o_B = 0_1", "o_C = 1__0", "P = 0x1F", "p_A = 1j", "p_B = " + "1" * 962],
    "empty": ["", "\n\n", "# only a comment"],
    "no-cells": [],
}


@pytest.mark.parametrize("sources", TRICKY_CELLS.values(), ids=TRICKY_CELLS.keys())
def test_tricky_plain_cells_give_the_same_answers_as_ast(sources):
    assert_same_as_ast(sources)


def test_filled_handout_is_read_without_ast(monkeypatch):
    """The usual notebook (the handout's cells, filled in with numbers) never reaches ast."""
    nb = filled({q: repr(TRACE.value(q)) if i % 2 else f"{TRACE.value(q):.4f}" for i, q in enumerate(ASKED)})
    sources = [src for src, _ in parse_notebook(notebook_text(nb).encode(), "s01.ipynb").code]
    expected = read_answers(sources, ASKED, GIVENS, fast=False)

    def no_ast(source):
        raise AssertionError(f"parsed with ast: {source!r}")

    monkeypatch.setattr(cells_module, "parse_cell", no_ast)
    got = read_answers(sources, ASKED, GIVENS)
    assert described(got[0]) == described(expected[0]) and got == expected
    assert all(got[0][q].value is not None for q in ASKED) and not got[1]


@pytest.mark.parametrize("data, message", [
    (b"  \n\t\r\x0b\x0c", "x.ipynb: is empty (0 cells); submit the saved notebook"),
    (b" " * 8000 + b"\x00", "x.ipynb: is a binary file, not a notebook"),
    (b'{"a": "\xc3\x28"}', "x.ipynb: is not a notebook (not UTF-8 text at byte 7)"),
    # the byte counted after the BOM, as decode("utf-8-sig") does
    (b'\xef\xbb\xbf{"a": "\xc3\x28"}', "x.ipynb: is not a notebook (not UTF-8 text at byte 7)"),
], ids=["whitespace", "nul", "not-utf8", "not-utf8-after-bom"])
def test_unreadable_file_messages(data, message):
    with pytest.raises(BackpropError) as exc:
        parse_notebook(data, "x.ipynb")
    assert exc.value.message == message


def test_bom_sources_as_lists_and_odd_items():
    """A UTF-8 BOM is skipped; a source given as a list of lines is joined; items that are not
    text (in a source or in the tags) are left out."""
    data = b"\xef\xbb\xbf" + json.dumps({"nbformat": 4, "metadata": {}, "cells": [
        {"cell_type": "code", "source": ["a = 1\n", 2, "b"], "metadata": {"tags": ["answer", 3]}},
        {"cell_type": "code", "source": ["c = 1\n", "d = 2"], "metadata": {"tags": "answer"}},
        {"cell_type": "markdown", "source": "m"}, 5, {"cell_type": "code", "source": 3}]}).encode()
    nb = parse_notebook(data, "x.ipynb")
    assert nb.code == (("a = 1\nb", ("answer",)), ("c = 1\nd = 2", ())) and nb.meta is None


@pytest.mark.parametrize("family", ["2-2-1-threshold", "xor"])
@pytest.mark.parametrize("how", ["blank", "exact", "rounded"])
def test_real_handouts_read_fast_and_with_ast_alike(family, how):
    """A handout as generated (givens with ints and ``from math import exp``, the self-check cell)
    is read by the fast path, with exactly the answers the ast path reads."""
    from grader.batch.demo_class import fill
    from grader.family import load_family
    from grader.generator import generate_variants
    from grader.notebooks.plain import read_usual_notebook
    from grader.render.notebook import notebook_handout
    from grader.roster import numbered_roster

    v = generate_variants(load_family(family), numbered_roster(1), b"s", "hw", 1)[0]
    t = v.trace()
    values = {} if how == "blank" else {q: repr(t.value(q) if how == "exact" else round(t.value(q), 4))
                                        for q in v.asked}
    nb = parse_notebook(fill(notebook_handout(v), values).encode(), "x.ipynb")
    cells = [src for src, _ in nb.code]
    assert read_usual_notebook(cells, set(t.ids)) is not None
    fast = read_answers(cells, t.ids, givens(v.instance))
    slow = read_answers(cells, t.ids, givens(v.instance), fast=False)
    assert described(fast[0]) == described(slow[0]) and fast[1] == slow[1]
    assert len(fast[0]) == len(values)
