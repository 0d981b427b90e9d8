"""How numbers are written: in worked solutions, handouts and TOML."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from typing import Any

#: format specs of the fast path of :func:`fmt`
_FIXED = {d: f".{d}f" for d in range(1, 18)}


def fmt(x: float, decimals: int = 4) -> str:
    """``x`` for people: exact values as they are (``1``, ``0.5``, ``-2``), others rounded
    to ``decimals`` places (``0.7311``)."""
    if x.__class__ is float and (spec := _FIXED.get(decimals)) is not None and decimals.__class__ is int:
        # The fast path for a float (the renderers call this a lot), with the same result as the
        # general code below: ``round(x, decimals)`` is ``float()`` of exactly this text (both
        # are correctly rounded to ``decimals`` places), and the text of that rounded value at
        # ``decimals`` places is this text again. Only a text that ends in 0 can be shortened
        # (or be a negative zero). NaN and infinities come out as ``str(x)``.
        text = format(x, spec)
        if text[-1] != "0":
            return text
        if -1e-12 < float(text) - x < 1e-12:
            text = text.rstrip("0").rstrip(".")
        if text[0] == "-" and text in ("-0", "-0." + "0" * decimals):
            text = text[1:]
        return text
    if isinstance(x, bool):
        return str(x).lower()
    if not math.isfinite(x):
        return str(x)
    if abs(round(x, decimals) - x) < 1e-12:
        if decimals > 0:
            text = f"{round(x, decimals):.{decimals}f}".rstrip("0").rstrip(".")
        else:
            text = f"{round(x):d}"
    else:
        text = f"{x:.{decimals}f}"
    if text in ("-0", "-0." + "0" * decimals):
        text = text[1:]
    return text


def fixed_spec(decimals: int) -> str | None:
    """The format spec of the fast path of :func:`fmt` at ``decimals`` places, or None where
    there is none: for a float ``x``, ``fmt(x, decimals)`` is ``format(x, spec)`` whenever that
    text does not end in 0 (callers that format many numbers may take that shortcut first)."""
    return _FIXED.get(decimals) if decimals.__class__ is int else None


def fmt_many(xs: Iterable[Any], decimals: int = 4, other: Callable[[Any], str] | None = None) -> list[str]:
    """``[fmt(x, decimals) for x in xs]``, made faster for floats (a report formats a column
    of them), or ``other(x)`` for an ``x`` that is not a float when ``other`` is given. The
    text of a float that does not end in 0 is that of fmt's fast path; one that does and is
    the value of its text exactly is shortened as fmt would (-0 is 0); the others are fmt's."""
    spec = fixed_spec(decimals)
    if other is None:
        def other(x: Any) -> str:
            return fmt(x, decimals)
    if spec is None:
        return [fmt(x, decimals) if x.__class__ is float else other(x) for x in xs]
    return [(t if (t := format(x, spec))[-1] != "0"
             else s if float(t) == x and (s := t.rstrip("0").rstrip(".")) != "-0"
             else "0" if x == 0.0 else fmt(x, decimals)) if x.__class__ is float else other(x)
            for x in xs]


def arg(x: float, decimals: int = 4) -> str:
    """``fmt`` with parentheses around negative numbers, for putting into a formula."""
    text = fmt(x, decimals)
    return f"({text})" if text.startswith("-") else text


def toml_value(value: Any) -> str:
    """A TOML literal for a plain value (str, bool, int, float, list, dict as inline table)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot write {value} to TOML")
        text = repr(value)
        return text if any(c in text for c in ".en") else text + ".0"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML form for {type(value).__name__}")
