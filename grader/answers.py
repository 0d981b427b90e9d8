"""Reading a student's answers: an ``[answers]`` table (DESIGN section 4) into :class:`Answer`s.

An answer is a number, or a string holding a number or a plain arithmetic expression
(``"1/4"``, ``"exp(-1)"``), read by :mod:`grader.expr` (never ``eval``). An empty string or an
absent key is unanswered. Anything else (a boolean, a table, NaN, infinity, an expression the
evaluator does not understand) is an *invalid* answer: it is kept, with the reason, so that the
report shows it; it never stops the rest of the file from being graded.

A file with no ``[instance]`` or whose ``[answers]`` is not a table cannot be graded at all:
that is a :class:`~grader.errors.BackpropError` (exit status 2 at the command line).
"""

from __future__ import annotations

import math
import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import BackpropError, did_you_mean
from .expr import MAX_MAGNITUDE, TOO_LARGE, ExprError, evaluate
from .model import Instance

_NO_NAMES: Mapping[str, float] = {}


@dataclass(frozen=True)
class Answer:
    """One answer as the student wrote it.

    ``value`` None and ``error`` None: unanswered. ``error`` set: invalid, with the reason;
    ``needs_execution``: invalid because only running the notebook computes it.
    """

    id: str
    #: what the student wrote, for display (a number, a string, or None)
    given: str | float | None
    value: float | None
    error: str | None = None
    needs_execution: bool = False

    @property
    def missing(self) -> bool:
        return self.value is None and self.error is None

    @property
    def invalid(self) -> bool:
        return self.error is not None


@dataclass(frozen=True)
class Submission:
    """A readable answer file: the instance, the answers by id, ``[meta]`` and warnings."""

    instance: Instance
    answers: Mapping[str, Answer]
    meta: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    #: the ids asked (``meta.asked`` or the keys of ``[answers]``); None: every quantity
    asked: tuple[str, ...] | None = None
    #: ids in ``[answers]`` that are not quantities of the instance
    unknown: tuple[str, ...] = ()


def unknown_message(qid: str, options: Collection[str]) -> str:
    return f"{qid!r} is not a quantity of this problem{did_you_mean(qid, options)}; it was not graded"


#: unknown ids named one by one in the warnings (each with its closest valid id); the rest counted
MAX_UNKNOWN_SHOWN = 20


def unknown_messages(qids: Iterable[str], options: Collection[str]) -> list[str]:
    """:func:`unknown_message` of each id, for the first :data:`MAX_UNKNOWN_SHOWN`, then one line
    counting the rest (finding the closest id of ten thousand would take seconds)."""
    qids = list(dict.fromkeys(qids))
    messages = [unknown_message(q, options) for q in qids[:MAX_UNKNOWN_SHOWN]]
    if len(qids) > MAX_UNKNOWN_SHOWN:
        messages.append(f"{len(qids) - MAX_UNKNOWN_SHOWN} more ids are not quantities of this problem; "
                        "they were not graded")
    return messages


def read_answer(qid: str, raw: Any, names: Mapping[str, float] = _NO_NAMES) -> Answer:
    """One raw value of the ``[answers]`` table as an :class:`Answer`."""
    if raw is None:
        return Answer(qid, None, None)
    if isinstance(raw, bool):
        return Answer(qid, str(raw).lower(), None, f"is a boolean ({str(raw).lower()}), not a number")
    if isinstance(raw, (int, float)):
        try:
            x = float(raw)
        except OverflowError:  # an integer of more than 308 digits
            return Answer(qid, "(a number over 1e308)", None, TOO_LARGE)
        if math.isnan(x):
            return Answer(qid, "nan", None, "is not a number (NaN)")
        if math.isinf(x):
            return Answer(qid, "-inf" if x < 0 else "inf", None, TOO_LARGE)
        if abs(x) > MAX_MAGNITUDE:
            return Answer(qid, raw if isinstance(raw, float) else str(raw), None, TOO_LARGE)
        return Answer(qid, raw, x)
    if isinstance(raw, str):
        if not raw.strip():
            return Answer(qid, None, None)
        shown = raw if len(raw) <= 60 else raw[:57] + "..."
        try:
            return Answer(qid, shown, evaluate(raw, names))
        except ExprError as exc:
            return Answer(qid, shown, None, exc.message, exc.needs_execution)
    kind = {dict: "a table", list: "a list"}.get(type(raw), type(raw).__name__)
    if not isinstance(raw, (dict, list)):
        kind = f"a {type(raw).__name__.replace('_', ' ')}"
    return Answer(qid, None, None, f"is {kind}, not a number")


