"""Static reading of notebook answers: notebooks built in code with nbformat's factories."""

from __future__ import annotations

import json

import nbformat
import pytest
from nbformat import v4

from grader.errors import BackpropError
from grader.grading import grade
from grader.model import instance_from_dict
from grader.notebooks.handout import build_notebook, notebook_text
from grader.notebooks.read import parse_cell, parse_notebook, read_answers, submission_from_notebook
from grader.solver import givens, solve

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
    ("sigmoid(p_A)", "needs execution: calls sigmoid()"),
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
