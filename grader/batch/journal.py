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
     "student", "status", "message", "needs_execution", "pdf", "agrees", "feedback", "result"}

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
from . import journal_index as ix
from .rows import ErrorRow, GradedRow

#: bump when entries change shape: older entries are then regraded
VERSION = "4"  # 3: a file is its location's student's (identity), copies flagged; 4: agrees
#: an identity this close to the time the file was read is checked against the bytes' hash
RACY_NS = 3_000_000_000
#: the outputs of a line not read yet (see :class:`Saved`)
_UNREAD = object()


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


@dataclass(frozen=True, slots=True)  # (slots: 100,000 of them in a batch)
class Entry:
    """One file of a batch, graded: its row, and how to know the file again."""

    name: str  # the run's hash and the file's path (:func:`entry_name`)
    identity: tuple[int, ...]  # (size, mtime ns, inode) when graded; (): graded again by the next run
    mtime: int  # ns; of a student's several files alike, the newest counts
    graded_at: int  # ns
    sha: str  # the bytes' hash, taken only when the identity was racy ("" otherwise)
    row: ErrorRow | GradedRow
    pdf: bool = False  # its feedback PDF is kept as ``.cache/<name>.pdf``
    #: its signed metadata names the row's student, with the key's problem and signature: of a
    #: student's files these count before the others (grader.batch.assemble)
    agrees: bool = False

    @property
    def file(self) -> str:
        return self.row.file

    @property
    def student(self) -> str:
        return self.row.student


class Saved:
    """A journal line: an entry and the outputs it wrote (to be written again when needed).

    Read back by :meth:`Journal.load`, the outputs (``result``, ``feedback``) are read from the
    line's place in the journal when first asked for (:mod:`grader.batch.journal_index`): a
    rerun needs every entry but the outputs of few."""

    __slots__ = ("entry", "_result", "_feedback", "_where")

    def __init__(self, entry: Entry, result: dict[str, Any] | None | object = _UNREAD,
                 feedback: str | None | object = _UNREAD,
                 where: tuple[str, str, int, int] | None = None) -> None:
        self.entry, self._result, self._feedback, self._where = entry, result, feedback, where

    @property
    def result(self) -> dict[str, Any] | None:
        """The ``check --json`` object; None for an error row (or a line that can no longer be read)."""
        self.intact()
        return None if self._result is _UNREAD else self._result  # type: ignore[return-value]

    @property
    def feedback(self) -> str | None:
        """The feedback's Markdown; None: the error row's own."""
        self.intact()
        return None if self._feedback is _UNREAD else self._feedback  # type: ignore[return-value]

    @property
    def where(self) -> tuple[str, str, int, int] | None:
        """(folder, segment, offset, length) of the line read back (None: not read from a journal)."""
        return self._where

    def intact(self) -> bool:
        """Whether its outputs are at hand (read now from the journal if need be)."""
        if self._result is not _UNREAD:
            return True
        if self._where is None:
            return False
        folder, *where = self._where
        d = ix.read_line(folder, tuple(where))
        if d is None or d.get("name") != self.entry.name or d.get("graded_at") != self.entry.graded_at:
            return False
        result, feedback = d.get("result"), d.get("feedback")
        if (result is not None and not isinstance(result, dict)) or (
                feedback is not None and not isinstance(feedback, str)):
            return False
        self._result, self._feedback = result, feedback
        return True

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Saved):
            return NotImplemented
        return (self.entry, self.result, self.feedback) == (other.entry, other.result, other.feedback)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Saved({self.entry!r})"


