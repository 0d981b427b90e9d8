"""Fair carried-forward credit after a neutral slip and after two slips (the grading policy's rule
4), with the exploits they must not open: every p = 0, every o = 0.5, an output made up next to
its target, a tiny delta, three made-up values (a classmate's answers: tests/test_fair_policy.py
and the fairness bench).

The worked net (the chain family's shape): x1 = -1 -> A -> B, w_x1_A = 0.5, w_A_B = -0.75,
d_B = 1, alpha = 1.5, no bias, 4 decimals. The right values: p_A = -0.5, o_A = 0.3775,
p_B = -0.2831, o_B = 0.4297, P = -0.1626, delta_B = 0.1398, delta_A = -0.0246, dw_x1_A = 0.0369,
new_w_x1_A = 0.5369, dw_A_B = 0.0791, new_w_A_B = -0.6709 (11 items; from the written o_A and
delta_B, 1.5 * 0.3775 * 0.1398 = 0.07916: dw_A_B = 0.0792 and new_w_A_B = -0.6708, also right).
"""

from __future__ import annotations

import math
import random

import pytest
from honest import honest_answers

from grader.answers import Answer
from grader.family import load_family
from grader.generator import generate_variants
from grader.grading import grade
from grader.solver import solve
from grader.validation import instance_from_dict

CHAIN = instance_from_dict({
    "alpha": 1.5, "bias": "none", "decimals": 4, "inputs": ["x1"], "layers": [["A"], ["B"]],
    "weights": {"x1_A": 0.5, "A_B": -0.75}, "samples": [{"inputs": {"x1": -1.0}, "desired": {"B": 1.0}}],
})


def _r(x: float) -> float:
    return round(x + math.copysign(1e-12, x), 4)


def chain(**made) -> dict[str, float]:
    """The chain worked by hand, each step from the written (rounded) earlier values; ``made``:
    values written instead of what the step gives (slips, made-up values)."""
    v: dict[str, float] = {}

    def put(qid: str, x: float) -> None:
        v[qid] = made.get(qid, _r(x))

    put("p_A", 0.5 * -1.0)
    put("o_A", 1 / (1 + math.exp(-v["p_A"])))
    put("p_B", -0.75 * v["o_A"])
    put("o_B", 1 / (1 + math.exp(-v["p_B"])))
    put("P", -0.5 * (1 - v["o_B"]) ** 2)
    put("delta_B", v["o_B"] * (1 - v["o_B"]) * (1 - v["o_B"]))
    put("delta_A", v["o_A"] * (1 - v["o_A"]) * -0.75 * v["delta_B"])
    put("dw_x1_A", 1.5 * -1.0 * v["delta_A"])
    put("new_w_x1_A", 0.5 + v["dw_x1_A"])
    put("dw_A_B", 1.5 * v["o_A"] * v["delta_B"])
    put("new_w_A_B", -0.75 + v["dw_A_B"])
    return v


def verdicts(values: dict[str, float], instance=CHAIN):
    report = grade(instance, {k: Answer(k, repr(x), x) for k, x in values.items()})
    return {i.id: i.verdict for i in report.items}, report


def test_the_right_chain_is_all_correct():
    assert chain() == {"p_A": -0.5, "o_A": 0.3775, "p_B": -0.2831, "o_B": 0.4297, "P": -0.1626,
                       "delta_B": 0.1398, "delta_A": -0.0246, "dw_x1_A": 0.0369, "new_w_x1_A": 0.5369,
                       "dw_A_B": 0.0792, "new_w_A_B": -0.6708}
    assert verdicts(chain())[1].all_correct


# --------------------------------------------------------------------------- 1. one neutral slip


