"""The files ``backprop grade`` writes under OUT (DESIGN section 5).

Each is one serialisation of a :class:`~grader.batch.rows.Row`: ``gradebook.csv`` (a line
per row: ``student, score, max_score, status``, then the points of each quantity),
``results/<student>.json`` (the ``check --json`` object plus ``student``, ``status``,
``message`` and ``file``), ``feedback/<student>.md`` with the picture of the net beside it as
``feedback/<student>.svg`` (and ``.pdf``). Every file is written
atomically, and only when its content changed, so a rerun leaves unchanged files alone; but
in a first run into OUT, the feedback files are written in place before the result (see
:func:`write_student`).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Sequence

from ..files import utf8, write_all, write_atomic
from .rows import GradedRow, Row


def result_text(row: Row, result: str | None = None) -> str:
    """``results/<student>.json``: the ``check --json`` object (``result``: as JSON text; None
    for an error or missing row, whose object is empty) plus ``student``, ``status``,
    ``message`` and ``file``, on one line (``jq`` or ``python -m json.tool`` show it indented)."""
    if result is None:
        if isinstance(row, GradedRow):
            raise ValueError(f"the results of {row.student} need the check --json object of the submission")
        result = json.dumps({"score": 0, "max_score": _clean(row.max_score), "items": []})
    extra = json.dumps({"student": row.student, "status": row.status, "message": row.message,
                        "file": row.file}, ensure_ascii=False)
    return f"{result[:-1]}, {extra[1:]}\n"


def error_feedback(row: Row, assignment: str = "") -> str:
    from .submission import feedback_text

    return feedback_text("error", row.student, row.file, row.message, "", False, assignment)


def write_student(out: str, row: Row, result: str | None, feedback: str | None, svg: str | None,
                  pdf: bytes | None, *, fresh: bool = False, assignment: str = "") -> None:
    """Write one student's result and feedback files, removing those that no longer apply.

    ``result``: the ``check --json`` object as JSON text (None for an error or missing row);
    ``feedback``: the Markdown (None: an error row's own, from its message).

    ``fresh``: the folder has no earlier outputs for this student to compare with or remove
    (the first run into OUT), so the files are written without reading them first.
    """
    results, fb = os.path.join(out, "results"), os.path.join(out, "feedback")
    # fresh: the feedback is written in place (no temporary file, no rename), and the result,
    # atomically, after it; a kill can only leave a partial feedback file without a result beside
    # it, which the next run (no longer fresh) compares and rewrites
    put, put_last = (write_in_place, write_atomic) if fresh else (write_if_changed, write_if_changed)
    wanted = set()
    if row.status != "missing":
        text = feedback if feedback is not None else error_feedback(row, assignment)
        put(os.path.join(fb, f"{row.student}.md"), text)
        wanted.add(".md")
        if svg is not None and feedback is not None:
            put(os.path.join(fb, f"{row.student}.svg"), svg)
            wanted.add(".svg")
        if pdf is not None:
            put(os.path.join(fb, f"{row.student}.pdf"), pdf)
            wanted.add(".pdf")
    # last: a results file in place means the feedback beside it is this result's
    put_last(os.path.join(results, f"{row.student}.json"), result_text(row, result))
    if not fresh:
        for ext in {".md", ".svg", ".pdf"} - wanted:
            try:
                os.unlink(os.path.join(fb, f"{row.student}{ext}"))
            except FileNotFoundError:
                pass


def write_in_place(path: str, content: str | bytes) -> None:
    """Write ``content`` to ``path`` directly (a file no reader waits for: see write_student)."""
    data = utf8(content) if isinstance(content, str) else content
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
    try:
        write_all(fd, data)
    finally:
        os.close(fd)


def write_if_changed(path: str, content: str | bytes) -> None:
    data = utf8(content) if isinstance(content, str) else content
    try:
        with open(path, "rb") as fh:
            if fh.read() == data:
                return
    except OSError:
        pass
    write_atomic(path, data)


def number(x: float) -> str:
    """``x`` as the gradebook and the summary write it: a whole number without ``.0``, else
    rounded to 6 places."""
    found = _NUMS.get(x)
    if found is None:
        found = str(int(x)) if float(x).is_integer() else repr(round(x, 6))
        if len(_NUMS) < 1024:  # (a gradebook holds few distinct point values)
            _NUMS[x] = found
    return found


_NUMS: dict[float, str] = {}


def _clean(x: float) -> float | int:
    return int(x) if float(x).is_integer() else x


def gradebook_csv(rows: Sequence[Row], columns: Sequence[str]) -> str:
    """``gradebook.csv``: a line per row, then a column per quantity (empty: not on the row). A
    student id that a spreadsheet would run as a formula (an ``unknown`` row is named by
    its file: ``=cmd|...``) gets a ``'`` in front (:func:`grader.render.inert.spreadsheet_text`),
    and a control character in it (a carriage return would end the line) is written as its escape."""
    from ..render.inert import printable, spreadsheet_text

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student", "score", "max_score", "status", *columns])
    for r in rows:
        points = r.points
        w.writerow([spreadsheet_text(printable(r.student)), number(r.score), number(r.max_score), r.status,
                    *(number(points[c]) if c in points else "" for c in columns)])
    return buf.getvalue()


#: the name :func:`grader.files.write_atomic` gives its temporary file
_LEFTOVER = re.compile(r"^\..+\.\d+-\d+\.tmp$")


def sweep_leftovers(out: str) -> int:
    """Remove the temporary files of writers that died mid-write (a worker killed while it wrote a
    student's outputs) from the folders a batch writes; call it when no writer is left (the
    batch holds OUT's lock, its workers are done). Returns how many were removed."""
    removed = 0
    for folder in (out, os.path.join(out, "results"), os.path.join(out, "feedback")):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            if _LEFTOVER.match(name):
                try:
                    os.unlink(os.path.join(folder, name))
                    removed += 1
                except OSError:
                    pass
    return removed
