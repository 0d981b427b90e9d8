"""Copies: answers that match another student's variant better than the file's own (issue 11).

The key holds every student's full-precision answers. An answer *is* a variant's value when
it is that value at the asked decimals, rounded by hand: within :data:`WINDOW` (1.5) units of
the last asked decimal (the rounding of the answer itself, and of the steps before it, which a
hand calculation carries along). For a graded submission of student X and a classmate S, the
evidence is the answers to the quantities where the two variants differ (by more than twice
that, so that no answer is both), leaving out those the grader explains by a misconception on
X's own numbers (X's own work, wrong). X's submission is flagged as a copy of S when

    at least 3 of those answers are S's values, more than half of them are,
    more are S's than X's own,  and at least half of all X's answers are S's values.

An honest student gives their own values where the variants differ, or, with a misconception
or a slip, values that are neither: so an honest class (right, rounded by hand, each
misconception worked by hand) is not flagged, and a classmate's numbers typed into one's own
handout are, even when the classmate rounded them by hand (``bench/bench_copies.py``
measures both on every family). Two clauses are there for coincidences that are not copies:
two variants that mirror each other (inputs and weights negated) share most values, and a
sign-flip on one gives a few of the other's (more than half of where they differ is needed);
a missing alpha of 2 with an input of 2 gives the dw of a classmate whose input is 1 (an
answer the misconception explains is no evidence). The score is still computed against the
file's own student.

Cost: an index from (id, decimals, value in units of the last decimal) to the students whose
key value falls there is built once per batch; a submission looks each answer up in it, which
names the candidates, and compares only the few candidates with the most hits (and at least
3), so a file costs O(answers), not O(students). A value that many variants share (a weight
change of 0 for an input of 0, a weight left unchanged) names nobody: it is no evidence of
copying, and looking through a crowd for it would cost O(students).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import BackpropError
from ..model import DEFAULT_DECIMALS

#: the least number of matches that can flag a copy (and of hits that make a candidate)
MIN_MATCHES = 3
#: a value shared by more variants than this names no candidate
CROWD = 8
#: the candidates (most hits first) whose matches are counted exactly
CANDIDATES = 3
#: an answer is a value within this many units of the last asked decimal
WINDOW = 1.5


@dataclass(frozen=True)
class Copy:
    """A submission of ``student`` whose answers match ``source``'s variant better than its own."""

    student: str
    source: str
    answered: int  # numeric answers to asked quantities
    matches: int  # of those, the source's values at the asked decimals
    differ: int  # answers to the quantities where the two variants differ
    theirs: int  # of those, the source's values
    own: int  # of those, the student's own values

    @property
    def message(self) -> str:
        return (f"its answers match {self.source}'s variant better than its own: where the two differ, "
                f"{self.theirs} of {self.differ} answers are {self.source}'s values at the asked decimals "
                f"and {self.own} are {self.student}'s")


