"""The throwaway environment one notebook runs in under ``--execute``: bubblewrap, or nothing.

:func:`command` gives the argv (and how to start it) that runs the runner script
(:mod:`grader.notebooks.runner`) for one notebook. With ``mode="bwrap"`` (the default) it runs
inside bubblewrap (``bwrap``), which gives it:

- its own pid, ipc, uts, cgroup, network and mount namespaces (no network but its own loopback;
  a fresh ``/proc`` that shows only its own processes; a fresh ``/dev``);
- a root that is an empty read-only tmpfs holding only read-only binds of what the Python needs
  (``/usr`` and ``/etc/ld.so.cache``, the interpreter's prefix and base prefix, the
  site-packages with IPython: found from ``sys.prefix``, ``sys.base_prefix`` and ``site``), the
  runner script, and a writable
  size-limited tmpfs ``/notebook`` holding only a copy of the notebook: no key, no solutions,
  no OUT, no grader's ``/proc``, no other notebook;
- ``--new-session``, ``--die-with-parent``, and a pid namespace whose init is bwrap: when the
  runner ends or is killed, everything it started dies with it.

Who it runs as: started by an ordinary user, bwrap also makes a user namespace in which the
runner is uid/gid 65534 with no capabilities (``--cap-drop ALL``); its process limit then counts
the processes of that namespace only. Started by root, a user namespace would map the runner to
root outside, which the kernel exempts from the process limit; so bwrap runs as root without
one (making the mounts), and ``setpriv`` (util-linux) drops the runner to a uid of its own
(``UID_BASE`` + the grader's pid × 16 + a counter: no file on the machine belongs to it, and no
other sandbox shares its process count), with no capabilities, no groups and ``no_new_privs``.

With ``mode="none"`` (``--sandbox none``, the instructor accepting weaker limits) the runner
runs as a plain process in a fresh scratch folder, with the same resource limits and an audit
hook; as root it drops to ``nobody`` when ``nobody`` can run the Python. Both modes get the same
clean environment (no secret, no key path).
"""

from __future__ import annotations

import functools
import itertools
import os
import shutil
import site
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BackpropError

MODES = ("bwrap", "none")
RUNNER = Path(__file__).with_name("runner.py")
SCRATCH = "/notebook"  # the notebook's working folder inside the sandbox
RUNNER_INSIDE = "/opt/backprop/runner.py"
UID_BASE = 0x40000000
_counter = itertools.count()


class SandboxUnavailable(BackpropError):
    """bwrap is missing or cannot make its namespaces here."""


@dataclass(frozen=True)
class Launch:
    """How to start one notebook's runner: ``Popen(argv, cwd=..., env=..., pass_fds=..., **popen)``."""

    argv: list[str]
    env: dict[str, str]
    cwd: str | None = None
    pass_fds: tuple[int, ...] = ()
    popen: dict = field(default_factory=dict)


def environment(home: str) -> dict[str, str]:
    """The runner's whole environment: nothing of the grader's own (no secrets, no key path)."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": home,
        "IPYTHONDIR": os.path.join(home, ".ipython"),
        "MPLCONFIGDIR": os.path.join(home, ".matplotlib"),
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "LANG": "C.UTF-8",
    }


@functools.cache
def ipython_home() -> str:
    """The folder IPython is installed in (site-packages, or wherever this Python finds it)."""
    import importlib.util

    spec = importlib.util.find_spec("IPython")  # found, not imported (that takes a third of a second)
    if spec is None or not spec.origin:
        raise SandboxUnavailable("IPython is not installed (pip install ipython)")
    return os.path.dirname(os.path.dirname(os.path.abspath(spec.origin)))


def python_paths() -> list[str]:
    """The folders the Python needs, outermost first, without ones inside another or in /usr."""
    return list(_python_paths())


@functools.cache
def _python_paths() -> tuple[str, ...]:
    found = [sys.base_prefix, sys.prefix, *site.getsitepackages(), ipython_home()]
    found = [p for p in found if os.path.isdir(p)]
    paths: list[str] = []
    for p in sorted({os.path.realpath(p) for p in found} | {os.path.abspath(p) for p in found}, key=len):
        if not any(p == q or p.startswith(q.rstrip("/") + "/") for q in ["/usr", *paths]):
            paths.append(p)
    return tuple(paths)


def _system_binds() -> list[str]:
    """/usr, and the top-level folders that are links into it (merged /usr) or real folders."""
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    if os.path.exists("/etc/ld.so.cache"):
        args += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    return args


def _dirs(paths: list[str]) -> list[str]:
    """``--dir`` for every folder above the binds, readable by all (bwrap copies a host folder's
    mode, and /root is 0700)."""
    args: list[str] = []
    made: set[str] = set()
    for p in paths:
        parts = Path(p).parts
        for i in range(2, len(parts)):
            d = str(Path(*parts[:i]))
            if d not in made:
                made.add(d)
                args += ["--perms", "0755", "--dir", d]
    return args


def bwrap_argv(tail: list[str], notebook_fd: int, scratch_mb: int) -> list[str]:
    """bwrap's argv around the command ``tail`` (``python -I -S -B RUNNER``), with the notebook
    copied into the scratch folder from ``notebook_fd``."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed")
    paths = python_paths()
    argv = [bwrap, "--die-with-parent", "--new-session", "--unshare-ipc", "--unshare-pid", "--unshare-net",
            "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox"]
    root = os.getuid() == 0
    if not root:
        argv += ["--unshare-user", "--uid", "65534", "--gid", "65534", "--cap-drop", "ALL"]
    argv += ["--tmpfs", "/", *_system_binds(), *_dirs([*paths, RUNNER_INSIDE])]
    for p in paths:
        argv += ["--ro-bind", p, p]
    argv += ["--ro-bind", str(RUNNER), RUNNER_INSIDE, "--proc", "/proc", "--dev", "/dev",
             "--size", str(scratch_mb * 1024 * 1024), "--perms", "0777", "--tmpfs", SCRATCH,
             "--file", str(notebook_fd), f"{SCRATCH}/notebook.ipynb", "--chdir", SCRATCH,
             "--remount-ro", "/", "--"]
    if root:
        uid = UID_BASE + (os.getpid() % (1 << 22)) * 16 + next(_counter) % 16
        argv += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
                 "--bounding-set=-all", "--no-new-privs", "--"]
    return [*argv, *tail]


