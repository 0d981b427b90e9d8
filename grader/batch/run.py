"""The batch grading loop of ``backprop grade`` (DESIGN section 5, issue 4).

Every submission file is graded on its own, in parallel, always against the key's instance
(:mod:`grader.batch.submission`). The process that grades a file writes that student's
result and feedback at once (:mod:`grader.batch.outputs`), then records the file in the
journal (:mod:`grader.batch.journal`). A second run regrades only files whose identity
changed, and a run killed halfway loses nothing: the next run finds the finished entries and
grades the rest.

One row per student in the key (:mod:`grader.batch.assemble`), typed by what became of
their submission (:mod:`grader.batch.rows`); the gradebook is written last, from the rows,
and the summary printed (:mod:`grader.batch.summary`). The work on one file, in whichever
process grades it, is :mod:`grader.batch.worker`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from .. import parallel
from ..errors import BackpropError
from ..files import read_bytes
from . import journal as jr
from . import snapshot, worker
from .assemble import Duplicate, assemble, pending_outputs
from .copies import CopyIndex
from .identity import check_key
from .lock import locked
from .outputs import sweep_leftovers
from .rows import ErrorRow, Row, max_score
from .submission import SUFFIXES, Options, fallback_id, parse, read_submission

__all__ = ["Duplicate", "Options", "Outcome", "Row", "find_submissions", "grade_batch"]


class Outcome:
    """What a batch gives: a row per student (:mod:`grader.batch.rows`), the summary text,
    how many files were graded now and how many reused from the last run, and the students who
    handed in several files (and the one that counts). After a rerun with nothing changed
    (:mod:`grader.batch.snapshot`) the rows and the class summary are read when first asked for."""

    def __init__(self, rows: Any, summary: str, regraded: int, reused: int,
                 duplicates: tuple[Duplicate, ...] = (), class_summary: Any = None,
                 load: Callable[[], tuple[tuple[Row, ...], Any]] | None = None) -> None:
        self._rows, self.summary, self.regraded, self.reused = rows, summary, regraded, reused
        self.duplicates, self._class_summary, self._load = duplicates, class_summary, load

    @property
    def rows(self) -> tuple[Row, ...]:
        if self._load is not None:
            self._rows, self._class_summary = self._load()
            self._load = None
        return self._rows

    @property
    def class_summary(self) -> Any:
        """The class summary the text was rendered from (grader.batch.summary.ClassSummary)."""
        self.rows  # noqa: B018 (loads it)
        return self._class_summary


# --------------------------------------------------------------------------- finding files


def find_submissions(paths: Iterable[str]) -> list[Path]:
    """Files given, and ``.ipynb``/``.toml`` files under folders given (hidden folders and
    ``.ipynb_checkpoints`` skipped), in a stable order."""
    return find_files(paths)[0]


def find_files(paths: Iterable[str], out: str | None = None) -> tuple[list[Path], tuple[str, ...]]:
    """:func:`find_submissions`, and the other files under the folders given, which are not
    graded (a PDF or an HTML export handed in for the notebook: the summary names them, or the
    student would be ``missing`` without a word why); hidden files are neither, nor is the folder
    ``out`` (the run's own outputs, when OUT is among the submissions' folders: its feedback and
    results were named as files not graded, and a rerun saw more of them than the run before)."""
    found: list[Path] = []
    others: list[str] = []
    try:
        st = os.stat(out) if out is not None else None
    except OSError:  # (not made yet: nothing of it to find)
        st = None
    skip = (st.st_ino, st.st_dev) if st is not None else None
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            graded, other = _walk(str(p), skip)
            found += (Path(f) for f in sorted(graded))
            others += sorted(other)
        elif p.exists():
            found.append(p)
        else:
            raise BackpropError(f"{raw}: no such file or folder")
    return list(dict.fromkeys(found)), tuple(dict.fromkeys(others))


def _walk(folder: str, skip: tuple[int, int] | None = None) -> tuple[list[str], list[str]]:
    """The submission files under ``folder``, and the other files (``skip``: the inode and device of a
    folder not walked)."""
    graded: list[str] = []
    others: list[str] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return graded, others
    for e in entries:
        if e.name.startswith("."):
            continue
        if e.is_dir(follow_symlinks=False):  # (a link to a folder could loop)
            if skip is not None and e.inode() == skip[0] and e.stat(follow_symlinks=False).st_dev == skip[1]:
                continue
            more, other = _walk(e.path, skip)
            graded += more
            others += other
        elif e.name.lower().endswith(SUFFIXES) and _is_submission(e):
            graded.append(e.path)
        elif e.name not in PLATFORM_FILES:
            others.append(e.path)
    return graded, others


#: files a platform writes beside the submissions it exports, which are no student's: not named
#: among the files not graded (Gradescope's export: grader.batch.gradescope_names)
PLATFORM_FILES = frozenset({"submission_metadata.yml"})


def _is_submission(entry: os.DirEntry) -> bool:
    """A file, or a link or anything else that is not a folder (a symlink loop, a link to
    /dev/zero, a named pipe): those get an error row that says why
    (:func:`grader.batch.submission.read_submission`), not the line of files whose names are not
    graded."""
    try:
        return entry.is_symlink() or not entry.is_dir()
    except OSError:
        return True


# --------------------------------------------------------------------------- the batch


DEFAULT_OPTIONS = Options()  # frozen: one instance serves every call without options
#: fewer files to grade than this stay in this process, whatever ``jobs`` says: statically (no
#: ``--execute``, no PDFs) a file takes about 1.5 ms and a worker 15 to 30 ms to fork, warm up
#: (its templates) and stop. ``backprop grade --jobs 1`` against ``--jobs 2`` (medians of 9 cold
#: runs, 2 cores): 0.341 against 0.347 s at 50 files, 0.378 against 0.373 s at 75, 0.404 against
#: 0.368 s at 100. A notebook executed or a PDF takes 50 ms to a second: from 4 files on.
IN_ONE_PROCESS_BELOW = 64
#: tests only: another value for IN_ONE_PROCESS_BELOW (tests of the workers grade a few files)
FEW_HOOK = "BACKPROP_TEST_ONE_PROCESS_BELOW"
#: what the fork server imports once, and the workers it forks have (the modules and templates)
PRELOAD = parallel.BATCH_PRELOAD


def grade_batch(
    key_path: str, submissions: Sequence[str], out: str, *, options: Options = DEFAULT_OPTIONS,
    jobs: int | None = None, progress: Callable[[int], None] | None = None, wait: bool = False,
    report: bool = False, scheduler: str | None = None,
) -> Outcome:
    """Grade every submission against the key; write OUT; return the rows and the summary text.

    OUT gets ``summary.md`` and ``summary.json``, and with ``report`` the report page
    ``report.html`` too (``backprop grade`` asks for it).

    One run at a time per OUT (:mod:`grader.batch.lock`): another run's lock is an error, or
    with ``wait`` is waited for. An OUT that cannot be written (read-only, full) is one error.
    The workers are forked by a fork server (:mod:`grader.parallel`), which imports the caller's
    main script: a script that calls this needs the ``if __name__ == "__main__":`` guard.

    ``scheduler``: the files are graded on the workers of that Dask scheduler instead
    (:mod:`grader.batch.remote`; ``jobs``: how many chunks of files in flight there).
    """
    from ..key import KEY_MAX_BYTES, load_key

    files = None
    ignored: tuple[str, ...] = ()  # (other files under the folders, not graded: named in the summary)
    if options.id_from == "gradescope" and options.ids is None:  # (the exports' yml: in the fingerprint)
        files, ignored, options = _gradescope_exports(key_path, submissions, options, out)
    try:  # (the key's bytes are not kept: 166 MB for 100,000 students)
        run = jr.run_fingerprint(read_bytes(key_path, most=KEY_MAX_BYTES),
                                 [options.execute, options.id_from, options.ecf_credit, options.pdf,
                                  *([options.ids.pairs] if options.ids is not None else [])])
    except BackpropError:
        load_key(key_path)  # (its message)
        raise
    if not options.force and snapshot.exists(out):  # perhaps a rerun with nothing changed
        try:
            if files is None:
                files, ignored = find_files(submissions, out)
        except BackpropError:
            pass  # (the key's error, if any, comes first: below)
        if files is not None:
            with locked(out, wait=wait):
                record = snapshot.unchanged(out, run, report, files, ignored)
                if record is not None:
                    return _unchanged(record, key_path, out, len(files), progress)
    key = load_key(key_path)
    if files is None:  # (listed once: 1 s for a MOOC's 100,000 files)
        files, ignored = find_files(submissions, out)
    check_key(key, key_path, [str(f) for f in files], _metadata)
    if options.id_from in ("moodle", "gradescope") and options.ids is not None:  # (matched to the key)
        options = replace(options, ids=options.ids.for_key(key.students))
    if scheduler is not None:
        return _on_cluster(scheduler, key, run, files, ignored, out, options, jobs, progress, report, wait)
    jobs = parallel.workers(jobs)
    if jobs > 1 and len(files) >= 4:  # (a fork server, if needed, imports while this reads the journal)
        parallel.start(parallel.context(PRELOAD, direct=True))
    with _writing(out, wait):
        return _grade(key, run, files, ignored, out, options, jobs, progress, report)


def _gradescope_exports(key_path: str, submissions: Sequence[str], options: Options,
                        out: str) -> tuple[list[Path], tuple[str, ...], Options]:
    """The files, and the options with the submitters of the Gradescope exports they are in
    (:mod:`grader.batch.gradescope_names`); a bad key's error comes first."""
    from ..key import load_key
    from .gradescope_names import read_exports

    try:
        files, ignored = find_files(submissions, out)
        return files, ignored, replace(options, ids=read_exports([str(f) for f in files]))
    except BackpropError:
        load_key(key_path)  # (its message, if it has one)
        raise