def line(entry: Entry, result: str, feedback: str | None) -> str:
    """The journal line of ``entry`` (``result``: the ``check --json`` object as JSON text, or
    ``null``), without its newline."""
    row = entry.row
    head = json.dumps({
        "name": entry.name, "file": row.file, "identity": list(entry.identity), "mtime": entry.mtime,
        "graded_at": entry.graded_at, "sha": entry.sha, "student": row.student, "status": row.status,
        "message": row.message, "needs_execution": row.needs_execution, "pdf": entry.pdf,
        "agrees": entry.agrees, "feedback": feedback,
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
                  d.get("pdf", False), d.get("agrees") is True)
    return Saved(entry, result, d["feedback"])


class Journal:
    """The journal segments of one output folder (and their index: :mod:`grader.batch.journal_index`)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self._fd: int | None = None
        self._pid = 0
        self.lines = 0  # lines read by load()
        self._read: dict[str, int] = {}  # the segments' sizes when load() read them
        self._indexed = False  # load() found them all in the index
        self._last: tuple[dict[str, Saved], dict[str, int], int, bool] | None = None  # what load() found

    def segments(self) -> list[Path]:
        return sorted(self.folder.glob("journal-*.jsonl"))

    def _sizes(self) -> dict[str, int]:
        sizes = {}
        for seg in self.segments():
            try:
                sizes[seg.name] = seg.stat().st_size
            except OSError:
                continue
        return sizes

    def load(self, max_score: Callable[[str], float]) -> dict[str, Saved]:
        """Every entry by name (the latest line of each name); damaged lines are skipped.
        ``max_score(student)``: the points possible on an error row of ``student``.

        The index gives the entries of the lines it covers; only the lines after it are parsed
        (:mod:`grader.batch.journal_index`). The outputs of each line are read when first asked
        for (:class:`Saved`)."""
        return self._load(max_score, {})

    def _load(self, max_score: Callable[[str], float], known: Mapping[str, Entry]) -> dict[str, Saved]:
        """:meth:`load`; ``known``: entries in memory by name (this run's), used for their lines
        instead of parsing them. A second load by the same object starts from what the first
        found (the run's own lines are all it adds: the run holds OUT's lock)."""
        folder = str(self.folder)
        sizes = self._sizes()
        last = self._last
        if last is not None and all(sizes.get(seg, -1) >= size for seg, size in last[1].items()):
            found, covered, self.lines = dict(last[0]), dict(last[1]), last[2]
            self._indexed = last[3] and covered == sizes
        else:
            found, covered, self.lines = {}, {}, 0
            index = ix.load(folder, sizes, VERSION, max_score, known)
            self._indexed = index is not None and index[1] == sizes
            if index is not None:
                entries, covered, self.lines = index
                for name, (fields, where) in entries.items():
                    found[name] = Saved(fields if isinstance(fields, Entry) else Entry(*fields),
                                        where=(folder, *where))
        for seg, size in sizes.items():
            if covered.get(seg, 0) >= size:
                continue
            for offset, raw in ix.lines(folder, seg, covered.get(seg, 0)):
                s = _read_line(raw, known, max_score, (folder, seg, offset, len(raw)))
                if s is None:
                    continue
                self.lines += 1
                if s is _DAMAGED:
                    continue
                old = found.get(s.entry.name)
                if old is None or s.entry.graded_at >= old.entry.graded_at:
                    found[s.entry.name] = s
        self._read = sizes
        self._last = (found, sizes, self.lines, self._indexed)
        return found

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

    def settle(self, keep: Iterable[Entry], max_score: Callable[[str], float]) -> None:
        """At the end of a run, every writer done: read the journal back (its index, and this
        run's lines matched to ``keep``, the entries the run keeps, without parsing them), compact
        it when stale lines pile up (:meth:`needs_compaction`), and write its index."""
        keep = {e.name: e for e in keep}
        found = self._load(max_score, keep)
        if self.needs_compaction(len(keep)):
            self.compact({n: found[n] for n in keep if n in found})
            return
        if self._indexed:  # (nothing was added since the index was written)
            return
        ix.save(self.folder, VERSION, self._read, self.lines,
                {n: (s.entry, s.where[1:]) for n, s in found.items() if s.where is not None})

    def compact(self, keep: Mapping[str, Saved]) -> None:
        """Rewrite the segments as one holding just ``keep`` (each line copied as it is, or
        written from the entry and its outputs), and index it; also drop cache files of a
        previous format and PDFs of entries no longer kept."""
        old = self.segments()
        target = self.folder / f"journal-0-{time.time_ns()}.jsonl"
        tmp = self.folder / f".{target.name}.{os.getpid()}.tmp"
        indexed: dict[str, tuple[Entry, tuple[str, int, int]]] = {}
        offset = 0
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with _Lines() as lines:
                for name, s in keep.items():
                    raw = lines.get(s)
                    if raw is None:
                        if not s.intact():
                            continue
                        raw = utf8(line(s.entry, json.dumps(s.result), s.feedback))
                    write_all(fd, raw + b"\n")
                    indexed[name] = (s.entry, (target.name, offset, len(raw)))
                    offset += len(raw) + 1
        finally:
            os.close(fd)
        os.replace(tmp, target)
        for seg in old:
            if seg != target:
                seg.unlink(missing_ok=True)
        for stale in self.folder.glob("*.json"):  # the one-file-per-entry cache of format 1
            stale.unlink(missing_ok=True)
        for pdf in self.folder.glob("*.pdf"):
            if pdf.stem not in keep:
                pdf.unlink(missing_ok=True)
        self.lines = len(indexed)
        ix.save(self.folder, VERSION, {target.name: offset}, len(indexed), indexed)

    def needs_compaction(self, keep: int) -> bool:
        return len(self.segments()) > 8 or self.lines > 2 * keep + 16 or any(self.folder.glob("*.json"))


#: a line of the right shape whose entry is damaged (counted, not read)
_DAMAGED: Any = object()


def _read_line(raw: bytes, known: Mapping[str, Entry], max_score: Callable[[str], float],
               where: tuple[str, str, int, int]) -> Saved | None:
    """The entry of one journal line (its outputs left to be read when asked for); None: not a
    line (cut off by a kill); ``_DAMAGED``: a line of an entry, damaged."""
    head = ix.head(raw)
    if head is not None:
        e = known.get(head[0])
        if e is not None and e.graded_at == head[1]:
            return Saved(e, where=where)
    try:
        d = json.loads(raw.decode("utf-8", "replace"))
    except ValueError:
        return None
    if not isinstance(d, dict) or not isinstance(d.get("name"), str):
        return None
    try:
        return Saved(saved(d, max_score).entry, where=where)
    except (KeyError, TypeError, ValueError):  # a line of the right name but damaged
        return _DAMAGED


class _Lines:
    """Journal lines read back by their place (the segments opened once)."""

    def __init__(self) -> None:
        self._open: dict[str, Any] = {}

    def __enter__(self) -> _Lines:
        return self

    def __exit__(self, *_: Any) -> None:
        for fh in self._open.values():
            fh.close()

    def get(self, s: Saved) -> bytes | None:
        """The line of ``s`` as it is in its segment (None: not there, or not its line)."""
        if s.where is None:
            return None
        folder, segment, offset, length = s.where
        path = os.path.join(folder, segment)
        try:
            fh = self._open.get(path)
            if fh is None:
                fh = self._open[path] = open(path, "rb")  # noqa: SIM115 (closed by __exit__)
            fh.seek(offset)
            raw = fh.read(length)
        except OSError:
            return None
        return raw if ix.head(raw) == (s.entry.name, s.entry.graded_at) else None


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
