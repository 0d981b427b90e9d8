"""The report for people: terminal lines and Markdown feedback, both from templates.

The views are computed from the immutable :class:`~grader.report.Report` (a row of short
texts per item for the table, and an :class:`ItemView` of each wrong item whose worked step is
computed only when shown); the templates ``report.txt.j2`` and ``report.md.j2`` lay them out.
Expected values and the result of a worked step (which, when the earlier answers are right,
*is* the expected value) are shown only with ``reveal``: a student self-checking learns which
step is wrong and why, not the answer.
"""

from __future__ import annotations

import operator
import os
import re
import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

from ..ops import OPS
from ..report import VERDICTS, Item, Report
from . import numbers
from .env import environment, render

#: ANSI colours of the verdicts on a terminal
COLOURS = {
    "correct": "32",
    "carried-forward": "36",
    "incorrect": "31",
    "missing": "33",
    "invalid": "35",
}


class ItemView:
    """One item as the templates and the PDF show it. What every row of the table shows is
    computed on creation; the rest (the expected value, the worked step with the student's
    numbers) only when asked for, which is for the wrong items and with ``reveal``: most
    reports are mostly correct, and batch grading renders one per student."""

    __slots__ = ("item", "decimals", "id", "verdict", "points", "max_points", "given", "misconception",
                 "wrong")

    def __init__(self, item: Item, decimals: int) -> None:
        self.item = item
        self.decimals = decimals
        self.id = item.id
        self.verdict = item.verdict
        self.points = _points(item.points)
        self.max_points = _points(item.max_points)
        self.given = _given(item.given, decimals)
        self.misconception = item.misconception or ""
        self.wrong = item.verdict in ("incorrect", "invalid", "missing")

    @property
    def message(self) -> str:
        return self.item.message

    @property
    def formula(self) -> str:
        return self.item.formula

    @property
    def indent(self) -> str:
        """Spaces as wide as the id: the worked step's lines line up under its first."""
        return " " * len(self.id)

    @property
    def expected(self) -> str:
        return numbers.fmt(self.item.expected, self.decimals + 2)

    @property
    def tolerance(self) -> str:
        return f"{self.item.tolerance:.2g}"

    @property
    def with_numbers(self) -> str:
        op = self.item.op
        if op not in OPS:
            return ""
        d = self.decimals + 2
        return OPS[op].text([numbers.arg(v, d) for v in self.item.own_args])

    @property
    def from_own(self) -> str:
        x = self.item.from_own
        return "" if x is None else numbers.fmt(x, self.decimals + 2)


def _given(g: str | float | None, decimals: int) -> str:
    if g is None:
        return ""
    if isinstance(g, float):
        return numbers.fmt(g, max(decimals + 2, 6))
    return str(g)


def _points(x: float) -> str:
    return "1" if x == 1.0 else f"{x:g}"


def item_view(item: Item, decimals: int) -> ItemView:
    return ItemView(item, decimals)


#: the fields of an item that the table shows
_FIELDS = operator.attrgetter("id", "given", "verdict", "misconception", "points", "max_points")


def _columns(report: Report, reveal: bool) -> list[Sequence[str]]:
    """The texts of the table, one sequence per column: ``id, given, verdict, misconception,
    points, max_points, expected``, ``expected`` only with ``reveal`` (else empty). The same
    text as :class:`ItemView`, made without a view per item: this is the part of a report
    that is as long as the derivation."""
    items = report.items
    if not items:
        return [()] * 7
    d = report.decimals
    ids, given, verdicts, miscs, points, max_points = zip(*map(_FIELDS, items), strict=True)
    return [
        ids,
        numbers.fmt_many(given, max(d + 2, 6), lambda g: _given(g, d)),
        verdicts,
        [m or "" for m in miscs],
        ["1" if p == 1.0 else f"{p:g}" for p in points],
        ["1" if m == 1.0 else f"{m:g}" for m in max_points],
        numbers.fmt_many([i.expected for i in items], d + 2) if reveal else [""] * len(items),
    ]


def _rows(report: Report, reveal: bool) -> list[tuple[str, ...]]:
    """One tuple per item for the table of the report (the templates unpack it by name):
    ``(id, given, verdict, misconception, points, max_points, expected)``."""
    return list(zip(*_columns(report, reveal), strict=True))


