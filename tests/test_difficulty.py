"""Variants of equal difficulty: no answer given away by a zero, alpha balanced across the class
whatever the rejections, and the class's spread reported by ``generate``."""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter
from pathlib import Path

import pytest

from grader import checks
from grader.cli import cli
from grader.errors import BackpropError
from grader.family import builtin_family_ids, family_from_dict, load_family
from grader.generator import class_alphas, generate_variants
from grader.roster import numbered_roster
from grader.solver import solve
from grader.validation import instance_from_dict

SECRET = b"difficulty-test-secret-0123456789"


def _chain(x: float, w_x1_a: float = 1.0, w_a_b: float = -1.0):
    return instance_from_dict({
        "alpha": 2.0, "inputs": ["x1"], "layers": [["A"], ["B"]], "weights": {"x1_A": w_x1_a, "A_B": w_a_b},
        "samples": [{"inputs": {"x1": x}, "desired": {"B": 1.0}}],
    })


def _two_two_one(x1: float, x2: float, w_a_c: float):
    return instance_from_dict({
        "alpha": 2.0, "inputs": ["x1", "x2"], "layers": [["A", "B"], ["C"]],
        "weights": {"x1_A": 1.0, "x2_A": -0.5, "x1_B": 0.5, "x2_B": 1.0, "A_C": w_a_c, "B_C": -1.0},
        "samples": [{"inputs": {"x1": x1, "x2": x2}, "desired": {"C": 1.0}}],
    })


# ---------------------------------------------------------------- which answers are free


def test_an_input_of_zero_gives_away_the_change_and_new_value_of_its_weight():
    trace = solve(_chain(0.0))
    # p_A = w_x1_A * x1 = 1 * 0 = 0 with no arithmetic; dw_x1_A = alpha * 0 * delta_A = 0;
    # new_w_x1_A = w_x1_A + 0; dw_A_B = alpha * o_A * delta_B is not 0
    assert checks.free_ids(trace, trace.ids) == ("p_A", "dw_x1_A", "new_w_x1_A")
    assert checks.free_answers(trace, trace.ids) == "free answers: a zero gives away p_A, dw_x1_A, new_w_x1_A"
    assert checks.free_ids(solve(_chain(0.5)), trace.ids) == ()


def test_a_zero_weight_gives_away_a_whole_group():
    """w_A_C = 0: delta_A = o_A (1 - o_A) (0 * delta_C) = 0, so every dw into A is 0 and every
    weight into A stays as it was: 5 answers, none computed."""
    trace = solve(_two_two_one(1.0, -1.0, 0.0))
    free = checks.free_ids(trace, trace.ids)
    assert free == ("delta_A", "dw_x1_A", "new_w_x1_A", "dw_x2_A", "new_w_x2_A")
    assert checks.free_answers(trace, trace.ids) == (
        "free answers: a zero gives away delta_A, dw_x1_A, new_w_x1_A, dw_x2_A and 1 more")
    # only what is asked counts: a family that asks no dw or delta has new weights given away
    new_weights = [q for q in trace.ids if q.startswith("new_w")]
    assert checks.free_ids(trace, new_weights) == ("new_w_x1_A", "new_w_x2_A")


def test_both_inputs_zero_give_away_the_most():
    """The issue's case: x1 = x2 = 0 in a net without biases: both first-layer p (0 * w + 0 * w),
    all four first-layer dw and their new weights."""
    trace = solve(_two_two_one(0.0, 0.0, 1.0))
    free = checks.free_ids(trace, trace.ids)
    assert free == ("p_A", "p_B", "dw_x1_A", "new_w_x1_A", "dw_x2_A", "new_w_x2_A",
                    "dw_x1_B", "new_w_x1_B", "dw_x2_B", "new_w_x2_B")


def test_sums_that_cancel_are_not_free():
    """p_A = 1 * 1 + (-0.5) * 2 = 0 takes arithmetic: not free (only products with a factor 0 are)."""
    trace = solve(_two_two_one(1.0, 2.0, 1.0))
    assert trace["p_A"].value == 0.0
    assert "p_A" not in checks.free_ids(trace, trace.ids)


# ---------------------------------------------------------------- the generator rejects them


