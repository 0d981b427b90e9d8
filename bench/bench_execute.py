"""Benchmark of ``backprop grade --execute`` against nbgrader's ``autograde``, side by side on the
same submissions.

    python bench/bench_execute.py [--counts 20 100] [--repeat 3] [--nbgrader-venv DIR]

For each count N it generates N notebooks of one family (2-2-1-threshold), a mix of right
answers (full precision), rounded ones (the asked 4 decimals), misconceived ones (every
derivative with its sign flipped), blank ones, and answers computed in code (the student's own
``sigmoid`` and sums: only running them gives the values). Then, in turns (``--repeat`` rounds,
medians printed), it times:

- ``python -m grader grade KEY SUBS --execute --jobs 1`` and the same with the default jobs
  (each notebook in a bubblewrap sandbox of its own);
- ``nbgrader autograde`` of the same problem on the same answers, in a course built by the
  bench: a source notebook with the givens, one autograded answer cell and one test cell per
  quantity (1 point each, the tolerance of the asked rounding; the expected values are looked up
  by each student's givens, since every student has a problem of their own), ``nbgrader
  generate_assignment``, and each submission placed in ``submitted/<student>/ps1/``.

nbgrader runs in a virtual environment of its own, made by the bench (``python -m venv``, ``pip
install nbgrader``) in ``--nbgrader-venv`` (kept between runs). When it cannot be installed or
run, the bench says why and prints the reference measured in an earlier session (1.42 to 1.53 s
per notebook), labelled as such. Both sides' scores are compared student by student (the
grader gives error-carried-forward credit that nbgrader's independent tests cannot, so the
misconceived notebooks may differ; the bench prints how many agree).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REFERENCE = "1.42 to 1.53 s per notebook (nbgrader autograde, measured in an earlier session, NOT this run)"
MIXES = {
    # what a class hands in: only the computed notebooks need running (the rest are read statically)
    "mixed": ("right", "rounded", "misconceived", "blank", "computed"),
    # every answer computed in code, so every notebook runs in a sandbox: right, rounded in code,
    # every derivative's sign flipped in code
    "computed": ("computed", "computed-rounded", "computed-misconceived"),
}


def answers(v, kind: str) -> dict[str, str]:
    trace = v.trace()
    if kind == "right":
        return {q: repr(trace.value(q)) for q in v.asked}
    if kind == "rounded":
        return {q: f"{trace.value(q):.4f}" for q in v.asked}
    if kind == "misconceived":
        return {q: repr(-trace.value(q) if q.startswith(("d", "delta")) else trace.value(q)) for q in v.asked}
    return {}


def make_class(work: Path, count: int, kinds: tuple[str, ...]):
    """The key, the submissions folder, and per student: (kind, the answer code, givens dict)."""
    from grader.batch.demo_class import _code_version, fill
    from grader.family import load_family
    from grader.generator import generate_variants
    from grader.key import key_document
    from grader.render.notebook import notebook_handout
    from grader.roster import numbered_roster

    family = load_family("2-2-1-threshold")
    variants = generate_variants(family, numbered_roster(count), b"bench-execute", "ps1", 1)
    key = work / "key.json"
    key.write_text(json.dumps(key_document(variants, family, "ps1")))
    subs = work / "subs"
    subs.mkdir()
    students = {}
    for i, v in enumerate(variants):
        kind = kinds[i % len(kinds)]
        handout = notebook_handout(v)
        if kind.startswith("computed"):
            text = _code_version(handout, v.instance, v.asked)
            nb = json.loads(text)
            if kind == "computed-rounded":
                nb["cells"][-1]["source"] += "".join(f"\n{q} = round({q}, 4)" for q in v.asked)
            elif kind == "computed-misconceived":
                nb["cells"][-1]["source"] += "".join(f"\n{q} = -{q}" for q in v.asked
                                                     if q.startswith(("d", "delta")))
            text = json.dumps(nb, indent=1, sort_keys=True) + "\n"
        else:
            text = fill(handout, answers(v, kind))
        (subs / f"{v.student}.ipynb").write_text(text)
        nb = json.loads(text)
        givens = answer = ""
        for cell in nb["cells"]:
            tags = cell.get("metadata", {}).get("tags", [])
            src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            if "givens" in tags:
                givens = src
            elif "answer" in tags:
                answer += src + "\n"
        students[v.student] = (kind, givens, answer, v)
    return key, subs, students


def with_bin(exe: Path) -> dict[str, str]:
    """The environment for nbgrader: its venv's bin first on PATH (it runs ``alembic`` from there)."""
    return dict(os.environ, PATH=f"{exe.parent}:{os.environ.get('PATH', '')}")


