"""The slips of the fairness bench (:mod:`fairness`): what honest slips cost.

- one slip (digit swap, sign, factor, 10 to 50 units) on a random asked item, the rest worked
  consistently by hand: points lost per slip (target at most 1.1); slips on which some
  misconception is named (target at most 1 in 10,000);
- one *neutral* slip: a random asked ``p`` written 0 or ``o`` written 0.5 where that is not the
  right value, the rest worked consistently by hand from it: points lost per slip, and points
  lost beyond the slip and what the 0.5 makes free (:func:`made_free`: an ``o`` of 0.5 from
  ``p = 0``, a final delta ``0.25 (d - 0.5)`` and a ``P`` of one output, which every variant
  shares; target at most 0.1, as the one slip's 1.1);
- two slips on two different random asked items of one submission (one chain of work), the
  rest consistent: points lost per slip (target at most 1.1, as for one), and the same among
  the pairs that meet (some asked item depends on both: ``p_A`` then ``p_B`` from it, or
  ``o_A`` and ``delta_C`` in ``dw_A_C``).

Every submission is graded by ``grader.grading.grade`` as it is imported from ``sys.path``.
"""

from __future__ import annotations

import inspect
import random
from collections.abc import Mapping, Sequence

import fair_cases as fc
from fair_table import Tally

from grader.answers import Answer
from grader.family import Family
from grader.generator import Variant
from grader.grading import grade
from grader.rules import MISCONCEPTIONS
from grader.solver import Quantity, Trace, solve

_TAKES_TRACE = "trace" in inspect.signature(grade).parameters


def grade_variant(variant: Variant, answers: Mapping[str, Answer], ecf_credit: float):
    """The grader's report on ``answers`` to ``variant`` (the one call into the policy)."""
    if _TAKES_TRACE:
        return grade(variant.instance, answers, asked=variant.asked, ecf_credit=ecf_credit,
                     trace=variant.exact)
    return grade(variant.instance, answers, asked=variant.asked, ecf_credit=ecf_credit)


def random_policy(rng: random.Random) -> fc.HandPolicy:
    """A student's habits: half the students round every sub-result (the largest honest
    deviations), the others each with a chance of their own; some keep calculator values."""
    return fc.HandPolicy(round_sub=rng.choice((1.0, rng.random())),
                         use_full=rng.choice((0.0, 0.5 * rng.random())),
                         round_unasked=rng.choice((1.0, rng.random())))


def mimicry(v: Variant) -> fc.Mimic:
    """Whether a slipped value is, within one unit of the last decimal, what some misconception
    gives at that step from the student's values (then it is that misconception's answer)."""
    mutants = [solve(v.instance, rules=m.rules) for m in MISCONCEPTIONS.values()]
    u = fc.unit(v.instance.rounding)

    def mimics(q, value: float, written: Mapping[str, float]) -> bool:
        for mutant in mutants:
            if q.id in mutant and abs(fc.mutant_value(mutant, q.id, written) - value) <= u * (1 + 1e-9):
                return True
        return False

    return mimics


def neutral_override(qid: str) -> fc.Override:
    """A neutral slip on ``qid``: its ``p`` written 0 or its ``o`` written 0.5 (then every later
    ``o (1 - o)`` of that neuron is 0.25); later steps follow from it."""

    def override(q: Quantity, v: float, written: Mapping[str, float]) -> float:
        if q.id != qid:
            return v
        return 0.0 if q.kind == "p" else 0.5

    return override


def combined(*overrides: fc.Override) -> fc.Override:
    """The overrides applied in turn (slips on several items of one chain)."""

    def override(q: Quantity, v: float, written: Mapping[str, float]) -> float:
        for o in overrides:
            v = o(q, v, written)
        return v

    return override


def _lost(tally: Tally, key: str, report, slips: int) -> None:
    r = tally.rate(key)
    r.total += slips
    r.hits += report.max_score - report.score


