"""The student at midnight: a hand calculation of the chain handout (x1 -> A -> B), answered
with a calculator, checked with ``backprop check`` after each attempt. Does the check say which
step went wrong, and what to type, in words the student understands?

The problem (the chain family's variant of student01 in hw1): x1 = -1, w_x1_A = 0.5,
w_A_B = -0.75, d_B = 1, alpha = 1.5, 4 decimals. The student's calculator, every value rounded
to 4 decimals and carried on rounded:

    p_A = 0.5 * -1 = -0.5                       o_A = 1 / (1 + e^0.5) = 0.3775
    p_B = -0.75 * 0.3775 = -0.2831              o_B = 1 / (1 + e^0.2831) = 0.4297
    P = -1/2 (1 - 0.4297)^2 = -0.1626
    delta_B = 0.4297 * 0.5703 * 0.5703: o(1-o) = 0.2451, * 0.5703 = 0.1398
    delta_A = 0.3775 * 0.6225 * (-0.75 * 0.1398): 0.2350 * -0.1049 = -0.0246
    dw_x1_A = 1.5 * -1 * -0.0246 = 0.0369       new_w_x1_A = 0.5 + 0.0369 = 0.5369
    dw_A_B = 1.5 * 0.3775 * 0.1398 = 0.0792     new_w_A_B = -0.75 + 0.0792 = -0.6708
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import test_notebook_selfcheck as with_kernel
from click.testing import CliRunner

from grader.answers import read_answer
from grader.cli import cli

#: a kernel spec for this Python in a temporary JUPYTER_PATH (the notebook tests' fixture)
kernel = with_kernel.kernel

HANDOUT = """\
[meta]
assignment = "hw1"
student = "student01"

[instance]
alpha = 1.5
bias = "none"
epochs = 1
decimals = 4
inputs = ["x1"]
layers = [["A"], ["B"]]

[instance.weights]
x1_A = 0.5
A_B = -0.75

[[instance.samples]]
inputs = { x1 = -1.0 }
desired = { B = 1.0 }

