"""The graded submission as an immutable value: one :class:`Item` per asked quantity.

:func:`grader.grading.grade` builds it; :mod:`grader.render.feedback` renders it (terminal and
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


def correct_item_at_once(id: str, given: str | float | None, expected: float,
                         tolerance: float | Callable[[], float], step: tuple[str, str, tuple[str, ...], str],
                         own: Mapping[str, float]) -> Item:
    """The item of a correct answer (verdict ``correct``, one point of one, no misconception,
    no message) to the step ``step`` = (id, op, argument ids, formula), every field computed
    at once: ``value`` is ``own[id]``, ``own_args`` the values of the arguments in ``own``
    (the student's own values) and ``from_own`` the op applied to them; ``tolerance`` may be
    a function that computes it. The plain version of :func:`correct_item`, its reference."""
    qid, op, args, formula = step
    own_args = tuple([own[a] for a in args])
    return Item(id, "correct", 1.0, 1.0, given, None, "", expected,
                tolerance() if callable(tolerance) else tolerance, formula, args, own_args,
                OPS[op].compute(list(own_args)), own[qid], op)


class _Deferred:
    """A field of an item made by :func:`correct_item` that is computed the first time any of
    them is read. Such an item holds the seven fields a report shows of every item (id,
    verdict, points, max_points, given, misconception, message) and ``_lazy``: the exact value,
    the tolerance, the step (id, op, argument ids, formula) and the student's own values; the
    first read of another field fills them all in from it (the own values of the arguments and
    the right formula applied to them included) and drops ``_lazy``. A non-data descriptor:
    an item that holds the field in its ``__dict__``, as every other item does, never gets here."""

    __slots__ = ("name", "default")

    def __init__(self, name: str, default: object) -> None:
        self.name = name
        self.default = default

    def __get__(self, item: Item | None, owner: type | None = None) -> object:
        if item is None:  # the class attribute: the field's default, as the dataclass left it
            if self.default is _NO_DEFAULT:
                raise AttributeError(f"type object 'Item' has no attribute {self.name!r}")
            return self.default
        fields = item.__dict__
        lazy = fields.get("_lazy")
        if lazy is not None:
            expected, tolerance, (qid, op, args, formula), own = lazy
            if callable(tolerance):  # computed when first read
                tolerance = tolerance()
            own_args = tuple([own[a] for a in args])
            fields.update({
                "expected": expected, "tolerance": tolerance, "formula": formula, "args": args,
                "own_args": own_args, "from_own": OPS[op].compute(list(own_args)), "value": own[qid],
                "op": op,
            })
            fields.pop("_lazy", None)
        try:
            return fields[self.name]
        except KeyError:
            raise AttributeError(f"'Item' object has no attribute {self.name!r}") from None


_NO_DEFAULT = object()
for _name in ("expected", "tolerance", "formula", "args", "own_args", "from_own", "value", "op"):
    setattr(Item, _name, _Deferred(_name, getattr(Item, _name, _NO_DEFAULT)))


def correct_item(id: str, given: str | float | None, expected: float,
                 tolerance: float | Callable[[], float], step: tuple[str, str, tuple[str, ...], str],
                 own: Mapping[str, float]) -> Item:
    """:func:`make_item` of a correct answer (verdict ``correct``, one point of one, no
    misconception, no message) to the step ``step`` = (id, op, argument ids, formula), whose
    other fields are computed when first read (see :class:`_Deferred`): ``value`` is
    ``own[id]``, ``own_args`` the values of the arguments in ``own`` (the student's own
    values, which must not change after grading) and ``from_own`` the op applied to them;
    ``tolerance`` may be a function that computes it (called when the field is first read).
    Read or not, they are the values those fields would have been given: the item equals,
    hashes and prints as :func:`correct_item_at_once`'s, its reference.

    Why the trick stays: most items of most reports are correct, and their band and own
    values are hardly ever read (the results and the feedback show them for wrong items).
    Made at once, the band of every quantity of every trace is computed and each item's
    fifteen fields are set one by one: static batch grading of 1,000 notebooks of
    2-2-1-threshold (bench/bench_grade.py's corpus, ``--jobs 1``, process time) takes
    about 12% longer: grade() of a right submission of 28 answers, its trace given, takes
    about 80 us with the lazy items and 330 us with items made at once (170 us of it the
    bands), of about 2 ms a notebook in all."""
    item = object.__new__(Item)
    object.__setattr__(item, "__dict__", {
        "id": id, "verdict": "correct", "points": 1.0, "max_points": 1.0, "given": given,
        "misconception": None, "message": "", "_lazy": (expected, tolerance, step, own),
    })
    return item


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
    if x == 1.0 or x == 0.0:  # most points of most reports
        return int(x)
    r = round(x, 6)
    return int(r) if r == int(r) else r
