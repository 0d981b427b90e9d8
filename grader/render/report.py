"""The report for people: terminal lines and Markdown feedback, both from templates.

The views are computed from the immutable :class:`~grader.report.Report` (a row of short
texts per item for the table, and an :class:`ItemView` of each wrong item whose worked step is
computed only when shown); the templates ``report.txt.j2`` and ``report.md.j2`` lay them out.
Expected values and the result of a worked step (which, when the earlier answers are right, *is* the expected value) are
shown only with ``reveal``: a student self-checking learns which step is wrong and why, not
the answer.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping
from typing import Any

from ..ops import OPS
from ..report import VERDICTS, Item, Report
from . import numbers

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


def _rows(report: Report, reveal: bool) -> list[tuple[str, str, str, str, str, str, str]]:
    """One tuple per item for the table of the report (the templates unpack it by name):
    ``(id, given, verdict, misconception, points, max_points, expected)``, ``expected`` only
    with ``reveal`` (else empty). The same text as :class:`ItemView`, made without a view per
    item: this is the part of a report that is as long as the derivation."""
    d = report.decimals
    shown = max(d + 2, 6)
    fmt = numbers.fmt
    return [
        (
            i.id,
            "" if (g := i.given) is None else fmt(g, shown) if isinstance(g, float) else str(g),
            i.verdict,
            i.misconception or "",
            "1" if (p := i.points) == 1.0 else f"{p:g}",
            "1" if (m := i.max_points) == 1.0 else f"{m:g}",
            fmt(i.expected, d + 2) if reveal else "",
        )
        for i in report.items
    ]


def _context(report: Report, student: str | None, reveal: bool) -> dict[str, Any]:
    items = report.items
    verdicts = Counter([i.verdict for i in items])
    return {
        "rows": _rows(report, reveal),
        "wrong": [ItemView(i, report.decimals) for i in items if i.verdict in ("incorrect", "invalid")],
        "score": _points(report.score),
        "max_score": _points(report.max_score),
        "counts": {k: verdicts[k] for k in VERDICTS if verdicts[k]},
        "warnings": list(report.warnings),
        "student": student,
        "reveal": reveal,
        "ecf_credit": _points(report.ecf_credit),
    }


def report_markdown(report: Report, *, student: str | None = None, reveal: bool = False) -> str:
    """The feedback as Markdown (what batch grading writes per student)."""
    from .env import render

    return render("report.md.j2", **_context(report, student, reveal))


def use_colour(stream_isatty: bool, environ: Mapping[str, str] = os.environ) -> bool:
    """Colour only on a terminal, and never with NO_COLOR set (https://no-color.org)."""
    return stream_isatty and not environ.get("NO_COLOR")


def report_terminal(report: Report, *, color: bool, reveal: bool = False, student: str | None = None) -> str:
    """The report for a terminal: one line per item, the score, and what to fix."""
    from .env import render

    def paint(text: str, verdict: str) -> str:
        code = COLOURS.get(verdict)
        return f"\x1b[{code}m{text}\x1b[0m" if color and code else text

    width = max((len(i.id) for i in report.items), default=4)
    return render("report.txt.j2", paint=paint, width=width, **_context(report, student, reveal))