[answers]
"""

#: the hand calculation of the module docstring, as the student typed it
BY_HAND = {"p_A": "-0.5", "o_A": "0.3775", "p_B": "-0.2831", "o_B": "0.4297", "P": "-0.1626",
           "delta_B": "0.1398", "delta_A": "-0.0246", "dw_x1_A": "0.0369", "new_w_x1_A": "0.5369",
           "dw_A_B": "0.0792", "new_w_A_B": "-0.6708"}


def handout(tmp_path: Path, changes: dict[str, str] | None = None, name: str = "student01.toml") -> Path:
    """The handout with the hand calculation typed in, ``changes`` replacing lines (written as
    they stand on the right of ``=``)."""
    answers = {**BY_HAND, **(changes or {})}
    path = tmp_path / name
    path.write_text(HANDOUT + "".join(f"{k} = {v}\n" for k, v in answers.items()), encoding="utf-8")
    return path


def check(path: Path, *args: str):
    return CliRunner().invoke(cli, ["check", str(path), *args], env={"NO_COLOR": None})


def test_the_hand_calculation_carried_at_4_decimals_is_all_correct(tmp_path):
    """Does the honest calculator session of the docstring earn every point?"""
    result = check(handout(tmp_path))
    assert result.exit_code == 0, result.output
    assert "Score: 11 / 11  (11 correct)" in result.output


# --------------------------------------------------------------------------- answers as typed


@pytest.mark.parametrize(("typed", "message"), [
    # a note in parentheses read as a call of the number: "uses 0.6708(), a function" before
    ("-0.6708 (rounded)", "has text after the number ((rounded)); write the number alone: -0.6708"),
    ("-0.6708 units", "has text after the number (units); write the number alone: -0.6708"),
    ("-0.6708;", "has text after the number (;); write the number alone: -0.6708"),
    ("-67.08%", "is a percentage (-67.08%); write the number alone: -0.6708"),
    ("≈ -0.6708", "has ≈ before the number; write the number alone: -0.6708"),
    ("-0.75 + 0.0792 = -0.6708", "is an equation; write the number alone: -0.6708"),
    ("\u201c-0.6708\u201d", "is in typographic quotes (as a word processor types them); "
                            "write the number alone: -0.6708"),
    ("-0.6708 // rounded", "has text after the number (// rounded); write the number alone: -0.6708"),
], ids=["note", "unit", "semicolon", "percent", "approx", "equation", "smart-quotes", "slashes"])
def test_an_answer_typed_as_people_write_it_says_what_to_write(typed, message):
    """Is an answer with a note, a unit, a percent sign or an equation in it invalid (it is not
    a number), with the number to write instead?"""
    answer = read_answer("new_w_A_B", typed)
    assert answer.invalid
    assert answer.error == message


@pytest.mark.parametrize("typed", ["2 exp(-1)", "foo(1)", "1/3 (exact)", "abc", "1j", "7 // 2", "e^-1"])
def test_no_fix_is_offered_where_none_is_sure(typed):
    """Is no number suggested where the answer's meaning is unclear (a product without its *, a
    call, an expression with a note)?"""
    answer = read_answer("new_w_A_B", typed)
    assert answer.invalid and "write the number alone" not in answer.error


def test_an_answer_with_a_note_costs_only_that_answer_and_says_so_on_the_terminal(tmp_path):
    result = check(handout(tmp_path, {"new_w_A_B": '"-0.6708 (rounded)"'}))
    assert result.exit_code == 1
    assert "Score: 10 / 11  (10 correct, 1 invalid)" in result.output
    assert ("new_w_A_B: your answer has text after the number ((rounded)); write the number alone: -0.6708"
            in result.output)


@pytest.mark.parametrize(("typed", "message"), [
    ("w_AB + dw_A_B", "your answer: unknown name 'w_AB' (did you mean 'w_A_B'?)"),
    ("W_A_B + dw_A_B", "your answer: unknown name 'W_A_B' (did you mean 'w_A_B'?)"),
    ("w_A_B + α*o_A*delta_B", "your answer: unknown name 'α' (did you mean 'alpha'?)"),
    ("w_A_B + Δw_A_B", "your answer: unknown name 'Δw_A_B' (did you mean 'dw_A_B'?)"),
    ("w_A_B + xyzzy", "your answer: unknown name 'xyzzy'"),
], ids=["no-underscores", "capital", "alpha-symbol", "delta-symbol", "nothing-close"])
def test_a_misspelt_name_in_an_expression_suggests_the_given_name(tmp_path, typed, message):
    """An expression over the given values with a name typed as on paper: is the name meant
    suggested (as for an unknown id), not only "unknown name"?"""
    result = check(handout(tmp_path, {"new_w_A_B": json.dumps(typed, ensure_ascii=False)}), "--json")
    item = next(i for i in json.loads(result.output)["items"] if i["id"] == "new_w_A_B")
    assert (item["verdict"], item["message"]) == ("invalid", message)


@pytest.mark.parametrize(("line", "message"), [
    (".6708", "needs a 0 before the point in TOML: new_w_A_B = 0.6708"),
    ("-.6708", "needs a 0 before the point in TOML: new_w_A_B = -0.6708"),
    ("-67.08%", "is a percentage (-67.08%); write new_w_A_B = -0.6708"),
    ("-0.6708 (rounded)", "has text after the number ((rounded)); write new_w_A_B = -0.6708"),
    ("-0.6708 // rounded", "has text after the number (// rounded); write new_w_A_B = -0.6708"),
    ("\u201c-0.6708\u201d", "is in typographic quotes (as a word processor types them); "
                            "write new_w_A_B = -0.6708"),
    ("-0.75 + 0.0792 = -0.6708", "is an equation; write new_w_A_B = -0.6708"),
    ("e^-1", 'uses ^ for a power; write new_w_A_B = "e**-1"'),
], ids=["dot", "minus-dot", "percent", "note", "slashes", "smart-quotes", "equation", "caret"])
def test_a_bare_toml_answer_gets_a_fix_that_reads(tmp_path, line, message):
    """Is the line the error suggests one that then reads (quoting "-67.08%" as the error used
    to suggest makes it an invalid answer: a second trip at midnight)?"""
    result = check(handout(tmp_path, {"new_w_A_B": line}))
    assert result.exit_code == 2
    assert result.output == (f"Error: {tmp_path / 'student01.toml'}: is not valid TOML: line 32: "
                             f"new_w_A_B = {line} {message}\n")
    fixed = message.rsplit("new_w_A_B = ", 1)[1]
    assert check(handout(tmp_path, {"new_w_A_B": fixed})).exit_code != 2


# --------------------------------------------------------------------------- a file a word processor saved


def _mangled(tmp_path: Path, old: str, new: str) -> Path:
    path = handout(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "message"), [
    ('assignment = "hw1"', "assignment = \u201chw1\u201d",
     "line 2: assignment = \u201chw1\u201d has typographic quotes (as a word processor types them); "
     'TOML needs straight quotes: assignment = "hw1"'),
    ("o_A = 0.3775", "o_A =\u00a00.3775",
     "line 23 has a non-breaking space (U+00A0, as a word processor types it) where TOML needs an "
     "ordinary space: o_A = 0.3775"),
    ("o_A = 0.3775", "o_A 0.3775", "line 23: o_A 0.3775 has no '='; write o_A = 0.3775"),
    ("o_A = 0.3775", "o_A: 0.3775", "line 23: o_A: 0.3775 has ':' where TOML needs '='; write o_A = 0.3775"),
    ("new_w_A_B = -0.6708\n", "\n[answers]\nnew_w_A_B = -0.6708\n",
     "line 33: [answers] is given twice (first on line 21); keep one [answers] table with every line "
     "of it under it"),
], ids=["smart-quotes", "nbsp", "no-equals", "colon", "two-answers-tables"])
def test_a_handout_saved_by_a_word_processor_names_the_line_and_its_fix(tmp_path, old, new, message):
    """Does a file broken by Word (typographic quotes, a non-breaking space) or by hand (no =, a
    second [answers]) get the line and what to type, not the parser's "Invalid value"?"""
    result = check(_mangled(tmp_path, old, new))
    assert result.exit_code == 2
    assert result.output == f"Error: {tmp_path / 'student01.toml'}: is not valid TOML: {message}\n"


