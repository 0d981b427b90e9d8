"""Misconception diagnosis: which named mistake explains a wrong answer.

Each misconception is a changed rule of the solver (:mod:`grader.rules`). For a wrong answer to
quantity ``q`` we take, for every misconception ``m``, the quantity of the same id in the
mutant derivation (:class:`grader.recompute.Recomputer` under ``m.rules``) and recompute it
from the student's *own* answers; an argument the student did not write follows the mutant's
rules from what they did write (a student without alpha in dw who was asked only for new_w),
and givens are the mutant's (the bias-input mutant flips the constant input). The mutant's formula may use
other ids than the right one (the updated-weights mutant computes ``delta_A`` from
``new_w_A_C``; the dw-for-new-w mutant's ``new_w`` is a copy of ``dw``): the student's own
values of those ids are used, so a student who made the mistake after an earlier slip is still
diagnosed. A misconception is named when the answer equals its value within the one-step
tolerance and the misconception changes this step (its value differs from the right formula's
by more than that tolerance). The closest match wins.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache

from .model import Instance
from .ops import compute
from .recompute import Recomputer
from .rules import CORRECT, MISCONCEPTIONS, Misconception, Rules
from .solver import Quantity, Trace
from .tolerance import local


@lru_cache(maxsize=256)
def recomputer(instance: Instance, rules: Rules) -> Recomputer:
    """Recomputation under ``rules``: what a student who holds one misconception writes."""
    return Recomputer(instance, rules)


def mutant_value(q: Quantity, m: Misconception, instance: Instance, known: Mapping[str, float],
                 decimals: int) -> tuple[float, float] | None:
    """(value, tolerance) of quantity ``q.id`` under ``m`` from the student's answers
    ``known`` (arguments the student did not write follow ``m``'s rules from what they did
    write), or None when ``m`` has no such quantity."""
    r = recomputer(instance, m.rules)
    if q.id not in r.index:
        return None
    op, args = r.op_args(q.id)
    values = dict(r.args_of(q.id, known))
    mq = replace(q, op=op, args=args, arg_values=tuple(values[a] for a in args))
    return compute(op, [values[a] for a in args]), local(mq, values, r.givens, decimals)


def candidates(q: Quantity, answer: float, trace: Trace, known: Mapping[str, float],
               decimals: int) -> tuple[Misconception, ...]:
    """The misconceptions that explain ``answer`` for ``q``, closest first.

    ``known``: the student's readable answers by id.
    """
    right = recomputer(trace.instance, CORRECT).value(q.id, known)
    found: list[tuple[float, int, Misconception]] = []
    for order, m in enumerate(MISCONCEPTIONS.values()):
        got = mutant_value(q, m, trace.instance, known, decimals)
        if got is None:
            continue
        value, tol = got
        if abs(value - right) <= tol:
            continue  # this misconception does not change this step
        distance = abs(answer - value)
        if distance <= tol:
            found.append((distance, order, m))
    return tuple(m for _, _, m in sorted(found, key=lambda t: (t[0], t[1])))


def choose(found: Mapping[str, tuple[Misconception, ...]]) -> dict[str, Misconception]:
    """One misconception per item: where several explain an answer (``dw_x1_A`` without alpha
    equals dw with the receiving output when ``x1 = alpha * o_A``; a flipped bias input and a
    subtracted update give the same ``new_w_bias_C``), the one that explains the most items of
    the whole submission wins, then the closest: a student's mistakes are a pattern."""
    tally: dict[str, int] = {}
    for ms in found.values():
        for m in ms:
            tally[m.id] = tally.get(m.id, 0) + 1
    return {
        qid: max(ms, key=lambda m: (tally[m.id], -ms.index(m)))
        for qid, ms in found.items() if ms
    }


def diagnose(q: Quantity, answer: float, trace: Trace, known: Mapping[str, float],
             decimals: int) -> Misconception | None:
    """The misconception that best explains ``answer`` for ``q`` alone, or None."""
    found = candidates(q, answer, trace, known, decimals)
    return found[0] if found else None
