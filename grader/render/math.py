"""Quantity ids and formulas as LaTeX math (``$...$`` in Markdown, rendered by JupyterLab
and GitHub): ``delta_C_step2`` -> ``\\delta_{C}^{(2)}``, ``new_w_A_C`` -> ``w'_{A,C}``,
``new_w_A_C_step2`` -> ``w'^{(2)}_{A,C}``. The formulas of the ops are written in
:mod:`grader.ops` (``Op.latex``), beside their arithmetic. tests/test_markdown_math.py renders
every piece of every Markdown output with KaTeX."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from ..ops import OPS
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


#: each op's LaTeX formula by name (:meth:`grader.ops.Op.latex`)
_LATEX: dict[str, Callable[[Sequence[str]], str]] = {name: op.latex for name, op in OPS.items()}


def _arg_name(arg: str, value: float) -> str:
    # the constant input of a bias weight is shown as its value: (-1) or 1
    return numbers.arg(value, 0) if arg == "bias" else latex_name(arg)


def latex_formula(q: Quantity) -> str:
    """The formula of ``q`` in LaTeX, with argument names."""
    return OPS[q.op].latex([_arg_name(a, v) for a, v in zip(q.args, q.arg_values, strict=True)])


def latex_numbers(q: Quantity, decimals: int) -> str:
    """The formula of ``q`` in LaTeX with the argument values put in."""
    return OPS[q.op].latex([numbers.arg(v, decimals) for v in q.arg_values])