@contextmanager
def _writing(out: str, wait: bool) -> Iterator[None]:
    """OUT made and locked (:mod:`grader.batch.lock`) while the run writes into it: an OUT that
    cannot be made, or written (read-only, full), is one error."""
    try:
        os.makedirs(os.path.join(out, ".cache"), exist_ok=True)
    except OSError as exc:
        raise BackpropError(f"{out}: cannot write into this folder ({exc.strerror or exc}); "
                            "give another --out") from None
    try:
        with locked(out, wait=wait):
            yield
    except OSError as exc:
        raise BackpropError(f"{out}: cannot write the results ({exc.strerror or exc})") from None


def _unchanged(record: dict[str, Any], key_path: str, out: str, files: int,
               progress: Callable[[int], None] | None) -> Outcome:
    """The outcome of a rerun with nothing changed (:mod:`grader.batch.snapshot`)."""
    _remove_debris(out)  # (temporary files of a killed writer, as every run removes them)
    sweep_leftovers(out)
    if progress:
        progress(files)
    duplicates = tuple(Duplicate(s, used, tuple(others)) for s, used, others in record["duplicates"])

    def load() -> tuple[tuple[Row, ...], Any]:
        from ..key import load_key
        from .summary_files import summary_of

        key = load_key(key_path)
        rows = tuple(snapshot.rows_of(record, key, out))
        return rows, summary_of(key, rows, out, files=files, duplicates=duplicates,
                                ignored=tuple(record.get("ignored", ())))

    return Outcome(None, record["text"], 0, files, duplicates, load=load)


