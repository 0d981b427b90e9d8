"""The fairness bench's simulated students (bench/fair_cases.py) and its figures (bench/fairness.py).

These check the builders, not the grading policy: an honest hand-rounded chain really is what a
student with a calculator writes (recomputed here with the decimal module), an exploit really
sets what it says and computes the rest consistently, a slip is a plausible wrong value. The
targets of issue 11 are the bench's output, not asserted here.
"""

from __future__ import annotations

import random
import sys
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path.append(str(Path(__file__).resolve().parent.parent / "bench"))

import fair_cases as fc  # noqa: E402
import fair_exploits  # noqa: E402
import fair_slips  # noqa: E402
import fair_table  # noqa: E402
import fairness  # noqa: E402

from grader.family import builtin_family_ids, load_family
from grader.generator import Variant, generate_variants  # noqa: E402
from grader.rules import MISCONCEPTIONS  # noqa: E402
from grader.solver import solve  # noqa: E402

FAMILIES = builtin_family_ids()


def variants(family: str, n: int = 3) -> tuple[Variant, ...]:
    return generate_variants(load_family(family), [f"t{i}" for i in range(n)], b"test-secret", "fair-test")


def D(x: float) -> Decimal:
    return Decimal(repr(x))


def R(x: Decimal, d: int) -> Decimal:
    return x.quantize(Decimal(1).scaleb(-d), rounding=ROUND_HALF_UP)


def sigmoid(p: Decimal, e: Decimal | None = None) -> Decimal:
    return 1 / (1 + ((-p).exp() if e is None else e))


def test_hand_round_is_half_up_on_the_displayed_digits():
    """Does the student's rounding round 5 up, as on paper, where Python's round() does not?"""
    assert round(2.675, 2) == 2.67  # the float below 2.675
    assert fc.hand_round(2.675, 2) == 2.68
    assert fc.hand_round(0.00005, 4) == 0.0001
    assert fc.hand_round(-0.00005, 4) == -0.0001
    assert fc.hand_round(0.1234499, 4) == 0.1234


def chain_by_decimal(v: Variant, every_sub: bool) -> dict[str, Decimal] | list[dict[str, Decimal]]:
    """The chain family worked by hand with the decimal module, from the instance alone.

    ``every_sub`` False: each quantity exactly from the written (rounded) earlier ones, then
    rounded. True: every sub-result rounded too (exp(-p), the product w * o, o (1 - o), the
    square of P, w * delta); dw in each of the four orders, so a list of four results."""
    inst = v.instance
    d = inst.rounding
    w1, w2 = D(inst.weight("x1", "A")), D(inst.weight("A", "B"))
    x1 = D(inst.samples[0].inputs[0][1])
    dB = D(inst.samples[0].desired[0][1])
    alpha = D(inst.alpha)

    def r(x: Decimal) -> Decimal:
        return R(x, d) if every_sub else x

    with localcontext() as ctx:
        ctx.prec = 60
        p_A = R(r(w1 * x1), d)
        o_A = R(sigmoid(p_A, r((-p_A).exp())), d)
        p_B = R(r(w2 * o_A), d)
        o_B = R(sigmoid(p_B, r((-p_B).exp())), d)
        P = R(Decimal("-0.5") * r((dB - o_B) ** 2), d)
        delta_B = R(r(o_B * (1 - o_B)) * (dB - o_B), d)
        delta_A = R(r(o_A * (1 - o_A)) * r(r(w2 * delta_B)), d)
        common = {"p_A": p_A, "o_A": o_A, "p_B": p_B, "o_B": o_B, "P": P, "delta_B": delta_B,
                  "delta_A": delta_A}

        def updates(order: int) -> dict[str, Decimal]:
            out = {}
            for key, w, o, delta in (("x1_A", w1, x1, delta_A), ("A_B", w2, o_A, delta_B)):
                dw = R([r(alpha * o) * delta, alpha * r(o * delta), r(alpha * delta) * o,
                        alpha * o * delta][order], d)
                out[f"dw_{key}"] = dw
                out[f"new_w_{key}"] = R(w + dw, d)
            return out

        if not every_sub:
            return common | updates(3)
        return [common | updates(k) for k in range(4)]


