"""Running a notebook (``--execute``) and reading the values of the quantity ids.

The rule: a student's notebook is hostile code. It runs in a throwaway sandbox of its own
(:mod:`.sandbox`: bubblewrap's namespaces, a root holding only the read-only Python and a copy of
the notebook, no network, no secret), never in the grader's process, and nothing it starts
outlives it. No Jupyter kernel is started: a small runner script (:mod:`.runner`) runs the code
cells in order (as plain Python, or with IPython's ``InteractiveShell`` when a cell needs it) and
answers once, on its standard output,
framed by a random nonce made for this run; the notebook's own output goes nowhere. So there is
no connection file, port or signing key for another notebook to find, and a notebook that
prints a forged answer, or writes a malformed one, gets a clean error row.

Limits: each cell has a timer inside the runner (``cell_timeout``); the whole run has a
wall-clock limit (``notebook_timeout``) after which the grader kills the sandbox; memory
(address space), CPU seconds, file size, open files and processes are resource limits set by
the runner before the first cell. The grader keeps only the last ``ANSWER_BYTES`` of the output.

``sandbox="none"`` (``--sandbox none``) runs the same runner as a plain process with the same
limits and an audit hook instead of the sandbox: for machines without bubblewrap, when the
instructor accepts that it is not a security boundary (the README says what it misses).
"""

from __future__ import annotations

import json
import math
import os
import secrets
import selectors
import shutil
import signal
import subprocess
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from ..errors import BackpropError
from .sandbox import command, ipython_home

#: How much of the end of the runner's output the grader keeps (a notebook may flood it).
ANSWER_BYTES = 1 << 20


@dataclass(frozen=True)
class Limits:
    """The sandbox's limits (processes: per notebook; memory: per process)."""

    cell_timeout: float = 30.0
    notebook_timeout: float = 120.0
    memory_mb: int = 2048
    cpu_seconds: int = 120
    nproc: int = 16
    fsize_mb: int = 64
    scratch_mb: int = 64


class ExecutionError(BackpropError):
    """A notebook that could not be run to the end (timeout, memory, a refused operation)."""


def execute_values(path: str, ids: Collection[str], limits: Limits = Limits(),
                   sandbox: str = "bwrap", data: bytes | None = None) -> dict[str, Any]:
    """Run the notebook at ``path`` in ``sandbox`` ("bwrap" or "none"); the values of ``ids`` it defines.

    ``data``: the notebook's bytes as already read (a batch's: the file it identified and graded
    statically, read once without following a link); then ``path`` only names it in messages and
    is not read again (read again, it could have become a link to a classmate's notebook).

    Values are floats, or strings (``repr``, or "nan"/"inf") for what is not a finite number.
    Raises :class:`ExecutionError` with a one-line message when the notebook cannot be run to
    the end.
    """
    import warnings

    import nbformat

    try:
        with warnings.catch_warnings():  # e.g. cells without ids: nothing the student can act on here
            warnings.simplefilter("ignore")
            nb = nbformat.read(path, as_version=4) if data is None else nbformat.reads(
                data.decode("utf-8"), as_version=4)
        text = json.dumps(nb, ensure_ascii=True).encode()  # ASCII: a lone surrogate stays text
    except Exception as exc:  # nbformat raises many types for a bad file
        raise ExecutionError(f"{path}: cannot be run: {_first_line(exc)}") from None
    nonce = secrets.token_hex(16)
    try:
        home = ipython_home()
        launch, scratch = command(sandbox, text, limits.scratch_mb)
    except BackpropError as exc:
        raise ExecutionError(f"{path}: cannot be run: {exc}") from None
    config = {"nonce": nonce, "ids": sorted(ids), "notebook": "notebook.ipynb", "audit": sandbox == "none",
              "path": [home], "scratch": scratch, "cell_timeout": limits.cell_timeout,
              "memory_mb": limits.memory_mb, "cpu_seconds": limits.cpu_seconds, "nproc": limits.nproc,
              "fsize_mb": limits.fsize_mb}
    try:
        output, returncode, timed_out = _run(launch, json.dumps(config).encode(), nonce,
                                             limits.notebook_timeout)
    except OSError as exc:
        raise ExecutionError(f"{path}: the sandbox could not be started ({_first_line(exc)})") from None
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    if timed_out:
        raise ExecutionError(f"{path}: the notebook ran longer than {limits.notebook_timeout:g} s in all; "
                             "it was stopped")
    payload = _answer(output, nonce)
    if payload is None:
        raise ExecutionError(f"{path}: {_died(output, returncode, limits)}")
    return _values(path, payload, set(ids), limits)


