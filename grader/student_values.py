"""The student's own numbers in one submission: each value, what it stands for, what they held.

:mod:`grader.grading` judges every step from the numbers the student had at that step (and from
the exact ones, for a student who kept those in the calculator); this module keeps the student's
numbers as grading walks the derivation in order:

- the student's *own value* of a quantity (:func:`own_values`; :attr:`StudentValues.own`): a
  given exactly, their readable answer, or the right formula applied to their own earlier values
  (a skipped quantity carries their earlier values forward);
- what a value *stands for* (:meth:`StudentValues.stand`, the latitude the worst-case bands of
  :mod:`grader.tolerance` take it with in the diagnosis): a given for 0 (u when it has more
  than ``d`` decimals); a written answer for half a unit of its last written decimal, and no
  more than the calculator could have held when it was written; a quantity not written for
  the band of its own honest computation;
- what the student may have *held* (:meth:`StudentValues.held`, the honest value sets of
  :mod:`grader.hand` that grading and the precision rule compare with): a written answer as
  written, or any of their own honest values of its step that rounds to it; a quantity not
  written as computed, rounded or not; and the values an honest hand calculation of each step
  gives from those (:meth:`StudentValues.computed`).

Everything but the own values is computed when first asked for, and kept.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from .answers import Answer
from .hand import Values, around, exact_values, held, reach, step_values, unwritten
from .ops import OPS
from .solver import Trace
from .tolerance import EPS, band, full_band, given_stands_for, stands_for, unit

__all__ = ["Reach", "Stands", "StudentValues", "own_values"]


def own_values(trace: Trace, answers: Mapping[str, Answer]) -> dict[str, float]:
    """Givens (exact), then every quantity: the student's readable answer, or the right
    formula applied to the student's own earlier values."""
    values = dict(trace.givens)
    for q in trace.quantities:
        a = answers.get(q.id)
        values[q.id] = a.value if a is not None and a.value is not None else q.recompute(values)
    return values


_COMPUTE = {name: op.compute for name, op in OPS.items()}


class StudentValues:
    """The student's numbers of one submission on ``trace`` at ``decimals`` (the instructed
    rounding). Grading fills in :attr:`own` (every given from the start; each quantity, in the
    trace's order, once judged) and :attr:`written` (the ids whose own value is the student's
    written answer); the rest is derived from those when first asked for."""

    def __init__(self, trace: Trace, decimals: int) -> None:
        self.trace = trace
        self.d = decimals
        self.u = unit(decimals)
        #: the student's own values by id
        self.own: dict[str, float] = dict(trace.givens)
        #: the ids whose own value is the student's written answer
        self.written: set[str] = set()
        #: what each value stands for (see grader.tolerance), per id when computed
        self.stands: dict[str, float] = {gid: given_stands_for(v, decimals) for gid, v in trace.givens}
        #: per id, the values the student may have used for it (grader.hand), and per quantity
        #: the values an honest hand calculation of its step gives from those (both when needed)
        self._held: dict[str, Values] = {gid: around(v, self.stands[gid]) for gid, v in trace.givens}
        self._computed: dict[str, Values] = {}

    def stand(self, qid: str) -> float:
        """What the student's written value of ``qid`` stands for (computed when first needed):
        the values a calculator could have held when it was written, no more than half a unit of
        its last written decimal (:func:`~grader.tolerance.stands_for`). A student who wrote
        ``v`` after working ``q = f(a)`` from their own values held ``f`` of values each within
        what its argument stands for, moved by the sub-results they rounded: within
        ``|v - f(own args)| + band - u`` of ``v``, ``band`` the step's band at the student's own
        arguments without the answer's own rounding. So a value written right (``round(x)`` of a
        right ``x``) stands for its actual rounding error and the latitude of the steps before
        it, not for a whole ``u``: the chain of honest values, not a worst case at every link."""
        s = self.stands.get(qid)
        if s is None:
            q = self.trace[qid]
            values = [self.own[a] for a in q.args]
            stands = [self.stand(a) for a in q.args]
            if qid in self.written:
                inner = full_band(q.op, values, stands, self.d) - self.u * (1 + EPS)
                off = abs(self.own[qid] - _COMPUTE[q.op](values))
                s = min(stands_for(self.own[qid], self.d), off + inner)
            else:  # not written: the band of its own honest computation
                s = band(q.op, values, stands, self.d)
            self.stands[qid] = s
        return s

    def held(self, qid: str) -> Values:
        """The values the student may have used for ``qid`` in later steps (computed when first
        needed): a written answer as written, or any of their own honest values of its step
        that rounds to it (:func:`grader.hand.held`); a quantity they did not write as they
        computed it, rounded or not."""
        found = self._held.get(qid)
        if found is None:
            computed = self.computed(qid)
            if qid in self.written:
                v = self.own[qid]
                found = held(v, stands_for(v, self.d), computed, self.d)
            else:
                found = unwritten(computed, self.d)
            self._held[qid] = found
        return found

    def computed(self, qid: str) -> Values:
        """Every value an honest hand calculation of ``qid`` gives from the values the student
        held (:func:`grader.hand.step_values`)."""
        found = self._computed.get(qid)
        if found is None:
            q = self.trace[qid]
            found = self._computed[qid] = step_values(q.op, [self.held(a) for a in q.args], self.d)
        return found


class Reach:
    """An item's ``tolerance``, computed when first read (:func:`~grader.report.correct_item`):
    how far from the step's formula at the arguments the farthest honest value, written to
    ``d`` decimals, lies (:func:`grader.hand.reach`); at the exact arguments, or (given the
    student's values) at the student's own, around ``center``."""

    __slots__ = ("trace", "d", "qid", "values", "center")

    def __init__(self, trace: Trace, d: int, qid: str, values: StudentValues | None = None,
                 center: float | None = None) -> None:
        self.trace, self.d, self.qid, self.values, self.center = trace, d, qid, values, center

    def __call__(self) -> float:
        if self.values is None:
            return reach(exact_values(self.trace, self.d)[self.qid], self.trace.value(self.qid), self.d)
        return reach(self.values.computed(self.qid), self.center, self.d)


class Stands(Mapping[str, float]):
    """What each of the student's values stands for, as the diagnosis reads it (a mapping
    over the ids with an own value so far, each computed when read)."""

    def __init__(self, values: StudentValues) -> None:
        self.values = values

    def __getitem__(self, qid: str) -> float:
        if qid not in self.values.own:
            raise KeyError(qid)
        return self.values.stand(qid)

    def __iter__(self) -> Iterator[str]:
        return iter(self.values.own)

    def __len__(self) -> int:
        return len(self.values.own)