def test_a_tab_a_bom_and_crlf_are_read_as_written(tmp_path):
    path = handout(tmp_path)
    text = path.read_text(encoding="utf-8").replace("o_A = ", "o_A\t=\t")
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    assert check(path).exit_code == 0


# --------------------------------------------------------------------------- the wrong file


def test_the_key_is_named_as_the_key(tmp_path):
    key = tmp_path / "key.json"
    key.write_text(json.dumps({"format": 1, "assignment": "hw1", "family": "chain", "ecf_credit": 1.0,
                               "students": {}}))
    result = check(key)
    assert result.exit_code == 2
    assert result.output == (f"Error: {key}: is an assignment's key (the instructor's file, with every "
                             "student's answers), not a filled-in handout; check your own handout .toml "
                             "(or .ipynb)\n")


def test_a_bare_problem_is_named_as_a_problem_not_an_unknown_table_alpha(tmp_path):
    problem = tmp_path / "problem.toml"
    body = HANDOUT.split("[instance]\n", 1)[1].split("[answers]")[0]
    problem.write_text(body.replace("[instance.", "[").replace("[[instance.", "[["))
    result = check(problem)
    assert result.exit_code == 2
    assert "unknown table" not in result.output
    assert result.output.startswith(f"Error: {problem}: is a problem (alpha, weights, samples) "
                                    "without answers")


def test_a_transposed_weight_name_suggests_the_weight_it_names(tmp_path):
    """dw_B_A for dw_A_B: is the student pointed to dw_A_B (not to dw_x1_A, the closest spelling)?"""
    path = handout(tmp_path)
    text = path.read_text().replace("dw_A_B =", "dw_B_A =")
    path.write_text(text)
    result = check(path)
    assert ("'dw_B_A' is not a quantity of this problem (did you mean 'dw_A_B'? a weight is named from "
            "its source to its target: w_A_B is on A -> B); it was not graded") in result.output


# --------------------------------------------------------------------------- which step went wrong


