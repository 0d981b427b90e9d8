"""The malformed answer files (TOML handouts) of the attack corpus, each from its own student's
handout as ``backprop generate`` wrote it (the case's name is the student's id, so that in a
batch every file is its own student's row).
"""

from __future__ import annotations

import codecs
import tomllib
from collections.abc import Callable
from typing import Any

from corpus_cases import EXPRESSIONS, INSTANCE_CHANGES, _case, garbage, to_toml


def _toml_data(text: bytes) -> dict[str, Any]:
    return tomllib.loads(text.decode("utf-8"))


def _answers_case(name: str, change: Callable[[dict], dict | bytes]) -> None:
    def make(handout: bytes) -> bytes:
        result = change(_toml_data(handout))
        return result if isinstance(result, bytes) else to_toml(result)

    _case(f"toml-{name}", "answers", ".toml", make)


def _answers_bytes(name: str, change: Callable[[bytes], bytes]) -> None:
    _case(f"toml-{name}", "answers", ".toml", change)


def _answer(qid: str, value: Any) -> Callable[[dict], dict]:
    def change(data: dict) -> dict:
        data["answers"][qid] = value
        return data

    return change


for _name, _fn in {
    "empty": lambda h: b"",
    "blank": lambda h: b"\n \n",
    "truncated": lambda h: h[: len(h) // 2],
    "garbage": lambda h: garbage(8192, 3),
    "nul": lambda h: h.replace(b"[answers]", b"[answers]\x00"),
    "utf16-bom": lambda h: codecs.BOM_UTF16_LE + h.decode().encode("utf-16-le"),
    "utf16-nobom": lambda h: h.decode().encode("utf-16-be"),
    "latin1": lambda h: h.replace(b"# Fill", "# Fill \u00e9".encode("latin-1")),
    "surrogate-bytes": lambda h: h.replace(b'p_A = ""', b'p_A = "\xed\xa0\x80"'),
    "png": lambda h: b"\x89PNG\r\n\x1a\n" + garbage(500, 4),
    "cr-only": lambda h: h.replace(b"\n", b"\r"),
    "crlf": lambda h: h.replace(b"\n", b"\r\n"),
    "utf8-bom": lambda h: codecs.BOM_UTF8 + h,
    "duplicated-id": lambda h: h.replace(b'p_A = ""', b'p_A = "1"\np_A = "2"'),
    "answers-array": lambda h: h.replace(b"[answers]", b"answers = [1, 2]\n[unused]"),
    "answers-array-of-tables": lambda h: h.replace(b"[answers]", b"[[answers]]"),
    "bad-escape-surrogate": lambda h: h.replace(b'p_A = ""', b'p_A = "\\ud800"'),
    "unicode-minus-bare": lambda h: h.replace(b'p_A = ""', "p_A = \u22120.5".encode()),
    "dotted-id": lambda h: h.replace(b'p_A = ""', b"p_A.x = 1"),
    "comments-only-answers": lambda h: h.split(b"[answers]")[0] + b"[answers]\n" + b"# nothing\n" * 50_000,
    "deep-array-answer": lambda h: h.replace(b'p_A = ""', b"p_A = " + b"[" * 10_000 + b"]" * 10_000),
    "huge-int-answer": lambda h: h.replace(b'p_A = ""', b"p_A = 1" + b"0" * 5000),
    "4000-digit-int-answer": lambda h: h.replace(b'p_A = ""', b"p_A = 1" + b"0" * 4000),
    "400-digit-int-answer": lambda h: h.replace(b'p_A = ""', b"p_A = 1" + b"0" * 400),
    "datetime-answer": lambda h: h.replace(b'p_A = ""', b"p_A = 1979-05-27T07:32:00Z"),
    "date-answer": lambda h: h.replace(b'p_A = ""', b"p_A = 1979-05-27"),
    "time-answer": lambda h: h.replace(b'p_A = ""', b"p_A = 07:32:00"),
    "nan-answer": lambda h: h.replace(b'p_A = ""', b"p_A = nan"),
    "inf-answer": lambda h: h.replace(b'p_A = ""', b"p_A = -inf"),
    "float-1e999-answer": lambda h: h.replace(b'p_A = ""', b"p_A = 1e999"),
    "bool-answer": lambda h: h.replace(b'p_A = ""', b"p_A = true"),
    "table-answer": lambda h: h.replace(b'p_A = ""', b"p_A = { v = 1 }"),
    "array-answer": lambda h: h.replace(b'p_A = ""', b"p_A = [1, 2]"),
    "huge-float-answer": lambda h: h.replace(b'p_A = ""', b"p_A = 1e308"),
    "neg-zero-answer": lambda h: h.replace(b'p_A = ""', b"p_A = -0.0"),
}.items():
    _answers_bytes(_name, _fn)

for _name, _expr in EXPRESSIONS.items():
    _answers_case(f"expr-{_name}", _answer("o_A", _expr))


def _data_change(fn: Callable[[dict], None]) -> Callable[[dict], dict]:
    def change(data: dict) -> dict:
        fn(data)
        return data

    return change


for _name, _fn in {
    "unknown-id": lambda d: d["answers"].update(p_Z=1.0),
    "ten-thousand-unknown-ids": lambda d: d["answers"].update({f"p_Z{i}": 1.0 for i in range(10_000)}),
    "id-with-spaces": lambda d: d["answers"].update({"p A": 1.0}),
    "empty-id": lambda d: d["answers"].update({"": 1.0}),
    "unicode-id": lambda d: d["answers"].update({"p_\u00c4": 1.0, "o_A\u200f": 1.0}),
    "later-step-id": lambda d: d["answers"].update(o_A_step2=1.0),
    "capital-id": lambda d: d["answers"].update(O_A=1.0),
    "answers-string": lambda d: d.update(answers="0.5"),
    "answers-missing": lambda d: d.pop("answers"),
    "instance-missing": lambda d: d.pop("instance"),
    "instance-array": lambda d: d.update(instance=[1, 2]),
    "meta-array": lambda d: d.update(meta=[1]),
    "meta-missing": lambda d: d.pop("meta"),
    "meta-empty": lambda d: d.update(meta={}),
    "student-int": lambda d: d["meta"].update(student=7),
    "student-list": lambda d: d["meta"].update(student=["a"]),
    "student-missing": lambda d: d["meta"].pop("student"),
    "student-not-in-key": lambda d: d["meta"].update(student="nobody-at-all"),
    "student-rtl": lambda d: d["meta"].update(student="\u202e" + d["meta"]["student"]),
    "student-long": lambda d: d["meta"].update(student="s" * 100_000),
    "student-path": lambda d: d["meta"].update(student="../../etc/passwd"),
    "signature-int": lambda d: d["meta"].update(signature=1),
    "signature-missing": lambda d: d["meta"].pop("signature"),
    "asked-string": lambda d: d["meta"].update(asked="o_A"),
    "asked-ints": lambda d: d["meta"].update(asked=[1, 2]),
    "asked-unknown": lambda d: d["meta"].update(asked=["p_Z"]),
    "asked-table": lambda d: d["meta"].update(asked={"o_A": 1}),
    "family-unknown": lambda d: d["meta"].update(family="no-such-family"),
    "family-int": lambda d: d["meta"].update(family=3),
    "family-path": lambda d: d["meta"].update(family="../../../../etc/passwd"),
    "family-dev-zero": lambda d: d["meta"].update(family="/dev/zero"),
    "family-folder-toml": lambda d: d["meta"].update(family="/tmp/.toml"),
    "extra-table": lambda d: d.update(extra={"a": 1}),
    "all-answers-expressions": lambda d: d["answers"].update({k: "1/(1+exp(-0.5))" for k in d["answers"]}),
}.items():
    _answers_case(_name, _data_change(_fn))

for _name, _change in INSTANCE_CHANGES.items():
    _answers_case(f"instance-{_name}", lambda d, c=_change: {**d, "instance": c(d["instance"])})

