"""The instructor key (``DIR/key.json``): every student's instance, signature, asked ids and
full-precision answers. It never goes to students."""

from __future__ import annotations

import gc
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from typing import Any

from .errors import BackpropError
from .files import read_text
from .model import Instance, instance_from_dict

KEY_FORMAT = 1
#: the indentation of key.json: one space a level, readable and not much larger than none
KEY_INDENT = 1


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
    ``raw_instance`` is the key's dict, as parsed."""

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
            "_answers": answers,
        })

    @property
    def instance(self) -> Instance:
        found = self.__dict__.get("_instance")
        if found is None:
            found = self.__dict__["_instance"] = instance_from_dict(
                self.raw_instance, f"{self.source}: students.{self.student}.instance"
            )
        return found

    @property
    def answers(self) -> dict[str, float]:
        found = self.__dict__.get("_answers_read")
        if found is None:
            raw = self._answers
            try:
                value = json.loads(raw) if raw.__class__ is _Text else raw
                found = {k: float(v) for k, v in value.items()}
            except (TypeError, AttributeError, ValueError):  # (json.JSONDecodeError is a ValueError)
                raise BackpropError(
                    f"{self.source}: students.{self.student}.answers is incomplete; regenerate the key with "
                    "backprop generate"
                ) from None
            self.__dict__["_answers_read"] = found
        return found

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


_new = object.__new__
_set = object.__setattr__


@dataclass(frozen=True)
class Key:
    assignment: str
    family: str
    ecf_credit: float
    students: dict[str, KeyEntry]


def load_key(path: str | os.PathLike[str]) -> Key:
    """Read the key. Each student's entry is checked for its fields here, but the answers;
    its instance is validated when first used (:attr:`KeyEntry.instance`), its answers are
    read when first used (:attr:`KeyEntry.answers`)."""
    text = read_text(path)
    collecting = gc.isenabled()
    gc.disable()  # (reading makes thousands of containers and no cycle: no collection rounds)
    try:
        lazily = _parse_lazily(text)
        if lazily is not None:
            key = _key(lazily[0], path, lazily[1])
            if key is not None:
                return key
    finally:
        if collecting:
            gc.enable()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BackpropError(
            f"{path}: is not a key.json written by backprop generate ({exc.msg}, line {exc.lineno})"
        ) from None
    key = _key(data, path, 0)
    assert key is not None
    return key


def _key(data: Any, path: str | os.PathLike[str], cuts: int) -> Key | None:
    """The key of the parsed ``data``; None when it holds other than ``cuts`` cut values of
    :func:`_parse_lazily` as students' asked ids and answers (then parse the text whole)."""
    if not isinstance(data, dict) or not isinstance(data.get("students"), dict):
        if cuts:
            return None
        raise BackpropError(f"{path}: is not a key.json written by backprop generate (no \"students\" table)")
    source = str(path)
    entries = {}
    asked_of: dict[int, tuple[str, ...]] = {}  # the checked tuple of each shared list of asked ids
    found = 0
    for sid, e in data["students"].items():
        try:
            signature = e["signature"]
            raw_instance = e["instance"]
            listed = e["asked"]
            answers = e.get("answers", _EMPTY)
            if signature.__class__ is not str or raw_instance.__class__ is not dict:
                if not isinstance(signature, str) or not isinstance(raw_instance, dict):
                    raise TypeError
            if listed.__class__ is _Shared:
                found += 1
                asked = asked_of.get(id(listed))
                if asked is None:
                    asked = asked_of[id(listed)] = tuple([_text(a) for a in listed])
            else:
                asked = tuple([_text(a) for a in listed])
            if answers.__class__ is _Text:
                found += 1
            entry = _new(KeyEntry)
            _set(entry, "__dict__", {
                "student": sid, "name": e.get("name", ""), "email": e.get("email", ""),
                "signature": signature, "raw_instance": raw_instance, "asked": asked, "source": source,
                "_answers": answers,
            })
        except (KeyError, TypeError, AttributeError, ValueError):
            raise BackpropError(
                f"{path}: students.{sid} is incomplete; regenerate the key with backprop generate"
            ) from None
        entries[sid] = entry
    if found != cuts:
        return None  # a cut elsewhere, or lost to a repeated key
    return Key(
        assignment=str(data.get("assignment", "")),
        family=str(data.get("family", "")),
        ecf_credit=float(data.get("ecf_credit", 1.0)),
        students=entries,
    )


