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

import math
from operator import itemgetter
from collections.abc import Callable, Container, Mapping, Sequence

from .ops import OPS, sigmoid
from .solver import Quantity, Trace, _structure

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
        found = memo[key] = dict(zip([q.id for q in trace.quantities], tolerance_list(trace, d)))
    return found


def tolerance_list(trace: Trace, decimals: int | None = None) -> Sequence[float]:
    """The tolerance of each quantity of ``trace``, in the order of ``trace.quantities``
    (computed once and kept with ``trace``)."""
    d = trace.instance.rounding if decimals is None else decimals
    memo = trace._memo
    key = ("tolerance-list", d)
    found = memo.get(key)
    if found is None:
        program = _program(trace, d)
        if program is None:
            found = memo[key] = _tolerances_generic(trace, d)
        else:
            found = memo[key] = program(trace.quantities, dict(trace.givens))
    return found


def _tolerances(trace: Trace, d: int) -> dict[str, float]:
    return dict(zip([q.id for q in trace.quantities], tolerance_list(trace, d)))


def _tolerances_generic(trace: Trace, d: int) -> list[float]:
    """The tolerances computed step by step with the ops' ``propagated`` (the definition; what
    the compiled programs of :func:`_program` compute, operation for operation), in the order
    of the quantities."""
    u = unit(d)
    # a given is exact when it has at most ``d`` decimals, else it may be off by one rounding
    tol = {gid: (0.0 if abs(round(v, d) - v) < 1e-12 else u) for gid, v in trace.givens}
    out: list[float] = []
    for q in trace.quantities:
        op = OPS[q.op]
        args = q.args
        spread = op.propagated(q.arg_values, args, tol)  # sum_i |d q / d a_i| * tol(a_i)
        t = tol[q.id] = u * (1 + op.inner_roundings(len(args))) + spread + EPSILON
        out.append(t)
    return out


# --------------------------------------------------------------------------- compiled programs
#
# The tolerances of a trace are a fixed arithmetic expression of its argument values, the same
# expression for every variant of a net structure. ``_program`` writes it out once per structure
# and rounding as one straight-line Python function (every op's ``propagated`` inlined, with the
# same floating-point operations in the same order, so the results are bit for bit those of
# :func:`_tolerances_generic`), which runs several times faster than the step-by-step loop:
# batch grading computes the tolerances of every student's trace once.

#: compiled programs by (rules, structure, number of givens and quantities, decimals);
#: None where a trace has an op without an inlined form (the generic loop is used)
_PROGRAMS: dict[tuple, Callable | None] = {}
#: whether a given value is exact at ``d`` decimals (tolerance 0.0) or not (``unit(d)``), by d and value
_GIVEN_TOLERANCE: dict[int, dict[float, float]] = {}
_GIVEN_CACHE_LIMIT = 1 << 16


def structure_key(trace: Trace) -> tuple:
    """What the derivation of ``trace`` is a function of (its rules and its net's structure,
    :func:`grader.solver.plan`) and the numbers of its givens and quantities: every trace with
    this key has the same givens and quantities (ids, ops, arguments) in the same order.
    Kept with the trace."""
    memo = trace._memo
    found = memo.get("structure")
    if found is None:
        found = memo["structure"] = (trace.rules, _structure(trace.instance), len(trace.givens),
                                     len(trace.quantities))
    return found


def _program(trace: Trace, d: int) -> Callable | None:
    key = (structure_key(trace), d)
    try:
        return _PROGRAMS[key]
    except KeyError:
        pass
    program = _PROGRAMS[key] = _compile(trace, d)
    return program


def _given_tolerance(d: int) -> tuple[dict[float, float], Callable[[float], float]]:
    cache = _GIVEN_TOLERANCE.setdefault(d, {})
    u = unit(d)

    def miss(v: float) -> float:
        t = 0.0 if abs(round(v, d) - v) < 1e-12 else u
        if len(cache) < _GIVEN_CACHE_LIMIT:
            cache[v] = t
        return t

    return cache, miss


