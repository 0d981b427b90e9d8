"""Reading a student's answers: one reader for answer files, notebooks and the live kernel.

An answer is a number, or a string holding a number or a plain arithmetic expression
(``"1/4"``, ``"exp(-1)"``), read by :mod:`grader.expr` (never ``eval``). An empty string or an
absent key is unanswered. Anything else (a boolean, a table, NaN, infinity, an expression the
evaluator does not understand) is an *invalid* answer: it is kept, with the reason, so that the
report shows it; it never stops the rest of the file from being graded.

Answers are read in the order of the file, and an expression may use the given values and the
answers above it, exactly as in a notebook run from top to bottom: :class:`Names` holds the
values so far and the message for every other quantity id (answered further down, unanswered,
or unreadable). The ``[answers]`` table of a TOML file (:func:`answers_from_table`), a notebook
read without running it (:mod:`grader.notebooks.read`) and the variables of a running notebook
(:mod:`grader.selfcheck`) all go through :func:`read_answer` and :class:`Names`.

A file with no ``[instance]`` or whose ``[answers]`` is not a table cannot be graded at all:
that is a :class:`~grader.errors.BackpropError` (exit status 2 at the command line).
"""

from __future__ import annotations

import json
import math
import numbers
import os
import re
import tomllib
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import answer_hints
from .errors import BackpropError, did_you_mean
from .expr import MAX_MAGNITUDE, TOO_LARGE, TYPOGRAPHIC, ExprError, decimal_comma, evaluate, normalize
from .model import Instance

_NO_NAMES: Mapping[str, float] = {}
_NO_REASONS: Mapping[str, str] = {}


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
    shown = repr(qid) if len(qid) <= 60 else f"{qid[:57]!r}... ({len(qid):,} characters)"
    closest = answer_hints.transposed(qid, options) or did_you_mean(qid, options)
    return f"{shown} is not a quantity of this problem{closest}; it was not graded"


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


class Names:
    """What an answer expression may use while a file is read in order: ``values`` (the givens,
    then each readable answer), and ``absent``, the message for a quantity id without a value."""

    def __init__(self, givens: Mapping[str, float], ids: Iterable[str]) -> None:
        self.values: dict[str, float] = dict(givens)
        self.absent: dict[str, str] = {
            qid: f"uses {qid} before it is answered; an answer may use the given values and the "
                 "answers above it" for qid in ids}
        #: the absent names that only running the notebook gives a value
        self.dynamic: set[str] = set()

    def runs(self, name: str, message: str) -> None:
        """``name`` has a value only when the notebook runs (``message`` says so)."""
        self.absent[name] = message
        self.dynamic.add(name)

    def note(self, answer: Answer) -> None:
        """After ``answer`` is read: its value for the answers below it, or why there is none."""
        qid = answer.id
        self.dynamic.discard(qid)
        if answer.value is not None:
            self.values[qid] = answer.value
            return
        self.values.pop(qid, None)
        self.absent[qid] = (f"uses {qid}, which is not answered" if answer.error is None
                            else f"uses {qid}, whose answer is not readable (see {qid})")


def call_message(call: str, *, runnable: bool) -> str:
    """What to do about an answer that calls ``call()``: run the notebook, or write the number."""
    if runnable:
        return (f"needs execution: calls {call}(); check (or grade) with --execute to run the notebook, "
                "or write a number or an arithmetic expression")
    return (f"uses {call}(), a function an answer cannot call; write a number or an arithmetic expression "
            "(exp, log, sqrt and round may be used)")


def read_text(qid: str, text: str, shown: str | float, names: Mapping[str, float] = _NO_NAMES,
              absent: Mapping[str, str] = _NO_REASONS) -> Answer:
    """An answer written as text (a TOML string, a string in a notebook)."""
    try:
        return Answer(qid, shown, evaluate(text, names, absent))
    except ExprError as exc:
        message = exc.message if exc.call is None else call_message(exc.call, runnable=False)
        if exc.absent is None:  # (-0.6708 (rounded) is no call of 0.6708: answer_hints)
            message = (answer_hints.message(text)
                       or message + answer_hints.unknown_name(text, [*names, *absent]))
        return Answer(qid, shown, None, foreign_digits(text) or message)


