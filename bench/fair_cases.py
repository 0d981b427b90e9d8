"""Submissions that test a grading policy's fairness (issue 11): honest hand-rounded work,
consistent misconceptions, slips, coarse rounding and the exploits of carried-forward credit.

Everything here is built from the library's public pieces (the trace of :func:`grader.solver.solve`
under the right rules or a misconception's, its quantities' ops and argument ids) and never asks
the grader how it grades: these are the students, :mod:`fairness` (beside this file) is the
examiner. Every random choice takes an explicit ``random.Random``.

A student works through the derivation in order (:func:`hand_chain`). For each quantity they take
its arguments from what they have: a given value exactly; an earlier quantity as they wrote it
(rounded) or, at random, as their calculator still holds it (the unrounded result of their own
calculation). They compute it by hand (:func:`hand_op`), rounding sub-results at random: each
product of a weighted sum, ``exp(-p)``, ``o (1 - o)``, ``alpha * input``, ``o * delta`` (then
``alpha * round(o * delta)``), ``alpha * delta``, each square of ``P``. They write the result
rounded to the decimals (an asked quantity always; an unasked one, on scratch paper, at random).
Rounding is half-up on the decimal digits the calculator shows (``repr`` of the float).
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from grader.answers import Answer
from grader.ops import OPS
from grader.solver import Quantity, Trace

Values = dict[str, float]
#: (quantity, the value the student would write, their values so far by id) -> the value they write
Override = Callable[[Quantity, float, Mapping[str, float]], float]


def hand_round(x: float, decimals: int) -> float:
    """``x`` rounded half-up to ``decimals`` places, as read off a calculator's display (a
    number of 15 or more digits before the point has none after it to round). The display shows
    12 significant digits, so a product that floating point leaves a hair below a half
    (1.5 * -0.5 * 0.1026 = -0.07694999999999999) is seen, and rounded, as the half it is."""
    if not math.isfinite(x) or abs(x) >= 1e15:
        return x
    return float(Decimal(f"{x:.12g}").quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def unit(decimals: int) -> float:
    """One unit of the last decimal: 0.0001 at 4 decimals."""
    return 10.0 ** -decimals


def is_right(value: float, exact: float, decimals: int) -> bool:
    """Whether ``value`` is the right value at ``decimals`` places (the exact value rounded,
    either way at a tie)."""
    return abs(value - exact) <= 0.5 * unit(decimals) * (1 + 1e-9) + 1e-15


@dataclass(frozen=True)
class HandPolicy:
    """How often a hand calculation takes each liberty (probabilities from 0 to 1)."""

    #: a sub-result (a product of a weighted sum, exp(-p), o(1-o), alpha*input, ...) is rounded
    round_sub: float = 0.5
    #: an argument is the calculator's unrounded value rather than the written one
    use_full: float = 0.3
    #: an unasked quantity is written down rounded (on scratch paper)
    round_unasked: float = 0.7


#: every sub-result rounded, every argument as written, every quantity written rounded
ALL_ROUNDED = HandPolicy(round_sub=1.0, use_full=0.0, round_unasked=1.0)
#: no sub-result rounded, every argument as written, every quantity written rounded: each step
#: computed exactly from the written (rounded) earlier values, then rounded
PLAIN = HandPolicy(round_sub=0.0, use_full=0.0, round_unasked=1.0)


class _Hand:
    """One hand calculation's rounding of sub-results: ``r(x)`` rounds ``x`` or not, at random."""

    def __init__(self, decimals: int, rng: random.Random, p: float, dw_order: int | None = None) -> None:
        self.d = decimals
        self.rng = rng
        self.p = p
        self.dw_order = dw_order

    def r(self, x: float) -> float:
        if self.p >= 1.0 or (self.p > 0.0 and self.rng.random() < self.p):
            return hand_round(x, self.d)
        return x


def _products(h: _Hand, a: Sequence[float]) -> float:
    return math.fsum(h.r(w * v) for w, v in zip(a[0::2], a[1::2], strict=True))


