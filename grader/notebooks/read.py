"""A notebook submission: the problem in ``metadata.backprop`` and the answers in the cells.

:func:`read_notebook_submission` reads a filled-in handout (``backprop check FILE.ipynb``): the
file (:mod:`.nbfile`), the answers read without running anything (:mod:`.cells`, with
:mod:`.plain` for the plain cells), or with ``execute`` the values the notebook computes in a
sandbox (:mod:`.execute`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from ..answers import Answer, Submission, read_answer, unknown_messages
from ..errors import BackpropError
from ..model import Instance
from ..validation import instance_from_dict
from .cells import ASSIGN_RE, parse_cell, read_answers
from .nbfile import MAX_CODE, Notebook, load_notebook, parse_notebook

__all__ = ["MAX_CODE", "Notebook", "asked_ids", "embedded_instance", "load_notebook", "merge_executed",
           "parse_cell", "parse_notebook", "read_answers", "read_notebook_submission",
           "submission_from_notebook"]


def embedded_instance(nb: Notebook) -> Instance | None:
    """The instance in ``metadata.backprop``, or None when absent or not a valid instance."""
    if nb.meta is None or not isinstance(nb.meta.get("instance"), dict):
        return None
    try:
        return instance_from_dict(nb.meta["instance"], f"{nb.path}: metadata.backprop.instance")
    except BackpropError:
        return None


def asked_ids(nb: Notebook, ids: Collection[str]) -> tuple[str, ...] | None:
    """The asked ids: ``metadata.backprop.asked``, else the ids on lines of ``answer``-tagged cells."""
    order = list(ids)
    raw = nb.meta.get("asked") if nb.meta else None
    if isinstance(raw, list):
        listed = {a for a in raw if isinstance(a, str)}
        found = tuple(i for i in order if i in listed)
        if found:
            return found
    tagged = {m.group(1) for src, tags in nb.code if "answer" in tags
              for m in (ASSIGN_RE.match(line) for line in src.split("\n")) if m}
    found = tuple(i for i in order if i in tagged)
    return found or None


def submission_from_notebook(nb: Notebook, instance: Instance | None = None) -> Submission:
    """The :class:`Submission` of a notebook, graded on ``instance`` (default: the embedded one)."""
    from ..solver import givens, solve

    warnings: list[str] = []
    if instance is None:
        if nb.meta is None:
            raise BackpropError(f"{nb.path}: has no backprop metadata, so its problem is unknown; "
                                "use the notebook you were given (or ask your instructor)")
        instance = embedded_instance(nb)
        if instance is None:
            try:
                instance_from_dict(nb.meta.get("instance"), f"{nb.path}: metadata.backprop.instance")
            except BackpropError as exc:
                raise BackpropError(exc.message) from None
            raise BackpropError(f"{nb.path}: metadata.backprop.instance is missing")
    trace = solve(instance)
    answers, lost = read_answers([src for src, _ in nb.code], trace.ids, givens(instance))
    warnings += lost
    ids = set(trace.ids)
    unknown = tuple(sorted({m.group(1) for src, tags in nb.code if "answer" in tags
                            for m in (ASSIGN_RE.match(line) for line in src.split("\n"))
                            if m and m.group(1) not in ids and _looks_like_id(m.group(1))}))
    warnings += unknown_messages(unknown, trace.ids)
    meta = dict(nb.meta) if nb.meta else {}
    return Submission(instance, answers, meta, tuple(warnings), asked_ids(nb, trace.ids), unknown)


def _looks_like_id(name: str) -> bool:
    return bool(re.match(r"(p|o|delta|dw|new_w)_[A-Za-z0-9_]+\Z|P(_step\d+)?\Z", name))


def read_notebook_submission(
    path: str | os.PathLike[str], instance: Instance | None = None, *, execute: bool = False,
    sandbox: str = "bwrap",
) -> Submission:
    """Read a filled-in notebook handout (``backprop check FILE.ipynb``).

    By default nothing runs. With ``execute``, the notebook is also run in ``sandbox``
    (:mod:`.execute`) and the values it computes replace the statically read ones; a
    notebook that cannot be run is a :class:`~grader.errors.BackpropError` with the reason.
    """
    sub = submission_from_notebook(load_notebook(Path(path)), instance)
    if not execute:
        return sub
    from dataclasses import replace

    from ..solver import solve
    from .execute import execute_values

    values = execute_values(str(path), solve(sub.instance).ids, sandbox=sandbox)
    return replace(sub, answers=merge_executed(sub.answers, values))


def merge_executed(answers: Mapping[str, Answer], values: Mapping[str, Any]) -> dict[str, Answer]:
    """Static answers overridden by the values the notebook computed (numbers; the handout's
    placeholder ``...`` is unanswered, a pair of whole numbers a decimal comma, anything else
    invalid)."""
    merged = dict(answers)
    for qid, v in values.items():
        if isinstance(v, float):
            merged[qid] = Answer(qid, v, v)
        elif v == "Ellipsis":
            continue  # the placeholder, left as it was handed out: unanswered
        elif qid not in merged or merged[qid].value is None:
            pair = _pair(v)
            merged[qid] = (read_answer(qid, pair) if pair is not None else Answer(
                qid, v, None, "is not a number (NaN)" if v == "nan" else f"is not a number: {v}"))
    return merged


def _pair(text: str) -> tuple[int, int] | None:
    """The pair of whole numbers the repr ``text`` shows (``(0, 5)``: ``o_A = 0,5`` run), else None."""
    m = re.fullmatch(r"\((-?\d{1,15}), (\d{1,15})\)", text)
    return (int(m.group(1)), int(m.group(2))) if m else None
