"""Quantity ids and formulas as LaTeX math (``$...$`` in Markdown, rendered by JupyterLab
and GitHub): ``delta_C_step2`` -> ``\\delta_{C}^{(2)}``, ``new_w_A_C`` -> ``w'_{A,C}``,
``new_w_A_C_step2`` -> ``w'^{(2)}_{A,C}``. tests/test_markdown_math.py renders every piece of
every Markdown output with KaTeX."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from ..solver import Quantity, split_id
from . import numbers

_TRAILING_DIGITS = re.compile(r"([A-Za-z]+)(\d+)\Z")


def _plain(name: str) -> str:
    m = _TRAILING_DIGITS.match(name)
    return f"{m.group(1)}_{{{m.group(2)}}}" if m else name


def latex_name(qid: str) -> str:
    base, step = split_id(qid)
    sup = f"^{{({step})}}" if step > 1 else ""
    parts = base.split("_")
    if base == "alpha":
        return r"\alpha"
    if base == "P":
        return "P" + sup
    if base.startswith("new_w_") and len(parts) == 4:
        # the prime is a superscript already: the step goes beside it (w'^{(2)}_{A,C}); after the
        # subscript it would be a second superscript, which TeX, MathJax and KaTeX refuse
        return f"w'{sup}_{{{parts[2]},{parts[3]}}}"
    if base.startswith("dw_") and len(parts) == 3:
        return rf"\Delta w_{{{parts[1]},{parts[2]}}}" + sup
    if base.startswith("w_") and len(parts) == 3:
        return f"w_{{{parts[1]},{parts[2]}}}" + sup
    if base.startswith("delta_") and len(parts) == 2:
        return rf"\delta_{{{parts[1]}}}" + sup
    if len(parts) == 2 and parts[0] in ("p", "o", "d"):
        return f"{parts[0]}_{{{parts[1]}}}" + sup
    if sup:
        return f"{_plain(base)}{sup}"
    return _plain(base)


def _sum(pairs: Sequence[str]) -> str:
    return " + ".join(rf"{a} \cdot {b}" for a, b in zip(pairs[0::2], pairs[1::2], strict=True))


_LATEX: dict[str, Callable[[Sequence[str]], str]] = {
    "weighted_sum": _sum,
    "sigmoid": lambda a: rf"\frac{{1}}{{1 + e^{{-{a[0]}}}}}",
    "performance": lambda a: r"-\frac{1}{2}\left(" + " + ".join(
        f"({d} - {o})^2" for d, o in zip(a[0::2], a[1::2], strict=True)) + r"\right)",
    "delta_out": lambda a: rf"{a[0]} \cdot (1 - {a[0]}) \cdot ({a[1]} - {a[0]})",
    "delta_hidden": lambda a: rf"{a[0]} \cdot (1 - {a[0]}) \cdot ({_sum(a[1:])})",
    "dw": lambda a: rf"{a[0]} \cdot {a[1]} \cdot {a[2]}",
    "add": lambda a: f"{a[0]} + {a[1]}",
    "delta_out_flipped": lambda a: rf"{a[0]} \cdot (1 - {a[0]}) \cdot ({a[0]} - {a[1]})",
    "delta_out_noderiv": lambda a: f"{a[1]} - {a[0]}",
    "delta_hidden_noderiv": lambda a: _sum(a[1:]),
    "delta_out_dp": lambda a: rf"{a[0]} \cdot (1 - {a[0]}) \cdot ({a[2]} - {a[1]})",
    "delta_hidden_dp": lambda a: rf"{a[0]} \cdot (1 - {a[0]}) \cdot ({_sum(a[2:])})",
    "dw_noalpha": lambda a: rf"{a[0]} \cdot {a[1]}",
    "copy": lambda a: a[0],
    "subtract": lambda a: f"{a[0]} - {a[1]}",
}


def _arg_name(arg: str, value: float) -> str:
    # the constant input of a bias weight is shown as its value: (-1) or 1
    return numbers.arg(value, 0) if arg == "bias" else latex_name(arg)


def latex_formula(q: Quantity) -> str:
    """The formula of ``q`` in LaTeX, with argument names."""
    return _LATEX[q.op]([_arg_name(a, v) for a, v in zip(q.args, q.arg_values, strict=True)])


def latex_numbers(q: Quantity, decimals: int) -> str:
    """The formula of ``q`` in LaTeX with the argument values put in."""
    return _LATEX[q.op]([numbers.arg(v, decimals) for v in q.arg_values])
