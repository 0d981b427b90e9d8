"""Quantity ids, formulas and plain text for typst sources (the PDF twin of :mod:`.math`).

``typst_name("delta_C_step2")`` is ``delta_(C)^((2))``, ``typst_name("new_w_x1_A")`` is
``w'_(x 1, A)``; names with several letters are quoted (upright text), trailing digits of a
name are a subscript at the top level (``x_1``) and run on inside a subscript (``w_(x 1, A)``).
``typst_formula(q)`` and ``typst_numbers(q, decimals)`` write the formula of a quantity with
names or with the numbers put in (the formulas of the ops are written in :mod:`grader.ops`,
``Op.typst``). ``typst_string`` turns any text (a student's name, say) into
a typst string literal, so nothing a roster holds can be read as typst markup.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from ..ops import OPS
from ..solver import Quantity, split_id
from . import numbers

_NAME = re.compile(r"([A-Za-z]+)(\d*)\Z")


def typst_string(text: object) -> str:
    """A typst string literal holding ``text`` exactly (``#`` + this in markup)."""
    s = str(text)
    s = (s.replace("\\", "\\\\").replace('"', '\\"')
         .replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t"))
    return f'"{s}"'


def name(n: str, sub: bool = False) -> str:
    """An input or neuron name in math: ``A``, ``x_1`` (``x 1`` inside a subscript), ``"Out"``."""
    m = _NAME.match(n)
    if not m:
        return typst_string(n)
    letters, digits = m.groups()
    head = letters if len(letters) == 1 else typst_string(letters)
    if not digits:
        return head
    return f"{head} {digits}" if sub else f"{head}_{digits}"


def typst_name(qid: str) -> str:
    base, step = split_id(qid)
    sup = f"^(({step}))" if step > 1 else ""
    parts = base.split("_")
    if base == "alpha":
        return "alpha"
    if base == "P":
        return "P" + sup
    if base == "bias":
        return '"bias"'
    if base.startswith("new_w_") and len(parts) == 4:
        return f"w'_({name(parts[2], True)}, {name(parts[3], True)})" + sup
    if base.startswith("dw_") and len(parts) == 3:
        return f"Delta w_({name(parts[1], True)}, {name(parts[2], True)})" + sup
    if base.startswith("w_") and len(parts) == 3:
        return f"w_({name(parts[1], True)}, {name(parts[2], True)})" + sup
    if base.startswith("delta_") and len(parts) == 2:
        return f"delta_({name(parts[1], True)})" + sup
    if len(parts) == 2 and parts[0] in ("p", "o", "d"):
        return f"{parts[0]}_({name(parts[1], True)})" + sup
    return name(base) + (f"^(({step}))" if step > 1 else "")


def _arg(a: str, v: float) -> str:
    # the constant input of a bias weight is shown as its value: (-1) or 1
    return numbers.arg(v, 0) if a == "bias" else typst_name(a)


def typst_formula(q: Quantity) -> str:
    """The formula of ``q`` in typst math, with argument names."""
    return OPS[q.op].typst([_arg(a, v) for a, v in zip(q.args, q.arg_values, strict=True)])


def typst_numbers(q: Quantity, decimals: int, values: Sequence[float] | None = None) -> str:
    """The formula of ``q`` with its argument values (or ``values``) put in."""
    return OPS[q.op].typst([numbers.arg(v, decimals) for v in (q.arg_values if values is None else values)])


_TEX = (
    (re.compile(r"\\(alpha|delta|Delta)"), r"\1"),
    (re.compile(r"\{([^{}]*)\}"), r"(\1)"),
)


def tex_inline(text: str) -> str:
    """Prose with simple ``$...$`` LaTeX (``$w_{bias,N}$``, ``$-1$``, ``$\\alpha$``), shared with
    the Markdown views, as typst markup: the prose outside math is quoted as a string."""
    out = []
    for i, part in enumerate(text.split("$")):
        if i % 2 == 0:
            if part:
                out.append("#" + typst_string(part))
            continue
        math = part
        for pattern, repl in _TEX:
            math = pattern.sub(repl, math)
        math = re.sub(r"(?<![A-Za-z\"])([A-Za-z]{2,})(?![A-Za-z\"])",
                      lambda m: (m.group(1) if m.group(1) in ("alpha", "delta", "Delta")
                                 else typst_string(m.group(1))),
                      math)
        out.append(f"${math}$")
    return "".join(out)


def typst_op(op: str, args: Sequence[str], values: Sequence[float]) -> str:
    """The formula of ``op`` over the quantity ids ``args`` (for report items)."""
    return OPS[op].typst([_arg(a, v) for a, v in zip(args, values, strict=True)])


def typst_op_numbers(op: str, values: Sequence[float], decimals: int, args: Sequence[str] = (),
                     hidden: Collection[str] = ()) -> str:
    """The formula of ``op`` with ``values`` put in (those of the ``args`` in ``hidden`` by name:
    :func:`grader.render.feedback.unwritten`)."""
    if not hidden:
        return OPS[op].typst([numbers.arg(v, decimals) for v in values])
    return OPS[op].typst([typst_name(a) if a in hidden else numbers.arg(v, decimals)
                          for a, v in zip(args, values, strict=True)])
