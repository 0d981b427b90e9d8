"""Benchmark of ``--scheduler``: the same work through a Dask cluster of two local workers
(``dask scheduler`` and two ``dask worker --nthreads 1``, started here on localhost) against
the local pool ``--jobs 2``, and the overhead (seconds and %).

    python bench/bench_dask.py [--students 1000] [--pdf-students 100] [--rounds 3]

Two pieces of work, each as the command a user runs (``python -m grader ...``, a fresh process,
a fresh OUT each run, so the figures include Python's start, the imports and, for the cluster,
connecting and checking the workers):

- static ``backprop grade`` of ``--students`` notebooks (right, rounded and blank answers);
- ``backprop generate --format toml,md,pdf`` for ``--pdf-students`` students.

Runs are paired, local then cluster, ``--rounds`` times; the medians are printed (the machine is
shared: paired runs in turns cancel most of the drift). The cluster's start-up (seconds, once) is
printed apart. Both sides check that they wrote the same files.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def start_cluster(folder: Path) -> tuple[str, list[subprocess.Popen]]:
    """A scheduler and two one-thread workers (each in a session of its own); their address."""
    procs: list[subprocess.Popen] = []
    file = folder / "scheduler.json"

    def start(*args: str, log: str) -> None:
        with open(folder / f"{log}.log", "wb") as out:
            procs.append(subprocess.Popen([sys.executable, "-m", "dask", *args], stdout=out, stderr=out,
                                          env=env(), cwd=folder, start_new_session=True))

    start("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", str(file),
          "--idle-timeout", "600", log="scheduler")
    while not (file.exists() and file.stat().st_size):
        time.sleep(0.05)
    address = json.loads(file.read_text())["address"]
    for name in ("w1", "w2"):
        start("worker", address, "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1", "--name", name,
              "--death-timeout", "60", log=name)
    from distributed import Client

    with Client(address, timeout=60, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=120)
    return address, procs


def stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()


def make_class(work: Path, n: int) -> tuple[Path, Path]:
    from grader.batch.demo_class import fill
    from grader.family import load_family
    from grader.generator import generate_variants
    from grader.key import key_document
    from grader.render.notebook import notebook_handout
    from grader.roster import numbered_roster

    family = load_family("2-2-1-threshold")
    variants = generate_variants(family, numbered_roster(n), b"bench", "bench", 2)
    key = work / "key.json"
    key.write_text(json.dumps(key_document(variants, family, "bench")))
    subs = work / "subs"
    subs.mkdir()
    old = time.time() - 3600  # submissions downloaded an hour ago
    for i, v in enumerate(variants):
        trace = v.trace()
        values = {} if i % 7 == 0 else {q: f"{trace.value(q):.4f}" if i % 3 else repr(trace.value(q))
                                        for q in v.asked}
        path = subs / f"{v.student}.ipynb"
        path.write_text(fill(notebook_handout(v), values))
        os.utime(path, (old, old))
    return key, subs


def timed(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env())
    return time.perf_counter() - t


def files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and ".cache" not in p.parts}


def paired(name: str, work: Path, local: list[str], cluster: list[str], rounds: int) -> None:
    """``local`` and ``cluster`` (each ending in ``--out``) in turns, a fresh OUT each run."""
    times: dict[str, list[float]] = {"local": [], "cluster": []}
    last: dict[str, Path] = {}
    for r in range(rounds):
        for side, cmd in (("local", local), ("cluster", cluster)):
            out = work / f"{name}-{side}-{r}"
            os.sync()
            times[side].append(timed([*cmd, str(out)]))
            last[side] = out
    same = files(last["local"]) == files(last["cluster"])
    a, b = statistics.median(times["local"]), statistics.median(times["cluster"])
    print(f"{name}: local --jobs 2 {a:.2f} s, Dask cluster of 2 workers {b:.2f} s (medians of {rounds}); "
          f"overhead {b - a:+.2f} s ({(b - a) / a:+.0%}); same files: {same}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=1000)
    ap.add_argument("--pdf-students", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-dask-"))
    procs: list[subprocess.Popen] = []
    try:
        key, subs = make_class(work, args.students)
        t = time.perf_counter()
        address, procs = start_cluster(work)
        print(f"cluster start-up (scheduler and two workers connected): {time.perf_counter() - t:.1f} s")
        py = [sys.executable, "-m", "grader"]
        paired(f"static grade, {args.students} notebooks", work,
               [*py, "grade", str(key), str(subs), "--jobs", "2", "--out"],
               [*py, "grade", str(key), str(subs), "--scheduler", address, "--out"], args.rounds)
        secret = work / "secret"
        secret.write_text("bench-dask-secret-0123456789")
        gen = [*py, "generate", "2-2-1-threshold", "--count", str(args.pdf_students),
               "--format", "toml,md,pdf", "--secret-file", str(secret)]
        paired(f"generate toml,md,pdf, {args.pdf_students} students", work, [*gen, "--jobs", "2", "--out"],
               [*gen, "--scheduler", address, "--out"], args.rounds)
    finally:
        stop(procs)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
