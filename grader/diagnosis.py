"""Misconception diagnosis: which named mistake explains a wrong answer.

Each misconception is a changed rule of the solver (:mod:`grader.rules`). For a wrong answer to
quantity ``q`` we take, for every misconception ``m``, the quantity of the same id in the
mutant derivation (the plan of :func:`grader.solver.plan` under ``m.rules``) and recompute it
from the student's *own* answers; an argument the student did not write follows the mutant's
rules from what they did write (a student without alpha in dw who was asked only for new_w),
and givens are the mutant's (the bias-input mutant flips the constant input). The mutant's
formula may use other ids than the right one (the updated-weights mutant computes ``delta_A``
from ``new_w_A_C``; the dw-for-new-w mutant's ``new_w`` is a copy of ``dw``): the student's own
values of those ids are used, so a student who made the mistake after an earlier slip is still
diagnosed.

A misconception *matches* a root (an answer outside the band of the right formula from the
student's own values) when the answer lies within the band of the mutant's step
(:func:`grader.tolerance.band` on the mutant's formula, from the student's own values).
:meth:`Diagnoser.changes` says whether a misconception changes a step at all (its value lies
outside its band around the right formula's). The match is *strict* when the answer agrees
with the mutant's value at the asked decimals without any slack for rounded sub-results
(:func:`grader.tolerance.strict_band`).
Which matches name a misconception is the grader's evidence rule
(:func:`grader.grading.named`); :func:`choose` picks one per item.

A :class:`Diagnoser` serves one submission: it looks the mutant plans up once and shares the
mutants' recomputed values among the submission's items. Where a mutant's step has the right
formula, the right givens and only arguments the student wrote, its value *is* the right
formula's, so that misconception cannot change the step and is passed over without computing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .derivation import Mutant, derive
from .model import BIAS
from .ops import OPS
from .rules import CORRECT, Misconception, Rules
from .solver import Quantity, Trace
from .solver import givens as solver_givens
from .tolerance import fits, given_stands_for, strict_band, unit


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
    answers by id; ``decimals``: the instructed rounding; ``stands``: what each of the
    student's values may stand for (:func:`grader.tolerance.stands_for`; an id missing from it,
    a value the mutant recomputes, stands for one rounding unit).
    """

    def __init__(self, trace: Trace, known: Mapping[str, float], decimals: int,
                 stands: Mapping[str, float] | None = None) -> None:
        self.trace = trace
        self.known = known
        self.decimals = decimals
        self.stands = stands or {}
        # the right givens: the trace's own when it is the right derivation
        self.givens = dict(trace.givens) if trace.rules == CORRECT else solver_givens(trace.instance)
        self._derivation = trace.derivation if trace.rules == CORRECT else derive(trace.instance)
        self._correct, self._mutants = self._derivation.index, self._derivation.mutants
        self._flipped: dict[str, float] | None = None
        #: per misconception (and None for the right rules): values recomputed from ``known``,
        #: and under ("stand", id) what those values stand for
        self._cache: dict = {}

    def _givens_of(self, mutant: Mutant | None) -> Mapping[str, float]:
        if mutant is None or not mutant.flips_bias:
            return self.givens
        if self._flipped is None:
            self._flipped = mutant_givens(self.givens, mutant.m.rules)
        return self._flipped

    def _args(self, qid: str, mutant: Mutant | None) -> tuple[str, tuple[str, ...], list[float]]:
        """The step ``qid`` of the right derivation or ``mutant``'s, recomputed from the
        student's answers (:meth:`grader.derivation.Derivation.step`)."""
        derivation = self._derivation if mutant is None else mutant.derivation
        key = None if mutant is None else mutant.m.id
        cache = self._cache.get(key)
        if cache is None:
            cache = self._cache[key] = {}
        return derivation.step(qid, self._givens_of(mutant), self.known, cache)

    def right(self, qid: str) -> float:
        """What the right formula gives for ``qid`` from the student's answers."""
        op, _, values = self._args(qid, None)
        return OPS[op].compute(values)

    def _stands(self, args: tuple[str, ...], mutant: Mutant | None) -> list[float]:
        """What each argument stands for: a given for 0 (u when it has more decimals), a
        written answer for what the student's value stands for, a value the recomputation
        makes for the band of its own (mutant) step, which the student works out by hand too."""
        return [self._stand(a, mutant) for a in args]

    def _stand(self, qid: str, mutant: Mutant | None) -> float:
        givens = self._givens_of(mutant)
        if qid in givens:
            return given_stands_for(givens[qid], self.decimals)
        if qid in self.known:
            return self.stands.get(qid, unit(self.decimals))
        key = ("stand", None if mutant is None else mutant.m.id)
        cache = self._cache.setdefault(key, {})
        found = cache.get(qid)
        if found is None:
            op, args, values = self._args(qid, mutant)
            found = cache[qid] = fits(0.0, op, values, self._stands(args, mutant), self.decimals)[1]
        return found

    def matches(self, q: Quantity, answer: float) -> tuple[Match, ...]:
        """The misconceptions that match ``answer`` for ``q`` (see the module docstring),
        closest first."""
        qid = q.id
        known = self.known
        givens = self.givens
        d = self.decimals
        found: list[Match] = []
        for mutant in self._mutants:
            index = mutant.index
            if qid not in index:
                continue
            if qid not in mutant.direct and all(a in known or a in givens for a in index[qid][1]):
                continue  # the right formula from the same numbers: this step is not changed
            op, args, values = self._args(qid, mutant)
            value = OPS[op].compute(values)
            if abs(value - self.right(qid)) <= 1e-12 * max(1.0, abs(value)):
                continue  # the same number as the right formula's: not what made this answer
            stands = self._stands(args, mutant)
            # (called for roots: answers no honest calculation of the right step gives)
            if fits(answer, op, values, stands, d, target=value)[0]:
                strict = abs(answer - value) <= strict_band(op, values, stands, d)
                found.append(Match(mutant.m, abs(answer - value), mutant.order, strict))
        found.sort(key=lambda x: (x.distance, x.order))
        return tuple(found)

    def changes(self, qid: str, m: Misconception) -> bool:
        """Whether ``m`` changes the step ``qid`` from the student's values: its value lies
        outside its band around what the right formula gives."""
        mutant = next(x for x in self._mutants if x.m.id == m.id)
        if qid not in mutant.index:
            return False
        known, givens = self.known, self.givens
        if qid not in mutant.direct and all(a in known or a in givens for a in mutant.index[qid][1]):
            return False
        op, args, values = self._args(qid, mutant)
        value = OPS[op].compute(values)
        stands = self._stands(args, mutant)
        return not fits(self.right(qid), op, values, stands, self.decimals, target=value)[0]

    def candidates(self, q: Quantity, answer: float) -> tuple[Misconception, ...]:
        """The misconceptions that match ``answer`` for ``q``, closest first."""
        return tuple(x.m for x in self.matches(q, answer))


@dataclass(frozen=True)
class Match:
    """A misconception whose step gives an answer: how far off, its order in
    :data:`~grader.rules.MISCONCEPTIONS`, and whether it agrees at the asked decimals."""

    m: Misconception
    distance: float
    order: int
    strict: bool


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
