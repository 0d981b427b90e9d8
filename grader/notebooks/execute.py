"""Running a notebook in a sandboxed kernel (``--execute``) and reading the quantity ids.

Each notebook gets its own ipykernel, started by a small launcher (``python -c LAUNCHER``)
that, before the kernel starts:

- moves into a fresh scratch folder holding only a copy of the notebook;
- when running as root, hands the scratch folder to ``nobody`` and drops to that user, so the
  kernel cannot read the key or the secret or change anyone's files;
- sets resource limits: address space (memory), CPU seconds, file size, open files and, as a
  second line against fork bombs, the number of processes;
- installs an audit hook (PEP 578) that refuses to start processes (``os.fork``,
  ``subprocess``, ``os.system``, ``os.exec*``, ``os.kill``) and to
  write, delete or rename files outside the scratch folder.

The environment is stripped to what the kernel needs (no instructor secret or key path). Each
cell has a timeout and so has the whole notebook; afterwards the kernel is shut down and killed.
What this does not protect against is written in the README: it is not a container.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import tempfile
import time
from dataclasses import dataclass
from typing import Any, Collection

from ..errors import BackpropError

MARKER = "__BACKPROP_VALUES__"

#: Runs in the kernel's process before ipykernel: limits, user, audit hook. argv: -f CONNECTION
LAUNCHER = r'''
import json, os, resource, sys
cfg = json.loads(os.environ.pop("BACKPROP_SANDBOX"))
scratch = cfg["scratch"]
src = sys.argv[sys.argv.index("-f") + 1]
with open(src) as fh:
    conn = fh.read()
own = os.path.join(scratch, ".kernel.json")
with open(own, "w") as fh:
    fh.write(conn)
sys.argv[sys.argv.index("-f") + 1] = own
if os.getuid() == 0 and cfg["uid"] is not None:
    for root, dirs, files in os.walk(scratch):
        for n in dirs + files:
            os.chown(os.path.join(root, n), cfg["uid"], cfg["gid"])
    os.chown(scratch, cfg["uid"], cfg["gid"])
    os.setgroups([])
    os.setgid(cfg["gid"])
    os.setuid(cfg["uid"])
os.chdir(scratch)
mb = 1024 * 1024
for name, value in (("RLIMIT_AS", cfg["memory_mb"] * mb), ("RLIMIT_CPU", cfg["cpu_seconds"]),
                    ("RLIMIT_FSIZE", 64 * mb), ("RLIMIT_NOFILE", 256), ("RLIMIT_CORE", 0),
                    ("RLIMIT_NPROC", cfg["nproc"])):
    if value is not None and hasattr(resource, name):
        try:
            resource.setrlimit(getattr(resource, name), (value, value))
        except (ValueError, OSError):
            pass
real = os.path.realpath(scratch)
allowed = (real + os.sep, "/dev/null")
spawn = {"os.fork", "os.forkpty", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
         "subprocess.Popen", "pty.spawn", "os.kill", "os.killpg"}
# event -> which arguments are paths that the event changes
changing = {"os.remove": (0,), "os.rmdir": (0,), "os.truncate": (0,), "shutil.rmtree": (0,), "os.chmod": (0,),
            "os.chown": (0,), "os.mkdir": (0,), "os.utime": (0,), "os.rename": (0, 1), "shutil.move": (0, 1),
            "os.link": (1,), "os.symlink": (1,), "shutil.copyfile": (1,), "shutil.copytree": (1,)}
def inside(path):
    try:
        p = os.path.realpath(os.fsdecode(path)) if not isinstance(path, int) else None
    except Exception:
        return False
    return p is None or p == real or p.startswith(allowed)
def hook(event, args):
    if event in spawn:
        raise PermissionError(f"backprop sandbox: {event} is not allowed (notebooks may not start processes)")
    if event in changing:
        for a in (args[i] for i in changing[event] if i < len(args)):
            if isinstance(a, (str, bytes, os.PathLike)) and not inside(a):
                raise PermissionError(f"backprop sandbox: {event} outside the scratch folder is not allowed: {os.fsdecode(a)}")
    if event == "open" and len(args) >= 3:
        path, mode, flags = args[0], args[1], args[2]
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC))
        if writes and path is not None and not isinstance(path, int) and not inside(path):
            raise PermissionError(f"backprop sandbox: writing outside the scratch folder is not allowed: {os.fsdecode(path)}")
sys.addaudithook(hook)
del cfg, conn, fh, own, src
from ipykernel import kernelapp
kernelapp.launch_new_instance()
'''

#: The last cell: prints the values of the quantity ids as JSON behind a marker.
READER = """
import json as __bp_json, math as __bp_math
def __bp_value(v):
    try:
        x = float(v)
    except Exception:
        return repr(v)[:60]
    return x if __bp_math.isfinite(x) else str(x)
