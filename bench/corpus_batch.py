"""The batch part of the attack corpus (:mod:`attack_corpus`): the whole corpus graded in one
``backprop grade`` process beside five valid submissions, compared with a run of the valid
submissions alone. Every file the batch lists must get its row (its own: the row's results
name the file), no file's row may be the batch's catch-all for an unexpected exception
("could not be graded (ValueError: ...)": a traceback anywhere else), and the valid
students' rows, results and feedback must not change.
"""

from __future__ import annotations

import csv
import errno
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def python_env() -> dict[str, str]:
    """The environment of a subprocess that imports this checkout's ``grader``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _grade(manifest: dict[str, Any], paths: list[str], out: Path, timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "grader", "grade", manifest["key"], *paths, "--out", str(out), "--jobs", "2"]
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=python_env())
    except subprocess.TimeoutExpired:
        return {"hang": True, "seconds": timeout}
    rows = {}
    if (out / "gradebook.csv").exists():
        with open(out / "gradebook.csv", newline="") as fh:
            rows = {r["student"]: r for r in csv.DictReader(fh)}
    return {
        "hang": False,
        "exit": proc.returncode,
        "stderr": proc.stderr,
        "rows": rows,
        "seconds": round(time.perf_counter() - start, 2),
    }


def _loops(path: Path) -> bool:
    """A symlink loop: a name a batch lists that cannot be read (it must get an error row)."""
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno == errno.ELOOP
    return False


def _outputs(out: Path, student: str) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob(f"*/{student}.*"))}


def run_batch(manifest: dict[str, Any], dest: str | Path, timeout: float = 120.0) -> dict[str, Any]:
    """Grade the valid submissions alone, then with the whole corpus, in one batch each; return
    the problems found (a list of strings) and what was measured."""
    dest = Path(dest)
    alone, together = dest / "graded-valid", dest / "graded-all"
    for out in (alone, together):  # (a rerun would reuse the journal of the last)
        shutil.rmtree(out, ignore_errors=True)
    a = _grade(manifest, manifest["valid"], alone, timeout)
    b = _grade(manifest, manifest["valid"] + manifest["folders"], together, timeout)
    problems = []
    for label, run in (("valid alone", a), ("with the corpus", b)):
        if run["hang"]:
            problems.append(f"grade {label}: hang: no end within {timeout:g} s")
            continue
        if "Traceback" in run["stderr"] or run["exit"] not in (0, 1):
            problems.append(f"grade {label}: exit {run['exit']}: {run['stderr'][-500:]}")
    if not problems:
        for raw in manifest["cases"]:
            path = Path(raw["path"])
            if path.suffix not in (".toml", ".ipynb") or not (raw["regular"] or _loops(path)):
                continue  # (a folder is searched, a dangling symlink is no file: neither is a row)
            row = b["rows"].get(path.stem)
            if row is None:
                problems.append(f"{path.name}: no row in the gradebook")
                continue
            try:
                result = json.loads((together / "results" / f"{path.stem}.json").read_text())
            except (OSError, ValueError) as exc:
                problems.append(f"{path.name}: no readable results file ({exc})")
                continue
            if "could not be graded (" in str(result.get("message")):  # the batch's catch-all
                problems.append(f"{path.name}: an exception reached the batch: {result['message'][-200:]}")
            if os.path.basename(str(result.get("file"))) != path.name:
                problems.append(f"{path.name}: its row is {row['status']} from {result.get('file')!r}")
        for path in manifest["valid"]:
            sid = Path(path).stem
            if a["rows"].get(sid) != b["rows"].get(sid):
                problems.append(
                    f"{sid}: graded {a['rows'].get(sid)} alone, {b['rows'].get(sid)} with the corpus"
                )
            elif _outputs(alone, sid) != _outputs(together, sid):
                problems.append(f"{sid}: results or feedback differ with the corpus")
    statuses: dict[str, int] = {}
    for row in (b.get("rows") or {}).values():
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
    return {"problems": problems, "seconds": [a.get("seconds"), b.get("seconds")], "statuses": statuses}