def answers_from_table(
    table: Mapping, source: str, *, ids: Collection[str] | None = None,
    names: Mapping[str, float] = _NO_NAMES,
) -> tuple[dict[str, Answer], list[str]]:
    """The answers of an ``[answers]`` table by id, and warnings.

    With ``ids`` (the quantity ids of the instance), keys that are not among them are left out
    and reported as warnings with the closest valid id. ``names`` are the values an answer
    expression may use (the givens: ``x1``, ``w_x1_A``, ``alpha``, ...).
    """
    if not isinstance(table, Mapping):
        raise BackpropError(f"{source}: [answers] must be a table of id = number")
    answers: dict[str, Answer] = {}
    unknown: list[str] = []
    for key, raw in table.items():
        qid = str(key)
        if ids is not None and qid not in ids:
            unknown.append(qid)
            continue
        answers[qid] = read_answer(qid, raw, names)
    return answers, unknown_messages(unknown, ids) if unknown else []


def _kind(value: Any) -> str:
    """What a value that should have been a table is: ``a list``, ``a single value``."""
    return "a list" if isinstance(value, list) else "a single value"


def submission_from_data(data: Mapping[str, Any], source: str) -> Submission:
    """A :class:`Submission` from the parsed file (``[instance]``, ``[answers]``, ``[meta]``)."""
    from .model import instance_from_dict
    from .solver import givens, solve

    for key in data:
        if key not in ("instance", "answers", "meta"):
            raise BackpropError(
                f"{source}: unknown table [{key}]{did_you_mean(str(key), ('instance', 'answers', 'meta'))}; "
                "an answer file has [meta], [instance] and [answers]"
            )
    if "instance" not in data:
        raise BackpropError(f"{source}: has no [instance] table; check the handout file you were given")
    if "answers" not in data:
        raise BackpropError(f"{source}: has no [answers] table; add one with a line id = number per answer")
    if not isinstance(data["answers"], Mapping):
        raise BackpropError(f"{source}: answers must be a table ([answers]) of id = number, "
                            f"not {_kind(data['answers'])}")
    meta = data.get("meta", {})
    if not isinstance(meta, Mapping):
        raise BackpropError(f"{source}: meta must be a table ([meta]), not {_kind(meta)}")
    instance = instance_from_dict(data["instance"], source, table="instance")
    ids = solve(instance).ids
    valid = set(ids)
    answers, warnings = answers_from_table(
        data["answers"], f"{source}: answers", ids=valid, names=givens(instance)
    )
    unknown = tuple(str(k) for k in data["answers"] if str(k) not in valid)
    asked: tuple[str, ...] | None = tuple(k for k in ids if k in answers)
    raw_asked = meta.get("asked")
    if isinstance(raw_asked, Sequence) and not isinstance(raw_asked, str):
        listed = [str(a) for a in raw_asked if str(a) in valid]
        if listed:
            asked = tuple(k for k in ids if k in set(listed))
    if not asked:
        asked = None
    return Submission(instance, answers, dict(meta), tuple(warnings), asked, unknown)


def read_answer_file(path: str | os.PathLike[str]) -> Submission:
    """Read and check a filled-in handout (TOML, or JSON with the same structure)."""
    from .files import read_data

    return submission_from_data(read_data(path), str(path))
