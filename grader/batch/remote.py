"""The files of a batch graded on a Dask cluster (``backprop grade --scheduler``, :mod:`grader.cluster`).

This process reads each file's bytes just before its chunk goes out (so the workers need neither
the submissions nor OUT), a worker grades them (:func:`~grader.batch.worker.grade_bytes`, the
same function as a local worker's) and sends back each file's entry and what grading gave, and
this process writes the student's outputs and the journal line (:func:`~grader.batch.worker.keep`),
as a one-process local run does: a run killed halfway loses nothing the next one would not redo.

With ``--execute`` the worker writes the notebook's bytes into a folder of its own and runs that
copy in its own sandbox (:mod:`grader.notebooks.sandbox`, on the worker's machine).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import BackpropError
from . import journal as jr
from . import worker
from .submission import read_submission

#: what goes out per file: the task, its bytes (None: unreadable), when they were read, why not
Item = tuple[worker.Task, bytes | None, int, str | None]


def grade(cluster: Any, tasks: list[worker.Task], state: worker.State,
          progress: Callable[[int], None] | None) -> Iterator[jr.Entry]:
    """Grade ``tasks`` on ``cluster``; write each student's outputs and journal line here (this
    process's :func:`~grader.batch.worker.set_state` is ``state``); the entries as they come."""
    if not tasks:
        return
    shared = cluster.shared(worker.State(state.key, state.options, "", False, state.copies))
    size = 1 if state.options.execute else 32
    chunks = (_read(c) for c in worker.chunks(tasks, cluster.threads, size))
    for done in cluster.run(_grade_chunk, chunks, shared=shared, died=_died):
        for item, result in done:
            yield result if isinstance(result, jr.Entry) else worker.keep(item, *result)
        if progress:
            progress(len(done))


def _read(chunk: list[worker.Task]) -> list[Item]:
    """The chunk's files as they go out (a file that cannot be read is its error row, there)."""
    items = []
    for t in chunk:
        graded_at = time.time_ns()
        try:
            data = read_submission(t.path)
            items.append((t, data, graded_at, None))
        except BackpropError as exc:
            items.append((t, None, graded_at, exc.message))
    return items


def _died(item: Item, reason: str) -> tuple[worker.Task, jr.Entry]:
    """A file whose Dask workers died: its error row, written here (graded again next run)."""
    return item[0], worker.died(item[0], reason)


def _grade_chunk(state: worker.State, items: list[Item]) -> list[tuple[worker.Task, Any]]:
    """On a worker: each file's (task, (entry, what grading gave)); nothing written."""
    kill_on = os.environ.get(worker.KILL_HOOK, "")  # (tests: a worker that dies on a file)
    out = []
    for task, data, graded_at, error in items:
        if kill_on and kill_on in task.path:
            os.kill(os.getpid(), signal.SIGKILL)
        if error is not None:
            out.append((task, (worker.error_entry(task, graded_at, "", error, state), None)))
        elif state.options.execute and task.path.lower().endswith(".ipynb"):
            out.append((task, _executed(state, task, data, graded_at)))
        else:
            out.append((task, worker.grade_bytes(task, data, graded_at, state)))
    return out


def _executed(state: worker.State, task: worker.Task, data: bytes, graded_at: int) -> tuple[jr.Entry, Any]:
    """:func:`~grader.batch.worker.grade_bytes` running a copy of the notebook written here; the
    copy's path in a message is the file's own."""
    folder = tempfile.mkdtemp(prefix="backprop-")
    try:
        copy = os.path.join(folder, os.path.basename(task.path))
        with open(copy, "wb") as fh:
            fh.write(data)
        entry, graded = worker.grade_bytes(task, data, graded_at, state, notebook=copy)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if copy in entry.row.message:
        row = dataclasses.replace(entry.row, message=entry.row.message.replace(copy, task.path))
        entry = dataclasses.replace(entry, row=row)
    return entry, graded
