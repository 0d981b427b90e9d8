"""The worst-case band of one honest step: a bound on what an honest hand calculation can write.

What the grader accepts is the *set* of values an honest hand calculation of a step gives
(:mod:`grader.hand`); this module bounds that set by one interval around the step's formula.
The bound serves where a bound is wanted: matching a misconception's step
(:mod:`grader.diagnosis`) and what a written answer may stand for there
(:mod:`grader.student_values`), and the generator's check that every misconception is
detectable (:func:`grader.checks.undetectable`). (The precision rule of :mod:`grader.grading`
asks the honest value sets at fewer decimals instead: the band also held answers no
calculation at those decimals writes.)

Students are told to round to ``d`` decimals; ``u = 0.5 * 10**-d`` is the largest error one
rounding makes. An answer is judged one step at a time, from the numbers the student had at
that step (their own earlier answers), never by a worst case summed along the whole chain. The
band of a step ``q = f(a_1, ..., a_n)`` at argument values ``a``:

    band = u (1 + EPS)                            the answer's own rounding to d decimals
         + sum_i |df/da_i| * delta_i              what each argument may stand for
         + sub(f, a)                              the sub-results a hand calculation rounds
         (+ a second-order slack, see below)

- ``delta_i`` is what an argument may stand for (:func:`stands_for`): 0 for a given that has
  at most d decimals (u otherwise); for an answer the student wrote, half a unit of the last
  decimal they wrote, at most u (a full-precision answer stands for itself; one written at d
  decimals, or fewer, for anything within u: a student may keep more digits in the calculator
  than they write down), and no more than the calculator could have held when it was written
  (``|v - f(own args)|`` plus that step's band less u: see ``grader.student_values.StudentValues.stand``);
  for a quantity the student did not write, the band of its own honest computation (the
  student had to work it out by hand too).
- ``sub(f, a)`` (:func:`sub_rounding`) is the largest deviation of ``f`` when the sub-results a
  hand calculation writes down are rounded to d decimals, in each honest order, computed by
  actually rounding them: each product of a weighted sum, ``exp(-p)``, ``o (1 - o)`` (or
  ``p (1 - p)``), each ``w * delta`` of a hidden delta and their sum, ``(d - o)^2``, and for
  ``dw = alpha * o * delta`` the three orders ``round(alpha * o) * delta``,
  ``alpha * round(o * delta)`` and ``o * round(alpha * delta)``. A sub-result that needs no
  rounding (``0.5 * 1.5``) adds nothing, and ``alpha * round(o * delta, d)`` is covered for any
  alpha (the rounding is scaled by alpha).
- The second-order slack (:func:`second_order`) bounds what the first-order sum leaves out
  when several arguments are off at once (``alpha * u * u`` for ``dw``): negligible at 4
  decimals, a few percent of ``u`` at 2.

Worked example (``d = 4``, ``u = 0.00005``): ``p_A = w_x1_A * x1 = -1.5 * 1`` from exact givens:
no argument may be off, the product needs no rounding, so ``band = u``.
``dw_A_C = alpha * o_A * delta_C`` with ``alpha = 10``, ``o_A = 0.7311``, ``delta_C = 0.1213``
written at 4 decimals: ``band = u + |o_A delta_C| u
+ |alpha delta_C| u + |alpha o_A| u + sub``, where ``sub = 10 * |round(0.7311 * 0.1213, 4) -
0.7311 * 0.1213| = 10 * |0.0887 - 0.08868243| = 0.0001757`` (the ``alpha * round(o * delta)``
order; ``alpha * o = 7.311`` and ``alpha * delta = 1.213`` need no rounding):
``band = 0.00005 + 0.0000044 + 0.0000607 + 0.0003656 + 0.0001757 = 0.000652`` (the honest
values themselves are ``0.8868243`` and ``0.887`` from the written numbers: see
:mod:`grader.hand`).

:func:`tolerances` is that band at the exact arguments (every written argument standing for
u, unwritten ones for their own band), used by the generator's
:func:`grader.checks.undetectable`. :func:`band` is the same rule at any argument values (the
student's own, a misconception's): :mod:`grader.grading` and :mod:`grader.diagnosis` use it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from decimal import Decimal
from operator import mul

from .ops import OPS
from .solver import Trace

#: relative slack on the answer's own rounding (floating-point noise, nothing more)
EPS = 1e-6
#: absolute floating-point slack
EPSILON = 1e-12

_fsum = math.fsum


def unit(decimals: int) -> float:
    """The largest error of one rounding to ``decimals`` places."""
    return 0.5 * 10.0 ** (-decimals)


def written_decimals(value: float) -> int:
    """How many decimals a number has as written (trailing zeros dropped: ``0.7310`` has 3)."""
    text = repr(value)
    if "e" in text or "E" in text or "n" in text:
        if not math.isfinite(value):
            return 0
        exponent = Decimal(text).normalize().as_tuple().exponent
        return max(0, -int(exponent))
    if text.endswith(".0"):
        return 0
    return len(text) - text.index(".") - 1 if "." in text else 0


def stands_for(value: float, decimals: int) -> float:
    """What a written answer may stand for: half a unit of its last written decimal, at most
    ``unit(decimals)`` (a full-precision answer stands for itself)."""
    return 0.5 * 10.0 ** -max(written_decimals(value), decimals)


def given_stands_for(value: float, decimals: int) -> float:
    """A given stands for itself when it has at most ``decimals`` places, else for u."""
    return 0.0 if abs(round(value, decimals) - value) < 1e-12 else unit(decimals)


# --------------------------------------------------------------------------- sub-results
#
# Each function takes the op's argument values, what each stands for, and the decimals. A
# sub-result ``s`` is rounded by ``r(s) = round(s) - s``, a saw-tooth between -u and +u; when
# the arguments stand for a range of values (a student may have kept more digits in the
# calculator than they wrote), ``s`` ranges over ``[s - w, s + w]`` (``w`` its first-order
# width) and its rounding may err by anything ``r`` takes there.


def _rounding_error(x: float, d: int, width: float = 0.0) -> tuple[float, float]:
    """(upward, downward) error, both >= 0, that rounding a value in ``[x - width, x + width]``
    to ``d`` places can make: on a half, a student may round either way."""
    u = 0.5 * 10.0 ** -d
    if not (abs(x) + width < 1e15):  # too large for a decimal place to mean anything (or inf, NaN)
        return u, u
    if not width:
        e = round(x, d) - x
        if abs(abs(e) - u) <= 1e-12 * (abs(x) if abs(x) > 1.0 else 1.0):
            return u, u  # on a half
        return (e, 0.0) if e >= 0 else (0.0, -e)
    step = 2 * u
    lo, hi = x - width, x + width
    # the first half-point (k + 1/2) * step at or above lo
    k = math.ceil(lo / step - 0.5 - 1e-9)
    if (k + 0.5) * step <= hi + 1e-12 * max(1.0, abs(x)):
        return u, u
    e_lo = round(lo, d) - lo  # r decreases between half-points: largest at lo, least at hi
    e_hi = round(hi, d) - hi
    return max(e_lo, 0.0), max(-e_hi, 0.0)


def _largest(err: tuple[float, float]) -> float:
    return max(err)


def _signed(err: tuple[float, float]) -> tuple[float, ...]:
    return (err[0], -err[1])


def _sum_of_products(xs: Sequence[float], ys: Sequence[float], sx: Sequence[float], sy: Sequence[float],
                     d: int) -> tuple[float, float]:
    """(up, down): how far a sum of products moves up or down at most when any of its
    products are rounded to ``d`` places (the errors of rounded products add up)."""
    up = down = 0.0
    for x, y, ex, ey in zip(xs, ys, sx, sy, strict=True):
        a, b = _rounding_error(x * y, d, abs(y) * ex + abs(x) * ey)
        up += a
        down += b
    return up, down


def _sub_weighted_sum(a: Sequence[float], s: Sequence[float], d: int) -> float:
    return max(_sum_of_products(a[0::2], a[1::2], s[0::2], s[1::2], d))


def _sub_sigmoid(a: Sequence[float], s: Sequence[float], d: int) -> float:
    e = math.exp(min(-a[0], 700.0))
    exact = 1 / (1 + e)
    r = _largest(_rounding_error(e, d, e * s[0]))
    return max(abs(1 / (1 + max(0.0, e + x)) - exact) for x in (r, -r))


def _sub_performance(a: Sequence[float], s: Sequence[float], d: int) -> float:
    up = down = 0.0
    for t, o, st, so in zip(a[0::2], a[1::2], s[0::2], s[1::2], strict=True):
        x, y = _rounding_error((t - o) ** 2, d, 2 * abs(t - o) * (st + so))
        up += x
        down += y
    return 0.5 * max(up, down)


def _slope_error(slope_of: float, stand: float, d: int) -> float:
    """How far ``v (1 - v)`` at ``v`` standing for ``stand`` may be off when rounded."""
    return _largest(_rounding_error(slope_of * (1 - slope_of), d, abs(1 - 2 * slope_of) * stand))


def _sub_delta_out(a: Sequence[float], s: Sequence[float], d: int) -> float:
    return _slope_error(a[0], s[0], d) * abs(a[1] - a[0])


def _sub_delta_out_dp(a: Sequence[float], s: Sequence[float], d: int) -> float:
    return _slope_error(a[0], s[0], d) * abs(a[2] - a[1])


def _slope_times_sum(v: float, sv: float, ws: Sequence[float], ds: Sequence[float], sw: Sequence[float],
                     sd: Sequence[float], d: int) -> float:
    """``v (1 - v) * sum w_i delta_i`` with the slope, the products and the sum each possibly
    rounded: the largest deviation over every choice (the expression is bilinear in the slope
    and the sum, so the extremes are at the ends)."""
    slope = v * (1 - v)
    total = _fsum(map(mul, ws, ds))
    up, down = _sum_of_products(ws, ds, sw, sd, d)
    width = _fsum([abs(x) * ey + abs(y) * ex for x, y, ex, ey in zip(ws, ds, sw, sd, strict=True)])
    sum_up, sum_down = _rounding_error(total, d, width)
    sums = (total, total + max(up, sum_up), total - max(down, sum_down))
    slopes = (slope, *(slope + e for e in _signed(_rounding_error(slope, d, abs(1 - 2 * v) * sv))))
    exact = slope * total
    return max(abs(x * y - exact) for x in slopes for y in sums)


def _sub_delta_hidden(a: Sequence[float], s: Sequence[float], d: int) -> float:
    return _slope_times_sum(a[0], s[0], a[1::2], a[2::2], s[1::2], s[2::2], d)


def _sub_delta_hidden_dp(a: Sequence[float], s: Sequence[float], d: int) -> float:
    return _slope_times_sum(a[0], s[0], a[2::2], a[3::2], s[2::2], s[3::2], d)


def _sub_delta_hidden_noderiv(a: Sequence[float], s: Sequence[float], d: int) -> float:
    return max(_sum_of_products(a[1::2], a[2::2], s[1::2], s[2::2], d))


def _sub_dw(a: Sequence[float], s: Sequence[float], d: int) -> float:
    alpha, o, delta = a
    sa, so, sd = s
    # round(alpha * o) * delta, alpha * round(o * delta), o * round(alpha * delta)
    return max(
        _largest(_rounding_error(alpha * o, d, abs(o) * sa + abs(alpha) * so)) * abs(delta),
        _largest(_rounding_error(o * delta, d, abs(delta) * so + abs(o) * sd)) * abs(alpha),
        _largest(_rounding_error(alpha * delta, d, abs(delta) * sa + abs(alpha) * sd)) * abs(o),
    )


def _no_sub(a: Sequence[float], s: Sequence[float], d: int) -> float:
    return 0.0


#: each op's largest deviation from rounding its sub-results (see the module docstring)
SUB: dict[str, Callable[[Sequence[float], Sequence[float], int], float]] = {
    "weighted_sum": _sub_weighted_sum,
    "sigmoid": _sub_sigmoid,
    "performance": _sub_performance,
    "delta_out": _sub_delta_out,
    "delta_hidden": _sub_delta_hidden,
    "dw": _sub_dw,
    "add": _no_sub,
    "delta_out_flipped": _sub_delta_out,
    "delta_out_noderiv": _no_sub,
    "delta_hidden_noderiv": _sub_delta_hidden_noderiv,
    "delta_out_dp": _sub_delta_out_dp,
    "delta_hidden_dp": _sub_delta_hidden_dp,
    "dw_noalpha": _no_sub,
    "copy": _no_sub,
    "subtract": _no_sub,
}


def sub_rounding(op: str, values: Sequence[float], stands: Sequence[float], decimals: int) -> float:
    """The largest deviation of ``op`` at ``values`` (each standing for ``stands``) when a
    hand calculation rounds its sub-results to ``decimals`` places, in any honest order."""
    return SUB[op](values, stands, decimals)


# --------------------------------------------------------------------------- the band


def spread(op: str, values: Sequence[float], stands: Sequence[float]) -> float:
    """``sum_i |df/da_i| * delta_i``: how far the arguments' latitude moves the result."""
    if not any(stands):
        return 0.0
    return _fsum([abs(g) * s for g, s in zip(OPS[op].grad(values), stands, strict=True) if s])


