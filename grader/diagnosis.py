"""Misconception diagnosis: which named mistake explains a wrong answer.

Each misconception is a changed rule of the solver (:mod:`grader.rules`). For a wrong answer to
quantity ``q`` we take, for every misconception ``m``, the quantity of the same id in the
mutant derivation (the plan of :func:`grader.solver.plan` under ``m.rules``) and recompute it
from the student's *own* answers; an argument the student did not write follows the mutant's
rules from what they did write (a student without alpha in dw who was asked only for new_w),
and givens are the mutant's (the bias-input mutant flips the constant input). The mutant's formula may use
other ids than the right one (the updated-weights mutant computes ``delta_A`` from
``new_w_A_C``; the dw-for-new-w mutant's ``new_w`` is a copy of ``dw``): the student's own
values of those ids are used, so a student who made the mistake after an earlier slip is still
diagnosed. A misconception is named when the answer equals its value within the one-step
tolerance and the misconception changes this step (its value differs from the right formula's
by more than that tolerance). The closest match wins.

A :class:`Diagnoser` serves one submission: it looks the mutant plans up once and shares the
mutants' recomputed values among the submission's items. Where a mutant's step has the right
formula, the right givens and only arguments the student wrote, its value *is* the right
formula's, so that misconception cannot change the step and is passed over without computing.
"""

from __future__ import annotations

from collections.abc import Mapping

from .model import BIAS, Instance
from .ops import OPS
from .recompute import plan_index
from .rules import CORRECT, MISCONCEPTIONS, Misconception, Rules
from .solver import Quantity, Trace, _structure
from .solver import givens as solver_givens
from .tolerance import local_of

Index = Mapping[str, tuple[str, tuple[str, ...]]]


class _Mutant:
    """One misconception's derivation of a net structure: its plan as id -> (op, args), and
    the ids whose step it changes directly (another op or other arguments than the right
    plan's, or the flipped constant input among the arguments)."""

    __slots__ = ("order", "m", "index", "direct", "flips_bias")

    def __init__(self, order: int, m: Misconception, index: Index, correct: Index) -> None:
        self.order = order
        self.m = m
        self.index = index
        self.flips_bias = m.rules.bias_input != CORRECT.bias_input
        self.direct = frozenset(
            qid for qid, (op, args) in index.items()
            if correct.get(qid) != (op, args) or (self.flips_bias and BIAS in args)
        )


_MUTANTS: dict[tuple, tuple[Index, tuple[_Mutant, ...]]] = {}


def _mutants(instance: Instance) -> tuple[Index, tuple[_Mutant, ...]]:
    """The right plan index and every misconception's :class:`_Mutant` (cached per structure)."""
    key = _structure(instance)
    found = _MUTANTS.get(key)
    if found is None:
        correct = plan_index(instance, CORRECT)
        found = _MUTANTS[key] = (correct, tuple(
            _Mutant(order, m, plan_index(instance, m.rules), correct)
            for order, m in enumerate(MISCONCEPTIONS.values())
        ))
    return found


def mutant_givens(givens: Mapping[str, float], rules: Rules) -> dict[str, float]:
    """The given values under ``rules`` from the right ones (:func:`grader.solver.givens`):
    only the constant input depends on the rules (the bias-input mutant flips its sign)."""
    out = dict(givens)
    if rules.bias_input != CORRECT.bias_input and BIAS in out:
        out[BIAS] = -out[BIAS]
    return out


class Diagnoser:
    """Diagnosis of the items of one submission.

    ``trace``: the exact trace (under the right rules); ``known``: the student's readable
    answers by id; ``decimals``: the instructed rounding.
    """

    def __init__(self, trace: Trace, known: Mapping[str, float], decimals: int) -> None:
        self.trace = trace
        self.known = known
        self.decimals = decimals
        # the right givens: the trace's own when it is the right derivation
        self.givens = dict(trace.givens) if trace.rules == CORRECT else solver_givens(trace.instance)
        self._correct, self._mutants = _mutants(trace.instance)
        self._flipped: dict[str, float] | None = None
        #: per misconception (and None for the right rules): values recomputed from ``known``
        self._cache: dict[str | None, dict[str, float]] = {}

    def _givens_of(self, mutant: _Mutant | None) -> Mapping[str, float]:
        if mutant is None or not mutant.flips_bias:
            return self.givens
        if self._flipped is None:
            self._flipped = mutant_givens(self.givens, mutant.m.rules)
        return self._flipped

    def _value(self, qid: str, index: Index, givens: Mapping[str, float], cache: dict[str, float]) -> float:
        """An argument's value as the recomputation uses it: a given, the student's answer,
        or (neither) the rule of ``index`` applied to those, recursively."""
        if qid in givens:
            return givens[qid]
        known = self.known
        if qid in known:
            return known[qid]
        if qid in cache:
            return cache[qid]
        op, args = index[qid]
        value = cache[qid] = OPS[op].compute([self._value(a, index, givens, cache) for a in args])
        return value

    def _args(self, qid: str, mutant: _Mutant | None) -> tuple[str, tuple[str, ...], list[float]]:
        index = self._correct if mutant is None else mutant.index
        op, args = index[qid]
        key = None if mutant is None else mutant.m.id
        cache = self._cache.get(key)
        if cache is None:
            cache = self._cache[key] = {}
        givens = self._givens_of(mutant)
        return op, args, [self._value(a, index, givens, cache) for a in args]

    def right(self, qid: str) -> float:
        """What the right formula gives for ``qid`` from the student's answers."""
        op, _, values = self._args(qid, None)
        return OPS[op].compute(values)

    def mutant_value(self, qid: str, m: Misconception) -> tuple[float, float] | None:
        """(value, one-step tolerance) of ``qid`` under ``m`` from the student's answers, or
        None when ``m`` has no such quantity."""
        mutant = next(x for x in self._mutants if x.m is m or x.m.id == m.id)
        if qid not in mutant.index:
            return None
        op, args, values = self._args(qid, mutant)
        return OPS[op].compute(values), local_of(op, args, values, self.givens, self.decimals)

    def candidates(self, q: Quantity, answer: float) -> tuple[Misconception, ...]:
        """The misconceptions that explain ``answer`` for ``q``, closest first."""
        qid = q.id
        known = self.known
        givens = self.givens
        right: float | None = None
        found: list[tuple[float, int, Misconception]] = []
        for mutant in self._mutants:
            index = mutant.index
            if qid not in index:
                continue
            if qid not in mutant.direct and all(a in known or a in givens for a in index[qid][1]):
                continue  # the right formula from the same numbers: this step is not changed
            if right is None:
                right = self.right(qid)
            op, args, values = self._args(qid, mutant)
            value = OPS[op].compute(values)
            tol = local_of(op, args, values, givens, self.decimals)
            if abs(value - right) <= tol:
                continue  # this misconception does not change this step
            distance = abs(answer - value)
            if distance <= tol:
                found.append((distance, mutant.order, mutant.m))
        return tuple(m for _, _, m in sorted(found, key=lambda t: (t[0], t[1])))


def candidates(q: Quantity, answer: float, trace: Trace, known: Mapping[str, float],
               decimals: int) -> tuple[Misconception, ...]:
    """The misconceptions that explain ``answer`` for ``q``, closest first.

    ``known``: the student's readable answers by id.
    """
    return Diagnoser(trace, known, decimals).candidates(q, answer)


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
