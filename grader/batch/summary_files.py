"""The class summary's files under OUT: ``summary.md``, ``summary.json`` and ``report.html``
(DESIGN section 8), and what the summary needs read from OUT and from the key.

The I/O edge of :mod:`grader.batch.summary`: it lists ``OUT/feedback`` for the links,
and writes the files (atomically, and only when their content changed, so a rerun that changes
nothing leaves them alone). The page of a large class takes a while: ``.cache/summary.record``
keeps a hash of the summary the files were rendered from (and of the code that renders them),
with the files' sizes and modification times, and a run whose summary hashes the same, the
files untouched, renders nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from ..files import write_atomic
from .summary import ClassSummary, summarize

#: the files written into OUT
FILES = ("summary.md", "summary.json", "report.html")


def summary_of(key: Any, rows: Sequence[Any], out: str, *, files: int = 0,
                  duplicates: Sequence[Any] = (), ignored: Sequence[str] = ()) -> ClassSummary:
    """The summary of a graded batch (``key``: the loaded key; ``out``: where its results are)."""
    students = list(key.students.values())
    return summarize(
        rows,
        columns=list(dict.fromkeys(q for s in students for q in s.asked)),
        final=final_layer(s.raw_instance for s in students),
        assignment=getattr(key, "assignment", ""), family=getattr(key, "family", ""),
        files=files, duplicates=duplicates, feedback_files=_names(os.path.join(out, "feedback")),
        ignored=ignored,
    )


def final_layer(instances: Any) -> frozenset[str]:
    """The neurons of the final layer of every instance (the key's raw dicts; a broken one is
    skipped: its student's row is an error anyway)."""
    names: set[str] = set()
    for data in instances:
        layers = data.get("layers") if isinstance(data, Mapping) else None
        if isinstance(layers, list) and layers and isinstance(layers[-1], list):
            names.update(n for n in layers[-1] if isinstance(n, str))
    return frozenset(names)


def _names(folder: str) -> frozenset[str]:
    try:
        return frozenset(os.listdir(folder))
    except OSError:
        return frozenset()


def write_class_files(out: str, summary: ClassSummary, *, page: bool = True) -> None:
    """Write ``summary.md`` and ``summary.json`` (and with ``page``, ``report.html``) into OUT."""
    from ..render.class_report import json_chunks, report_html_chunks, summary_md_chunks

    names = FILES if page else FILES[:2]
    record = os.path.join(out, ".cache", "summary.record")
    digest = _digest(summary, page)
    try:
        with open(record, encoding="utf-8") as fh:
            if json.load(fh) == [digest, _stats(out, names)]:
                return
    except (OSError, ValueError):
        pass
    # (each written as it is rendered, compared with the file there once written: a class of
    # 100,000 held 190 MB more at its peak with the pages rendered whole first)
    write_atomic(os.path.join(out, "summary.md"), summary_md_chunks(summary, page=page), unless_same=True)
    write_atomic(os.path.join(out, "summary.json"), json_chunks(summary), unless_same=True)
    if page:
        write_atomic(os.path.join(out, "report.html"), report_html_chunks(summary), unless_same=True)
    write_atomic(record, json.dumps([digest, _stats(out, names)]), private=True)


def _digest(summary: ClassSummary, page: bool) -> str:
    """A hash of the summary and of what renders it (the templates and modules, by size and time)."""
    from ..render import charts, class_report, env

    h = hashlib.sha256(repr((dataclasses.replace(summary, table=()), page)).encode("utf-8", "surrogatepass"))
    for line in summary.table:  # (a line at a time: the repr of a class of 100,000 at once is 60 MB)
        h.update(repr(line).encode("utf-8", "surrogatepass"))
    code = [charts.__file__, class_report.__file__, env.__file__]
    folder = env.templates_dir()
    code += [os.path.join(folder, n) for n in ("summary.md.j2", "report.html.j2", "chart.svg.j2")]
    for path in code:
        try:
            st = os.stat(path)
            h.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        except OSError:
            h.update(f"{path}\0-\n".encode())
    return h.hexdigest()


def _stats(out: str, names: Sequence[str]) -> list[list[int]]:
    found = []
    for name in names:
        try:
            st = os.stat(os.path.join(out, name))
            found.append([st.st_size, st.st_mtime_ns])
        except OSError:
            found.append([-1, -1])
    return found
