"""Running work on several cores: worker processes that are never forked from a process with
threads, that die with their parent, and whose death is noticed.

Policy (issue 10):

- No fork after a library has started threads. A forked copy of a process with threads
  inherits their locks as they were (a typst compiler's, say) and can wait on them for ever.
  Workers are therefore forked by a *fork server*, a fresh process that imports the modules
  the work needs (``preload``) and nothing else, or spawned where there is no fork server.
  :func:`pmap`, which forks this process itself, does so only while it has one thread.
- Workers die with their parent: each watches a pipe whose only writing end the parent holds,
  and exits when the pipe closes (the parent ended, however it ended, ``kill -9`` included).
- A worker that dies (the out-of-memory killer, a crash) breaks the pool; the chunks that were
  in flight are run again, item by item, in a fresh one-worker pool, and an item whose worker
  dies again is given to ``died`` with the reason. Everything else goes on.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

#: what the fork server of ``backprop grade`` imports (named here, so that the command can start
#: it before importing the batch itself)
BATCH_PRELOAD = ("grader.batch.preload",)

T = TypeVar("T")
R = TypeVar("R")


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def threads() -> int | None:
    """The number of threads of this process (all of them, also those a library started
    outside Python), or None where the system does not say."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return None


def pmap(fn: Callable[[T], R], items: Sequence[T], jobs: int | None = None, min_per_job: int = 50) -> list[R]:
    """``[fn(x) for x in items]`` on ``jobs`` processes (forked: ``fn`` and the items need not
    be importable by name, only picklable results). Small inputs stay in this process, and so
    does everything once this process has threads (see the module's policy)."""
    jobs = default_jobs() if jobs is None else jobs
    if (jobs <= 1 or len(items) < 2 * min_per_job or "fork" not in multiprocessing.get_all_start_methods()
            or threads() != 1):
        return [fn(x) for x in items]
    ctx = multiprocessing.get_context("fork")
    chunk = max(1, len(items) // (jobs * 8))
    with ctx.Pool(jobs) as pool:
        return pool.map(fn, items, chunksize=chunk)


# --------------------------------------------------------------------------- worker pools


def context(preload: Sequence[str] = ()) -> multiprocessing.context.BaseContext:
    """The fork server's context (its server importing ``preload`` when it starts), else spawn's."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(list(preload))
        return ctx
    return multiprocessing.get_context("spawn")


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
) -> Iterator[list[R]]:
    """``fn(chunk)`` for every chunk on ``jobs`` worker processes, results as they come.

    ``fn`` takes a list of items and returns one result per item; ``init(*args)`` prepares each
    worker. At most two chunks per worker are in flight. When a worker dies, the items of the
    chunks in flight run again one at a time in a one-worker pool, and an item whose worker dies
    again gives ``died(item, reason)`` (``reason``: "killed by signal 9; out of memory?"); then
    the other chunks go on in a fresh pool. Any other exception of ``fn`` ends the run: the pool
    is shut down and the exception raised here.
    """
    ctx = context(preload)
    lifeline, keep = ctx.Pipe(duplex=False)  # the workers read; only this process writes
    todo = deque(chunks)
    try:
        while todo:
            suspects = yield from _until_broken(ctx, fn, todo, jobs, lifeline, init, args)
            yield from _one_by_one(ctx, fn, suspects, lifeline, init, args, died)
    finally:
        keep.close()
        lifeline.close()


def _until_broken(ctx: Any, fn: Callable[[list[T]], list[R]], todo: deque[list[T]], jobs: int, lifeline: Any,
                  init: Callable[..., None] | None, args: tuple) -> Generator[list[R], None, list[T]]:
    """Run the chunks of ``todo`` (taking them from it) in a pool of ``jobs`` workers until
    they are done (returns []) or a worker dies (returns the items of the chunks in flight)."""
    pool = _pool(ctx, jobs, lifeline, init, args)
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


def _one_by_one(ctx: Any, fn: Callable[[list[T]], list[R]], items: list[T], lifeline: Any,
                init: Callable[..., None] | None, args: tuple,
                died: Callable[[T, str], R]) -> Iterator[list[R]]:
    """Each item on its own in a one-worker pool (a new one after each death)."""
    pool: ProcessPoolExecutor | None = None
    try:
        for item in items:
            if pool is None:
                pool = _pool(ctx, 1, lifeline, init, args)
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
