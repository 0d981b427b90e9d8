"""The net: an immutable, validated instance of a backpropagation problem (DESIGN section 4).

``instance_from_dict`` (:mod:`grader.validation`) checks everything a hand-written file can get
wrong and raises one :class:`~grader.errors.BackpropError` per mistake, naming the file, the
key and the fix. Reading files lives in :mod:`grader.files`; this module never touches the disk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

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

    def desired_of(self, name: str) -> float:
        return dict(self.desired)[name]


class Structure(NamedTuple):
    """Everything of an instance but its numbers: what fixes its derivation
    (:mod:`grader.derivation`). The one meaning of "structure" in the package."""

    inputs: tuple[str, ...]
    layers: tuple[tuple[str, ...], ...]
    #: (source, target) of every connection, in order
    edges: tuple[tuple[str, str], ...]
    bias: str
    update_bias: bool
    #: how many samples (their names are the inputs and the final layer, in order)
    samples: int
    epochs: int


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
    def structure(self) -> Structure:
        """Everything but the numbers (:class:`Structure`): computed once per instance."""
        return Structure(self.inputs, self.layers, tuple([(c.source, c.target) for c in self.connections]),
                         self.bias, self.update_bias, len(self.samples), self.epochs)

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

