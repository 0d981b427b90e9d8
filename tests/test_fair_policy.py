"""The fair grading policy, case by case: exploits earn little, honest work loses nothing.

Answers are built by an honest hand calculation written independently of the grader
(tests/honest.py: the decimal module, random rounding orders and rounded sub-results).
"""

from __future__ import annotations

import random

import pytest
from honest import honest_answers, rnd

from grader.answers import Answer
from grader.family import builtin_family_ids, load_family
from grader.generator import generate_variants
from grader.grading import grade
from grader.rules import MISCONCEPTIONS
from grader.solver import solve
from grader.validation import instance_from_dict

SECRET = b"fair-policy-test-secret"
VARIANTS = [v for fid in builtin_family_ids()
            for v in generate_variants(load_family(fid), [f"s{i}" for i in range(6)], SECRET, "fair")]
IDS = [f"{v.family}/{v.student}" for v in VARIANTS]


def run(v, values, asked=None):
    asked = v.asked if asked is None else asked
    return grade(v.instance, {k: Answer(k, values[k], values[k]) for k in asked}, asked=asked)


def unfair_share(v, report, values):
    """Credit earned on answers that are not the right value at the asked decimals."""
    trace = solve(v.instance)
    d = v.instance.rounding
    got = sum(i.points for i in report.items
              if i.points and abs(values[i.id] - trace[i.id].value) > 0.5001 * 10 ** -d)
    return got / len(report.items)


# --------------------------------------------------------------------------- exploits


@pytest.mark.parametrize("family", builtin_family_ids())
def test_every_p_zero_or_every_o_half_earns_little(family):
    """Every p = 0 (or every o = 0.5) with the rest consistent: at most 25% unfair credit on
    average over a family's variants. (One variant alone may earn more: where the right p_B
    is 0 and p_C follows from o_A, p_A = 0 is the only wrong value, and one slip keeps its
    carried-forward credit.)"""
    for kind, value in (("p", 0.0), ("o", 0.5)):
        shares = []
        for variant in (v for v in VARIANTS if v.family == family):
            trace = solve(variant.instance)
            override = {q.id: value for q in trace.quantities if q.kind == kind}
            if not any(q in variant.asked for q in override):
                continue
            values = honest_answers(variant.instance, random.Random(1), keep=0.0, override=override)
            shares.append(unfair_share(variant, run(variant, values), values))
        if shares:
            assert sum(shares) / len(shares) <= 0.25, (kind, shares)


def test_xor_step_one_weights_all_half_earn_little():
    for v in (v for v in VARIANTS if v.family == "xor"):
        trace = solve(v.instance)
        override = {q.id: 0.5 for q in trace.quantities if q.kind == "new_w" and q.step == 1}
        values = honest_answers(v.instance, random.Random(1), keep=0.0, override=override)
        report = run(v, values)
        assert sum(r.points for r in report.items if r.id in override) <= 2
        assert unfair_share(v, report, values) <= 0.1


def test_a_classmates_answers_earn_little():
    by_family: dict[str, list] = {}
    for v in VARIANTS:
        by_family.setdefault(v.family, []).append(v)
    for family, vs in by_family.items():
        shares = []
        for v, other in zip(vs, vs[1:] + vs[:1], strict=True):
            values = honest_answers(other.instance, random.Random(1), keep=0.0)
            shares.append(unfair_share(v, run(v, values), values))
        # per family, as the figure: a classmate whose variant differs from one's own in
        # a single given (chain: the same w_A_B and alpha) is one root, as a slip would be, and
        # earns what a slip's consequences earn; the batch flags such a file as a copy
        # (grader.batch.copies)
        assert sum(shares) / len(shares) <= 0.25, (family, shares)


def test_a_flat_final_output_earns_nothing_on_what_it_makes_free():
    """An output of 1.0 (o (1 - o) = 0) makes its delta and what follows only from it 0: those
    earn nothing; what still takes work (P, a hidden delta fed by another output) may be
    carried forward."""
    for v in VARIANTS[::5]:
        final = v.instance.final_layer[0]
        qid = f"o_{final}"
        if qid not in v.asked:
            continue
        values = honest_answers(v.instance, random.Random(1), keep=0.0, override={qid: 1.0})
        report = run(v, values)
        for i in report.items:
            if i.verdict == "carried-forward" and i.id.startswith(("delta", "dw")):
                assert abs(i.value) > 0.00005, (i.id, i.message)  # real work from another output
        assert any("trivial" in i.message for i in report.items)


