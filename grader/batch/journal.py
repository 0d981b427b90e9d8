"""What a batch has graded, kept under ``OUT/.cache`` so a rerun regrades only what changed.

Every process that grades appends one JSON line per finished file to a journal segment of its
own (``journal-<pid>-<time>.jsonl``), *after* that file's outputs are written. A run killed
halfway therefore loses nothing that the next run would not redo, and a line cut off by the
kill is skipped when the segments are read back.

An entry is found again by its ``name``: a hash of the run (the key's bytes and the options)
and the file's absolute path. It holds the file's identity when it was graded (size,
modification time in ns, inode) and a hash of its bytes; a later run reuses the entry when the
identity is unchanged. Like git's index, an identity taken within ``RACY_NS`` of the moment the
file was read could hide an edit made in the same clock tick, so such an entry is reused only
if the bytes still hash the same. When several lines share a name, the latest (``graded_at``)
wins; segments are rewritten into one (:meth:`Journal.compact`) once stale lines pile up.

In memory an entry is an :class:`Entry` (the file and its :class:`~grader.batch.rows.Row`);
a line read back is a :class:`Saved` (the entry and the outputs it wrote, which a rerun writes
again). A line is one JSON object (format ``VERSION``)::

    {"name", "file", "identity": [size, mtime_ns, inode], "mtime", "graded_at", "sha",
     "student", "status", "message", "needs_execution", "pdf", "feedback", "result"}

``result`` is the ``check --json`` object (null: an error row), ``feedback`` the Markdown (null:
the error row's own). Lines of another format are never read: the format is part of every
entry's name (:func:`run_fingerprint`), so after an upgrade a rerun regrades every file.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..files import utf8, write_all
from .rows import ErrorRow, GradedRow

#: bump when entries change shape: older entries are then regraded
VERSION = "3"  # 3: a file is its location's student's (identity), copies flagged
#: an identity this close to the time the file was read is checked against the bytes' hash
RACY_NS = 3_000_000_000


def run_fingerprint(key_bytes: bytes, options: Iterable[Any]) -> str:
    h = hashlib.sha256(VERSION.encode())
    h.update(key_bytes)
    h.update(json.dumps(list(options)).encode())
    return h.hexdigest()


def entry_name(run: str, path: str) -> str:
    # (the path's own bytes: a file name that is not UTF-8 reaches Python with surrogates)
    return hashlib.sha256(run.encode() + b"\0" + os.fsencode(path)).hexdigest()[:40]


def identity(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Entry:
    """One file of a batch, graded: its row, and how to know the file again."""

    name: str  # the run's hash and the file's path (:func:`entry_name`)
    identity: tuple[int, ...]  # (size, mtime ns, inode) when graded; (): graded again by the next run
    mtime: int  # ns; of a student's several files, the newest counts
    graded_at: int  # ns
    sha: str  # the bytes' hash, taken only when the identity was racy ("" otherwise)
    row: ErrorRow | GradedRow
    pdf: bool = False  # its feedback PDF is kept as ``.cache/<name>.pdf``

    @property
    def file(self) -> str:
        return self.row.file

    @property
    def student(self) -> str:
        return self.row.student


@dataclass(frozen=True)
class Saved:
    """A journal line: an entry and the outputs it wrote (to be written again when needed)."""

    entry: Entry
    result: dict[str, Any] | None  # the ``check --json`` object; None for an error row
    feedback: str | None  # None: the error row's own


def line(entry: Entry, result: str, feedback: str | None) -> str:
    """The journal line of ``entry`` (``result``: the ``check --json`` object as JSON text, or
    ``null``), without its newline."""
    row = entry.row
    head = json.dumps({
        "name": entry.name, "file": row.file, "identity": list(entry.identity), "mtime": entry.mtime,
        "graded_at": entry.graded_at, "sha": entry.sha, "student": row.student, "status": row.status,
        "message": row.message, "needs_execution": row.needs_execution, "pdf": entry.pdf,
        "feedback": feedback,
    }, separators=(",", ":"))
    return f'{head[:-1]},"result":{result}}}'


def saved(d: Mapping[str, Any], max_score: Callable[[str], float]) -> Saved:
    """The :class:`Saved` of a line read back (``max_score(student)``: an error row's)."""
    result = d["result"]
    student, message, file = d["student"], d["message"], d["file"]
    if result is None:
        row: ErrorRow | GradedRow = ErrorRow(student, max_score(student), message, file)
    else:
        row = GradedRow.of(student, d["status"], result, message=message, file=file,
                           needs_execution=d["needs_execution"])
    entry = Entry(d["name"], tuple(d["identity"]), d["mtime"], d["graded_at"], d["sha"], row,
                  d.get("pdf", False))
    return Saved(entry, result, d["feedback"])


class Journal:
    """The journal segments of one output folder."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self._fd: int | None = None
        self._pid = 0
        self.lines = 0  # lines read by load()

    def segments(self) -> list[Path]:
        return sorted(self.folder.glob("journal-*.jsonl"))

    def load(self, max_score: Callable[[str], float]) -> dict[str, Saved]:
        """Every entry by name (the latest line of each name); damaged lines are skipped.
        ``max_score(student)``: the points possible on an error row of ``student``."""
        found: dict[str, dict[str, Any]] = {}
        self.lines = 0
        for seg in self.segments():
            try:
                text = seg.read_bytes().decode("utf-8", "replace")
            except OSError:
                continue
            for line in text.splitlines():
                try:
                    e = json.loads(line)
                except ValueError:
                    continue  # cut off by a kill
                if not isinstance(e, dict) or not isinstance(e.get("name"), str):
                    continue
                self.lines += 1
                old = found.get(e["name"])
                if old is None or e.get("graded_at", 0) >= old.get("graded_at", 0):
                    found[e["name"]] = e
        out = {}
        for name, e in found.items():
            try:
                out[name] = saved(e, max_score)
            except (KeyError, TypeError, ValueError):  # a line of the right name but damaged
                continue
        return out

    def append(self, entry: Entry, result: str, feedback: str | None) -> None:
        """Add one entry to this process's segment (opened on first use, also after a fork);
        ``result``: the ``check --json`` object as JSON text (``null`` for an error row)."""
        if self._fd is None or self._pid != os.getpid():
            self.folder.mkdir(parents=True, exist_ok=True)
            self._pid = os.getpid()
            seg = self.folder / f"journal-{self._pid}-{time.time_ns()}.jsonl"
            self._fd = os.open(seg, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        write_all(self._fd, utf8(line(entry, result, feedback) + "\n"))

    def close(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd = None

    def compact(self, keep: Mapping[str, Saved]) -> None:
        """Rewrite the segments as one holding just ``keep``; also drop cache files of a
        previous format and PDFs of entries no longer kept."""
        from ..files import write_atomic

        old = self.segments()
        text = "".join(line(s.entry, json.dumps(s.result), s.feedback) + "\n" for s in keep.values())
        target = self.folder / f"journal-0-{time.time_ns()}.jsonl"
        write_atomic(target, text, private=True)
        for seg in old:
            if seg != target:
                seg.unlink(missing_ok=True)
        for stale in self.folder.glob("*.json"):  # the one-file-per-entry cache of format 1
            stale.unlink(missing_ok=True)
        for pdf in self.folder.glob("*.pdf"):
            if pdf.stem not in keep:
                pdf.unlink(missing_ok=True)

    def needs_compaction(self, keep: int) -> bool:
        return len(self.segments()) > 8 or self.lines > 2 * keep + 16 or any(self.folder.glob("*.json"))


def reusable(entry: Entry | None, st: os.stat_result, path: str) -> bool:
    """Whether ``entry`` still describes the file at ``path`` whose stat is ``st``."""
    if entry is None or entry.identity != identity(st):
        return False
    if st.st_mtime_ns < entry.graded_at - RACY_NS:
        return True
    try:
        with open(path, "rb") as fh:
            return content_hash(fh.read()) == entry.sha
    except OSError:
        return False