_EMPTY: dict[str, Any] = {}


def _parse_lazily(text: str) -> tuple[dict[str, Any], int] | None:
    """``json.loads(text)`` for a key, without parsing every student's answers (most of the
    text: full-precision numbers that grading never reads), and parsing each distinct list of
    asked ids once; with the number of cuts it made (see below), or None when it makes none.

    Every ``"asked": [...]`` whose brackets hold no ``[``, ``{`` or backslash and an even number
    of quotes (so its first ``]`` closes it: no string runs across it) is cut out of the text
    and replaced by a placeholder, ``NaN``; so is an ``"answers": {...}`` of the same kind
    that follows it at once (as ``backprop generate`` writes them). Each is a key's value: the
    quote before ``asked`` is not escaped, so it is a string's first quote (after a string's
    last one JSON has no letter) and the string ends at the next one; the answers follow the
    list's end. The rest is parsed, each ``NaN`` becoming the cut it stands for, in order
    (``parse_constant`` is called for them in the order of the text): an answers cut as a
    :class:`_Text` (parsed when used; a broken one is that student's error:
    :attr:`KeyEntry.answers`), an asked cut as its list (a :class:`_Shared`, parsed here once
    per distinct text). When the calls do not match the cuts (the key has a NaN or Infinity of
    its own) or a part does not parse, this returns None: parse the whole. The caller checks
    that every cut turned up as the answers or asked of a student's entry (none lost to a
    repeated key, none elsewhere); then the result is ``json.loads(text)`` but for the
    answers' texts."""
    find = text.find
    pieces: list[str] = []
    cuts: list[Any] = []  # the answers' texts and the asked lists' numbers, in the order of the text
    lists: dict[str, int] = {}  # the text of each distinct asked list (checked) -> its number
    pos = 0  # the text up to here is in pieces
    at = find('"asked":')
    while at >= 0:
        start = at + 8
        while text[start:start + 1] in _SPACE:
            start += 1
        if text[start:start + 1] == "[" and text[at - 1:at] != "\\":
            end = find("]", start) + 1
            cut = text[start:end]
            number = lists.get(cut)
            if number is None and end and _flat(cut):
                number = lists[cut] = len(lists)
            if number is not None:
                pieces.append(text[pos:start])
                pieces.append("NaN")
                cuts.append(number)
                pos = end
                # the answers, when they follow: ', "answers": {...}' (any spacing)
                at = find('"answers":', end, end + 64)
                if at >= 0 and not text[end:at].strip(_BETWEEN):
                    start = at + 10
                    while text[start:start + 1] in _SPACE:
                        start += 1
                    if text[start:start + 1] == "{":
                        end = find("}", start) + 1
                        cut = text[start:end]
                        if end and _flat(cut):
                            pieces.append(text[pos:start])
                            pieces.append("NaN")
                            cuts.append(_Text(cut))
                            pos = end
        at = find('"asked":', pos if pos > at else at + 8)
    if not cuts:
        return None
    pieces.append(text[pos:])
    try:
        parsed = [_Shared(json.loads(cut)) for cut in lists]
        cuts = [parsed[c] if c.__class__ is int else c for c in cuts]
        slots = chain(cuts, (_END,), repeat(_EXTRA)).__next__
        data = json.loads("".join(pieces), parse_constant=lambda name: slots())
    except (json.JSONDecodeError, RecursionError):
        return None
    if slots() is not _END:
        return None  # a NaN or Infinity in the key itself
    return data, len(cuts)


def _flat(cut: str) -> bool:
    """Whether the JSON text ``cut`` (``[...]`` or ``{...}``, no other bracket or brace at its
    end) holds no bracket, brace or backslash, and an even number of quotes."""
    return ("\\" not in cut and cut.find("[", 1) < 0 and cut.find("{", 1) < 0
            and cut.count('"') % 2 == 0)


class _Text(str):
    """The JSON text of a value, parsed when first used."""


class _Shared(list):
    """A list of asked ids that several students' entries share (parsed once)."""


_END = object()
_EXTRA = object()
_SPACE = frozenset(" \t\n\r")
_BETWEEN = " \t\n\r,"


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return value
