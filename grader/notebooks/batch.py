"""The batch grading loop of ``backprop grade`` (DESIGN section 5, issue 4).

Every submission file is graded on its own, in parallel, always against the key's instance
(:mod:`grader.notebooks.submission`). The process that grades a file writes that student's
result and feedback at once (:mod:`grader.notebooks.outputs`), then records the file in the
journal (:mod:`grader.notebooks.journal`). A second run regrades only files whose identity
changed, and a run killed halfway loses nothing: the next run finds the finished entries and
grades the rest.

One row per student in the key: when a student has several files, the newest counts, and its
outputs are written again if another of their files was graded after it; students with no
file get ``missing``. The gradebook is written last, from the rows, so nothing is counted twice.
"""

from __future__ import annotations

import gc
import os
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import parallel
from ..errors import BackpropError
from ..files import read_bytes, write_atomic
from . import journal as jr
from .copies import CopyIndex
from .identity import check_key
from .lock import locked
from .outputs import Row, gradebook_csv, result_json, row_of, slim, write_student
from .submission import SUFFIXES, Options, fallback_id, grade_submission, parse

__all__ = ["Options", "Outcome", "Row", "find_submissions", "grade_batch", "grade_file"]

#: every status a row can have, in the order the summary counts them (the README explains each)
STATUSES = ("graded", "tampered", "mismatch", "copy", "unknown", "error", "missing")
#: rows scored against the key's problem for their own student (the mean is over these)
SCORED = ("graded", "tampered", "mismatch", "copy")


@dataclass(frozen=True)
class Outcome:
    rows: tuple[Row, ...]
    summary: str
    regraded: int
    reused: int


# --------------------------------------------------------------------------- finding files


def find_submissions(paths: Iterable[str]) -> list[Path]:
    """Files given, and ``.ipynb``/``.toml`` files under folders given (hidden folders and
    ``.ipynb_checkpoints`` skipped), in a stable order."""
    found: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found += (Path(f) for f in sorted(_walk(str(p))))
        elif p.exists():
            found.append(p)
        else:
            raise BackpropError(f"{raw}: no such file or folder")
    return list(dict.fromkeys(found))


def _walk(folder: str) -> list[str]:
    out: list[str] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return out
    for e in entries:
        if e.name.startswith("."):
            continue
        if e.is_dir(follow_symlinks=False):  # (a link to a folder could loop)
            out += _walk(e.path)
        elif e.name.lower().endswith(SUFFIXES) and _is_file(e):
            out.append(e.path)
    return out


def _is_file(entry: os.DirEntry) -> bool:
    """A file, or a name that cannot be followed (a symlink loop): that one gets an error row."""
    try:
        return entry.is_file()
    except OSError:
        return True


# --------------------------------------------------------------------------- one file (in a worker)


@dataclass(frozen=True)
class _State:
    key: Any
    options: Options
    out: str
    fresh: bool
    copies: Any = None  # the key's CopyIndex (grader.notebooks.copies)


_STATE: _State | None = None
_JOURNAL: jr.Journal | None = None


def _set_state(state: _State) -> None:
    """Make ``state`` this process's (inherited by forked workers; spawned ones get it passed)."""
    global _STATE, _JOURNAL
    _STATE = state
    _JOURNAL = jr.Journal(os.path.join(state.out, ".cache"))


def _trace(student: str) -> Any:
    """The key's instance solved (not kept: each student is usually graded once, and a cache
    of every trace would only make the garbage collector's rounds longer)."""
    from ..solver import solve

    return solve(_STATE.key.students[student].instance)


Task = tuple[str, str, list[int]]  # (path, entry name, identity)


