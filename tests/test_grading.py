"""Grading: verdicts, error carried forward, its plausibility rule and misconception diagnosis.

Instances come from the generator (every built-in family, several students each), so they are
the ones students get: unsaturated, with answers large enough for the rounding, and with every
misconception detectable (the generator redraws otherwise).
"""

from __future__ import annotations

import itertools
import math
from decimal import ROUND_HALF_DOWN, ROUND_HALF_UP, Decimal

import pytest
from by_hand import hand_worked

from grader.answers import Answer, answers_from_table
from grader.family import builtin_family_ids, load_family
from grader.generator import Variant, generate_variants
from grader.grading import grade
from grader.rules import MISCONCEPTIONS
from grader.solver import solve
from grader.tolerance import tolerances
from grader.validation import instance_from_dict

STUDENTS = [f"s{i}" for i in range(4)]


def _variants() -> list[Variant]:
    out = []
    for fid in builtin_family_ids():
        out += generate_variants(load_family(fid), STUDENTS, b"test-secret", "hw-test")
    return out


VARIANTS = _variants()
IDS = [f"{v.family}/{v.student}" for v in VARIANTS]


def answers_of(values: dict[str, float], asked) -> dict[str, Answer]:
    return {k: Answer(k, values[k], values[k]) for k in asked}


def graded(variant: Variant, values: dict[str, float], ecf_credit: float = 1.0):
    return grade(variant.instance, answers_of(values, variant.asked), asked=variant.asked,
                 ecf_credit=ecf_credit)


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
@pytest.mark.parametrize("rounded", [False, True], ids=["exact", "hand-rounded"])
def test_exact_and_hand_rounded_answers_are_correct(variant, rounded):
    """Is every answer of a careful student (exact, or rounded at every step as instructed) correct?"""
    report = graded(variant, hand_worked(variant, rounded=rounded))
    assert [i.id for i in report.items if i.verdict != "correct"] == []
    assert report.score == report.max_score == len(variant.asked)
    assert report.all_correct


def _first_changed(variant: Variant, values: dict[str, float]) -> str | None:
    """The first asked quantity where ``values`` differ from the right hand-rounded ones."""
    right = hand_worked(variant)
    for qid in variant.asked:
        if abs(values[qid] - right[qid]) > 1e-12:
            return qid
    return None


def _applicable() -> list:
    """(variant, misconception) pairs where the net has what the misconception changes
    (missing-sum needs a neuron feeding two, bias-input needs bias weights)."""
    pairs = []
    for variant, vid in zip(VARIANTS, IDS, strict=True):
        for mid, m in MISCONCEPTIONS.items():
            if _first_changed(variant, hand_worked(variant, m.rules)) is not None:
                pairs.append(pytest.param(variant, mid, id=f"{vid}-{mid}"))
    return pairs


@pytest.mark.parametrize("variant, mid", _applicable())
def test_misconception_is_named_where_it_first_acts(variant, mid):
    """Does a student who consistently holds one misconception get it named at the first step it changes?"""
    m = MISCONCEPTIONS[mid]
    values = hand_worked(variant, m.rules)
    first = _first_changed(variant, values)
    assert first is not None
    report = graded(variant, values)
    item = report[first]
    assert (item.verdict, item.misconception) == ("incorrect", mid), item.message
    assert m.mistake in item.message
    # the mistake is never mistaken for another one anywhere in the report
    assert {i.misconception for i in report.items} <= {None, mid}


def test_every_misconception_is_diagnosed_in_some_family():
    """Is each id of DESIGN section 6 diagnosed on at least one built-in family?"""
    seen = set()
    for variant in VARIANTS:
        for m in MISCONCEPTIONS.values():
            report = graded(variant, hand_worked(variant, m.rules))
            seen |= {i.misconception for i in report.items if i.misconception}
    assert seen == set(MISCONCEPTIONS)