def test_one_neutral_slip_costs_the_slip_and_what_the_half_makes_free():
    """p_A = 0 by slip (the right p_A is 0.5 * -1 = -0.5). By hand from it:
    o_A = 1 / (1 + e^0) = 0.5 (free: sigmoid(0), the same in every variant: no credit);
    p_B = -0.75 * 0.5 = -0.375; o_B = 1 / (1 + e^0.375) = 0.4073; P = -0.5 (1 - 0.4073)^2 = -0.1756;
    delta_B = 0.4073 * 0.5927 * 0.5927 = 0.1431; delta_A = 0.5 * 0.5 * (-0.75 * 0.1431) = -0.0268
    (o (1 - o) = 0.25 is a factor; the product with w_A_B delta_B is still work);
    dw_x1_A = 1.5 * -1 * -0.0268 = 0.0402, new_w_x1_A = 0.5402;
    dw_A_B = 1.5 * 0.5 * 0.1431 = 0.1073, new_w_A_B = -0.6427: each takes work from the
    student's values, and is carried forward. 9 of 11 (main: 0 of 11)."""
    values = chain(p_A=0.0)
    assert values == {"p_A": 0.0, "o_A": 0.5, "p_B": -0.375, "o_B": 0.4073, "P": -0.1756, "delta_B": 0.1431,
                      "delta_A": -0.0268, "dw_x1_A": 0.0402, "new_w_x1_A": 0.5402, "dw_A_B": 0.1073,
                      "new_w_A_B": -0.6427}
    got, report = verdicts(values)
    assert (got["p_A"], got["o_A"]) == ("incorrect", "incorrect")
    assert {got[q] for q in values if q not in ("p_A", "o_A")} == {"carried-forward"}
    assert report.score == 9
    assert report["o_A"].message == (
        "follows from your earlier p_A, but p_A = 0 makes this step trivial (an output of 0.5, whose "
        "o (1 - o) is 0.25 whatever follows), so no credit is carried forward")


def test_a_neutral_final_output_makes_its_delta_and_P_free():
    """o_B = 0.5 by slip (the right one is 0.4297): P = -0.5 * 0.5^2 = -0.125 and
    delta_B = 0.25 * (1 - 0.5) = 0.125 are the same in every variant (free, no credit);
    delta_A = 0.3775 * 0.6225 * (-0.75 * 0.125) = -0.0220 and the rest still take work."""
    values = chain(o_B=0.5)
    assert (values["P"], values["delta_B"], values["delta_A"]) == (-0.125, 0.125, -0.022)
    got, report = verdicts(values)
    assert [q for q in values if got[q] == "incorrect"] == ["o_B", "P", "delta_B"]
    assert report.score == 8
    assert "makes this step trivial" in report["delta_B"].message


# --------------------------------------------------------------------------- 2. two slips


def test_two_slips_on_one_chain_cost_a_point_each():
    """p_A = -0.6 (a slip; -0.5), then o_A = 0.3543 from it, then p_B = -0.2567 (a second slip:
    -0.75 * 0.3543 = -0.2657). By hand: o_B = 0.4362, P = -0.1589, delta_B = 0.1387,
    delta_A = 0.3543 * 0.6457 * -0.75 * 0.1387 = -0.0238, dw_x1_A = 0.0357, new_w_x1_A = 0.5357,
    dw_A_B = 1.5 * 0.3543 * 0.1387 = 0.0737, new_w_A_B = -0.6763. A teacher takes a point for each
    slip and carries both forward: 9 of 11 (main: 1 of 11, "two unrelated values")."""
    values = chain(p_A=-0.6, p_B=-0.2567)
    got_values = (values["o_A"], values["o_B"], values["delta_B"], values["dw_A_B"])
    assert got_values == (0.3543, 0.4362, 0.1387, 0.0737)
    got, report = verdicts(values)
    assert [q for q in values if got[q] != "carried-forward"] == ["p_A", "p_B"]
    assert report.score == 9