ZERO_INPUTS = {
    "inputs": ["x1", "x2"], "layers": [["A", "B"], ["C"]], "bias": "threshold",
    "values": {"inputs": [0.0, 1.0], "alpha": [1.5, 2.0]},
}


def test_the_generator_redraws_variants_with_free_answers():
    family = family_from_dict(ZERO_INPUTS, "zero.toml", "zero")
    variants = generate_variants(family, numbered_roster(60), SECRET, "hw")
    assert all(checks.free_ids(v.trace(), v.asked) == () for v in variants)
    assert all(value == 1.0 for v in variants for s in v.instance.samples for _, value in s.inputs)


def test_a_family_may_allow_free_answers():
    allowing = {**ZERO_INPUTS, "constraints": {"allow_free_answers": True}}
    family = family_from_dict(allowing, "zero.toml", "zero")
    variants = generate_variants(family, numbered_roster(60), SECRET, "hw")
    free = Counter(len(checks.free_ids(v.trace(), v.asked)) for v in variants)
    assert free[0] < 60 and max(free) >= 2  # some students have answers given away


def test_a_family_whose_every_draw_has_free_answers_says_how_to_fix_it(runner, tmp_path):
    """The Boolean XOR (fixed samples with inputs of 0): every draw is rejected, and the message
    names both ways on."""
    text = Path(load_family("xor").source).read_text().replace("= -1.0", "= 0.0")  # -1/+1 back to 0/1
    (tmp_path / "bool.toml").write_text(text.replace("[values]", "[constraints]\nmax_draws = 30\n\n[values]"))
    args = ["generate", str(tmp_path / "bool.toml"), "--out", str(tmp_path / "o"), "--count"]
    result = runner.invoke(cli, [*args, "1"])
    assert result.exit_code == 2
    assert result.output.startswith(
        "Error: family bool: no variant for student01 passed the checks in 30 draws (")
    assert result.output.endswith(
        f"; use nonzero inputs and weights in {tmp_path / 'bool.toml'}, or accept answers a zero "
        "gives away with allow_free_answers = true under [constraints]\n")
    allowed = text.replace("[values]", "[constraints]\nallow_free_answers = true\n\n[values]")
    (tmp_path / "bool.toml").write_text(allowed)
    result = runner.invoke(cli, [*args, "3"])
    assert result.exit_code == 0, result.output
    assert "  free answers:   8 for every student" in result.output  # (4 in step 1, 2 in step 2, 2 in step 3)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"values": {"alpha": [0.5, 1.0]}}, "values.alpha: alpha = 1 hides the missing-alpha mistake"),
        ({"constraints": {"allow_free": True}},
         "constraints.allow_free: unknown key; [constraints] has min_output"),
        ({"constraints": {"allow_free_answers": "yes"}},
         "constraints.allow_free_answers: must be true or false"),
    ],
    ids=["alpha-1", "unknown-constraint", "not-a-bool"],
)
def test_family_files_say_what_is_allowed(data, message):
    with pytest.raises(BackpropError, match=message.replace("[", r"\[").replace("]", r"\]")):
        family_from_dict({"inputs": ["x1"], "layers": [["A"]], **data}, "f.toml", "f")


# ---------------------------------------------------------------- alpha, balanced


def test_alpha_is_balanced_even_when_one_alpha_is_rejected_more_often():
    """2-2-1 with alpha 0.5 or 2: a draw with alpha 0.5 is rejected about twice as often (its
    weight changes are too small to show, or a misconception too small to see), so drawing
    alpha afresh with every redraw gave about 31% alpha 0.5 among the accepted variants. Dealt
    out over the class and kept through a student's redraws, the two counts differ by at most
    one."""
    data = {"inputs": ["x1", "x2"], "layers": [["A", "B"], ["C"]],
            "values": {"inputs": [-1.0, 1.0, 2.0], "alpha": [0.5, 2.0]}}
    family = family_from_dict(data, "f.toml", "f")
    for n in (301, 400):
        variants = generate_variants(family, numbered_roster(n), SECRET, "hw")
        by_alpha = Counter(v.instance.alpha for v in variants)
        assert abs(by_alpha[0.5] - by_alpha[2.0]) <= 1 and sum(by_alpha.values()) == n, by_alpha
    redraws = {a: statistics.mean(v.redraws for v in variants if v.instance.alpha == a) for a in (0.5, 2.0)}
    assert redraws[0.5] > 1.5 * redraws[2.0]  # the rejections that used to skew the class