def _sigmoid(h: _Hand, a: Sequence[float]) -> float:
    p = a[0]
    if p < -700:  # exp(-p) overflows: the calculator shows 0 for the output
        return 0.0
    return 1.0 / (1.0 + h.r(math.exp(-p)))


def _performance(h: _Hand, a: Sequence[float]) -> float:
    return -0.5 * math.fsum(h.r((d - o) ** 2) for d, o in zip(a[0::2], a[1::2], strict=True))


def _dw(h: _Hand, a: Sequence[float]) -> float:
    alpha, o, delta = a
    order = h.rng.randrange(4) if h.dw_order is None else h.dw_order
    if order == 0:  # (alpha * input) * delta
        return h.r(alpha * o) * delta
    if order == 1:  # alpha * (input * delta)
        return alpha * h.r(o * delta)
    if order == 2:  # (alpha * delta) * input
        return h.r(alpha * delta) * o
    return alpha * o * delta


def _slope(h: _Hand, x: float) -> float:
    return h.r(x * (1 - x))


#: each op of grader.ops as a hand calculation (same arguments, same order)
HAND_OPS: dict[str, Callable[[_Hand, Sequence[float]], float]] = {
    "weighted_sum": _products,
    "sigmoid": _sigmoid,
    "performance": _performance,
    "delta_out": lambda h, a: _slope(h, a[0]) * (a[1] - a[0]),
    "delta_out_flipped": lambda h, a: _slope(h, a[0]) * (a[0] - a[1]),
    "delta_out_noderiv": lambda h, a: a[1] - a[0],
    "delta_out_dp": lambda h, a: _slope(h, a[0]) * (a[2] - a[1]),
    "delta_hidden": lambda h, a: _slope(h, a[0]) * h.r(_products(h, a[1:])),
    "delta_hidden_noderiv": lambda h, a: _products(h, a[1:]),
    "delta_hidden_dp": lambda h, a: _slope(h, a[0]) * h.r(_products(h, a[2:])),
    "dw": _dw,
    "dw_noalpha": lambda h, a: a[0] * a[1],
    "add": lambda h, a: a[0] + a[1],
    "subtract": lambda h, a: a[0] - a[1],
    "copy": lambda h, a: a[0],
}


DW_ORDERS = ("(alpha * input) * delta", "alpha * (input * delta)", "(alpha * delta) * input",
             "alpha * input * delta")


def hand_op(op: str, args: Sequence[float], decimals: int, rng: random.Random,
            round_sub: float = 0.5, dw_order: int | None = None) -> float:
    """One step computed by hand from ``args``, sub-results rounded with probability ``round_sub``
    (the result itself is not rounded here); a dw in the order ``DW_ORDERS[dw_order]`` (at
    random when None)."""
    return HAND_OPS[op](_Hand(decimals, rng, round_sub, dw_order), args)


def _by_hand(trace: Trace, q: Quantity, args: Sequence[float], decimals: int) -> list[float]:
    """Every value of ``q`` computed by hand from ``args``: sub-results all rounded or none, dw in
    each order, the result kept or rounded."""
    rng = random.Random(0)
    out = set()
    for sub in (0.0, 1.0):
        for order in range(4):
            x = hand_op(q.op, args, decimals, rng, sub, order)
            out.update((x, hand_round(x, decimals)))
    return sorted(out)


def step_reach(trace: Trace, qid: str, decimals: int, asked: Iterable[str] | None = None) -> float:
    """How far from the exact value an honest student may write ``qid`` when every earlier
    answer they use is right (the exact value rounded; givens exact): the largest deviation of
    this step computed by hand (:func:`_by_hand`). An argument that is not asked (``asked``;
    None: every quantity is) the student computed by hand too, from right values: its smallest
    and largest such value are tried."""
    q = trace[qid]
    given = dict(trace.givens)
    asked = None if asked is None else set(asked)
    choices = []
    for a in q.args:
        if a in given:
            choices.append((given[a],))
        elif asked is None or a in asked:
            choices.append((hand_round(trace.value(a), decimals),))
        else:
            inner = trace[a]
            held = _by_hand(trace, inner, [given[b] if b in given else hand_round(trace.value(b), decimals)
                                           for b in inner.args], decimals)
            choices.append((held[0], held[-1]))
    return max(abs(hand_round(x, decimals) - q.value)
               for args in itertools.product(*choices) for x in _by_hand(trace, q, args, decimals))


