"""The tolerance policy: the band of one step of an honest hand calculation.

Each worked example derives its band by hand in a comment (d = 4, u = 0.00005).
"""

from __future__ import annotations

import random

import pytest

from grader.family import builtin_family_ids, load_family
from grader.generator import generate_variants
from grader.ops import sigmoid
from grader.solver import solve
from grader.tolerance import (
    band,
    fits,
    stands_for,
    sub_rounding,
    tolerances,
    unit,
    written_decimals,
)
from grader.validation import instance_from_dict

U = unit(4)
SECRET = b"tolerance-test-secret-0123456789"


def test_a_first_layer_p_of_exact_givens_gets_only_its_own_rounding():
    # p_A = w_x1_A * x1 = -1.5 * 1: no argument may be off (exact givens), the product
    # -1.5 needs no rounding: band = u (1 + EPS) = 0.00005
    b = band("weighted_sum", [-1.5, 1.0], [0.0, 0.0], 4)
    assert b == pytest.approx(U, rel=1e-5)
    assert fits(-1.50004, "weighted_sum", [-1.5, 1.0], [0.0, 0.0], 4)[0]
    assert not fits(-1.4998, "weighted_sum", [-1.5, 1.0], [0.0, 0.0], 4)[0]


def test_a_weighted_sum_of_written_outputs():
    # p_C = 0.5 * 0.7311 + (-1) * 0.2689, outputs written at 4 decimals (each stands for u):
    # u + |0.5| u + |-1| u = 2.5u; each product ranges over a half-point (0.5 * (0.7311 +- u)
    # holds 0.36555; -(0.2689 +- u) holds -0.26895), so either may round by up to u, both the
    # same way: sub = 2u (a bound: rounding -o_B back to 4 places cannot really add to o_B's
    # own latitude). band = 4.5u = 0.000225
    b = band("weighted_sum", [0.5, 0.7311, -1.0, 0.2689], [0.0, U, 0.0, U], 4)
    assert b == pytest.approx(4.5 * U, rel=1e-4)


def test_the_sigmoid_band():
    # o_A = 1 / (1 + exp(-1)) from an exact p = 1: exp(-1) = 0.36787944 rounds to 0.3679,
    # off by 2.06e-5, which moves 1/(1 + e) by o^2 = 0.5345 times that: 1.10e-5.
    # band = u + 1.10e-5 = 6.10e-5
    assert sub_rounding("sigmoid", [1.0], [0.0], 4) == pytest.approx(2.056e-5 * sigmoid(1.0) ** 2, rel=1e-3)
    assert band("sigmoid", [1.0], [0.0], 4) == pytest.approx(6.099e-5, rel=1e-3)


def test_the_final_delta_band():
    # delta_C = o (1 - o) (d - o) with o = 0.7311 written (stands for u), d = 1 exact:
    # d/do = (1 - 2o)(d - o) - o(1 - o) = (-0.4622)(0.2689) - 0.19659 = -0.32088: 0.32088u;
    # o(1 - o) = 0.19659279, and o may be off by u, so the slope ranges over +-0.4622u =
    # +-2.31e-5: 0.19656968 to 0.19661590, all rounding to 0.1966, at most 3.03e-5 away:
    # sub = 3.03e-5 * |d - o| = 3.03e-5 * 0.2689 = 8.15e-6.
    # band = u + 0.32088u + 8.15e-6 = 7.42e-5
    assert band("delta_out", [0.7311, 1.0], [U, 0.0], 4) == pytest.approx(7.42e-5, rel=1e-3)