def test_alphas_are_dealt_by_the_secret_not_by_the_order_of_the_roster():
    family = load_family("2-2-1-threshold")
    roster = numbered_roster(30)
    dealt = class_alphas(family, SECRET, "hw", roster)
    assert class_alphas(family, SECRET, "hw", tuple(reversed(roster))) == dealt
    assert Counter(dealt.values()) == {1.5: 15, 2.0: 15}
    assert class_alphas(family, SECRET + b"x", "hw", roster) != dealt
    # students who join a class that has more of one alpha get the other first
    late = class_alphas(family, SECRET, "hw", numbered_roster(34)[30:], counts={1.5: 17, 2.0: 13})
    assert sorted(late.values()) == [2.0, 2.0, 2.0, 2.0]


@pytest.mark.parametrize("family_id", builtin_family_ids())
def test_builtin_families_use_two_alphas_close_together(family_id):
    alphas = load_family(family_id).grids.alpha
    assert len(alphas) == 2 and 1.0 not in alphas and max(alphas) <= 3.0 and max(alphas) / min(alphas) <= 1.5


@pytest.mark.slow
@pytest.mark.parametrize("family_id", builtin_family_ids())
def test_no_free_answers_in_1000_students_of_any_builtin_family(family_id):
    """The figure of the issue: variants with a free answer group, 0 in 1,000 students per
    family (all seven); and each of the two alphas for half the class."""
    variants = generate_variants(load_family(family_id), numbered_roster(1000), SECRET, "hw1")
    with_free = [v.student for v in variants if checks.free_ids(v.trace(), v.asked)]
    assert with_free == []
    assert sorted(Counter(v.instance.alpha for v in variants).values()) == [500, 500]
    assert len({len(v.asked) for v in variants}) == 1  # every student answers as many


# ---------------------------------------------------------------- the spread, reported


def test_generate_reports_the_spread_of_difficulty(runner, tmp_path):
    out = tmp_path / "hw"
    result = runner.invoke(cli, ["generate", "2-2-1-threshold", "--count", "30", "--out", str(out)])
    assert result.exit_code == 0, result.output
    key = json.loads((out / "key.json").read_text())["students"]
    assert Counter(e["instance"]["alpha"] for e in key.values()) == {1.5: 15, 2.0: 15}
    lines = result.output.splitlines()
    assert lines[1:5] == [
        "Difficulty across the class (30 students):",
        "  answers asked:  28 for every student",
        "  free answers:   0 for every student",
        "  alpha:          1.5 for 15 students, 2 for 15 students",
    ]
    # late students keep the class balanced: 4 more make 17 and 17
    result = runner.invoke(cli, ["generate", "2-2-1-threshold", "--count", "34", "--out", str(out), "--add"])
    assert result.exit_code == 0, result.output
    assert "  alpha:          1.5 for 17 students, 2 for 17 students" in result.output.splitlines()


def test_the_spread_shows_free_answers_a_family_allows(runner, tmp_path):
    (tmp_path / "zero.toml").write_text(
        'inputs = ["x1", "x2"]\nlayers = [["A", "B"], ["C"]]\nbias = "threshold"\n'
        '[values]\ninputs = [0.0, 1.0]\nalpha = [2.0]\n[constraints]\nallow_free_answers = true\n')
    result = runner.invoke(cli, ["generate", str(tmp_path / "zero.toml"), "--count", "40", "--out",
                                 str(tmp_path / "hw")])
    assert result.exit_code == 0, result.output
    # an input of 0 gives away 4 answers with thresholds (dw and new_w on its weight into A and B)
    found = re.fullmatch(r"  free answers:   0 for (\d+) students, 4 for (\d+) students, "
                         r"8 for (\d+) students", result.output.splitlines()[3])
    assert found and sum(int(n) for n in found.groups()) == 40
    assert result.output.splitlines()[4] == "  alpha:          2 for every student"