def test_a_step_whose_sum_was_not_asked_shows_the_sum(tmp_path):
    """Two samples, only outputs, deltas and new weights asked (as xor asks): a student who
    starts step 2 from the weights before step 1's update writes o_A_step2 = 1/(1+e^-0.5) =
    0.6225 (p_A_step2 = 0.5 * 1), where p_A_step2 = new_w_x1_A * x1_step2 = 0.5369 gives 0.6311.
    The message must show what p_A_step2 is made of: new_w_x1_A, which the student never sees in
    o_A_step2 = 1 / (1 + exp(-p_A_step2))."""
    text = HANDOUT.replace("[answers]\n", "[[instance.samples]]\ninputs = { x1 = 1.0 }\n"
                                          "desired = { B = 0.0 }\n\n[answers]\n")
    asked = {k: v for k, v in BY_HAND.items() if k.startswith(("o_", "delta_", "new_w_"))}
    path = tmp_path / "student01.toml"
    path.write_text(text + "".join(f"{k} = {v}\n" for k, v in asked.items()) + "o_A_step2 = 0.6225\n")
    items = {i["id"]: i for i in json.loads(check(path, "--json").output)["items"]}
    assert items["new_w_x1_A"]["verdict"] == "correct"
    assert items["o_A_step2"]["verdict"] == "incorrect"
    assert items["o_A_step2"]["message"] == (
        "does not follow from o_A_step2 = 1 / (1 + exp(-p_A_step2)) with your numbers, where p_A_step2 "
        "(not written) = new_w_x1_A * x1_step2; recompute this step")


# --------------------------------------------------------------------------- the notebook's own check


def _notebook(tmp_path: Path, values: dict[str, str]):
    from grader.batch.demo_class import fill
    from grader.family import load_family
    from grader.generator import generate_variants
    from grader.render.notebook import notebook_handout
    from grader.roster import numbered_roster

    v = generate_variants(load_family("chain"), numbered_roster(1), b"midnight", "hw1", 1)[0]
    path = tmp_path / f"{v.student}.ipynb"
    path.write_text(fill(notebook_handout(v), values))
    return v, path


def test_a_cell_stopped_by_a_syntax_error_is_checked_as_check_reads_it(tmp_path):
    """o_A = 37.75% stops its cell with a SyntaxError: the kernel then has none of that cell's
    answers. The self-check called them all unanswered (6 missing, no word why) where
    ``backprop check`` says o_A has a syntax error and grades the others. Now it says the same,
    and why the kernel lacks them."""
    from grader.selfcheck import report

    v0, _ = _notebook(tmp_path, {})
    exact = {q: repr(v0.trace().value(q)) for q in v0.asked}
    v, path = _notebook(tmp_path, {**exact, "o_A": "37.75%"})
    forward = {"p_A", "o_A", "p_B", "o_B"}  # the forward pass cell: not run
    namespace = {**dict(v.trace().givens), **{q: float(x) for q, x in exact.items() if q not in forward}}
    result = report(path, namespace).report
    terminal = check(path, "--json")
    assert {i["id"]: i["verdict"] for i in json.loads(terminal.output)["items"]} == \
        {i.id: i.verdict for i in result.items}
    assert result["o_A"].verdict == "invalid"
    assert result["o_A"].message.startswith("your answer is a percentage (37.75%), which Python does not")
    assert result.count("missing") == 0
    assert any(w.startswith("p_A, o_A, p_B, o_B are not defined in the kernel (checked here as the saved "
                            "notebook has them): their cell has not run, or stopped at an error")
               for w in result.warnings)


@pytest.mark.slow
def test_the_self_check_cell_in_a_real_kernel_says_what_check_says(kernel, tmp_path):
    """The notebook run top to bottom in a real kernel, its forward-pass cell stopped by
    ``o_A = 37.75%``: does the self-check cell's report give check's verdicts and score?"""
    import nbformat
    from nbclient import NotebookClient

    v0, _ = _notebook(tmp_path, {})
    exact = {q: repr(v0.trace().value(q)) for q in v0.asked}
    v, path = _notebook(tmp_path, {**exact, "o_A": "37.75%"})
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, kernel_name=kernel, timeout=120, allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    _, text = with_kernel.selfcheck_output(nb)
    n = len(v.asked)
    assert f"Score: {n - 1} / {n}  ({n - 1} correct, 1 invalid)" in text
    assert f"Score: {n - 1} / {n}  ({n - 1} correct, 1 invalid)" in check(path).output
    assert "o_A: your answer is a percentage (37.75%), which Python does not read" in text