@pytest.mark.parametrize("v", variants("chain", 6), ids=lambda v: v.student)
def test_a_plain_hand_chain_is_the_decimal_hand_calculation(v):
    """Is every value of a plain chain exactly what the decimal module gives for "each step from
    the written earlier values, then rounded half-up"?"""
    chain = fc.hand_chain(v.exact, v.asked, v.instance.rounding, random.Random(0), fc.PLAIN)
    expected = chain_by_decimal(v, every_sub=False)
    assert set(expected) == set(chain.written)
    for qid, x in expected.items():
        assert chain.written[qid] == float(x), qid


@pytest.mark.parametrize("v", variants("chain", 6), ids=lambda v: v.student)
def test_a_chain_rounding_every_sub_result_is_the_decimal_hand_calculation(v):
    """With every sub-result rounded, is each value the decimal module's (dw in one of the four
    orders a student may take: (alpha x) delta, alpha (x delta), (alpha delta) x, alpha x delta)?"""
    for seed in range(4):
        chain = fc.hand_chain(v.exact, v.asked, v.instance.rounding, random.Random(seed), fc.ALL_ROUNDED)
        options = chain_by_decimal(v, every_sub=True)
        for qid in chain.written:
            assert chain.written[qid] in {float(o[qid]) for o in options}, qid


@pytest.mark.parametrize("family", FAMILIES)
def test_honest_chains_write_every_answer_with_the_asked_decimals(family):
    """Does every answer of a random honest chain have exactly the asked decimals, and is it
    within a few units of the exact value (an honest calculation, not a wild one)?"""
    rng = random.Random(family)
    for v in variants(family, 2):
        d = v.instance.rounding
        for _ in range(5):
            chain = fc.hand_chain(v.exact, v.asked, d, rng, fairness.random_policy(rng))
            for qid, a in chain.answers(v.asked).items():
                assert isinstance(a.given, str) and len(a.given.split(".")[1]) == d, (qid, a.given)
                assert a.value == fc.hand_round(a.value, d) == float(a.given)
                assert abs(a.value - v.exact.value(qid)) < 200 * fc.unit(d), qid


def consistent(v: Variant, chain: fc.Chain, rules_trace=None, skip=lambda q: False) -> None:
    """Every quantity not skipped is its rule applied to the written earlier values, rounded."""
    trace = rules_trace or v.exact
    values = dict(trace.givens) | dict(chain.written)
    for q in trace.quantities:
        if not skip(q):
            assert chain.written[q.id] == fc.hand_round(q.recompute(values), chain.decimals), q.id


@pytest.mark.parametrize("family", FAMILIES)
def test_the_p_exploit_sets_every_p_to_0_and_computes_the_rest_from_it(family):
    for v in variants(family, 2):
        chain = fc.hand_chain(v.exact, v.asked, v.instance.rounding, random.Random(1), fc.PLAIN,
                              fc.every_p_zero)
        ps = [q for q in v.exact.quantities if q.kind == "p"]
        assert ps and all(chain.written[q.id] == 0.0 for q in ps)
        assert all(chain.written[q.id] == 0.5 for q in v.exact.quantities if q.kind == "o")
        consistent(v, chain, skip=lambda q: q.kind == "p")


@pytest.mark.parametrize("family", FAMILIES)
def test_the_o_exploit_sets_every_o_to_one_half_and_computes_the_rest_from_it(family):
    for v in variants(family, 2):
        chain = fc.hand_chain(v.exact, v.asked, v.instance.rounding, random.Random(1), fc.PLAIN,
                              fc.every_o_half)
        assert all(chain.written[q.id] == 0.5 for q in v.exact.quantities if q.kind == "o")
        consistent(v, chain, skip=lambda q: q.kind == "o")
        first = [q for q in v.exact.quantities if q.kind == "p" and q.step == 1][0]
        assert chain.written[first.id] == fc.hand_round(v.exact.value(first.id), v.instance.rounding)


