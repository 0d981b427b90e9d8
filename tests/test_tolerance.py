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


# --------------------------------------------------------------------------- the partial derivatives

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from strategies import instances  # noqa: E402

from grader.ops import OPS, numeric_partials, partials  # noqa: E402
from grader.tolerance import EPSILON, local, own_rounding, trace_tolerances  # noqa: E402
from grader.rules import CORRECT, MISCONCEPTIONS  # noqa: E402

#: how many arguments each op takes: (fixed part, size of the repeated group, least repeats)
ARITY = {
    "weighted_sum": (0, 2, 1), "performance": (0, 2, 1), "delta_hidden": (1, 2, 1),
    "delta_hidden_noderiv": (1, 2, 1), "delta_hidden_dp": (2, 2, 1), "sigmoid": (1, 0, 0),
    "delta_out": (2, 0, 0), "delta_out_flipped": (2, 0, 0), "delta_out_noderiv": (2, 0, 0),
    "delta_out_dp": (3, 0, 0), "dw": (3, 0, 0), "dw_noalpha": (2, 0, 0), "add": (2, 0, 0),
    "subtract": (2, 0, 0), "copy": (1, 0, 0),
}

values = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)


@st.composite
def op_and_args(draw):
    name = draw(st.sampled_from(sorted(OPS)))
    fixed, group, least = ARITY[name]
    n = fixed + group * (draw(st.integers(least, 4)) if group else 0)
    return name, draw(st.lists(values, min_size=n, max_size=n))


def test_every_op_has_an_arity_here():
    assert set(ARITY) == set(OPS)


@settings(max_examples=1000, deadline=None)
@given(op_and_args())
def test_analytic_partials_equal_central_differences(case):
    """Is every op's hand-written gradient what central differences give, at random points?"""
    name, args = case
    analytic = partials(name, args)
    numeric = numeric_partials(name, args)
    assert len(analytic) == len(args)
    for a, n in zip(analytic, numeric):
        assert a == pytest.approx(n, rel=1e-6, abs=1e-6), (name, args, analytic, numeric)


def _reference_tolerances(trace):
    """The tolerances as the module docstring defines them, with numeric derivatives."""
    d = trace.instance.rounding
    tol = {gid: (0.0 if abs(round(v, d) - v) < 1e-12 else unit(d)) for gid, v in trace.givens}
    for q in trace.quantities:
        grads = numeric_partials(q.op, q.arg_values)
        tol[q.id] = own_rounding(q, d) + sum(abs(g) * tol[a] for g, a in zip(grads, q.args)) + EPSILON
    return {q.id: tol[q.id] for q in trace.quantities}


@settings(max_examples=150, deadline=None)
@given(instances(max_samples=2, max_epochs=2), st.integers(1, 6))
def test_tolerances_equal_the_numeric_reference(data, decimals):
    """Do the tolerances (analytic derivatives) equal those of numeric derivatives, and local too?"""
    trace = solve(instance_from_dict({**data, "decimals": decimals}, "test"))
    tol = tolerances(trace)
    ref = _reference_tolerances(trace)
    assert tol.keys() == ref.keys()
    for qid in tol:
        assert tol[qid] == pytest.approx(ref[qid], rel=1e-6), qid
    values = trace.values
    givens = dict(trace.givens)
    u = unit(decimals)
    for q in trace.quantities:
        grads = numeric_partials(q.op, q.arg_values)
        spread = sum(abs(g) * (0.0 if a in givens else u) for g, a in zip(grads, q.args))
        assert local(q, values, givens, decimals) == pytest.approx(own_rounding(q, decimals) + spread + EPSILON,
                                                                  rel=1e-6)


def test_tolerances_are_computed_once_per_trace_and_rounding():
    trace = solve(_chain())
    assert trace_tolerances(trace) is trace_tolerances(trace)
    assert trace_tolerances(trace, 2) is not trace_tolerances(trace)
    assert tolerances(trace, 2) == tolerances(solve(_chain(decimals=2)))
    # a caller that changes its copy changes nothing for the next one
    mine = tolerances(trace)
    mine["p_A"] = 99.0
    assert tolerances(trace)["p_A"] == trace_tolerances(trace)["p_A"] != 99.0
    # the cache is not part of what a trace is, and a changed copy starts without it
    assert trace == solve(_chain()) and "_memo" not in repr(trace)
    from dataclasses import replace

    assert replace(trace, quantities=trace.quantities[:1])._memo == {}


@settings(max_examples=600, deadline=None)
@given(op_and_args(), st.data())
def test_propagated_error_is_the_gradient_times_the_errors(case, data):
    """Is each op's one-expression error propagation sum_i |d op / d a_i| * err_i?"""
    name, args = case
    ids = [f"a{i}" for i in range(len(args))]
    errors = {a: data.draw(st.sampled_from([0.0, 5e-5, 5e-3]) | st.floats(0.0, 1.0)) for a in ids}
    expected = sum(abs(g) * errors[a] for g, a in zip(partials(name, args), ids))
    assert OPS[name].propagated(args, ids, errors) == pytest.approx(expected, rel=1e-12, abs=1e-300)


@settings(max_examples=200, deadline=None)
@given(instances(max_samples=2, max_epochs=2), st.integers(1, 6), st.sampled_from(list(MISCONCEPTIONS.values())))
def test_compiled_tolerances_are_the_step_by_step_ones_bit_for_bit(data, decimals, m):
    """Does the straight-line program compiled per structure give exactly (not approximately) the
    tolerances of the step-by-step loop, for the right derivation and a mutant's (the generic
    loop), and a second trace of the same structure the same as its own loop?"""
    from grader.tolerance import _program, _tolerances_generic, tolerance_list

    instance = instance_from_dict({**data, "decimals": decimals}, "test")
    for rules in (CORRECT, m.rules):
        trace = solve(instance, rules)
        got = list(tolerance_list(trace))
        want = _tolerances_generic(trace, decimals)
        assert [repr(x) for x in got] == [repr(x) for x in want]
        assert list(trace_tolerances(trace).values()) == got
        assert list(trace_tolerances(trace)) == [q.id for q in trace.quantities]
    assert _program(solve(instance), decimals) is not None  # the right derivation is compiled
    other = instance_from_dict({**data, "decimals": decimals, "alpha": data["alpha"] / 3,
                                "weights": {k: w * 0.7 + 0.013 for k, w in data["weights"].items()}}, "test")
    trace = solve(other)
    assert [repr(x) for x in tolerance_list(trace)] == [repr(x) for x in _tolerances_generic(trace, decimals)]
