"""The graded submission as an immutable value: one :class:`Item` per asked quantity.

:func:`grader.grading.grade` builds it; :mod:`grader.render.report` renders it (terminal and
Markdown, from templates); :meth:`Report.to_json` is the ``check --json`` object of DESIGN
section 5. Expected values are carried but shown only when asked to reveal them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from .ops import OPS

VERDICTS = ("correct", "carried-forward", "incorrect", "missing", "invalid")


@dataclass(frozen=True)
class Item:
    """The verdict on one asked quantity."""

    id: str
    verdict: str
    points: float
    max_points: float
    #: what the student wrote (for display), None when unanswered
    given: str | float | None
    #: the id of the misconception that explains the answer, or None
    misconception: str | None
    #: what went wrong and the right rule; empty when correct
    message: str
    #: the exact value (shown only with reveal)
    expected: float
    #: the tolerance the answer was compared with
    tolerance: float
    #: the formula in the seed's notation, e.g. ``o_C * (1 - o_C) * (d_C - o_C)``
    formula: str
    #: the ids the formula uses, and the student's own values of them
    args: tuple[str, ...] = ()
    own_args: tuple[float, ...] = ()
    #: what the right formula gives from the student's own values
    from_own: float | None = None
    #: the student's value when readable
    value: float | None = None
    #: the op of the formula (grader.ops), for writing the worked step
    op: str = ""

    @property
    def wrong(self) -> bool:
        return self.verdict in ("incorrect", "invalid")


def make_item(id: str, verdict: str, points: float, max_points: float, given: str | float | None,
              misconception: str | None, message: str, expected: float, tolerance: float, formula: str,
              args: tuple[str, ...], own_args: tuple[float, ...], from_own: float | None,
              value: float | None, op: str) -> Item:
    """``Item(...)`` with every field given (the grader builds every item with it)."""
    return Item(id, verdict, points, max_points, given, misconception, message, expected, tolerance, formula,
                args, own_args, from_own, value, op)


def correct_item(id: str, given: str | float | None, expected: float,
                 tolerance: float | Callable[[], float], step: tuple[str, str, tuple[str, ...], str],
                 own: Mapping[str, float]) -> Item:
    """:func:`make_item` of a correct answer (verdict ``correct``, one point of one, no
    misconception, no message) to the step ``step`` = (id, op, argument ids, formula):
    ``value`` is ``own[id]``, ``own_args`` the values of the arguments in ``own`` (the
    student's own values) and ``from_own`` the op applied to them; ``tolerance`` may be a
    function that computes it."""
    qid, op, args, formula = step
    own_args = tuple([own[a] for a in args])
    return Item(id, "correct", 1.0, 1.0, given, None, "", expected,
                tolerance() if callable(tolerance) else tolerance, formula, args, own_args,
                OPS[op].compute(list(own_args)), own[qid], op)


@dataclass(frozen=True)
class Report:
    """The graded submission: one item per asked quantity, in the order of the derivation."""

    items: tuple[Item, ...]
    warnings: tuple[str, ...] = ()
    ecf_credit: float = 1.0
    decimals: int = 4

    @property
    def score(self) -> float:
        return _clean(math.fsum([i.points for i in self.items]))

    @property
    def max_score(self) -> float:
        return _clean(math.fsum([i.max_points for i in self.items]))

    @property
    def all_correct(self) -> bool:
        """Every asked item answered and correct (exit status 0 of ``check``)."""
        return all(i.verdict == "correct" for i in self.items)

    def count(self, verdict: str) -> int:
        return sum(1 for i in self.items if i.verdict == verdict)

    def __getitem__(self, qid: str) -> Item:
        for item in self.items:
            if item.id == qid:
                return item
        raise KeyError(qid)

    def with_warnings(self, warnings: Sequence[str]) -> Report:
        merged = tuple(dict.fromkeys(tuple(warnings) + self.warnings))
        return replace(self, warnings=merged)

    def to_json(self, reveal: bool = False) -> dict:
        """The ``check --json`` object of DESIGN section 5 (plus ``warnings``)."""
        items = []
        for i in self.items:
            item = {"id": i.id, "verdict": i.verdict, "points": _clean(i.points),
                    "max_points": _clean(i.max_points), "given": i.given, "misconception": i.misconception,
                    "message": i.message}
            if reveal:
                item["expected"] = i.expected
            items.append(item)
        return {"score": self.score, "max_score": self.max_score, "items": items,
                "warnings": list(self.warnings)}


def _clean(x: float) -> float | int:
    """``x`` rounded to 6 places, as an int when it is whole (``1.0`` -> ``1``)."""
    r = round(x, 6)
    return int(r) if r == int(r) else r
