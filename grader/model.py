"""The net: an immutable, validated instance of a backpropagation problem (DESIGN section 4).

``instance_from_dict`` checks everything a hand-written file can get wrong and raises one
:class:`~grader.errors.BackpropError` per mistake, naming the file, the key and the fix.
Reading files lives in :mod:`grader.files`; this module never touches the disk.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Mapping

from .errors import BackpropError, located

NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*\Z")
#: Names that would collide with quantity ids: an input's id is its bare name, so an input
#: called P or alpha would shadow the performance or the learning rate, and a name step<k>
#: would read as a step suffix (o_step2).
RESERVED_NAMES = ("P", "alpha")
RESERVED_WHY = {"P": "P is the performance", "alpha": "alpha is the learning rate"}
STEP_NAME_RE = re.compile(r"step\d+\Z")
BIAS = "bias"
#: The three kinds of constant input: the value of ``o_bias``.
BIAS_KINDS: dict[str, float | None] = {"none": None, "threshold": -1.0, "bias": 1.0}
TOP_LEVEL_KEYS = (
    "alpha", "bias", "update_bias", "epochs", "decimals", "inputs", "layers", "weights", "samples",
)
DEFAULT_DECIMALS = 4
#: The most update steps (samples x epochs) an instance may ask for: a worked solution of more
#: is no homework, and an unbounded ``epochs`` would make ``solve`` run for ever.
MAX_STEPS = 10_000


@dataclass(frozen=True)
class Connection:
    """The weighted connection ``source -> target`` (``source`` may be ``bias``)."""

    source: str
    target: str
    weight: float

    @property
    def key(self) -> str:
        return f"{self.source}_{self.target}"


@dataclass(frozen=True)
class Sample:
    """One training sample: input values and desired outputs of the final layer."""

    inputs: tuple[tuple[str, float], ...]
    desired: tuple[tuple[str, float], ...]

    def input(self, name: str) -> float:
        return dict(self.inputs)[name]

    def desired_of(self, name: str) -> float:
        return dict(self.desired)[name]


@dataclass(frozen=True)
class Instance:
    """A validated net with its samples and learning settings."""

    inputs: tuple[str, ...]
    layers: tuple[tuple[str, ...], ...]
    connections: tuple[Connection, ...]
    samples: tuple[Sample, ...]
    alpha: float
    bias: str = "none"
    update_bias: bool = True
    epochs: int = 1
    decimals: int | None = None

    @property
    def neurons(self) -> tuple[str, ...]:
        return tuple(n for layer in self.layers for n in layer)

    @cached_property
    def _structure(self) -> tuple:
        """Everything but the numbers (the key of the solver's plans and other caches, see
        :func:`grader.solver._structure`): computed once per instance."""
        return (
            self.inputs, self.layers, tuple([c.key for c in self.connections]),
            self.bias, self.update_bias, len(self.samples), self.epochs,
        )

    @property
    def final_layer(self) -> tuple[str, ...]:
        return self.layers[-1]

    @property
    def bias_value(self) -> float | None:
        """The constant input of the bias weights: -1 (threshold), +1 (bias) or None."""
        return BIAS_KINDS[self.bias]

    @property
    def rounding(self) -> int:
        """The decimals students round to (the instance's, or the default of 4)."""
        return DEFAULT_DECIMALS if self.decimals is None else self.decimals

    @property
    def steps(self) -> int:
        """Number of update steps: one per sample per epoch."""
        return len(self.samples) * self.epochs

    def sample_of_step(self, step: int) -> Sample:
        """The sample used at update step ``step`` (1-based)."""
        return self.samples[(step - 1) % len(self.samples)]

    def layer_index(self, name: str) -> int:
        """0 for inputs and bias, 1 + index for neurons."""
        for i, layer in enumerate(self.layers):
            if name in layer:
                return i + 1
        return 0

    def is_final(self, neuron: str) -> bool:
        return neuron in self.final_layer

    def incoming(self, neuron: str) -> tuple[Connection, ...]:
        return tuple(c for c in self.connections if c.target == neuron)

    def outgoing(self, name: str) -> tuple[Connection, ...]:
        return tuple(c for c in self.connections if c.source == name)

    def weight(self, source: str, target: str) -> float:
        for c in self.connections:
            if c.source == source and c.target == target:
                return c.weight
        raise KeyError(f"{source}_{target}")

    @property
    def weights(self) -> dict[str, float]:
        """The weights keyed ``F_N``, in canonical order."""
        return {c.key: c.weight for c in self.connections}

    def updates(self, connection: Connection) -> bool:
        """Whether the weight of ``connection`` is learned (bias weights may be frozen)."""
        return self.update_bias or connection.source != BIAS

    def to_dict(self) -> dict[str, Any]:
        """The canonical plain-data form (the instance file's structure, keys in fixed order)."""
        data: dict[str, Any] = {"alpha": self.alpha, "bias": self.bias}
        if not self.update_bias:
            data["update_bias"] = False
        if self.epochs != 1:
            data["epochs"] = self.epochs
        if self.decimals is not None:
            data["decimals"] = self.decimals
        data["inputs"] = list(self.inputs)
        data["layers"] = [list(layer) for layer in self.layers]
        data["weights"] = self.weights
        data["samples"] = [
            {"inputs": dict(s.inputs), "desired": dict(s.desired)} for s in self.samples
        ]
        return data


# --------------------------------------------------------------------------- validation


def _did_you_mean(word: str, options: list[str] | tuple[str, ...]) -> str:
    same_but_case = [o for o in options if o.lower() == word.lower()]
    close = same_but_case or difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


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
        raise located(source, key, f"must be a finite number, not {shown}: give an ordinary number such as 0.5")
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
                "'bias' is reserved for the constant input; rename it and set bias = \"threshold\" or \"bias\" instead",
            )
        if not NAME_RE.match(name):
            raise located(
                source, f"{key}[{i}]",
                f"{name!r} is not a valid name: use a letter followed by letters or digits (no '_', spaces or signs)",
            )
        if name in RESERVED_NAMES or STEP_NAME_RE.match(name):
            raise located(
                source, f"{key}[{i}]",
                f"{name!r} is reserved ({RESERVED_WHY.get(name, 'step<k> marks update steps in quantity ids')}); choose another name",
            )
        names.append(name)
    return tuple(names)


