"""Grading and generating on a real Dask cluster (``--scheduler``, issue 15): a scheduler and two
workers started here on localhost give the same outputs as a local run, also when a worker is
killed mid-batch or a file kills every worker that grades it; workers unlike this machine, and a
machine without ``distributed``, get one clear error line.

The workers run under a nanny (``dask worker``'s default), as a real deployment's do: the nanny
restarts a worker that the out-of-memory killer (here, SIGKILL) ended, which is what lets a file
that kills its workers end as its own error row (``KilledWorker``) instead of emptying the
cluster. Every process is started in a session of its own and killed, whole, at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from courses import SECRET, blank, course, right

from grader.batch import run as batch
from grader.batch import worker
from grader.cli import cli

distributed = pytest.importorskip("distributed")  # (in the test extras: CI has it)
import dask  # noqa: E402 (with distributed)

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
#: the workers kill themselves on a file under a folder of this name (grader.batch.worker.KILL_HOOK)
POISON = f"{os.sep}poison{os.sep}"


class LocalCluster:
    """A ``dask scheduler`` and ``dask worker`` processes on localhost (random ports)."""

    def __init__(self, folder: Path, env: dict[str, str] | None = None) -> None:
        self.folder, self.procs, self.workers = folder, [], {}
        self.env = dict(os.environ, **(env or {}))
        file = folder / "scheduler.json"
        self._start(["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                     "--scheduler-file", str(file), "--idle-timeout", "300"], "scheduler",
                    # a task that killed two workers is KilledWorker (the default: four)
                    DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="1")
        deadline = time.monotonic() + 60
        while not (file.exists() and file.stat().st_size):
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.05)
        self.address = json.loads(file.read_text())["address"]
        self.client = distributed.Client(self.address, timeout=30, set_as_default=False)

    def _start(self, args: list[str], log: str, **env: str) -> subprocess.Popen:
        with open(self.folder / f"{log}.log", "ab") as out:
            proc = subprocess.Popen([sys.executable, "-m", "dask", *args], stdout=out, stderr=out,
                                    env=dict(self.env, **env), cwd=self.folder, start_new_session=True)
        self.procs.append(proc)
        return proc

    def add_worker(self, name: str, env: dict[str, str] | None = None) -> None:
        self.workers[name] = self._start(["worker", self.address, "--nthreads", "1", "--no-dashboard",
                                          "--host", "127.0.0.1", "--name", name, "--death-timeout", "60"],
                                         name, **(env or {}))

    def wait(self, n: int) -> None:
        self.client.wait_for_workers(n, timeout=90)

    def ensure(self, names: list[str], env: dict[str, str] | None = None) -> None:
        """Workers ``names`` running (started again if killed) and connected."""
        for name in names:
            if name not in self.workers or self.workers[name].poll() is not None:
                self.add_worker(name, env)
        deadline = time.monotonic() + 90
        while len(self.client.nthreads()) < len(names):
            assert time.monotonic() < deadline, "the workers did not connect"
            time.sleep(0.1)

    def kill(self, proc: subprocess.Popen) -> None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # (the worker and its nanny: a machine lost)
        except ProcessLookupError:
            pass
        proc.wait()

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            for proc in self.procs:
                self.kill(proc)


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    cluster = LocalCluster(tmp_path_factory.mktemp("dask"))
    try:
        cluster.ensure(["w1", "w2"], {worker.KILL_HOOK: POISON})
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def two_workers(dask_cluster):
    dask_cluster.ensure(["w1", "w2"], {worker.KILL_HOOK: POISON})
    return dask_cluster


def outputs(out: Path) -> dict[str, bytes]:
    """Every output file but the cache, by relative path."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and ".cache" not in p.parts}


def a_class(tmp_path: Path, n: int):
    """A key for n students and their notebooks: right, blank, a wrong answer, and one file
    that is not a notebook at all (an error row)."""
    key, subs, vs = course(tmp_path, n)
    t = time.time() - 3600
    for i, (sid, v) in enumerate(sorted(vs.items())):
        path = subs / f"{sid}.ipynb"
        if i == 3:
            path.write_text("{ not json")
        elif i % 4 == 1:
            path.write_text(blank(v))
        else:
            text = right(v)
            path.write_text(text.replace("o_C = ", "o_C = 0.5 # ", 1) if i % 4 == 2 else text)
        os.utime(path, (t, t))
    return key, subs, vs