def test_alpha_times_a_rounded_product_is_covered_for_any_alpha():
    """Is dw = alpha * round(o * delta, 4) inside the band for alpha 5 and 10 (the rounding
    scaled by alpha)?"""
    o, delta = 0.7311, 0.1213
    for alpha in (5.0, 10.0):
        answer = round(alpha * round(o * delta, 4), 4)
        exact = alpha * o * delta
        assert abs(answer - exact) > U  # more than one rounding away
        assert fits(answer, "dw", [alpha, o, delta], [0.0, U, U], 4)[0]
        # with o and delta exact, the band is u + alpha * |round(o delta) - o delta| (here
        # 0.7311 * 0.1213 = 0.08868243 rounds to 0.0887: 1.757e-5 times alpha)
        assert band("dw", [alpha, o, delta], [0.0, 0.0, 0.0], 4) == pytest.approx(
            U * (1 + 1e-6) + alpha * 1.757e-5, rel=1e-3)


def test_a_sub_result_that_needs_no_rounding_adds_nothing():
    # alpha * o * delta = 0.5 * 1.5 * 0.25: every product has at most 4 decimals
    assert sub_rounding("dw", [0.5, 1.5, 0.25], [0.0, 0.0, 0.0], 4) == 0.0
    assert sub_rounding("add", [1.0, 0.1234], [0.0, U], 4) == 0.0


def test_written_precision():
    """Does an answer stand for half a unit of its last written decimal, at most u?"""
    assert written_decimals(0.7310) == 3 and written_decimals(2.0) == 0 and written_decimals(1.5e-05) == 6
    assert stands_for(0.73, 4) == U  # written coarser than asked: still at most u
    assert stands_for(0.7310585786300049, 4) == pytest.approx(0.5e-16)


def test_bands_scale_with_the_instructed_rounding():
    trace = solve(_chain(decimals=2))
    b2 = tolerances(trace)["p_A"]
    b4 = tolerances(solve(_chain()))["p_A"]
    assert b2 == pytest.approx(100 * b4, rel=1e-3)


@pytest.mark.parametrize("family_id", builtin_family_ids())
def test_bands_stay_as_tight_as_one_step(family_id):
    """No band of a right answer is wider than a few units: no worst case is chained."""
    for v in generate_variants(load_family(family_id), [f"s{i}" for i in range(5)], SECRET, "tol"):
        trace = solve(v.instance)
        for q in trace.quantities:
            assert tolerances(trace, 4, v.asked)[q.id] < 60 * U, q.id


def _chain(decimals=4):
    return instance_from_dict({
        "alpha": 0.5, "decimals": decimals, "inputs": ["x1"], "layers": [["A"], ["B"]],
        "weights": {"x1_A": 1.5, "A_B": -0.5},
        "samples": [{"inputs": {"x1": 1.0}, "desired": {"B": 1.0}}],
    })


def test_sub_results_are_the_largest_deviation_of_honest_orders():
    """Does the sub-result slack cover every rounding order of random hand calculations?"""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from honest import honest_step

    rng = random.Random(7)
    for _ in range(3000):
        op = rng.choice(["weighted_sum", "sigmoid", "delta_out", "delta_hidden", "dw", "performance"])
        a = [rnd4(rng.uniform(-2, 2)) for _ in range({"sigmoid": 1, "delta_out": 2, "dw": 3}.get(op, 4))]
        if op in ("delta_out",):
            a[0] = rnd4(rng.uniform(0.05, 0.95))
        if op == "delta_hidden":
            a = [rnd4(rng.uniform(0.05, 0.95)), *a[:2]]
        from grader.ops import OPS

        exact = OPS[op].compute(a)
        hand = honest_step(op, list(a), 4, rng)
        assert abs(hand - exact) <= sub_rounding(op, a, [0.0] * len(a), 4) + 1e-12, (op, a)


def rnd4(x):
    return round(x, 4)


# --------------------------------------------------------------------------- the partial derivatives

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from strategies import instances  # noqa: E402

from grader.ops import OPS, numeric_partials, partials  # noqa: E402


def arity(name: str) -> tuple[int, int, int]:
    """How many arguments an op takes: (its fixed head, the size of each repeated group after
    it, the least number of groups), from the op's own ``shape``: a sum (of products, of
    errors) has at least one term."""
    fixed, group = OPS[name].shape
    return fixed, group, 1 if group else 0


