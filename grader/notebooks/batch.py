"""The batch grading loop of ``backprop grade`` (DESIGN section 5, issue 4).

Every submission file is graded on its own (in parallel), always against the key's instance,
and its result is written atomically to ``OUT/.cache/<fingerprint>.json`` as soon as it is
done. The fingerprint hashes the file's path and bytes, the key and the options, so a second
run regrades only what changed, and a run killed halfway loses nothing: the next run finds
the finished entries and grades the rest. The outputs (``gradebook.csv``,
``results/<student>.json``, ``feedback/<student>.md``) are then rebuilt from the entries,
one row per student in the key, so nothing is ever counted twice.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import multiprocessing
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import BackpropError
from ..files import read_bytes, write_atomic

SUFFIXES = (".ipynb", ".toml")
STATUSES = ("graded", "tampered", "error", "missing")
CACHE_VERSION = "1"


@dataclass(frozen=True)
class Options:
    execute: bool = False
    id_from: str = "name"  # or "folder"
    ecf_credit: float | None = None  # None: the key's
    pdf: bool = False
    force: bool = False


@dataclass(frozen=True)
class Row:
    """One student's line of the gradebook."""

    student: str
    status: str
    score: float
    max_score: float
    points: dict[str, float]
    message: str = ""
    file: str = ""
    result: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    rows: tuple[Row, ...]
    summary: str
    regraded: int
    reused: int


# --------------------------------------------------------------------------- finding files


def find_submissions(paths: Iterable[str]) -> list[Path]:
    """Files given, and ``.ipynb``/``.toml`` files under folders given (checkpoints skipped)."""
    found: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                parts = f.relative_to(p).parts
                if f.suffix.lower() in SUFFIXES and f.is_file() and not any(
                        s.startswith(".") or s == ".ipynb_checkpoints" for s in parts):
                    found.append(f)
        elif p.exists():
            found.append(p)
        else:
            raise BackpropError(f"{raw}: no such file or folder")
    return list(dict.fromkeys(found))


def fallback_id(path: Path, id_from: str) -> str:
    return path.parent.name if id_from == "folder" else path.name.split(".")[0]


# --------------------------------------------------------------------------- one file


_KEY: Any = None
_OPTS: Options | None = None
_OUT: Path | None = None
_TRACES: dict[str, Any] = {}


def _init(key_path: str, options: Options, out: str) -> None:
    global _KEY, _OPTS, _OUT
    from ..key import load_key

    _KEY, _OPTS, _OUT = load_key(key_path), options, Path(out)
    _TRACES.clear()


def _trace(student: str) -> Any:
    from ..solver import solve

    if student not in _TRACES:
        _TRACES[student] = solve(_KEY.students[student].instance)
    return _TRACES[student]


def _same_instance(raw: Any, instance: Any) -> bool:
    from ..model import instance_from_dict

    if not isinstance(raw, dict):
        return False
    try:
        return instance_from_dict(raw).to_dict() == instance.to_dict()
    except BackpropError:
        return False


def _identify(meta: Any, path: Path) -> tuple[str, str, list[str]]:
    """(student, tamper message or '', warnings) from the metadata, else the file name."""
    warnings: list[str] = []
    claimed = meta.get("student") if isinstance(meta, dict) else None
    if isinstance(claimed, str) and claimed in _KEY.students:
        entry = _KEY.students[claimed]
        problems = []
        if not _same_instance(meta.get("instance"), entry.instance):
            problems.append("the problem (instance) was changed")
        if meta.get("signature") != entry.signature:
            problems.append("the signature does not match")
        return claimed, "; ".join(problems), warnings
    student = fallback_id(path, _OPTS.id_from)
    if meta is None:
        warnings.append(f"no backprop metadata in the file; identified as {student!r} by its "
                        f"{'folder' if _OPTS.id_from == 'folder' else 'file'} name")
    else:
        warnings.append(f"the metadata names a student not in the key ({claimed!r}); identified as {student!r} "
                        "by its name")
        return student, f"the metadata names student {claimed!r}, who is not in the key", warnings
    return student, "", warnings


