"""The malformed notebooks of the attack corpus, each from its own student's notebook handout as
``backprop generate`` wrote it (the case's name is the student's id), and the paths that are
not regular files (a folder named like a notebook, a symlink loop).
"""

from __future__ import annotations

import base64
import codecs
import json
import re
from collections.abc import Callable
from typing import Any

from corpus_cases import EXPRESSIONS, INSTANCE_CHANGES, Special, _case, garbage, to_json


def _nb_case(name: str, change: Callable[[dict], dict | bytes | Special]) -> None:
    def make(handout: bytes) -> bytes | Special:
        result = change(json.loads(handout))
        return result if isinstance(result, (bytes, Special)) else to_json(result)

    _case(f"nb-{name}", "notebook", ".ipynb", make)


def _nb_bytes(name: str, change: Callable[[bytes], bytes]) -> None:
    _case(f"nb-{name}", "notebook", ".ipynb", change)


def _code(nb: dict, qid: str, source: str) -> dict:
    """The notebook with the answer line ``qid = ...`` replaced by ``source``."""
    for cell in nb["cells"]:
        if cell.get("cell_type") == "code":
            src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            new = re.sub(rf"^{qid} = \.\.\.$", lambda _: source, src, flags=re.M)
            if new != src:
                cell["source"] = new
                return nb
    raise KeyError(qid)


def _nb_answer(qid: str, value: str) -> Callable[[dict], dict]:
    return lambda nb: _code(nb, qid, f"{qid} = {value}")