def test_a_class_graded_on_the_cluster_gives_the_local_outputs_and_journal(two_workers, tmp_path):
    """Results, feedback, gradebook and summaries byte for byte as a local run's; the journal is
    this machine's, so a rerun after a change regrades only the changed file, also on the cluster."""
    key, subs, vs = a_class(tmp_path, 24)
    local = batch.grade_batch(str(key), [str(subs)], str(tmp_path / "local"), jobs=1)
    remote = batch.grade_batch(str(key), [str(subs)], str(tmp_path / "remote"),
                               scheduler=two_workers.address)
    assert [r.student for r in remote.rows] == sorted(vs)
    assert [r.status for r in remote.rows] == [r.status for r in local.rows]
    assert sum(r.status == "error" for r in remote.rows) == 1
    assert outputs(tmp_path / "remote") == outputs(tmp_path / "local")
    assert list((tmp_path / "remote" / ".cache").glob("journal-*.jsonl"))  # written here
    changed = subs / f"{sorted(vs)[5]}.ipynb"
    changed.write_text(right(vs[sorted(vs)[5]]))
    again = batch.grade_batch(str(key), [str(subs)], str(tmp_path / "remote"), scheduler=two_workers.address)
    assert (again.regraded, again.reused) == (1, 23)
    batch.grade_batch(str(key), [str(subs)], str(tmp_path / "local"), jobs=1)
    assert outputs(tmp_path / "remote") == outputs(tmp_path / "local")


def test_a_worker_killed_mid_batch_loses_no_student(two_workers, tmp_path):
    """A worker and its nanny killed (SIGKILL: a machine lost) while it holds work: the
    scheduler gives that work to the other worker; every student gets exactly one row and the
    outputs are a local run's."""
    key, subs, vs = a_class(tmp_path, 40)
    batch.grade_batch(str(key), [str(subs)], str(tmp_path / "local"), jobs=1)
    pids = two_workers.client.run(os.getpid)  # worker address -> its process
    killed = []

    def progress(n: int) -> None:  # (here, as each chunk's outputs are written)
        if killed:
            return
        busy = [w for w, keys in two_workers.client.processing().items() if keys and w in pids]
        if busy:
            victim = next(p for p in two_workers.workers.values() if p.pid == os.getpgid(pids[busy[0]]))
            two_workers.kill(victim)
            killed.append(busy[0])

    outcome = batch.grade_batch(str(key), [str(subs)], str(tmp_path / "remote"),
                                scheduler=two_workers.address, jobs=4, progress=progress)
    assert killed, "no worker held work to be killed"
    assert [r.student for r in outcome.rows] == sorted(vs)  # exactly one row each
    assert outputs(tmp_path / "remote") == outputs(tmp_path / "local")
    assert len(two_workers.client.nthreads()) == 1  # (the work was done without it)


def test_a_file_that_kills_every_worker_gets_an_error_row_and_the_others_their_grades(two_workers, tmp_path):
    """A file whose workers die each time (the nannies start them again) ends as its own error row
    with the reason after the scheduler's allowed failures; the other files, also those that were
    on a worker when it died, are graded as in a local run, and the next run tries it again."""
    key, subs, vs = a_class(tmp_path, 6)
    victim = sorted(vs)[4]
    (subs / "poison").mkdir()
    (subs / f"{victim}.ipynb").rename(subs / "poison" / f"{victim}.ipynb")
    batch.grade_batch(str(key), [str(subs)], str(tmp_path / "local"), jobs=1)
    # (several files in flight: those a dying worker held are suspects too, cleared when run alone)
    outcome = batch.grade_batch(str(key), [str(subs)], str(tmp_path / "remote"),
                                scheduler=two_workers.address, jobs=4)
    assert [r.student for r in outcome.rows] == sorted(vs)
    bad = {r.student: r for r in outcome.rows if r.status == "error" and "died" in r.message}
    assert list(bad) == [victim]
    assert ("could not be graded: the process grading it died (killed 2 Dask workers in turn, the last "
            "tcp://") in bad[victim].message
    got, want = outputs(tmp_path / "remote"), outputs(tmp_path / "local")
    mine = {k for k in want if Path(k).stem == victim} | {"gradebook.csv", "summary.md", "summary.json"}
    assert {k: v for k, v in got.items() if k not in mine} == {k: v for k, v in want.items() if k not in mine}
    assert json.loads((tmp_path / "remote" / "results" / f"{victim}.json").read_text())["status"] == "error"
    two_workers.ensure(["w1", "w2"])
    (subs / "poison" / f"{victim}.ipynb").rename(subs / f"{victim}.ipynb")
    again = batch.grade_batch(str(key), [str(subs)], str(tmp_path / "remote"), scheduler=two_workers.address)
    assert again.regraded >= 1
    batch.grade_batch(str(key), [str(subs)], str(tmp_path / "local"), jobs=1)
    assert outputs(tmp_path / "remote") == outputs(tmp_path / "local")