# --------------------------------------------------------------------------- honest work


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_honest_hand_rounded_chains_are_all_correct(variant):
    """Random rounding orders, rounded sub-results, alpha * round(o * delta), values kept in
    the calculator: every item correct."""
    for k in range(25):
        values = honest_answers(variant.instance, random.Random(k))
        report = run(variant, values)
        assert [i.id for i in report.items if i.verdict != "correct"] == [], k


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_each_misconception_by_hand_keeps_carried_forward_credit(variant):
    """Each misconception applied consistently and rounded by hand: only the items where it
    acts are incorrect, and they are named; everything later is correct or carried forward."""
    for m in MISCONCEPTIONS.values():
        values = honest_answers(variant.instance, random.Random(3), rules=m.rules, keep=0.0)
        report = run(variant, values)
        denied = [i.id for i in report.items if i.verdict == "incorrect" and i.misconception is None
                  and not i.message.startswith("does not follow")]
        assert denied == [], (m.id, [report[d].message for d in denied])
        assert {i.misconception for i in report.items} <= {None, m.id}


def _net(alpha=1.0, decimals=4, **weights):
    return instance_from_dict({
        "alpha": alpha, "decimals": decimals, "inputs": ["x1"], "layers": [["A"], ["B"]],
        "weights": {"x1_A": 1.0, "A_B": 1.0, **weights},
        "samples": [{"inputs": {"x1": 1.0}, "desired": {"B": 1.0}}],
    })


def _grade(instance, values):
    ids = solve(instance).ids
    return grade(instance, {k: Answer(k, values[k], values[k]) for k in ids if k in values})


def test_derivative_of_p_with_p_exactly_one_keeps_its_credit():
    """p_A = 1 exactly: the derivative-of-p delta_A is 0 and every later item follows."""
    inst = _net(alpha=2.0)  # p_A = w_x1_A * x1 = 1
    values = honest_answers(inst, random.Random(0), rules=MISCONCEPTIONS["derivative-of-p"].rules, keep=0.0)
    assert values["delta_A"] == 0.0
    report = _grade(inst, values)
    assert report["delta_A"].misconception == "derivative-of-p"
    for qid in ("dw_x1_A", "new_w_x1_A"):
        assert report[qid].verdict in ("correct", "carried-forward"), report[qid].message


def test_a_delta_honestly_rounded_to_zero_keeps_everything_after_it():
    """At 2 decimals a hidden delta of 0.003 is written 0.00: later steps from it are right."""
    inst = _net(alpha=0.5, decimals=2, A_B=0.1)
    trace = solve(inst)
    assert abs(trace["delta_A"].value) < 0.005
    values = honest_answers(inst, random.Random(0), keep=0.0)
    assert values["delta_A"] == 0.0
    report = _grade(inst, values)
    assert report.all_correct, [(i.id, i.message) for i in report.items if i.verdict != "correct"]


def test_a_slip_that_makes_a_delta_cancel_costs_one_item():
    """A slip in w: the student's own numbers make delta_A 0; only the slip is lost."""
    inst = _net(alpha=0.5)
    values = honest_answers(inst, random.Random(0), keep=0.0, override={"new_w_A_B": 1.2345})
    report = _grade(inst, values)
    assert report.max_score - report.score == 1
    chain = instance_from_dict({
        "alpha": 0.5, "inputs": ["x1", "x2"], "layers": [["A"], ["B", "C"]],
        "weights": {"x1_A": 1.0, "x2_A": 0.5, "A_B": 1.0, "A_C": 1.0},
        "samples": [{"inputs": {"x1": 1.0, "x2": 1.0}, "desired": {"B": 1.0, "C": 0.0}}],
    })
    right = honest_answers(chain, random.Random(0), keep=0.0)
    # a slip in delta_C that makes w_A_B delta_B + w_A_C delta_C = 0
    slip = -right["delta_B"]
    values = honest_answers(chain, random.Random(0), keep=0.0, override={"delta_C": slip})
    assert values["delta_A"] == 0.0
    report = _grade(chain, values)
    assert report["delta_C"].verdict == "incorrect"
    assert report["delta_A"].verdict == "carried-forward"
    assert report.max_score - report.score == 1


@pytest.mark.parametrize("alpha", [5.0, 10.0])
def test_alpha_times_a_rounded_product_is_correct(alpha):
    inst = _net(alpha=alpha, x1_A=0.5, A_B=-1.0)
    trace = solve(inst)
    values = {q.id: rnd(q.value, 4) for q in trace.quantities}
    for q in trace.quantities:
        if q.kind == "dw":
            a, o, delta = (values.get(x, trace.value(x)) for x in q.args)
            values[q.id] = rnd(a * rnd(o * delta, 4), 4)
            w = q.id.replace("dw_", "w_")
            values[q.id.replace("dw_", "new_w_")] = rnd(trace.value(w) + values[q.id], 4)
    report = _grade(inst, values)
    assert report.all_correct, [(i.id, i.message) for i in report.items if i.verdict != "correct"]


