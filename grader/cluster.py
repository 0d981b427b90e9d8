"""Work on a Dask cluster (``--scheduler tcp://HOST:PORT``): the per-file work of ``backprop
grade`` and the per-student work of ``backprop generate`` on the workers of a running Dask
``distributed`` scheduler, instead of this machine's worker processes (:mod:`grader.parallel`).

Policy (issue 15):

- **This process keeps OUT.** A task gets what it needs as data (a submission's bytes) and
  returns its results as data (a journal entry, the files' bytes); nothing on a worker reads or
  writes the instructor's files, so the workers need no shared file system, and this process
  writes the outputs and the journal as a one-process local run does (a kill loses nothing).
- **What every task shares goes once.** The key and the options (or generate's drawing
  function) are one task of their own (:meth:`Cluster.shared`), whose result the workers fetch
  from one another; the scheduler holds it and computes it again should every worker that held
  it die (scattered data would then be lost for good).
- **The same code everywhere.** Every worker must run this backprop-grader: its version and a
  hash of its code, templates and families (:func:`fingerprint`), and for PDFs the same typst,
  for ``--execute`` a working sandbox. Checked for the workers there when connecting, and by
  every task (a worker may join later): a difference stops the run with one line that says what
  to install.
- **A worker that dies** (the out-of-memory killer, a lost machine): Dask gives its tasks to
  another. A chunk that has killed more workers than the scheduler's
  ``distributed.scheduler.allowed-failures`` (``KilledWorker``) runs again item by item, and an
  item that does it alone gets ``died(item, reason)`` (its error row); everything else goes on.
- **In flight**: at most ``jobs`` tasks (``--jobs``; default twice the cluster's threads), each
  a chunk of items, so this process never holds more than that many chunks' bytes.
"""

from __future__ import annotations

import functools
import hashlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from .errors import BackpropError

T = TypeVar("T")
R = TypeVar("R")

#: what installs Dask's part where backprop-grader is (never the PyPI name backprop-grader, which
#: this project has not published: anyone could, and ``pip`` would install theirs)
INSTALL = "pip install 'distributed>=2024.1'"
#: how long to try to reach the scheduler at most (s; less when Dask's configuration says so)
CONNECT_TIMEOUT = 10.0
#: how long to wait for a first worker when connecting (s)
WAIT_FOR_WORKERS = 15.0


class ClusterError(BackpropError):
    """The cluster cannot do the work: unreachable, no workers, or workers unlike this machine."""


def require_distributed() -> Any:
    """The ``distributed`` module, or the one-line error naming the command that installs it."""
    try:
        import distributed
    except ImportError:
        raise ClusterError(f"--scheduler needs Dask's distributed package, which is not installed here; "
                           f"install it with: {INSTALL}") from None
    return distributed


# --------------------------------------------------------------------------- the same code


@functools.cache
def fingerprint() -> str:
    """``<version>+<hash>``: this backprop-grader's version and a hash of its code, templates and
    families (two installs of one version from different checkouts differ)."""
    from . import __version__
    from .resources import problems_dir, templates_dir

    h = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for label, folder, suffixes in (("code", package, (".py",)), ("templates", templates_dir(), None),
                                    ("problems", problems_dir(), None)):
        for p in sorted(folder.rglob("*")):
            rel = p.relative_to(folder)
            if not p.is_file() or "__pycache__" in rel.parts or (suffixes and p.suffix not in suffixes):
                continue
            if label == "code" and rel.parts[0] in ("problems", "templates"):  # (inside a wheel)
                continue
            h.update(f"{label}/{rel.as_posix()}\0".encode())
            h.update(hashlib.sha256(p.read_bytes()).digest())
    return f"{__version__}+{h.hexdigest()[:12]}"


def _typst() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("typst")
    except PackageNotFoundError:
        return None


def probe(sandbox: str | None = None) -> dict[str, Any]:
    """On a worker: what the checks compare (:func:`fingerprint`, typst's version, and why
    ``sandbox`` cannot run there, None when it can)."""
    reason = None
    if sandbox is not None:
        from .notebooks.sandbox import require

        try:
            require(sandbox)
        except BackpropError as exc:
            reason = exc.message
    return {"code": fingerprint(), "typst": _typst(), "sandbox": reason}


