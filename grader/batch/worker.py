"""One submission file of a batch, in the process that grades it (a worker, or the grader itself).

:func:`grade_file` grades the file (:func:`~grader.batch.submission.grade_submission`),
writes its student's result and feedback (:mod:`grader.batch.outputs`), then appends its
line to this process's journal (:mod:`grader.batch.journal`), and returns the
:class:`~grader.batch.journal.Entry` (the row, without the outputs' text, which is on disk).
Whatever goes wrong with the file is its :class:`~grader.batch.rows.ErrorRow`; only an
output folder that cannot be written stops the batch (a BackpropError).

The batch's state (the key, the options, OUT) is set once per process by :func:`set_state`
(inherited by forked workers; spawned ones get it through :func:`worker_start`).
"""

from __future__ import annotations

import gc
import json
import os
import signal
import time
from dataclasses import dataclass
from functools import partial
from typing import Any

from ..errors import BackpropError
from ..files import write_atomic
from . import journal as jr
from .outputs import write_student
from .rows import ErrorRow, GradedRow, max_score
from .submission import Graded, Options, fallback_id, grade_submission, read_submission

#: tests only: a worker that is to grade a file whose path contains this value kills itself
#: (SIGKILL, as the out-of-memory killer does)
KILL_HOOK = "BACKPROP_TEST_KILL_WORKER_ON"


@dataclass(frozen=True)
class Task:
    """A file to grade: its path as given, its journal entry's name, its identity (stat)."""

    path: str
    name: str
    identity: tuple[int, ...]  # (): none (a file whose worker died: graded again next time)

    @property
    def mtime(self) -> int:
        return self.identity[1] if self.identity else 0


@dataclass(frozen=True)
class State:
    key: Any
    options: Options
    out: str
    fresh: bool  # a first run into OUT (see grader.batch.outputs.write_student)
    copies: Any = None  # the key's CopyIndex (grader.batch.copies)


_STATE: State | None = None
_JOURNAL: jr.Journal | None = None
_KILL_ON = ""


def set_state(state: State) -> None:
    """Make ``state`` this process's."""
    global _STATE, _JOURNAL
    _STATE = state
    _JOURNAL = jr.Journal(os.path.join(state.out, ".cache"))


def close_journal() -> None:
    if _JOURNAL is not None:
        _JOURNAL.close()


def _solved(key: Any, student: str) -> Any:
    """The key's instance solved (not kept: each student is usually graded once, and a cache
    of every trace would only make the garbage collector's rounds longer)."""
    from ..solver import solve

    return solve(key.students[student].instance)


def grade_file(task: Task) -> jr.Entry:
    """Grade one file, write its student's outputs, record it in the journal; return its entry."""
    return keep(task, *grade_bytes(task, None, time.time_ns()))


def grade_bytes(task: Task, data: bytes | None, graded_at: int,
                state: State | None = None, notebook: str | None = None) -> tuple[jr.Entry, Graded | None]:
    """Grade the file of ``task`` (its bytes ``data``, read here when None, at ``graded_at``)
    against ``state`` (default: this process's); write nothing. Its entry and what grading gave
    (None: an error row). A Dask worker's part (:mod:`grader.batch.remote`), with ``notebook``:
    where the bytes are on this machine for ``--execute``."""
    st = state or _STATE
    sha = ""
    graded: Graded | None = None
    try:
        if data is None:
            data = read_submission(task.path)
        if task.mtime >= graded_at - jr.RACY_NS:  # only a racy entry is ever checked by its hash
            sha = jr.content_hash(data)
        graded = grade_submission(task.path, data, st.key, st.options, partial(_solved, st.key), st.copies,
                                  notebook)
    except BackpropError as exc:
        message = exc.message
    except (Exception, SystemExit) as exc:  # one bad file never stops the batch: its row says what happened
        message = _failed(task.path, "could not be graded", exc)
    if graded is None:
        return error_entry(task, graded_at, sha, message, st), None
    row = GradedRow.of(graded.student, graded.status, graded.result, message=graded.message, file=task.path,
                       needs_execution=graded.needs_execution)
    return _entry(task, graded_at, sha, row, pdf=graded.pdf is not None, agrees=graded.agrees), graded