def test_a_known_mistake_made_once_is_hinted_without_being_named(tmp_path):
    """delta_B = 1 - 0.4297 = 0.5703, without o_B (1 - o_B), but delta_A worked right (0.2350 *
    -0.75 * 0.5703 = -0.1005, carried forward): missing-derivative acts on both deltas and shows
    on one, so the evidence rule does not name it (a slip lands in its band about 3 times in
    1,000). The value agrees with it at the asked decimals (0.5703 exactly): the student is told
    what it matches, the misconception stays null and the verdicts stay as they were."""
    changes = {"delta_B": "0.5703", "delta_A": "-0.1005", "dw_x1_A": "0.1507", "new_w_x1_A": "0.6507",
               "dw_A_B": "0.3229", "new_w_A_B": "-0.4271"}
    result = json.loads(check(handout(tmp_path, changes), "--json").output)
    items = {i["id"]: i for i in result["items"]}
    assert (items["delta_B"]["verdict"], items["delta_B"]["misconception"]) == ("incorrect", None)
    assert items["delta_B"]["message"] == (
        "does not follow from delta_B = o_B * (1 - o_B) * (d_B - o_B) with your numbers; recompute this "
        "step (your value is what it gives if the delta lacks the sigmoid's derivative o (1 - o))")
    assert [items[q]["verdict"] for q in changes][1:] == ["carried-forward"] * 5
    assert result["score"] == 10


def test_a_slip_that_matches_no_known_mistake_gets_no_hint(tmp_path):
    """alpha squared (dw = 2.25 * o * delta) is no misconception of the contract: no hint."""
    path = handout(tmp_path, {"dw_A_B": "0.1187", "new_w_A_B": "-0.6313"})
    result = json.loads(check(path, "--json").output)
    item = next(i for i in result["items"] if i["id"] == "dw_A_B")
    assert item["message"] == ("does not follow from dw_A_B = alpha * o_A * delta_B with your numbers; "
                               "recompute this step")


@pytest.mark.parametrize(("bias", "constant", "wrong"), [("threshold", -1.0, 1.0), ("bias", 1.0, -1.0)])
def test_the_bias_input_mistake_says_which_constant_this_problem_uses(tmp_path, bias, constant, wrong):
    """One neuron A on x1 = 1 with w_x1_A = 0.5, w_bias_A = 0.5, alpha = 1, d_A = 1: the right
    p_A = 0.5 + 0.5 * constant; the student takes the other constant (p_A = 0.5 + 0.5 * wrong)
    and carries it on. "-1 for a threshold and +1 for a bias": which is this problem?"""
    import math

    r = lambda x: round(x, 4)  # noqa: E731
    p = r(0.5 + 0.5 * wrong)
    o = r(1 / (1 + math.exp(-p)))
    delta = r(r(o * (1 - o)) * (1 - o))
    answers = {"p_A": p, "o_A": o, "delta_A": delta, "dw_x1_A": delta, "dw_bias_A": r(wrong * delta)}
    path = tmp_path / "one.toml"
    path.write_text(f'[instance]\nalpha = 1.0\nbias = "{bias}"\ndecimals = 4\ninputs = ["x1"]\n'
                    'layers = [["A"]]\n[instance.weights]\nx1_A = 0.5\nbias_A = 0.5\n'
                    '[[instance.samples]]\ninputs = { x1 = 1.0 }\ndesired = { A = 1.0 }\n[answers]\n'
                    + "".join(f"{k} = {v}\n" for k, v in answers.items()))
    items = {i["id"]: i for i in json.loads(check(path, "--json").output)["items"]}
    assert items["p_A"]["misconception"] == "bias-input"
    assert items["p_A"]["message"].endswith(f"+1 for a bias (in this problem: {constant:+g})")


@pytest.mark.parametrize(("typed", "message"), [
    ("37.75%", "o_A: your answer is a percentage (37.75%), which Python does not read (code cell 2, "
               "line 6); write o_A = 0.3775"),
    # Python reads this as a call of 0.3775: "needs execution: calls 0.3775(); check with --execute"
    ("0.3775 (rounded)", "o_A: your answer has text after the number ((rounded)); write the number "
                         "alone: 0.3775"),
], ids=["percent", "note"])
def test_a_notebook_answer_typed_as_people_write_it_says_what_to_write(tmp_path, typed, message):
    v0, _ = _notebook(tmp_path, {})
    exact = {q: repr(v0.trace().value(q)) for q in v0.asked}
    _, path = _notebook(tmp_path, {**exact, "o_A": typed})
    result = check(path)
    assert result.exit_code == 1
    assert f"  {message}\n" in result.output
    assert "--execute" not in result.output


