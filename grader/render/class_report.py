"""The views of the class summary (:class:`~grader.batch.summary.ClassSummary`): the
terminal summary of ``backprop grade``, ``OUT/summary.md``, ``OUT/summary.json`` and the report
page ``OUT/report.html``. Each is a pure function of the summary, rendered from a template in
``templates/`` (the JSON is the summary's fields as they are)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from .env import render

#: bump when summary.json changes shape
SUMMARY_FORMAT = 1


def summary_text(summary: Any, *, regraded: int, reused: int, out: str, page: bool = True) -> str:
    """What ``backprop grade`` prints (``regraded``/``reused``: files of this run; ``page``:
    whether the report page was written)."""
    return render("summary.txt.j2", s=summary, regraded=regraded, reused=reused, out=out, page=page)


def summary_md(summary: Any, *, page: bool = True) -> str:
    """``summary.md`` (``page``: link the report page written beside it)."""
    return render("summary.md.j2", s=summary, page=page)


def summary_data(summary: Any) -> dict[str, Any]:
    """The summary as plain data (the fields of the summary; pairs as objects, each tally with
    its total)."""
    s = summary
    return {
        "format": SUMMARY_FORMAT,
        "assignment": s.assignment,
        "family": s.family,
        "students": s.students,
        "files": s.files,
        "counts": dict(s.counts),
        "scored": s.scored,
        "mean": s.mean,
        "median": s.median,
        "max_score": s.max_score,
        "distribution_unit": s.distribution_unit,
        "distribution": [dataclasses.asdict(b) for b in s.distribution],
        "groups": [
            {"name": g.name, "tally": _tally(g.tally),
             "quantities": [{"id": q.id, "tally": _tally(q.tally), "misconceptions": dict(q.misconceptions)}
                            for q in g.quantities]}
            for g in s.groups
        ],
        "misconceptions": [
            {"id": m.id, "mistake": m.mistake, "students": list(m.students), "quantities": dict(m.quantities)}
            for m in s.misconceptions
        ],
        "flagged": [dataclasses.asdict(f) for f in s.flagged],
        "duplicates": [dataclasses.asdict(d) for d in s.duplicates],
        "needs_execution": s.needs_execution,
        "table": [
            {"student": r.student, "status": r.status, "score": r.score, "max_score": r.max_score,
             "tally": _tally(r.tally), "misconceptions": list(r.misconceptions), "message": r.message,
             "file": r.file, "feedback": dict(r.feedback)}
            for r in s.table
        ],
    }


def _tally(t: Any) -> dict[str, int]:
    return {**dict(t.counts()), "total": t.total}


def summary_json(summary: Any) -> str:
    return json.dumps(summary_data(summary), indent=1) + "\n"


def report_html(summary: Any) -> str:
    """The report page: one self-contained HTML file (charts inlined as SVG, styles and the
    table sorting inline, no outside resource)."""
    from . import charts

    score = None
    if summary.distribution:
        score = charts.score_chart([b.label for b in summary.distribution],
                                   [b.count for b in summary.distribution], summary.distribution_unit)
    groups = [
        (g, charts.verdict_chart(g.name, [q.id for q in g.quantities],
                                 [[n for _, n in q.tally.counts()] for q in g.quantities]))
        for g in summary.groups
    ]
    mis = None
    if summary.misconceptions:
        mis = charts.misconception_chart([m.id for m in summary.misconceptions],
                                         [len(m.students) for m in summary.misconceptions])
    return render("report.html.j2", s=summary, score_chart=score, groups=groups, misconception_chart=mis)
