"""The gradebook of a batch: one row per student, from the entries of every file graded now or
reused from the journal (:mod:`grader.batch.journal`).

One row per student of the key, then one per location that names nobody on its roster
(``unknown``); every file is on the row of the student its location names
(:mod:`grader.batch.identity`), and of a student's several files one whose signed metadata names
the student wins over one that does not, and one that does not over one that could not be graded;
among those alike, the newest (by modification time, then path): a classmate's later file dropped
under the student's name does not displace the student's own (:func:`_precedence`). The process
that graded a file wrote its student's outputs already; they are written again here when the
winner's are not the last written (several of the student's files graded in this run, or the
winner reused from the journal), and as ``missing`` for students with no file. The gradebook is
written last, from the rows, so nothing is counted twice.

A rerun with nothing changed writes nothing and draws nothing: ``.cache/outputs.record`` records,
at the end of every run, each student's winning entry (its name and when it was graded, or
``missing``) and the size and modification time of the student's result and feedback files.
A winner reused from the journal whose record still holds, files untouched, is left alone. A run
that grades files first adds their entries' names to ``.cache/outputs.pending``
(:func:`pending_outputs`), removed once the record is saved: a student with a file graded by a run
killed halfway is not trusted to the record, and their files are compared again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BackpropError
from ..files import write_atomic
from . import journal as jr
from .outputs import gradebook_csv, write_if_changed, write_student
from .rows import GradedRow, MissingRow, Row, max_score


@dataclass(frozen=True)
class Duplicate:
    """A student with several files: the one used (see :func:`_precedence`) and the others."""

    student: str
    used: str
    others: tuple[str, ...]

    @property
    def count(self) -> int:
        return 1 + len(self.others)


def assemble(key: Any, entries: Sequence[jr.Entry], written: Collection[str], reused: Mapping[str, jr.Saved],
             out: str, regrade: Callable[[jr.Entry], jr.Entry]) -> tuple[list[Row], list[Duplicate]]:
    """The rows (see the module) and the duplicates; writes the outputs of the rows whose files
    are not the last written, and the gradebook.

    ``entries``: every file's entry; ``written``: the names of those whose outputs their grading
    process wrote in this run; ``reused``: the journal lines of the entries reused from the
    last run (their outputs are written again from these); ``regrade(entry)``: grade a file
    again (a winner whose journal line was damaged meanwhile)."""
    by_student: dict[str, list[jr.Entry]] = {}
    for e in entries:
        by_student.setdefault(e.student, []).append(e)
    duplicates = []
    rows: list[Row] = []
    students = list(key.students) + sorted(s for s in by_student if s not in key.students)
    columns = list(dict.fromkeys(a for s in key.students.values() for a in s.asked))
    journal: dict[str, jr.Saved] | None = None
    before = _load_record(out)
    pending = _load_pending(out)
    winners: dict[str, list[Any]] = {}
    for sid in students:
        found = sorted(by_student.get(sid, []), key=_precedence)
        if not found:
            row = MissingRow(sid, max_score(key, sid))
            rows.append(row)
            winners[sid] = ["missing"]
            if not _unchanged(out, sid, before, winners[sid]):
                write_student(out, row, None, None, None, None, assignment=key.assignment)
            continue
        winner = found[-1]
        winners[sid] = [winner.name, winner.graded_at]
        if len(found) > 1:
            duplicates.append(Duplicate(sid, winner.file, tuple(e.file for e in found[:-1])))
        if (winner.name in reused and not any(e.name in written or e.name in pending for e in found)
                and _unchanged(out, sid, before, winners[sid])):
            rows.append(winner.row)  # its outputs on disk are this entry's, untouched
            continue
        if winner.name in written:
            if sum(1 for e in found if e.name in written) == 1:  # its outputs are the last written
                rows.append(winner.row)
                continue
            if journal is None:  # its result and feedback are in the journal
                journal = jr.Journal(os.path.join(out, ".cache")).load(lambda s: max_score(key, s))
            saved = journal.get(winner.name)
            if saved is None:  # its line is damaged: grading it again writes it all
                rows.append(regrade(winner).row)
                continue
        else:
            saved = reused.get(winner.name)
        if saved is not None and not saved.intact():  # its line can no longer be read: grade it again
            rows.append(regrade(winner).row)
            continue
        rows.append(winner.row)
        _rewrite(out, key, winner, saved)
    write_if_changed(os.path.join(out, "gradebook.csv"), gradebook_csv(rows, columns))
    _save_record(out, winners)
    return rows, duplicates


def _precedence(entry: jr.Entry) -> tuple[int, int, str]:
    """The order of a student's files, the one that counts last: a file whose signed metadata names
    the student (as the key holds them) before one that does not (a classmate's handout, one that
    names nobody or has no metadata: anyone can drop a file under another's name), which comes
    before one that could not be graded; then the newest (then by path)."""
    rank = 2 if entry.agrees else 1 if isinstance(entry.row, GradedRow) else 0
    return rank, entry.mtime, entry.file


RECORD, PENDING = "outputs.record", "outputs.pending"


def pending_outputs(out: str, names: Collection[str]) -> None:
    """Note the entries about to be graded (before their outputs are written: see the module)."""
    if names:
        with open(os.path.join(out, ".cache", PENDING), "a", encoding="utf-8") as fh:
            fh.write("".join(f"{n}\n" for n in names))


def _load_pending(out: str) -> frozenset[str]:
    try:
        with open(os.path.join(out, ".cache", PENDING), encoding="utf-8", errors="replace") as fh:
            return frozenset(fh.read().split())
    except OSError:
        return frozenset()


def _stats(out: str, student: str) -> list[int]:
    """Size and modification time (ns) of the student's result and feedback files (-1: none)."""
    found: list[int] = []
    for sub, ext in (("results", ".json"), ("feedback", ".md")):
        path = os.path.join(out, sub, student + ext)
        try:
            st = os.stat(path)
            found += [st.st_size, st.st_mtime_ns]
        except OSError:
            found += [-1, -1]
    return found


def _unchanged(out: str, student: str, before: Mapping[str, Any], winner: list[Any]) -> bool:
    """Whether the record says the student's outputs are ``winner``'s, and they are untouched."""
    was = before.get(student)
    return isinstance(was, list) and was[:-1] == winner and was[-1] == _stats(out, student)


def _load_record(out: str) -> dict[str, Any]:
    try:
        with open(os.path.join(out, ".cache", RECORD), "rb") as fh:
            found = json.load(fh)
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _save_record(out: str, winners: Mapping[str, list[Any]]) -> None:
    record = {sid: [*w, _stats(out, sid)] for sid, w in winners.items()}
    text = json.dumps(record, separators=(",", ":"))
    path = os.path.join(out, ".cache", RECORD)
    try:
        with open(path, encoding="utf-8") as fh:
            same = fh.read() == text
    except OSError:
        same = False
    if not same:
        write_atomic(path, text, private=True)
    try:
        os.unlink(os.path.join(out, ".cache", PENDING))
    except FileNotFoundError:
        pass


def _rewrite(out: str, key: Any, entry: jr.Entry, saved: jr.Saved | None) -> None:
    """Write a student's outputs from their winning entry (``saved``: its journal line; None for
    an error row that was never in the journal, such as a file that could not be read)."""
    row = entry.row
    feedback = saved.feedback if saved is not None else None
    result = None
    if saved is not None and saved.result is not None:
        result = json.dumps(saved.result, ensure_ascii=False)
    svg = pdf = None
    if feedback is not None and row.student in key.students:
        from ..render.marks import wrong_marks
        from ..render.svg import net_svg

        try:
            instance = key.students[row.student].instance
            svg = net_svg(instance, wrong_marks((saved.result or {}).get("items", ()), instance))
        except BackpropError:  # the key's instance is broken: the row is an error anyway
            svg = None
    if entry.pdf:
        try:
            pdf = Path(out, ".cache", f"{entry.name}.pdf").read_bytes()
        except OSError:
            pdf = None
    write_student(out, row, result, feedback, svg, pdf, assignment=key.assignment)
