"""One ``backprop grade`` at a time per output folder.

Two runs writing into one OUT would interleave their results, feedback and gradebook (each
consistent on its own, the whole not), so a run holds an exclusive lock (``flock``) on
``OUT/.cache/lock`` from before it reads the journal until the gradebook is written. A second
run refuses at once, naming the first one's process id, or with ``wait`` waits for it. The
lock is the kernel's: a run that dies, ``kill -9`` included, releases it; the file stays.
Where there is no ``flock`` (Windows) runs are not locked.

A ``flock`` belongs to the open file, which a forked process shares: a worker forked from the
grader (:mod:`grader.parallel`'s direct workers) closes its copy at once, so that the lock goes
with the grader, not with the last of its workers to die.
"""

from __future__ import annotations

import contextlib
import multiprocessing.util
import os
import time
from collections.abc import Iterator

from ..errors import BackpropError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

NAME = "lock"


@contextlib.contextmanager
def locked(out: str, *, wait: bool = False) -> Iterator[None]:
    """Hold the lock of the output folder ``out`` (whose ``.cache`` folder exists)."""
    path = os.path.join(out, ".cache", NAME)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    held = _Held(fd)
    multiprocessing.util.register_after_fork(held, _Held.close)  # (in a forked worker)
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                raise BackpropError(
                    f"{out}: another backprop grade ({_holder(fd)}) is writing into this folder; "
                    "let it finish (or add --wait to wait for it), or grade into another --out"
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        held.close()  # (releases the lock)


class _Held:
    """The lock's file descriptor, closed once (by the grader at the end, or by a forked worker
    at its start)."""

    def __init__(self, fd: int) -> None:
        self.fd: int | None = fd

    def close(self) -> None:
        fd, self.fd = self.fd, None
        if fd is not None:
            os.close(fd)


def _holder(fd: int, patience: float = 0.5) -> str:
    """The process holding the lock, as the message names it. The holder writes its pid just
    after it takes the lock: a run refused in between reads nothing yet (or a killed run's pid),
    so it reads again for up to ``patience`` seconds until it finds a pid that is alive."""
    deadline = time.monotonic() + patience
    while True:
        try:
            pid = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        except OSError:
            pid = ""
        if pid.isdigit() and _alive(int(pid)):
            return f"pid {pid}"
        if time.monotonic() >= deadline:
            return "its pid not known yet"
        time.sleep(0.01)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # (another user's process: alive)
        return True
    return True
