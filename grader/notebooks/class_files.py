"""The class summary's files under OUT: ``summary.md``, ``summary.json`` and ``report.html``
(DESIGN section 8), and what the summary needs read from OUT and from the key.

The I/O edge of :mod:`grader.notebooks.class_summary`: it reads each scored student's items from
``OUT/results/<student>.json`` when the row does not carry them (a row a worker sent back),
lists ``OUT/feedback`` for the links, and writes the files (atomically, and only when their
content changed, so a rerun that changes nothing leaves them alone).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from .class_summary import SCORED, ClassSummary, row_items, row_status, row_student, summarize
from .outputs import write_if_changed

#: the files written into OUT
FILES = ("summary.md", "summary.json", "report.html")


def summary_of(key: Any, rows: Sequence[Any], out: str, *, files: int = 0,
                  duplicates: Sequence[Any] = ()) -> ClassSummary:
    """The summary of a graded batch (``key``: the loaded key; ``out``: where its results are)."""
    students = list(key.students.values())
    return summarize(
        rows, items=load_items(out, rows),
        columns=list(dict.fromkeys(q for s in students for q in s.asked)),
        final=final_layer(s.raw_instance for s in students),
        assignment=getattr(key, "assignment", ""), family=getattr(key, "family", ""),
        files=files, duplicates=duplicates, feedback_files=_names(os.path.join(out, "feedback")),
    )


def load_items(out: str, rows: Sequence[Any]) -> dict[str, list[Mapping[str, Any]]]:
    """The ``check --json`` items of every scored row that does not carry them, read from its
    results file (a file that cannot be read leaves the student out: the summary lists them)."""
    found: dict[str, list[Mapping[str, Any]]] = {}
    for r in rows:
        if row_status(r) not in SCORED or row_items(r) is not None:
            continue
        sid = row_student(r)
        try:
            with open(os.path.join(out, "results", f"{sid}.json"), "rb") as fh:
                doc = json.loads(fh.read())
            items = doc["items"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if isinstance(items, list) and all(_is_item(i) for i in items):
            found[sid] = items
    return found


def _is_item(item: Any) -> bool:
    """Whether ``item`` has what the summary reads of a ``check --json`` item."""
    return (isinstance(item, dict) and isinstance(item.get("id"), str)
            and isinstance(item.get("verdict"), str) and isinstance(item.get("misconception") or "", str))


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
