"""The operations that make every quantity: each op's arithmetic, partial derivatives and formula
in one place.

A quantity of the trace names an op and the ids of its arguments; ``compute`` turns argument
values into the quantity's value, ``grad`` gives its partial derivatives with respect to each
argument (written out by hand: the tolerance policy, :mod:`grader.tolerance`, weighs each
argument's error by them; :func:`numeric_partials` is the central-difference check the tests
compare them with), and ``formula`` writes it in any :class:`Notation`: plain text in the 6.034
notation (``text``), LaTeX for Markdown (``latex``) and typst for PDFs (``typst``). The correct
solver and every misconception use these same ops (a misconception picks another op or other
arguments), and so does the grader when it recomputes a step from a student's own earlier
answers. Argument lists are flat; ``shape`` says how: a fixed head, then (weight, value) pairs.
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


# --------------------------------------------------------------------------- notations


@dataclass(frozen=True)
class Notation:
    """How one notation writes the pieces every formula is made of."""

    name: str
    #: between the factors of a product
    times: str
    #: one product ``w * o`` of a sum (typst boxes it: a long sum wraps only at its + signs)
    product: Callable[[str, str], str]
    #: the derivative ``o (1 - o)``, unbroken
    slope: Callable[[str], str]
    #: ``1 / (1 + exp(-p))``
    sigmoid: Callable[[str], str]
    #: ``-1/2 (terms)``
    minus_half: Callable[[str], str]


TEXT = Notation(
    "text", " * ", lambda a, b: f"{a} * {b}", lambda o: f"{o} * (1 - {o})",
    lambda p: f"1 / (1 + exp(-{p}))", lambda s: f"-1/2 * ({s})")
LATEX = Notation(
    "latex", r" \cdot ", lambda a, b: rf"{a} \cdot {b}", lambda o: rf"{o} \cdot (1 - {o})",
    lambda p: rf"\frac{{1}}{{1 + e^{{-{p}}}}}", lambda s: rf"-\frac{{1}}{{2}}\left({s}\right)")
TYPST = Notation(
    "typst", " dot ", lambda a, b: f"#box(${a} dot {b}$)", lambda o: f"#box(${o} dot (1 - {o})$)",
    lambda p: f"display(frac(1, 1 + e^(-{p})))", lambda s: f"-display(frac(1, 2)) ({s})")
NOTATIONS = (TEXT, LATEX, TYPST)


def _sum(n: Notation, a: Sequence[str]) -> str:
    """``w_1 * o_1 + w_2 * o_2 + ...`` of the pairs ``a``."""
    return " + ".join(n.product(w, o) for w, o in zip(a[0::2], a[1::2], strict=True))


def _squares(a: Sequence[str]) -> str:
    return " + ".join(f"({d} - {o})^2" for d, o in zip(a[0::2], a[1::2], strict=True))


# --------------------------------------------------------------------------- the op


@dataclass(frozen=True)
class Op:
    """An operation: its arithmetic, its partial derivatives and its formula, side by side."""

    name: str
    compute: Callable[[Args], float]
    #: d(op)/d(arg_i) for every argument, in the order of the arguments
    grad: Callable[[Args], list[float]]
    #: the formula over argument names (or numbers) in a notation
    formula: Callable[[Notation, Sequence[str]], str]
    #: the arguments: (a fixed head, the size of each repeated group after it (0: none))
    shape: tuple[int, int]

    def text(self, args: Sequence[str]) -> str:
        return self.formula(TEXT, args)

    def latex(self, args: Sequence[str]) -> str:
        return self.formula(LATEX, args)

    def typst(self, args: Sequence[str]) -> str:
        return self.formula(TYPST, args)


OPS: dict[str, Op] = {}


def _op(name: str, shape: tuple[int, int], compute: Callable[[Args], float],
        grad: Callable[[Args], list[float]], formula: Callable[[Notation, Sequence[str]], str]) -> None:
    OPS[name] = Op(name, compute, grad, formula, shape)


def _swap_pairs(a: Args) -> list[float]:
    """d/dx of x * y is y and d/dy is x: the pairs (a, b) become (b, a)."""
    g = list(a)
    g[0::2] = a[1::2]
    g[1::2] = a[0::2]
    return g


def _pairs_sum(a: Args) -> float:
    # math.fsum of the products, in the order of the arguments: correctly rounded, whatever
    # the grouping of the products
    return _fsum(map(mul, a[0::2], a[1::2]))


# ---- p_N = sum_F w_F_N * o_F                       args: w_1, o_1, w_2, o_2, ...
_op("weighted_sum", (0, 2), _pairs_sum, _swap_pairs, _sum)


# ---- o_N = 1 / (1 + exp(-p_N))                     args: p
def _sigmoid_grad(a: Args) -> list[float]:
    s = sigmoid(a[0])
    return [s * (1 - s)]


_op("sigmoid", (1, 0), lambda a: sigmoid(a[0]), _sigmoid_grad, lambda n, a: n.sigmoid(a[0]))


# ---- P = -1/2 sum (d_N - o_N)^2                    args: d_1, o_1, d_2, o_2, ...
def _performance(a: Args) -> float:
    return -0.5 * _fsum((d - o) ** 2 for d, o in zip(a[0::2], a[1::2], strict=True))


def _performance_grad(a: Args) -> list[float]:
    # dP/dd = -(d - o), dP/do = d - o
    g = list(a)
    for i in range(0, len(a) - 1, 2):
        e = a[i] - a[i + 1]
        g[i] = -e
        g[i + 1] = e
    return g


_op("performance", (0, 2), _performance, _performance_grad, lambda n, a: n.minus_half(_squares(a)))


# ---- delta_N = o_N (1 - o_N) (d_N - o_N)           args: o, d
def _delta_out(a: Args) -> float:
    o, d = a[0], a[1]
    return o * (1 - o) * (d - o)


def _delta_out_grad(a: Args) -> list[float]:
    o, d = a[0], a[1]
    slope = o * (1 - o)
    return [(1 - 2 * o) * (d - o) - slope, slope]


_op("delta_out", (2, 0), _delta_out, _delta_out_grad,
    lambda n, a: f"{n.slope(a[0])}{n.times}({a[1]} - {a[0]})")


# ---- delta_N = o_N (1 - o_N) sum_R w_N_R delta_R   args: o, w_1, delta_1, ...
def _delta_hidden(a: Args) -> float:
    o = a[0]
    return o * (1 - o) * _fsum(map(mul, a[1::2], a[2::2]))


def _delta_hidden_grad(a: Args) -> list[float]:
    # o (1 - o) S with S = sum w_i delta_i: d/do = (1 - 2o) S, d/dw_i = o (1 - o) delta_i, ...
    o = a[0]
    slope = o * (1 - o)
    return [(1 - 2 * o) * _pairs_sum(a[1:])] + [slope * x for x in _swap_pairs(a[1:])]


_op("delta_hidden", (1, 2), _delta_hidden, _delta_hidden_grad,
    lambda n, a: f"{n.slope(a[0])}{n.times}({_sum(n, a[1:])})")


# ---- dw_F_N = alpha * o_F * delta_N                args: alpha, o_F, delta_N
_op("dw", (3, 0), lambda a: a[0] * a[1] * a[2], lambda a: [a[1] * a[2], a[0] * a[2], a[0] * a[1]],
    lambda n, a: n.times.join(a[:3]))

# ---- new_w_F_N = w_F_N + dw_F_N                    args: w, dw
_op("add", (2, 0), lambda a: a[0] + a[1], lambda a: [1.0, 1.0], lambda n, a: f"{a[0]} + {a[1]}")


# --------------------------------------------------------------------------- ops that only misconceptions use

# ---- sign-flip: (o - d) instead of (d - o)         args: o, d
def _delta_out_flipped(a: Args) -> float:
    o, d = a[0], a[1]
    return o * (1 - o) * (o - d)


def _delta_out_flipped_grad(a: Args) -> list[float]:
    o, d = a[0], a[1]
    slope = o * (1 - o)
    return [(1 - 2 * o) * (o - d) + slope, -slope]


_op("delta_out_flipped", (2, 0), _delta_out_flipped, _delta_out_flipped_grad,
    lambda n, a: f"{n.slope(a[0])}{n.times}({a[0]} - {a[1]})")

# ---- missing-derivative: no o (1 - o) factor       args: o, d  /  o, w_1, delta_1, ...
_op("delta_out_noderiv", (2, 0), lambda a: a[1] - a[0], lambda a: [-1.0, 1.0],
    lambda n, a: f"{a[1]} - {a[0]}")
_op("delta_hidden_noderiv", (1, 2), lambda a: _fsum(map(mul, a[1::2], a[2::2])),
    lambda a: [0.0] + _swap_pairs(a[1:]), lambda n, a: _sum(n, a[1:]))


# ---- derivative-of-p: p (1 - p) in place of o (1 - o)    args: p, o, d  /  p, o, w_1, delta_1, ...
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
    return [(1 - 2 * p) * _pairs_sum(a[2:]), 0.0] + [slope * x for x in _swap_pairs(a[2:])]


_op("delta_out_dp", (3, 0), _delta_out_dp, _delta_out_dp_grad,
    lambda n, a: f"{n.slope(a[0])}{n.times}({a[2]} - {a[1]})")
_op("delta_hidden_dp", (2, 2), _delta_hidden_dp, _delta_hidden_dp_grad,
    lambda n, a: f"{n.slope(a[0])}{n.times}({_sum(n, a[2:])})")

# ---- missing-alpha: dw = o_F * delta_N             args: o_F, delta_N
_op("dw_noalpha", (2, 0), lambda a: a[0] * a[1], lambda a: [a[1], a[0]], lambda n, a: n.times.join(a[:2]))
# ---- dw-for-new-w: new_w = dw                      args: dw
_op("copy", (1, 0), lambda a: a[0], lambda a: [1.0], lambda n, a: a[0])
# ---- update-sign: new_w = w - dw                   args: w, dw
_op("subtract", (2, 0), lambda a: a[0] - a[1], lambda a: [1.0, -1.0], lambda n, a: f"{a[0]} - {a[1]}")


# --------------------------------------------------------------------------- by name


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