def error_entry(task: Task, graded_at: int, sha: str, message: str, state: State | None = None,
                student: str | None = None) -> jr.Entry:
    """The entry of a file that could not be graded (``message``: why; ``student``: default, the
    one its location names)."""
    st = state or _STATE
    student = student or fallback_id(task.path, st.options.id_from, st.options.ids, st.key.students)
    return _entry(task, graded_at, sha, ErrorRow(student, max_score(st.key, student), message, task.path))


def keep(task: Task, entry: jr.Entry, graded: Graded | None) -> jr.Entry:
    """:func:`record` the entry of ``task``; outputs that cannot be made give an error row."""
    try:
        return record(entry, graded)
    except BackpropError:
        raise
    except Exception as exc:  # its outputs could not be made: the row says so, with no result
        message = _failed(task.path, "its outputs could not be written", exc)
        return record(error_entry(task, entry.graded_at, entry.sha, message, student=entry.student), None)


def _entry(task: Task, graded_at: int, sha: str, row: ErrorRow | GradedRow, pdf: bool = False,
           agrees: bool = False) -> jr.Entry:
    return jr.Entry(task.name, task.identity, task.mtime, graded_at, sha, row, pdf, agrees)


def _failed(path: str, what: str, exc: BaseException) -> str:
    return f"{path}: {what} ({type(exc).__name__}: {' '.join(str(exc).split())[:160]})"


def record(entry: jr.Entry, graded: Graded | None) -> jr.Entry:
    """Write the student's outputs of ``entry`` (``graded``: what grading the file gave; None
    for an error row) and add it to the journal."""
    st = _STATE
    result = feedback = svg = pdf = None
    if graded is not None:
        result = json.dumps(graded.result, ensure_ascii=False)  # (once, for the results file and the journal)
        feedback, svg, pdf = graded.feedback, graded.svg, graded.pdf
    try:
        if pdf is not None:  # kept for a rerun that rewrites the outputs
            write_atomic(os.path.join(st.out, ".cache", f"{entry.name}.pdf"), pdf)
        write_student(st.out, entry.row, result, feedback, svg, pdf, fresh=st.fresh,
                      assignment=st.key.assignment)
        _JOURNAL.append(entry, result or "null", feedback)
    except OSError as exc:
        raise BackpropError(f"{st.out}: cannot write the results ({exc.strerror or exc})") from None
    return entry


def died(task: Task, reason: str) -> jr.Entry:
    """The error row of a file whose grading process died twice (written by the parent).
    Its identity is left empty, so that the next run tries it again."""
    student = fallback_id(task.path, _STATE.options.id_from, _STATE.options.ids, _STATE.key.students)
    row = ErrorRow(student, max_score(_STATE.key, student),
                   f"{task.path}: could not be graded: the process grading it died ({reason})", task.path)
    entry = jr.Entry(task.name, (), task.mtime, time.time_ns(), "", row)
    return record(entry, None)


def worker_start(state: State, kill_on: str) -> None:
    """Prepare a new worker: the batch's state, the key's net laid out once."""
    global _KILL_ON
    _KILL_ON = kill_on
    set_state(state)
    _warm_up(state.key)
    gc.freeze()  # the key and the compiled templates stay: no garbage collector rounds over them


def grade_files(chunk: list[Task]) -> list[jr.Entry]:
    """:func:`grade_file` of every task of the chunk (in a worker)."""
    out = []
    for t in chunk:
        if _KILL_ON and _KILL_ON in t.path:
            os.kill(os.getpid(), signal.SIGKILL)
        out.append(grade_file(t))
    return out


def chunks(tasks: list[Task], jobs: int, most: int) -> list[list[Task]]:
    """The tasks in chunks that shrink as fewer remain (guided scheduling): few round trips
    between the processes while there is much to do, and workers that finish together, as the
    last chunks are small."""
    out: list[list[Task]] = []
    i = 0
    while i < len(tasks):
        size = max(1, min(most, (len(tasks) - i) // (jobs * 4)))
        out.append(tasks[i:i + size])
        i += size
    return out


def _warm_up(key: Any) -> None:
    """In a new worker: lay out the key's net once, before the first file (the templates are
    compiled already, see :mod:`grader.batch.preload`)."""
    from ..render.svg import net_svg

    for entry in list(key.students.values())[:1]:
        try:
            net_svg(entry.instance)
        except BackpropError:
            pass