#: the Arabic decimal separator, typed with Arabic-Indic digits
_ARABIC_POINT = "٫"


def foreign_digits(text: str, prefix: str = "") -> str | None:
    """The message for an answer typed with decimal digits that are not ASCII (full-width ones
    from an input method, Arabic-Indic, Devanagari: Python's float() reads them, the grader's
    arithmetic does not), with the answer to type (after ``prefix``); None when it has none."""
    if text.isascii() or not any(c.isdecimal() and not c.isascii() for c in text):
        return None
    typed = " ".join(text.split())
    fixed = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else "." if c == _ARABIC_POINT else c
                    for c in normalize(typed))
    return f"uses the digits {typed[:60]} (not 0-9); type them in ASCII: {prefix}{fixed[:60]}"


def read_answer(qid: str, raw: Any, names: Mapping[str, float] = _NO_NAMES,
                absent: Mapping[str, str] = _NO_REASONS) -> Answer:
    """One value as an :class:`Answer`: a value of the ``[answers]`` table, or of a variable of a
    running notebook (``...`` is the handout's placeholder: unanswered)."""
    if raw is None or raw is Ellipsis:
        return Answer(qid, None, None)
    if isinstance(raw, bool) or type(raw).__name__ == "bool_":  # also numpy's
        return Answer(qid, str(raw).lower(), None, f"is a boolean ({str(raw).lower()}), not a number")
    if not isinstance(raw, (int, float)) and isinstance(raw, numbers.Real):  # numpy's numbers
        raw = float(raw) if not isinstance(raw, numbers.Integral) else int(raw)
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
        return read_text(qid, raw, shown, names, absent)
    if isinstance(raw, tuple) and len(raw) == 2 and all(type(x) is int for x in raw):
        # o_A = -0,5 run by Python: the pair (0, 5), its sign lost; so no number is suggested
        return Answer(qid, str(raw), None, f"is a pair of numbers {raw}, not one number: a decimal comma? "
                                           "write the number with a decimal point")
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
    expression may use (the givens: ``x1``, ``w_x1_A``, ``alpha``, ...), and the answers above it
    in the table (:class:`Names`).
    """
    if not isinstance(table, Mapping):
        raise BackpropError(f"{source}: [answers] must be a table of id = number")
    answers: dict[str, Answer] = {}
    unknown: list[str] = []
    known = Names(names, ids if ids is not None else [str(k) for k in table])
    for key, raw in table.items():
        qid = str(key)
        if ids is not None and qid not in ids:
            unknown.append(qid)
            continue
        answer = answers[qid] = read_answer(qid, raw, known.values, known.absent)
        known.note(answer)
    return answers, unknown_messages(unknown, ids) if unknown else []


def _kind(value: Any) -> str:
    """What a value that should have been a table is: ``a list``, ``a single value``."""
    return "a list" if isinstance(value, list) else "a single value"


def submission_from_data(data: Mapping[str, Any], source: str) -> Submission:
    """A :class:`Submission` from the parsed file (``[instance]``, ``[answers]``, ``[meta]``)."""
    from .solver import givens, solve
    from .validation import instance_from_dict, looks_like_family

    if looks_like_family(data):
        raise BackpropError(f"{source}: is a problem family (the ranges each student's variant is drawn "
                            "from), not a filled-in handout; check the handout .toml you were given")
    if "students" in data and "format" in data:
        raise BackpropError(f"{source}: is an assignment's key (the instructor's file, with every student's "
                            "answers), not a filled-in handout; check your own handout .toml (or .ipynb)")
    if "instance" not in data and "weights" in data and "layers" in data:
        raise BackpropError(f"{source}: is a problem (alpha, weights, samples) without answers, not a "
                            "filled-in handout; check the handout .toml you were given, which holds the "
                            "problem under [instance] and your answers under [answers]")
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
    """Read and check a filled-in handout (TOML, or JSON with the same structure).

    A TOML file that does not parse because of an answer written as people write it (an
    expression without quotes, a decimal comma, a typographic minus) says so, with the fix."""
    from .files import read_data, read_text

    try:
        data = read_data(path)
    except BackpropError:
        if str(path).lower().endswith(".json"):
            raise
        try:
            hint = toml_answer_hint(read_text(path))
        except BackpropError:
            hint = None
        if hint is None:
            raise
        raise BackpropError(f"{path}: is not valid TOML: {hint}") from None
    return submission_from_data(data, str(path))


#: the longest answer line a hint quotes whole (with its fix); a longer one is quoted cut short
_HINT_MOST = 100


def _clip(text: str, most: int = 40) -> str:
    return text if len(text) <= most else f"{text[:most - 3]}..."


_TOML_LINE = re.compile(r"\s*([A-Za-z0-9_-]+)\s*=\s*(.*)\Z")  # (not (.*?)\s*\Z: quadratic in spaces)


def toml_answer_hint(text: str) -> str | None:
    """Why the first answer line of ``[answers]`` that TOML cannot read is not a TOML value,
    with the line to write instead; None when every answer line is a TOML value."""
    section = None
    seen: dict[str, int] = {}  # answer id -> its line
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("["):
            section = stripped.split("#", 1)[0].strip()
            continue
        m = _TOML_LINE.match(line) if section == "[answers]" else None
        if m is not None and m.group(1) in seen:
            return (f"line {number}: {_clip(m.group(1))} is given twice (first on line {seen[m.group(1)]}); "
                    "keep one")
        if m is not None:
            seen[m.group(1)] = number
        if m is None or m.group(2)[:1] in ('"', "'"):
            continue
        key, value = m.group(1), m.group(2).split("#", 1)[0].strip()
        if not value or _is_toml_value(value):
            continue
        if len(key) + len(value) > _HINT_MOST:  # (quoted short: the message goes to every output)
            return (f"line {number}: {_clip(key)} = {_clip(value)} is not a TOML value: write the answer "
                    "as a number, or in quotes")
        written = f"line {number}: {key} = {value}"
        comma = decimal_comma(value)
        if comma is not None:
            return f"{written} {comma.replace(': ', f': {key} = ', 1)}"
        digits = foreign_digits(value, f"{key} = ")
        if digits is not None:
            return f"{written} {digits}"
        dot = answer_hints.leading_dot(value)
        if dot is not None:
            return f"{written} needs a 0 before the point in TOML: {key} = {dot}"
        fixed = answer_hints.fix(value, toml=True)
        if fixed is not None and _is_toml_value(fixed[1]):
            return f"{written} {fixed[0]}; write {key} = {fixed[1]}"
        plain = normalize(value)
        if plain != value and _is_toml_value(plain):
            sign = next(c for c in value if c in TYPOGRAPHIC)
            return (f"{written} uses the sign {sign} (U+{ord(sign):04X}, as printed); type it in ASCII: "
                    f"{key} = {plain}")
        if fixed is not None:  # e^-1: in quotes, with **
            return f"{written} {fixed[0]}; write {key} = {json.dumps(fixed[1], ensure_ascii=False)}"
        return (f"{written} is an expression, which TOML reads only in quotes: write "
                f"{key} = {json.dumps(value, ensure_ascii=False)}")
    return answer_hints.toml_line_hint(text)


def _is_toml_value(value: str) -> bool:
    try:
        tomllib.loads(f"x = {value}")
    except (tomllib.TOMLDecodeError, RecursionError, ValueError):
        return False
    return True
