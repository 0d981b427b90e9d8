"""Runs one notebook's code cells and reports the values of the quantity ids (``--execute``).

A standalone script, started as ``python -I -S -B runner.py`` inside the sandbox (see
:mod:`grader.notebooks.sandbox`); it imports nothing of the grader. It reads its settings as
JSON on standard input (the quantity ids, the limits, a random ``nonce``), then:

1. keeps a private copy of its standard output for the answer and sends the notebook's own
   output (fds 1 and 2, ``print``, tracebacks) to /dev/null;
2. sets the resource limits (memory, CPU seconds, file size, open files, processes) and, in the
   weaker mode without a sandbox (``--sandbox none``), installs an audit hook;
3. runs the code cells of ``notebook.ipynb`` in order, each under a timer: as plain Python
   (``exec`` in a fresh ``__main__``, as IPython would: no IPython to import, a sixth of the
   start-up) when every cell compiles as Python and uses none of IPython's names, else with
   IPython's ``InteractiveShell`` (so magics work as in a kernel);
4. writes ``nonce + JSON + nonce`` once: ``{"values": {id: float or repr}}``, or
   ``{"error": {...}}`` for the cell that failed, and exits.

The notebook's code runs in this process, so it could find the nonce; it gains nothing by it:
the only values the answer can carry are its own, which it sets anyway. The nonce keeps the
notebook's printed text from ever being taken for the answer, and the grader checks the
answer's shape and turns anything else into a clean error.
"""

import json
import math
import os
import resource
import signal
import sys


class CellTimeout(BaseException):
    """A cell ran past its time (raised by the timer, not catchable by ``except Exception``)."""


def limit(cfg):
    mb = 1024 * 1024
    cpu = cfg["cpu_seconds"]
    for name, soft, hard in (("RLIMIT_AS", cfg["memory_mb"] * mb, cfg["memory_mb"] * mb),
                             ("RLIMIT_CPU", cpu, cpu + 2),  # SIGXCPU first, SIGKILL two seconds later
                             ("RLIMIT_FSIZE", cfg["fsize_mb"] * mb, cfg["fsize_mb"] * mb),
                             ("RLIMIT_NOFILE", 256, 256), ("RLIMIT_CORE", 0, 0),
                             ("RLIMIT_NPROC", cfg["nproc"], cfg["nproc"])):
        if soft is not None and hasattr(resource, name):
            try:
                resource.setrlimit(getattr(resource, name), (soft, hard))
            except (ValueError, OSError):
                pass


def audit_hook(scratch):
    """The in-process checks of ``--sandbox none`` (PEP 578): no new processes, no writes outside
    ``scratch``. Plain standard-library calls get around it (the README lists them); it only
    stops the obvious."""
    real = os.path.realpath(scratch)
    allowed = (real + os.sep, "/dev/null")
    spawn = {"os.fork", "os.forkpty", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
             "subprocess.Popen", "pty.spawn", "os.kill", "os.killpg"}
    changing = {"os.remove": (0,), "os.rmdir": (0,), "os.truncate": (0,), "shutil.rmtree": (0,),
                "os.chmod": (0,), "os.chown": (0,), "os.mkdir": (0,), "os.utime": (0,), "os.rename": (0, 1),
                "shutil.move": (0, 1), "os.link": (1,), "os.symlink": (1,), "shutil.copyfile": (1,),
                "shutil.copytree": (1,)}

    def inside(path):
        try:
            p = os.path.realpath(os.fsdecode(path))
        except Exception:
            return False
        return p == real or p.startswith(allowed)

    def hook(event, args):
        if event in spawn:
            raise PermissionError(f"backprop sandbox: {event} is not allowed "
                                  "(notebooks may not start processes)")
        if event in changing:
            for a in (args[i] for i in changing[event] if i < len(args)):
                if isinstance(a, (str, bytes, os.PathLike)) and not inside(a):
                    raise PermissionError(f"backprop sandbox: {event} outside the scratch folder is not "
                                          f"allowed: {os.fsdecode(a)}")
        if event == "open" and len(args) >= 3:
            path, mode, flags = args[0], args[1], args[2]
            writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC))
            if writes and isinstance(path, (str, bytes)) and not inside(path):
                raise PermissionError("backprop sandbox: writing outside the scratch folder is not allowed: "
                                      f"{os.fsdecode(path)}")

    sys.addaudithook(hook)


def shell():
    late_site()
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False  # no sqlite file, no history thread
    config.InteractiveShell.colors = "nocolor"
    config.InteractiveShell.autocall = 0
    return InteractiveShell.instance(config=config)


class LateSite:
    """The site-packages, added when first needed: the runner starts with ``python -S`` (no
    ``site``: its .pth files cost a tenth of the start), and the first import that nothing else
    finds runs ``site.main()`` (the same sys.path, .pth files and builtins as without ``-S``) and
    looks again."""

    done = False

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if cls.done:
            return None
        late_site()
        for finder in list(sys.meta_path):
            if finder is not cls and hasattr(finder, "find_spec"):
                spec = finder.find_spec(name, path, target)
                if spec is not None:
                    return spec
        return None


def late_site():
    if not LateSite.done:
        LateSite.done = True
        import site

        site.main()


#: Names IPython's shell gives a notebook (or that show its namespace): a notebook using one runs
#: in IPython's shell, as does one with a cell that is not plain Python (magics, ``!``, ``?``).
IPYTHON_NAMES = frozenset({"get_ipython", "display", "In", "Out", "exit", "quit", "help", "copyright",
                           "credits", "license", "_ih", "_oh", "_dh", "__builtin__", "globals", "locals",
                           "vars", "dir", "__IPYTHON__"})


