"""The one tolerance policy: how far an answer may be from the exact value.

Students are told to round to ``decimals`` places; ``u = 0.5 * 10**-decimals`` is the largest
error one rounding makes. A student who works by hand writes down every quantity rounded, and
computes the next one from those rounded numbers, possibly rounding a sub-result or two on the
way (``o (1 - o)`` before multiplying by ``d - o``, each product of a weighted sum). So the
error a quantity may carry is, to first order,

    tol(q) = u * (1 + r_q)  +  sum_i |d q / d a_i| * tol(a_i)

where the a_i are the quantity's arguments (earlier quantities and given values), ``r_q`` the
number of sub-results its formula lets a hand calculation round (:data:`grader.ops.OPS`), and a
given value has tolerance 0 when it is exactly representable with ``decimals`` places (``u``
otherwise). Tolerances grow along the dependency graph: ``o_C`` inherits ``p_C``'s error
scaled by the sigmoid's slope, a step-2 quantity inherits the rounding of the step-1 weights.

An answer is accepted when ``|answer - exact| <= tol(q)``; anything further away is more than
rounding can explain. ``local`` is the same rule for one step taken from the student's *own*
written (rounded) earlier answers, used for error carried forward and misconception diagnosis.
"""

from __future__ import annotations

from typing import Mapping

from .ops import OPS, partials
from .solver import Quantity, Trace

#: floating-point noise allowed on top of the rounding bound
EPSILON = 1e-9


def unit(decimals: int) -> float:
    """The largest error of one rounding to ``decimals`` places."""
    return 0.5 * 10.0 ** (-decimals)


def _given_tolerance(value: float, decimals: int) -> float:
    return 0.0 if abs(round(value, decimals) - value) < 1e-12 else unit(decimals)


def own_rounding(q: Quantity, decimals: int) -> float:
    """The error rounding adds at ``q`` itself: its own result and its sub-results."""
    return unit(decimals) * (1 + OPS[q.op].inner_roundings(len(q.args)))


def tolerances(trace: Trace, decimals: int | None = None) -> dict[str, float]:
    """The tolerance of every quantity of ``trace`` (see the module docstring)."""
    d = trace.instance.rounding if decimals is None else decimals
    tol = {gid: _given_tolerance(v, d) for gid, v in trace.givens}
    for q in trace.quantities:
        grads = partials(q.op, q.arg_values)
        tol[q.id] = own_rounding(q, d) + sum(abs(g) * tol[a] for g, a in zip(grads, q.args)) + EPSILON
    return {q.id: tol[q.id] for q in trace.quantities}


def local(q: Quantity, values: Mapping[str, float], givens: Mapping[str, float], decimals: int) -> float:
    """Tolerance of ``q`` recomputed from ``values``: each argument that is a written answer
    may be off by one rounding, givens are exact."""
    args = [values[a] for a in q.args]
    grads = partials(q.op, args)
    u = unit(decimals)
    spread = sum(abs(g) * (0.0 if a in givens else u) for g, a in zip(grads, q.args))
    return own_rounding(q, decimals) + spread + EPSILON


def within(answer: float, exact: float, tol: float) -> bool:
    return abs(answer - exact) <= tol
