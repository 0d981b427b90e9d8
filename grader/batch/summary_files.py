"""The class summary's files under OUT: ``summary.md``, ``summary.json`` and ``report.html``
(DESIGN section 8), and what the summary needs read from OUT and from the key.

The I/O edge of :mod:`grader.batch.summary`: it lists ``OUT/feedback`` for the links,
and writes the files (atomically, and only when their content changed, so a rerun that changes
nothing leaves them alone).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from .outputs import write_if_changed
from .summary import ClassSummary, summarize

#: the files written into OUT
FILES = ("summary.md", "summary.json", "report.html")


def summary_of(key: Any, rows: Sequence[Any], out: str, *, files: int = 0,
                  duplicates: Sequence[Any] = ()) -> ClassSummary:
    """The summary of a graded batch (``key``: the loaded key; ``out``: where its results are)."""
    students = list(key.students.values())
    return summarize(
        rows,
        columns=list(dict.fromkeys(q for s in students for q in s.asked)),
        final=final_layer(s.raw_instance for s in students),
        assignment=getattr(key, "assignment", ""), family=getattr(key, "family", ""),
        files=files, duplicates=duplicates, feedback_files=_names(os.path.join(out, "feedback")),
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
    from ..render.class_report import report_html, summary_json, summary_md

    write_if_changed(os.path.join(out, "summary.md"), summary_md(summary, page=page))
    write_if_changed(os.path.join(out, "summary.json"), summary_json(summary))
    if page:
        write_if_changed(os.path.join(out, "report.html"), report_html(summary))
