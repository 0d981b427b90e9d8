"""Plain data (parsed TOML or JSON) checked and built into an :class:`~grader.model.Instance`.

:func:`instance_from_dict` checks everything a hand-written file can get wrong and raises one
:class:`~grader.errors.BackpropError` per mistake, naming the file, the key and the fix; data of
a structure seen before is built at once (:mod:`grader.shapes`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .errors import BackpropError, did_you_mean, located
from .model import (
    BIAS,
    BIAS_KINDS,
    MAX_STEPS,
    NAME_RE,
    RESERVED_NAMES,
    RESERVED_WHY,
    STEP_NAME_RE,
    TOP_LEVEL_KEYS,
    Connection,
    Instance,
    Sample,
)
from .shapes import SHAPES, known, remember


def instance_from_dict(
    data: Mapping[str, Any], source: str | None = None, *, table: str | None = None
) -> Instance:
    """Validate plain data (parsed TOML or JSON) and build an :class:`Instance`.

    ``source`` names the file in error messages; ``table`` is the table of the file that holds
    the instance (``"instance"`` in a handout), so that keys read ``instance.weights.x1_A``.

    Data of a structure that validated before (the same keys, names, connections and sample
    layout: every variant of a family) whose every number is a finite float (and alpha
    positive) is built without validating again (:func:`grader.shapes.known`). Anything else
    is validated in full (:func:`_validate`), with the same errors.
    """
    if data.__class__ is dict:
        weights = data.get("weights")
        if weights.__class__ is dict:
            shape = SHAPES.get((tuple(data), tuple(weights)))
            if shape is not None:
                instance = known(shape, data, weights)
                if instance is not None:
                    return instance
            instance = _validate(data, source, table)
            remember(data, weights, instance)
            return instance
    return _validate(data, source, table)


def _number(value: Any, source: str | None, key: str | None, what: str = "a number") -> float:
    if isinstance(value, str) and _is_number_text(value):
        raise located(source, key, f"must be {what}, not the string {value!r}: remove the quotes")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise located(source, key, f"must be {what}, not {_show(value)}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        shown = value if isinstance(value, float) else "a number too large for a float"
        raise located(source, key,
                      f"must be a finite number, not {shown}: give an ordinary number such as 0.5")
    return number


def _is_number_text(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _feeder(neuron: str, inputs: tuple[str, ...], layers: list[tuple[str, ...]]) -> str:
    """A plausible source for a connection into ``neuron``: the layer before it, or an input."""
    for i, layer in enumerate(layers):
        if neuron in layer:
            return layers[i - 1][0] if i else inputs[0]
    return inputs[0]


def _names(value: Any, source: str | None, key: str | None, example: str = '["x1", "x2"]') -> tuple[str, ...]:
    if not isinstance(value, list):
        raise located(source, key, f"must be a list of names like {example}, not {_show(value)}")
    names = []
    for i, name in enumerate(value):
        if not isinstance(name, str):
            raise located(source, f"{key}[{i}]", f"must be a name in quotes, not {_show(name)}")
        if name == BIAS:
            raise located(
                source, f"{key}[{i}]",
                "'bias' is reserved for the constant input; "
                "rename it and set bias = \"threshold\" or \"bias\" instead",
            )
        if not NAME_RE.match(name):
            raise located(
                source, f"{key}[{i}]",
                f"{name!r} is not a valid name: "
                "use a letter followed by letters or digits (no '_', spaces or signs)",
            )
        if name in RESERVED_NAMES or STEP_NAME_RE.match(name):
            raise located(
                source, f"{key}[{i}]",
                f"{name!r} is reserved "
                f"({RESERVED_WHY.get(name, 'step<k> marks update steps in quantity ids')}); "
                "choose another name",
            )
        names.append(name)
    return tuple(names)


def looks_like_family(data: Mapping[str, Any]) -> bool:
    """Whether ``data`` is a problem family's file (its ``[values]`` ranges, no weights of its own),
    given where an instance or a handout was expected."""
    return isinstance(data.get("values"), Mapping) and "weights" not in data and "answers" not in data


def _validate(data: Mapping[str, Any], source: str | None, table: str | None) -> Instance:
    """:func:`instance_from_dict` for any data: check everything, in the order of the file."""

    def at(key: str | None) -> str | None:
        return ".".join(part for part in (table, key) if part) or None

    def err(key: str | None, problem: str) -> BackpropError:
        return located(source, at(key), problem)

    if not isinstance(data, Mapping):
        raise err(None, "the instance must be a table of keys (alpha, inputs, layers, weights, samples)")
    if table is None and looks_like_family(data):
        raise err(None, "is a problem family (the ranges each student's variant is drawn from), not an "
                  "instance: draw one with `backprop generate FAMILY.toml --count 1 --out DIR` and give "
                  "DIR/handouts/student01.toml")
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            raise err(str(key),
                f"unknown key{did_you_mean(str(key), TOP_LEVEL_KEYS)}; "
                f"the keys are {', '.join(TOP_LEVEL_KEYS)}",
            )

    # -- learning settings
    if "alpha" not in data:
        raise err("alpha", "missing: add the learning rate, e.g. alpha = 0.5")
    alpha = _number(data["alpha"], source, at("alpha"), "a number (the learning rate, e.g. 0.5)")
    if alpha <= 0:
        raise err("alpha", f"must be positive (the learning rate), not {data['alpha']}")

    bias = data.get("bias", "none")
    if not isinstance(bias, str) or bias not in BIAS_KINDS:
        raise err("bias",
            "must be \"none\", \"threshold\" (constant input -1) or \"bias\" (constant input +1), "
            f"not {_show(bias)}",
        )
    update_bias = data.get("update_bias", True)
    if not isinstance(update_bias, bool):
        raise err("update_bias", f"must be true or false, not {_show(update_bias)}")

    epochs = data.get("epochs", 1)
    if isinstance(epochs, bool) or not isinstance(epochs, int):
        raise err("epochs", f"must be a whole number, 1 or more, not {_show(epochs)}")
    if epochs < 1:
        raise err("epochs", f"must be 1 or more, not {epochs}")

    decimals = data.get("decimals")
    if decimals is not None:
        if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 12:
            raise err("decimals", f"must be a whole number from 0 to 12, not {_show(decimals)}")

    # -- names
    if "inputs" not in data:
        raise err("inputs", "missing: list the network inputs, e.g. inputs = [\"x1\", \"x2\"]")
    inputs = _names(data["inputs"], source, at("inputs"))
    if not inputs:
        raise err("inputs", "is empty: list at least one network input")
    if "layers" not in data:
        raise err("layers",
                  "missing: list the neurons layer by layer, e.g. layers = [[\"A\", \"B\"], [\"C\"]]")
    raw_layers = data["layers"]
    if not isinstance(raw_layers, list):
        raise err("layers",
                  f"must be a list of layers like [[\"A\", \"B\"], [\"C\"]], not {_show(raw_layers)}")
    if not raw_layers:
        raise err("layers", "is empty: give at least one layer of neurons, e.g. layers = [[\"A\"]]")
    layers = []
    for i, layer in enumerate(raw_layers):
        names = _names(layer, source, at(f"layers[{i}]"), '["A", "B"]')
        if not names:
            raise err(f"layers[{i}]", "is an empty layer: remove it or add a neuron")
        layers.append(names)
    seen: dict[str, str] = {}
    for where, names in [("inputs", inputs)] + [(f"layers[{i}]", n) for i, n in enumerate(layers)]:
        for name in names:
            if name in seen:
                raise err(where,
                    f"the name {name!r} is used twice (also in {seen[name]}); "
                    "every input and neuron needs its own name",
                )
            seen[name] = where
    layer_of = {name: 0 for name in inputs}
    layer_of.update({name: i + 1 for i, layer in enumerate(layers) for name in layer})
    bias_value = BIAS_KINDS[bias]
    if bias_value is not None:
        layer_of[BIAS] = 0

    # -- weights
    raw_weights = data.get("weights")
    if raw_weights is None:
        raise err("weights",
                  "missing: add a [weights] table with one key F_N per connection, e.g. x1_A = 0.5")
    if not isinstance(raw_weights, Mapping):
        raise err("weights", f"must be a table of F_N = number, not {_show(raw_weights)}")
    neurons = [n for layer in layers for n in layer]
    neuron_set = set(neurons)
    found: dict[tuple[str, str], float] = {}
    for key, value in raw_weights.items():
        wkey = f"weights.{key}"
        parts = str(key).split("_")
        if len(parts) != 2 or not all(parts):
            raise err(wkey, "is not a connection key: write it as SOURCE_TARGET, e.g. x1_A or bias_C")
        src, dst = parts
        if src == BIAS and bias_value is None:
            raise err(wkey,
                "is a bias weight but bias = \"none\": "
                "set bias = \"threshold\" or \"bias\", or remove the weight",
            )
        if src not in layer_of:
            raise err(wkey,
                f"unknown source {src!r}{did_you_mean(src, list(layer_of))}; "
                f"the sources are {', '.join(layer_of)}",
            )
        if dst not in neuron_set:
            raise err(wkey,
                f"unknown neuron {dst!r}{did_you_mean(dst, neurons)}; the neurons are {', '.join(neurons)}",
            )
        if layer_of[src] >= layer_of[dst]:
            how = "within a layer" if layer_of[src] == layer_of[dst] else "backward"
            raise err(wkey,
                f"the connection {src} -> {dst} runs {how}; "
                "connections must run from an input or an earlier layer to a later layer",
            )
        found[(src, dst)] = _number(value, source, at(wkey))

    # -- canonical order: by target in layer order; sources inputs, then neurons, then bias
    order = {name: i for i, name in enumerate(list(inputs) + neurons + [BIAS])}
    connections = tuple(
        Connection(src, dst, w)
        for (src, dst), w in sorted(found.items(), key=lambda kv: (order[kv[0][1]], order[kv[0][0]]))
    )
    targets = {c.target for c in connections}
    sources = {c.source for c in connections}
    for n in neurons:
        if n not in targets:
            raise err("weights",
                f"neuron {n} has no incoming connection: "
                f"add a weight such as {_feeder(n, inputs, layers)}_{n}",
            )
    for layer in layers[:-1]:
        for n in layer:
            if n not in sources:
                raise err("weights",
                    f"neuron {n} is not in the final layer but feeds nothing: "
                    f"add a weight {n}_<later neuron> or move {n} to the final layer",
                )

    # -- samples
    raw_samples = data.get("samples")
    if raw_samples is None:
        raise err("samples", "missing: add at least one [[samples]] with inputs and desired outputs")
    if not isinstance(raw_samples, list):
        raise err("samples", f"must be a list of [[samples]] tables, not {_show(raw_samples)}")
    if not raw_samples:
        raise err("samples", "is empty: add at least one [[samples]] with inputs and desired outputs")
    samples = []
    for i, raw in enumerate(raw_samples):
        skey = f"samples[{i}]"
        if not isinstance(raw, Mapping):
            raise err(skey, "must be a table with inputs = {...} and desired = {...}")
        for extra in raw:
            if extra not in ("inputs", "desired"):
                raise err(f"{skey}.{extra}", "unknown key; a sample has only inputs and desired")
        values = raw.get("inputs")
        if not isinstance(values, Mapping):
            raise err(f"{skey}.inputs", f"must be a table like {{ {inputs[0]} = 1.0 }}")
        for name in values:
            if name not in inputs:
                raise err(
                    f"{skey}.inputs.{name}",
                    f"is not a declared input{did_you_mean(str(name), inputs)}; the inputs are "
                    f"{', '.join(inputs)}: remove it or add it to inputs",
                )
        for name in inputs:
            if name not in values:
                raise err(f"{skey}.inputs", f"missing a value for input {name}: add {name} = <number>")
        desired = raw.get("desired")
        if not isinstance(desired, Mapping):
            raise err(f"{skey}.desired", f"must be a table like {{ {layers[-1][0]} = 1.0 }}")
        for name in desired:
            if name not in layers[-1]:
                raise err(f"{skey}.desired.{name}",
                    f"is not a final-layer neuron{did_you_mean(str(name), layers[-1])}; "
                    f"desired values are given only for {', '.join(layers[-1])}",
                )
        for name in layers[-1]:
            if name not in desired:
                raise err(
                    f"{skey}.desired",
                    f"missing the desired output of final neuron {name}: add {name} = <number>",
                )
        samples.append(
            Sample(
                inputs=tuple((n, _number(values[n], source, at(f"{skey}.inputs.{n}"))) for n in inputs),
                desired=tuple(
                    (n, _number(desired[n], source, at(f"{skey}.desired.{n}"))) for n in layers[-1]
                ),
            )
        )

    if epochs * len(samples) > MAX_STEPS:
        raise err(
            "epochs",
            f"{epochs} epochs of {len(samples)} sample(s) make {epochs * len(samples)} update steps; "
            f"at most {MAX_STEPS} are solved: lower epochs",
        )
    _check_size(epochs, len(samples), len(neurons), len(connections), err)

    return Instance(
        inputs=inputs,
        layers=tuple(layers),
        connections=connections,
        samples=tuple(samples),
        alpha=alpha,
        bias=bias,
        update_bias=update_bias,
        epochs=epochs,
        decimals=decimals,
    )


#: The most quantities an instance may ask to solve: every update step computes p, o and delta
#: of each neuron, dw and new_w of each connection, and P. ``check`` spends about 0.06 ms and
#: 20 kB per quantity (its report keeps every item), so this keeps it under half a second and
#: about 150 MB; MAX_STEPS alone did not, as the cost of a step grows with the net.
MAX_QUANTITIES = 5_000


def quantities(epochs: int, samples: int, neurons: int, connections: int) -> int:
    """How many quantities solving an instance of this size computes (at most)."""
    return epochs * samples * (3 * neurons + 2 * connections + 1)


def _check_size(epochs: int, samples: int, neurons: int, connections: int, err: Any) -> None:
    per_step = quantities(1, 1, neurons, connections)
    total = quantities(epochs, samples, neurons, connections)
    if total <= MAX_QUANTITIES:
        return
    most = MAX_QUANTITIES // (samples * per_step)
    fix = (f"lower epochs to {most} or less" if most >= 1 else
           "use fewer samples, neurons or connections")
    raise err(
        "epochs" if most >= 1 else None,
        "the instance is too large to solve: "
        f"{epochs} epoch(s) x {samples} sample(s) x {per_step} quantities "
        f"per update step ({neurons} neurons, {connections} connections) make {total} quantities; "
        f"at most {MAX_QUANTITIES} are solved: {fix}",
    )
