"""The instructor key (``DIR/key.json``): every student's instance, signature, asked ids and
full-precision answers. It never goes to students."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .errors import BackpropError
from .files import read_text
from .model import Instance, instance_from_dict

KEY_FORMAT = 1


def key_document(variants: Sequence[Any], family: Any, assignment: str) -> dict[str, Any]:
    students = {}
    for v in variants:
        trace = v.trace()
        students[v.student] = {
            "name": v.name,
            "email": v.email,
            "signature": v.signature,
            "instance": v.instance.to_dict(),
            "asked": list(v.asked),
            "answers": {qid: trace[qid].value for qid in v.asked},
        }
    return {
        "format": KEY_FORMAT,
        "assignment": assignment,
        "family": family.id,
        "ecf_credit": family.ecf_credit,
        "students": students,
    }


@dataclass(frozen=True)
class KeyEntry:
    """One student's line of the key. The instance is validated when first used, so a batch
    that grades some students never builds the others' (``raw_instance`` is the key's dict)."""

    student: str
    name: str
    email: str
    signature: str
    raw_instance: Mapping[str, Any] = field(repr=False)
    asked: tuple[str, ...]
    answers: dict[str, float]
    source: str = field(default="key.json", repr=False)

    @cached_property
    def instance(self) -> Instance:
        return instance_from_dict(self.raw_instance, f"{self.source}: students.{self.student}.instance")


@dataclass(frozen=True)
class Key:
    assignment: str
    family: str
    ecf_credit: float
    students: dict[str, KeyEntry]


def load_key(path: str | os.PathLike[str]) -> Key:
    """Read the key. Each student's entry is checked for its fields here; its instance is
    validated when first used (:attr:`KeyEntry.instance`)."""
    text = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BackpropError(f"{path}: is not a key.json written by backprop generate ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(data, dict) or not isinstance(data.get("students"), dict):
        raise BackpropError(f"{path}: is not a key.json written by backprop generate (no \"students\" table)")
    entries = {}
    for sid, e in data["students"].items():
        try:
            entries[sid] = KeyEntry(
                student=sid,
                name=e.get("name", ""),
                email=e.get("email", ""),
                signature=_text(e["signature"]),
                raw_instance=_table(e["instance"]),
                asked=tuple(_text(a) for a in e["asked"]),
                answers={k: float(v) for k, v in e.get("answers", {}).items()},
                source=str(path),
            )
        except (KeyError, TypeError, AttributeError, ValueError):
            raise BackpropError(f"{path}: students.{sid} is incomplete; regenerate the key with backprop generate") from None
    return Key(
        assignment=str(data.get("assignment", "")),
        family=str(data.get("family", "")),
        ecf_credit=float(data.get("ecf_credit", 1.0)),
        students=entries,
    )


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return value


def _table(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(value)
    return value