def _context(report: Report, student: str | None, reveal: bool,
             columns: list[Sequence[str]] | None = None) -> dict[str, Any]:
    columns = columns or _columns(report, reveal)
    verdicts = columns[2]
    return {
        "rows": list(zip(*columns, strict=True)),
        "wrong": [ItemView(i, report.decimals) for i in report.items
                  if i.verdict in ("incorrect", "invalid")],
        "score": _points(report.score),
        "max_score": _points(report.max_score),
        "counts": {k: n for k in VERDICTS if (n := verdicts.count(k))},
        "warnings": list(report.warnings),
        "student": student,
        "reveal": reveal,
        "ecf_credit": _points(report.ecf_credit),
    }


def report_markdown_plain(report: Report, *, student: str | None = None, reveal: bool = False,
                          assignment: str | None = None, notice: str | None = None) -> str:
    """:func:`report_markdown` rendered from the template every time: the reference."""
    return render("report.md.j2", **_context(report, student, reveal), assignment=assignment, notice=notice)


def report_markdown(report: Report, *, student: str | None = None, reveal: bool = False,
                    assignment: str | None = None, notice: str | None = None) -> str:
    """The feedback as Markdown (what batch grading writes per student), headed with the
    student and the assignment, then ``notice`` (what was found about the file, such as a
    problem edited: :func:`feedback_notice`) before the score.

    Rendered from a cached skeleton of ``report.md.j2`` (see :func:`_cached_render`): the
    template is laid out once per shape of report (which answers are blank, which have a
    misconception, which items are wrong and how, the counts, the credit wording, the number
    of warnings) with placeholders for the texts, and each report fills in its own.
    :func:`report_markdown_plain` renders the template, the reference the tests hold it to.

    Why the trick stays: rendering the template costs about 90 us a report of 28 items, a
    filled-in skeleton about 40 us (the feedback around it included), some 2.5% of static
    batch grading (about 2 ms a notebook)."""
    columns = _columns(report, reveal)
    ids, givens, verdicts, miscs, points, max_points, expected = columns
    wrong = ([ItemView(i, report.decimals) for i in report.items if i.verdict in ("incorrect", "invalid")]
             if "incorrect" in verdicts or "invalid" in verdicts else [])
    counts = {k: n for k in VERDICTS if (n := verdicts.count(k))}
    warnings = report.warnings
    ecf_credit = _points(report.ecf_credit)
    key = (reveal, not student, not assignment, not notice, ecf_credit, *counts, None, *map(bool, givens),
           None, *map(bool, miscs), None, *[(v.verdict, not v.misconception) for v in wrong], len(warnings))
    head = [str(student), _points(report.score), _points(report.max_score), str(assignment), str(notice),
            *map(str, counts.values())]

    def values() -> list[str]:
        return [*head, *ids, *givens, *verdicts, *miscs, *points, *max_points, *expected, *warnings]

    def symbolic(book: _Book) -> dict[str, Any]:
        n, h = len(ids), len(head)
        slots = [book.slot(k) for k in range(book.eager)]
        for k in range(n):  # the truth of an answer and of a misconception is in the key
            slots[h + n + k] = book.slot(h + n + k, bool(givens[k]))
            slots[h + 3 * n + k] = book.slot(h + 3 * n + k, bool(miscs[k]))
        return {
            "student": book.slot(0, bool(student)), "score": slots[1], "max_score": slots[2],
            "assignment": book.slot(3, bool(assignment)), "notice": book.slot(4, bool(notice)),
            "counts": dict(zip(counts, slots[5:h], strict=True)),
            "rows": list(zip(*[slots[h + c * n:h + (c + 1) * n] for c in range(7)], strict=True)),
            "wrong": [book.lazy(j, {"verdict": v.verdict}, {"misconception": bool(v.misconception)})
                      for j, v in enumerate(wrong)],
            "warnings": slots[h + 7 * n:], "reveal": reveal, "ecf_credit": ecf_credit,
        }

    def context() -> dict[str, Any]:
        return {"rows": list(zip(*columns, strict=True)), "wrong": wrong,
                "score": head[1], "max_score": head[2], "counts": counts, "warnings": list(warnings),
                "student": student, "reveal": reveal, "ecf_credit": ecf_credit, "assignment": assignment,
                "notice": notice}

    return _cached_render("report.md.j2", key, values, wrong, symbolic, context)