def _run(launch: Any, config: bytes, nonce: str, timeout: float) -> tuple[bytes, int | None, bool]:
    """Start the runner, give it ``config``, read its output until the answer, EOF or ``timeout``;
    (output, exit status or None, timed out). The sandbox is killed in every case."""
    try:
        proc = subprocess.Popen(launch.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, cwd=launch.cwd, env=launch.env,
                                pass_fds=launch.pass_fds, **launch.popen)
    finally:
        for fd in launch.pass_fds:
            os.close(fd)
    output = bytearray()
    end = nonce.encode()
    deadline = time.monotonic() + timeout
    timed_out = False
    try:
        try:
            proc.stdin.write(config)
            proc.stdin.close()
        except OSError:  # the sandbox did not start; its message is in the output
            pass
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    timed_out = True
                    break
                if not sel.select(left):
                    continue
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                output += chunk
                if len(output) > 2 * ANSWER_BYTES:  # the answer comes last: keep the tail
                    del output[:-ANSWER_BYTES]
                if output.count(end) >= 2:  # the answer is complete
                    break
        try:  # the runner exits right after answering
            returncode: int | None = None if timed_out else proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            returncode = None
    finally:
        _kill(proc)
    return bytes(output), returncode, timed_out


def _kill(proc: subprocess.Popen) -> None:
    """Kill the sandbox: bwrap (its pid namespace dies with it) or the runner's session."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # started in a session of its own
    except (ProcessLookupError, PermissionError, OSError):
        pass
    proc.wait()
    for pipe in (proc.stdin, proc.stdout):
        try:
            pipe.close()
        except OSError:  # the runner never read its settings
            pass


def _answer(output: bytes, nonce: str) -> Any:
    """The JSON between the first two nonces, or None when there is no complete answer."""
    end = nonce.encode()
    first = output.find(end)
    second = output.find(end, first + len(end)) if first >= 0 else -1
    if second < 0:
        return None
    try:
        return json.loads(output[first + len(end):second])
    except ValueError:
        return {}


def _values(path: str, payload: Any, ids: set[str], limits: Limits) -> dict[str, Any]:
    """The checked values of the answer, or the runner's error as :class:`ExecutionError`."""
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        raise ExecutionError(f"{path}: {_message(payload['error'], limits)}")
    values = payload.get("values") if isinstance(payload, dict) else None
    if not isinstance(values, dict) or not all(k in ids and _is_value(v) for k, v in values.items()):
        raise ExecutionError(f"{path}: the notebook ran but its answer was not readable (did it write to the "
                             "runner's output?)")
    return values


def _is_value(v: Any) -> bool:
    return (isinstance(v, float) and math.isfinite(v)) or (isinstance(v, str) and len(v) <= 60)


def _message(error: dict, limits: Limits) -> str:
    kind, name = error.get("kind"), str(error.get("type", ""))[:60]
    text = str(error.get("message", ""))[:200]
    if kind == "timeout":
        return (f"a cell ran longer than {limits.cell_timeout:g} s (an endless loop?); "
                "the notebook was stopped")
    if kind == "memory":
        return f"the notebook ran out of memory (limit {limits.memory_mb} MB)"
    if kind == "processes":
        return f"the notebook started too many processes or threads (limit {limits.nproc}): {name}: {text}"
    if "backprop sandbox: " in text:
        return "the notebook tried something the sandbox refuses: " + text.split("backprop sandbox: ", 1)[1]
    if error.get("cell", 0) < 0:
        return f"the notebook could not be run ({name}: {text})"
    return f"a cell raised {name}: {text}" if text else f"a cell raised {name}"


def _died(output: bytes, returncode: int | None, limits: Limits) -> str:
    """Why there is no answer: the runner was killed, exited early, or the sandbox did not start."""
    signum = -returncode if returncode is not None and returncode < 0 else (
        returncode - 128 if returncode is not None and 128 < returncode < 160 else None)
    if signum == signal.SIGXCPU or signum == signal.SIGKILL:
        return (f"the notebook was stopped (it used more than its {limits.cpu_seconds} s of CPU time, or "
                f"memory ran out)")
    if signum is not None:
        name = signal.Signals(signum).name if signum in signal.valid_signals() else str(signum)
        return f"the notebook's process died ({name})"
    said = output.decode("utf-8", "replace").strip().splitlines()
    if said and said[-1].startswith(("bwrap:", "setpriv:")):
        return f"the sandbox could not be started ({said[-1][:200]})"
    return f"the notebook ended before its values were read (exit status {returncode})"


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:160] if lines else type(exc).__name__