def test_the_new_weight_exploit_sets_step_1_and_follows_from_it_in_xor():
    v = variants("xor", 1)[0]
    chain = fc.hand_chain(v.exact, v.asked, 4, random.Random(1), fc.PLAIN, fc.first_new_w_half)
    step1 = [q for q in v.exact.quantities if q.kind == "new_w" and q.step == 1]
    assert len(step1) == 9 and all(chain.written[q.id] == 0.5 for q in step1)
    consistent(v, chain, skip=lambda q: q in step1)
    # step 2 starts from the weights 0.5: p_A_step2 = 0.5 * x1 + 0.5 * x2 - 0.5 (threshold -1)
    inputs = dict(v.instance.sample_of_step(2).inputs)
    assert chain.written["p_A_step2"] == 0.5 * inputs["x1"] + 0.5 * inputs["x2"] - 0.5


@pytest.mark.parametrize("family", FAMILIES)
def test_the_exploits_built_for_a_trace_set_what_they_say_and_compute_the_rest_from_it(family):
    """Every o = 0.5001; every step-1 final output next to its target (0.999 for 1, 0.001 for 0);
    every step-1 final delta 0.0001 with its sign."""
    for v in variants(family, 2):
        givens = dict(v.exact.givens)
        finals = frozenset(q for q in v.exact.quantities
                           if q.kind == "o" and q.step == 1 and f"d_{q.subject}" in givens)
        assert finals
        chain = fc.hand_chain(v.exact, v.asked, 4, random.Random(1), fc.PLAIN, fc.every_o_a_unit_above_half)
        assert all(chain.written[q.id] == 0.5001 for q in v.exact.quantities if q.kind == "o")
        consistent(v, chain, skip=lambda q: q.kind == "o")
        chain = fc.hand_chain(v.exact, v.asked, 4, random.Random(1), fc.PLAIN,
                              fair_exploits.outputs_next_to_targets(v.exact))
        for q in finals:
            assert chain.written[q.id] == (0.999 if givens[f"d_{q.subject}"] == 1.0 else 0.001)
        consistent(v, chain, skip=lambda q, finals=finals: q in finals)
        chain = fc.hand_chain(v.exact, v.asked, 4, random.Random(1), fc.PLAIN,
                              fair_exploits.tiny_final_deltas(v.exact))
        deltas = [q for q in v.exact.quantities if q.kind == "delta" and q.step == 1 and q.op == "delta_out"]
        assert deltas and all(abs(chain.written[q.id]) == 0.0001 for q in deltas)
        assert all((chain.written[q.id] > 0) == (q.value > 0) for q in deltas)
        consistent(v, chain, skip=lambda q, deltas=deltas: q in deltas)


def test_a_neutral_slip_and_two_slips_set_what_they_say():
    v = variants("chain", 1)[0]
    chain = fc.hand_chain(v.exact, v.asked, 4, random.Random(1), fc.PLAIN, fair_slips.neutral_override("p_A"))
    assert (chain.written["p_A"], chain.written["o_A"]) == (0.0, 0.5)
    consistent(v, chain, skip=lambda q: q.id == "p_A")
    chain = fc.hand_chain(v.exact, v.asked, 4, random.Random(1), fc.PLAIN, fair_slips.neutral_override("o_B"))
    assert chain.written["o_B"] == 0.5
    consistent(v, chain, skip=lambda q: q.id == "o_B")
    rng = random.Random(2)
    right = fc.hand_chain(v.exact, v.asked, 4, rng, fc.PLAIN)
    both = fair_slips.combined(fc.slip_override("p_A", 4, rng), fc.slip_override("delta_B", 4, rng))
    chain = fc.hand_chain(v.exact, v.asked, 4, rng, fc.PLAIN, both)
    assert chain.written["p_A"] != right.written["p_A"]
    consistent(v, chain, skip=lambda q: q.id in ("p_A", "delta_B"))
    assert abs(chain.written["delta_B"] - fc.hand_round(v.exact["delta_B"].recompute(
        dict(v.exact.givens) | dict(chain.written)), 4)) >= 5e-4 * (1 - 1e-9)
    free = fair_slips.made_free(v, "p_B")
    assert free == {"o_B", "delta_B", "P"} & set(v.asked)