def test_two_unrelated_slips_are_both_carried_forward_where_they_meet():
    """p_A = -0.6 and delta_B = 0.15 (0.1398): dw_A_B = 1.5 * 0.3543 * 0.15 = 0.0797 meets both."""
    values = chain(p_A=-0.6, delta_B=0.15)
    got, report = verdicts(values)
    assert got["dw_A_B"] == "carried-forward"
    assert [q for q in values if got[q] != "carried-forward"] == ["p_A", "delta_B"]


def test_three_slips_carry_forward_one_at_a_time():
    """A third made-up value: items that rest on two or three of them earn nothing; those that
    rest on one still do (o_A from p_A alone)."""
    values = chain(p_A=-0.6, p_B=-0.2567, delta_B=0.1)
    got, report = verdicts(values)
    assert got["o_A"] == "carried-forward"
    assert [q for q in values if got[q] == "carried-forward"] == ["o_A"]
    assert "your work has 3: with more than 2" in report["o_B"].message
    assert "rest on 3 wrong values" in report["dw_A_B"].message


# --------------------------------------------------------------------------- the exploits stay closed


NEUTRAL = {"every p = 0": {"p_A": 0.0, "p_B": 0.0}, "every o = 0.5": {"o_A": 0.5, "o_B": 0.5},
           # a unit off 0.5 saves the same work (o (1 - o) = 0.24999999, written 0.2500): two made-up
           # values that are not neutral would be two slips, carried forward
           "every o = 0.5001": {"o_A": 0.5001, "o_B": 0.5001},
           "every p = 0.0001": {"p_A": 0.0001, "p_B": 0.0001},
           "every o = 0.505": {"o_A": 0.505, "o_B": 0.495}}


@pytest.mark.parametrize("made", NEUTRAL.values(), ids=NEUTRAL)
def test_two_neutral_values_are_a_pattern_and_earn_nothing_after_them(made):
    got, report = verdicts(chain(**made))
    assert [q for q, v in got.items() if v == "carried-forward"] == []
    assert report.score == (0 if "p_A" in made else 1)  # p_A = -0.5 is right in "every o = 0.5"
    assert "more than one such value is a pattern" in report["dw_A_B"].message


def test_a_slip_near_0_5_where_the_students_own_output_is_near_it_too_is_no_neutral_slip():
    """w_x1_A = 0.01: the right o_A = sigmoid(-0.01) = 0.4975 has o (1 - o) = 0.2500 already; o_A
    written 0.5 (a slip of 25 units) makes nothing trivial that was not, and one more slip
    (o_B) beside it leaves two ordinary slips, both carried forward."""
    inst = instance_from_dict({
        "alpha": 1.5, "bias": "none", "decimals": 4, "inputs": ["x1"], "layers": [["A"], ["B"]],
        "weights": {"x1_A": 0.01, "A_B": -0.75}, "samples": [{"inputs": {"x1": -1.0}, "desired": {"B": 1.0}}],
    })
    values = honest_answers(inst, random.Random(0), keep=0.0, override={"o_A": 0.5, "o_B": 0.45})
    assert round(solve(inst).value("o_A"), 4) == 0.4975
    got, report = verdicts(values, inst)
    assert [q for q, v in got.items() if v == "incorrect"] == ["o_A", "o_B"]
    assert report.score == 9


def test_a_neutral_slip_beside_another_neutral_one_still_earns_nothing():
    """One neutral slip is a slip; a second, even with an ordinary slip between, makes a pattern."""
    values = chain(p_A=0.0, o_B=0.5)
    got, _ = verdicts(values)
    assert [q for q, v in got.items() if v == "carried-forward"] == []


def test_an_output_made_up_next_to_its_target_or_a_tiny_delta_still_earns_nothing_on_what_it_flattens():
    got, _ = verdicts(chain(o_B=0.999))
    assert all(got[q] == "incorrect" for q in ("delta_B", "delta_A", "dw_x1_A", "new_w_x1_A", "dw_A_B",
                                               "new_w_A_B"))
    got, _ = verdicts(chain(delta_B=0.0001))
    assert all(got[q] == "incorrect" for q in ("delta_A", "dw_x1_A", "new_w_x1_A"))
    # with a second slip beside it (two slips are carried forward), the flattened items stay denied
    got, _ = verdicts(chain(p_A=-0.6, delta_B=0.0001))
    assert all(got[q] == "incorrect" for q in ("delta_A", "dw_x1_A", "new_w_x1_A"))
    assert got["o_A"] == "carried-forward"


