"""The views of the class summary (:class:`~grader.batch.summary.ClassSummary`): the
terminal summary of ``backprop grade``, ``OUT/summary.md``, ``OUT/summary.json`` and the report
page ``OUT/report.html``. Each is a pure function of the summary, rendered from a template in
``templates/`` (the JSON is the summary's fields as they are)."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Iterable, Iterator
from typing import Any

from .env import render, render_chunks

#: bump when summary.json changes shape
SUMMARY_FORMAT = 1


def summary_text(summary: Any, *, regraded: int, reused: int, out: str, page: bool = True,
                 pdf: bool = False) -> str:
    """What ``backprop grade`` prints (``regraded``/``reused``: files of this run; ``page``:
    whether the report page was written; ``pdf``: whether the feedback has PDFs too)."""
    return render("summary.txt.j2", s=summary, regraded=regraded, reused=reused, out=out, page=page, pdf=pdf)


def summary_md(summary: Any, *, page: bool = True) -> str:
    """``summary.md`` (``page``: link the report page written beside it)."""
    return "".join(summary_md_chunks(summary, page=page))


def summary_md_chunks(summary: Any, *, page: bool = True) -> Iterator[str]:
    """The text of :func:`summary_md` in pieces, as the template makes it (never held whole:
    tens of MB for a class of 100,000)."""
    return render_chunks("summary.md.j2", s=summary, page=page, **flagged_view(summary))


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
        "ignored": list(s.ignored),
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
    """``summary.json``: :func:`summary_data`, a field per line and each element of a list field
    (a table row, a flagged file, a bin) on a line of its own (see :func:`json_chunks`)."""
    return "".join(json_chunks(summary))


def json_chunks(summary: Any) -> Iterator[str]:
    """The text of :func:`summary_json` in chunks, a line each (never held whole: tens of MB for a
    class of 100,000). Each line is encoded by json's C encoder: ``indent`` would mean its
    pure-Python encoder, three times slower (13 against 4 ms at 1,000 students)."""
    data = summary_data(summary)
    yield "{\n"
    for i, (name, value) in enumerate(data.items()):
        comma = "," if i < len(data) - 1 else ""
        if isinstance(value, list) and value:
            yield f" {json.dumps(name)}: [\n"
            for j, item in enumerate(value):
                yield f"  {json.dumps(item)}{',' if j < len(value) - 1 else ''}\n"
            yield f" ]{comma}\n"
        else:
            yield f" {json.dumps(name)}: {json.dumps(value)}{comma}\n"
    yield "}\n"


def report_html(summary: Any) -> str:
    """The report page: one self-contained HTML file (charts inlined as SVG, styles and the
    table sorting inline, no outside resource)."""
    return "".join(report_html_chunks(summary))


def report_html_chunks(summary: Any) -> Iterator[str]:
    """The text of :func:`report_html` in pieces, as the template makes it (never held whole)."""
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
    return render_chunks("report.html.j2", s=summary, score_chart=score, groups=groups,
                         misconception_chart=mis, **flagged_view(summary))


# --------------------------------------------------------------------------- the flagged rows, shared
#
# summary.md and the report page are files an instructor may pass on: they name each submitted
# file relative to the folder that holds the submissions (the common parent of every file the
# summary names), not by the path it was found at (``/home/someone/course/subs/...``). The
# printed summary and summary.json keep the paths as they were given (summary.json's ``file``,
# ``used`` and ``others`` fields, and an error's message, which opens with its file's path).


def submissions_folder(paths: Iterable[str]) -> str:
    """The deepest folder that holds every one of ``paths`` (the empty ones left out), or ``""``
    when there is none to take away: no path, absolute and relative ones mixed, or only the root
    (``/``) or the current folder in common."""
    files = [p for p in paths if p]
    if not files:
        return ""
    try:
        common = os.path.commonpath([os.path.dirname(p) or os.curdir for p in files])
    except ValueError:  # absolute and relative paths, or paths on different drives
        return ""
    common = os.path.normpath(common)
    if common == os.curdir or os.path.dirname(common) == common:  # nothing, or the root
        return ""
    return common


def shown_path(path: str, folder: str) -> str:
    """``path`` relative to ``folder`` (as given when ``folder`` is empty)."""
    if not path or not folder:
        return path
    return os.path.relpath(os.path.normpath(path), folder)


def flagged_view(summary: Any) -> dict[str, Any]:
    """``flagged``, ``duplicates`` and ``ignored`` of the summary (its
    :class:`~grader.batch.summary.Flag` and :class:`~grader.batch.summary.Duplicate` lines, and
    the files not graded) with every file named relative to the
    submissions' folder (:func:`submissions_folder` of every file the summary names), and a flagged
    row's message without the file's path in front (the table shows the file beside it), for
    summary.md and the report page."""
    paths = [r.file for r in summary.table]
    paths += [f.file for f in summary.flagged]
    for d in summary.duplicates:
        paths += [d.used, *d.others]
    paths += summary.ignored
    folder = submissions_folder(paths)
    flagged = tuple(dataclasses.replace(f, message=_message(f.message, f.file, folder),
                                        file=shown_path(f.file, folder)) for f in summary.flagged)
    duplicates = tuple(dataclasses.replace(d, used=shown_path(d.used, folder),
                                           others=tuple(shown_path(o, folder) for o in d.others))
                       for d in summary.duplicates)
    return {"flagged": flagged, "duplicates": duplicates, "ignored": tuple(shown_path(p, folder)
                                                                           for p in summary.ignored)}


def _message(message: str, file: str, folder: str) -> str:
    """The message without its file's path in front (an error's message opens with it), and
    any other mention of the submissions' folder taken away."""
    if file and message.startswith(file + ": "):
        message = message[len(file) + 2:]
    if folder:  # (a whole path only: not "my_subs/" for "subs/")
        message = re.sub(r"(?<![\w./~-])" + re.escape(folder + os.sep), "", message)
    return message
