"""The operations that make every quantity, each with its formula beside its arithmetic.

A quantity of the trace names an op and the ids of its arguments; ``compute`` turns argument
values into the quantity's value and ``text`` writes the formula in the 6.034 notation. The
correct solver and every misconception use these same ops (a misconception picks another op or
other arguments), and so does the grader when it recomputes a step from a student's own earlier
answers. Argument lists are flat; ``*pairs`` means (weight, value) pairs follow.

Every op also carries ``grad``, its partial derivatives with respect to each argument, written
out by hand (the tolerance policy, :mod:`grader.tolerance`, weighs each argument's error by
them). :func:`numeric_partials` is the central-difference check the tests compare ``grad`` with.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import mul

Args = Sequence[float]

_fsum = math.fsum


def sigmoid(p: float) -> float:
    # Written to avoid overflow for large |p|; both branches equal 1 / (1 + exp(-p)).
    if p >= 0:
        return 1.0 / (1.0 + math.exp(-p))
    e = math.exp(p)
    return e / (1.0 + e)


def _text_pairs(ids: Sequence[str]) -> str:
    return " + ".join(f"{a} * {b}" for a, b in zip(ids[0::2], ids[1::2], strict=True))


@dataclass(frozen=True)
class Op:
    """An operation: its arithmetic, its formula and its partial derivatives, side by side."""

    name: str
    compute: Callable[[Args], float]
    text: Callable[[Sequence[str]], str]
    #: d(op)/d(arg_i) for every argument, in the order of the arguments
    grad: Callable[[Args], list[float]]


OPS: dict[str, Op] = {}


def _op(name: str, compute: Callable[[Args], float], text: Callable[[Sequence[str]], str],
        grad: Callable[[Args], list[float]]) -> None:
    OPS[name] = Op(name, compute, text, grad)


# ---- sums of products and their derivatives
# (the sums are math.fsum of the products, in the order of the arguments: the values are
# correctly rounded and do not depend on how the products are grouped)

def _weighted_sum(a: Args) -> float:
    return _fsum(map(mul, a[0::2], a[1::2]))


def _swap_pairs(a: Args) -> list[float]:
    """d/dx of x * y is y and d/dy is x: the pairs (a, b) become (b, a)."""
    g = list(a)
    g[0::2] = a[1::2]
    g[1::2] = a[0::2]
    return g


def _performance(a: Args) -> float:
    return -0.5 * _fsum((d - o) ** 2 for d, o in zip(a[0::2], a[1::2], strict=True))


def _performance_grad(a: Args) -> list[float]:
    # P = -1/2 sum (d - o)^2: dP/dd = -(d - o), dP/do = d - o
    g = list(a)
    for i in range(0, len(a) - 1, 2):
        e = a[i] - a[i + 1]
        g[i] = -e
        g[i + 1] = e
    return g


def _sigmoid_grad(a: Args) -> list[float]:
    s = sigmoid(a[0])
    return [s * (1 - s)]


def _delta_out(a: Args) -> float:
    o, d = a[0], a[1]
    return o * (1 - o) * (d - o)


def _delta_out_grad(a: Args) -> list[float]:
    o, d = a[0], a[1]
    slope = o * (1 - o)
    return [(1 - 2 * o) * (d - o) - slope, slope]


def _delta_hidden(a: Args) -> float:
    o = a[0]
    return o * (1 - o) * _fsum(map(mul, a[1::2], a[2::2]))


def _delta_hidden_grad(a: Args) -> list[float]:
    # o (1 - o) S with S = sum w_i delta_i: d/do = (1 - 2o) S, d/dw_i = o (1 - o) delta_i, ...
    o = a[0]
    slope = o * (1 - o)
    g = [(1 - 2 * o) * _fsum(map(mul, a[1::2], a[2::2]))]
    g += [slope * x for x in _swap_pairs(a[1:])]
    return g


def _dw(a: Args) -> float:
    return a[0] * a[1] * a[2]


def _dw_grad(a: Args) -> list[float]:
    return [a[1] * a[2], a[0] * a[2], a[0] * a[1]]


def _delta_out_flipped(a: Args) -> float:
    o, d = a[0], a[1]
    return o * (1 - o) * (o - d)


def _delta_out_flipped_grad(a: Args) -> list[float]:
    o, d = a[0], a[1]
    slope = o * (1 - o)
    return [(1 - 2 * o) * (o - d) + slope, -slope]


def _delta_hidden_noderiv(a: Args) -> float:
    return _fsum(map(mul, a[1::2], a[2::2]))


def _delta_hidden_noderiv_grad(a: Args) -> list[float]:
    return [0.0] + _swap_pairs(a[1:])


def _delta_out_dp(a: Args) -> float:
    p = a[0]
    return p * (1 - p) * (a[2] - a[1])


def _delta_out_dp_grad(a: Args) -> list[float]:
    p = a[0]
    slope = p * (1 - p)
    return [(1 - 2 * p) * (a[2] - a[1]), -slope, slope]


def _delta_hidden_dp(a: Args) -> float:
    p = a[0]
    return p * (1 - p) * _fsum(map(mul, a[2::2], a[3::2]))


def _delta_hidden_dp_grad(a: Args) -> list[float]:
    p = a[0]
    slope = p * (1 - p)
    g = [(1 - 2 * p) * _fsum(map(mul, a[2::2], a[3::2])), 0.0]
    g += [slope * x for x in _swap_pairs(a[2:])]
    return g


# p_N = sum_F w_F_N * o_F            args: w_1, o_1, w_2, o_2, ...
_op("weighted_sum", _weighted_sum, _text_pairs, _swap_pairs)
# o_N = 1 / (1 + exp(-p_N))         args: p
_op("sigmoid", lambda a: sigmoid(a[0]), lambda i: f"1 / (1 + exp(-{i[0]}))", _sigmoid_grad)
# P = -1/2 sum (d_N - o_N)^2        args: d_1, o_1, d_2, o_2, ...
_op("performance", _performance,
    lambda i: "-1/2 * (" + " + ".join(f"({d} - {o})^2" for d, o in zip(i[0::2], i[1::2], strict=True)) + ")",
    _performance_grad)
# delta_N = o_N (1 - o_N) (d_N - o_N)               args: o, d
_op("delta_out", _delta_out, lambda i: f"{i[0]} * (1 - {i[0]}) * ({i[1]} - {i[0]})", _delta_out_grad)
# delta_N = o_N (1 - o_N) sum_R w_N_R delta_R       args: o, w_1, delta_1, ...
_op("delta_hidden", _delta_hidden, lambda i: f"{i[0]} * (1 - {i[0]}) * ({_text_pairs(i[1:])})",
    _delta_hidden_grad)
# dw_F_N = alpha * o_F * delta_N                    args: alpha, o_F, delta_N
_op("dw", _dw, lambda i: f"{i[0]} * {i[1]} * {i[2]}", _dw_grad)
# new_w_F_N = w_F_N + dw_F_N                        args: w, dw
_op("add", lambda a: a[0] + a[1], lambda i: f"{i[0]} + {i[1]}", lambda a: [1.0, 1.0])

# ---- ops that only misconceptions use
# sign-flip: (o - d) instead of (d - o)
_op("delta_out_flipped", _delta_out_flipped, lambda i: f"{i[0]} * (1 - {i[0]}) * ({i[0]} - {i[1]})",
    _delta_out_flipped_grad)
# missing-derivative: no o (1 - o) factor
_op("delta_out_noderiv", lambda a: a[1] - a[0], lambda i: f"{i[1]} - {i[0]}", lambda a: [-1.0, 1.0])
_op("delta_hidden_noderiv", _delta_hidden_noderiv, lambda i: _text_pairs(i[1:]),
    _delta_hidden_noderiv_grad)
# derivative-of-p: p (1 - p) in place of o (1 - o)    args: p, o, d  /  p, o, w_1, delta_1, ...
_op("delta_out_dp", _delta_out_dp, lambda i: f"{i[0]} * (1 - {i[0]}) * ({i[2]} - {i[1]})",
    _delta_out_dp_grad)
_op("delta_hidden_dp", _delta_hidden_dp, lambda i: f"{i[0]} * (1 - {i[0]}) * ({_text_pairs(i[2:])})",
    _delta_hidden_dp_grad)
# missing-alpha: dw = o_F * delta_N                 args: o_F, delta_N
_op("dw_noalpha", lambda a: a[0] * a[1], lambda i: f"{i[0]} * {i[1]}", lambda a: [a[1], a[0]])
# dw-for-new-w: new_w = dw                          args: dw
_op("copy", lambda a: a[0], lambda i: f"{i[0]}", lambda a: [1.0])
# update-sign: new_w = w - dw                       args: w, dw
_op("subtract", lambda a: a[0] - a[1], lambda i: f"{i[0]} - {i[1]}", lambda a: [1.0, -1.0])


def compute(op: str, args: Args) -> float:
    return OPS[op].compute(args)


def partials(op: str, args: Args) -> list[float]:
    """d(op)/d(arg_i) for every argument, from the op's derivatives written out by hand."""
    return OPS[op].grad(args)


def numeric_partials(op: str, args: Args) -> list[float]:
    """d(op)/d(arg_i) by central differences (what the tests check :func:`partials` against):
    every op is a low-degree polynomial in its arguments except the sigmoid, so this is
    accurate to ~1e-10 with this step."""
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