for _name, _fn in {
    "empty": lambda h: b"",
    "blank": lambda h: b" \n",
    "truncated": lambda h: h[: len(h) // 2],
    "last-brace-cut": lambda h: h.rstrip()[:-1],
    "garbage": lambda h: garbage(8192, 5),
    "nul": lambda h: h[:100] + b"\x00" + h[100:],
    "utf16-bom": lambda h: codecs.BOM_UTF16_LE + h.decode().encode("utf-16-le"),
    "utf16-nobom": lambda h: h.decode().encode("utf-16-be"),
    "utf8-bom": lambda h: codecs.BOM_UTF8 + h,
    "latin1": lambda h: h.replace(b"Backpropagation", "Backpropagati\u00f3n".encode("latin-1"), 1),
    "png": lambda h: b"\x89PNG\r\n\x1a\n" + garbage(500, 6),
    "json-list": lambda h: b"[]",
    "json-string": lambda h: b'"notebook"',
    "json-null": lambda h: b"null",
    "json-number": lambda h: b"4",
    "deep-list": lambda h: b"[" * 100_000 + b"]" * 100_000,
    "deep-object": lambda h: b'{"cells": ' + b'{"a":' * 100_000 + b"1" + b"}" * 100_000 + b"}",
    "nbformat-5001-digits": lambda h: re.sub(rb'"nbformat": 4', b'"nbformat": ' + b"4" * 5001, h),
    "nbformat-minor-5001-digits": lambda h: re.sub(
        rb'"nbformat_minor": \d+', b'"nbformat_minor": ' + b"5" * 5001, h
    ),
    "huge-exponent-float": lambda h: re.sub(rb'"nbformat_minor": \d+', b'"nbformat_minor": 1e99999', h),
    "nan-literal": lambda h: re.sub(rb'"nbformat_minor": \d+', b'"nbformat_minor": NaN', h),
    "duplicate-keys": lambda h: h.replace(b'"nbformat": 4', b'"nbformat": 4, "nbformat": 3'),
    "lone-surrogate-key": lambda h: h.replace(b'"nbformat": 4', b'"nbformat": 4, "\\ud800": 1'),
}.items():
    _nb_bytes(_name, _fn)


def _nb_data(fn: Callable[[dict], Any]) -> Callable[[dict], dict]:
    """A change made in place (what ``fn`` returns, such as a popped value, is not the notebook)."""

    def change(nb: dict) -> dict:
        fn(nb)
        return nb

    return change


def _bp(nb: dict) -> dict:
    return nb["metadata"]["backprop"]


def _first_answer_cell(nb: dict) -> dict:
    return next(c for c in nb["cells"] if "answer" in c.get("metadata", {}).get("tags", []))


def _ten_thousand_cells(nb: dict) -> None:
    cell = _first_answer_cell(nb)
    nb["cells"] += [dict(cell, id=f"c{i}", source=f"p_A = {i / 10_000}") for i in range(10_000)]


def _big_cell(line: str, times: int, head: str = "") -> Callable[[dict], None]:
    """The first answer cell replaced by ``head`` and ``line`` repeated (made when built)."""

    def change(nb: dict) -> None:
        _first_answer_cell(nb)["source"] = head + line * times

    return change


_MB20 = 20 * 1024 * 1024

_nb_case("json-list-of-cells", lambda nb: nb["cells"])
_nb_case("nbformat-3", lambda nb: {"nbformat": 3, "nbformat_minor": 0, "metadata": nb["metadata"],
                                   "worksheets": [{"cells": nb["cells"]}]})

for _name, _fn in {
    "nbformat-5": lambda nb: nb.update(nbformat=5),
    "nbformat-string": lambda nb: nb.update(nbformat="4"),
    "nbformat-float": lambda nb: nb.update(nbformat=4.0),
    "nbformat-true": lambda nb: nb.update(nbformat=True),
    "nbformat-missing": lambda nb: nb.pop("nbformat"),
    "nbformat-null": lambda nb: nb.update(nbformat=None),
    "nbformat-nan": lambda nb: nb.update(nbformat=float("nan")),
    "nbformat-negative": lambda nb: nb.update(nbformat=-4),
    "nbformat-minor-string": lambda nb: nb.update(nbformat_minor="x"),
    "metadata-missing": lambda nb: nb.pop("metadata"),
    "metadata-list": lambda nb: nb.update(metadata=[1]),
    "metadata-string": lambda nb: nb.update(metadata="m"),
    "metadata-null": lambda nb: nb.update(metadata=None),
    "backprop-missing": lambda nb: nb["metadata"].pop("backprop"),
    "backprop-list": lambda nb: nb["metadata"].update(backprop=[1]),
    "backprop-string": lambda nb: nb["metadata"].update(backprop="b"),
    "instance-missing": lambda nb: _bp(nb).pop("instance"),
    "instance-string": lambda nb: _bp(nb).update(instance="i"),
    "instance-list": lambda nb: _bp(nb).update(instance=[1]),
    "instance-int": lambda nb: _bp(nb).update(instance=1),
    "student-int": lambda nb: _bp(nb).update(student=7),
    "student-list": lambda nb: _bp(nb).update(student=["s"]),
    "student-dict": lambda nb: _bp(nb).update(student={"id": 1}),
    "student-missing": lambda nb: _bp(nb).pop("student"),
    "student-empty": lambda nb: _bp(nb).update(student=""),
    "student-long": lambda nb: _bp(nb).update(student="s" * 100_000),
    "student-rtl": lambda nb: _bp(nb).update(student="\u202e" + _bp(nb)["student"]),
    "student-surrogate": lambda nb: _bp(nb).update(student="\ud800"),
    "student-not-in-key": lambda nb: _bp(nb).update(student="nobody-at-all"),
    "student-path": lambda nb: _bp(nb).update(student="../../etc/passwd"),
    "signature-int": lambda nb: _bp(nb).update(signature=1),
    "signature-missing": lambda nb: _bp(nb).pop("signature"),
    "signature-dict": lambda nb: _bp(nb).update(signature={}),
    "asked-string": lambda nb: _bp(nb).update(asked="o_A"),
    "asked-dict": lambda nb: _bp(nb).update(asked={"o_A": 1}),
    "asked-ints": lambda nb: _bp(nb).update(asked=[1, 2]),
    "asked-unknown": lambda nb: _bp(nb).update(asked=["p_Z"]),
    "asked-ten-thousand": lambda nb: _bp(nb).update(asked=[f"p_Z{i}" for i in range(10_000)]),
    "family-path": lambda nb: _bp(nb).update(family="../../../../etc/passwd"),
    "family-dev-zero": lambda nb: _bp(nb).update(family="/dev/zero"),
    "assignment-int": lambda nb: _bp(nb).update(assignment=1),
    "extra-metadata": lambda nb: nb["metadata"].update(junk={"a": [[[{"b": None}]]] * 1000}),
    "kernelspec-list": lambda nb: nb["metadata"].update(kernelspec=[1]),
    "cells-missing": lambda nb: nb.pop("cells"),
    "cells-string": lambda nb: nb.update(cells="cells"),
    "cells-dict": lambda nb: nb.update(cells={"0": {}}),
    "cells-null": lambda nb: nb.update(cells=None),
    "cells-strings": lambda nb: nb.update(cells=["p_A = 1"]),
    "cells-ints": lambda nb: nb.update(cells=[1, 2]),
    "cells-with-null": lambda nb: nb["cells"].insert(0, None),
    "cell-no-type": lambda nb: _first_answer_cell(nb).pop("cell_type"),
    "cell-type-int": lambda nb: _first_answer_cell(nb).update(cell_type=1),
    "source-int": lambda nb: _first_answer_cell(nb).update(source=1),
    "source-ints": lambda nb: _first_answer_cell(nb).update(source=[1, 2]),
    "source-dict": lambda nb: _first_answer_cell(nb).update(source={"a": 1}),
    "source-with-null": lambda nb: _first_answer_cell(nb).update(source=["p_A = 1\n", None]),
    "cell-metadata-list": lambda nb: _first_answer_cell(nb).update(metadata=[1]),
    "tags-string": lambda nb: _first_answer_cell(nb)["metadata"].update(tags="answer"),
    "tags-ints": lambda nb: _first_answer_cell(nb)["metadata"].update(tags=[1]),
    "tags-dict": lambda nb: _first_answer_cell(nb)["metadata"].update(tags={"answer": 1}),
    "ten-thousand-cells": _ten_thousand_cells,
    "cell-20mb-answers": _big_cell("p_A = 0.5\n", _MB20 // 10),
    "cell-20mb-comment": _big_cell("#" + "x" * 1023, _MB20 // 1024),
    "cell-20mb-code": _big_cell("x = (1)\n", _MB20 // 8),
    "cell-1mb-line": _big_cell("1", 1 << 20, head="p_A = "),
    "outputs-binary-blob": lambda nb: _first_answer_cell(nb).update(
        outputs=[
            {
                "output_type": "display_data",
                "metadata": {},
                "data": {"image/png": base64.b64encode(garbage(3 << 20, 7)).decode()},
            }
        ]
    ),
    "outputs-nul-text": lambda nb: _first_answer_cell(nb).update(
        outputs=[{"output_type": "stream", "name": "stdout", "text": "\x00\x01\ud800\uffff"}]
    ),
    "outputs-string": lambda nb: _first_answer_cell(nb).update(outputs="out"),
    "execution-count-string": lambda nb: _first_answer_cell(nb).update(execution_count="1"),
    "attachments-junk": lambda nb: _first_answer_cell(nb).update(attachments={"a": [1]}),
    "markdown-1mb": lambda nb: nb["cells"].append(
        {"cell_type": "markdown", "metadata": {}, "source": "#" * (1 << 20)}
    ),
    "surrogate-in-comment": lambda nb: _code(nb, "o_A", "o_A = 0.5  # \ud800"),
    "surrogate-in-givens": lambda nb: nb["cells"][2].update(source=nb["cells"][2]["source"] + "\n# \udc00"),
    "surrogate-string": _nb_answer("o_A", '"\ud800"'),
    "surrogate-name": lambda nb: _code(nb, "o_A", "o_A\ud800 = 0.5"),
    "rtl-line": _nb_answer("o_A", "\u200f0.5"),
    "zero-width-name": lambda nb: _code(nb, "o_A", "o_A\u200b = 0.5"),
    "nul-in-source": _nb_answer("o_A", "0.5\x00"),
    "cr-only": lambda nb: _code(nb, "o_A", "o_A = 0.5\rp_A = 1"),
    "annotated": lambda nb: _code(nb, "o_A", "o_A: float = 0.5"),
    "tuple": lambda nb: _code(nb, "o_A", "o_A, o_B = 1, 2"),
    "chained": lambda nb: _code(nb, "o_A", "o_A = o_B = 0.5"),
    "augmented": lambda nb: _code(nb, "o_A", "o_A += 1"),
    "del": lambda nb: _code(nb, "o_A", "del o_A"),
    "loop": lambda nb: _code(nb, "o_A", "for o_A in range(3): pass"),
    "def": lambda nb: _code(nb, "o_A", "def o_A(): pass"),
    "class": lambda nb: _code(nb, "o_A", "class o_A: pass"),
    "import-as": lambda nb: _code(nb, "o_A", "import os as o_A"),
    "magic": lambda nb: _code(nb, "o_A", "%time o_A = 1"),
    "shell": lambda nb: _code(nb, "o_A", "!rm -rf /"),
    "while-true": lambda nb: _code(nb, "o_A", "while True: pass"),
    "float-nan": _nb_answer("o_A", "float('nan')"),
    "float-inf": _nb_answer("o_A", "float('1e999')"),
    "float-of-list": _nb_answer("o_A", "float([1])"),
    "math-nan": _nb_answer("o_A", "math.nan"),
    "np-float": _nb_answer("o_A", "np.float64(0.5)"),
    "syntax-error": _nb_answer("o_A", "0.5 if True else"),
    "unknown-id": lambda nb: _code(nb, "o_A", "o_A = ...\np_Z = 1"),
    "ten-thousand-unknown-ids": lambda nb: _code(
        nb, "o_A", "o_A = ...\n" + "".join(f"p_Z{i} = 1\n" for i in range(10_000))
    ),
    "duplicated-id": lambda nb: _code(nb, "o_A", "o_A = 0.1\no_A = 0.2"),
    "capital-id": lambda nb: _code(nb, "o_A", "O_A = 0.5"),
    "answer-in-givens": lambda nb: nb["cells"][2].update(source=nb["cells"][2]["source"] + "\no_A = 0.5"),
    "givens-changed": lambda nb: nb["cells"][2].update(
        source="alpha = 1e308\nw_x1_A = float('nan')\nx1 = 1e308"
    ),
}.items():
    _nb_case(_name, _nb_data(_fn))

for _name, _expr in EXPRESSIONS.items():
    _nb_case(f"expr-{_name}", _nb_answer("o_A", _expr))

for _name, _change in INSTANCE_CHANGES.items():
    _nb_case(f"instance-{_name}", lambda nb, c=_change: _bp(nb).update(instance=c(_bp(nb)["instance"])) or nb)

_case("nb-folder-named-ipynb", "special", ".ipynb", lambda _: Special("folder"), student=False)
_case(
    "nb-symlink-loop",
    "special",
    ".ipynb",
    lambda _: Special("symlink", "nb-symlink-loop.ipynb"),
    student=False,
)
_case("nb-dangling-symlink", "special", ".ipynb", lambda _: Special("symlink", "gone.ipynb"), student=False)
_case("nb-dev-zero", "special", ".ipynb", lambda _: Special("symlink", "/dev/zero"), student=False)
_case("toml-folder-named-toml", "special", ".toml", lambda _: Special("folder"), student=False)
