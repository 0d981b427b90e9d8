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

from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter

from .diagnosis import mutant_givens
from .model import BIAS, Instance
from .ops import OPS
from .recompute import plan_index
from .rules import CORRECT, MISCONCEPTIONS, Misconception
from .solver import Trace, _structure, givens, plan
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


#: one step of a recomputation: (id, the op's arithmetic, argument ids)
_Step = tuple[str, Callable[[Sequence[float]], float], tuple[str, ...]]


class _Program:
    """How one misconception's values of the asked quantities it changes are recomputed from
    the exact asked values, for one net structure and one list of asked ids (what
    :class:`~grader.recompute.Recomputer` does by recursion, laid out once as straight-line
    steps): ``steps`` computes, in dependency order, the quantities the student is not asked
    for that those values need (under the misconception's rules); ``changed`` then gives each
    changed asked quantity, in the order of ``asked``. Every argument is a given (the
    misconception's: the bias-input mutant flips the constant input), an exact asked value or
    an earlier step."""

    __slots__ = ("m", "flips_bias", "steps", "changed", "formulas", "planned")

    def __init__(self, instance: Instance, m: Misconception, asked: Sequence[str]) -> None:
        self.m = m
        self.flips_bias = m.rules.bias_input != CORRECT.bias_input
        index = plan_index(instance, m.rules)
        given = givens(instance, m.rules)
        asked_set = set(asked)
        steps: list[_Step] = []
        planned: set[str] = set()

        def need(qid: str) -> None:  # the recursion of Recomputer._value, in post-order
            for a in index[qid][1]:
                if a in given or a in asked_set or a in planned:
                    continue
                need(a)
                planned.add(a)
                op, args = index[a]
                steps.append((a, OPS[op].compute, args))

        changed: list[_Step] = []
        #: per changed asked quantity: its op and argument ids under the misconception
        self.formulas: dict[str, tuple[str, tuple[str, ...]]] = {}
        for qid in changed_ids(instance, m, asked):
            need(qid)
            op, args = index[qid]
            changed.append((qid, OPS[op].compute, args))
            self.formulas[qid] = (op, args)
        self.planned = frozenset(planned)
        self.steps = tuple((qid, compute, _getter(args)) for qid, compute, args in steps)
        self.changed = tuple((qid, compute, _getter(args)) for qid, compute, args in changed)

    def run(self, env: dict[str, float]) -> list[tuple[str, float]]:
        """(id, mistaken value) of each changed asked quantity. ``env``: the right givens and
        the exact asked values (not modified)."""
        return self.run_with(env)[0]

    def run_with(self, env: dict[str, float]) -> tuple[list[tuple[str, float]], dict[str, float]]:
        """:meth:`run` and the values it used (givens, asked values, planned steps)."""
        if self.flips_bias:
            env = mutant_givens(env, self.m.rules)  # the constant input flipped, in a copy
        else:
            env = dict(env)
        for qid, compute, get in self.steps:
            env[qid] = compute(get(env))
        return [(qid, compute(get(env))) for qid, compute, get in self.changed], env


def _getter(args: tuple[str, ...]) -> Callable[[Mapping[str, float]], tuple[float, ...]]:
    """The values of ``args`` in a mapping, as a tuple (as :func:`grader.solver.solve` passes
    them to an op)."""
    if len(args) > 1:
        return itemgetter(*args)
    return lambda env: tuple([env[a] for a in args])


_PROGRAMS: dict[tuple, tuple[_Program, ...]] = {}


def _programs(instance: Instance, asked: Sequence[str]) -> tuple[_Program, ...]:
    """The :class:`_Program` of every misconception that changes an asked quantity of this
    structure, in the order of :data:`~grader.rules.MISCONCEPTIONS` (cached)."""
    asked = tuple(asked)
    key = (_structure(instance), asked)
    found = _PROGRAMS.get(key)
    if found is None:
        programs = (_Program(instance, m, asked) for m in MISCONCEPTIONS.values())
        found = _PROGRAMS[key] = tuple(p for p in programs if p.changed)
    return found


def _env(trace: Trace, asked: Sequence[str]) -> dict[str, float]:
    """The right givens and the exact values of the asked quantities, by id."""
    env = dict(trace.givens) if trace.rules.bias_input == CORRECT.bias_input else givens(trace.instance)
    for qid in asked:
        env[qid] = trace[qid].value
    return env


def changes(trace: Trace, m: Misconception, asked: Sequence[str]) -> dict[str, float]:
    """For every asked quantity whose rule ``m`` changes: the mistaken value computed from the
    exact earlier answers (quantities the student is not asked for follow the mistaken rules)."""
    for program in _programs(trace.instance, asked):
        if program.m.id == m.id:
            return dict(program.run(_env(trace, asked)))
    return {}


def undetectable(trace: Trace, asked: Sequence[str], tolerances: Mapping[str, float] | None = None,
                 decimals: int | None = None) -> str | None:
    """None when every misconception that applies moves each asked quantity it changes by more
    than the right band plus the mistaken step's band, else the reason. ``tolerances``: the
    right bands (default :func:`grader.tolerance.trace_tolerances` for these asked ids);
    ``decimals``: default the instance's."""
    programs = _programs(trace.instance, asked)
    if not programs:
        return None
    d = trace.instance.rounding if decimals is None else decimals
    bands = trace_tolerances(trace, d, asked)
    right = bands if tolerances is None else tolerances
    u = unit(d)
    asked_set = set(asked)
    env = _env(trace, asked)
    given_ids = {gid for gid, _ in trace.givens}
    for program in programs:
        shown = False
        values, used = program.run_with(env)
        for qid, wrong in values:
            diff = abs(wrong - env[qid])
            if diff < 1e-12:
                continue  # the same number either way (an input of 0)
            op, args = program.formulas[qid]
            arg_values = [used[a] for a in args]
            # each argument stands for what it does when the grader judges the mutant's step
            # (an unasked one for its own band: the student works it out by hand too)
            stands = [given_stands_for(used[a], d) if a in given_ids
                      else (u if a in asked_set else bands.get(a, 2 * u)) for a in args]
            limit = right[qid] + band(op, arg_values, stands, d)
            if diff <= limit:
                return f"undetectable: {program.m.id} moves {qid} by {diff:.2e}, within {limit:.2e}"
            shown = True
        if not shown:
            return f"undetectable: {program.m.id} changes no asked quantity (e.g. alpha = 1)"
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