@dataclass(frozen=True)
class Chain:
    """A student's worked derivation: every quantity as written (the asked ones rounded to
    ``decimals``), and as the calculator held it before writing."""

    written: Mapping[str, float]
    full: Mapping[str, float]
    decimals: int

    def answers(self, asked: Iterable[str]) -> dict[str, Answer]:
        """The asked quantities as the student hands them in (written with ``decimals`` places)."""
        return {qid: written_answer(qid, self.written[qid], self.decimals) for qid in asked}


def written_answer(qid: str, value: float, decimals: int) -> Answer:
    """An answer as written on paper: the number with ``decimals`` places."""
    text = f"{value:.{decimals}f}"
    return Answer(qid, text, float(text))


def hand_chain(trace: Trace, asked: Iterable[str], decimals: int, rng: random.Random,
               policy: HandPolicy = PLAIN, override: Override | None = None) -> Chain:
    """The derivation of ``trace`` (its rules: the right ones or a misconception's) worked by
    hand with ``policy`` (see the module docstring). ``override`` replaces the value the
    student would write for a quantity (a slip, an exploit); later steps use the replaced value."""
    asked = set(asked)
    given = dict(trace.givens)
    written: Values = {}
    full: Values = {}
    for q in trace.quantities:
        args = []
        for a in q.args:
            if a in given:
                args.append(given[a])
            elif policy.use_full > 0 and rng.random() < policy.use_full:
                args.append(full[a])
            else:
                args.append(written[a])
        v = full[q.id] = hand_op(q.op, args, decimals, rng, policy.round_sub)
        if q.id in asked or policy.round_unasked >= 1 or rng.random() < policy.round_unasked:
            v = hand_round(v, decimals)
        if override is not None:
            w = override(q, v, written)
            if w != v:
                v = full[q.id] = hand_round(w, decimals) if q.id in asked else w
        written[q.id] = v
    return Chain(written, full, decimals)


def exact_answers(trace: Trace, asked: Iterable[str], decimals: int) -> dict[str, Answer]:
    """The right answers: every asked quantity's exact value rounded to ``decimals``."""
    return {qid: written_answer(qid, hand_round(trace.value(qid), decimals), decimals) for qid in asked}


# --------------------------------------------------------------------------- exploits


def every_p_zero(q: Quantity, v: float, written: Mapping[str, float]) -> float:
    """The exploit "every p = 0" (then every o is 0.5 and every o(1-o) 0.25)."""
    return 0.0 if q.kind == "p" else v


def every_o_half(q: Quantity, v: float, written: Mapping[str, float]) -> float:
    """The exploit "every o = 0.5"; p follows from the student's own values (the first layer's
    is right, a later layer's follows from the earlier outputs of 0.5)."""
    return 0.5 if q.kind == "o" else v


def first_new_w_half(q: Quantity, v: float, written: Mapping[str, float]) -> float:
    """The exploit "every new weight of step 1 = 0.5" (steps 2 on follow from it)."""
    return 0.5 if q.kind == "new_w" and q.step == 1 else v


def every_o_a_unit_above_half(q: Quantity, v: float, written: Mapping[str, float]) -> float:
    """The exploit "every o = 0.5001" (at 4 decimals: o (1 - o) = 0.24999999 is still 0.25)."""
    return 0.5001 if q.kind == "o" else v


EXPLOITS: dict[str, Override] = {
    "every p = 0": every_p_zero,
    "every o = 0.5": every_o_half,
    "every o = 0.5001": every_o_a_unit_above_half,
    "step-1 new_w = 0.5": first_new_w_half,
}


# --------------------------------------------------------------------------- slips


SLIP_KINDS = ("digit swap", "sign", "factor", "shift")


#: (quantity, a slipped value, the student's values so far) -> whether a misconception gives it
Mimic = Callable[[Quantity, float, Mapping[str, float]], bool]