print({marker!r} + __bp_json.dumps({{k: __bp_value(globals()[k]) for k in {ids!r} if k in globals()}}))
"""


@dataclass(frozen=True)
class Limits:
    """The sandbox's limits."""

    cell_timeout: float = 30.0
    notebook_timeout: float = 120.0
    memory_mb: int = 2048
    cpu_seconds: int = 120
    nproc: int | None = 512


class ExecutionError(BackpropError):
    """A notebook that could not be run to the end (timeout, memory, a refused operation)."""


@functools.cache
def _identity() -> tuple[int | None, int | None]:
    """``nobody``'s uid and gid when running as root and ``nobody`` can run the kernel, else None.

    (Python installed under a private home, e.g. /root/.pyenv, cannot be run by ``nobody``:
    then the kernel runs as the grader's own user, with the other protections only.)
    """
    if os.getuid() != 0:
        return None, None
    import pwd
    import subprocess

    try:
        user = pwd.getpwnam("nobody")
    except KeyError:
        return None, None

    def drop() -> None:
        os.setgroups([])
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)

    try:
        done = subprocess.run([sys.executable, "-I", "-c", "import ipykernel"], preexec_fn=drop, cwd="/",
                              env={"PATH": "/usr/bin:/bin"}, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None, None
    return (user.pw_uid, user.pw_gid) if done.returncode == 0 else (None, None)


def runs_as() -> str:
    """Who the kernels run as: ``nobody`` or the grader's own user (for messages and the README)."""
    return "nobody" if _identity()[0] is not None else "the grader's own user"


def kernel_env(scratch: str, config: dict[str, Any]) -> dict[str, str]:
    """The kernel's whole environment: nothing of the grader's own (no secrets, no key path)."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": scratch,
        "TMPDIR": scratch,
        "IPYTHONDIR": os.path.join(scratch, ".ipython"),
        "MPLCONFIGDIR": os.path.join(scratch, ".matplotlib"),
        "JUPYTER_RUNTIME_DIR": scratch,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "LANG": "C.UTF-8",
        "BACKPROP_SANDBOX": json.dumps(config),
    }


def _message(exc: BaseException, limits: Limits) -> str:
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    if isinstance(exc, CellTimeoutError):
        return f"a cell ran longer than {limits.cell_timeout:g} s (an endless loop?); the kernel was stopped"
    if isinstance(exc, DeadKernelError):
        return ("the kernel died while running the notebook (out of memory or CPU time?; "
                f"the limits are {limits.memory_mb} MB and {limits.cpu_seconds} s)")
    if isinstance(exc, CellExecutionError):
        ename = getattr(exc, "ename", "") or ""
        evalue = (getattr(exc, "evalue", "") or "").strip().splitlines()
        first = evalue[0][:160] if evalue else ""
        if ename == "MemoryError":
            return f"the notebook ran out of memory (limit {limits.memory_mb} MB)"
        if "backprop sandbox" in first:
            return "the notebook tried something the sandbox refuses: " + first.split("backprop sandbox: ", 1)[1]
        return f"a cell raised {ename}: {first}" if first else f"a cell raised {ename}"
    return f"the notebook could not be run ({type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''})"


def _kill(km: Any) -> None:
    """Kill the kernel's whole process group (the kernel and anything it started)."""
    provisioner = getattr(km, "provisioner", None)
    pid = getattr(provisioner, "pid", None)
    if pid:
        try:
            os.killpg(pid, signal.SIGKILL)  # the kernel leads its own session (start_new_session)
        except (ProcessLookupError, PermissionError, OSError):
            pass


def _close(client: Any, km: Any) -> None:
    """Close the client's sockets now (a killed kernel leaves them open until garbage collection)."""
    kc = getattr(client, "kc", None)
    try:
        if kc is not None:
            kc.stop_channels()
    except Exception:  # closing what is already closed
        pass
    process = getattr(getattr(km, "provisioner", None), "process", None)
    if process is not None:
        try:
            process.wait(timeout=10)
        except Exception:  # already reaped by the kernel manager
            pass
    context = getattr(km, "context", None)
    if context is not None:
        context.destroy(linger=0)


class _Watchdog:
    """Kills the kernel when a cell or the whole notebook runs past its time."""

    def __init__(self, km: Any, limits: Limits) -> None:
        self.km, self.limits = km, limits
        self.reason: str | None = None
        self._stop = threading.Event()
        self._cell_start = self._start = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._cell_start = self._start = time.monotonic()
        self._thread.start()

    def next_cell(self) -> None:
        self._cell_start = time.monotonic()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            now = time.monotonic()
            if now - self._start > self.limits.notebook_timeout:
                self.reason = (f"the notebook ran longer than {self.limits.notebook_timeout:g} s in all; "
                               "the kernel was stopped")
            elif now - self._cell_start > self.limits.cell_timeout:
                self.reason = (f"a cell ran longer than {self.limits.cell_timeout:g} s (an endless loop?); "
                               "the kernel was stopped")
            if self.reason:
                _kill(self.km)
                return


def execute_values(path: str, ids: Collection[str], limits: Limits = Limits()) -> dict[str, Any]:
    """Run the notebook at ``path`` in the sandbox; the values of ``ids`` it defines.

    Values are floats, or strings (``repr``) for what is not a number. Raises
    :class:`ExecutionError` with a one-line message when the notebook cannot be run to the end.
    """
    import nbformat
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # nbformat raises many types for a bad file
        raise ExecutionError(f"{path}: cannot be run: {str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__}") from None
    uid, gid = _identity()
    scratch = tempfile.mkdtemp(prefix="backprop-run-")
    try:
        shutil.copyfile(path, os.path.join(scratch, "notebook.ipynb"))
        config = {"scratch": scratch, "uid": uid, "gid": gid, "memory_mb": limits.memory_mb,
                  "cpu_seconds": limits.cpu_seconds, "nproc": limits.nproc}
        nb.cells = [c for c in nb.cells if c.cell_type == "code"]
        nb.cells.append(nbformat.v4.new_code_cell(READER.format(marker=MARKER, ids=sorted(ids))))

        class SandboxKernelManager(AsyncKernelManager):
            def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
                return [sys.executable, "-I", "-c", LAUNCHER, "-f", self.connection_file]

        km = SandboxKernelManager(kernel_name="python3")
        client = NotebookClient(nb, km=km, timeout=None, allow_errors=False, kernel_name="python3",
                                startup_timeout=60, shutdown_kernel="immediate", record_timing=False)
        watchdog = _Watchdog(km, limits)
        try:
            with client.setup_kernel(env=kernel_env(scratch, config), cwd=scratch,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
                watchdog.start()
                for index, cell in enumerate(nb.cells):
                    watchdog.next_cell()
                    client.execute_cell(cell, index)
        except Exception as exc:
            reason = watchdog.reason
            raise ExecutionError(f"{path}: {reason or _message(exc, limits)}") from None
        finally:
            watchdog.stop()
            _kill(km)
            _close(client, km)
        for out in nb.cells[-1].get("outputs", []):
            text = out.get("text", "")
            if out.get("output_type") == "stream" and MARKER in text:
                return json.loads(text.split(MARKER, 1)[1].strip().splitlines()[0])
        raise ExecutionError(f"{path}: the notebook ran but its values could not be read")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