def _an_output(variant: Variant) -> str:
    """The first asked output of a hidden neuron (or of the output neuron in a chain of one)."""
    return next(q for q in variant.asked if q.startswith("o_"))


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_one_wrong_output_is_counted_once(variant):
    """Does a single wrong output followed by consistent work give one incorrect, then carried-forward?"""
    qid = _an_output(variant)
    exact = solve(variant.instance)[qid].value
    wrong = round(exact + (0.1 if exact < 0.5 else -0.1), variant.instance.rounding)
    values = hand_worked(variant, override={qid: wrong})
    report = graded(variant, values)
    verdicts = {i.id: i.verdict for i in report.items}
    assert verdicts[qid] == "incorrect"
    assert report[qid].misconception is None
    assert [k for k, v in verdicts.items() if v == "incorrect"] == [qid]
    assert set(verdicts.values()) == {"correct", "incorrect", "carried-forward"}
    assert report.score == len(variant.asked) - 1

    half = graded(variant, values, ecf_credit=0.5)
    n_cf = half.count("carried-forward")
    assert half.score == pytest.approx(half.count("correct") + 0.5 * n_cf)


# --------------------------------------------------------------------------- small cases

CHAIN = instance_from_dict({
    "alpha": 1.0, "inputs": ["x1"], "layers": [["A"], ["B"]],
    "weights": {"x1_A": 1.0, "A_B": 1.0},
    "samples": [{"inputs": {"x1": 1.0}, "desired": {"B": 1.0}}],
})


def test_missing_invalid_and_unknown():
    """Are unanswered, unreadable and unknown answers reported, and the rest still graded?"""
    table = {"p_A": 1, "o_A": "", "p_B": "nan", "o_B": True, "delta_B": "foo(1)", "dleta_A": 3}
    trace = solve(CHAIN)
    answers, warnings = answers_from_table(table, "t", ids=set(trace.ids))
    report = grade(CHAIN, answers, asked=["p_A", "o_A", "p_B", "o_B", "delta_B"])
    got = {i.id: (i.verdict, i.message) for i in report.items}
    assert got["p_A"] == ("correct", "")
    assert got["o_A"] == ("missing", "not answered")
    assert got["p_B"] == ("invalid", "your answer is not a number (NaN)")
    assert got["o_B"] == ("invalid", "your answer is a boolean (true), not a number")
    assert got["delta_B"] == ("invalid", "your answer uses foo(), a function an answer cannot call; write "
                                         "a number or an arithmetic expression (exp, log, sqrt and round "
                                         "may be used)")
    assert warnings == [
        "'dleta_A' is not a quantity of this problem (did you mean 'delta_A'?); it was not graded"]
    assert report.score == 1 and report.max_score == 5


def test_expression_answers_are_read():
    """Is an answer written as arithmetic (1/(1+exp(-1))) graded like the number?"""
    answers, _ = answers_from_table({"o_A": "1/(1+exp(-1))", "p_A": "w_x1_A * x1"}, "t",
                                    names={"w_x1_A": 1.0, "x1": 1.0})
    report = grade(CHAIN, answers, asked=["p_A", "o_A"])
    assert [i.verdict for i in report.items] == ["correct", "correct"]


def test_json_hides_expected_unless_revealed():
    """Does the check --json object have the contract's keys, and the expected value only with reveal?"""
    answers = {"p_A": Answer("p_A", 0.5, 0.5)}
    report = grade(CHAIN, answers, asked=["p_A"])
    data = report.to_json()
    assert set(data) == {"score", "max_score", "items", "warnings"}
    assert data["items"] == [{
        "id": "p_A", "verdict": "incorrect", "points": 0, "max_points": 1, "given": 0.5,
        "misconception": None,
        "message": "does not follow from p_A = w_x1_A * x1 with your numbers; recompute this step",
    }]
    assert report.to_json(reveal=True)["items"][0]["expected"] == 1.0


def test_ecf_credit_out_of_range_is_an_error():
    from grader.errors import BackpropError

    with pytest.raises(BackpropError, match="from 0 to 1"):
        grade(CHAIN, {}, ecf_credit=1.5)


# --------------------------------------------------------------------------- a published mistake