def _parse(path: Path, data: bytes) -> tuple[Any, Callable[[Sequence[str], Any], tuple[dict, list[str]]]]:
    """Parse a notebook or TOML answer file once: (its metadata or None, a reader of its answers).

    The reader takes the quantity ids and the key's instance and returns (answers by id, warnings).
    """
    from ..solver import givens

    if path.suffix.lower() == ".ipynb":
        from .read import parse_notebook, read_answers

        nb = parse_notebook(data, str(path))
        return nb.meta, lambda ids, instance: read_answers([src for src, _ in nb.code], ids, givens(instance))
    import tomllib

    from ..answers import answers_from_table

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BackpropError(f"{path}: is not UTF-8 text; submit the .toml handout") from None
    if not text.strip():
        raise BackpropError(f"{path}: is empty")
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BackpropError(f"{path}: is not valid TOML ({exc})") from None
    meta = table.get("meta")
    meta = dict(meta, instance=table.get("instance")) if isinstance(meta, dict) else None

    def reader(ids: Sequence[str], instance: Any) -> tuple[dict, list[str]]:
        return answers_from_table(table.get("answers", {}), f"{path}: answers", ids=set(ids), names=givens(instance))

    return meta, reader


def _executed(path: Path, answers: dict[str, Any], ids: Sequence[str]) -> dict[str, Any]:
    from .execute import execute_values
    from .read import merge_executed

    return merge_executed(answers, execute_values(str(path), ids))


def grade_file(task: tuple[str, str]) -> dict[str, Any]:
    """Grade one file (``(path, cache entry name)``); the plain-data entry, also written to the cache."""
    path_text, name = task
    path = Path(path_text)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        mtime = 0
    entry: dict[str, Any] = {"file": path_text, "mtime": mtime, "student": fallback_id(path, _OPTS.id_from),
                             "status": "error", "message": "", "result": None, "feedback": None,
                             "needs_execution": False}
    try:
        entry.update(_grade(path))
    except BackpropError as exc:
        entry["message"] = exc.message
    except Exception as exc:  # one bad file must never stop the batch: its row says what happened
        entry["message"] = f"{path}: could not be graded ({type(exc).__name__}: {str(exc)[:160]})"
    write_atomic(_OUT / ".cache" / f"{name}.json", json.dumps(entry))
    return entry


def _grade(path: Path) -> dict[str, Any]:
    from ..grading import grade
    from ..render.report import report_markdown

    data = read_bytes(path, noun="submission file", plural="submissions")
    out: dict[str, Any] = {}
    meta, reader = _parse(path, data)
    student, tampered, warnings = _identify(meta, path)
    out["student"] = student
    if student not in _KEY.students:
        raise BackpropError(f"{path}: student {student!r} is not in the key")
    key_entry = _KEY.students[student]
    trace = _trace(student)
    answers, more = reader(trace.ids, key_entry.instance)
    warnings += more
    if _OPTS.execute and path.suffix.lower() == ".ipynb":
        answers = _executed(path, answers, trace.ids)
    out["needs_execution"] = any(a.error and a.error.startswith("needs execution") for a in answers.values())
    credit = _KEY.ecf_credit if _OPTS.ecf_credit is None else _OPTS.ecf_credit
    report = grade(key_entry.instance, answers, asked=key_entry.asked, ecf_credit=credit,
                   trace=trace).with_warnings(warnings + ([f"tampered: {tampered}"] if tampered else []))
    out["status"] = "tampered" if tampered else "graded"
    out["message"] = tampered
    out["result"] = report.to_json()
    out["svg"] = _svg(key_entry.instance)
    out["feedback"] = _feedback_text(out["status"], student, str(path), tampered,
                                     report_markdown(report, student=student), out["svg"] is not None)
    if _OPTS.pdf:
        try:
            from ..render.pdf import feedback_pdf
        except ImportError:
            pass
        else:
            pdf = feedback_pdf(report, key_entry.instance, student=student)
            name = hashlib.sha256(path.read_bytes() + student.encode()).hexdigest()[:32]
            write_atomic(_OUT / ".cache" / f"{name}.pdf", pdf)
            out["pdf"] = name
    return out


