"""The shortcut of a rerun with nothing changed (issue 15): it reads what it must, and nothing else.

At the end of every run, ``.cache/rerun.json`` records what that run saw and left: the run's
hash (the key's bytes and the options, :func:`~grader.batch.journal.run_fingerprint`), every
submission file with its identity and when it was graded, the other files found (not graded,
named in the summary), the rows in order (each student and
the journal entry of their winning file, or none: missing), the duplicates, the text the run
prints when nothing changed, and the size and modification time of every output file and of
the journal's segments. A run
that finds the same key, options and files (none of them racy, see
:data:`~grader.batch.journal.RACY_NS`), and every output file as it was left, grades, reads and
writes nothing more: it prints the recorded text. Its rows and class summary are read from the
journal only when asked for.

A run that does not take the shortcut removes the record before it writes anything
(:func:`forget`), and writes it last (:func:`save`): a run killed halfway leaves none.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

from ..files import write_atomic
from . import journal as jr

FILE = "rerun.json"
#: the class's files whose size and modification time the record keeps (besides the students')
CLASS_FILES = ("gradebook.csv", "summary.md", "summary.json", "report.html")


def _path(out: str) -> str:
    return os.path.join(out, ".cache", FILE)


def forget(out: str) -> None:
    try:
        os.unlink(_path(out))
    except FileNotFoundError:
        pass


def _stat(path: str) -> list[int]:
    try:
        st = os.stat(path)
        return [st.st_size, st.st_mtime_ns]
    except OSError:
        return [-1, -1]


def _outputs(out: str, students: Iterable[str]) -> Iterator[list[int]]:
    """Size and modification time of every output file a rerun could have to write."""
    for name in CLASS_FILES:
        yield _stat(os.path.join(out, name))
    for s in students:
        yield _stat(os.path.join(out, "results", f"{s}.json"))
        for ext in (".md", ".svg", ".pdf"):
            yield _stat(os.path.join(out, "feedback", f"{s}{ext}"))


def _journal(out: str) -> list[list[Any]]:
    """The journal's segments, with their sizes and modification times."""
    folder = os.path.join(out, ".cache")
    return [[p.name, *_stat(str(p))] for p in jr.Journal(folder).segments()]


def save(out: str, run: str, page: bool, files: Sequence[Path], entries: Sequence[jr.Entry],
         rows: Sequence[Any], duplicates: Sequence[Any], text: str, ignored: Sequence[str] = ()) -> None:
    """Record this run (see the module); nothing when a file has no identity (it is graded again).

    The record is written as it is made, its long lists a few thousand elements at a time (the
    size and time of 400,000 output files for a class of 100,000 are never held as one list, nor
    the record as one text: 72 MB of that run's peak)."""
    by_file = {e.file: e for e in entries}
    if any((e := by_file.get(str(f))) is None or not e.identity for f in files):
        return
    names = {id(e.row): e.name for e in entries}  # (a row is its winning entry's own object)
    winners = [[r.student, None if r.status == "missing" else names.get(id(r))] for r in rows]
    if any(r.status != "missing" and w[1] is None for r, w in zip(rows, winners, strict=True)):
        return
    head = {"run": run, "page": page, "out": out, "ignored": list(ignored), "text": text,
            "duplicates": [[d.student, d.used, list(d.others)] for d in duplicates], "journal": _journal(out)}

    def chunks() -> Iterator[str]:
        yield json.dumps(head, separators=(",", ":"))[:-1]
        yield ',"files":'
        yield from _json_list([str(f), *by_file[str(f)].identity, by_file[str(f)].graded_at] for f in files)
        yield ',"rows":'
        yield from _json_list(winners)
        yield ',"outputs":'
        yield from _json_list(_outputs(out, (r.student for r in rows)))
        yield "}"

    write_atomic(_path(out), chunks(), private=True)


def _json_list(items: Iterable[Any], size: int = 4096) -> Iterator[str]:
    """A JSON list of ``items``, as text in pieces of ``size`` elements (each encoded by json's C
    encoder)."""
    it = iter(items)
    yield "["
    sep = ""
    while batch := list(islice(it, size)):
        yield sep + json.dumps(batch, separators=(",", ":"))[1:-1]
        sep = ","
    yield "]"


def exists(out: str) -> bool:
    return os.path.exists(_path(out))


def unchanged(out: str, run: str, page: bool, files: Sequence[Path],
              ignored: Sequence[str] = ()) -> dict[str, Any] | None:
    """The record of the last run when nothing changed since (see the module), else None."""
    try:
        with open(_path(out), "rb") as fh:
            record = json.load(fh)
        if [record["run"], record["page"], record["out"]] != [run, page, out]:
            return None
        if len(record["files"]) != len(files) or record["journal"] != _journal(out):
            return None
        if record.get("ignored", []) != list(ignored):  # (the summary names them)
            return None
        for f, (shown, size, mtime, ino, graded_at) in zip(files, record["files"], strict=True):
            if str(f) != shown:
                return None
            st = os.stat(f)
            racy = mtime >= graded_at - jr.RACY_NS
            if (st.st_size, st.st_mtime_ns, st.st_ino) != (size, mtime, ino) or racy:
                return None
        if os.path.exists(os.path.join(out, ".cache", "outputs.pending")):
            return None
        if list(_outputs(out, (s for s, _ in record["rows"]))) != record["outputs"]:
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return record


def rows_of(record: dict[str, Any], key: Any, out: str) -> list[Any]:
    """The rows of the recorded run, their entries read from the journal."""
    from .rows import ErrorRow, MissingRow, max_score

    journal = jr.Journal(os.path.join(out, ".cache")).load(lambda s: max_score(key, s))
    rows: list[Any] = []
    for student, name in record["rows"]:
        if name is None:
            rows.append(MissingRow(student, max_score(key, student)))
            continue
        saved = journal.get(name)
        if saved is None:  # (removed meanwhile by another run into OUT)
            rows.append(ErrorRow(student, max_score(key, student),
                                 "its result is no longer in OUT/.cache: grade again", ""))
        else:
            rows.append(saved.entry.row)
    return rows