def test_published_example_with_updated_weights_is_diagnosed():
    """Is a published worked example that back-propagates through the new weights diagnosed?

    Source: nathansamsel/simple_backpropagation_example, README.md ("Super Simple Neural Net to
    Demonstrate Backpropagation", commit b151e4e), the classic 2-2-1 example with inputs 0.35
    and 0.9 and target 0.5. Its "Calculate error for hidden layer" uses w1_new = 0.272392 and
    w2_new = 0.87305, the output weights after the update, giving delta = -2.406e-3 and
    -7.916e-3; with the old weights 0.3 and 0.9 they are -2.65e-3 and -8.16e-3. In 6.034 names:
    x1 = 0.35, x2 = 0.9, A is the top hidden neuron, B the bottom one, C the output, alpha = 1.
    """
    instance = instance_from_dict({
        "alpha": 1.0, "decimals": 4, "inputs": ["x1", "x2"], "layers": [["A", "B"], ["C"]],
        "weights": {"x1_A": 0.1, "x2_A": 0.8, "x1_B": 0.4, "x2_B": 0.6, "A_C": 0.3, "B_C": 0.9},
        "samples": [{"inputs": {"x1": 0.35, "x2": 0.9}, "desired": {"C": 0.5}}],
    })
    published = {
        "p_A": 0.755, "o_A": 0.68, "p_B": 0.68, "o_B": 0.6637, "p_C": 0.80133, "o_C": 0.69,
        "delta_C": -0.0406, "new_w_A_C": 0.272392, "new_w_B_C": 0.87305,
        "delta_A": -2.406e-3, "delta_B": -7.916e-3,
        "new_w_x1_A": 0.09916, "new_w_x2_A": 0.7978, "new_w_x1_B": 0.3972, "new_w_x2_B": 0.5928,
    }
    answers = {k: Answer(k, v, v) for k, v in published.items()}
    report = grade(instance, answers, asked=list(published))
    for qid in ("delta_A", "delta_B"):
        assert (report[qid].verdict, report[qid].misconception) == ("incorrect", "updated-weights")
        assert "already-updated weights" in report[qid].message
    # their later hidden-weight updates follow from their own deltas: counted once
    for qid in ("new_w_x1_A", "new_w_x2_A", "new_w_x1_B"):
        assert report[qid].verdict in ("correct", "carried-forward")
    # but not new_w_x2_B = 0.5928: 0.6 + 0.9 * -0.007916 = 0.5928756, which any honest rounding at
    # 4 decimals writes 0.5929 (the example cut the digits off, or took delta_B as -0.008)
    assert report["new_w_x2_B"].verdict == "incorrect"
    assert report["new_w_x2_B"].message.startswith("does not follow")
    assert [i.id for i in report.items if i.misconception] == ["delta_A", "delta_B"]


# -------------------------------------------------------------------- the fast path against a reference

import random  # noqa: E402
from dataclasses import fields  # noqa: E402

from grader.checks import changed_ids  # noqa: E402
from grader.diagnosis import Diagnoser, choose, mutant_givens  # noqa: E402
from grader.grading import Root, _unreadable, named, plausible, standing, verdict  # noqa: E402
from grader.ops import OPS, compute, numeric_partials  # noqa: E402
from grader.report import Item, make_item  # noqa: E402
from grader.solver import givens as solver_givens  # noqa: E402
from grader.tolerance import (  # noqa: E402
    EPS,
    EPSILON,
    SUB,
    given_stands_for,
    second_order,
    stands_for,
    unit,
    written_decimals,
)


def _ref_band(op, values, stands, d):
    """The band with numeric derivatives and the second-order slack always included (what the
    diagnosis still uses)."""
    spread = sum(abs(g) * s for g, s in zip(numeric_partials(op, values), stands, strict=True))
    return (unit(d) * (1 + EPS) + spread + SUB[op](values, stands, d) + EPSILON
            + second_order(op, values, stands) + 1e-10)


# The honest values of a step, written the straightforward way: lists of intervals (lo, hi), each
# choice of the hand calculation enumerated, roundings by the decimal module; values closer than
# u / 64 merged (the policy's rule), and nothing else merged.

def _ref_merge(ivs, d):
    out = []
    for lo, hi in sorted(ivs):
        if out and lo <= out[-1][1] + unit(d) / 64:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _ref_grid(x, d, how):
    return float(Decimal(f"{x:.12g}").quantize(Decimal(1).scaleb(-d), rounding=how))