def command(mode: str, notebook_text: bytes, scratch_mb: int = 64,
            tail: list[str] | None = None) -> tuple[Launch, str | None]:
    """How to run the runner (or ``tail``) on ``notebook_text`` in ``mode``; also a host folder to
    delete afterwards (``--sandbox none``), else None. The caller closes the ``pass_fds``."""
    if mode == "bwrap":
        fd = os.memfd_create("notebook.ipynb")  # the notebook's copy, read by bwrap --file
        try:
            os.write(fd, notebook_text)
            os.lseek(fd, 0, os.SEEK_SET)
            argv = bwrap_argv(tail or [sys.executable, "-I", "-S", "-B", RUNNER_INSIDE], fd, scratch_mb)
        except BaseException:
            os.close(fd)
            raise
        return Launch(argv, environment(SCRATCH), pass_fds=(fd,), popen={"start_new_session": True}), None
    if mode != "none":
        raise BackpropError(f"unknown sandbox {mode!r}; use one of {', '.join(MODES)}")
    scratch = tempfile.mkdtemp(prefix="backprop-run-")
    Path(scratch, "notebook.ipynb").write_bytes(notebook_text)
    popen: dict = {"start_new_session": True}
    uid, gid = _nobody()
    if uid is not None:
        os.chown(scratch, uid, gid)
        popen.update(user=uid, group=gid, extra_groups=[])
    argv = tail or [sys.executable, "-I", "-S", "-B", str(RUNNER)]
    return Launch(argv, environment(scratch), cwd=scratch, popen=popen), scratch


@functools.cache
def _nobody() -> tuple[int | None, int | None]:
    """``nobody``'s uid and gid when running as root and ``nobody`` can run the Python, else None
    (Python under a private home, e.g. /root/.pyenv, cannot be run by ``nobody``)."""
    if os.getuid() != 0:
        return None, None
    import pwd

    try:
        user = pwd.getpwnam("nobody")
    except KeyError:
        return None, None
    try:
        done = subprocess.run([sys.executable, "-I", "-c", "import IPython"], user=user.pw_uid,
                              group=user.pw_gid, extra_groups=[], cwd="/", env={"PATH": "/usr/bin:/bin"},
                              capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None, None
    return (user.pw_uid, user.pw_gid) if done.returncode == 0 else (None, None)


def require(mode: str) -> None:
    """Raise :class:`SandboxUnavailable` with a one-line reason when ``mode`` cannot run here."""
    if mode == "none":
        return
    if mode != "bwrap":
        raise SandboxUnavailable(f"unknown sandbox {mode!r}; use one of {', '.join(MODES)}")
    reason = _probe(shutil.which("bwrap"), os.environ.get("PATH", ""))
    if reason:
        raise SandboxUnavailable(
            f"--execute runs each notebook in bubblewrap, and {reason}: install it (Debian and Ubuntu: "
            "apt-get install bubblewrap) and allow user namespaces, or pass --sandbox none to accept the "
            "weaker in-process limits (see the README)")


@functools.cache
def _probe(bwrap: str | None, path: str) -> str | None:
    """Why bwrap cannot run the sandbox here (None: it can): a real sandbox running ``pass``."""
    if bwrap is None:
        return "bwrap is not installed (not found on PATH)"
    try:
        launch, _ = command("bwrap", b'{"cells": []}', tail=[sys.executable, "-I", "-S", "-c", "pass"])
    except (BackpropError, ImportError, OSError) as exc:
        return str(exc)
    try:
        done = subprocess.run(launch.argv, env=launch.env, pass_fds=launch.pass_fds, capture_output=True,
                              timeout=60, **launch.popen)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"bwrap could not be started ({exc})"
    finally:
        for fd in launch.pass_fds:
            os.close(fd)
    if done.returncode != 0:
        said = (done.stderr or done.stdout).decode("utf-8", "replace").strip().splitlines()
        return f"bwrap cannot make its sandbox here ({said[-1][:200] if said else f'exit {done.returncode}'})"
    return None