def instance_from_dict(
    data: Mapping[str, Any], source: str | None = None, *, table: str | None = None
) -> Instance:
    """Validate plain data (parsed TOML or JSON) and build an :class:`Instance`.

    ``source`` names the file in error messages; ``table`` is the table of the file that holds
    the instance (``"instance"`` in a handout), so that keys read ``instance.weights.x1_A``.

    Data of a structure that validated before (the same keys, names, connections and sample
    layout: every variant of a family) whose every number is a finite float (and alpha
    positive) is built without validating again: :func:`_known`. Anything else is validated
    in full (:func:`_validate`), with the same errors.
    """
    if data.__class__ is dict:
        weights = data.get("weights")
        if weights.__class__ is dict:
            shape = _SHAPES.get((tuple(data), tuple(weights)))
            if shape is not None:
                instance = _known(shape, data, weights)
                if instance is not None:
                    return instance
            instance = _validate(data, source, table)
            _remember(data, weights, instance)
            return instance
    return _validate(data, source, table)


class _Shape:
    """What the validation of an instance found that depends only on its structure, and how
    its numbers are laid out in the data."""

    __slots__ = ("bias", "update_bias", "epochs", "decimals", "inputs", "layers", "raw_inputs", "raw_layers",
                 "order", "samples", "sample_keys", "input_keys", "desired_keys", "final", "structure")


#: (the data's keys, the weights' keys) -> the shape of the data that validated with them
_SHAPES: dict[tuple, _Shape] = {}
_new = object.__new__
_set = object.__setattr__


