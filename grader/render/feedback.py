"""The report for people: terminal lines and Markdown feedback, both from templates.

The views are computed from the immutable :class:`~grader.report.Report` (a row of short
texts per item for the table, and an :class:`ItemView` of each wrong item whose worked step is
computed only when shown); the templates ``report.txt.j2`` and ``report.md.j2`` lay them out.
Expected values and the result of a worked step (which, when the earlier answers are right,
*is* the expected value) are shown only with ``reveal``: a student self-checking learns which
step is wrong and why, not the answer. Nor does the worked step show a number for an argument
the student did not write (:func:`unwritten`): the grader works it out from their values, and
where those are right it is the right value (``1 / (1 + exp(-1.0415))``: one keystroke from
the expected ``o_A_step2``); it is shown by its name.
"""

from __future__ import annotations

import operator
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..ops import OPS
from ..report import VERDICTS, Item, Report
from . import numbers
from .env import render
from .inert import md_inline, md_inline_all, printable
from .skeletons import Book, render_shape

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
                 "wrong", "hidden")

    def __init__(self, item: Item, decimals: int, hidden: frozenset[str] = frozenset()) -> None:
        self.item = item
        self.decimals = decimals
        self.hidden = hidden  # (arguments shown by name in the worked step: :func:`unwritten`)
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
        return OPS[op].text([a if a in self.hidden else numbers.arg(v, d)
                             for a, v in zip(self.item.args, self.item.own_args, strict=True)])

    @property
    def from_own(self) -> str:
        x = self.item.from_own
        return "" if x is None else numbers.fmt(x, self.decimals + 2)


class MarkdownItemView(ItemView):
    """An :class:`ItemView` for Markdown: the message (which may quote what the student wrote) as
    text, never a link, an image or HTML (:func:`grader.render.inert.md_inline`)."""

    __slots__ = ()

    @property
    def message(self) -> str:
        return md_inline(self.item.message)


class TerminalItemView(ItemView):
    """An :class:`ItemView` for a terminal: the message's control characters as escapes."""

    __slots__ = ()

    @property
    def message(self) -> str:
        return printable(self.item.message)


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


#: the ids of quantities (what a student answers), not of given values (w_, x, d_, alpha)
_QUANTITY = re.compile(r"(?:p|o|delta|dw|new_w)_|P(?:_step\d+)?\Z")


def unwritten(report: Report) -> frozenset[str]:
    """The arguments of the report's formulas that are quantities the student did not write (an
    unasked p, a missing answer): their worked steps show them by name, not the value the grader
    worked out for them from the student's values (where those are right, the right value)."""
    written = {i.id for i in report.items if i.value is not None}
    return frozenset(a for i in report.items if i.verdict == "incorrect" for a in i.args
                     if a not in written and _QUANTITY.match(a))


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
             columns: list[Sequence[str]] | None = None, markdown: bool = False,
             terminal: bool = False) -> dict[str, Any]:
    """The template's context; with ``markdown``, what the student wrote (the answers, the
    messages and warnings that quote it, the student's id) is made inert (:func:`_markdown_texts`);
    with ``terminal``, its control characters are escaped."""
    columns = columns or _columns(report, reveal)
    verdicts = columns[2]
    view = MarkdownItemView if markdown else TerminalItemView if terminal else ItemView
    hidden = unwritten(report) if "incorrect" in verdicts else frozenset()
    warnings = list(report.warnings)
    if markdown:
        columns, warnings, student = _markdown_texts(columns, warnings, student)
    elif terminal:
        warnings = [printable(w) for w in warnings]
        student = printable(student) if student else student
    return {
        "rows": list(zip(*columns, strict=True)),
        "wrong": [view(i, report.decimals, hidden) for i in report.items
                  if i.verdict in ("incorrect", "invalid")],
        "score": _points(report.score),
        "max_score": _points(report.max_score),
        "counts": {k: n for k in VERDICTS if (n := verdicts.count(k))},
        "warnings": warnings,
        "student": student,
        "reveal": reveal,
        "ecf_credit": _points(report.ecf_credit),
    }


def _markdown_texts(columns: list[Sequence[str]], warnings: Sequence[str], student: str | None
                    ) -> tuple[list[Sequence[str]], list[str], str | None]:
    """The student's texts of a Markdown report as text (grader/render/inert.py): a hostile
    answer, id or file name renders as what it is, never a link, an image or HTML."""
    columns = [columns[0], md_inline_all(columns[1]), *columns[2:]]
    return columns, md_inline_all(warnings), md_inline(student) if student else student


def report_markdown_plain(report: Report, *, student: str | None = None, reveal: bool = False,
                          assignment: str | None = None, notice: str | None = None) -> str:
    """:func:`report_markdown` rendered from the template every time: the reference."""
    return render("report.md.j2", **_context(report, student, reveal, markdown=True), assignment=assignment,
                  notice=md_inline(notice) if notice else notice)


def report_markdown(report: Report, *, student: str | None = None, reveal: bool = False,
                    assignment: str | None = None, notice: str | None = None) -> str:
    """The feedback as Markdown (what batch grading writes per student), headed with the
    student and the assignment, then ``notice`` (what was found about the file, such as a
    problem edited: :func:`feedback_notice`) before the score.

    Rendered from a cached skeleton of ``report.md.j2`` (see :mod:`grader.render.skeletons`):
    the template is laid out once per shape of report (which answers are blank, which have a
    misconception, which items are wrong and how, the counts, the credit wording, the number
    of warnings) with placeholders for the texts, and each report fills in its own.
    :func:`report_markdown_plain` renders the template, the reference the tests hold it to.

    Why the trick stays: rendering the template costs about 90 us a report of 28 items, a
    filled-in skeleton about 40 us (the feedback around it included), some 2.5% of static
    batch grading (about 2 ms a notebook)."""
    columns, warnings, student = _markdown_texts(_columns(report, reveal), report.warnings, student)
    notice = md_inline(notice) if notice else notice
    ids, givens, verdicts, miscs, points, max_points, expected = columns
    hidden = unwritten(report) if "incorrect" in verdicts else frozenset()
    wrong = ([MarkdownItemView(i, report.decimals, hidden) for i in report.items
              if i.verdict in ("incorrect", "invalid")]
             if "incorrect" in verdicts or "invalid" in verdicts else [])
    counts = {k: n for k in VERDICTS if (n := verdicts.count(k))}
    ecf_credit = _points(report.ecf_credit)
    key = (reveal, not student, not assignment, not notice, ecf_credit, *counts, None, *map(bool, givens),
           None, *map(bool, miscs), None, *[(v.verdict, not v.misconception) for v in wrong], len(warnings))
    head = [str(student), _points(report.score), _points(report.max_score), str(assignment), str(notice),
            *map(str, counts.values())]

    def values() -> list[str]:
        return [*head, *ids, *givens, *verdicts, *miscs, *points, *max_points, *expected, *warnings]

    def symbolic(book: Book) -> dict[str, Any]:
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

    return render_shape("report.md.j2", key, values, wrong, symbolic, context)


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
    context = _context(report, student, reveal, terminal=True)
    return render("report.txt.j2", paint=paint, width=width, **context)
