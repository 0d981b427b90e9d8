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
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..files import utf8, write_all

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


def identity(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Journal:
    """The journal segments of one output folder."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self._fd: int | None = None
        self._pid = 0
        self.lines = 0  # lines read by load()

    def segments(self) -> list[Path]:
        return sorted(self.folder.glob("journal-*.jsonl"))

    def load(self) -> dict[str, dict[str, Any]]:
        """Every entry by name (the latest line of each name); damaged lines are skipped."""
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
        return found

    def append(self, entry: Mapping[str, Any], raw: Mapping[str, str] | None = None) -> None:
        """Add one entry to this process's segment (opened on first use, also after a fork);
        ``raw``: more fields whose values are JSON text already."""
        if self._fd is None or self._pid != os.getpid():
            self.folder.mkdir(parents=True, exist_ok=True)
            self._pid = os.getpid()
            seg = self.folder / f"journal-{self._pid}-{time.time_ns()}.jsonl"
            self._fd = os.open(seg, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        line = json.dumps(entry, separators=(",", ":"))
        if raw:
            line = line[:-1] + "".join(f",{json.dumps(k)}:{v}" for k, v in raw.items()) + "}"
        write_all(self._fd, utf8(line + "\n"))

    def close(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd = None

    def compact(self, keep: Mapping[str, Mapping[str, Any]]) -> None:
        """Rewrite the segments as one holding just ``keep``; also drop cache files of a
        previous format and PDFs of entries no longer kept."""
        from ..files import write_atomic

        old = self.segments()
        text = "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in keep.values())
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


def reusable(entry: Mapping[str, Any] | None, st: os.stat_result, path: str) -> bool:
    """Whether ``entry`` still describes the file at ``path`` whose stat is ``st``."""
    if entry is None or entry.get("identity") != identity(st):
        return False
    if st.st_mtime_ns < entry.get("graded_at", 0) - RACY_NS:
        return True
    try:
        with open(path, "rb") as fh:
            return content_hash(fh.read()) == entry.get("sha")
    except OSError:
        return False