def _remember(data: dict, weights: dict, instance: Instance) -> None:
    """Keep the shape of ``data``, which validated as ``instance``, when its layout is plain
    (every sample a dict of dicts with its keys in one order)."""
    samples = data["samples"]
    first = samples[0]
    if not all(s.__class__ is dict and tuple(s) == tuple(first) and s["inputs"].__class__ is dict
               and s["desired"].__class__ is dict and tuple(s["inputs"]) == tuple(first["inputs"])
               and tuple(s["desired"]) == tuple(first["desired"]) for s in samples):
        return
    shape = _new(_Shape)
    shape.bias = instance.bias
    shape.update_bias = instance.update_bias
    shape.epochs = instance.epochs
    shape.decimals = instance.decimals
    shape.inputs = instance.inputs
    shape.layers = instance.layers
    shape.raw_inputs = list(instance.inputs)
    shape.raw_layers = [list(layer) for layer in instance.layers]
    shape.order = tuple((c.key, c.source, c.target) for c in instance.connections)
    shape.samples = len(samples)
    shape.sample_keys = tuple(first)
    shape.input_keys = tuple(first["inputs"])
    shape.desired_keys = tuple(first["desired"])
    shape.final = instance.layers[-1]
    shape.structure = instance._structure
    if len(_SHAPES) >= 256:
        _SHAPES.clear()
    _SHAPES[(tuple(data), tuple(weights))] = shape


def _known(shape: _Shape, data: dict, weights: dict) -> Instance | None:
    """The instance of ``data``, of a known shape, as :func:`_validate` builds it; None when
    anything differs from the shape or a number is not a finite float (alpha: positive)."""
    get = data.get
    alpha = data["alpha"]
    if (alpha.__class__ is not float or not 0.0 < alpha < _INF
            or get("bias", "none") != shape.bias or get("update_bias", True) is not shape.update_bias):
        return None
    epochs = get("epochs", 1)
    decimals = get("decimals")
    if (epochs.__class__ is not int or epochs != shape.epochs
            or (decimals is not None and (decimals.__class__ is not int or decimals != shape.decimals))
            or (decimals is None and shape.decimals is not None)):
        return None
    if data["inputs"] != shape.raw_inputs or data["layers"] != shape.raw_layers:
        return None
    raw_samples = data["samples"]
    if raw_samples.__class__ is not list or len(raw_samples) != shape.samples:
        return None
    samples = []
    for raw in raw_samples:
        if raw.__class__ is not dict or tuple(raw) != shape.sample_keys:
            return None
        values = raw["inputs"]
        desired = raw["desired"]
        if (values.__class__ is not dict or desired.__class__ is not dict
                or tuple(values) != shape.input_keys or tuple(desired) != shape.desired_keys):
            return None
        for v in values.values():
            if v.__class__ is not float or v - v != 0.0:
                return None
        for v in desired.values():
            if v.__class__ is not float or v - v != 0.0:
                return None
        sample = _new(Sample)
        _set(sample, "__dict__", {"inputs": tuple([(n, values[n]) for n in shape.inputs]),
                                  "desired": tuple([(n, desired[n]) for n in shape.final])})
        samples.append(sample)
    connections = []
    made = _CONNECTIONS
    for key, src, dst in shape.order:
        w = weights[key]
        if w.__class__ is not float or w - w != 0.0:  # (inf - inf and nan - nan are nan)
            return None
        c = made.get((key, w)) if w else None  # (0.0 == -0.0: not shared)
        if c is None:
            c = _new(Connection)
            _set(c, "__dict__", {"source": src, "target": dst, "weight": w})
            if w:
                if len(made) >= 4096:
                    made.clear()
                made[(key, w)] = c
        connections.append(c)
    instance = _new(Instance)
    _set(instance, "__dict__", {
        "inputs": shape.inputs, "layers": shape.layers, "connections": tuple(connections),
        "samples": tuple(samples), "alpha": alpha, "bias": shape.bias, "update_bias": shape.update_bias,
        "epochs": shape.epochs, "decimals": shape.decimals, "_structure": shape.structure,
    })
    return instance


_INF = math.inf
#: connections made by :func:`_known`, by (key, weight): shared by the instances that have them
#: (they are immutable; variants draw their weights from a few values)
_CONNECTIONS: dict[tuple[str, float], Connection] = {}