def grade_file(task: Task) -> dict[str, Any]:
    """Grade one file, write its student's outputs, record it in the journal; return what the
    parent needs of it (:func:`~grader.notebooks.outputs.slim`: no result, no feedback).
    Whatever goes wrong with the file is its ``error`` row; only an output folder that cannot be
    written to stops the batch (a BackpropError)."""
    path, name, ident = task
    entry = _entry(task)
    graded = None
    try:
        data = read_bytes(path, noun="submission file", plural="submissions")
        if ident[1] >= entry["graded_at"] - jr.RACY_NS:  # only a racy entry is ever checked by its hash
            entry["sha"] = jr.content_hash(data)
        graded = grade_submission(path, data, _STATE.key, _STATE.options, _trace, _STATE.copies)
    except BackpropError as exc:
        entry["message"] = exc.message
    except (Exception, SystemExit) as exc:  # one bad file never stops the batch: its row says what happened
        entry["message"] = _failed(path, "could not be graded", exc)
    if graded is not None:
        entry.update(student=graded.student, status=graded.status, message=graded.message,
                     result=graded.result, needs_execution=graded.needs_execution, feedback=graded.feedback)
        entry["pdf"] = graded.pdf is not None
    try:
        return _record(entry, graded)
    except BackpropError:
        raise
    except Exception as exc:  # its outputs could not be made: the row says so, with no result
        entry.update(status="error", message=_failed(path, "its outputs could not be written", exc),
                     result=None, needs_execution=False, feedback=None, pdf=False)
        return _record(entry, None)


def _entry(task: Task) -> dict[str, Any]:
    """A new journal entry of ``task``, an error until the file is graded."""
    path, name, ident = task
    return {
        "name": name, "file": path, "identity": ident, "mtime": ident[1], "graded_at": time.time_ns(),
        "sha": "", "student": fallback_id(path, _STATE.options.id_from), "status": "error", "message": "",
        "result": None, "needs_execution": False, "feedback": None,
    }


def _failed(path: str, what: str, exc: BaseException) -> str:
    return f"{path}: {what} ({type(exc).__name__}: {' '.join(str(exc).split())[:160]})"


def _record(entry: dict[str, Any], graded: Any) -> dict[str, Any]:
    """Write the student's outputs of ``entry`` and add it to the journal."""
    st = _STATE
    student = entry["student"]
    max_score = float(len(st.key.students[student].asked)) if student in st.key.students else 0.0
    row = row_of(student, entry, max_score)
    result = result_json(row)  # serialized once, for the results file and the journal
    try:
        if graded is not None and graded.pdf is not None:  # kept for a rerun that rewrites the outputs
            write_atomic(os.path.join(st.out, ".cache", f"{entry['name']}.pdf"), graded.pdf)
        write_student(st.out, row, entry["feedback"], graded.svg if graded else None,
                      graded.pdf if graded else None, fresh=st.fresh, result=result)
        _JOURNAL.append({k: v for k, v in entry.items() if k != "result"},
                        {"result": result if entry["result"] is not None else "null"})
    except OSError as exc:
        raise BackpropError(f"{st.out}: cannot write the results ({exc.strerror or exc})") from None
    return slim(entry, row)


def _died(task: Task, reason: str) -> dict[str, Any]:
    """The ``error`` row of a file whose grading process died twice (written by the parent).
    Its identity is left empty, so that the next run tries it again."""
    entry = _entry(task)
    entry.update(identity=[],
                 message=f"{task[0]}: could not be graded: the process grading it died ({reason})")
    return _record(entry, None)


# --------------------------------------------------------------------------- the batch


DEFAULT_OPTIONS = Options()  # frozen: one instance serves every call without options


def grade_batch(
    key_path: str, submissions: Sequence[str], out: str, *, options: Options = DEFAULT_OPTIONS,
    jobs: int | None = None, progress: Callable[[int], None] | None = None, wait: bool = False,
) -> Outcome:
    """Grade every submission against the key; write OUT; return the rows and the summary text.

    One run at a time per OUT (:mod:`grader.notebooks.lock`): another run's lock is an error, or
    with ``wait`` is waited for. An OUT that cannot be written (read-only, full) is one error.
    The workers are forked by a fork server (:mod:`grader.parallel`), which imports the caller's
    main script: a script that calls this needs the ``if __name__ == "__main__":`` guard.
    """
    from ..key import load_key

    key = load_key(key_path)
    key_bytes = read_bytes(key_path)
    files = find_submissions(submissions)
    check_key(key, key_path, [str(f) for f in files], _metadata)
    jobs = parallel.workers(jobs)
    if jobs > 1 and len(files) >= 4:  # the fork server imports while this process reads the journal
        parallel.start(parallel.context(PRELOAD))
    try:
        os.makedirs(os.path.join(out, ".cache"), exist_ok=True)
    except OSError as exc:
        raise BackpropError(f"{out}: cannot write into this folder ({exc.strerror or exc}); "
                            "give another --out") from None
    try:
        with locked(out, wait=wait):
            return _grade(key, key_bytes, files, out, options, jobs, progress)
    except OSError as exc:
        raise BackpropError(f"{out}: cannot write the results ({exc.strerror or exc})") from None


