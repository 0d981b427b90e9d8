"""The rules a generated variant must pass; a variant that fails one is redrawn.

Each check is a pure function of the variant's exact trace that returns ``None`` when the
variant passes and otherwise a short reason (which the generator counts and reports when a
family can never pass).

- :func:`saturation`: every neuron's output at every step lies in [min_output, max_output]
  (0.05 and 0.95 by default), so no delta is lost in a flat sigmoid.
- :func:`too_small`: an asked quantity is exactly 0 (an input of 0 on a weight: a fine lesson)
  or at least :func:`min_magnitude` = 10 ** -(decimals - 1) in size, so it keeps at least two
  significant digits at the instructed rounding.
- :func:`undetectable`: every misconception that applies to the net changes each asked
  quantity it changes (at the first place it acts, from exact earlier values) by more than the
  quantity's tolerance plus the tolerance of the mistaken step, so a hand-rounded answer made
  with the mistake is never graded correct, and the grader can name it.
"""

from __future__ import annotations

from collections.abc import Sequence

from .model import BIAS
from .recompute import Recomputer, plan_index
from .rules import MISCONCEPTIONS, Misconception
from .solver import Trace, _structure, plan
from .tolerance import local


def min_magnitude(decimals: int) -> float:
    return 10.0 ** -(decimals - 1)


def saturation(trace: Trace, low: float, high: float) -> str | None:
    for q in trace.quantities:
        if q.kind == "o" and not low <= q.value <= high:
            return f"saturated: {q.id} = {q.value:.4f} is outside [{low}, {high}]"
    return None


def too_small(trace: Trace, asked: Sequence[str], decimals: int) -> str | None:
    limit = min_magnitude(decimals)
    for qid in asked:
        v = trace[qid].value
        if v != 0.0 and abs(v) < limit:
            return f"too small: {qid} = {v:.2e} has fewer than two significant digits at {decimals} decimals"
    return None


_CHANGED: dict[tuple, tuple[str, ...]] = {}


def changed_ids(instance, m: Misconception, asked: Sequence[str]) -> tuple[str, ...]:
    """The asked quantities whose rule ``m`` changes, directly or through quantities the
    student is not asked for. Depends only on the net's structure: cached."""
    key = (_structure(instance), m.id, tuple(asked))
    found = _CHANGED.get(key)
    if found is not None:
        return found
    correct = plan_index(instance)
    asked_set = set(asked)
    changed: set[str] = set()
    for qid, _kind, _step, _subject, op, args in plan(instance, m.rules):
        direct = correct.get(qid) != (op, args) or (m.rules.bias_input == "flipped" and BIAS in args)
        through = any(a in changed and a not in asked_set for a in args)
        if direct or through:
            changed.add(qid)
    found = _CHANGED[key] = tuple(q for q in asked if q in changed)
    return found


def changes(trace: Trace, m: Misconception, asked: Sequence[str]) -> dict[str, float]:
    """For every asked quantity whose rule ``m`` changes: the mistaken value computed from the
    exact earlier answers (quantities the student is not asked for follow the mistaken rules)."""
    ids = changed_ids(trace.instance, m, asked)
    if not ids:
        return {}
    mutant = Recomputer(trace.instance, m.rules)
    exact = {qid: trace[qid].value for qid in asked}
    return {qid: mutant.value(qid, exact) for qid in ids}


def undetectable(trace: Trace, asked: Sequence[str], tolerances: dict[str, float], decimals: int) -> str | None:
    exact_values = trace.values
    givens = dict(trace.givens)
    for m in MISCONCEPTIONS.values():
        changed = changes(trace, m, asked)
        if not changed:
            continue  # the rule it changes is not used in this net (no bias, one downstream neuron)
        shown = False
        for qid, wrong in changed.items():
            diff = abs(wrong - trace[qid].value)
            if diff < 1e-12:
                continue  # the same number either way (an input of 0)
            if diff > 2 * tolerances[qid]:
                shown = True  # local(q) <= tol(q): clear of both bands without computing it
                continue
            limit = tolerances[qid] + local(trace[qid], exact_values, givens, decimals)
            if diff <= limit:
                return f"undetectable: {m.id} moves {qid} by {diff:.2e}, within {limit:.2e}"
            shown = True
        if not shown:
            return f"undetectable: {m.id} changes no asked quantity (e.g. alpha = 1)"
    return None


__all__ = ["saturation", "too_small", "undetectable", "changes", "changed_ids", "min_magnitude"]