FAMILIES = ("chain", "chain3", "2-2-1", "2-2-1-threshold", "2-2-2-bias", "xor", "2-2-2-1")


def _variants(family: str, n: int = 6):
    return generate_variants(load_family(family), [f"s{i}" for i in range(n)], b"fair-slips-test", "fair")


def _unfair(v, values) -> float:
    """Credit on answers not right at the asked decimals, as a share of the maximum score."""
    report = grade(v.instance, {k: Answer(k, repr(values[k]), values[k]) for k in v.asked}, asked=v.asked)
    trace = solve(v.instance)
    d = v.instance.rounding
    got = sum(i.points for i in report.items
              if i.points and abs(values[i.id] - trace[i.id].value) > 0.5001 * 10 ** -d)
    return got / report.max_score


@pytest.mark.parametrize("family", FAMILIES)
def test_the_exploits_earn_at_most_a_quarter(family):
    """Every p = 0, every o = 0.5 (more than one neutral value: a pattern), and in one-step nets
    every final output made up next to its target (0.999 or 0.001): at most 25% of the score on
    answers not right, per family. (xor, two steps: step 2 worked from the unchanged weights that
    a flattened step 1 leaves takes real work and is carried forward, 75% on main as here: the
    flattening rule denies only the items it makes free.)"""
    exploits = {
        "every p = 0": lambda q, t: 0.0 if q.kind == "p" else None,
        "every o = 0.5": lambda q, t: 0.5 if q.kind == "o" else None,
    }
    if all(v.instance.steps == 1 for v in _variants(family, 1)):
        exploits["outputs next to targets"] = lambda q, t: (
            (0.999 if t.value(f"d_{q.subject}") > 0.5 else 0.001)
            if q.kind == "o" and f"d_{q.subject}" in dict(t.givens) else None)
    for name, rule in exploits.items():
        shares = []
        for v in _variants(family):
            trace = solve(v.instance)
            override = {q.id: x for q in trace.quantities if (x := rule(q, trace)) is not None}
            values = honest_answers(v.instance, random.Random(1), keep=0.0, override=override)
            shares.append(_unfair(v, values))
        assert sum(shares) / len(shares) <= 0.25, (name, shares)


def test_two_tiny_final_deltas_earn_nothing_on_the_near_zeros_they_make():
    """2-2-2-bias: both final deltas made up 0.0001 (two flattening slips): the hidden deltas, dws
    and weight changes they leave are ±0.0001 or ±0.0002, not 0 at the asked decimals, but a
    hundred times smaller than the right ones: made free, no credit. (Main carried forward those
    behind one of the two, the final layer's dws and weights; with two slips carried forward
    where they meet, the hidden layer's were too, until "about 0" meant this.)"""
    family = "2-2-2-bias"
    for v in _variants(family, 3):
        trace = solve(v.instance)
        finals = [q for q in trace.quantities if q.kind == "delta" and q.op == "delta_out" and q.step == 1]
        assert len(finals) == 2
        override = {q.id: math.copysign(0.0001, q.value) for q in finals}
        values = honest_answers(v.instance, random.Random(1), keep=0.0, override=override)
        report = grade(v.instance, {k: Answer(k, repr(values[k]), values[k]) for k in v.asked}, asked=v.asked)
        credited = [i.id for i in report.items if i.verdict == "carried-forward"
                    and i.id.startswith(("delta", "dw", "new_w"))]
        assert credited == [], [(q, values[q], trace.value(q)) for q in credited]
        assert _unfair(v, values) <= 0.1