def _grade(key: Any, key_bytes: bytes, files: list[Path], out: str, options: Options, jobs: int,
           progress: Callable[[int], None] | None) -> Outcome:
    """:func:`grade_batch` once OUT is locked."""
    # a first run into OUT writes without comparing with, or removing, earlier outputs
    fresh = not any(os.path.isdir(os.path.join(out, sub)) for sub in ("results", "feedback"))
    for sub in ("results", "feedback"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    run = jr.run_fingerprint(key_bytes, [options.execute, options.id_from, options.ecf_credit, options.pdf])
    journal = jr.Journal(os.path.join(out, ".cache"))
    known = {} if fresh else journal.load()
    if not fresh:
        _remove_debris(out)
    tasks: list[Task] = []
    entries: list[dict[str, Any]] = []
    for f in files:
        shown = str(f)
        name = jr.entry_name(run, os.path.abspath(f))
        try:
            st = os.stat(f)
        except OSError as exc:
            entries.append({"name": name, "file": shown, "mtime": 0,
                            "student": fallback_id(shown, options.id_from),
                            "status": "error", "message": f"{f}: cannot be read ({exc.strerror or exc})",
                            "result": None, "needs_execution": False, "feedback": None})
            continue
        if not options.force and jr.reusable(known.get(name), st, shown):
            entries.append(known[name])
        else:
            tasks.append((shown, name, jr.identity(st)))
    reused = len(entries)
    state = _State(key, options, out, fresh, CopyIndex(key) if tasks else None)
    try:
        for e in _run(tasks, state, 1 if len(tasks) < 4 else min(jobs, len(tasks)), progress):
            e["written"] = True  # its student's outputs are on disk already
            entries.append(e)
        rows, duplicates = assemble(key, entries, out)  # (it may grade a file again, see there)
    finally:
        if _JOURNAL is not None:
            _JOURNAL.close()
    keep = [e["name"] for e in entries if "identity" in e]
    if journal.needs_compaction(len(keep)):
        lines = journal.load()
        journal.compact({n: lines[n] for n in keep if n in lines})
    summary = summarize(rows, duplicates, len(files), len(tasks), reused, out)
    return Outcome(tuple(rows), summary, len(tasks), reused)


def _metadata(path: str) -> Any:
    """The file's metadata (None: none), for :func:`~grader.notebooks.identity.check_key`."""
    return parse(path, read_bytes(path, noun="submission file", plural="submissions"))[0]


def _remove_debris(out: str) -> None:
    """Temporary files left by a run that was killed while writing (``.<name>.<pid>-<thread>.tmp``)."""
    for sub in ("results", "feedback"):
        try:
            entries = list(os.scandir(os.path.join(out, sub)))
        except OSError:
            continue
        for e in entries:
            if e.name.startswith(".") and e.name.endswith(".tmp"):
                try:
                    os.unlink(e.path)
                except OSError:
                    pass


#: what the fork server imports once, and the workers it forks have (the modules and templates)
PRELOAD = parallel.BATCH_PRELOAD
#: tests only: a worker that is to grade a file whose path contains this value kills itself
#: (SIGKILL, as the out-of-memory killer does)
KILL_HOOK = "BACKPROP_TEST_KILL_WORKER_ON"


def _run(tasks: list[Task], state: _State, jobs: int, progress: Callable[[int], None] | None,
         ) -> Iterable[dict[str, Any]]:
    _set_state(state)
    if jobs == 1:
        for t in tasks:
            yield grade_file(t)
            if progress:
                progress(1)
        return
    # workers forked by a fork server (never from this process, which may have threads: a typst
    # compiler's, say); a worker that dies is noticed, see grader.parallel
    for done in parallel.run_chunks(grade_files, chunks(tasks, jobs, 1 if state.options.execute else 32),
                                    jobs=jobs, preload=PRELOAD, init=_worker_start,
                                    args=(state, os.environ.get(KILL_HOOK, "")), died=_died):
        yield from done
        if progress:
            progress(len(done))


def _worker_start(state: _State, kill_on: str) -> None:
    global _KILL_ON
    _KILL_ON = kill_on
    _set_state(state)
    _warm_up(state.key)
    gc.freeze()  # the key and the compiled templates stay: no garbage collector rounds over them


_KILL_ON = ""


def grade_files(chunk: list[Task]) -> list[dict[str, Any]]:
    """:func:`grade_file` of every task of the chunk (in a worker)."""
    out = []
    for t in chunk:
        if _KILL_ON and _KILL_ON in t[0]:
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
    compiled already, see :mod:`grader.notebooks.preload`)."""
    from ..render.svg import net_svg

    for entry in list(key.students.values())[:1]:
        try:
            net_svg(entry.instance)
        except BackpropError:
            pass


def assemble(key: Any, entries: list[dict[str, Any]], out: str) -> tuple[list[Row], list[dict]]:
    """One row per student of the key, then one per location that names nobody on its roster
    (``unknown``); every file is on the row of the student its location names
    (:mod:`grader.notebooks.identity`), and of a student's several files the newest wins.
    Writes the outputs a worker did not already write for the winner, and the gradebook."""
    by_student: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        by_student.setdefault(e["student"], []).append(e)
    duplicates = []
    rows: list[Row] = []
    students = list(key.students) + sorted(s for s in by_student if s not in key.students)
    columns = list(dict.fromkeys(a for s in key.students.values() for a in s.asked))
    full: dict[str, dict[str, Any]] | None = None
    for sid in students:
        found = sorted(by_student.get(sid, []), key=lambda e: (e["mtime"], e["file"]))
        max_score = float(len(key.students[sid].asked)) if sid in key.students else 0.0
        winner = found[-1] if found else None
        if len(found) > 1:
            duplicates.append({"student": sid, "count": len(found), "used": winner["file"],
                               "others": [e["file"] for e in found[:-1]]})
        row = row_of(sid, winner, max_score)
        rows.append(row)
        written = (winner is not None and winner.get("written")
                   and sum(1 for e in found if e.get("written")) == 1)
        if not written:
            if winner is not None and winner.get("written"):  # its result and feedback are in the journal
                if full is None:
                    full = jr.Journal(os.path.join(out, ".cache")).load()
                if winner["name"] not in full:  # its line is damaged: grading it again writes it all
                    rows[-1] = row_of(sid, grade_file((winner["file"], winner["name"], winner["identity"])),
                                      max_score)
                    continue
                winner = full[winner["name"]]
                row = row_of(sid, winner, max_score)
            _rewrite(out, key, row, winner)
    write_atomic(os.path.join(out, "gradebook.csv"), gradebook_csv(rows, columns))
    return rows, duplicates


def _rewrite(out: str, key: Any, row: Row, entry: dict[str, Any] | None) -> None:
    """Write a student's outputs from their winning entry (or as missing)."""
    feedback = entry.get("feedback") if entry else None
    svg = pdf = None
    if feedback is not None and row.student in key.students:
        from ..render.svg import net_svg

        try:
            svg = net_svg(key.students[row.student].instance)
        except BackpropError:  # the key's instance is broken: the row is an error anyway
            svg = None
    if entry is not None and entry.get("pdf"):
        try:
            pdf = Path(out, ".cache", f"{entry['name']}.pdf").read_bytes()
        except OSError:
            pdf = None
    write_student(out, row, feedback, svg, pdf)


def summarize(rows: Sequence[Row], duplicates: Sequence[dict], files: int, regraded: int, reused: int,
              out: str) -> str:
    from ..render.env import render
    from .outputs import _num

    counts = Counter(r.status for r in rows)
    scored = [r for r in rows if r.status in SCORED]
    mis: Counter[str] = Counter()
    for r in scored:
        mis.update(r.misconceptions)
    needs = sum(1 for r in scored if r.needs_execution)
    mean = max_score = None
    if scored:
        mean = _num(round(sum(r.score for r in scored) / len(scored), 2))
        max_score = _num(max(r.max_score for r in scored))
    return render(
        "summary.txt.j2", rows=len(rows), files=files, regraded=regraded, reused=reused,
        counts=[(s, counts[s]) for s in STATUSES if counts[s]], mean=mean, max_score=max_score,
        scored=len(scored), misconceptions=mis.most_common(5), needs_execution=needs,
        duplicates=duplicates, out=out,
        flagged=[{"student": r.student, "status": r.status, "message": r.message, "file": r.file}
                 for r in rows if r.status not in ("graded", "missing")],
    )
