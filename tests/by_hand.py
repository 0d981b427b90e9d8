"""Answers as a student working by hand writes them, for the grading and report tests."""

from __future__ import annotations

from grader.generator import Variant
from grader.rules import CORRECT, Rules
from grader.solver import solve


def hand_worked(variant: Variant, rules: Rules = CORRECT, rounded: bool = True,
                override: dict[str, float] | None = None) -> dict[str, float]:
    """What a student who works by hand under ``rules`` writes: every quantity rounded to the
    instance's decimals and each next one computed from the rounded ones (``override`` replaces
    a value before later steps use it)."""
    trace = solve(variant.instance, rules)
    values = dict(trace.givens)
    d = variant.instance.rounding
    for q in trace.quantities:
        v = q.recompute(values)
        if override and q.id in override:
            v = override[q.id]
        values[q.id] = round(v, d) if rounded else v
    return {q.id: values[q.id] for q in trace.quantities}