def _ref_rounded(ivs, d):
    """Every rounding of a value of ``ivs`` to ``d`` places, half up or half down."""
    out = []
    for lo, hi in ivs:
        first = min(_ref_grid(lo, d, ROUND_HALF_UP), _ref_grid(lo, d, ROUND_HALF_DOWN))
        last = max(_ref_grid(hi, d, ROUND_HALF_UP), _ref_grid(hi, d, ROUND_HALF_DOWN))
        k0, k1 = round(first * 10 ** d), round(last * 10 ** d)
        out += [(round(k * 10.0 ** -d, d),) * 2 for k in range(k0, k1 + 1)]
    return _ref_merge(out, d)


def _ref_maybe(ivs, d):
    return _ref_merge(ivs + _ref_rounded(ivs, d), d)


def _ref_apply(f, *sets, d):
    """``f`` on every choice of one interval per set, at every corner (each op's pieces are
    monotone in each argument over the small intervals, or handled by ``f``)."""
    out = []
    for choice in itertools.product(*sets):
        corners = [f(*xs) for xs in itertools.product(*choice)]
        out.append((min(corners), max(corners)))
    return _ref_merge(out, d)


def _ref_slope(ivs, d):
    out = []
    for lo, hi in ivs:
        ends = [lo * (1 - lo), hi * (1 - hi)]
        out.append((min(ends), 0.25 if lo <= 0.5 <= hi else max(ends)))
    return _ref_merge(out, d)


def _ref_sum_of_products(pairs, d):
    total = [(0.0, 0.0)]
    for w, v in pairs:
        product = _ref_maybe(_ref_apply(lambda a, b: a * b, w, v, d=d), d)
        total = _ref_apply(lambda a, b: a + b, total, product, d=d)
    return total


def _ref_step(op, a, d):
    """Every value of one step by hand from argument sets ``a`` (each sub-result rounded or not)."""
    mul = lambda x, y: x * y  # noqa: E731
    if op == "weighted_sum":
        return _ref_sum_of_products(list(zip(a[0::2], a[1::2], strict=True)), d)
    if op == "sigmoid":
        e = _ref_maybe(_ref_apply(lambda p: math.exp(min(-p, 700.0)), a[0], d=d), d)
        return _ref_apply(lambda x: 1 / (1 + x), e, d=d)
    if op == "performance":
        total = [(0.0, 0.0)]
        for t, o in zip(a[0::2], a[1::2], strict=True):
            sq = _ref_maybe(_ref_apply(lambda x, y: (x - y) ** 2, t, o, d=d), d)
            total = _ref_apply(lambda x, y: x + y, total, sq, d=d)
        return _ref_apply(lambda x: -0.5 * x, total, d=d)
    if op == "delta_out":
        error = _ref_apply(lambda t, o: t - o, a[1], a[0], d=d)
        return _ref_apply(mul, _ref_maybe(_ref_slope(a[0], d), d), error, d=d)
    if op == "delta_hidden":
        total = _ref_maybe(_ref_sum_of_products(list(zip(a[1::2], a[2::2], strict=True)), d), d)
        return _ref_apply(mul, _ref_maybe(_ref_slope(a[0], d), d), total, d=d)
    if op == "dw":
        alpha, o, delta = a
        return _ref_merge(
            _ref_apply(mul, _ref_maybe(_ref_apply(mul, alpha, o, d=d), d), delta, d=d)
            + _ref_apply(mul, alpha, _ref_maybe(_ref_apply(mul, o, delta, d=d), d), d=d)
            + _ref_apply(mul, _ref_maybe(_ref_apply(mul, alpha, delta, d=d), d), o, d=d), d)
    assert op == "add"
    return _ref_apply(lambda x, y: x + y, a[0], a[1], d=d)


def _ref_near(x, ivs, d):
    t = unit(d) * (1 + EPS) + EPSILON * max(1.0, abs(x))
    return any(lo - t <= x <= hi + t for lo, hi in ivs)


def _ref_held(v, computed, d):
    """A written value as written, or any honest value of its step that rounds to it."""
    t = stands_for(v, d) * (1 + EPS) + EPSILON * max(1.0, abs(v))
    inside = [(max(lo, v - t), min(hi, v + t)) for lo, hi in computed if lo <= v + t and hi >= v - t]
    return _ref_merge(inside + [(v, v)], d) if inside else [(v - t, v + t)]