# --------------------------------------------------------------------------- feedback and costs


def test_a_coarse_submission_is_told_its_precision():
    v = next(v for v in VARIANTS if v.family == "2-2-1-threshold")
    values = honest_answers(v.instance, random.Random(2), keep=0.0, decimals=2)
    report = run(v, values)
    told = [i for i in report.items if i.message.startswith("right to 2 decimals; 4 are asked")]
    assert len(told) >= len(report.items) // 4
    assert not any(i.message.startswith("does not follow") for i in report.items)
    # credit beyond the right answers: only carried forward from the coarse earlier answers
    # (or correct: a coarse answer that is exactly what the student's right earlier answers give,
    # such as p_C = -0.66 from outputs whose 2 decimals happen to be right at 4, exact -0.66005)
    fair = {i.id for i in report.items
            if i.verdict in ("carried-forward", "correct") and abs(i.value - i.from_own) <= 0.01}
    assert sum(i.points for i in report.items if i.points and i.id not in fair
               and abs(values[i.id] - i.expected) > 0.00005001) == 0


@pytest.mark.parametrize("variant", VARIANTS[::3], ids=IDS[::3])
def test_one_slip_costs_only_the_slipped_item_and_names_nothing(variant):
    rng = random.Random(variant.student + variant.family)
    right = honest_answers(variant.instance, random.Random(0), keep=0.0)
    full = run(variant, right).score
    for _ in range(8):
        qid = rng.choice(variant.asked)
        slip = rnd(right[qid] + rng.choice([-1, 1]) * rng.uniform(0.002, 0.3) * max(1.0, abs(right[qid])), 4)
        values = honest_answers(variant.instance, random.Random(0), keep=0.0, override={qid: slip})
        report = run(variant, values)
        assert full - report.score <= 1.0, (qid, [(i.id, i.message) for i in report.items if not i.points])
        assert [i.id for i in report.items if i.misconception] == [], qid


def test_two_unrelated_slips_are_both_carried_forward_where_they_meet():
    """p_A = 0.3 and o_B = 0.4 (a teacher takes a point for each and carries both forward); a
    third slip (delta_A) makes them carried forward one at a time."""
    inst = _net(alpha=0.5)
    values = honest_answers(inst, random.Random(0), keep=0.0, override={"p_A": 0.3, "o_B": 0.4})
    report = _grade(inst, values)
    assert report["o_A"].verdict == "carried-forward"  # one slip (p_A) behind it
    assert report["dw_A_B"].verdict == "carried-forward"  # o_A (from p_A) and delta_B (from o_B)
    assert report.max_score - report.score == 2
    values = honest_answers(inst, random.Random(0), keep=0.0,
                            override={"p_A": 0.3, "o_B": 0.4, "delta_A": 0.1})
    report = _grade(inst, values)
    assert report["dw_A_B"].verdict == "incorrect"
    assert "those rest on two wrong values that do not follow (o_B, p_A), and your work has 3" in \
        report["dw_A_B"].message


def test_the_readmes_worked_examples():
    """The Grading section's examples: p_C from written outputs is correct; after a slip in
    o_A it is carried forward."""
    inst = instance_from_dict({
        "alpha": 0.5, "inputs": ["x1", "x2"], "layers": [["A", "B"], ["C"]],
        "weights": {"x1_A": 1.0, "x2_A": 1.0, "x1_B": -1.0, "x2_B": 0.5, "A_C": 0.5, "B_C": -1.0},
        "samples": [{"inputs": {"x1": 1.0, "x2": 0.0}, "desired": {"C": 1.0}}],
    })

    def verdicts(values):
        report = grade(inst, {k: Answer(k, v, v) for k, v in values.items()}, asked=list(values))
        return {i.id: i.verdict for i in report.items}

    # p_C = 0.5 * 0.7311 - 1 * 0.2689 = 0.36555 - 0.2689 = 0.09665, written 0.0966
    assert verdicts({"o_A": 0.7311, "o_B": 0.2689, "p_C": 0.0966})["p_C"] == "correct"
    # 0.36555 rounded up gives 0.0967; nothing honest gives 0.0968
    assert verdicts({"o_A": 0.7311, "o_B": 0.2689, "p_C": 0.0967})["p_C"] == "correct"
    assert verdicts({"o_A": 0.7311, "o_B": 0.2689, "p_C": 0.0968})["p_C"] == "incorrect"
    # o_A = 0.8311 (a slip): p_C = 0.5 * 0.8311 - 0.2689 = 0.14665, written 0.1467
    got = verdicts({"o_A": 0.8311, "o_B": 0.2689, "p_C": 0.1467})
    assert (got["o_A"], got["p_C"]) == ("incorrect", "carried-forward")


