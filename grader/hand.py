"""What an honest hand calculation of one step can write: its values, as a small set.

An honest student computes a step ``q = f(a_1, ..., a_n)`` from the numbers they hold: a given
exactly; an earlier answer as they wrote it, or as their calculator still holds it (unrounded:
any value their own honest computation of that step gave that rounds to what they wrote); a
quantity they did not write (xor's ``p`` and ``dw``) as they computed it, rounded or not. Along
the way they may round any of the sub-results a hand calculation writes down (each product of a
weighted sum, ``exp(-p)``, ``o (1 - o)``, each ``w * delta`` of a hidden delta and their sum,
each ``(d - o)^2``, and ``alpha * input``, ``input * delta`` or ``alpha * delta`` of a ``dw``),
each independently, and they may mix (keep one argument's calculator digits, round a sub-result
before multiplying by alpha). The answer is the result rounded to ``d`` decimals.

Every one of those choices gives one value, so the honest values of a step are a *set*, not an
interval: :func:`step_values` computes it from the sets its arguments may take (each a few
points, or a short interval where nothing is known but that the value rounds to what was
written), enumerating every choice. Rounding a sub-result maps an argument's latitude onto the
grid of ``d`` decimals, so ``alpha * round(o * delta)`` with alpha 2 takes the even units only,
not everything in between. An answer is honest (:func:`near`) when it lies within one rounding
(``u (1 + EPS)``) of a value of the set.

A set is a sorted tuple of disjoint closed intervals ``(lo, hi)`` (a point is ``(x, x)``). To
keep it small, values closer than ``u / 64`` are merged, and a set of more than :data:`CAP`
intervals has its closest neighbours merged: merging only adds values, so an honest value is
never lost, and the set stays far narrower than the worst-case band of
:mod:`grader.tolerance`. Every interval operation is exact (products at the corners, monotone
functions at the ends, ``x (1 - x)`` with its top at 0.5): the first- and second-order terms of
the band are not needed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from .tolerance import EPS, EPSILON, unit

if TYPE_CHECKING:
    from .solver import Trace

Interval = tuple[float, float]
Values = tuple[Interval, ...]

#: the most intervals a set keeps (its closest neighbours are merged beyond)
CAP = 16
#: the most grid points a rounded interval keeps apart (beyond, one interval from the first to the last)
GRID = 6
#: how close to a half a value rounds either way (in units of the last decimal): the student
#: reads 12 digits off the calculator, floating point may leave a hair on either side
TIE = 1e-6


def point(x: float) -> Values:
    return ((x, x),)


def around(x: float, s: float) -> Values:
    """Every value within ``s`` of ``x``."""
    return ((x - s, x + s),)


def merged(intervals: Iterable[Interval], decimals: int) -> Values:
    """The intervals as a set: sorted, overlapping (or closer than ``u / 64``) ones merged, at
    most :data:`CAP` (the closest neighbours merged first)."""
    ivs = sorted(intervals)
    if len(ivs) < 2:
        return tuple(ivs)
    gap = unit(decimals) / 64
    out = [ivs[0]]
    for lo, hi in ivs[1:]:
        last_lo, last_hi = out[-1]
        if lo <= last_hi + gap:
            if hi > last_hi:
                out[-1] = (last_lo, hi)
        else:
            out.append((lo, hi))
    if len(out) > CAP:
        gaps = sorted(out[i + 1][0] - out[i][1] for i in range(len(out) - 1))
        limit = gaps[len(out) - CAP - 1]
        kept = [out[0]]
        for lo, hi in out[1:]:
            if lo - kept[-1][1] <= limit:
                kept[-1] = (kept[-1][0], hi)
            else:
                kept.append((lo, hi))
        out = kept
    return tuple(out)


def rounded(values: Values, decimals: int) -> Values:
    """Every value a rounding to ``decimals`` places of a value of the set can give (at a half,
    either way)."""
    g = 10.0 ** -decimals
    out: list[Interval] = []
    for lo, hi in values:
        if not (abs(lo) < 1e15 and abs(hi) < 1e15):
            out.append((lo, hi))
            continue
        k_lo = math.floor(lo / g + 0.5 - TIE)
        k_hi = math.ceil(hi / g - 0.5 + TIE)
        if k_hi - k_lo >= GRID:
            out.append((round(k_lo * g, decimals), round(k_hi * g, decimals)))
        else:
            out.extend((x, x) for x in (round(k * g, decimals) for k in range(k_lo, k_hi + 1)))
    return merged(out, decimals)


def either(values: Values, decimals: int) -> Values:
    """A sub-result rounded or not."""
    return merged(values + rounded(values, decimals), decimals)


def _pairwise(a: Values, b: Values, f: Callable[[Interval, Interval], Interval], decimals: int) -> Values:
    return merged((f(x, y) for x in a for y in b), decimals)


def _mul_iv(x: Interval, y: Interval) -> Interval:
    c = (x[0] * y[0], x[0] * y[1], x[1] * y[0], x[1] * y[1])
    return min(c), max(c)


def mul(a: Values, b: Values, decimals: int) -> Values:
    return _pairwise(a, b, _mul_iv, decimals)


def add(a: Values, b: Values, decimals: int) -> Values:
    return _pairwise(a, b, lambda x, y: (x[0] + y[0], x[1] + y[1]), decimals)


def sub(a: Values, b: Values, decimals: int) -> Values:
    return _pairwise(a, b, lambda x, y: (x[0] - y[1], x[1] - y[0]), decimals)


def _square(values: Values, decimals: int) -> Values:
    out = []
    for lo, hi in values:
        ends = (lo * lo, hi * hi)
        out.append((0.0 if lo <= 0.0 <= hi else min(ends), max(ends)))
    return merged(out, decimals)


def _slope(values: Values, decimals: int) -> Values:
    """``x (1 - x)``: largest at ``x = 0.5``."""
    out = []
    for lo, hi in values:
        ends = (lo * (1 - lo), hi * (1 - hi))
        out.append((min(ends), 0.25 if lo <= 0.5 <= hi else max(ends)))
    return merged(out, decimals)


def _exp_minus(values: Values, decimals: int) -> Values:
    return merged(((math.exp(min(-hi, 700.0)), math.exp(min(-lo, 700.0))) for lo, hi in values), decimals)


# --------------------------------------------------------------------------- the steps by hand


def _products(args: Sequence[Values], d: int) -> Values:
    """A sum of products, each product rounded or not."""
    total = point(0.0)
    for w, v in zip(args[0::2], args[1::2], strict=True):
        total = add(total, either(mul(w, v, d), d), d)
    return total


def _sigmoid(args: Sequence[Values], d: int) -> Values:
    e = either(_exp_minus(args[0], d), d)
    out = [(1.0 / (1.0 + hi), 1.0 / (1.0 + lo)) for lo, hi in e]
    if any(lo < -700 for lo, _ in args[0]):
        out.append((0.0, 0.0))  # exp(-p) overflows: the calculator shows 0
    return merged(out, d)


def _performance(args: Sequence[Values], d: int) -> Values:
    total = point(0.0)
    for t, o in zip(args[0::2], args[1::2], strict=True):
        total = add(total, either(_square(sub(t, o, d), d), d), d)
    return merged(((-0.5 * hi, -0.5 * lo) for lo, hi in total), d)


def _delta_out(args: Sequence[Values], d: int) -> Values:
    o, target = args
    return mul(either(_slope(o, d), d), sub(target, o, d), d)


def _delta_hidden(args: Sequence[Values], d: int) -> Values:
    return mul(either(_slope(args[0], d), d), either(_products(args[1:], d), d), d)


def _dw(args: Sequence[Values], d: int) -> Values:
    alpha, o, delta = args
    orders = (
        mul(either(mul(alpha, o, d), d), delta, d),  # round(alpha * input) * delta
        mul(alpha, either(mul(o, delta, d), d), d),  # alpha * round(input * delta)
        mul(either(mul(alpha, delta, d), d), o, d),  # round(alpha * delta) * input
    )
    return merged([iv for values in orders for iv in values], d)


def _add(args: Sequence[Values], d: int) -> Values:
    return add(args[0], args[1], d)


#: each op of the right derivation as a hand calculation on sets (same arguments, same order)
HAND: dict[str, Callable[[Sequence[Values], int], Values]] = {
    "weighted_sum": _products,
    "sigmoid": _sigmoid,
    "performance": _performance,
    "delta_out": _delta_out,
    "delta_hidden": _delta_hidden,
    "dw": _dw,
    "add": _add,
}


def step_values(op: str, args: Sequence[Values], decimals: int) -> Values:
    """Every value an honest hand calculation of ``op`` gives from arguments in ``args``
    (before the answer's own rounding): each sub-result rounded or not."""
    return HAND[op](args, decimals)


def near(answer: float, values: Values, decimals: int) -> bool:
    """Whether ``answer`` is one of ``values`` written to ``decimals`` places: within one
    rounding (``u (1 + EPS)``) of the set."""
    t = unit(decimals) * (1 + EPS) + EPSILON * max(1.0, abs(answer))
    return any(lo - t <= answer <= hi + t for lo, hi in values)


def reach(values: Values, center: float, decimals: int) -> float:
    """How far from ``center`` the farthest value of the set, written to ``decimals`` places,
    may lie (the tolerance shown with an item: an answer must be within one rounding of a value
    of the set, not merely this close)."""
    far = max((max(abs(lo - center), abs(hi - center)) for lo, hi in values), default=0.0)
    return far + unit(decimals) * (1 + EPS)


def held(written: float, stands: float, computed: Values | None, decimals: int) -> Values:
    """What a student who wrote ``written`` may use for it later: the written value itself, or
    their calculator's digits: a value of their own honest computation of that step
    (``computed``) that rounds to what they wrote (within ``stands``, half a unit of the last
    written decimal). When no honest value rounds to it (a slip, a misconception), anything
    that does."""
    t = stands * (1 + EPS) + EPSILON * max(1.0, abs(written))
    lo, hi = written - t, written + t
    if computed is not None:
        inside = [(max(a, lo), min(b, hi)) for a, b in computed if a <= hi and b >= lo]
        if inside:
            return merged([*inside, (written, written)], decimals)
    return ((lo, hi),)


def unwritten(computed: Values, decimals: int) -> Values:
    """A quantity the student worked out and did not hand in: kept, or written down rounded."""
    return either(computed, decimals)


def exact_values(trace: Trace, decimals: int) -> dict[str, Values]:
    """The honest values of every step of ``trace`` from its exact arguments (a student whose
    calculator kept the exact values), computed once per trace and decimals: shared, do not
    modify."""
    key = ("hand-exact", decimals)
    memo = trace._memo
    found = memo.get(key)
    if found is None:
        found = memo[key] = {q.id: step_values(q.op, [point(v) for v in q.arg_values], decimals)
                             for q in trace.quantities}
    return found


__all__ = ["CAP", "HAND", "Interval", "Values", "add", "around", "either", "exact_values", "held", "merged",
           "mul", "near", "point", "reach", "rounded", "step_values", "sub", "unwritten"]