def test_a_coarse_chain_has_one_decimal_fewer_and_follows_from_itself():
    for v in variants("2-2-2-1", 2):
        d = v.instance.rounding
        chain = fc.hand_chain(v.exact, v.asked, d - 1, random.Random(2), fc.PLAIN)
        assert all(len(a.given.split(".")[1]) == d - 1 for a in chain.answers(v.asked).values())
        consistent(v, chain)


@pytest.mark.parametrize("kind", fc.SLIP_KINDS)
def test_a_slip_is_a_plausible_wrong_value_and_the_rest_follows_from_it(kind):
    rng = random.Random(kind)
    for v in variants("2-2-1", 3):
        d = v.instance.rounding
        for qid in v.asked:
            record: list[str] = []
            override = fc.slip_override(qid, d, rng, kind, record)
            chain = fc.hand_chain(v.exact, v.asked, d, rng, fc.PLAIN, override)
            honest = fc.hand_chain(v.exact, v.asked, d, rng, fc.PLAIN)
            before, after = honest.written[qid], chain.written[qid]
            assert abs(after - before) >= 5 * fc.unit(d) * (1 - 1e-9)
            assert after == fc.hand_round(after, d)
            if record == ["digit swap"]:
                assert sorted(f"{abs(after):.{d}f}") == sorted(f"{abs(before):.{d}f}")
            elif record == ["sign"]:
                assert after == -before
            consistent(v, chain, skip=lambda q, qid=qid: q.id == qid)


def test_a_slip_that_is_a_misconceptions_answer_is_recognised():
    """A sign slip on the final delta is the sign-flip misconception's answer: mimicry says so
    (the bench draws it again); a 25-unit shift of an output is no misconception's."""
    v = variants("2-2-1", 1)[0]
    chain = fc.hand_chain(v.exact, v.asked, 4, random.Random(3), fc.PLAIN)
    mimics = fairness.mimicry(v)
    q = v.exact["delta_C"]
    assert mimics(q, -chain.written["delta_C"], chain.written)
    assert not mimics(v.exact["o_C"], chain.written["o_C"] + 25e-4, chain.written)


@pytest.mark.parametrize("m", list(MISCONCEPTIONS), ids=str)
def test_a_misconception_chain_follows_the_mutant_rules(m):
    v = variants("2-2-2-bias", 1)[0]
    mutant = solve(v.instance, rules=MISCONCEPTIONS[m].rules)
    chain = fc.hand_chain(mutant, v.asked, 4, random.Random(4), fc.PLAIN)
    consistent(v, chain, rules_trace=mutant)
    direct = fc.direct_ids(v.exact, mutant)
    assert direct  # every misconception changes something in a 2-2-2 net with bias weights
    if m == "sign-flip":
        for n in ("C", "D"):
            o, d = chain.written[f"o_{n}"], dict(v.instance.samples[0].desired)[n]
            assert chain.written[f"delta_{n}"] == fc.hand_round(o * (1 - o) * (o - d), 4)


def test_where_a_misconception_acts_includes_the_first_asked_quantity_after_a_hidden_one():
    """In xor dw is not asked: missing-alpha changes every dw and shows first in new_w."""
    v = variants("xor", 1)[0]
    mutant = solve(v.instance, rules=MISCONCEPTIONS["missing-alpha"].rules)
    direct = fc.direct_ids(v.exact, mutant)
    assert direct == {q.id for q in v.exact.quantities if q.kind == "dw"}
    acting = fc.acting_ids(mutant, direct, v.asked)
    assert {q.id for q in v.exact.quantities if q.kind == "new_w" and q.step == 1} <= acting
    assert "o_A" not in acting and "delta_C" not in acting


