"""The worked solution as plain data for the templates: for every update step, the
derivation's sections (forward pass, performance, final-layer deltas, hidden deltas, weight
updates), each line a formula, the formula with the numbers put in, and the result."""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Instance
from ..ops import OPS
from ..solver import Quantity, Trace
from . import numbers
from .math import latex_formula, latex_name, latex_numbers


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


def worked_steps(trace: Trace, decimals: int | None = None, *, tex: bool = True, text: bool = True) -> tuple[Step, ...]:
    d = trace.instance.rounding + 2 if decimals is None else decimals
    inst = trace.instance
    steps = []
    for k in range(1, inst.steps + 1):
        grouped: dict[str, list[Line]] = {title: [] for title in SECTION_ORDER}
        for q in trace.step(k):
            grouped[_section_of(q, inst)].append(line(q, d, tex, text))
        sample = inst.sample_of_step(k)
        steps.append(
            Step(
                number=k,
                inputs=tuple((n, numbers.fmt(v, d)) for n, v in sample.inputs),
                desired=tuple((n, numbers.fmt(v, d)) for n, v in sample.desired),
                sections=tuple(Section(t, tuple(ls)) for t, ls in grouped.items() if ls),
            )
        )
    return tuple(steps)