def test_executed_notebooks_run_in_the_workers_sandbox_with_the_local_verdicts(two_workers, tmp_path):
    """``--execute`` on the cluster: each notebook runs in bubblewrap on the worker, from the bytes
    sent; values, verdicts and an error's message (the file's own path) as in a local run."""
    key, subs, vs = course(tmp_path, 3)
    for i, (sid, v) in enumerate(sorted(vs.items())):
        nb = json.loads(right(v))
        if i == 2:  # a notebook that fails when run
            nb["cells"].append({"cell_type": "code", "metadata": {}, "source": "1/0", "outputs": [],
                                "execution_count": None, "id": "boom"})
        (subs / f"{sid}.ipynb").write_text(json.dumps(nb))
    options = batch.Options(execute=True)
    batch.grade_batch(str(key), [str(subs)], str(tmp_path / "local"), options=options, jobs=1)
    remote = batch.grade_batch(str(key), [str(subs)], str(tmp_path / "remote"), options=options,
                               scheduler=two_workers.address)
    assert [r.status for r in remote.rows] == ["graded", "graded", "error"]
    assert remote.rows[2].message.startswith(str(subs / f"{sorted(vs)[2]}.ipynb"))
    assert outputs(tmp_path / "remote") == outputs(tmp_path / "local")


def journalled(out: Path) -> int:
    """How many files the journal of OUT has recorded (whole lines)."""
    return sum(seg.read_bytes().count(b"\n") for seg in (out / ".cache").glob("journal-*.jsonl"))