def second_order(op: str, values: Sequence[float], stands: Sequence[float]) -> float:
    """A bound on the second-order terms the first-order :func:`spread` leaves out:
    ``sum_j sum_i |df/da_i (a + delta_j e_j) - df/da_i (a)| delta_i`` (twice the usual
    ``1/2 sum |H_ij| delta_i delta_j`` for ops of degree two in each pair of arguments)."""
    grad = OPS[op].grad
    base = grad(values)
    total = 0.0
    for j, s in enumerate(stands):
        if not s:
            continue
        moved = list(values)
        moved[j] += s
        total += _fsum([abs(g1 - g0) * t for g0, g1, t in zip(base, grad(moved), stands, strict=True) if t])
    return total


def band(op: str, values: Sequence[float], stands: Sequence[float], decimals: int) -> float:
    """The band of one step (without the second-order slack; see :func:`full_band`)."""
    return (unit(decimals) * (1 + EPS) + spread(op, values, stands)
            + sub_rounding(op, values, stands, decimals) + EPSILON)


def strict_band(op: str, values: Sequence[float], stands: Sequence[float], decimals: int) -> float:
    """The band without the sub-results' slack: agreement at the asked decimals."""
    return unit(decimals) * (1 + EPS) + spread(op, values, stands) + EPSILON