def _spread(op: str, n: int, e: list[str]) -> tuple[list[str], str] | None:
    """(statements, expression) computing ``OPS[op].propagated(v, ids, err)`` for ``n``
    argument values ``a0, a1, ...`` whose errors are the variables ``e``, with the same
    operations in the same order; None for an op that has no inlined form here."""
    if op == "weighted_sum":  # s = 0.0; s += |v[i+1]| e[i] + |v[i]| e[i+1]
        x = "0.0"
        for i in range(0, n - 1, 2):
            x = f"({x} + (abs(a{i + 1}) * {e[i]} + abs(a{i}) * {e[i + 1]}))"
        return [], x
    if op == "sigmoid" and n == 1:  # s = sigmoid(v[0]); s (1 - s) e[0]
        return [], f"((s := _sigmoid(a0)) * (1 - s) * {e[0]})"
    if op == "performance":  # s = 0.0; s += |v[i] - v[i+1]| (e[i] + e[i+1])
        x = "0.0"
        for i in range(0, n - 1, 2):
            x = f"({x} + abs(a{i} - a{i + 1}) * ({e[i]} + {e[i + 1]}))"
        return [], x
    if op == "delta_out" and n == 2:  # o, d = v; slope = o (1 - o); |(1 - 2o)(d - o) - slope| e[0] + |slope| e[1]
        return (["sl = a0 * (1 - a0)"], f"(abs((1 - 2 * a0) * (a1 - a0) - sl) * {e[0]} + abs(sl) * {e[1]})")
    if op == "delta_hidden" and n >= 1:
        # slope = |o (1 - o)|; s = |(1 - 2o) fsum(w_i delta_i)| e[0]; s += slope (|delta_i| e[w_i] + |w_i| e[delta_i])
        products = "".join(f"a{i} * a{i + 1}, " for i in range(1, n - 1, 2))
        lines = ["sl = abs(a0 * (1 - a0))", f"s = abs((1 - 2 * a0) * _fsum(({products}))) * {e[0]}"]
        for i in range(1, n - 1, 2):
            lines.append(f"s += sl * (abs(a{i + 1}) * {e[i]} + abs(a{i}) * {e[i + 1]})")
        return lines, "s"
    if op == "dw" and n == 3:  # |o d| e[0] + |a d| e[1] + |a o| e[2]
        return [], f"(abs(a1 * a2) * {e[0]} + abs(a0 * a2) * {e[1]} + abs(a0 * a1) * {e[2]})"
    if op == "add" and n == 2:
        return [], f"({e[0]} + {e[1]})"
    return None


def _compile(trace: Trace, d: int) -> Callable | None:
    """The tolerance program of ``trace``'s structure at ``d`` decimals (see above): a function
    of the trace's quantities and its givens by id that returns the tolerance of each quantity."""
    u = unit(d)
    gids = [gid for gid, _ in trace.givens]
    if not gids or len(set(gids)) != len(gids):
        return None
    var = {gid: f"e{j}" for j, gid in enumerate(gids)}
    given_vars = "".join(f"e{j}, " for j in range(len(gids)))
    # the givens' tolerances, from the cache of each value's (see _given_tolerance)
    body = [f"vals = given_values(g)",
            "try:", f"    {given_vars}= map(cached, vals)",
            "except KeyError:", f"    {given_vars}= map(miss, vals)"]
    out: list[str] = []
    for i, q in enumerate(trace.quantities):
        if q.id in var or any(a not in var for a in q.args):
            return None  # not a derivation this program can be written for: the generic loop
        n = len(q.args)
        made = _spread(q.op, n, [var[a] for a in q.args])
        if made is None:
            return None
        lines, spread = made
        constant = u * (1 + OPS[q.op].inner_roundings(n))
        if n:
            body.append("".join(f"a{k}, " for k in range(n)) + f"= Q[{i}].arg_values")
        body += [*lines, f"t{i} = {constant!r} + {spread} + {EPSILON!r}"]
        var[q.id] = f"t{i}"
        out.append(f"t{i}")
    cache, miss = _given_tolerance(d)
    getter = itemgetter(*gids) if len(gids) > 1 else (lambda g, gid=gids[0]: (g[gid],))
    source = ("def program(Q, g):\n    " + "\n    ".join(body)
              + "\n    return (" + "".join(v + ", " for v in out) + ")\n")
    namespace = {"_sigmoid": sigmoid, "_fsum": math.fsum, "cached": cache.__getitem__, "miss": miss,
                 "given_values": getter}
    exec(compile(source, f"<tolerances of a {len(trace.quantities)}-quantity structure>", "exec"), namespace)
    return namespace["program"]


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