def _on_cluster(scheduler: str, key: Any, run: str, files: list[Path], ignored: tuple[str, ...], out: str,
                options: Options, jobs: int | None, progress: Callable[[int], None] | None, report: bool,
                wait: bool) -> Outcome:
    """:func:`grade_batch` with the files graded on a Dask cluster (see :mod:`grader.cluster`)."""
    from ..cluster import connect

    sandbox = options.sandbox if options.execute else None
    with connect(scheduler, jobs=jobs, pdf=options.pdf, sandbox=sandbox) as cluster, _writing(out, wait):
        return _grade(key, run, files, ignored, out, options, 1, progress, report, cluster)


def _grade(key: Any, run: str, files: list[Path], ignored: tuple[str, ...], out: str, options: Options,
           jobs: int, progress: Callable[[int], None] | None, report: bool = False,
           cluster: Any = None) -> Outcome:
    """:func:`grade_batch` once OUT is locked."""
    snapshot.forget(out)  # (written again last: see grader.batch.snapshot)
    # a first run into OUT writes without comparing with, or removing, earlier outputs
    fresh = not any(os.path.isdir(os.path.join(out, sub)) for sub in ("results", "feedback"))
    for sub in ("results", "feedback"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    journal = jr.Journal(os.path.join(out, ".cache"))
    possible = partial(max_score, key)  # (the points possible on a student's row)
    known = {} if fresh else journal.load(possible)
    if not fresh:
        _remove_debris(out)
    tasks: list[worker.Task] = []
    entries: list[jr.Entry] = []  # every file's
    reused: dict[str, jr.Saved] = {}
    for f in files:
        shown = str(f)
        name = jr.entry_name(run, os.path.abspath(f))
        try:
            st = os.stat(f)
        except OSError as exc:  # (an error row, in no journal: it is tried again next time)
            student = fallback_id(shown, options.id_from, options.ids, key.students)
            message = f"{f}: cannot be read ({exc.strerror or exc})"
            row = ErrorRow(student, possible(student), message, shown)
            entries.append(jr.Entry(name, (), 0, 0, "", row))
            continue
        saved = known.get(name)
        if not options.force and saved is not None and jr.reusable(saved.entry, st, shown):
            entries.append(saved.entry)
            reused[name] = saved
        else:
            tasks.append(worker.Task(shown, name, jr.identity(st)))
    pending_outputs(out, [t.name for t in tasks])  # (before any of their outputs is written)
    state = worker.State(key, options, out, fresh, CopyIndex(key) if tasks else None)
    written = set()
    try:
        for e in _run(tasks, state, _processes(len(tasks), options, jobs), progress, cluster):
            written.add(e.name)  # its student's outputs are on disk already
            entries.append(e)
        rows, duplicates = assemble(key, entries, written, reused, out, _regrade)
    finally:
        worker.close_journal()
    sweep_leftovers(out)  # what a worker killed mid-write left (its work was done again)
    journal.settle([e for e in entries if e.identity], possible)  # (compacted, indexed)
    from ..render.class_report import summary_text
    from .summary_files import summary_of, write_class_files

    cs = summary_of(key, rows, out, files=len(files), duplicates=duplicates, ignored=ignored)
    write_class_files(out, cs, page=report)
    text = summary_text(cs, regraded=len(tasks), reused=len(reused), out=out, page=report, pdf=options.pdf)
    again = summary_text(cs, regraded=0, reused=len(files), out=out, page=report, pdf=options.pdf)
    snapshot.save(out, run, report, files, entries, rows, duplicates, again, ignored)
    return Outcome(tuple(rows), text, len(tasks), len(reused), tuple(duplicates), cs)


def _processes(files: int, options: Options, jobs: int) -> int:
    """How many processes grade ``files`` files (see :data:`IN_ONE_PROCESS_BELOW`)."""
    least = 4 if options.execute or options.pdf else IN_ONE_PROCESS_BELOW
    hook = os.environ.get(FEW_HOOK, "")
    least = int(hook) if hook.isdigit() else least
    return 1 if files < least else min(jobs, files)


def _regrade(entry: jr.Entry) -> jr.Entry:
    """Grade the file of ``entry`` again (in this process: see :func:`assemble`)."""
    return worker.grade_file(worker.Task(entry.file, entry.name, entry.identity))


def _metadata(path: str) -> Any:
    """The file's metadata (None: none), for :func:`~grader.batch.identity.check_key`."""
    return parse(path, read_submission(path))[0]


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


def _run(tasks: list[worker.Task], state: worker.State, jobs: int, progress: Callable[[int], None] | None,
         cluster: Any = None) -> Iterator[jr.Entry]:
    worker.set_state(state)
    if cluster is not None:  # graded on a Dask cluster, written here
        from .remote import grade

        yield from grade(cluster, tasks, state, progress)
        return
    if jobs == 1:
        for t in tasks:
            yield worker.grade_file(t)
            if progress:
                progress(1)
        return
    # workers forked from this process while it has no thread but its own, else by a fork server
    # (never from a process with threads: a typst compiler's, say); a worker that dies is
    # noticed, see grader.parallel
    size = 1 if state.options.execute else 32
    for done in parallel.run_chunks(worker.grade_files, worker.chunks(tasks, jobs, size), jobs=jobs,
                                    preload=PRELOAD, init=worker.worker_start,
                                    args=(state, os.environ.get(worker.KILL_HOOK, "")), died=worker.died,
                                    direct=True):
        yield from done
        if progress:
            progress(len(done))


