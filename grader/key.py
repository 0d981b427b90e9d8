"""The instructor key (``DIR/key.json``): every student's instance, signature, asked ids and
full-precision answers. It never goes to students."""

from __future__ import annotations

import json
import os
from array import array
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from .errors import BackpropError
from .files import read_text
from .model import Instance
from .validation import instance_from_dict

KEY_FORMAT = 1
#: the indentation of key.json: one space a level, readable and not much larger than none
KEY_INDENT = 1
#: the largest key read: the instructor's own file, 166 MB for 100,000 students (files.MAX_BYTES
#: is for the files students hand in)
KEY_MAX_BYTES = 1024 * 1024 * 1024


def key_entry(variant: Any) -> dict[str, Any]:
    """A student's entry of the key: their instance, signature, asked ids and full-precision
    answers (made where the variant's trace is at hand)."""
    trace = variant.trace()
    return {
        "name": variant.name,
        "email": variant.email,
        "signature": variant.signature,
        "instance": variant.instance.to_dict(),
        "asked": list(variant.asked),
        "answers": {qid: trace[qid].value for qid in variant.asked},
    }


def key_document(variants: Sequence[Any], family: Any, assignment: str,
                 entries: Mapping[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The key as plain data: ``entries`` (student -> entry, in order) when given, else the
    entries of ``variants``."""
    if entries is None:
        entries = {v.student: key_entry(v) for v in variants}
    return {
        "format": KEY_FORMAT,
        "assignment": assignment,
        "family": family.id,
        "ecf_credit": family.ecf_credit,
        "students": dict(entries),
    }


def key_text(document: Mapping[str, Any]) -> str:
    """The text of key.json: the same document always gives the same bytes (so an entry read
    back and written again is unchanged, byte for byte)."""
    return json.dumps(document, indent=KEY_INDENT) + "\n"


_FIELDS = ("student", "name", "email", "signature", "raw_instance", "asked", "answers", "source")


class KeyEntry:
    """One student's line of the key (immutable).

    Its instance is validated when first used (:attr:`instance`), so a batch that grades some
    students never builds the others', and a broken instance is that student's error. Its
    answers (:attr:`answers`, by id) are read when first used too: grading never needs them
    (it solves the instance), and their full-precision numbers are most of the key's text.
    ``raw_instance`` is the key's dict, as parsed.

    A key of 100,000 students is held in memory: the answers, when they are numbers given in
    the order of ``asked`` (as ``backprop generate`` writes them), are kept as an array of
    doubles (and :attr:`answers` makes their dict each time it is asked for), and
    :func:`load_key` gives students with the same asked ids one tuple."""

    student: str
    name: str
    email: str
    signature: str
    raw_instance: Mapping[str, Any]
    asked: tuple[str, ...]
    source: str

    def __init__(self, student: str, name: str, email: str, signature: str, raw_instance: Mapping[str, Any],
                 asked: tuple[str, ...], answers: Mapping[str, float], source: str = "key.json") -> None:
        _set(self, "__dict__", {
            "student": student, "name": name, "email": email, "signature": signature,
            "raw_instance": raw_instance, "asked": asked, "source": source,
            "_answers": _packed(answers, asked),
        })

    @property
    def instance(self) -> Instance:
        """The student's instance, validated; kept while the entry is among the :data:`KEEP` whose
        instance was last made (a batch grades each student once: 100,000 instances kept would
        be 160 MB)."""
        found = self.__dict__.get("_instance")
        if found is None:
            found = self.__dict__["_instance"] = instance_from_dict(
                self.raw_instance, f"{self.source}: students.{self.student}.instance"
            )
            _KEPT.append(self)
            if len(_KEPT) > KEEP:
                _KEPT.popleft().__dict__.pop("_instance", None)
        return found

    def packed_answers(self) -> tuple[tuple[str, ...], array] | None:
        """The answers as (ids, their values) when the key holds them packed (numbers, in the
        order of ``asked``); None otherwise (read :attr:`answers`)."""
        raw = self._answers
        return (self.asked, raw) if isinstance(raw, array) else None

    @property
    def answers(self) -> dict[str, float]:
        raw = self._answers
        if isinstance(raw, array):
            return dict(zip(self.asked, raw, strict=True))
        try:
            return {k: float(v) for k, v in raw.items()}
        except (TypeError, AttributeError, ValueError):  # (json.JSONDecodeError is a ValueError)
            raise BackpropError(
                f"{self.source}: students.{self.student}.answers is incomplete; regenerate the key with "
                "backprop generate"
            ) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"KeyEntry is immutable: cannot set {name}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"KeyEntry is immutable: cannot delete {name}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not KeyEntry:
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in _FIELDS)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"KeyEntry(student={self.student!r}, name={self.name!r}, email={self.email!r}, "
                f"signature={self.signature!r}, asked={self.asked!r})")


_set = object.__setattr__
#: the entries whose validated instance is kept, oldest first (see KeyEntry.instance)
_KEPT: deque[KeyEntry] = deque()
KEEP = 256


def _packed(answers: Any, asked: tuple[str, ...]) -> Any:
    """The answers as an array of doubles in ``asked`` order when they are numbers given in that
    order (the key as written), else as given (read, and their error raised, when first used)."""
    if isinstance(answers, dict) and len(answers) == len(asked) and tuple(answers) == asked:
        values = list(answers.values())
        if all(type(v) is float or type(v) is int for v in values):
            try:
                return array("d", values)
            except OverflowError:  # (an int too large for a double: its error when first used)
                return answers
    return answers


@dataclass(frozen=True)
class Key:
    assignment: str
    family: str
    ecf_credit: float
    students: dict[str, KeyEntry]


def load_key(path: str | os.PathLike[str]) -> Key:
    """Read the key. Each student's entry is checked for its fields here, but the answers;
    its instance is validated when first used (:attr:`KeyEntry.instance`), its answers are
    checked when first used (:attr:`KeyEntry.answers`)."""
    text = read_text(path, most=KEY_MAX_BYTES)
    shared: dict[tuple[str, ...], tuple[str, ...]] = {}  # (one tuple of asked ids for all who share it)
    packed: dict[int, dict[str, Any]] = {}
    try:
        data = json.loads(text, object_hook=partial(_compact, packed, shared))
        del text  # (166 MB for 100,000 students)
        _unpack(packed, data)
    except json.JSONDecodeError as exc:
        raise BackpropError(
            f"{path}: is not a key.json written by backprop generate ({exc.msg}, line {exc.lineno})"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("students"), dict):
        raise BackpropError(f"{path}: is not a key.json written by backprop generate (no \"students\" table)")
    source = str(path)
    entries = {}
    for sid, e in data["students"].items():
        try:
            signature = e["signature"]
            raw_instance = e["instance"]
            if not isinstance(signature, str) or not isinstance(raw_instance, dict):
                raise TypeError
            entries[sid] = KeyEntry(sid, e.get("name", ""), e.get("email", ""), signature, raw_instance,
                                    _asked(shared, e["asked"]), e.get("answers", {}), source)
        except (KeyError, TypeError, AttributeError, ValueError):
            raise BackpropError(
                f"{path}: students.{sid} is incomplete; regenerate the key with backprop generate"
            ) from None
    return Key(
        assignment=str(data.get("assignment", "")),
        family=str(data.get("family", "")),
        ecf_credit=float(data.get("ecf_credit", 1.0)),
        students=entries,
    )


def _compact(packed: dict[int, dict[str, Any]], shared: dict[tuple[str, ...], tuple[str, ...]],
             d: dict[str, Any]) -> dict[str, Any]:
    """An object of the key as it is parsed (json's object_hook): one that looks like a student's
    entry is made compact at once (its asked ids one tuple that the students share, its answers,
    floats in that order, an array), so that a large key never holds every student's answers as
    dicts. It is noted in ``packed``: :func:`_unpack` gives back its lists and dicts to one that
    is not a student's entry after all (the same object inside an instance, say)."""
    if "answers" not in d:  # (most objects: a weight table, a sample)
        return d
    asked, answers = d.get("asked"), d["answers"]
    # (the ids equal to the answers' keys are strings: a JSON object's keys are)
    if (type(asked) is list and type(answers) is dict and len(asked) == len(answers)
            and tuple(answers) == tuple(asked) and set(map(type, answers.values())) <= {float}):
        d["asked"] = _one(shared, tuple(asked))
        d["answers"] = array("d", answers.values())
        packed[id(d)] = d
    return d


def _unpack(packed: dict[int, dict[str, Any]], data: Any) -> None:
    """Give the objects :func:`_compact` packed that are not students' entries their lists and dicts back."""
    students = data.get("students") if isinstance(data, dict) else None
    entries = {id(e) for e in students.values()} if isinstance(students, dict) else set()
    for k, d in packed.items():
        if k not in entries:
            d["asked"], d["answers"] = list(d["asked"]), dict(zip(d["asked"], d["answers"], strict=True))


def _asked(shared: dict[tuple[str, ...], tuple[str, ...]], asked: Any) -> tuple[str, ...]:
    """A student's asked ids (a TypeError: not a list of strings), the one tuple of them."""
    if type(asked) is tuple:  # (made by _compact, of strings)
        return asked
    return _one(shared, tuple([_text(a) for a in asked]))


def _one(shared: dict[tuple[str, ...], tuple[str, ...]], asked: tuple[str, ...]) -> tuple[str, ...]:
    return shared.setdefault(asked, asked)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return value
