"""Running work on several cores: worker processes that are never forked from a process with
threads, that die with their parent, and whose death is noticed.

Policy (issue 10):

- One way to run work on several processes: :func:`run_chunks` (chunks, results as they come;
  ``backprop grade``), and :func:`imap` over it (items, results in their order; ``backprop
  generate``). "All cores" is one number, :func:`all_cores`: the cores this process may run on.
- No fork after a library has started threads. A forked copy of a process with threads
  inherits their locks as they were (a typst compiler's, say) and can wait on them for ever.
  Workers are therefore forked by a *fork server*, a fresh process that imports the modules
  the work needs (``preload``) and nothing else, or spawned where there is no fork server.
  A caller may ask for ``direct`` workers: forked from this process itself when it has no
  thread but its own (the kernel's count, so threads started by C libraries count too), which
  is as safe as the fork server's fork, and they have at once what this process has loaded
  and computed (see :func:`context`).
- Workers die with their parent: each watches a pipe whose only writing end the parent holds,
  and exits when the pipe closes (the parent ended, however it ended, ``kill -9`` included).
- A worker that dies (the out-of-memory killer, a crash) breaks the pool; the chunks that were
  in flight are run again, item by item, in a fresh one-worker pool, and an item whose worker
  dies again is given to ``died`` with the reason. Everything else goes on.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import multiprocessing.util
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from .errors import BackpropError

#: what the fork server of ``backprop grade`` imports (named here, so that the command can start
#: it before importing the batch itself)
BATCH_PRELOAD = ("grader.batch.preload",)
#: what the fork server of ``backprop generate`` imports: drawing variants, rendering handouts
GENERATE_PRELOAD = ("grader.publish", "grader.render.handout", "grader.render.solution")

T = TypeVar("T")
R = TypeVar("R")


def all_cores() -> int:
    """The number of cores this process may run on (its CPU affinity; all the machine's where
    the system does not say): what ``--jobs`` means when it is not given."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def workers(jobs: int | None) -> int:
    """``jobs`` worker processes, or :func:`all_cores` when it is None."""
    return all_cores() if jobs is None else max(1, jobs)


# --------------------------------------------------------------------------- worker pools


def context(preload: Sequence[str] = (), *, direct: bool = False) -> multiprocessing.context.BaseContext:
    """The fork server's context (its server importing ``preload`` when it starts), else spawn's.

    With ``direct``, fork's when this process has no other thread (:func:`alone`), having
    imported ``preload`` here: its workers are forked from it at once, and have what it has
    loaded and computed. Why: the workers of
    ``backprop grade`` start grading a few milliseconds after the pool is made instead of
    after the fork server has imported the batch (its ``preload``) and each worker has been
    sent and has unpacked the batch's state (the key; 1.8 MB at 1,000 students, about 35 ms
    each); and no fork server is started at all. Measured (``bench_scale.py``'s command under
    ``chrt -r 1``, medians of 7 cold runs in turns): ``--jobs 2`` at N=1,000 1.359 s forked here
    against 1.432 s through the fork server (5% less), at N=100 0.368 against 0.434 s (15%).
    The fork server's way stays the reference, and what any process with threads gets."""
    methods = multiprocessing.get_all_start_methods()
    if direct and "fork" in methods and alone():
        for module in preload:  # (what a fork server would import: here, once for every worker)
            importlib.import_module(module)
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(list(preload))
        return ctx
    return multiprocessing.get_context("spawn")


def alone() -> bool:
    """Whether this process runs one thread, by the kernel's count (``/proc/self/task``: threads
    that C libraries started count too; False where there is no such count)."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def start(ctx: multiprocessing.context.BaseContext) -> None:
    """Start the fork server now, if ``ctx`` uses one: it imports while this process goes on."""
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def _worker_init(lifeline: Any, init: Callable[..., None] | None, args: tuple) -> None:
    """In a new worker: exit when the parent's end of ``lifeline`` closes; then ``init(*args)``."""

    def watch() -> None:
        try:
            lifeline.recv_bytes()
        except (EOFError, OSError):
            pass
        os._exit(70)  # the parent is gone: nothing here is worth finishing

    threading.Thread(target=watch, name="lifeline", daemon=True).start()
    if init is not None:
        init(*args)


def _pool(ctx: Any, jobs: int, lifeline: Any, init: Callable[..., None] | None,
          args: tuple) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_worker_init,
                               initargs=(lifeline, init, args))


def _stop(pool: ProcessPoolExecutor) -> None:
    pool.shutdown(wait=True, cancel_futures=True)


def death(procs: dict) -> str:
    """How the worker of a broken one-worker pool ended, in words; ``procs``: the pool's
    processes by pid, taken when it was made (the pool forgets them at its shutdown)."""
    for p in list(procs.values()):
        p.join(5)
        code = p.exitcode
        if code is None:
            continue
        if code < 0:  # (SIGKILL, unasked for, is most often the out-of-memory killer)
            return f"killed by signal {-code}" + ("; out of memory?" if -code == signal.SIGKILL else "")
        return f"exited with status {code}"
    return "ended without a reason"