def reference_grade(instance, answers, asked, ecf_credit=1.0):
    """grade() written the straightforward way (numeric derivatives, every band computed at
    the student's own values, no fast path through the bands of the exact values): the same
    verdicts, points, misconceptions and messages."""
    trace = solve(instance)
    d, u = instance.rounding, unit(instance.rounding)
    own = dict(trace.givens)
    stand = {g: given_stands_for(v, d) for g, v in trace.givens}
    held = {g: [(v - stand[g], v + stand[g])] for g, v in trace.givens}
    known = {k: a.value for k, a in answers.items() if k in trace and a.value is not None}
    wrong, roots_of, judged, matches = set(), {}, {}, {}
    diagnoser = Diagnoser(trace, known, d, stand)
    for q in trace.quantities:
        a = answers.get(q.id)
        own_args = [own[x] for x in q.args]
        stands = [stand[x] for x in q.args]
        from_own = compute(q.op, own_args)
        bad = [x for x in q.args if x in wrong]
        computed = _ref_step(q.op, [held[x] for x in q.args], d)
        if a is None or a.value is None:
            own[q.id] = from_own
            stand[q.id] = _ref_band(q.op, own_args, stands, d)
            held[q.id] = _ref_maybe(computed, d)
            if bad:
                wrong.add(q.id)
                roots_of[q.id] = frozenset().union(*(roots_of[x] for x in bad))
            judged[q.id] = ("unwritten", from_own, own_args, bad)
            continue
        v = own[q.id] = a.value
        # a written value stands for what a calculator could have held when it was written:
        # within |v - from_own| + (band - u) of v, and no more than half its last decimal
        inner = _ref_band(q.op, own_args, stands, d) - 1e-10 - EPSILON - u * (1 + EPS)
        stand[q.id] = min(stands_for(v, d), abs(v - from_own) + inner + EPSILON)
        held[q.id] = _ref_held(v, computed, d)
        near_own = _ref_near(v, computed, d)
        near_exact = _ref_near(v, _ref_step(q.op, [[(x, x)] for x in q.arg_values], d), d)
        kind = standing(near_exact=near_exact, args_right=not bad, near_own=near_own)
        judged[q.id] = (kind, from_own, own_args, bad)
        if kind != "right":
            wrong.add(q.id)
            up = frozenset().union(*(roots_of[x] for x in bad)) if bad else frozenset()
            roots_of[q.id] = up | {q.id} if kind == "root" else up
            if kind == "root":
                found = diagnoser.matches(q, v)
                if found:
                    matches[q.id] = found
    acts = {}
    for m in MISCONCEPTIONS.values():
        changed = changed_ids(instance, m, [x for x in trace.ids if x in asked])
        acting = [x for x in changed if diagnoser.changes(x, m)]
        hits = [x for x in acting if x in known and m in diagnoser.candidates(trace[x], known[x])]
        acts[m.id] = (len(acting), len(hits))
    explained = choose(named(matches, acts))
    roots, precision = {}, {}
    for qid, (kind, from_own, _, _) in judged.items():
        if kind != "root":
            continue
        q, v = trace[qid], own[qid]
        if qid in explained:
            roots[qid] = Root(qid, "explained")
            continue
        for k in (d - 1, d - 2):  # an honest value of the step worked at k decimals
            if k >= 0 and written_decimals(v) <= k and (
                    _ref_near(v, _ref_step(q.op, [held[x] for x in q.args], k), k)
                    or _ref_near(v, _ref_step(q.op, [[(x, x)] for x in q.arg_values], k), k)):
                precision[qid] = k
                break
        if qid in precision:
            roots[qid] = Root(qid, "precision")
        else:
            o = v if q.kind == "o" else OPS["sigmoid"].compute([v])
            own_o = from_own if q.kind == "o" else OPS["sigmoid"].compute([from_own])
            trivial = ""
            if q.kind in ("o", "p"):  # neutral: o (1 - o) rounds to 0.25 where the own one does not
                quarter = [abs(x * (1 - x) - 0.25) < u for x in (o, own_o)]
                trivial = "neutral" if quarter == [True, False] else ("flat" if abs(o * (1 - o)) < u else "")
            elif q.kind in ("delta", "dw") and abs(v) <= u < abs(from_own) - u:
                trivial = "tiny"
            roots[qid] = Root(qid, "slip", trivial)
    out = []
    for q in trace.quantities:
        if q.id not in asked:
            continue
        kind, from_own, own_args, bad = judged[q.id]
        a = answers.get(q.id)
        if a is not None and a.error is not None:
            out.append((q.id, "invalid", 0.0, None, _unreadable(a.error)))
        elif a is None or a.value is None:
            out.append((q.id, "missing", 0.0, None, "not answered"))
        else:
            held = [roots[r] for r in sorted(roots_of.get(q.id, ())) if r != q.id]
            x = a.value
            free = set()  # what a flattening (flat) or neutral slip makes free
            # about 0: 0 at the asked decimals, or a hundred times smaller than the right value
            tiny = lambda y, right: abs(y) <= u or abs(y) <= max(u, abs(right) / 100) < abs(right) - u  # noqa: E731
            if kind == "consequence" and (
                    (q.kind == "o" and abs(x * (1 - x)) < u) or (q.kind in ("delta", "dw") and abs(x) <= u)
                    or (q.kind == "new_w" and abs(x - own_args[0]) <= u)):
                free |= {"flat", "tiny"}
            if kind == "consequence" and (
                    (q.kind in ("delta", "dw") and tiny(x, q.value))
                    or (q.kind == "new_w" and tiny(x - own_args[0], q.arg_values[1]))):
                free.add("tiny")
            if kind == "consequence" and (
                    (q.kind == "o" and abs(x - 0.5) <= u)
                    or (q.op == "delta_out" and abs(own_args[0] - 0.5) <= u)
                    or (q.kind == "P" and all(abs(o - 0.5) <= u for o in own_args[1::2]))):
                free.add("neutral")
            v = verdict(kind, plausible(held, free, list(roots.values())))
            points = {"correct": 1.0, "carried-forward": ecf_credit}.get(v, 0.0)
            name = explained[q.id].id if v == "incorrect" and kind == "root" and q.id in explained else None
            out.append((q.id, v, points, name, kind, q.id in precision))
    return out


