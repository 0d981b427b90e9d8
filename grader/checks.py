"""The rules a generated variant must pass; a variant that fails one is redrawn.

Each check is a pure function of the variant's exact trace that returns ``None`` when the
variant passes and otherwise a short reason (which the generator counts and reports when a
family can never pass).

- :func:`saturation`: every neuron's output at every step lies in [min_output, max_output]
  (0.05 and 0.95 by default), so no delta is lost in a flat sigmoid.
- :func:`too_small`: an asked quantity is exactly 0 (judged by :func:`free_answers` instead)
  or at least :func:`min_magnitude` = 10 ** -(decimals - 1) in size, so it keeps at least two
  significant digits at the instructed rounding.
- :func:`undetectable`: every misconception that applies to the net moves each asked quantity
  it changes (at the first place it acts, from exact earlier values) by more than the sum of
  the right step's band and the mistaken step's band (:mod:`grader.tolerance`, the bands the
  grader judges with), so a hand-rounded answer made with the mistake is never graded correct,
  and the grader can name it.
- :func:`free_answers` (at the end of the module): no asked answer is given away by a zero (a
  ``dw`` of 0, a new weight equal to the old), so every student has as much to work out; a
  family may allow them (``allow_free_answers``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .derivation import Mutant, derive
from .diagnosis import mutant_givens
from .model import Instance
from .ops import OPS
from .rules import CORRECT, Misconception
from .solver import Trace, givens
from .tolerance import band, given_stands_for, trace_tolerances, unit


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


def changed_ids(instance: Instance, m: Misconception, asked: Sequence[str]) -> tuple[str, ...]:
    """The asked quantities whose rule ``m`` changes, directly or through quantities the
    student is not asked for (:meth:`grader.derivation.Derivation.changed_ids`)."""
    return derive(instance).changed_ids(m, tuple(asked))


def _changing(trace: Trace, asked: tuple[str, ...]) -> tuple[tuple[Mutant, tuple[str, ...]], ...]:
    """Every misconception that changes an asked quantity, with the asked ids it changes, in
    the order of :data:`~grader.rules.MISCONCEPTIONS` (kept with the derivation)."""
    derivation = trace.derivation

    def make() -> tuple[tuple[Mutant, tuple[str, ...]], ...]:
        pairs = ((x, derivation.changed_ids(x.m, asked)) for x in derivation.mutants)
        return tuple((x, changed) for x, changed in pairs if changed)

    return derivation.memo(("changing", asked), make)


def _mistaken(mutant: Mutant, changed: tuple[str, ...], givens: Mapping[str, float],
              exact: Mapping[str, float]) -> list[tuple[str, str, tuple[str, ...], list[float], float]]:
    """(id, op, argument ids, argument values, mistaken value) of each asked quantity in
    ``changed``, recomputed under ``mutant``'s rules from the exact asked values (``exact``;
    quantities the student is not asked for follow the mistaken rules, givens are the
    mutant's: the bias-input mutant flips the constant input)."""
    if mutant.flips_bias:
        givens = mutant_givens(givens, mutant.m.rules)
    cache: dict[str, float] = {}
    out = []
    for qid in changed:
        op, args, values = mutant.derivation.step(qid, givens, exact, cache)
        out.append((qid, op, args, values, OPS[op].compute(values)))
    return out


def _right_givens(trace: Trace) -> Mapping[str, float]:
    return trace._given if trace.rules.bias_input == CORRECT.bias_input else givens(trace.instance)


def changes(trace: Trace, m: Misconception, asked: Sequence[str]) -> dict[str, float]:
    """For every asked quantity whose rule ``m`` changes: the mistaken value computed from the
    exact earlier answers (quantities the student is not asked for follow the mistaken rules)."""
    asked = tuple(asked)
    for mutant, changed in _changing(trace, asked):
        if mutant.m.id == m.id:
            exact = {qid: trace[qid].value for qid in asked}
            return {qid: v for qid, _, _, _, v in _mistaken(mutant, changed, _right_givens(trace), exact)}
    return {}


def undetectable(trace: Trace, asked: Sequence[str], tolerances: Mapping[str, float] | None = None,
                 decimals: int | None = None) -> str | None:
    """None when every misconception that applies moves each asked quantity it changes by more
    than the right band plus the mistaken step's band, else the reason. ``tolerances``: the
    right bands (default :func:`grader.tolerance.trace_tolerances` for these asked ids);
    ``decimals``: default the instance's."""
    asked = tuple(asked)
    programs = _changing(trace, asked)
    if not programs:
        return None
    d = trace.instance.rounding if decimals is None else decimals
    bands = trace_tolerances(trace, d, asked)
    right = bands if tolerances is None else tolerances
    u = unit(d)
    asked_set = set(asked)
    right_givens = _right_givens(trace)
    exact = {qid: trace[qid].value for qid in asked}
    given_ids = {gid for gid, _ in trace.givens}
    for mutant, changed in programs:
        shown = False
        for qid, op, args, arg_values, wrong in _mistaken(mutant, changed, right_givens, exact):
            diff = abs(wrong - exact[qid])
            if diff < 1e-12:
                continue  # the same number either way (an input of 0)
            # each argument stands for what it does when the grader judges the mutant's step
            # (an unasked one for its own band: the student works it out by hand too)
            stands = [given_stands_for(v, d) if a in given_ids
                      else (u if a in asked_set else bands.get(a, 2 * u))
                      for a, v in zip(args, arg_values, strict=True)]
            limit = right[qid] + band(op, arg_values, stands, d)
            if diff <= limit:
                return f"undetectable: {mutant.m.id} moves {qid} by {diff:.2e}, within {limit:.2e}"
            shown = True
        if not shown:
            return f"undetectable: {mutant.m.id} changes no asked quantity (e.g. alpha = 1)"
    return None


def free_ids(trace: Trace, asked: Sequence[str]) -> tuple[str, ...]:
    """The asked quantities that a zero gives away, with no arithmetic to do: a ``dw`` or a
    ``delta`` that is exactly 0 (an input of 0 on the weight, or a zero weight, or downstream
    deltas that cancel), a ``new_w`` equal to the old weight (its ``dw`` is 0, asked or not),
    and a ``p`` whose every product has a factor 0 (every input into it is 0)."""
    free = []
    for qid in asked:
        q = trace[qid]
        if q.kind in ("dw", "delta"):
            given_away = q.value == 0.0
        elif q.kind == "new_w":
            given_away = q.arg_values[1] == 0.0  # new_w = w + dw
        elif q.kind == "p":
            pairs = zip(q.arg_values[0::2], q.arg_values[1::2], strict=True)
            given_away = all(w == 0.0 or x == 0.0 for w, x in pairs)
        else:
            given_away = False
        if given_away:
            free.append(qid)
    return tuple(free)


def free_answers(trace: Trace, asked: Sequence[str]) -> str | None:
    """Variants of equal difficulty: no asked answer is given away by a zero (:func:`free_ids`).
    A family may allow them (``allow_free_answers = true`` in its ``[constraints]``)."""
    free = free_ids(trace, asked)
    if not free:
        return None
    shown = ", ".join(free[:4]) + (f" and {len(free) - 4} more" if len(free) > 4 else "")
    return f"free answers: a zero gives away {shown}"


__all__ = [
    "saturation", "too_small", "undetectable", "changes", "changed_ids", "min_magnitude", "free_ids",
    "free_answers",
]