class CopyIndex:
    """Every student's key values, indexed by rounded value (immutable once built).

    Compact, for a class of 100,000: each student's values are an array of doubles beside a
    tuple of ids that students share, and the index of each (id, decimals) is two arrays,
    sorted: the values in units of the last decimal, and the students (by their place in the
    key) whose value it is; a value shared by more than :data:`CROWD` students is left out."""

    def __init__(self, key: Any) -> None:
        students: list[str] = []
        values: dict[str, tuple[int, tuple[str, ...], array]] = {}
        shared: dict[tuple[str, ...], tuple[str, ...]] = {}
        pairs: dict[tuple[str, int], tuple[array, array]] = {}  # (id, decimals) -> units, students
        for sid, entry in key.students.items():
            packed = entry.packed_answers() if hasattr(entry, "packed_answers") else None
            if packed is not None:  # (the key's own array: the answers to exactly the asked ids)
                ids, numbers = packed
                answers = dict(zip(ids, numbers, strict=True))
            else:
                asked = set(entry.asked)
                try:
                    answers = {q: v for q, v in entry.answers.items() if q in asked}
                except BackpropError:  # an incomplete entry: that student's row is an error anyway
                    continue
                ids, numbers = tuple(answers), array("d", answers.values())
            decimals = _decimals(entry.raw_instance)
            values[sid] = (decimals, shared.setdefault(ids, ids), numbers)
            scale = 10.0 ** decimals
            k = len(students)
            students.append(sid)
            for q, v in answers.items():
                units, who = pairs.setdefault((q, decimals), (array("q"), array("l")))
                try:
                    units.append(round(v * scale))
                except OverflowError:  # (a value no answer is near: no evidence)
                    continue
                who.append(k)
        self._students = students
        self._values = values
        self._buckets: dict[tuple[str, int], tuple[array, array]] = {}
        for where, (all_units, all_who) in pairs.items():
            counts = Counter(all_units)
            # the students whose value few share, by value (stable: in the key's order within one)
            few = [k for k, u in enumerate(all_units) if counts[u] <= CROWD]
            order = sorted(few, key=all_units.__getitem__)
            units, who = array("q", [all_units[k] for k in order]), array("l", [all_who[k] for k in order])
            self._buckets[where] = (units, who)

    def _answers(self, student: str) -> tuple[int, dict[str, float]] | None:
        found = self._values.get(student)
        return None if found is None else (found[0], dict(zip(found[1], found[2], strict=True)))

    def find(self, student: str, answers: Mapping[str, float],
             explained: Collection[str] = ()) -> Copy | None:
        """The :class:`Copy` that ``answers`` (numbers by id) of ``student`` are, or None.

        ``explained``: ids whose answer the grader explains by a misconception on the
        student's own numbers (their own work, wrong): no evidence either way."""
        own = self._answers(student)
        if own is None:
            return None
        decimals, own_values = own
        given = {q: a for q, a in answers.items() if q in own_values}
        if len(given) < MIN_MATCHES:
            return None
        scale = 10.0 ** decimals
        hits: Counter[str] = Counter()
        students = self._students
        for q, a in given.items():
            near = self._buckets.get((q, decimals))
            if not near or not near[0]:
                continue
            units, who = near
            at = a * scale  # (a value within WINDOW units lies between these: round is monotone)
            lo, hi = round(at - WINDOW), round(at + WINDOW)
            i, j = bisect_left(units, lo), bisect_right(units, hi)
            if i < j:
                hits.update(students[k] for k in who[i:j])
        del hits[student]
        best: Copy | None = None
        for source, n in hits.most_common(CANDIDATES):
            d, theirs = self._answers(source)  # type: ignore[misc]
            if n >= MIN_MATCHES and d == decimals:  # (fewer answers near distinctive values: no evidence)
                found = _compare(student, source, given, own_values, theirs, decimals, explained)
                if found is not None and (best is None or found.theirs > best.theirs):
                    best = found
        return best


def _compare(student: str, source: str, answers: Mapping[str, float], own: Mapping[str, float],
             theirs: Mapping[str, float], decimals: int, explained: Collection[str]) -> Copy | None:
    """The :class:`Copy` of ``source`` that ``answers`` are (see the module's rule), or None."""
    reach = WINDOW * 10.0 ** -decimals * (1 + 1e-9)  # (within reach of a value: that value, at the decimals)
    matches = differ = mine = copied = 0
    for q, a in answers.items():
        other = theirs.get(q)
        if other is None:
            continue
        near_theirs = abs(a - other) <= reach
        matches += near_theirs
        if abs(own[q] - other) > 2 * reach and q not in explained:  # (no answer is within reach of both)
            differ += 1
            copied += near_theirs
            mine += abs(a - own[q]) <= reach
    if copied >= MIN_MATCHES and 2 * copied > differ and copied > mine and 2 * matches >= len(answers):
        return Copy(student, source, len(answers), matches, differ, copied, mine)
    return None


def _decimals(raw_instance: Mapping[str, Any]) -> int:
    d = raw_instance.get("decimals") if isinstance(raw_instance, Mapping) else None
    return d if isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 12 else DEFAULT_DECIMALS