def full_band(op: str, values: Sequence[float], stands: Sequence[float], decimals: int) -> float:
    """:func:`band` plus the second-order slack."""
    return band(op, values, stands, decimals) + second_order(op, values, stands)


def fits(answer: float, op: str, values: Sequence[float], stands: Sequence[float], decimals: int,
         target: float | None = None) -> tuple[bool, float]:
    """(whether ``answer`` lies within the band of ``target`` (default: ``op`` at
    ``values``), the band used): the second-order slack is computed only when needed."""
    if target is None:
        target = OPS[op].compute(values)
    b = band(op, values, stands, decimals)
    off = abs(answer - target)
    if off <= b:
        return True, b
    b += second_order(op, values, stands)
    return off <= b, b


# --------------------------------------------------------------------------- the right bands


def tolerances(trace: Trace, decimals: int | None = None,
               asked: Collection[str] | None = None) -> dict[str, float]:
    """The band of every quantity of ``trace`` at the exact arguments, by id (see the module
    docstring): asked quantities (default: all) stand for u as arguments of later ones, the
    others for their own band."""
    return dict(trace_tolerances(trace, decimals, asked))


def trace_tolerances(trace: Trace, decimals: int | None = None,
                     asked: Collection[str] | None = None) -> Mapping[str, float]:
    """:func:`tolerances`, computed once per trace, decimals and asked ids and kept with the
    trace: shared, do not modify."""
    d = trace.instance.rounding if decimals is None else decimals
    key = ("bands", d, None if asked is None else frozenset(asked))
    memo = trace._memo
    found = memo.get(key)
    if found is None:
        found = memo[key] = _right_bands(trace, d, asked)
    return found


def _right_bands(trace: Trace, d: int, asked: Collection[str] | None, written: float | None = None
                 ) -> dict[str, float]:
    u = unit(d) if written is None else written
    stands = {gid: given_stands_for(v, d) for gid, v in trace.givens}
    out: dict[str, float] = {}
    for q in trace.quantities:
        b = out[q.id] = band(q.op, q.arg_values, [stands[a] for a in q.args], d)
        stands[q.id] = u if asked is None or q.id in asked else b
    return out


__all__ = ["EPS", "EPSILON", "SUB", "band", "fits", "full_band", "given_stands_for",
           "second_order", "spread", "stands_for", "strict_band", "sub_rounding", "tolerances",
           "trace_tolerances", "unit", "written_decimals"]