def slipped(value: float, decimals: int, rng: random.Random, kind: str | None = None) -> tuple[str, float]:
    """A plausible wrong value for ``value`` (written with ``decimals`` places), at least 5 units
    of the last decimal away from it: two adjacent digits swapped, the sign flipped, a factor of
    2, 1/2, 10 or 1/10, or 10 to 50 units added or taken away. Returns (kind, value)."""
    u = unit(decimals)
    for _ in range(100):
        k = kind or rng.choice(SLIP_KINDS)
        if k == "digit swap":
            text = f"{abs(value):.{decimals}f}"
            places = [i for i in range(len(text) - 1)
                      if text[i].isdigit() and text[i + 1].isdigit() and text[i] != text[i + 1]]
            if not places:
                continue
            i = rng.choice(places)
            swapped = text[:i] + text[i + 1] + text[i] + text[i + 2:]
            new = math.copysign(float(swapped), value) if value else float(swapped)
        elif k == "sign":
            new = -value
        elif k == "factor":
            new = value * rng.choice((2.0, 0.5, 10.0, 0.1))
        else:
            new = value + rng.choice((-1, 1)) * rng.randint(10, 50) * u
        new = hand_round(new, decimals)
        if abs(new - value) >= 5 * u * (1 - 1e-9):
            return k, new
    return "shift", hand_round(value + 25 * u, decimals)


def slip_override(qid: str, decimals: int, rng: random.Random, kind: str | None = None,
                  record: list[str] | None = None, mimics: Mimic | None = None) -> Override:
    """An override that slips on ``qid`` (see :func:`slipped`). A slipped value that ``mimics``
    a misconception (what one gives at this step from the student's values) is drawn again: such
    a slip is that misconception's answer, not a coincidence. ``record`` gets the slip's kind
    (``"mimic"`` for each value drawn again)."""

    def override(q: Quantity, v: float, written: Mapping[str, float]) -> float:
        if q.id != qid:
            return v
        for _ in range(50):
            k, new = slipped(v, decimals, rng, kind)
            if mimics is None or not mimics(q, new, written):
                break
            if record is not None:
                record.append("mimic")
        if record is not None:
            record.append(k)
        return new

    return override


def mutant_value(mutant: Trace, qid: str, values: Mapping[str, float]) -> float:
    """``qid`` as the derivation ``mutant`` (a misconception's) computes it from ``values`` (the
    student's values by id); an argument not among them follows ``mutant``'s rules from them."""
    given = dict(mutant.givens)
    cache: dict[str, float] = {}

    def value(a: str) -> float:
        if a in given:
            return given[a]
        if a in values:
            return values[a]
        if a not in cache:
            q = mutant[a]
            cache[a] = OPS[q.op].compute([value(x) for x in q.args])
        return cache[a]

    q = mutant[qid]
    return OPS[q.op].compute([value(x) for x in q.args])


def direct_ids(right: Trace, mutant: Trace) -> frozenset[str]:
    """The quantities whose step a misconception changes itself: another op or other arguments
    than the right derivation's, or the (flipped) constant bias input among the arguments."""
    flipped = dict(right.givens).get("bias") != dict(mutant.givens).get("bias")
    out = set()
    for q in mutant.quantities:
        if q.id not in right:
            continue
        r = right[q.id]
        if (r.op, r.args) != (q.op, q.args) or (flipped and "bias" in q.args):
            out.add(q.id)
    return frozenset(out)


def acting_ids(mutant: Trace, direct: frozenset[str], asked: Iterable[str]) -> frozenset[str]:
    """The quantities where a misconception shows itself: those it changes (``direct``) and
    those computed, through unasked quantities only, from one it changes (in xor, where dw is
    not asked, the missing-alpha dw shows first in new_w)."""
    asked = set(asked)
    hidden: set[str] = set()  # changed and not asked: the change travels on unseen
    out = set()
    for q in mutant.quantities:
        if q.id in direct or any(a in hidden for a in q.args):
            out.add(q.id)
            if q.id not in asked:
                hidden.add(q.id)
    return frozenset(out)