def feedback_notice(status: str, *, file: str = "", message: str = "") -> str:
    """What the feedback says first about a file of ``status`` (``templates/feedback_notice.txt.j2``):
    for a tampered file, that its problem was edited and graded against the key; empty for a
    file graded as handed out."""
    return " ".join(render("feedback_notice.txt.j2", status=status, file=file, message=message).split())


def use_colour(stream_isatty: bool, environ: Mapping[str, str] = os.environ) -> bool:
    """Colour only on a terminal, and never with NO_COLOR set (https://no-color.org)."""
    return stream_isatty and not environ.get("NO_COLOR")


def report_terminal(report: Report, *, color: bool, reveal: bool = False, student: str | None = None) -> str:
    """The report for a terminal: one line per item, the score, and what to fix."""
    def paint(text: str, verdict: str) -> str:
        code = COLOURS.get(verdict)
        return f"\x1b[{code}m{text}\x1b[0m" if color and code else text

    width = max((len(i.id) for i in report.items), default=4)
    return render("report.txt.j2", paint=paint, width=width, **_context(report, student, reveal))


# --------------------------------------------------------------------------- cached renders
#
# A skeleton is a template rendered once with a symbolic context: the values it only prints
# are _Slot objects that print as a placeholder, so the output is cut at the placeholders into
# fixed text and the positions of the values; a render of the same shape is then the fixed
# text with the real values put in. The shape (the cache key) is everything the template
# decides on: the values it compares or loops over are real in the symbolic context and part
# of the key, and a slot whose truth the template tests (``{% if x %}``, ``x or "-"``) knows
# that truth, which is part of the key too. Anything else done to a slot (comparing it, its
# length, a number filter, ``|e``) refuses it, and then that shape is always rendered in full;
# so it is when a placeholder does not come out of the template as it went in (a filter like
# upper changed it), or when the skeleton does not give back the full render of the values
# it was made with. A string filter that leaves a placeholder alone but not a real value
# (``|trim``) would go unnoticed: the tests compare the cached renders with full ones.
# A shape is rendered in full the first _SIGHTINGS times it is seen and made a skeleton the
# next time, so that a report of a rare shape costs about a full render.

_TOKEN = re.compile("\x00sLot(\\d+)\x00")


class _Book:
    """The slots of one symbolic render: ``refused`` when the template did more than print
    (some filters swallow the TypeError of a refusal), and the attributes of the lazy objects
    that it asked for, numbered after the eager values."""

    def __init__(self, eager: int) -> None:
        self.eager = eager
        self.refused = False
        self.wanted: list[tuple[int, str]] = []

    def slot(self, k: int, truth: bool | None = None) -> _Slot:
        return _Slot(self, k, truth)

    def lazy(self, j: int, real: dict[str, Any], truths: dict[str, bool]) -> _Lazy:
        return _Lazy(self, j, real, truths)


class _Slot:
    """A value the template prints (and tests for truth when that is part of the key)."""

    __slots__ = ("book", "token", "truth")

    def __init__(self, book: _Book, k: int, truth: bool | None) -> None:
        self.book, self.token, self.truth = book, f"\x00sLot{k}\x00", truth

    def __str__(self) -> str:
        return self.token

    def __bool__(self) -> bool:
        if self.truth is None:
            self._refuse()
        return bool(self.truth)

    def _refuse(self, *args: object) -> Any:
        self.book.refused = True
        raise TypeError("a cached template only prints this value")

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __len__ = __iter__ = __contains__ = _refuse  # type: ignore[assignment]
    __getitem__ = __getattr__ = __float__ = __int__ = __index__ = __format__ = __repr__ = __html__ = _refuse  # type: ignore[assignment]
    __hash__ = None  # type: ignore[assignment]


class _Lazy:
    """The symbolic form of the ``j``-th lazy object: its ``real`` attributes as they are,
    the others slots filled with ``str(getattr(object, name))`` only when printed."""

    def __init__(self, book: _Book, j: int, real: dict[str, Any], truths: dict[str, bool]) -> None:
        self._book, self._j, self._truths, self._slots = book, j, truths, {}
        self.__dict__.update(real)

    def __getattr__(self, name: str) -> _Slot:
        if name.startswith("__"):
            raise AttributeError(name)
        slot = self._slots.get(name)
        if slot is None:
            book = self._book
            slot = self._slots[name] = _Slot(book, book.eager + len(book.wanted), self._truths.get(name))
            book.wanted.append((self._j, name))
        return slot


