"""What the cases of the attack corpus (:mod:`attack_corpus`) are made of: the case record and
its registry, the writers (JSON, TOML), and the data several kinds share (answer expressions,
changes to an instance). The cases themselves are in :mod:`corpus_instances`,
:mod:`corpus_answers` and :mod:`corpus_notebooks`.

Three kinds, each a function of a valid starting point:

- ``instance``: an instance file (TOML or JSON) from :data:`BASE_INSTANCE`;
- ``answers``: a student's TOML handout, from the handout ``backprop generate`` wrote for them;
- ``notebook``: a student's notebook handout (.ipynb), likewise;

plus ``special`` paths (a folder named like a notebook, a symlink loop) for the commands that
take one file. A case makes bytes (or a :class:`Special`); nothing here touches the disk.
The case's name is the file's stem and, for answer files and notebooks, its student's id.
"""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: A valid instance (the 2-2-1-threshold family's shape), the start of every instance case.
BASE_INSTANCE: dict[str, Any] = {
    "alpha": 0.5,
    "bias": "threshold",
    "epochs": 1,
    "decimals": 4,
    "inputs": ["x1", "x2"],
    "layers": [["A", "B"], ["C"]],
    "weights": {
        "x1_A": -2.0,
        "x2_A": 1.0,
        "bias_A": -2.0,
        "x1_B": 1.0,
        "x2_B": -2.0,
        "bias_B": 1.0,
        "A_C": -0.5,
        "B_C": 0.5,
        "bias_C": -0.5,
    },
    "samples": [{"inputs": {"x1": 1.0, "x2": 0.0}, "desired": {"C": 1.0}}],
}


@dataclass(frozen=True)
class Raw:
    """Text put into the JSON or TOML as it is (numbers Python will not print: 10**5000)."""

    text: str


@dataclass(frozen=True)
class Special:
    """A path that is not a regular file: ``folder`` (named like the file) or ``symlink`` to ``target``."""

    kind: str
    target: str = ""


@dataclass(frozen=True)
class Case:
    name: str  # unique; also the file's stem and, for answers and notebooks, the student's id
    kind: str  # instance | answers | notebook | special
    suffix: str  # .toml | .json | .ipynb
    make: Callable[[Any], bytes | Special]  # from the starting point of its kind
    #: the file's name is an id of a student in the key whose handout is the starting point
    student: bool = True


# --------------------------------------------------------------------------- writers


def _subst(data: Any, raws: dict[str, str]) -> Any:
    if isinstance(data, Raw):
        token = f"@@raw{len(raws)}@@"
        raws[token] = data.text
        return token
    if isinstance(data, dict):
        return {k: _subst(v, raws) for k, v in data.items()}
    if isinstance(data, list):
        return [_subst(v, raws) for v in data]
    return data


def to_json(data: Any) -> bytes:
    raws: dict[str, str] = {}
    text = json.dumps(_subst(data, raws), indent=1)  # NaN, Infinity as Python writes them
    for token, raw in raws.items():
        text = text.replace(json.dumps(token), raw)
    return text.encode("utf-8")


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _toml_value(v: Any) -> str:
    if isinstance(v, Raw):
        return v.text
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return (
            "nan" if v != v else ("inf" if v == float("inf") else "-inf" if v == -float("inf") else repr(v))
        )
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)  # \uXXXX of a lone surrogate is not valid TOML: that is a case too
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(type(v))


def to_toml(data: dict[str, Any]) -> bytes:
    """Plain data as TOML, every value inline (``weights = { x1_A = 1.0 }``)."""
    return "".join(f"{_toml_key(k)} = {_toml_value(v)}\n" for k, v in data.items()).encode("utf-8")