def run_chunks(
    fn: Callable[[list[T]], list[R]], chunks: Sequence[list[T]], *, jobs: int, preload: Sequence[str] = (),
    init: Callable[..., None] | None = None, args: tuple = (), died: Callable[[T, str], R],
    direct: bool = False,
) -> Iterator[list[R]]:
    """``fn(chunk)`` for every chunk on ``jobs`` worker processes, results as they come.

    ``fn`` takes a list of items and returns one result per item; ``init(*args)`` prepares each
    worker. At most two chunks per worker are in flight. When a worker dies, the items of the
    chunks in flight run again one at a time in a one-worker pool, and an item whose worker dies
    again gives ``died(item, reason)`` (``reason``: "killed by signal 9; out of memory?"); then
    the other chunks go on in a fresh pool. Any other exception of ``fn`` ends the run: the pool
    is shut down and the exception raised here. ``direct``: see :func:`context`.
    """
    lifeline, keep = multiprocessing.Pipe(duplex=False)  # the workers read; only this process writes
    multiprocessing.util.register_after_fork(keep, _close)  # (a worker forked from here drops its copy)
    contexts = partial(context, preload, direct=direct)  # (per pool: whether this process is alone changes)
    todo = deque(chunks)
    try:
        while todo:
            suspects = yield from _until_broken(contexts, fn, todo, jobs, lifeline, init, args)
            yield from _one_by_one(contexts, fn, suspects, lifeline, init, args, died)
    finally:
        keep.close()
        lifeline.close()


def _close(connection: Any) -> None:
    connection.close()


def _until_broken(contexts: Callable[[], Any], fn: Callable[[list[T]], list[R]], todo: deque[list[T]],
                  jobs: int, lifeline: Any, init: Callable[..., None] | None,
                  args: tuple) -> Generator[list[R], None, list[T]]:
    """Run the chunks of ``todo`` (taking them from it) in a pool of ``jobs`` workers until
    they are done (returns []) or a worker dies (returns the items of the chunks in flight)."""
    pool = _pool(contexts(), jobs, lifeline, init, args)
    pending: dict[Future, list[T]] = {}
    try:
        while todo or pending:
            while todo and len(pending) < 2 * jobs:
                try:
                    pending[pool.submit(fn, todo[0])] = todo[0]
                except BrokenProcessPool:
                    break
                todo.popleft()
            if not pending:  # (broken before anything was in flight: a fresh pool takes the rest)
                return []
            broken: list[list[T]] = []
            yield from _harvest(wait(pending, return_when=FIRST_COMPLETED).done, pending, broken)
            if broken:  # the pool is gone: every chunk in flight ends at once
                yield from _harvest(wait(pending).done, pending, broken)
                return [item for chunk in broken for item in chunk]
        return []
    finally:
        _stop(pool)


def _harvest(done: Iterable[Future], pending: dict[Future, list[T]],
             broken: list[list[T]]) -> Iterator[list[R]]:
    """The results of the ``done`` futures (taken out of ``pending``); the chunk of each one
    whose worker died goes to ``broken``."""
    for f in done:
        chunk = pending.pop(f)
        try:
            result = f.result()
        except BrokenProcessPool:
            broken.append(chunk)
            continue
        yield result


def _one_by_one(contexts: Callable[[], Any], fn: Callable[[list[T]], list[R]], items: list[T], lifeline: Any,
                init: Callable[..., None] | None, args: tuple,
                died: Callable[[T, str], R]) -> Iterator[list[R]]:
    """Each item on its own in a one-worker pool (a new one after each death)."""
    pool: ProcessPoolExecutor | None = None
    try:
        for item in items:
            if pool is None:
                pool = _pool(contexts(), 1, lifeline, init, args)
                procs = getattr(pool, "_processes", {})  # (private; the pool keeps no exit codes)
            future = pool.submit(fn, [item])
            try:
                result = future.result()
            except BrokenProcessPool:
                _stop(pool)
                result = [died(item, death(procs))]
                pool = None
            yield result
    finally:
        if pool is not None:
            _stop(pool)


# --------------------------------------------------------------------------- in order


class WorkerDied(BackpropError):
    """A worker process died (the out-of-memory killer, a crash) twice on the same item."""


def imap(fn: Callable[[T], R], items: Sequence[T], *, jobs: int | None = None, preload: Sequence[str] = (),
         least: int = 100) -> Iterator[R]:
    """``map(fn, items)`` on :func:`workers` ``(jobs)`` processes of :func:`run_chunks`, each
    result as soon as it and those before it are done (the caller uses the first results while
    the workers compute the next). ``fn`` and the items must be picklable (``fn`` a module-level
    function or a partial of one). Fewer than ``least`` items, or one job, stay in this process.
    An item whose worker dies twice raises :class:`WorkerDied`."""
    jobs = workers(jobs)
    if jobs <= 1 or len(items) < least:
        yield from map(fn, items)
        return
    size = max(1, len(items) // (jobs * 16))
    numbered = list(enumerate(items))
    chunks = [numbered[i:i + size] for i in range(0, len(numbered), size)]
    done: dict[int, Any] = {}
    following = 0
    # (closed on the way out: the pool stops now, not when the garbage collector finds it)
    with contextlib.closing(run_chunks(partial(_numbered, fn), chunks, jobs=jobs, preload=preload,
                                       died=_died)) as all_results:
        for results in all_results:
            for i, result in results:
                if isinstance(result, _Death):
                    raise WorkerDied(f"a worker process died ({result.reason}) twice on the same work; "
                                     "run again, with fewer --jobs if memory is short")
                done[i] = result
            while following in done:
                yield done.pop(following)
                following += 1


def _numbered(fn: Callable[[T], R], chunk: list[tuple[int, T]]) -> list[tuple[int, R]]:
    return [(i, fn(x)) for i, x in chunk]


@dataclass(frozen=True)
class _Death:
    reason: str


def _died(item: tuple[int, Any], reason: str) -> tuple[int, _Death]:
    return item[0], _Death(reason)
