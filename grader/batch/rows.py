"""The rows of a batch: one per student of the key, then one per location that names nobody on
its roster, each typed by what became of the student's submission (README, "Batch grading").

This is the public API of a batch's results (``grade_batch(...).rows``; the class report reads
it too). A row is one of three frozen dataclasses:

- :class:`GradedRow`: a file read and scored. Its ``status`` is ``graded``, ``tampered``,
  ``mismatch``, ``copy`` (scored against the student's own problem; counted in the mean) or
  ``unknown`` (a location nobody on the roster has; scored against the student its metadata
  names, if any, and counted for nobody).
- :class:`ErrorRow`: the file could not be read or graded (``status == "error"``); ``message`` says why.
- :class:`MissingRow`: nothing submitted (``status == "missing"``).

Every row has the same attributes, so code that reads rows needs no ``isinstance``:

=================== ===========================================================================
``student``         the row's student (the key's id, or the unknown location's)
``status``          one of :data:`STATUSES`
``score``           points earned (0 for an error or a missing row)
``max_score``       points possible (the number of asked quantities; 0 on an unknown row not scored)
``items``           a tuple of :class:`Mark`, one per asked quantity, as in the results file
                    (empty for an error or a missing row)
``message``         what was found (empty for a plain ``graded`` row)
``file``            the submission file (empty for a missing row)
``needs_execution`` some answers are computed in code that was not run (grade with ``--execute``)
``points``          ``{id: points}`` of the items (the gradebook's columns)
``misconceptions``  the misconception ids named on the row, each once, in item order
``scored``          counted in the mean: ``status in SCORED``
=================== ===========================================================================

The row's serialisations are in :mod:`grader.batch.outputs` (gradebook CSV, results JSON)
and :mod:`grader.batch.journal` (what a rerun reuses).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = ["GRADED", "SCORED", "STATUSES", "ErrorRow", "GradedRow", "Mark", "MissingRow", "Row", "max_score"]

#: every status a row can have, in the order the summary counts them (the README explains each)
STATUSES = ("graded", "tampered", "mismatch", "copy", "unknown", "error", "missing")
#: the statuses of a :class:`GradedRow`
GRADED = ("graded", "tampered", "mismatch", "copy", "unknown")
#: rows scored against the key's problem for their own student (the mean is over these)
SCORED = ("graded", "tampered", "mismatch", "copy")


@dataclass(frozen=True)
class Mark:
    """One asked quantity on a row: its verdict (``correct``, ``carried-forward``, ``incorrect``,
    ``missing``, ``invalid``), the points it earned of ``max_points``, and the misconception named
    (None: none). The full item (the answer given, the message) is in ``results/<student>.json``."""

    id: str
    verdict: str
    points: float
    max_points: float
    misconception: str | None = None


class _RowBase:
    """What every row derives from its fields."""

    __slots__ = ()
    student: str
    status: str
    items: tuple[Mark, ...]

    @property
    def points(self) -> dict[str, float]:
        return {m.id: m.points for m in self.items}

    @property
    def misconceptions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.misconception for m in self.items if m.misconception))

    @property
    def scored(self) -> bool:
        return self.status in SCORED


@dataclass(frozen=True, slots=True)
class GradedRow(_RowBase):
    """A file read and scored (see the module for the statuses)."""

    student: str
    status: str
    score: float
    max_score: float
    items: tuple[Mark, ...]
    message: str = ""
    file: str = ""
    needs_execution: bool = False

    def __post_init__(self) -> None:
        if self.status not in GRADED:
            raise ValueError(f"a graded row's status is one of {', '.join(GRADED)}, not {self.status!r}")

    @classmethod
    def of(cls, student: str, status: str, result: Mapping[str, Any], *, message: str = "", file: str = "",
           needs_execution: bool = False) -> GradedRow:
        """The row of ``result``, the ``check --json`` object of the submission."""
        marks = tuple([_mark(i["id"], i["verdict"], i["points"], i["max_points"], i.get("misconception"))
                       for i in result["items"]])
        return cls(student, status, float(result["score"]), float(result["max_score"]), marks, message, file,
                   needs_execution)


@dataclass(frozen=True, slots=True)
class ErrorRow(_RowBase):
    """A file that could not be read or graded; ``message`` says why."""

    student: str
    max_score: float
    message: str
    file: str
    status: ClassVar[str] = "error"
    score: ClassVar[float] = 0.0
    items: ClassVar[tuple[Mark, ...]] = ()
    needs_execution: ClassVar[bool] = False


@dataclass(frozen=True, slots=True)
class MissingRow(_RowBase):
    """A student of the key with no file."""

    student: str
    max_score: float
    status: ClassVar[str] = "missing"
    score: ClassVar[float] = 0.0
    items: ClassVar[tuple[Mark, ...]] = ()
    message: ClassVar[str] = "nothing submitted"
    file: ClassVar[str] = ""
    needs_execution: ClassVar[bool] = False


Row = GradedRow | ErrorRow | MissingRow

#: the marks made so far, shared: a class's rows have few distinct ones (a Mark is immutable)
_MARKS: dict[tuple[Any, ...], Mark] = {}


def _mark(qid: str, verdict: str, points: float, most: float, misconception: str | None) -> Mark:
    key = (qid, verdict, points, most, misconception, type(points), type(most))  # (1 and 1.0 kept apart)
    found = _MARKS.get(key)
    if found is None:
        found = Mark(qid, verdict, points, most, misconception)
        if len(_MARKS) < 100_000:
            _MARKS[key] = found
    return found


def max_score(key: Any, student: str) -> float:
    """The points possible on a row of ``student``: the quantities the key asks them (0: not on
    the key's roster)."""
    entry = key.students.get(student)
    return float(len(entry.asked)) if entry is not None else 0.0