# --------------------------------------------------------------------------- the honest values of a step


class _EveryRounding:
    """A "random" source for tests/honest.py that rounds every sub-result and every quantity,
    keeps no calculator digits, and works dw as alpha * round(input * delta)."""

    def random(self) -> float:
        return 0.0

    def randrange(self, n: int) -> int:
        return 2


def test_a_dw_two_units_off_is_refused():
    """dw_A_B = alpha * o_A * delta_B = 2 * 0.148 * 0.1315 = 0.038924 (exact 0.0389443): written
    0.0391, two units of the 4th decimal off, it is refused (the worst-case band of old, u plus
    |alpha delta_B| u + |alpha o_A| u plus alpha times a rounded o_A * delta_B, took it). The
    honest values from these numbers: 0.038924 (0.0389 written), 2 * round(0.019462) = 0.0390,
    and with the calculator's digits of o_A = 0.14804719 and delta_B, 0.03894 and 0.0390."""
    inst = _net(alpha=2.0, x1_A=-1.75, A_B=-0.75)
    trace = solve(inst)
    values = {q.id: rnd(q.value, 4) for q in trace.quantities}
    assert (values["o_A"], values["delta_B"], values["dw_A_B"]) == (0.148, 0.1315, 0.0389)
    for wrong in (0.0391, 0.0387):
        values["dw_A_B"] = wrong
        values["new_w_A_B"] = rnd(-0.75 + wrong, 4)
        report = _grade(inst, values)
        assert report["dw_A_B"].verdict == "incorrect", wrong
        assert report["new_w_A_B"].verdict == "carried-forward"


def test_a_student_who_mixes_calculator_digits_and_rounded_sub_results_is_correct():
    """o_A = sigmoid(-0.5) = 0.37754067 is written 0.3775; a student who keeps the calculator's
    digits of o_A and rounds o_A * delta_B before multiplying by alpha = 2 writes dw_A_B =
    2 * round(0.37754067 * 0.1188) = 2 * 0.0449 = 0.0898, which neither the written numbers (with
    or without rounded sub-results: 0.0896, 0.0897) nor the calculator's digits alone (0.0897) give."""
    inst = _net(alpha=2.0, x1_A=-0.5, A_B=0.25)
    trace = solve(inst)
    values = {q.id: rnd(q.value, 4) for q in trace.quantities}
    o_full, o, delta = trace.value("o_A"), values["o_A"], values["delta_B"]
    assert (o, delta) == (0.3775, 0.1188)
    mixed = rnd(2.0 * rnd(o_full * delta, 4), 4)
    written_only = {rnd(2.0 * o * delta, 4), rnd(rnd(2.0 * o, 4) * delta, 4), rnd(2.0 * rnd(o * delta, 4), 4),
                    rnd(rnd(2.0 * delta, 4) * o, 4)}
    assert mixed == 0.0898 and mixed not in written_only | {rnd(2.0 * o_full * delta, 4)}
    values["dw_A_B"] = mixed
    values["new_w_A_B"] = rnd(0.25 + mixed, 4)
    report = _grade(inst, values)
    assert report.all_correct, [(i.id, i.message) for i in report.items if i.verdict != "correct"]


def test_an_xor_step_worked_with_every_intermediate_rounded_is_correct():
    """xor asks o, delta and new_w; p and dw are not asked. A student who rounds every p, o, delta
    and dw, and every sub-result (o (1 - o), each w * delta, alpha * round(input * delta)), writes
    new weights up to a unit or more from the right ones: all correct."""
    moved = 0
    for v in [v for v in VARIANTS if v.family == "xor"]:
        values = honest_answers(v.instance, _EveryRounding(), keep=0.0)
        report = run(v, values)
        assert report.all_correct, [(i.id, i.message) for i in report.items if i.verdict != "correct"]
        trace = solve(v.instance)
        moved += sum(abs(values[q] - rnd(trace.value(q), 4)) >= 0.0001 - 1e-12 for q in v.asked)
    assert moved >= 10  # the rounding did move answers off the right ones