def timed(cmd: list[str], cwd: Path | None = None, env: dict | None = None) -> float:
    t = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True)
    took = time.perf_counter() - t
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])}... failed ({done.returncode}): "
                           f"{done.stderr.decode(errors='replace').strip()[:1500]}")
    return took


# --- nbgrader --------------------------------------------------------------------------------

def nbgrader_venv(folder: Path) -> Path:
    """The nbgrader command in its own virtual environment (made here when missing)."""
    exe = folder / "bin" / "nbgrader"
    if exe.exists():
        return exe
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True, capture_output=True)
    done = subprocess.run([str(folder / "bin" / "pip"), "install", "-q", "nbgrader"], capture_output=True)
    if done.returncode != 0 or not exe.exists():
        said = done.stderr.decode(errors="replace").strip().splitlines()
        raise RuntimeError(f"pip install nbgrader failed: {said[-1] if said else done.returncode}")
    return exe


def _cell(source: str, **nbgrader) -> dict:
    meta = {"nbgrader": {"schema_version": 3, **nbgrader}} if nbgrader else {}
    return {"cell_type": "code", "execution_count": None, "metadata": meta, "outputs": [],
            "source": source, "id": nbgrader.get("grade_id", "givens").replace("_", "-")}


def nbgrader_course(work: Path, students: dict) -> Path:
    """The course folder: source notebook, generated assignment, submissions in place."""
    course = work / "course"
    (course / "source" / "ps1").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'bench'\n"
        f"c.CourseDirectory.root = {str(course)!r}\nc.ExecutePreprocessor.timeout = 120\n")
    names = sorted(ln.split(" = ")[0] for ln in next(iter(students.values()))[1].splitlines()
                   if " = " in ln and not ln.startswith("#"))
    expected, ids = {}, []
    for _kind, _givens, _answer, v in students.values():
        g = {k: v for k, v in _exec(_givens).items() if k in names}
        trace = v.trace()
        expected[repr(tuple(round(float(g[n]), 9) for n in names))] = {q: trace.value(q) for q in v.asked}
        ids += [q for q in v.asked if q not in ids]
    head = (f"_NAMES = {names!r}\n_EXPECTED = {expected!r}\n"
            "_mine = _EXPECTED[repr(tuple(round(float(globals()[n]), 9) for n in _NAMES))]\n")
    cells = [_cell("x1 = 0  # the givens (each student's own)"),
             _cell("# YOUR ANSWERS\n### BEGIN SOLUTION\n### END SOLUTION", grade_id="answers", solution=True,
                   grade=False, locked=False),
             _cell(head, grade_id="expected", solution=False, grade=False, locked=True)]
    for q in ids:
        cells.append(_cell(f"if {q!r} in _mine:\n    assert abs(float({q}) - _mine[{q!r}]) <= 0.5e-4 + 1e-9",
                           grade_id=f"test_{q}", solution=False, grade=True, locked=True, points=1))
    nb = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                       "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    (course / "source" / "ps1" / "ps1.ipynb").write_text(json.dumps(nb))
    return course


def _exec(source: str) -> dict:
    ns: dict = {}
    exec(source, ns)
    return ns


def nbgrader_submit(course: Path, students: dict) -> None:
    released = json.loads((course / "release" / "ps1" / "ps1.ipynb").read_text())
    for student, (_kind, givens, answer, _v) in students.items():
        nb = json.loads(json.dumps(released))
        nb["cells"][0]["source"] = givens
        nb["cells"][1]["source"] = answer or "# (blank)"
        folder = course / "submitted" / student / "ps1"
        folder.mkdir(parents=True)
        (folder / "ps1.ipynb").write_text(json.dumps(nb))
        (folder / "timestamp.txt").write_text("2026-12-01 12:00:00.000000 UTC")