def _validate(data: Mapping[str, Any], source: str | None, table: str | None) -> Instance:
    """:func:`instance_from_dict` for any data: check everything, in the order of the file."""

    def at(key: str | None) -> str | None:
        return ".".join(part for part in (table, key) if part) or None

    def err(key: str | None, problem: str) -> BackpropError:
        return located(source, at(key), problem)

    if not isinstance(data, Mapping):
        raise err(None, "the instance must be a table of keys (alpha, inputs, layers, weights, samples)")
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            raise err(str(key),
                f"unknown key{_did_you_mean(str(key), TOP_LEVEL_KEYS)}; the keys are {', '.join(TOP_LEVEL_KEYS)}",
            )

    # -- learning settings
    if "alpha" not in data:
        raise err("alpha", "missing: add the learning rate, e.g. alpha = 0.5")
    alpha = _number(data["alpha"], source, at("alpha"), "a number (the learning rate, e.g. 0.5)")
    if alpha <= 0:
        raise err("alpha", f"must be positive (the learning rate), not {data['alpha']}")

    bias = data.get("bias", "none")
    if bias not in BIAS_KINDS:
        raise err("bias",
            f"must be \"none\", \"threshold\" (constant input -1) or \"bias\" (constant input +1), not {_show(bias)}",
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
        raise err("layers", "missing: list the neurons layer by layer, e.g. layers = [[\"A\", \"B\"], [\"C\"]]")
    raw_layers = data["layers"]
    if not isinstance(raw_layers, list):
        raise err("layers", f"must be a list of layers like [[\"A\", \"B\"], [\"C\"]], not {_show(raw_layers)}")
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
                    f"the name {name!r} is used twice (also in {seen[name]}); every input and neuron needs its own name",
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
        raise err("weights", "missing: add a [weights] table with one key F_N per connection, e.g. x1_A = 0.5")
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
                "is a bias weight but bias = \"none\": set bias = \"threshold\" or \"bias\", or remove the weight",
            )
        if src not in layer_of:
            raise err(wkey,
                f"unknown source {src!r}{_did_you_mean(src, list(layer_of))}; "
                f"the sources are {', '.join(layer_of)}",
            )
        if dst not in neuron_set:
            raise err(wkey,
                f"unknown neuron {dst!r}{_did_you_mean(dst, neurons)}; the neurons are {', '.join(neurons)}",
            )
        if layer_of[src] >= layer_of[dst]:
            how = "within a layer" if layer_of[src] == layer_of[dst] else "backward"
            raise err(wkey,
                f"the connection {src} -> {dst} runs {how}; connections must run from an input or an earlier layer to a later layer",
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
                f"neuron {n} has no incoming connection: add a weight such as {_feeder(n, inputs, layers)}_{n}",
            )
    for layer in layers[:-1]:
        for n in layer:
            if n not in sources:
                raise err("weights",
                    f"neuron {n} is not in the final layer but feeds nothing: add a weight {n}_<later neuron> or move {n} to the final layer",
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
                    f"is not a declared input{_did_you_mean(str(name), inputs)}; the inputs are "
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
                    f"is not a final-layer neuron{_did_you_mean(str(name), layers[-1])}; "
                    f"desired values are given only for {', '.join(layers[-1])}",
                )
        for name in layers[-1]:
            if name not in desired:
                raise err(
                    f"{skey}.desired", f"missing the desired output of final neuron {name}: add {name} = <number>"
                )
        samples.append(
            Sample(
                inputs=tuple((n, _number(values[n], source, at(f"{skey}.inputs.{n}"))) for n in inputs),
                desired=tuple((n, _number(desired[n], source, at(f"{skey}.desired.{n}"))) for n in layers[-1]),
            )
        )

    if epochs * len(samples) > MAX_STEPS:
        raise err(
            "epochs",
            f"{epochs} epochs of {len(samples)} sample(s) make {epochs * len(samples)} update steps; "
            f"at most {MAX_STEPS} are solved: lower epochs",
        )

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
