"""The journal's index, ``OUT/.cache/journal.index``: what :meth:`~grader.batch.journal.Journal.load`
needs of every entry, without the result and feedback text that make most of each journal line.

A journal line holds an entry (the file's identity, its row) and the outputs it wrote (the
``check --json`` object, the feedback's Markdown); a rerun needs the entries of every file, but
the outputs only of the few students whose files it writes again. The index, written at the
end of every run (:meth:`~grader.batch.journal.Journal.settle`), holds each entry and where its
line is (segment, byte offset, length), and how far each segment was indexed. Reading the
journal back is then reading the index and parsing only the lines appended after it (by a run
killed before it wrote its index, say): a rerun costs in proportion to what changed, not to the
size of the class's journal. A line's outputs are read from its place when first asked for.

The index is a cache: one that is damaged, of another format, or that names a segment which is
gone or shorter than it was indexed, is ignored, and the segments are parsed whole, as without
it. It is written atomically, after the lines it indexes, so it never names a line that is not
on disk. One JSON document::

    {"format", "segments": {segment: bytes indexed}, "lines": lines indexed,
     "marks": [[id, verdict, points, max_points, misconception], ...],
     "entries": [[name, file, identity, mtime, graded_at, sha, pdf, student, status, message,
                  needs_execution, agrees, score, max_score, [mark, ...], segment, offset, length], ...]}

``score`` and ``max_score`` are null on an error row (its max_score is the key's), and ``marks``
names each distinct mark once (a class's rows share most of theirs).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..files import write_atomic
from .rows import ErrorRow, GradedRow, Mark

FILE = "journal.index"
#: a line's name and when it was graded, read without parsing the line (see journal.line)
_NAME = re.compile(rb'\{"name":"([0-9a-f]{40})"')
_GRADED_AT = re.compile(rb',"graded_at":(\d+),')

#: (segment, offset, length) of a journal line
Where = tuple[str, int, int]


def path(folder: str | os.PathLike[str]) -> str:
    return os.path.join(folder, FILE)


def head(raw: bytes) -> tuple[str, int] | None:
    """The name and graded_at of a journal line (None: not a whole line of this format)."""
    m, at = _NAME.match(raw), _GRADED_AT.search(raw)
    if m is None or at is None or not raw.endswith(b"}"):
        return None
    return m.group(1).decode(), int(at.group(1))


def lines(folder: str | os.PathLike[str], segment: str, start: int) -> Iterator[tuple[int, bytes]]:
    """The lines of ``segment`` from byte ``start`` on, each with its offset (without its newline)."""
    try:
        fh = open(os.path.join(folder, segment), "rb")  # noqa: SIM115 (closed below)
    except OSError:
        return
    with fh:
        fh.seek(start)
        offset = start
        for raw in fh:
            yield offset, raw.rstrip(b"\n")
            offset += len(raw)


def read_line(folder: str | os.PathLike[str], where: Where) -> dict[str, Any] | None:
    """The journal line at ``where``, parsed (None: it cannot be read back)."""
    segment, offset, length = where
    try:
        with open(os.path.join(folder, segment), "rb") as fh:
            fh.seek(offset)
            found = json.loads(fh.read(length))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def load(folder: str | os.PathLike[str], sizes: Mapping[str, int], format: str,
         max_score: Callable[[str], float], known: Mapping[str, Any],
         ) -> tuple[dict[str, tuple[Any, Where]], dict[str, int], int] | None:
    """The index's entries (name -> (entry, where)), how far it read each segment, and how
    many lines it covers; None when there is no index that still holds (see the module).
    ``sizes``: every segment's size now. An entry is the arguments of
    :class:`~grader.batch.journal.Entry` (its row built), or the entry of ``known`` (entries by
    name) of that name when it was graded at the same time."""
    try:
        with open(path(folder), "rb") as fh:
            doc = json.load(fh)
        if doc["format"] != format:
            return None
        covered = {str(k): int(v) for k, v in doc["segments"].items()}
        if any(sizes.get(seg, -1) < size for seg, size in covered.items()):
            return None
        marks = [Mark(i, v, p, mp, m) for i, v, p, mp, m in doc["marks"]]
        found: dict[str, tuple[Any, Where]] = {}
        for (name, file, identity, mtime, graded_at, sha, pdf, student, status, message,
             needs_execution, agrees, score, most, row_marks, segment, offset, length) in doc["entries"]:
            same = known.get(name)
            if same is not None and same.graded_at == graded_at:
                found[name] = (same, (segment, offset, length))
                continue
            if score is None:
                row: ErrorRow | GradedRow = ErrorRow(student, max_score(student), message, file)
            else:
                row = GradedRow(student, status, score, most, tuple([marks[k] for k in row_marks]), message,
                                file, needs_execution)
            fields = (name, tuple(identity), mtime, graded_at, sha, row, pdf, agrees is True)
            found[name] = (fields, (segment, offset, length))
        return found, covered, int(doc["lines"])
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def save(folder: str | os.PathLike[str], format: str, covered: Mapping[str, int], count: int,
         entries: Mapping[str, tuple[Any, Where]]) -> None:
    """Write the index of ``entries`` (name -> (Entry, where)), which covers ``count`` lines of
    the segments up to the sizes ``covered``."""
    marks: dict[tuple[Any, ...], int] = {}
    for e, _ in entries.values():
        if isinstance(e.row, GradedRow):
            for m in e.row.items:  # (1 and 1.0 kept apart)
                marks.setdefault((m.id, m.verdict, m.points, m.max_points, m.misconception, type(m.points),
                                  type(m.max_points)), len(marks))
    head = json.dumps({"format": format, "segments": dict(covered), "lines": count,
                       "marks": [list(k[:5]) for k in marks]}, separators=(",", ":"), ensure_ascii=False)

    def chunks() -> Iterator[str]:  # (written as made: tens of MB for 100,000 entries)
        yield head[:-1] + ',"entries":['
        sep = ""
        for name, (e, (segment, offset, length)) in entries.items():
            row = e.row
            graded = isinstance(row, GradedRow)
            ids = [marks[(m.id, m.verdict, m.points, m.max_points, m.misconception, type(m.points),
                          type(m.max_points))] for m in row.items] if graded else []
            yield sep + json.dumps([name, row.file, list(e.identity), e.mtime, e.graded_at, e.sha, e.pdf,
                                    row.student, row.status, row.message, row.needs_execution, e.agrees,
                                    row.score if graded else None, row.max_score if graded else None, ids,
                                    segment, offset, length], separators=(",", ":"), ensure_ascii=False)
            sep = ","
        yield "]}"

    write_atomic(path(folder), chunks(), private=True)


def forget(folder: str | os.PathLike[str]) -> None:
    try:
        os.unlink(path(folder))
    except FileNotFoundError:
        pass
