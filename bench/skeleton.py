"""The least any batch grader with these outputs can do, as a second floor for bench_grade.py.

Per notebook: ``json.load`` it, pull ``<id> = <number>`` lines out of its code cells with one
regular expression, compare each number with the key's stored answer (a fixed tolerance, no
derivation, no diagnosis), and write what ``backprop grade`` writes: a results JSON of an item
per quantity, a feedback Markdown table, and a file the size of the picture, in ``jobs``
processes; then a gradebook. It solves nothing, explains nothing and draws nothing, so its
time is what reading, parsing and writing the same files costs on this machine.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import time
from collections.abc import Sequence

_LINE = re.compile(r"^([A-Za-z_]\w*) = (\S+)$", re.MULTILINE)
_PICTURE = "<svg>" + "." * 5600 + "</svg>\n"  # about the size of the net's picture

_answers: dict[str, dict[str, float]] = {}
_out = ""


def _write(path: str, text: str) -> None:
    tmp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, text.encode())
    os.close(fd)
    os.replace(tmp, path)


def _one(path: str) -> tuple[str, float]:
    with open(path, "rb") as fh:
        nb = json.load(fh)
    student = nb["metadata"]["backprop"]["student"]
    source = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    given = dict(_LINE.findall(source))
    items = []
    for qid, exact in _answers[student].items():
        try:
            ok = abs(float(given.get(qid, "")) - exact) <= 1e-4 + 1e-3 * abs(exact)
        except ValueError:
            ok = False
        items.append({"id": qid, "verdict": "correct" if ok else "incorrect", "points": int(ok),
                      "max_points": 1, "given": given.get(qid), "misconception": None, "message": ""})
    score = sum(i["points"] for i in items)
    table = "".join(f"| `{i['id']}` | {i['given']} | {i['verdict']} | {i['points']} / 1 |\n" for i in items)
    _write(os.path.join(_out, "feedback", f"{student}.md"),
           f"# Feedback for {student}\n\n"
           f"| quantity | your answer | verdict | points |\n|---|---|---|---|\n{table}")
    _write(os.path.join(_out, "feedback", f"{student}.svg"), _PICTURE)
    _write(os.path.join(_out, "results", f"{student}.json"),
           json.dumps({"score": score, "max_score": len(items), "items": items, "student": student}))
    return student, score


def least_grader(key_path: str, files: Sequence[str], out: str, jobs: int) -> None:
    """Grade ``files`` the least possible way (see the module's docstring) into ``out``."""
    global _answers, _out
    with open(key_path, "rb") as fh:
        _answers = {s: e["answers"] for s, e in json.load(fh)["students"].items()}
    _out = out
    for sub in ("results", "feedback"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        rows = pool.map(_one, files, chunksize=32)
    _write(os.path.join(out, "gradebook.csv"), "".join(f"{s},{score}\n" for s, score in rows))


def timed(key_path: str, files: Sequence[str], out: str, jobs: int) -> float:
    os.sync()
    t = time.perf_counter()
    least_grader(key_path, files, out, jobs)
    return time.perf_counter() - t