def nbgrader_scores(exe: Path, course: Path) -> dict[str, float]:
    subprocess.run([str(exe), "export", "--to", str(course / "grades.csv")], cwd=course, check=True,
                   capture_output=True, env=with_bin(exe))
    with open(course / "grades.csv") as fh:
        return {row["student_id"]: float(row["score"]) for row in csv.DictReader(fh)}


# --- main ------------------------------------------------------------------------------------

def ours_scores(out: Path) -> dict[str, float]:
    with open(out / "gradebook.csv") as fh:
        return {row["student"]: float(row["score"] or 0) for row in csv.DictReader(fh)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--counts", type=int, nargs="+", default=[20, 100])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--mix", choices=sorted(MIXES), default="mixed",
                    help="mixed: a class's usual mix; computed: every notebook must run")
    ap.add_argument("--nbgrader-venv", type=Path,
                    default=Path.home() / ".cache" / "backprop-bench" / "nbgrader-venv")
    args = ap.parse_args()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    try:
        exe: Path | None = nbgrader_venv(args.nbgrader_venv)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        exe = None
        print(f"nbgrader could not be installed ({exc}); reference: {REFERENCE}")
    for count in args.counts:
        work = Path(tempfile.mkdtemp(prefix="bench-execute-"))
        try:
            kinds = MIXES[args.mix]
            key, subs, students = make_class(work, count, kinds)
            course = None
            if exe is not None:
                try:
                    course = nbgrader_course(work, students)
                    subprocess.run([str(exe), "generate_assignment", "ps1", "--create", "--force"],
                                   cwd=course, check=True, capture_output=True, env=with_bin(exe))
                    nbgrader_submit(course, students)
                except (subprocess.CalledProcessError, OSError) as exc:
                    said = getattr(exc, "stderr", b"") or b""
                    print(f"nbgrader could not build the course ({exc}; "
                          f"{said.decode(errors='replace')[-300:]}); reference: {REFERENCE}")
                    course = None
            times: dict[str, list[float]] = {"jobs 1": [], "default jobs": [], "nbgrader": []}
            for r in range(args.repeat):
                for label, extra in (("jobs 1", ["--jobs", "1"]), ("default jobs", [])):
                    out = work / f"out-{label.replace(' ', '')}-{r}"
                    times[label].append(timed([sys.executable, "-m", "grader", "grade", str(key), str(subs),
                                               "--out", str(out), "--execute", *extra], env=env))
                if course is not None:
                    shutil.rmtree(course / "autograded", ignore_errors=True)
                    times["nbgrader"].append(timed([str(exe), "autograde", "ps1", "--create", "--force"],
                                                   cwd=course, env=with_bin(exe)))
            made = {k: sum(1 for s in students.values() if s[0] == k) for k in kinds}
            print(f"\nN = {count} notebooks ({', '.join(f'{k}: {n}' for k, n in made.items())}), "
                  f"medians of {args.repeat} runs in turns, whole commands:")
            per = {k: statistics.median(v) / count for k, v in times.items() if v}
            for label, t in per.items():
                runs = ", ".join(f"{x:.2f}" for x in times[label])
                print(f"  {label:13s} {t * 1000:7.1f} ms per notebook  (runs: {runs} s)")
            if "nbgrader" in per:
                for label in ("jobs 1", "default jobs"):
                    print(f"  nbgrader / grade --execute {label}: {per['nbgrader'] / per[label]:.1f}x")
                ours = ours_scores(work / "out-jobs1-0")
                theirs = nbgrader_scores(exe, course)
                agree = [s for s in students if abs(ours.get(s, -1) - theirs.get(s, -2)) < 1e-9]
                by_kind = {k: sum(1 for s in agree if students[s][0] == k) for k in kinds}
                print(f"  same score from both: {len(agree)} of {count} "
                      f"({', '.join(f'{k} {n}/{made[k]}' for k, n in by_kind.items())})")
            else:
                print(f"  nbgrader: not run here; reference {REFERENCE}: "
                      f"{1.42 / per['jobs 1']:.1f}x to {1.53 / per['jobs 1']:.1f}x at --jobs 1")
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