def fits_shape(name: str, n: int) -> bool:
    fixed, group, least = arity(name)
    if not group:
        return n == fixed
    return n >= fixed + group * least and (n - fixed) % group == 0


values = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)


@st.composite
def op_and_args(draw):
    name = draw(st.sampled_from(sorted(OPS)))
    fixed, group, least = arity(name)
    n = fixed + group * (draw(st.integers(least, 4)) if group else 0)
    return name, draw(st.lists(values, min_size=n, max_size=n))


def test_every_op_is_used_with_its_shape():
    """Does every step of every family's derivation, right and under each misconception, give
    its op a number of arguments its shape allows, and is every op used by some step (so the
    shapes the partials are drawn with below are the ones grading meets)?"""
    from grader.rules import MISCONCEPTIONS

    used = set()
    for fid in builtin_family_ids():
        (v,) = generate_variants(load_family(fid), ["s"], SECRET, "hw", 1)
        for rules in [None, *(m.rules for m in MISCONCEPTIONS.values())]:
            trace = solve(v.instance) if rules is None else solve(v.instance, rules=rules)
            for q in trace.quantities:
                assert fits_shape(q.op, len(q.args)), (fid, q.id, q.op, len(q.args))
                used.add(q.op)
    assert used == set(OPS)


@settings(max_examples=1000, deadline=None)
@given(op_and_args())
def test_analytic_partials_equal_central_differences(case):
    """Is every op's hand-written gradient what central differences give, at random points?"""
    name, args = case
    analytic = partials(name, args)
    numeric = numeric_partials(name, args)
    assert len(analytic) == len(args)
    for a, n in zip(analytic, numeric, strict=True):
        assert a == pytest.approx(n, rel=1e-6, abs=1e-6), (name, args, analytic, numeric)


def _reference_band(op, values, stands, d):
    spread = sum(abs(g) * s for g, s in zip(numeric_partials(op, values), stands, strict=True))
    return unit(d) * (1 + 1e-6) + spread + sub_rounding(op, values, stands, d) + 1e-12


@settings(max_examples=150, deadline=None)
@given(instances(max_samples=2, max_epochs=2), st.integers(1, 6))
def test_bands_equal_the_numeric_reference(data, decimals):
    """Do the bands (analytic derivatives) equal those of numeric derivatives?"""
    trace = solve(instance_from_dict({**data, "decimals": decimals}, "test"))
    got = tolerances(trace)
    u = unit(decimals)
    stands = {gid: (0.0 if abs(round(v, decimals) - v) < 1e-12 else u) for gid, v in trace.givens}
    for q in trace.quantities:
        want = _reference_band(q.op, list(q.arg_values), [stands[a] for a in q.args], decimals)
        assert got[q.id] == pytest.approx(want, rel=1e-5, abs=1e-12), q.id
        stands[q.id] = u


def test_bands_are_computed_once_per_trace_and_rounding():
    from grader.tolerance import trace_tolerances

    trace = solve(_chain())
    assert trace_tolerances(trace) is trace_tolerances(trace)
    assert trace_tolerances(trace, 2) is not trace_tolerances(trace)
    assert tolerances(trace, 2) == tolerances(solve(_chain(decimals=2)))


# --------------------------------------------------------------------------- the honest values of a step
# (grader.hand: what the grader accepts; each example is one of the README's, d = 4, u = 0.00005)

from grader.hand import held, near, point, reach, step_values, unwritten  # noqa: E402


def test_a_given_product_that_needs_no_rounding_is_one_value():
    # p_A = w_x1_A * x1 = -1.5 * 1 from exact givens: the only honest value is -1.5
    values = step_values("weighted_sum", [point(-1.5), point(1.0)], 4)
    assert values == ((-1.5, -1.5),)
    assert near(-1.50004, values, 4) and not near(-1.4998, values, 4)