def test_a_misconception_that_has_nothing_to_change_changes_nothing():
    v = variants("chain", 1)[0]
    for m in ("bias-input", "missing-sum"):
        assert fc.direct_ids(v.exact, solve(v.instance, rules=MISCONCEPTIONS[m].rules)) == frozenset()


def test_credit_on_right_answers_is_not_counted_as_unfair():
    v = variants("chain", 1)[0]
    d = v.instance.rounding
    answers = fc.exact_answers(v.exact, v.asked, d)
    wrong = v.asked[3]
    answers[wrong] = fc.written_answer(wrong, answers[wrong].value + 0.1, d)
    report = SimpleNamespace(items=[SimpleNamespace(id=q, points=1.0, max_points=1.0) for q in v.asked])
    share = fairness.unfair_share(report, answers, v)
    assert (share.unfair, share.points, share.max_points) == (1.0, len(v.asked), len(v.asked))
    assert fairness.unfair_share(report, answers, v, fair=lambda q: q == wrong).unfair == 0.0


def test_the_bench_runs_and_prints_a_row_per_figure():
    lines: list[str] = []
    settings = fairness.Settings(variants=2, sampled=3, seed=1, honest_items=200, slips=20, students=5,
                                 chains=1)
    tallies = fairness.run(["chain", "xor"], settings, out=lines.append)
    assert [line.split(":")[0] for line in lines] == ["chain", "xor"]
    table = fair_table.table(tallies)
    assert len(table) == len(fair_table.ROWS) + 2
    assert "n/a" in next(line for line in table if "step-1 new_w" in line)  # chain has one step
    for t in tallies.values():
        assert t.rates["honest: marked wrong"].total >= 200
        assert t.rates["slip: points lost per slip"].total == 20
        assert t.rates["variants with free answers"].total == 5
        for s in t.shares.values():
            assert 0 <= s.unfair <= s.points <= s.max_points
    denied = fair_table.details(tallies, "later items denied", "count")
    rows = [line.split()[0] for line in denied[1:]]
    # a row per misconception that changes something in chain or xor (missing-sum changes nothing:
    # every hidden neuron there feeds one neuron)
    assert set(rows) == set(MISCONCEPTIONS) - {"missing-sum"}
    assert set(fair_table.figures(tallies)) == {row.key for row in fair_table.ROWS}


def test_an_honest_steps_reach_is_its_own_rounding_for_exact_givens_and_scales_with_alpha():
    """A first-layer p of exact givens may be off by its rounding only; a dw of a hidden output
    may be off by alpha times the rounding of o * delta (alpha * round(o * delta))."""
    for v in variants("chain3", 4):
        d = v.instance.rounding
        p = v.exact.value("p_A")
        assert fc.step_reach(v.exact, "p_A", d) == abs(fc.hand_round(p, d) - p) <= 0.5e-4
        alpha, o, delta = (fc.hand_round(v.exact.value(a), d) if a != "alpha" else v.instance.alpha
                           for a in v.exact["dw_A_B"].args)
        by_hand = fc.hand_round(alpha * fc.hand_round(o * delta, d), d)
        reach = fc.step_reach(v.exact, "dw_A_B", d)
        assert reach >= abs(by_hand - v.exact.value("dw_A_B"))
        assert reach <= (alpha * 0.5 + 0.5) * 1e-4 + abs(alpha) * (abs(o - v.exact.value("o_A")) + abs(
            delta - v.exact.value("delta_B"))) + 1e-12


def test_an_unasked_argument_widens_the_reach_in_xor():
    """In xor dw is not asked: new_w = w + dw takes the student's own dw, worked by hand."""
    pairs = [(fc.step_reach(v.exact, "new_w_A_C", 4, v.asked), fc.step_reach(v.exact, "new_w_A_C", 4))
             for v in variants("xor", 6)]
    assert all(unasked >= asked for unasked, asked in pairs)
    assert any(unasked > asked for unasked, asked in pairs)  # where rounding dw by hand can move it