class Mismatch(ClusterError):
    """A worker runs another backprop-grader than this machine."""


def _same_code(code: str, where: str, mine: str | None = None) -> None:
    """Refuse the worker at ``where`` whose code is ``code`` (``mine``: the client's, when this
    runs on the worker; the worker's own is then :func:`fingerprint`)."""
    theirs, ours = (fingerprint(), mine) if mine is not None else (code, fingerprint())
    if theirs != ours:
        raise Mismatch(f"the Dask worker {where} runs backprop-grader {theirs}, this machine {ours}; "
                       "install the same backprop-grader on every worker (and restart them)")


def _check(found: dict[str, Any], *, pdf: bool, sandbox: str | None) -> None:
    """Refuse workers unlike this machine (``found``: :func:`probe` or its exception, by worker)."""
    for where, got in sorted(found.items()):
        if isinstance(got, BaseException):  # (cannot even unpickle the probe: grader missing there)
            raise Mismatch(f"the Dask worker {where} cannot run backprop-grader "
                           f"({type(got).__name__}: {' '.join(str(got).split())[:120]}); install "
                           f"backprop-grader {fingerprint().split('+')[0]} (the same as here) on every "
                           "worker")
        _same_code(got["code"], where)
        if pdf and got["typst"] != _typst():
            raise Mismatch(f"the Dask worker {where} has typst {got['typst'] or '(none)'}, this machine "
                           f"{_typst()}; PDFs need the same typst on every worker (pip install "
                           f"typst=={_typst()})")
        if got["sandbox"]:
            raise ClusterError(f"the Dask worker {where}: {got['sandbox']}")


# --------------------------------------------------------------------------- on a worker


def _here() -> str:
    """This worker's address."""
    from distributed import get_worker

    try:
        return get_worker().address
    except ValueError:
        return "(not a worker)"


def _shared(value: T, code: str) -> T:
    """A run's shared value, on the worker that computes it."""
    _same_code(code, _here(), mine=code)
    return value


def _call(fn: Callable[[Any, list[T]], list[R]], shared: Any, chunk: list[T], code: str) -> list[R]:
    """One task: ``fn(shared, chunk)``, on a worker running the client's code (``code``)."""
    _same_code(code, _here(), mine=code)
    return fn(shared, chunk)


def _apply(fn: Callable[[T], R], chunk: list[tuple[int, T]]) -> list[tuple[int, R]]:
    return [(i, fn(x)) for i, x in chunk]


# --------------------------------------------------------------------------- the client