def _svg(instance: Any) -> str | None:
    try:
        from ..render.svg import net_svg
    except ImportError:  # the picture is optional
        return None
    return net_svg(instance)


def _feedback_text(status: str, student: str, file: str, message: str, report_md: str, has_svg: bool) -> str:
    from ..render.env import render

    return render("summary_feedback.md.j2", status=status, student=student, file=file, message=message,
                  report_md=report_md, tampered=status == "tampered", has_svg=has_svg, svg_name=f"{student}.svg")


# --------------------------------------------------------------------------- the batch


def fingerprint(key_path: str, options: Options) -> str:
    h = hashlib.sha256(CACHE_VERSION.encode())
    h.update(Path(key_path).read_bytes())
    h.update(json.dumps([options.execute, options.id_from, options.ecf_credit, options.pdf]).encode())
    return h.hexdigest()


def _entry_name(run: str, path: Path) -> str:
    h = hashlib.sha256(run.encode())
    h.update(str(path.resolve()).encode())
    h.update(b"\0")
    h.update(path.read_bytes())
    return h.hexdigest()[:40]


def grade_batch(
    key_path: str, submissions: Sequence[str], out: str, *, options: Options = Options(), jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Outcome:
    """Grade every submission against the key; write OUT; return the rows and the summary text."""
    from ..key import load_key

    key = load_key(key_path)
    files = find_submissions(submissions)
    out_dir = Path(out)
    cache = out_dir / ".cache"
    cache.mkdir(parents=True, exist_ok=True)
    run = fingerprint(key_path, options)
    tasks, entries = [], []
    for f in files:
        try:
            name = _entry_name(run, f)
        except OSError as exc:
            entries.append({"file": str(f), "mtime": 0, "student": fallback_id(f, options.id_from), "status": "error",
                            "message": f"{f}: cannot be read ({exc.strerror or exc})", "result": None,
                            "feedback": None, "needs_execution": False})
            continue
        cached = cache / f"{name}.json"
        if not options.force and cached.exists():
            try:
                entries.append(json.loads(cached.read_text()))
                entries[-1]["_name"] = name
                continue
            except (OSError, json.JSONDecodeError):
                pass
        tasks.append((str(f), name))
    reused = len(entries)
    fresh = _run(tasks, key_path, options, out, jobs, progress)
    entries += fresh
    rows, duplicates = assemble(key, entries, out_dir, options)
    keep = {e.get("_name") for e in entries}
    for stale in cache.glob("*.json"):
        if stale.stem not in keep:
            stale.unlink(missing_ok=True)
    summary = summarize(rows, duplicates, len(files), len(tasks), reused, out)
    return Outcome(tuple(rows), summary, len(tasks), reused)


def _run(tasks: list[tuple[str, str]], key_path: str, options: Options, out: str, jobs: int | None,
         progress: Callable[[int], None] | None) -> list[dict[str, Any]]:
    jobs = max(1, jobs or os.cpu_count() or 1)
    results: list[dict[str, Any]] = []
    if jobs == 1 or len(tasks) < 4:
        _init(key_path, options, out)
        for t in tasks:
            results.append(dict(grade_file(t), _name=t[1]))
            if progress:
                progress(1)
        return results
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(min(jobs, len(tasks)), initializer=_init, initargs=(key_path, options, out)) as pool:
        for t, e in zip(tasks, pool.imap(grade_file, tasks, chunksize=max(1, min(16, len(tasks) // (jobs * 8))))):
            results.append(dict(e, _name=t[1]))
            if progress:
                progress(1)
    return results


def assemble(key: Any, entries: list[dict[str, Any]], out_dir: Path, options: Options) -> tuple[list[Row], list[dict]]:
    """One row per student (newest file wins); writes results, feedback and the gradebook."""
    by_student: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        by_student.setdefault(e["student"], []).append(e)
    duplicates = []
    rows: list[Row] = []
    students = list(key.students) + sorted(s for s in by_student if s not in key.students)
    columns: list[str] = []
    for s in key.students.values():
        columns += [a for a in s.asked if a not in columns]
    for sid in students:
        found = sorted(by_student.get(sid, []), key=lambda e: (e["mtime"], e["file"]))
        max_score = float(len(key.students[sid].asked)) if sid in key.students else 0.0
        if not found:
            row = Row(sid, "missing", 0.0, max_score, {}, "nothing submitted")
        else:
            e = found[-1]
            if len(found) > 1:
                duplicates.append({"student": sid, "count": len(found), "used": e["file"]})
            res = e["result"]
            if res is None:
                row = Row(sid, "error", 0.0, max_score, {}, e["message"], e["file"])
            else:
                points = {i["id"]: i["points"] for i in res["items"]}
                row = Row(sid, e["status"], float(res["score"]), float(res["max_score"]), points, e["message"],
                          e["file"], res)
        rows.append(row)
        _write_student(out_dir, row, found[-1] if found else None, key)
    write_atomic(out_dir / "gradebook.csv", gradebook_csv(rows, columns))
    return rows, duplicates


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(round(x, 6))


def gradebook_csv(rows: Sequence[Row], columns: Sequence[str]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student", "score", "max_score", "status", *columns])
    for r in rows:
        w.writerow([r.student, _num(r.score), _num(r.max_score), r.status,
                    *(_num(r.points[c]) if c in r.points else "" for c in columns)])
    return buf.getvalue()


def _write_student(out_dir: Path, row: Row, entry: dict[str, Any] | None, key: Any) -> None:
    result = dict(row.result) if row.result else {"score": 0, "max_score": _clean(row.max_score), "items": []}
    result.update(student=row.student, status=row.status, message=row.message, file=row.file)
    _write_if_changed(out_dir / "results" / f"{row.student}.json", json.dumps(result, indent=1) + "\n")
    feedback = out_dir / "feedback"
    if row.status == "missing":
        for stale in (feedback / f"{row.student}.md", feedback / f"{row.student}.pdf"):
            stale.unlink(missing_ok=True)
        return
    if row.status == "error" or not entry or not entry.get("feedback"):
        text = _feedback_text("error", row.student, row.file, row.message, "", False)
    else:
        text = entry["feedback"]
        if entry.get("svg"):
            _write_if_changed(feedback / f"{row.student}.svg", entry["svg"])
    _write_if_changed(feedback / f"{row.student}.md", text)
    if entry and entry.get("pdf"):
        src = out_dir / ".cache" / f"{entry['pdf']}.pdf"
        if src.exists():
            shutil.copyfile(src, feedback / f".{row.student}.pdf.tmp")
            os.replace(feedback / f".{row.student}.pdf.tmp", feedback / f"{row.student}.pdf")


def _clean(x: float) -> float | int:
    return int(x) if float(x).is_integer() else x


def _write_if_changed(path: Path, text: str) -> None:
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (OSError, UnicodeDecodeError):
        pass
    write_atomic(path, text)


def summarize(rows: Sequence[Row], duplicates: Sequence[dict], files: int, regraded: int, reused: int,
              out: str, needs_execution: int | None = None) -> str:
    from ..render.env import render

    counts = Counter(r.status for r in rows)
    scored = [r for r in rows if r.status in ("graded", "tampered")]
    mis: Counter[str] = Counter()
    for r in scored:
        mis.update({i["misconception"] for i in r.result.get("items", []) if i.get("misconception")})
    needs = sum(1 for r in scored if any(str(i.get("message", "")).startswith("needs execution")
                                         or "needs execution" in str(i.get("message", ""))
                                         for i in r.result.get("items", [])))
    mean = max_score = None
    if scored:
        mean = _num(round(sum(r.score for r in scored) / len(scored), 2))
        max_score = _num(max(r.max_score for r in scored))
    return render(
        "summary.txt.j2", rows=len(rows), files=files, regraded=regraded, reused=reused,
        counts=[(s, counts[s]) for s in STATUSES if counts[s]], mean=mean, max_score=max_score,
        scored=len(scored), misconceptions=mis.most_common(5), needs_execution=needs,
        duplicates=duplicates, out=out,
        errors=[{"student": r.student, "status": r.status, "message": r.message}
                for r in rows if r.status in ("error", "tampered")],
    )
