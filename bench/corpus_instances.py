"""The malformed instance files of the attack corpus, from :data:`corpus_cases.BASE_INSTANCE`:
text that is no TOML or JSON, wrong types at every key, huge and special numbers, names,
structure, samples, epochs and decimals, each written as JSON and (where TOML can hold it) TOML.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable

from corpus_cases import (
    BASE_INSTANCE,
    DELETE,
    Raw,
    Special,
    _case,
    _changed,
    _with,
    garbage,
    to_json,
    to_toml,
)


def _instance_both(name: str, change: Callable[[dict], dict], toml: bool = True) -> None:
    _case(f"inst-{name}-json", "instance", ".json", lambda _: to_json(change(BASE_INSTANCE)), student=False)
    if toml:
        _case(
            f"inst-{name}-toml", "instance", ".toml", lambda _: to_toml(change(BASE_INSTANCE)), student=False
        )


def _instance_bytes(name: str, suffix: str, data: Callable[[], bytes]) -> None:
    _case(f"inst-{name}", "instance", suffix, lambda _: data(), student=False)


_VALID_JSON = to_json(BASE_INSTANCE)
_VALID_TOML = to_toml(BASE_INSTANCE)
for _suffix, _valid in ((".json", _VALID_JSON), (".toml", _VALID_TOML)):
    _s = _suffix[1:]
    _instance_bytes(f"empty-{_s}", _suffix, lambda: b"")
    _instance_bytes(f"blank-{_s}", _suffix, lambda: b"  \n\t\n")
    _instance_bytes(f"truncated-{_s}", _suffix, lambda v=_valid: v[: len(v) // 2])
    _instance_bytes(f"last-byte-cut-{_s}", _suffix, lambda v=_valid: v.rstrip()[:-1])
    _instance_bytes(f"garbage-{_s}", _suffix, lambda: garbage(4096, 1))
    _instance_bytes(f"nul-{_s}", _suffix, lambda v=_valid: v[:20] + b"\x00" + v[20:])
    _instance_bytes(
        f"utf16-bom-{_s}", _suffix, lambda v=_valid: codecs.BOM_UTF16_LE + v.decode().encode("utf-16-le")
    )
    _instance_bytes(f"utf16-nobom-{_s}", _suffix, lambda v=_valid: v.decode().encode("utf-16-be"))
    _instance_bytes(f"utf8-bom-{_s}", _suffix, lambda v=_valid: codecs.BOM_UTF8 + v)
    _instance_bytes(
        f"latin1-{_s}", _suffix, lambda v=_valid: v.replace(b"threshold", "thréshold".encode("latin-1"))
    )
    _instance_bytes(f"png-{_s}", _suffix, lambda: b"\x89PNG\r\n\x1a\n" + garbage(200, 2))
    _instance_bytes(
        f"surrogate-bytes-{_s}", _suffix, lambda v=_valid: v.replace(b'"A"', b'"\xed\xa0\x80"', 1)
    )

for _name, _text in {
    "list": "[1, 2, 3]",
    "string": '"alpha"',
    "null": "null",
    "number": "0.5",
    "true": "true",
    "deep-list": "[" * 100_000 + "]" * 100_000,
    "deep-object": '{"a":' * 100_000 + "1" + "}" * 100_000,
    "duplicate-key": '{"alpha": 0.5, "alpha": 1.0}',
    "single-quotes": "{'alpha': 0.5}",
    "trailing-comma": '{"alpha": 0.5,}',
    "comment": '{"alpha": 0.5 // rate\n}',
    "huge-int-alpha": '{"alpha": 1' + "0" * 5000 + "}",
    "huge-exponent": '{"alpha": 1e999999999}',
    "lone-surrogate-key": '{"\\ud800": 1}',
    "unpaired-low-surrogate-name": None,
}.items():
    if _text is not None:
        _instance_bytes(f"{_name}-json", ".json", lambda t=_text: t.encode())

for _name, _text in {
    "alpha-missing-value": "alpha =\n",
    "unclosed-table": "[weights\nx1_A = 1\n",
    "duplicate-key": "alpha = 0.5\nalpha = 1.0\n",
    "unicode-minus": "alpha = \u22120.5\n",
    "deep-array": "alpha = " + "[" * 10_000 + "]" * 10_000 + "\n",
    "deep-inline-table": "alpha = " + "{a=" * 3_000 + "1" + "}" * 3_000 + "\n",
    "huge-int": "alpha = 1" + "0" * 5000 + "\n",
    "huge-float-text": "alpha = 1" + "0" * 5000 + ".0\n",
    "datetime-alpha": "alpha = 1979-05-27T07:32:00Z\n",
    "bad-escape": 'bias = "\\ud800"\n',
    "json-in-toml": _VALID_JSON.decode(),
    "only-comment": "# nothing here\n",
    "array-of-tables-instance": "[[instance]]\nalpha = 0.5\n",
    "instance-string": 'instance = "net"\n',
}.items():
    _instance_bytes(f"{_name}-toml", ".toml", lambda t=_text: t.encode())

# wrong types at every key, huge and special numbers, names, structure, samples, epochs, decimals
_INSTANCE_CHANGES: dict[str, tuple[Callable[[dict], dict], bool]] = {}


def _ic(name: str, change: Callable[[dict], dict], toml: bool = True) -> None:
    _INSTANCE_CHANGES[name] = (change, toml)


for _key, _values in {
    "alpha": {
        "string": "0.5",
        "word": "fast",
        "bool": True,
        "list": [0.5],
        "table": {"a": 1},
        "zero": 0,
        "negative": -0.5,
        "neg-zero": -0.0,
        "huge": 1e308,
        "tiny": 5e-324,
        "nan": float("nan"),
        "inf": float("inf"),
        "int-5001-digits": Raw("1" + "0" * 5000),
    },
    "bias": {
        "number": 1,
        "capital": "Threshold",
        "bool": True,
        "list": ["threshold"],
        "rtl": "threshold\u200f",
    },
    "update_bias": {"string": "yes", "number": 1},
    "epochs": {
        "zero": 0,
        "minus-one": -1,
        "billion": 10**9,
        "ten-thousand": 10_000,
        "huge": 10**30,
        "float": 1.5,
        "string": "1",
        "bool": True,
        "int-5001-digits": Raw("9" * 5001),
    },
    "decimals": {
        "minus-one": -1,
        "thirteen": 13,
        "hundred": 100,
        "float": 4.5,
        "string": "4",
        "huge": 10**30,
    },
    "inputs": {
        "string": "x1",
        "number": 1,
        "table": {"x1": 1.0},
        "numbers": [1, 2],
        "empty": [],
        "duplicated": ["x1", "x1"],
        "bias": ["x1", "bias"],
        "spaces": ["x 1", "x2"],
        "empty-name": ["", "x2"],
        "rtl-mark": ["x1\u200f", "x2"],
        "unicode": ["x\u00e9", "x2"],
        "reserved-P": ["P", "x2"],
        "reserved-alpha": ["alpha", "x2"],
        "step-name": ["step2", "x2"],
        "nested": [["x1"], ["x2"]],
        "long-name": ["x" * 10_000, "x2"],
        "neuron-name": ["A", "x2"],
    },
    "layers": {
        "number": 3,
        "string": "A",
        "flat": ["A", "B", "C"],
        "numbers": [[1, 2], [3]],
        "empty": [],
        "empty-layer": [[], ["C"]],
        "all-empty": [[]],
        "table": {"A": 1},
        "duplicated": [["A", "A"], ["C"]],
        "across-layers": [["A", "B"], ["A"]],
        "bias-neuron": [["A", "bias"], ["C"]],
        "spaces": [["A B", "B"], ["C"]],
        "input-as-neuron": [["x1", "B"], ["C"]],
        "deep": [[["A"]], ["C"]],
        "mixed": [["A", "B"], "C"],
    },
    "weights": {"string": "x", "list": [1.0], "number": 1.0, "empty": {}},
    "samples": {"table": {"inputs": {}}, "empty": [], "numbers": [1], "strings": ["x"], "nested-empty": [[]]},
}.items():
    for _label, _value in _values.items():
        _ic(f"{_key}-{_label}", _with(**{_key: _value}))
    _ic(f"{_key}-missing", _with(**{_key: DELETE}))

for _label, _value in {
    "string": "1.0",
    "word": "one",
    "bool": False,
    "table": {"v": 1},
    "list": [1.0],
    "huge": 1e308,
    "nan": float("nan"),
    "minus-inf": -float("inf"),
    "neg-zero": -0.0,
    "int-5001-digits": Raw("-" + "1" * 5001),
}.items():
    _ic(f"weight-{_label}", _changed("weights.x1_A", _value))
_ic("all-weights-huge", _with(weights={k: 1e308 for k in BASE_INSTANCE["weights"]}))
_ic("all-weights-minus-huge", _with(weights={k: -1e308 for k in BASE_INSTANCE["weights"]}))
_ic("weight-unknown-neuron", _changed("weights.x1_Q", 1.0))
_ic("weight-no-underscore", _changed("weights.x1A", 1.0))
_ic("weight-three-parts", _changed("weights.x1_A_C", 1.0))
_ic("weight-cycle", _changed("weights.C_A", 1.0))
_ic("weight-self-loop", _changed("weights.A_A", 1.0))
_ic("weight-same-layer", _changed("weights.A_B", 1.0))
_ic("weight-into-input", _changed("weights.A_x1", 1.0))
_ic("weight-bias-bias", _changed("weights.bias_bias", 1.0))
_ic("weight-empty-key", _changed("weights.", 1.0))
_ic("weight-spaces-key", _changed("weights.x1 _A", 1.0))
_ic("bias-weight-without-bias", _with(bias="none"))
_ic("hidden-without-input", lambda b: _changed("weights.x2_B", DELETE)(_changed("weights.x1_B", DELETE)(b)))
_ic("hidden-without-output", _changed("weights.B_C", DELETE))
_ic("no-weights-at-all", _with(weights={}, bias="none"))
_ic("sample-inputs-list", _changed("samples.0.inputs", [1.0, 0.0]))
_ic("sample-inputs-string", _changed("samples.0.inputs", "1, 0"))
_ic("sample-input-missing", _changed("samples.0.inputs.x2", DELETE))
_ic("sample-input-extra", _changed("samples.0.inputs.x3", 1.0))
_ic("sample-input-string", _changed("samples.0.inputs.x1", "1.0"))
_ic("sample-input-nan", _changed("samples.0.inputs.x1", float("nan")))
_ic("sample-input-huge", _changed("samples.0.inputs.x1", 1e308))
_ic("sample-input-table", _changed("samples.0.inputs.x1", {"v": 1}))
_ic("sample-desired-missing", _changed("samples.0.desired", {}))
_ic("sample-desired-hidden", _changed("samples.0.desired.A", 1.0))
_ic("sample-desired-unknown", _changed("samples.0.desired.Z", 1.0))
_ic("sample-desired-list", _changed("samples.0.desired", [1.0]))
_ic("sample-desired-inf", _changed("samples.0.desired.C", float("inf")))
_ic("sample-desired-huge", _changed("samples.0.desired.C", -1e308))
_ic("sample-no-desired", _changed("samples.0.desired", DELETE))
_ic("sample-no-inputs", _changed("samples.0.inputs", DELETE))
_ic("sample-extra-key", _changed("samples.0.weight", 2.0))
_ic("samples-ten-thousand", _with(samples=[BASE_INSTANCE["samples"][0]] * 10_000), toml=False)
_ic("samples-thousand-epochs-ten", _with(samples=[BASE_INSTANCE["samples"][0]] * 1000, epochs=10), toml=False)
_ic("unknown-key", _with(alfa=0.5))
_ic("unicode-key", _with(**{"\u03b1": 0.5}))
_ic("null-alpha", _with(alpha=None), toml=False)
_ic("null-weights", _with(weights=None), toml=False)
_ic("lone-surrogate-name", _with(inputs=["x\ud800", "x2"]))
_ic("lone-surrogate-bias", _with(bias="\udfff"))


def _wide(width: int) -> Callable[[dict], dict]:
    def change(base: dict) -> dict:
        hidden = [f"H{i}" for i in range(width)]
        inputs = [f"x{i}" for i in range(1, width + 1)]
        weights = {f"{x}_{h}": 0.01 for x in inputs for h in hidden}
        weights.update({f"{h}_C": 0.01 for h in hidden})
        return {
            "alpha": 0.5,
            "inputs": inputs,
            "layers": [hidden, ["C"]],
            "weights": weights,
            "samples": [{"inputs": {x: 1.0 for x in inputs}, "desired": {"C": 1.0}}],
        }

    return change


_ic("wide-net-100", _wide(100))

for _name, (_change, _toml) in _INSTANCE_CHANGES.items():
    _instance_both(_name, _change, _toml)

_case("inst-folder-named-toml", "special", ".toml", lambda _: Special("folder"), student=False)
_case(
    "inst-symlink-loop",
    "special",
    ".toml",
    lambda _: Special("symlink", "inst-symlink-loop.toml"),
    student=False,
)
_case(
    "inst-dangling-symlink",
    "special",
    ".json",
    lambda _: Special("symlink", "no-such-file.json"),
    student=False,
)
_case("inst-dev-zero", "special", ".toml", lambda _: Special("symlink", "/dev/zero"), student=False)