def _answer_sets(variant: Variant, rng: random.Random):
    """Exact, hand-rounded, one slip (consistent or not), each misconception, two mixed,
    trivial answers, and some unanswered and unreadable answers."""
    exact = {q.id: q.value for q in variant.trace().quantities}
    tol = tolerances(variant.trace())
    yield exact
    yield hand_worked(variant)
    for qid in rng.sample(variant.asked, 3):
        delta = rng.choice([-1, 1]) * tol[qid] * rng.choice([1.5, 4, 100])
        yield {**exact, qid: exact[qid] + delta}
        yield hand_worked(variant, override={qid: exact[qid] + delta})
    for m in MISCONCEPTIONS.values():
        yield hand_worked(variant, m.rules)
    a, b = (hand_worked(variant, m.rules) for m in rng.sample(list(MISCONCEPTIONS.values()), 2))
    yield {k: (a if rng.random() < 0.5 else b)[k] for k in a if k in b}
    yield hand_worked(variant, override={f"o_{variant.instance.final_layer[0]}": 1.0})
    yield {k: round(x, variant.instance.rounding - 1) for k, x in exact.items()}  # coarse
    m = rng.choice(list(MISCONCEPTIONS.values()))
    yield {k: v for k, v in hand_worked(variant, m.rules).items() if rng.random() < 0.6}


def _as_answers(values, asked, rng):
    answers = {k: Answer(k, v, v) for k, v in values.items()}
    for k in asked:
        if k not in values and rng.random() < 0.3:
            answers[k] = Answer(k, "foo(1)", None, "needs execution: calls foo()")
    return answers


