"""The graded submission as an immutable value: one :class:`Item` per asked quantity.

:func:`grader.grading.grade` builds it; :mod:`grader.render.report` renders it (terminal and
Markdown, from templates); :meth:`Report.to_json` is the ``check --json`` object of DESIGN
section 5. Expected values are carried but shown only when asked to reveal them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

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


_new = object.__new__
_set = object.__setattr__


def make_item(id: str, verdict: str, points: float, max_points: float, given: str | float | None,
              misconception: str | None, message: str, expected: float, tolerance: float, formula: str,
              args: tuple[str, ...], own_args: tuple[float, ...], from_own: float | None,
              value: float | None, op: str) -> Item:
    """``Item(...)`` with every field given, made faster: the dataclass's generated ``__init__``
    sets each of the fifteen fields with ``object.__setattr__`` (it is frozen), a large part of
    the cost of grading a correct answer; this fills the instance's ``__dict__`` in one step.
    The result is the same object (same fields, equal, frozen); the grader builds every item
    with it."""
    item = _new(Item)
    _set(item, "__dict__", {
        "id": id, "verdict": verdict, "points": points, "max_points": max_points, "given": given,
        "misconception": misconception, "message": message, "expected": expected,
        "tolerance": tolerance, "formula": formula, "args": args, "own_args": own_args,
        "from_own": from_own, "value": value, "op": op,
    })
    return item


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
                "own_args": own_args, "from_own": _compute(op, list(own_args)), "value": own[qid], "op": op,
            })
            fields.pop("_lazy", None)
        try:
            return fields[self.name]
        except KeyError:
            raise AttributeError(f"'Item' object has no attribute {self.name!r}") from None


_NO_DEFAULT = object()
for _name in ("expected", "tolerance", "formula", "args", "own_args", "from_own", "value", "op"):
    setattr(Item, _name, _Deferred(_name, getattr(Item, _name, _NO_DEFAULT)))


def _compute(op: str, args: list[float]) -> float:
    from .ops import OPS

    return OPS[op].compute(args)


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
    hashes and prints as that item. (Fewer entries in the item's ``__dict__`` make it several
    times cheaper to create, and most items of most reports are correct.)"""
    item = _new(Item)
    _set(item, "__dict__", {
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
        clean = _clean
        # (``1 if p == 1.0 else clean(p)``: what _clean gives a whole point, without the call)
        if reveal:
            items = [{
                "id": i.id, "verdict": i.verdict, "points": 1 if (p := i.points) == 1.0 else clean(p),
                "max_points": 1 if (m := i.max_points) == 1.0 else clean(m),
                "given": i.given, "misconception": i.misconception, "message": i.message,
                "expected": i.expected,
            } for i in self.items]
        else:
            items = [{
                "id": i.id, "verdict": i.verdict, "points": 1 if (p := i.points) == 1.0 else clean(p),
                "max_points": 1 if (m := i.max_points) == 1.0 else clean(m),
                "given": i.given, "misconception": i.misconception, "message": i.message,
            } for i in self.items]
        return {"score": self.score, "max_score": self.max_score, "items": items,
                "warnings": list(self.warnings)}


#: _clean of the few point values a report holds (1.0, 0.0, the carried-forward credit), by value
_CLEANED: dict[float, float | int] = {}


def _clean(x: float) -> float | int:
    """``x`` rounded to 6 places, as an int when it is whole (``1.0`` -> ``1``)."""
    found = _CLEANED.get(x)
    if found is None:
        r = round(x, 6)
        found = int(r) if r == int(r) else r
        if len(_CLEANED) < 4096:
            _CLEANED[x] = found
    return found
