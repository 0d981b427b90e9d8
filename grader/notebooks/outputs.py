"""The files ``backprop grade`` writes under OUT (DESIGN section 5).

``results/<student>.json`` (the ``check --json`` object plus ``student``, ``status``,
``message`` and ``file``), ``feedback/<student>.md`` with the picture of the net beside it as
``feedback/<student>.svg`` (and ``.pdf``), and ``gradebook.csv``. Every file is written
atomically, and only when its content changed, so a rerun leaves unchanged files alone; but
in a first run into OUT, the feedback files are written in place before the result (see
:func:`write_student`).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..files import utf8, write_all, write_atomic


@dataclass(frozen=True)
class Row:
    """One student's line of the gradebook, and what the summary counts of it.

    ``result`` is the ``check --json`` object; it is None in a row made from what a worker sent
    back (the worker wrote the files already; the journal has the object).
    """

    student: str
    status: str
    score: float
    max_score: float
    points: dict[str, float]
    message: str = ""
    file: str = ""
    result: dict[str, Any] | None = field(default_factory=dict)
    misconceptions: tuple[str, ...] = ()
    needs_execution: bool = False


def row_of(student: str, entry: Mapping[str, Any] | None, max_score: float) -> Row:
    """The gradebook row of ``student`` from their winning entry (None: nothing submitted):
    a journal entry with its ``result``, or a worker's :func:`slim` one."""
    if entry is None:
        return Row(student, "missing", 0.0, max_score, {}, "nothing submitted")
    if "points" in entry:  # slim
        return Row(student, entry["status"], entry["score"], entry["max_score"], entry["points"],
                   entry.get("message", ""), entry["file"], None, tuple(entry["misconceptions"]),
                   entry["needs_execution"])
    res = entry.get("result")
    if res is None:
        return Row(student, "error", 0.0, max_score, {}, entry.get("message", ""), entry["file"])
    items = res["items"]
    points = {i["id"]: i["points"] for i in items}
    misconceptions = tuple(dict.fromkeys(i["misconception"] for i in items if i.get("misconception")))
    return Row(student, entry["status"], float(res["score"]), float(res["max_score"]), points,
               entry.get("message", ""), entry["file"], res, misconceptions,
               bool(entry.get("needs_execution")))


def slim(entry: Mapping[str, Any], row: Row) -> dict[str, Any]:
    """What a worker sends back of a graded file: the entry without its result and feedback
    (written to disk and to the journal already) but with the row's fields, which
    :func:`row_of` turns back into the row."""
    out = {k: v for k, v in entry.items() if k not in ("result", "feedback")}
    if row.status not in ("error", "missing"):  # (graded, tampered, mismatch, copy, unknown: a result)
        out.update(score=row.score, max_score=row.max_score, points=row.points,
                   misconceptions=list(row.misconceptions), needs_execution=row.needs_execution)
    return out


def result_json(row: Row) -> str:
    """The ``check --json`` object of the row as JSON text (what the journal keeps too)."""
    if row.result is None:
        raise ValueError(f"the row of {row.student} was made without its result; "
                         "make it from the journal entry")
    doc = row.result if row.result else {"score": 0, "max_score": _clean(row.max_score), "items": []}
    return json.dumps(doc, ensure_ascii=False)


def result_text(row: Row, result: str | None = None) -> str:
    """``results/<student>.json``: the ``check --json`` object (``result``: as JSON text, when
    already made) plus ``student``, ``status``, ``message`` and ``file``, on one line (``jq``
    or ``python -m json.tool`` show it indented)."""
    body = result_json(row) if result is None else result
    extra = json.dumps({"student": row.student, "status": row.status, "message": row.message,
                        "file": row.file}, ensure_ascii=False)
    return f"{body[:-1]}, {extra[1:]}\n"


def error_feedback(row: Row) -> str:
    from .submission import feedback_text

    return feedback_text("error", row.student, row.file, row.message, "", False)


def write_student(out: str, row: Row, feedback: str | None, svg: str | None, pdf: bytes | None,
                  *, fresh: bool = False, result: str | None = None) -> None:
    """Write one student's result and feedback files, removing those that no longer apply.

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
        put(os.path.join(fb, f"{row.student}.md"), feedback if feedback is not None else error_feedback(row))
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


def _num(x: float) -> str:
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
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student", "score", "max_score", "status", *columns])
    for r in rows:
        w.writerow([r.student, _num(r.score), _num(r.max_score), r.status,
                    *(_num(r.points[c]) if c in r.points else "" for c in columns)])
    return buf.getvalue()