def slips(family: Family, variants: Sequence[Variant], tally: Tally, rng: random.Random, count: int) -> None:
    mimics = [mimicry(v) for v in variants]
    for _ in range(count):
        i = rng.randrange(len(variants))
        v = variants[i]
        qid = rng.choice(v.asked)
        kinds: list[str] = []
        override = fc.slip_override(qid, v.instance.rounding, rng, record=kinds, mimics=mimics[i])
        chain = fc.hand_chain(v.exact, v.asked, v.instance.rounding, rng, random_policy(rng), override)
        report = grade_variant(v, chain.answers(v.asked), family.ecf_credit)
        _lost(tally, "slip: points lost per slip", report, 1)
        named = tally.rate("slip: misconception named")
        named.total += 1
        named.hits += any(i.misconception for i in report.items)
        tally.notes["slips drawn again (a misconception's value)"] += kinds.count("mimic")


def neutral_slips(family: Family, variants: Sequence[Variant], tally: Tally, rng: random.Random,
                  count: int) -> None:
    """One asked ``p`` written 0 or ``o`` written 0.5 (where that is not the right value at the
    asked decimals), the rest consistent from it."""
    choices = []
    for v in variants:
        d = v.instance.rounding
        for qid in v.asked:
            q = v.exact[qid]
            neutral = {"p": 0.0, "o": 0.5}.get(q.kind)
            if neutral is not None and not fc.is_right(neutral, q.value, d):
                choices.append((v, qid))
    if not choices:
        return
    finals = {v.student: {f"o_{n}" for n in v.instance.final_layer} for v in variants}
    for _ in range(count):
        v, qid = rng.choice(choices)
        override = neutral_override(qid)
        chain = fc.hand_chain(v.exact, v.asked, v.instance.rounding, rng, random_policy(rng), override)
        report = grade_variant(v, chain.answers(v.asked), family.ecf_credit)
        _lost(tally, "neutral slip: points lost per slip", report, 1)
        beyond = tally.rate("neutral slip: points lost beyond the slip and what it makes free")
        beyond.total += 1
        beyond.hits += report.max_score - report.score - 1 - len(made_free(v, qid))
        kind = v.exact[qid].kind
        where = "p" if kind == "p" else "final o" if v.exact[qid].base in finals[v.student] else "hidden o"
        _lost(tally, f"neutral slip, points lost: {where}", report, 1)


def made_free(v: Variant, qid: str) -> set[str]:
    """The asked items a neutral slip on ``qid`` (a ``p`` or ``o``) makes free, numbers the same in
    every variant: the neuron's ``o`` of 0.5 after ``p = 0``; a final neuron's delta
    ``0.25 (d - 0.5)``; ``P`` when that neuron is the only output."""
    q = v.exact[qid]
    finals = v.instance.final_layer
    same = [x for x in v.exact.quantities if x.step == q.step]
    out = set()
    if q.kind == "p":
        out |= {x.id for x in same if x.kind == "o" and x.subject == q.subject}
    if q.subject in finals:
        out |= {x.id for x in same if x.kind == "delta" and x.subject == q.subject}
        if len(finals) == 1:
            out |= {x.id for x in same if x.kind == "P"}
    return out & set(v.asked)


def _descendants(trace: Trace) -> dict[str, frozenset[str]]:
    """Every quantity's id with the ids computed from it (itself included)."""
    out: dict[str, set[str]] = {}
    for q in reversed(trace.quantities):
        below = {q.id}
        for later in trace.quantities:
            if q.id in later.args:
                below |= out[later.id]
        out[q.id] = below
    return {k: frozenset(v) for k, v in out.items()}


def two_slips(family: Family, variants: Sequence[Variant], tally: Tally, rng: random.Random,
              count: int) -> None:
    """Slips on two different asked items of one submission, the rest consistent from them."""
    mimics = [mimicry(v) for v in variants]
    below = [_descendants(v.exact) for v in variants]
    for _ in range(count):
        i = rng.randrange(len(variants))
        v = variants[i]
        if len(v.asked) < 2:
            continue
        first, second = rng.sample(list(v.asked), 2)
        d = v.instance.rounding
        override = combined(fc.slip_override(first, d, rng, mimics=mimics[i]),
                               fc.slip_override(second, d, rng, mimics=mimics[i]))
        chain = fc.hand_chain(v.exact, v.asked, d, rng, random_policy(rng), override)
        report = grade_variant(v, chain.answers(v.asked), family.ecf_credit)
        _lost(tally, "two slips: points lost per slip", report, 2)
        meet = below[i][first] & below[i][second] & set(v.asked)
        if meet:
            _lost(tally, "two slips: points lost per slip, where they meet", report, 2)