class Cluster:
    """A connection to a Dask scheduler whose workers passed the checks (:func:`connect`)."""

    def __init__(self, client: Any, address: str, jobs: int | None) -> None:
        self.client, self.address = client, address
        self.threads = max(1, sum(client.nthreads().values()))
        self.inflight = jobs or 2 * self.threads

    def shared(self, value: Any) -> Any:
        """``value`` as a future every task of the run may take (see the module)."""
        return self.client.submit(_shared, value, fingerprint(), pure=False)

    def run(self, fn: Callable[[Any, list[T]], list[R]], chunks: Iterable[list[T]], *, shared: Any = None,
            died: Callable[[T, str], R]) -> Iterator[list[R]]:
        """``fn(shared, chunk)`` on the workers for every chunk (taken from ``chunks`` as slots free
        up), results as they come; ``shared``: a :meth:`shared` future (the workers get its value).
        Chunks that killed their workers run again item by item, each alone on the cluster (as the
        local pool's one-by-one); an item that kills its workers then gives ``died(item, reason)``.
        Any other exception of ``fn`` ends the run here."""
        distributed = require_distributed()
        from distributed.scheduler import KilledWorker

        todo = iter(chunks)
        again: deque[list[T]] = deque()  # suspects: the items of chunks whose workers died
        pending: dict[Any, list[T]] = {}
        alone: set[Any] = set()  # (a suspect's future)
        done = distributed.as_completed(loop=self.client.loop)

        def submit(chunk: list[T]) -> Any:
            f = self.client.submit(_call, fn, shared, chunk, fingerprint(), pure=False)
            pending[f] = chunk
            done.add(f)
            return f

        try:
            while True:
                # a suspect runs alone, nothing else in flight: a worker that dies then was killed by
                # it (the scheduler counts a death against every task the worker held)
                if again and not pending:
                    alone.add(submit(again.popleft()))
                elif not again and not alone:
                    while len(pending) < self.inflight and (chunk := next(todo, None)) is not None:
                        submit(chunk)
                if not pending:
                    return
                f = next(done)
                chunk = pending.pop(f)
                suspect = f in alone
                alone.discard(f)
                try:
                    result = f.result()
                except KilledWorker as exc:
                    if not suspect:
                        again.extend([item] for item in chunk)
                        continue
                    result = [died(chunk[0], _killed(exc))]
                finally:
                    f.release()
                yield result
        finally:
            if pending:
                self.client.cancel(list(pending))

    def imap(self, fn: Callable[[T], R], items: Sequence[T], **_: Any) -> Iterator[R]:
        """``map(fn, items)`` on the workers, each result as soon as it and those before it are
        done (:func:`grader.parallel.imap`'s contract, its ``jobs`` and ``preload`` ignored). An
        item whose workers die raises :class:`~grader.parallel.WorkerDied`."""
        from .parallel import WorkerDied

        numbered = list(enumerate(items))
        size = max(1, min(16, len(numbered) // (self.threads * 8)))
        chunks = [numbered[i:i + size] for i in range(0, len(numbered), size)]

        def died(item: tuple[int, T], reason: str) -> tuple[int, R]:
            raise WorkerDied(f"the Dask workers died on the same work ({reason}); see their logs")

        results: dict[int, R] = {}
        following = 0
        for chunk in self.run(_apply, chunks, shared=self.shared(fn), died=died):
            results.update(chunk)
            while following in results:
                yield results.pop(following)
                following += 1


def _killed(exc: BaseException) -> str:
    try:
        return f"killed {exc.allowed_failures + 1} Dask workers in turn, the last {exc.last_worker.address}"
    except AttributeError:
        return "killed its Dask workers"


def _check_address(address: str) -> None:
    """One error line for an address Dask cannot parse (before a client is made: a client whose
    address is malformed waits 20 s when it is collected, then prints a traceback)."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        if scheme in ("tcp", "tls", "ws", "wss"):
            host, _ = parse_host_port(location)
            if not host:
                raise ValueError("no host")
    except (ValueError, TypeError):
        raise ClusterError(f"--scheduler: {address!r} is not a Dask scheduler's address; give the one "
                           "`dask scheduler` prints, tcp://HOST:PORT (for example "
                           "tcp://10.0.0.5:8786)") from None


@contextmanager
def connect(address: str, *, jobs: int | None = None, pdf: bool = False,
            sandbox: str | None = None) -> Iterator[Cluster]:
    """A :class:`Cluster` on the scheduler at ``address`` whose workers run this code (and
    typst's version with ``pdf``, and can run ``sandbox``); closed at the end."""
    distributed = require_distributed()
    import dask
    from dask.utils import parse_timedelta

    limit = min(CONNECT_TIMEOUT, parse_timedelta(dask.config.get("distributed.comm.timeouts.connect")))
    _check_address(address)
    try:
        client = distributed.Client(address, timeout=limit, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(f"--scheduler: cannot reach the Dask scheduler at {address} "
                           f"({' '.join(str(exc).split())[:160]}); start one with `dask scheduler` and give "
                           "the address it prints (tcp://HOST:PORT)") from None
    try:
        try:
            client.wait_for_workers(1, timeout=WAIT_FOR_WORKERS)
        except TimeoutError:
            raise ClusterError(f"--scheduler: the Dask scheduler at {address} has no workers; start some "
                               f"with `dask worker {address}`") from None
        _check(client.run(probe, sandbox, on_error="return"), pdf=pdf, sandbox=sandbox)
        yield Cluster(client, address, jobs)
    finally:
        client.close()