class _Skeleton:
    """``parts`` is text, None, text, ..., text; ``pick`` gives the values for the Nones."""

    __slots__ = ("parts", "pick", "wanted")

    def __init__(self, parts: list[str | None], order: list[int], wanted: list[tuple[int, str]]) -> None:
        self.parts, self.wanted = parts, wanted
        if not order:
            self.pick: Callable[[list[str]], Sequence[str]] = lambda values: ()
        elif len(order) == 1:
            k = order[0]
            self.pick = lambda values: (values[k],)
        else:
            self.pick = operator.itemgetter(*order)

    def fill(self, values: list[Any], objects: Sequence[Any]) -> str | None:
        """The text with ``values`` (and the lazy ones from ``objects``) in it, or None when a
        value printed is not a str (the template would print ``str()`` of it)."""
        if self.wanted:
            values = values + [str(getattr(objects[j], name)) for j, name in self.wanted]
        out = self.parts.copy()
        out[1::2] = self.pick(values)
        try:
            return "".join(out)  # type: ignore[arg-type]
        except TypeError:
            return None


def _make_skeleton(
    template: Any, eager: int, symbolic: Callable[[_Book], dict[str, Any]]
) -> _Skeleton | None:
    book = _Book(eager)
    try:
        text = template.render(symbolic(book))
    except Exception:  # the template did more with a value than print it
        return None
    cut = _TOKEN.split(text)  # text, slot, text, slot, ..., text
    order = [int(k) for k in cut[1::2]]
    if (book.refused or any("\x00" in part for part in cut[::2])
            or any(k >= eager + len(book.wanted) for k in order)):
        return None
    parts: list[str | None] = list(cut)
    parts[1::2] = [None] * len(order)
    return _Skeleton(parts, order, book.wanted)


#: skeletons by (environment, template name, key); the number of full renders of the shape
#: before it has one (the skeleton is made after _SIGHTINGS); None where there is none
_SKELETONS: dict[tuple, Any] = {}
_SIGHTINGS = 2
_LOCK = threading.Lock()
_CACHE_SIZE = 1 << 12


def _cached_render(name: str, key: Hashable, values: Callable[[], list[str]], objects: Sequence[Any],
                   symbolic: Callable[[_Book], dict[str, Any]], context: Callable[[], dict[str, Any]]) -> str:
    """``render(name, **context)``, from the skeleton of its shape ``key`` when there is one.
    ``values()`` are the texts the template may print (``str`` of the context's values), slots
    0, 1, ... of the context ``symbolic`` makes; ``objects`` are those it gives lazily;
    ``context()`` is the real context."""
    full = (environment(), name, key)  # a template is compiled once per environment
    skeleton = _SKELETONS.get(full)
    if skeleton.__class__ is _Skeleton and (text := skeleton.fill(values(), objects)) is not None:
        return text
    template = full[0].get_template(name)
    text = template.render(context())
    if skeleton.__class__ is not int:
        if skeleton is not None or full in _SKELETONS:
            return text  # a value not a str, or a shape without a skeleton
        made: Any = 1
    elif skeleton < _SIGHTINGS:
        made = skeleton + 1
    else:  # seen often enough: made a skeleton, kept when it gives back the full render
        texts = values()
        made = _make_skeleton(template, len(texts), symbolic)
        if made is not None and (check := made.fill(texts, objects)) != text:
            made = skeleton if check is None else None
    with _LOCK:
        if len(_SKELETONS) >= _CACHE_SIZE:
            _SKELETONS.clear()
        _SKELETONS[full] = made
    return text


def cached_render(name: str, fixed: dict[str, Hashable], printed: dict[str, Any]) -> str:
    """``render(name, **fixed, **printed)`` for a template that only prints the ``printed``
    values (any other use renders it in full): one skeleton per value of ``fixed``."""
    def symbolic(book: _Book) -> dict[str, Any]:
        return {**fixed, **{n: book.slot(k) for k, n in enumerate(printed)}}

    return _cached_render(name, (*fixed.items(), *printed), lambda: list(map(str, printed.values())), (),
                          symbolic, lambda: {**fixed, **printed})


def clear_cache() -> None:
    """Forget every skeleton."""
    with _LOCK:
        _SKELETONS.clear()
