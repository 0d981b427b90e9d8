"""The operations that make every quantity, each with its formula beside its arithmetic.

A quantity of the trace names an op and the ids of its arguments; ``compute`` turns argument
values into the quantity's value and ``text`` writes the formula in the 6.034 notation. The
correct solver and every misconception use these same ops (a misconception picks another op or
other arguments), and so does the grader when it recomputes a step from a student's own earlier
answers. Argument lists are flat; ``*pairs`` means (weight, value) pairs follow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

Args = Sequence[float]


def sigmoid(p: float) -> float:
    # Written to avoid overflow for large |p|; both branches equal 1 / (1 + exp(-p)).
    if p >= 0:
        return 1.0 / (1.0 + math.exp(-p))
    e = math.exp(p)
    return e / (1.0 + e)


def _pairs(args: Args) -> list[tuple[float, float]]:
    return list(zip(args[0::2], args[1::2]))


def _text_pairs(ids: Sequence[str]) -> str:
    return " + ".join(f"{a} * {b}" for a, b in zip(ids[0::2], ids[1::2]))


@dataclass(frozen=True)
class Op:
    """An operation: its arithmetic and its formula, side by side."""

    name: str
    compute: Callable[[Args], float]
    text: Callable[[Sequence[str]], str]
    #: how many roundings a hand calculation may make inside the op (sub-results it writes down)
    inner_roundings: Callable[[int], int]


OPS: dict[str, Op] = {}


def _op(name: str, compute: Callable[[Args], float], text: Callable[[Sequence[str]], str],
        inner: Callable[[int], int] = lambda n: 0) -> None:
    OPS[name] = Op(name, compute, text, inner)


# p_N = sum_F w_F_N * o_F            args: w_1, o_1, w_2, o_2, ...
_op("weighted_sum", lambda a: math.fsum(w * o for w, o in _pairs(a)), _text_pairs,
    lambda n: n // 2)
# o_N = 1 / (1 + exp(-p_N))         args: p
_op("sigmoid", lambda a: sigmoid(a[0]), lambda i: f"1 / (1 + exp(-{i[0]}))", lambda n: 1)
# P = -1/2 sum (d_N - o_N)^2        args: d_1, o_1, d_2, o_2, ...
_op("performance", lambda a: -0.5 * math.fsum((d - o) ** 2 for d, o in _pairs(a)),
    lambda i: "-1/2 * (" + " + ".join(f"({d} - {o})^2" for d, o in zip(i[0::2], i[1::2])) + ")",
    lambda n: n // 2)
# delta_N = o_N (1 - o_N) (d_N - o_N)               args: o, d
_op("delta_out", lambda a: a[0] * (1 - a[0]) * (a[1] - a[0]),
    lambda i: f"{i[0]} * (1 - {i[0]}) * ({i[1]} - {i[0]})", lambda n: 1)
# delta_N = o_N (1 - o_N) sum_R w_N_R delta_R       args: o, w_1, delta_1, ...
_op("delta_hidden", lambda a: a[0] * (1 - a[0]) * math.fsum(w * d for w, d in _pairs(a[1:])),
    lambda i: f"{i[0]} * (1 - {i[0]}) * ({_text_pairs(i[1:])})", lambda n: 1 + (n - 1) // 2)
# dw_F_N = alpha * o_F * delta_N                    args: alpha, o_F, delta_N
_op("dw", lambda a: a[0] * a[1] * a[2], lambda i: f"{i[0]} * {i[1]} * {i[2]}", lambda n: 1)
# new_w_F_N = w_F_N + dw_F_N                        args: w, dw
_op("add", lambda a: a[0] + a[1], lambda i: f"{i[0]} + {i[1]}")

# ---- ops that only misconceptions use
# sign-flip: (o - d) instead of (d - o)
_op("delta_out_flipped", lambda a: a[0] * (1 - a[0]) * (a[0] - a[1]),
    lambda i: f"{i[0]} * (1 - {i[0]}) * ({i[0]} - {i[1]})", lambda n: 1)
# missing-derivative: no o (1 - o) factor
_op("delta_out_noderiv", lambda a: a[1] - a[0], lambda i: f"{i[1]} - {i[0]}")
_op("delta_hidden_noderiv", lambda a: math.fsum(w * d for w, d in _pairs(a[1:])),
    lambda i: _text_pairs(i[1:]), lambda n: (n - 1) // 2)
# derivative-of-p: p (1 - p) in place of o (1 - o)    args: p, o, d  /  p, o, w_1, delta_1, ...
_op("delta_out_dp", lambda a: a[0] * (1 - a[0]) * (a[2] - a[1]),
    lambda i: f"{i[0]} * (1 - {i[0]}) * ({i[2]} - {i[1]})", lambda n: 1)
_op("delta_hidden_dp", lambda a: a[0] * (1 - a[0]) * math.fsum(w * d for w, d in _pairs(a[2:])),
    lambda i: f"{i[0]} * (1 - {i[0]}) * ({_text_pairs(i[2:])})", lambda n: 1 + (n - 2) // 2)
# missing-alpha: dw = o_F * delta_N                 args: o_F, delta_N
_op("dw_noalpha", lambda a: a[0] * a[1], lambda i: f"{i[0]} * {i[1]}")
# dw-for-new-w: new_w = dw                          args: dw
_op("copy", lambda a: a[0], lambda i: f"{i[0]}")
# update-sign: new_w = w - dw                       args: w, dw
_op("subtract", lambda a: a[0] - a[1], lambda i: f"{i[0]} - {i[1]}")


def compute(op: str, args: Args) -> float:
    return OPS[op].compute(args)


def partials(op: str, args: Args) -> list[float]:
    """d(op)/d(arg_i) by central differences: every op is a low-degree polynomial in its
    arguments except the sigmoid, so this is accurate to ~1e-10 with this step."""
    f = OPS[op].compute
    out = []
    for i, x in enumerate(args):
        h = 1e-6 * max(1.0, abs(x))
        up = list(args)
        down = list(args)
        up[i] = x + h
        down[i] = x - h
        out.append((f(up) - f(down)) / (2 * h))
    return out
