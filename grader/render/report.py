"""The report for people: terminal lines and Markdown feedback, both from templates.

The views are plain data computed from the immutable :class:`~grader.report.Report`; the
templates ``report.txt.j2`` and ``report.md.j2`` lay them out. Expected values and the result
of a worked step (which, when the earlier answers are right, *is* the expected value) are
shown only with ``reveal``: a student self-checking learns which step is wrong and why, not
the answer.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..ops import OPS
from ..report import Item, Report
from . import numbers

#: ANSI colours of the verdicts on a terminal
COLOURS = {
    "correct": "32",
    "carried-forward": "36",
    "incorrect": "31",
    "missing": "33",
    "invalid": "35",
}


@dataclass(frozen=True)
class ItemView:
    id: str
    verdict: str
    points: str
    max_points: str
    given: str
    misconception: str
    message: str
    expected: str
    tolerance: str
    wrong: bool
    formula: str
    with_numbers: str
    from_own: str


def _given(g: str | float | None, decimals: int) -> str:
    if g is None:
        return ""
    if isinstance(g, float):
        return numbers.fmt(g, max(decimals + 2, 6))
    return str(g)


def _points(x: float) -> str:
    return f"{x:g}"


def item_view(item: Item, decimals: int) -> ItemView:
    d = decimals + 2
    shown = [numbers.arg(v, d) for v in item.own_args]
    op = item.op
    return ItemView(
        id=item.id,
        verdict=item.verdict,
        points=_points(item.points),
        max_points=_points(item.max_points),
        given=_given(item.given, decimals),
        misconception=item.misconception or "",
        message=item.message,
        expected=numbers.fmt(item.expected, d),
        tolerance=f"{item.tolerance:.2g}",
        wrong=item.verdict in ("incorrect", "invalid", "missing"),
        formula=item.formula,
        with_numbers=OPS[op].text(shown) if op in OPS else "",
        from_own="" if item.from_own is None else numbers.fmt(item.from_own, d),
    )


def _context(report: Report, student: str | None, reveal: bool) -> dict[str, Any]:
    views = [item_view(i, report.decimals) for i in report.items]
    counts = {v: report.count(v) for v in ("correct", "carried-forward", "incorrect", "missing", "invalid")}
    return {
        "items": views,
        "wrong": [v for v in views if v.verdict in ("incorrect", "invalid")],
        "score": _points(report.score),
        "max_score": _points(report.max_score),
        "counts": {k: n for k, n in counts.items() if n},
        "warnings": list(report.warnings),
        "student": student,
        "reveal": reveal,
        "ecf_credit": _points(report.ecf_credit),
        "width": max((len(v.id) for v in views), default=4),
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

    return render("report.txt.j2", paint=paint, **_context(report, student, reveal))
