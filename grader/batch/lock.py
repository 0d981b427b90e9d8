"""One ``backprop grade`` at a time per output folder.

Two runs writing into one OUT would interleave their results, feedback and gradebook (each
consistent on its own, the whole not), so a run holds an exclusive lock (``flock``) on
``OUT/.cache/lock`` from before it reads the journal until the gradebook is written. A second
run refuses at once, naming the first one's process id, or with ``wait`` waits for it. The
lock is the kernel's: a run that dies, ``kill -9`` included, releases it; the file stays.
Where there is no ``flock`` (Windows) runs are not locked.
"""

from __future__ import annotations

import contextlib
import os
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
        os.close(fd)  # (releases the lock)


def _holder(fd: int) -> str:
    try:
        pid = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        pid = ""
    return f"pid {pid}" if pid.isdigit() else "its pid not known yet"