def _ipython_name(name):
    if name in IPYTHON_NAMES:
        return True
    core = name[2:] if name.startswith("_i") else name[1:] if name.startswith("_") else None
    return core is not None and (core.isdigit() or core.strip("_i") == "")  # _, __, _i, _ii, _3, _i3


def plain(sources):
    """The cells compiled as plain Python, each a list of (code, is the last expression), or None
    when one needs IPython's shell. Compiled as IPython does: ``__future__`` imports carry on to
    later cells, and a cell's last statement, when an expression, is shown (here: its repr is
    taken, and dropped)."""
    import ast
    import codeop

    compiler = codeop.Compile()
    compiled = []
    for index, source in enumerate(sources):
        try:
            tree = compile(source, f"<cell {index}>", "exec", ast.PyCF_ONLY_AST | compiler.flags, True)
        except (SyntaxError, ValueError, TypeError, OverflowError, MemoryError, RecursionError):
            return None
        if any(isinstance(n, ast.Name) and _ipython_name(n.id) for n in ast.walk(tree)):
            return None
        last = tree.body[-1:] if tree.body and isinstance(tree.body[-1], ast.Expr) else []
        steps = []
        try:
            if tree.body[: len(tree.body) - len(last)]:
                head = ast.Module(tree.body[: len(tree.body) - len(last)], tree.type_ignores)
                steps.append(compiler(head, f"<cell {index}>", "exec"))
            if last:
                steps.append(compiler(ast.Interactive(last), f"<cell {index}>", "single"))
        except (SyntaxError, ValueError, TypeError, OverflowError, MemoryError, RecursionError):
            return None
        compiled.append(steps)
    return compiled


def shown(v):
    """What IPython's display hook does with a cell's last value, less the printing."""
    if v is not None:
        try:
            repr(v)
        except Exception:
            pass


def run_plain(compiled, ns, timeout):
    """Run the compiled cells in ``ns``; the index of the cell that failed and its exception, or None."""
    sys.displayhook = shown
    for index, steps in enumerate(compiled):
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            for code in steps:
                exec(code, ns)
        except BaseException as exc:  # as IPython's run_cell: every exception is the cell's error
            return index, exc
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    return None


def value(v):
    """A number as a float (non-finite ones as text), anything else as a short repr."""
    try:
        x = float(v)
    except Exception:
        return repr(v)[:60]
    return x if math.isfinite(x) else str(x)


def error(cell, exc):
    first = str(exc).strip().splitlines()
    kind = "timeout" if isinstance(exc, CellTimeout) else "memory" if isinstance(exc, MemoryError) else (
        "processes" if isinstance(exc, BlockingIOError) else "exception")
    return {"kind": kind, "cell": cell, "type": type(exc).__name__,
            "message": first[0][:200] if first else ""}


def run(cfg):
    """Every code cell in order; the payload of the answer."""
    with open(cfg["notebook"], encoding="utf-8") as fh:
        cells = [c for c in json.load(fh).get("cells", []) if c.get("cell_type") == "code"]
    sources = []
    for cell in cells:
        source = cell.get("source", "")
        sources.append("".join(source) if isinstance(source, list) else str(source))
    signal.setitimer(signal.ITIMER_REAL, cfg["cell_timeout"])
    try:
        compiled = None if cfg.get("ipython") else plain(sources)
    except CellTimeout as exc:
        return {"error": error(0, exc)}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    if compiled is not None:
        import types

        main = types.ModuleType("__main__")  # as IPython's user module: the notebook's __main__
        sys.modules["__main__"] = main
        ns = main.__dict__
        import builtins

        ns["__builtins__"] = builtins
        failed = run_plain(compiled, ns, cfg["cell_timeout"])
        if failed is not None:
            return {"error": error(*failed)}
    else:
        sh = shell()
        ns = sh.user_ns
        for index, source in enumerate(sources):
            signal.setitimer(signal.ITIMER_REAL, cfg["cell_timeout"])
            try:
                result = sh.run_cell(source, store_history=False, silent=False)
            except CellTimeout as exc:  # the timer fired outside the cell's own code
                return {"error": error(index, exc)}
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            exc = result.error_before_exec or result.error_in_exec
            if exc is not None:
                return {"error": error(index, exc)}
    signal.setitimer(signal.ITIMER_REAL, cfg["cell_timeout"])
    try:
        return {"values": {k: value(ns[k]) for k in cfg["ids"] if k in ns}}
    except BaseException as exc:  # a value whose float() or repr() raises or loops
        return {"error": error(len(cells), exc)}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def main():
    cfg = json.loads(sys.stdin.read())
    answer = os.dup(1)  # the answer's channel (not inherited by anything the notebook starts)
    quiet = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(quiet, fd)
    sys.stdin = open(os.devnull)  # noqa: SIM115 (for the process's life)
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115
    pid = os.getpid()

    def timeout(signum, frame):
        raise CellTimeout(f"a cell ran longer than {cfg['cell_timeout']:g} s")

    signal.signal(signal.SIGALRM, timeout)
    sys.path += [p for p in cfg.get("path", []) if p not in sys.path]  # IPython's folder, wherever it is
    sys.meta_path.append(LateSite)
    limit(cfg)
    if cfg.get("audit"):
        audit_hook(cfg["scratch"])
    try:
        payload = run(cfg)
    except BaseException as exc:  # the runner itself failed (an unreadable notebook copy)
        payload = {"error": error(-1, exc)}
    if os.getpid() == pid:  # not a copy of this process forked by the notebook
        data = (cfg["nonce"] + json.dumps(payload, ensure_ascii=True) + cfg["nonce"] + "\n").encode()
        while data:
            data = data[os.write(answer, data):]
    os._exit(0)


if __name__ == "__main__":
    main()