def test_the_sigmoid_with_exp_rounded_or_not():
    # o_A = 1 / (1 + exp(-1)) = 0.73105858; with exp(-1) written 0.3679: 1 / 1.3679 = 0.73104759,
    # which rounds to 0.7310: both 0.7311 and 0.7310 are honest, 0.7312 is not
    values = step_values("sigmoid", [point(1.0)], 4)
    assert [lo for lo, _ in values] == pytest.approx([0.73104759, 0.73105858], abs=1e-8)
    assert near(0.7311, values, 4) and near(0.7310, values, 4) and not near(0.7312, values, 4)
    # what a student who wrote 0.7311 may use later: 0.7311, or the calculator's 0.73105858
    # (0.73104759 would have been written 0.7310)
    assert held(0.7311, U, values, 4) == ((0.7310585786300049, 0.7310585786300049), (0.7311, 0.7311))


def test_a_weighted_sum_of_written_outputs_with_each_product_rounded_or_not():
    # p_C = 0.5 * 0.7311 - 1 * 0.2689: 0.36555 (a half: 0.3655 or 0.3656) - 0.2689, so 0.0966,
    # 0.09665 and 0.0967: 0.0966 and 0.0967 are honest, 0.0968 is not (the old band, 4.5u, took it)
    values = step_values("weighted_sum", [point(0.5), point(0.7311), point(-1.0), point(0.2689)], 4)
    assert [lo for lo, _ in values] == pytest.approx([0.0966, 0.09665, 0.0967])
    assert near(0.0966, values, 4) and near(0.0967, values, 4) and not near(0.0968, values, 4)


def test_dw_is_alpha_times_a_rounded_product_not_a_band():
    # dw = 2 * 0.148 * 0.1315 = 0.038924; 2 * round(0.148 * 0.1315 = 0.019462) = 2 * 0.0195 = 0.0390
    # (2 * 0.148 and 2 * 0.1315 need no rounding): 0.0389 and 0.0390 are honest, 0.0391 and
    # 0.0387 (two units off) are not
    values = step_values("dw", [point(2.0), point(0.148), point(0.1315)], 4)
    assert values == ((0.038924, 0.038924), (0.039, 0.039))
    assert near(0.0389, values, 4) and near(0.0390, values, 4)
    assert not near(0.0391, values, 4) and not near(0.0387, values, 4)
    assert reach(values, 0.038924, 4) == pytest.approx(0.000076 + U, rel=1e-3)


def test_alpha_times_a_rounded_product_is_honest_for_any_alpha():
    # 10 * round(0.7311 * 0.1213 = 0.08868243) = 10 * 0.0887 = 0.887, 17.6 units from 0.8868243
    values = step_values("dw", [point(10.0), point(0.7311), point(0.1213)], 4)
    assert near(0.887, values, 4) and near(0.8868, values, 4) and not near(0.8875, values, 4)


def test_an_unwritten_dw_may_be_rounded_before_the_new_weight():
    # xor: dw = 1.5 * -1 * 0.0133 = -0.01995, not asked: kept, or rounded either way (a half), so
    # new_w = 0.25 + dw is 0.23005 (written 0.2300 or 0.2301), 0.2300 or 0.2301
    dw = step_values("dw", [point(1.5), point(-1.0), point(0.0133)], 4)
    new_w = step_values("add", [point(0.25), unwritten(dw, 4)], 4)
    assert [lo for lo, _ in new_w] == pytest.approx([0.23, 0.23005, 0.2301])
    assert near(0.2300, new_w, 4) and near(0.2301, new_w, 4) and not near(0.2302, new_w, 4)


def test_a_slip_stands_for_anything_that_rounds_to_it():
    # o_A written 0.8311 where no honest calculation gives it: the calculator held anything
    # within u of it
    (lo, hi), = held(0.8311, U, step_values("sigmoid", [point(1.0)], 4), 4)
    assert (lo, hi) == (pytest.approx(0.8311 - U, rel=1e-9), pytest.approx(0.8311 + U, rel=1e-9))
