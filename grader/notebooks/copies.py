"""Copies: answers that match another student's variant better than the file's own (issue 11).

The key holds every student's full-precision answers. An answer *matches* a variant's value
when it is that value at the asked decimals: within half a unit of the last asked decimal, as
the value rounded by hand is. For a graded submission, count the answers that match its own
student's values (``own``) and, for each classmate, those that match the classmate's
(``matches``). The submission is flagged as a copy of the classmate with the most matches when

    matches >= 3,  matches >= half of the numeric answers,  and  matches > own

An honest student matches their own variant on every right answer, and another variant only
where the two happen to share a value, which counts for their own as well; so an honest class
(right, rounded by hand, or with misconceptions) is not flagged, and a classmate's numbers
typed into one's own handout are. The score is still computed against the file's own student.

Cost: an index from (id, decimals, value in units of the last decimal) to the students whose
key value falls there is built once per batch; a submission looks each answer up in it, which
names the candidates, and counts matches exactly for the few candidates with the most hits,
so a file costs O(answers), not O(students). A value that many variants share (a weight
change of 0 for an input of 0, a weight left unchanged) names nobody: it is no evidence of
copying, and looking through a crowd for it would cost O(students).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import BackpropError
from ..model import DEFAULT_DECIMALS

#: the least number of matches that can flag a copy
MIN_MATCHES = 3
#: a value shared by more variants than this names no candidate
CROWD = 8
#: the candidates (most hits first) whose matches are counted exactly
CANDIDATES = 3


@dataclass(frozen=True)
class Copy:
    """A submission of ``student`` whose answers match ``source``'s variant better than its own."""

    student: str
    source: str
    matches: int  # answers equal to the source's values at the asked decimals
    own: int  # answers equal to the student's own values
    answered: int  # numeric answers to asked quantities

    @property
    def message(self) -> str:
        return (f"its answers match {self.source}'s variant ({self.matches} of {self.answered} answers at "
                f"the asked decimals) better than {self.student}'s own ({self.own})")


class CopyIndex:
    """Every student's key values, indexed by rounded value (immutable once built)."""

    def __init__(self, key: Any) -> None:
        values: dict[str, tuple[int, dict[str, float]]] = {}
        buckets: dict[tuple[str, int, int], list[str]] = {}
        for sid, entry in key.students.items():
            asked = set(entry.asked)
            try:
                answers = {q: v for q, v in entry.answers.items() if q in asked}
            except BackpropError:  # an incomplete entry: that student's row is an error anyway
                continue
            decimals = _decimals(entry.raw_instance)
            values[sid] = (decimals, answers)
            scale = 10.0 ** decimals
            for q, v in answers.items():
                buckets.setdefault((q, decimals, round(v * scale)), []).append(sid)
        self._values = values
        self._buckets = {k: tuple(v) for k, v in buckets.items() if len(v) <= CROWD}

    def find(self, student: str, answers: Mapping[str, float]) -> Copy | None:
        """The :class:`Copy` that ``answers`` (numbers by id) of ``student`` are, or None."""
        own = self._values.get(student)
        if own is None:
            return None
        decimals, own_values = own
        given = {q: a for q, a in answers.items() if q in own_values}
        if len(given) < MIN_MATCHES:
            return None
        scale = 10.0 ** decimals
        hits: Counter[str] = Counter()
        for q, a in given.items():
            n = round(a * scale)
            for m in (n - 1, n, n + 1):  # (a value within half a unit may sit in a neighbouring bucket)
                found = self._buckets.get((q, decimals, m))
                if found:
                    hits.update(found)
        del hits[student]
        mine = _matches(given, own_values, decimals)
        best: Copy | None = None
        for source, _ in hits.most_common(CANDIDATES):
            d, theirs = self._values[source]
            if d != decimals:
                continue
            n = _matches(given, theirs, decimals)
            if n >= MIN_MATCHES and 2 * n >= len(given) and n > mine and (best is None or n > best.matches):
                best = Copy(student, source, n, mine, len(given))
        return best


def _matches(answers: Mapping[str, float], values: Mapping[str, float], decimals: int) -> int:
    """How many answers are the values at ``decimals`` (within half a unit of the last decimal)."""
    half = 0.5 * 10.0 ** -decimals * (1 + 1e-9)
    return sum(1 for q, a in answers.items() if q in values and abs(a - values[q]) <= half)


def _decimals(raw_instance: Mapping[str, Any]) -> int:
    d = raw_instance.get("decimals") if isinstance(raw_instance, Mapping) else None
    return d if isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 12 else DEFAULT_DECIMALS
