"""An honest student with a calculator, written independently of the grader's tolerance code.

Every step is computed from the student's own earlier numbers; on the way the student may
write down (and round, half up, with the decimal module) any sub-result a hand calculation
writes: each product of a weighted sum, ``exp(-p)``, ``o (1 - o)``, each ``w * delta`` and
their sum, ``(d - o)^2``, and for ``dw`` one of ``round(alpha * o) * delta``,
``alpha * round(o * delta)``, ``o * round(alpha * delta)``; then the result is rounded to the
asked decimals. Sometimes the student keeps the unrounded value of an argument in the
calculator instead of the one they wrote.
"""

from __future__ import annotations

import math
import random
from decimal import ROUND_HALF_UP, Decimal

from grader.rules import CORRECT, Rules
from grader.solver import solve


def rnd(x: float, d: int) -> float:
    """``x`` rounded half up to ``d`` places, by the decimal module (not the grader's round)."""
    return float(Decimal(repr(x)).quantize(Decimal(1).scaleb(-d), rounding=ROUND_HALF_UP))


def _maybe(x: float, d: int, rng: random.Random) -> float:
    return rnd(x, d) if rng.random() < 0.5 else x


def _products(ws, xs, d, rng):
    return math.fsum(_maybe(w * x, d, rng) for w, x in zip(ws, xs, strict=True))


def _slope_sum(slope, ws, ds, d, rng):
    s = _maybe(slope, d, rng)
    total = _maybe(_products(ws, ds, d, rng), d, rng)
    return s * total


def honest_step(op: str, a: list[float], d: int, rng: random.Random) -> float:
    """One step as a hand calculation may do it, before the final rounding."""
    if op == "weighted_sum":
        return _products(a[0::2], a[1::2], d, rng)
    if op == "sigmoid":
        return 1 / (1 + _maybe(math.exp(min(-a[0], 700.0)), d, rng))
    if op == "performance":
        return -0.5 * math.fsum(_maybe((x - y) ** 2, d, rng) for x, y in zip(a[0::2], a[1::2], strict=True))
    if op in ("delta_out", "delta_out_flipped"):
        o, t = a
        return _maybe(o * (1 - o), d, rng) * ((t - o) if op == "delta_out" else (o - t))
    if op == "delta_out_dp":
        p, o, t = a
        return _maybe(p * (1 - p), d, rng) * (t - o)
    if op == "delta_out_noderiv":
        return a[1] - a[0]
    if op == "delta_hidden":
        return _slope_sum(a[0] * (1 - a[0]), a[1::2], a[2::2], d, rng)
    if op == "delta_hidden_dp":
        return _slope_sum(a[0] * (1 - a[0]), a[2::2], a[3::2], d, rng)
    if op == "delta_hidden_noderiv":
        return _products(a[1::2], a[2::2], d, rng)
    if op == "dw":
        alpha, o, delta = a
        how = rng.randrange(4)
        if how == 1:
            return rnd(alpha * o, d) * delta
        if how == 2:
            return alpha * rnd(o * delta, d)
        if how == 3:
            return o * rnd(alpha * delta, d)
        return alpha * o * delta
    if op == "dw_noalpha":
        return a[0] * a[1]
    if op == "add":
        return a[0] + a[1]
    if op == "subtract":
        return a[0] - a[1]
    if op == "copy":
        return a[0]
    raise ValueError(op)


def honest_answers(instance, rng: random.Random, rules: Rules = CORRECT, decimals: int | None = None,
                   keep: float = 0.2, override: dict[str, float] | None = None) -> dict[str, float]:
    """Every quantity as an honest student under ``rules`` writes it, at ``decimals`` (default
    the instance's): sub-results rounded at random, the written result rounded, and with
    probability ``keep`` an argument taken unrounded from the calculator. ``override`` replaces
    a written value (a slip) before later steps use it."""
    trace = solve(instance, rules)
    d = instance.rounding if decimals is None else decimals
    written = dict(trace.givens)
    memory = dict(trace.givens)
    for q in trace.quantities:
        args = [memory[x] if rng.random() < keep else written[x] for x in q.args]
        v = honest_step(q.op, args, d, rng)
        if override and q.id in override:
            written[q.id] = memory[q.id] = override[q.id]
            continue
        memory[q.id] = v
        written[q.id] = rnd(v, d)
    return {q.id: written[q.id] for q in trace.quantities}