def _same(report_items, reference):
    assert [i.id for i in report_items] == [r[0] for r in reference]
    for got, ref in zip(report_items, reference, strict=True):
        assert (got.verdict, got.points) == (ref[1], ref[2]), (got.id, got.message)
        if ref[1] in ("invalid", "missing"):
            assert got.message == ref[4]
            continue
        assert got.misconception == ref[3], (got.id, got.message)
        if ref[1] == "incorrect" and ref[4] == "root" and ref[3] is None:
            assert got.message.startswith("right to ") == ref[5], (got.id, got.message)


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_grade_equals_the_straightforward_reference(variant):
    """Does the grader give every item the verdict, points, misconception and kind of message
    of the straightforward reference, for many kinds of submission?"""
    rng = random.Random(variant.student + variant.family)
    for n, values in enumerate(_answer_sets(variant, rng)):
        asked = variant.asked if n % 3 else variant.asked[::2]
        answers = _as_answers(values, asked, rng)
        credit = (1.0, 0.5, 0.0)[n % 3]
        report = grade(variant.instance, answers, asked=asked, ecf_credit=credit,
                       trace=variant.trace() if n % 2 else None)
        _same(report.items, reference_grade(variant.instance, answers, set(asked), credit))


def test_make_item_is_item():
    """Is the fast constructor the dataclass's, field for field (and does it follow new fields)?"""
    import inspect
    from dataclasses import FrozenInstanceError

    values = ("p_A", "correct", 1.0, 1.0, "0.5", None, "", 0.5, 1e-4, "w * x", ("w", "x"), (1.0, 0.5),
              0.5, 0.5, "weighted_sum")
    assert list(inspect.signature(make_item).parameters) == [f.name for f in fields(Item)]
    fast, slow = make_item(*values), Item(*values)
    assert fast == slow and vars(fast) == vars(slow) and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    with pytest.raises(FrozenInstanceError):
        fast.verdict = "incorrect"  # type: ignore[misc]


def test_mutant_givens_are_the_solvers():
    """Are the givens the diagnosis derives for each misconception those the solver gives under its rules?"""
    for variant in VARIANTS:
        right = dict(variant.trace().givens)
        for m in MISCONCEPTIONS.values():
            assert mutant_givens(right, m.rules) == solver_givens(variant.instance, m.rules), \
                (variant.family, m.id)


def test_correct_items_made_lazily_are_the_items_made_at_once():
    """Is an item whose own values are computed when first read (a correct answer) the same
    item, field for field, in equality, hash and repr, as the one the plain version
    (correct_item_at_once) makes, and as Item(...) of the plain computation, whichever field
    is read first?"""
    from grader.report import correct_item, correct_item_at_once
    from grader.student_values import own_values

    variant = VARIANTS[0]
    trace = variant.trace()
    for first in ("expected", "tolerance", "formula", "args", "own_args", "from_own", "value", "op", None):
        values = hand_worked(variant)
        values[variant.asked[0]] += 1.0  # one slip: own values differ from the exact ones after it
        answers = answers_of(values, variant.asked)
        report = grade(variant.instance, answers, asked=variant.asked, trace=trace)
        own = own_values(trace, answers)
        # the tolerance, from a second grading of the same answers (every field read at once)
        tol = {i.id: i.tolerance for i in grade(variant.instance, answers, asked=variant.asked).items}
        lazy = [i for i in report.items if "_lazy" in vars(i)]
        assert lazy and all(i.verdict == "correct" for i in lazy)
        for i in lazy:
            q = trace[i.id]
            args = tuple(own[a] for a in q.args)
            assert unit(4) < tol[i.id] < 10 * unit(4)
            eager = Item(i.id, "correct", 1.0, 1.0, answers[i.id].given, None, "", q.value, tol[i.id],
                         q.formula, q.args, args, compute(q.op, list(args)), answers[i.id].value, q.op)
            step = (i.id, q.op, q.args, q.formula)
            made = [f(i.id, answers[i.id].given, q.value, lambda qid=i.id, tol=tol: tol[qid], step, own)
                    for f in (correct_item, correct_item_at_once)]
            if first is not None:
                getattr(i, first)
                getattr(made[0], first)
            for item in (i, *made):
                assert item == eager and hash(item) == hash(eager) and repr(item) == repr(eager)
                assert vars(item) == vars(eager)
    assert Item.own_args == () and Item.from_own is None and Item.op == ""
    with pytest.raises(AttributeError):
        Item.expected  # noqa: B018 (no default, as the dataclass left it)