def test_a_client_killed_mid_run_resumes_as_a_local_run(two_workers, tmp_path):
    """``backprop grade --scheduler`` killed (SIGKILL) after some students' outputs are written:
    the journal is this machine's, so the next run grades only the rest, and OUT ends as a local
    run's (each notebook is executed, so the run lasts long enough to be killed in the middle)."""
    key, subs, vs = course(tmp_path, 16)
    for sid, v in vs.items():
        (subs / f"{sid}.ipynb").write_text(right(v))
    options = batch.Options(execute=True)
    batch.grade_batch(str(key), [str(subs)], str(tmp_path / "local"), options=options, jobs=1)
    out = tmp_path / "remote"
    proc = subprocess.Popen([sys.executable, "-m", "grader", "grade", str(key), str(subs), "--out", str(out),
                             "--execute", "--scheduler", two_workers.address], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    try:
        deadline = time.monotonic() + 120
        while journalled(out) < 2:  # (a student's outputs are written before its journal line)
            assert proc.poll() is None and time.monotonic() < deadline, "no results came"
            time.sleep(0.005)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert not (out / "gradebook.csv").exists()  # (killed in the middle)
    written = journalled(out)
    again = batch.grade_batch(str(key), [str(subs)], str(out), options=options, scheduler=two_workers.address)
    assert [r.student for r in again.rows] == sorted(vs)
    assert again.reused >= 2 and again.regraded <= 16 - 2 and again.regraded + again.reused == 16, written
    assert outputs(out) == outputs(tmp_path / "local")


def test_generated_handouts_pdfs_and_key_equal_a_local_generate(two_workers, tmp_path, runner):
    """``backprop generate --scheduler``: handouts (toml, md, pdf), solutions and key byte for byte
    as a local generate's with the same secret."""
    secret = tmp_path / "secret"
    secret.write_bytes(SECRET * 4)
    common = ["generate", "2-2-1-threshold", "--count", "5", "--format", "toml,md,pdf",
              "--secret-file", str(secret)]
    done = runner.invoke(cli, [*common, "--out", str(tmp_path / "local"), "--jobs", "1"])
    assert done.exit_code == 0, done.output
    done = runner.invoke(cli, [*common, "--out", str(tmp_path / "remote"),
                               "--scheduler", two_workers.address])
    assert done.exit_code == 0, done.output
    got = outputs(tmp_path / "remote")
    assert sum(k.endswith(".pdf") for k in got) == 10  # a handout and a solution each
    assert got == outputs(tmp_path / "local")


def test_workers_running_other_code_are_refused_with_one_line(tmp_path, runner):
    """A worker whose backprop-grader differs from this machine's (here: one template changed)
    is named in one error line that says what to install; nothing is graded."""
    other = tmp_path / "other"
    for name in ("grader", "problems", "templates"):
        shutil.copytree(ROOT / name, other / name, ignore=shutil.ignore_patterns("__pycache__"))
    (other / "templates" / "feedback.md.j2").write_text("changed\n")
    odd = LocalCluster(tmp_path)
    try:
        odd.add_worker("odd", {"PYTHONPATH": str(other)})
        odd.wait(1)
        key, subs, vs = course(tmp_path, 2)
        (subs / "student01.ipynb").write_text(right(vs["student01"]))
        done = runner.invoke(cli, ["grade", str(key), str(subs), "--out", str(tmp_path / "out"),
                                   "--scheduler", odd.address])
    finally:
        odd.close()
    assert done.exit_code == 2
    assert done.output.startswith("Error: the Dask worker tcp://127.0.0.1:")
    assert "runs backprop-grader 0.1.0+" in done.output
    assert "install the same backprop-grader on every worker" in done.output
    assert len(done.output.strip().splitlines()) == 1
    assert not (tmp_path / "out" / "gradebook.csv").exists()


def test_no_scheduler_there_is_one_line(runner, tmp_path):
    key, subs, _ = course(tmp_path, 1)
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        done = runner.invoke(cli, ["grade", str(key), str(subs), "--out", str(tmp_path / "out"),
                                   "--scheduler", "tcp://127.0.0.1:9"])
    assert done.exit_code == 2
    assert done.output.startswith(
        "Error: --scheduler: cannot reach the Dask scheduler at tcp://127.0.0.1:9 (")
    assert len(done.output.strip().splitlines()) == 1


@pytest.mark.parametrize("address", ["foo", "tcp://foo", "tcp://h:notaport", "tcp://:8786"])
def test_a_malformed_address_is_one_line_at_once(tmp_path, address):
    """(A client made on such an address waits 20 s when collected, then prints a traceback.)"""
    key, subs, _ = course(tmp_path, 1)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "grader", "grade", str(key), str(subs), "--out",
                           str(tmp_path / "out"), "--scheduler", address],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"Error: --scheduler: {address!r} is not a Dask scheduler's address; give the one `dask scheduler` "
        "prints, tcp://HOST:PORT (for example tcp://10.0.0.5:8786)"]
    assert time.monotonic() - started < 15


@pytest.mark.parametrize("command", ["grade", "generate"])
def test_without_distributed_scheduler_names_the_pip_command(runner, tmp_path, monkeypatch, command):
    monkeypatch.setitem(sys.modules, "distributed", None)  # (import distributed raises ImportError)
    args = {"grade": ["grade", str(tmp_path / "key.json"), str(tmp_path)],
            "generate": ["generate", "2-2-1-threshold", "--count", "2"]}[command]
    done = runner.invoke(cli, [*args, "--out", str(tmp_path / "out"), "--scheduler", "tcp://127.0.0.1:8786"])
    assert done.exit_code == 2
    assert done.output == ("Error: --scheduler needs Dask's distributed package, which is not installed "
                           "here; install it with: pip install 'distributed>=2024.1'\n")


def test_every_task_checks_the_workers_code_against_the_clients():
    """A worker that joins after the check made when connecting is refused by its first task."""
    from grader import cluster

    with pytest.raises(cluster.Mismatch, match=r"runs backprop-grader [^ ]+, this machine 9\.9\.9\+other; "):
        cluster._call(len, None, [], "9.9.9+other")
    assert cluster._call(lambda shared, chunk: [shared, *chunk], 1, [2], cluster.fingerprint()) == [1, 2]