def test_a_value_carried_on_rounded_further_than_written_is_named(tmp_path):
    """o_A written 0.3775 but carried on as 0.378: p_B = -0.75 * 0.378 = -0.2835, where the
    written o_A gives -0.283125 (-0.2831 or -0.2832 written). A slip as before (the verdict is
    unchanged), now with the reason a calculator session gives it."""
    result = json.loads(check(handout(tmp_path, {"p_B": "-0.2835"}), "--json").output)
    item = next(i for i in result["items"] if i["id"] == "p_B")
    assert (item["verdict"], item["misconception"]) == ("incorrect", None)
    assert item["message"] == ("does not follow from p_B = w_A_B * o_A with your numbers; recompute this "
                               "step (your value is what it gives from o_A rounded to 3 decimals: carry it "
                               "on as written)")


def test_a_handout_under_another_name_is_warned_of(tmp_path):
    """A classmate's handout filled in, or one's own renamed: ``grade`` takes the student from
    the file's name, so check says whose handout this is and what the name says."""
    result = check(handout(tmp_path, name="my answers.toml"))
    assert result.exit_code == 0  # (a warning: the answers are all right for this problem)
    assert ("this handout is student01's (its [meta] says so), but the file is named my answers.toml: if "
            "it is yours, hand it in as it was handed out (student01 in its name); if it is a classmate's, "
            "your answers are checked against their problem, not yours") in result.output
    for own in ("Student01.toml", "student01 (1).toml", "student01.v2.toml"):
        assert "Warnings" not in check(handout(tmp_path, name=own)).output, own


def test_an_answer_line_cut_short_says_it_has_no_value(tmp_path):
    """``o_A =`` and nothing after it (a file cut short, or a value deleted): the line, not the
    parser's "Invalid value (at end of document)", and no talk of typographic quotes."""
    path = handout(tmp_path)
    path.write_text(path.read_text().replace("o_A = 0.3775", "o_A ="))
    result = check(path)
    assert result.output == (f"Error: {path}: is not valid TOML: line 23: o_A = has no value after the =; "
                             'write a number (or "" to leave it unanswered)\n')


def test_a_line_of_spaces_is_hinted_in_linear_time():
    """An answer line padded with spaces before a stray word (a file a spreadsheet saved): the
    hint's pattern ``(.*?)\\s*\\Z`` tried every split of the spaces, quadratic (measured on main,
    process time: 0.99 s for 20,000 spaces, 48 s for 100,000, in check and in every batch row of
    such a file); now one pass."""
    import time

    from grader.answers import toml_answer_hint

    text = "[answers]\no_A = 1" + " " * 200_000 + "x\n"
    start = time.process_time()
    hint = toml_answer_hint(text)
    assert time.process_time() - start < 2.0
    assert hint is not None and hint.startswith("line 2: o_A = 1")


def test_a_neutral_slip_says_why_the_rest_is_trivial(tmp_path):
    """p_A = 0 (a slip: the right p_A is 0.5 * -1 = -0.5) and everything after it worked from
    it: o_A = 0.5. The policy denies credit on what one neutral slip makes free, o_A = 0.5 (README,
    rule 4; the later items, which take work, are carried forward: tests/test_fair_slips.py); the
    message said "(a flat output or a zero delta)", which 0.5 is not."""
    changes = {"p_A": "0.0", "o_A": "0.5", "p_B": "-0.375", "o_B": "0.4073", "P": "-0.1756",
               "delta_B": "0.1431", "delta_A": "-0.0268", "dw_x1_A": "0.0402", "new_w_x1_A": "0.5402",
               "dw_A_B": "0.1073", "new_w_A_B": "-0.6427"}
    items = {i["id"]: i for i in json.loads(check(handout(tmp_path, changes), "--json").output)["items"]}
    assert items["o_A"]["message"] == (
        "follows from your earlier p_A, but p_A = 0 makes this step trivial (an output of 0.5, whose "
        "o (1 - o) is 0.25 whatever follows), so no credit is carried forward")
    assert items["p_B"]["verdict"] == "carried-forward"


def test_a_handout_saved_as_unicode_by_notepad_is_named_utf16(tmp_path):
    """Notepad's "Unicode" is UTF-16 with a byte-order mark: "is a binary file, not text" told
    the student nothing they could act on."""
    path = handout(tmp_path)
    path.write_bytes(path.read_text().encode("utf-16"))
    assert check(path).output == f"Error: {path}: is UTF-16 text; save it as UTF-8\n"
