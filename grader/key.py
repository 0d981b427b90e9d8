"""The instructor key (``DIR/key.json``): every student's instance, signature, asked ids and
full-precision answers. It never goes to students."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
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
    student: str
    name: str
    email: str
    signature: str
    instance: Instance
    asked: tuple[str, ...]
    answers: dict[str, float]


@dataclass(frozen=True)
class Key:
    assignment: str
    family: str
    ecf_credit: float
    students: dict[str, KeyEntry]


def load_key(path: str | os.PathLike[str]) -> Key:
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
                signature=e["signature"],
                instance=instance_from_dict(e["instance"], f"{path}: students.{sid}.instance"),
                asked=tuple(e["asked"]),
                answers={k: float(v) for k, v in e.get("answers", {}).items()},
            )
        except (KeyError, TypeError, AttributeError, ValueError):
            raise BackpropError(f"{path}: students.{sid} is incomplete; regenerate the key with backprop generate") from None
    return Key(
        assignment=str(data.get("assignment", "")),
        family=str(data.get("family", "")),
        ecf_credit=float(data.get("ecf_credit", 1.0)),
        students=entries,
    )