def garbage(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


# --------------------------------------------------------------------------- instance cases

CASES: list[Case] = []


def _case(
    name: str, kind: str, suffix: str, make: Callable[[Any], bytes | Special], student: bool = True
) -> None:
    CASES.append(Case(name, kind, suffix, make, student))


def _changed(path: str, value: Any) -> Callable[[dict], dict]:
    """The instance with ``value`` at ``path`` (``weights.x1_A``, ``samples.0.inputs``);
    ``DELETE`` removes the key."""

    def change(base: dict) -> dict:
        data = copy.deepcopy(base)
        *head, last = path.split(".")
        node: Any = data
        for part in head:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        elif value is DELETE:
            node.pop(last, None)
        else:
            node[last] = value
        return data

    return change


DELETE = object()


def _with(**changes: Any) -> Callable[[dict], dict]:
    def change(base: dict) -> dict:
        data = copy.deepcopy(base)
        for k, v in changes.items():
            if v is DELETE:
                data.pop(k, None)
            else:
                data[k] = v
        return data

    return change



#: answer values that the safe evaluator must refuse (or read), written as text in both kinds
EXPRESSIONS: dict[str, str] = {
    "import": "__import__('os').system('echo pwned')",
    "lambda": "(lambda: 1)()",
    "power-tower": "9**9**9",
    "overflow": "1e308*10",
    "deep-parens": "(" * 10_000 + "1" + ")" * 10_000,
    "deep-parens-190": "(" * 190 + "1" + ")" * 190,
    "deep-unary": "-" * 10_000 + "1",
    "deep-unary-900": "-" * 900 + "1",
    "long-number": "1" * 5000,
    "long-decimal": "0." + "1" * 5000,
    "long-exponent": "1e" + "9" * 5000,
    "exp-overflow": "exp(1000)",
    "nested-exp": "exp(exp(exp(10)))",
    "log-zero": "log(0)",
    "sqrt-negative": "sqrt(-1)",
    "divide-zero": "1/0",
    "zero-negative-power": "0**-1",
    "negative-fractional-power": "(-8)**(1/3)",
    "big-power": "10**100",
    "complex": "1j",
    "bool": "True",
    "none": "None",
    "quoted": "'0.5'",
    "attribute": "os.path",
    "math-exp": "math.exp(-1)",
    "np-exp": "np.exp(-1)",
    "keyword-arg": "exp(x=1)",
    "star-arg": "exp(*[1])",
    "subscript": "[1][0]",
    "dict": "{}",
    "fstring": "f'{1}'",
    "walrus": "(x := 1)",
    "comparison": "1 < 2",
    "ternary": "1 if 1 else 2",
    "bitxor": "2^3",
    "floordiv": "7//2",
    "matmul": "a@b",
    "unicode-minus": "\u22120.5",
    "rtl-mark": "\u200f0.5",
    "fullwidth": "\uff10.\uff15",
    "arabic-digits": "\u0660.\u0665",
    "zero-width": "0.\u200b5",
    "nbsp": "0.5\u00a0",
    "nan": "nan",
    "inf": "inf",
    "minus-inf": "-inf",
    "infinity": "Infinity",
    "neg-zero": "-0.0",
    "hex": "0x10",
    "underscore": "1_000",
    "comma-decimal": "0,5",
    "percent": "50%",
    "givens": "w_x1_A * x1",
    "unknown-name": "foo",
    "earlier-id": "p_A",
    "subclasses": "().__class__.__bases__[0].__subclasses__()",
    "getattr": "getattr(1, 'real')",
    "exp-two-args": "exp(1, 2)",
    "exp-string": "exp('1')",
    "many-calls": "exp(" * 50 + "0" + ")" * 50,
    "huge-product": "*".join(["1e12"] * 50),
    "power-of-power": "10**10**10",
    "two-to-1024": "2**1023*2",
    "float-1e309": "1e309",
    "string-times": "'1' * 10**9",
    "nul": "0.5\x00",
    "empty-parens": "()",
    "lone-surrogate": "\ud800",
    "tab": "\t0.5",
    "newline": "0.5\nimport os",
    "deep-binop": "1+" * 900 + "1",
    "deep-binop-100k": "1+" * 100_000 + "1",
    "deep-attribute": "a" + ".a" * 900,
    "deep-call": "f" + "()" * 900,
    "deep-subscript": "a" + "[0]" * 900,
    "deep-lambda": "lambda: " * 900 + "1",
}

#: the instance changes tried inside a handout's [instance] and a notebook's metadata
INSTANCE_CHANGES: dict[str, Callable[[dict], dict]] = {}


for _name, _path, _value in (
    ("weights-strings", "weights", {k: str(v) for k, v in BASE_INSTANCE["weights"].items()}),
    ("layers-number", "layers", 3),
    ("inputs-table", "inputs", {"x1": 1.0, "x2": 0.0}),
    ("epochs-zero", "epochs", 0),
    ("epochs-minus-one", "epochs", -1),
    ("epochs-billion", "epochs", 10**9),
    ("epochs-ten-thousand", "epochs", 10_000),
    ("decimals-thirteen", "decimals", 13),
    ("decimals-minus", "decimals", -1),
    ("weight-nan", "weights.x1_A", float("nan")),
    ("alpha-inf", "alpha", float("inf")),
    ("weight-huge", "weights.A_C", 1e308),
    ("weight-5001-digits", "weights.x1_A", Raw("1" * 5001)),
    ("desired-hidden", "samples.0.desired.A", 1.0),
    ("cycle", "weights.C_A", 1.0),
    ("duplicated-names", "layers", [["A", "A"], ["C"]]),
    ("bias-name", "inputs", ["x1", "bias"]),
    ("empty-layers", "layers", []),
    ("missing-samples", "samples", DELETE),
    ("tampered", "weights.x1_A", 2.0),
    ("neg-zero-weight", "weights.x1_A", -0.0),
    ("names-with-spaces", "inputs", ["x 1", "x2"]),
    ("samples-table", "samples", {"inputs": {}}),
    ("unknown-key", "alfa", 1),
):
    INSTANCE_CHANGES[_name] = _changed(_path, _value)


def _huge_weights(base: dict) -> dict:
    data = copy.deepcopy(base)
    data["weights"] = {k: 1e308 for k in data["weights"]}
    return data


INSTANCE_CHANGES["all-weights-huge"] = _huge_weights
