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
The partial derivatives are the ops' own, written out by hand (:attr:`grader.ops.Op.grad`,
summed with the errors by :attr:`grader.ops.Op.propagated`).

An answer is accepted when ``|answer - exact| <= tol(q)``; anything further away is more than
rounding can explain. ``local`` is the same rule for one step taken from the student's *own*
written (rounded) earlier answers, used for error carried forward and misconception diagnosis.

The tolerances are a pure function of the trace and the rounding, so they are computed once per
trace and decimals and kept with the trace: grading a trace again (or checking a variant and
then grading it in the same process) does not recompute them.
"""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence

from .ops import OPS
from .solver import Quantity, Trace

#: floating-point noise allowed on top of the rounding bound
EPSILON = 1e-9


def unit(decimals: int) -> float:
    """The largest error of one rounding to ``decimals`` places."""
    return 0.5 * 10.0 ** (-decimals)


def own_rounding(q: Quantity, decimals: int) -> float:
    """The error rounding adds at ``q`` itself: its own result and its sub-results."""
    return unit(decimals) * (1 + OPS[q.op].inner_roundings(len(q.args)))


def tolerances(trace: Trace, decimals: int | None = None) -> dict[str, float]:
    """The tolerance of every quantity of ``trace`` (see the module docstring), by id."""
    return dict(trace_tolerances(trace, decimals))


def trace_tolerances(trace: Trace, decimals: int | None = None) -> Mapping[str, float]:
    """:func:`tolerances` as computed once and kept with ``trace``: shared, do not modify."""
    d = trace.instance.rounding if decimals is None else decimals
    memo = trace._memo
    key = ("tolerances", d)
    found = memo.get(key)
    if found is None:
        found = memo[key] = _tolerances(trace, d)
    return found


def _tolerances(trace: Trace, d: int) -> dict[str, float]:
    u = unit(d)
    # a given is exact when it has at most ``d`` decimals, else it may be off by one rounding
    tol = {gid: (0.0 if abs(round(v, d) - v) < 1e-12 else u) for gid, v in trace.givens}
    out: dict[str, float] = {}
    for q in trace.quantities:
        op = OPS[q.op]
        args = q.args
        spread = op.propagated(q.arg_values, args, tol)  # sum_i |d q / d a_i| * tol(a_i)
        tol[q.id] = out[q.id] = u * (1 + op.inner_roundings(len(args))) + spread + EPSILON
    return out


def local(q: Quantity, values: Mapping[str, float], givens: Container[str], decimals: int) -> float:
    """Tolerance of ``q`` recomputed from ``values``: each argument that is a written answer
    may be off by one rounding, givens are exact."""
    return local_of(q.op, q.args, [values[a] for a in q.args], givens, decimals)


def local_of(op: str, args: Sequence[str], arg_values: Sequence[float], givens: Container[str],
             decimals: int) -> float:
    """:func:`local` of a step given by its op, argument ids and argument values."""
    o = OPS[op]
    u = unit(decimals)
    spread = sum([abs(g) * u for g, a in zip(o.grad(arg_values), args) if a not in givens])
    return u * (1 + o.inner_roundings(len(args))) + spread + EPSILON


def within(answer: float, exact: float, tol: float) -> bool:
    return abs(answer - exact) <= tol
