"""The worked solution as plain data for the templates: for every update step, the
derivation's sections (forward pass, performance, final-layer deltas, hidden deltas, weight
updates), each line a formula, the formula with the numbers put in, and the result."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..model import Instance
from ..ops import OPS
from ..solver import Quantity, Trace
from . import numbers
from .math import _LATEX, latex_formula, latex_name, latex_numbers


@dataclass(frozen=True)
class Line:
    id: str
    formula: str
    with_numbers: str
    result: str
    tex_id: str
    tex_formula: str
    tex_numbers: str


@dataclass(frozen=True)
class Section:
    title: str
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Step:
    number: int
    inputs: tuple[tuple[str, str], ...]
    desired: tuple[tuple[str, str], ...]
    sections: tuple[Section, ...]


def line(q: Quantity, decimals: int, tex: bool = True, text: bool = True) -> Line:
    """One line of a worked solution; ``tex``/``text`` choose which notations to fill in
    (the other fields are left empty, so that a view pays only for what it shows)."""
    shown = [numbers.arg(v, decimals) for v in q.arg_values]
    return Line(
        id=q.id,
        formula=q.formula if text else "",
        with_numbers=OPS[q.op].text(shown) if text else "",
        result=numbers.fmt(q.value, decimals),
        tex_id=latex_name(q.id) if tex else "",
        tex_formula=latex_formula(q) if tex else "",
        tex_numbers=latex_numbers(q, decimals) if tex else "",
    )


def _section_of(q: Quantity, instance: Instance) -> str:
    if q.kind in ("p", "o"):
        return "Forward pass"
    if q.kind == "P":
        return "Performance (before the update)"
    if q.kind == "delta":
        return "Final-layer deltas" if instance.is_final(q.subject) else "Hidden-layer deltas (old weights)"
    return "Weight updates"


SECTION_ORDER = (
    "Forward pass",
    "Performance (before the update)",
    "Final-layer deltas",
    "Hidden-layer deltas (old weights)",
    "Weight updates",
)


class _Layout:
    """What the worked solution of a trace takes from the net's structure alone: per quantity
    of the trace (by position) the parts of its line that do not depend on the numbers, and
    per update step its sections with the positions of their quantities."""

    __slots__ = ("lines", "steps")

    def __init__(self, trace: Trace, tex: bool, text: bool) -> None:
        inst = trace.instance
        #: (formula, id in LaTeX, formula in LaTeX, the op's formula of argument texts in the
        #: text notation, the same in LaTeX), empty (None) where the view does not show it
        self.lines: tuple[tuple[str, str, str, _Formula | None, _Formula | None], ...] = tuple(
            (
                q.formula if text else "",
                latex_name(q.id) if tex else "",
                latex_formula(q) if tex else "",
                OPS[q.op].text if text else None,
                _LATEX[q.op] if tex else None,
            )
            for q in trace.quantities
        )
        grouped: dict[int, dict[str, list[int]]] = {}
        for i, q in enumerate(trace.quantities):
            sections = grouped.setdefault(q.step, {title: [] for title in SECTION_ORDER})
            sections[_section_of(q, inst)].append(i)
        #: (step, ((section title, positions), ...)) for every update step
        self.steps: tuple[tuple[int, tuple[tuple[str, tuple[int, ...]], ...]], ...] = tuple(
            (k, tuple((title, tuple(ps)) for title, ps in grouped.get(k, {}).items() if ps))
            for k in range(1, inst.steps + 1)
        )


_Formula = Callable[[Sequence[str]], str]
def _layout(trace: Trace, tex: bool, text: bool) -> _Layout:
    """The :class:`_Layout` of ``trace``, kept with its derivation per view. (A formula in
    LaTeX shows the constant bias input by its value, which the structure and the rules fix.)"""
    return trace.derivation.memo(("worked", tex, text), lambda: _Layout(trace, tex, text))


class _Shown(dict):
    """``numbers.fmt(v, decimals)`` by float value ``v``, each written once: the values of a
    trace recur as the arguments of later lines."""

    __slots__ = ("decimals",)

    def __init__(self, decimals: int) -> None:
        super().__init__()
        self.decimals = decimals

    def __missing__(self, v: float) -> str:
        text = self[v] = numbers.fmt(v, self.decimals)
        return text


class _ShownArg(dict):
    """``numbers.arg(v, decimals)`` by float value ``v``: the text of :class:`_Shown`, in
    parentheses when negative."""

    __slots__ = ("shown",)

    def __init__(self, shown: _Shown) -> None:
        super().__init__()
        self.shown = shown

    def __missing__(self, v: float) -> str:
        text = self.shown[v]
        text = self[v] = f"({text})" if text.startswith("-") else text
        return text


class _Written:
    """``fn(v, decimals)`` on every look-up: for traces with given values that are not floats
    (an ``int`` equals the ``float`` of the same value, and would share its memo entry)."""

    __slots__ = ("fn", "decimals")

    def __init__(self, fn: Callable[[float, int], str], decimals: int) -> None:
        self.fn, self.decimals = fn, decimals

    def __getitem__(self, v: float) -> str:
        return self.fn(v, self.decimals)


def worked_steps(
    trace: Trace, decimals: int | None = None, *, tex: bool = True, text: bool = True
) -> tuple[Step, ...]:
    """The worked solution of ``trace``: for each quantity the same :class:`Line` as
    :func:`line` makes, grouped by step and section. What depends only on the structure is
    made once per structure (:func:`_layout`), and every number is written once per call."""
    d = trace.instance.rounding + 2 if decimals is None else decimals
    inst = trace.instance
    layout = _layout(trace, tex, text)
    quantities = trace.quantities
    if all(v.__class__ is float for _, v in trace.givens):  # and so every computed value
        shown: _Shown | _Written = _Shown(d)
        shown_arg: _ShownArg | _Written = _ShownArg(shown)
    else:
        shown, shown_arg = _Written(numbers.fmt, d), _Written(numbers.arg, d)
    statics = layout.lines

    def line_at(i: int) -> Line:
        q = quantities[i]
        formula, tex_id, tex_formula, text_of, tex_of = statics[i]
        args = [shown_arg[v] for v in q.arg_values]
        return Line(q.id, formula, text_of(args) if text_of else "", shown[q.value], tex_id, tex_formula,
                    tex_of(args) if tex_of else "")

    steps = []
    for k, sections in layout.steps:
        sample = inst.sample_of_step(k)
        steps.append(
            Step(
                number=k,
                inputs=tuple((n, numbers.fmt(v, d)) for n, v in sample.inputs),
                desired=tuple((n, numbers.fmt(v, d)) for n, v in sample.desired),
                sections=tuple(Section(title, tuple([line_at(i) for i in ps])) for title, ps in sections),
            )
        )
    return tuple(steps)
