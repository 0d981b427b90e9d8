"""Misconception diagnosis: which named mistake explains a wrong answer.

Each misconception is a changed rule of the solver (:mod:`grader.rules`). For a wrong answer to
quantity ``q`` we take, for every misconception ``m``, the quantity of the same id in the
mutant trace ``solve(instance, m.rules)`` and recompute it from the student's *own* values
(their answers, or what the right formulas give from them where they wrote none), with the
mutant's givens (the bias-input mutant flips the constant input). The mutant's formula may use
other ids than the right one (the updated-weights mutant computes ``delta_A`` from
``new_w_A_C``; the dw-for-new-w mutant's ``new_w`` is a copy of ``dw``): the student's own
values of those ids are used, so a student who made the mistake after an earlier slip is still
diagnosed. A misconception is named when the answer equals its value within the one-step
tolerance and the misconception changes this step (its value differs from the right formula's
by more than that tolerance). The closest match wins.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from .model import Instance
from .rules import MISCONCEPTIONS, Misconception, Rules
from .solver import Quantity, Trace, solve
from .tolerance import local


@lru_cache(maxsize=256)
def mutant(instance: Instance, rules: Rules) -> Trace:
    """The trace of a student who holds one misconception and makes no other mistake."""
    return solve(instance, rules)


def mutant_value(q: Quantity, m: Misconception, instance: Instance, own: Mapping[str, float],
                 decimals: int) -> tuple[float, float] | None:
    """(value, tolerance) of quantity ``q.id`` under ``m`` from the student's own values, or
    None when ``m`` has no such quantity."""
    trace = mutant(instance, m.rules)
    if q.id not in trace:
        return None
    mq = trace[q.id]
    mgivens = dict(trace.givens)
    values = dict(own)
    values.update(mgivens)
    for a in mq.args:
        if a not in values:
            values[a] = trace.value(a)
    return mq.recompute(values), local(mq, values, mgivens, decimals)


def diagnose(q: Quantity, answer: float, trace: Trace, own: Mapping[str, float],
             decimals: int) -> Misconception | None:
    """The misconception that best explains ``answer`` for ``q``, or None."""
    right = q.recompute(dict(own))
    best: tuple[float, Misconception] | None = None
    for m in MISCONCEPTIONS.values():
        found = mutant_value(q, m, trace.instance, own, decimals)
        if found is None:
            continue
        value, tol = found
        if abs(value - right) <= tol:
            continue  # this misconception does not change this step
        distance = abs(answer - value)
        if distance <= tol and (best is None or distance < best[0]):
            best = (distance, m)
    return None if best is None else best[1]
