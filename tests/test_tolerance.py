"""The tolerance policy: hand calculations that round as instructed pass, bigger slips fail."""

from __future__ import annotations

import pytest

from grader.families import builtin_family_ids, load_family
from grader.generator import generate_variants
from grader.model import instance_from_dict
from grader.ops import compute, sigmoid
from grader.solver import solve
from grader.tolerance import tolerances, unit

SECRET = b"tolerance-test-secret-0123456789"


def hand_rounded(trace, decimals, round_exp=False):
    """What a careful student writes: every quantity rounded to ``decimals`` places and the
    next one computed from the rounded values (optionally rounding exp(-p) too)."""
    values = dict(trace.givens)
    out = {}
    for q in trace.quantities:
        args = [values[a] for a in q.args]
        if q.op == "sigmoid" and round_exp:
            import math

            v = 1 / (1 + round(math.exp(-args[0]), decimals))
        else:
            v = compute(q.op, args)
        values[q.id] = out[q.id] = round(v, decimals)
    return out


@pytest.mark.parametrize("family_id", builtin_family_ids())
@pytest.mark.parametrize("round_exp", [False, True], ids=["plain", "rounded-exp"])
def test_hand_rounded_answers_are_within_tolerance(family_id, round_exp):
    family = load_family(family_id)
    for v in generate_variants(family, [f"s{i}" for i in range(15)], SECRET, "tol"):
        trace = solve(v.instance)
        tol = tolerances(trace)
        for decimals in (v.instance.rounding,):
            hand = hand_rounded(trace, decimals, round_exp)
            for q in trace.quantities:
                assert abs(hand[q.id] - q.value) <= tol[q.id], (v.student, q.id, hand[q.id], q.value, tol[q.id])


def _chain(decimals=4):
    return instance_from_dict({
        "alpha": 0.5, "decimals": decimals, "inputs": ["x1"], "layers": [["A"], ["B"]],
        "weights": {"x1_A": 1.0, "A_B": -0.5},
        "samples": [{"inputs": {"x1": 1.0}, "desired": {"B": 1.0}}],
    })


def test_tolerance_of_a_sum_of_exact_givens_is_the_rounding_of_each_product():
    # p_A = w_x1_A * x1 = 1 * 1: one product (a sub-result a student may round) and the result
    tol = tolerances(solve(_chain()))
    assert tol["p_A"] == pytest.approx(2 * unit(4), abs=1e-8)


def test_tolerance_follows_the_slope_of_the_sigmoid():
    # o_A = sigmoid(p_A): own rounding (result + exp) plus slope * tol(p_A);
    # slope at p = 1 is o (1 - o) = 0.7311 * 0.2689 = 0.19661
    tol = tolerances(solve(_chain()))
    slope = sigmoid(1.0) * (1 - sigmoid(1.0))
    assert tol["o_A"] == pytest.approx(2 * unit(4) + slope * tol["p_A"], abs=1e-8)


def test_tolerances_grow_along_the_dependency_graph_and_stay_small():
    trace = solve(_chain())
    tol = tolerances(trace)
    assert tol["p_B"] > tol["o_A"] * 0.5 * 0.99  # p_B = w_A_B * o_A carries |w| * tol(o_A)
    assert max(tol.values()) < 20 * unit(4)


def test_tolerance_scales_with_the_instructed_rounding():
    trace = solve(_chain(decimals=2))
    assert tolerances(trace)["delta_B"] == pytest.approx(100 * tolerances(solve(_chain()))["delta_B"], rel=1e-3)


def test_an_answer_off_by_more_than_rounding_is_outside():
    trace = solve(_chain())
    tol = tolerances(trace)
    # one unit in the third decimal place is more than rounding to four places can explain
    for q in trace.quantities:
        assert tol[q.id] < 1e-3
