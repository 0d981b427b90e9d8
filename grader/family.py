"""Problem families: the shape of a net and the value grids its variants are drawn from.

A family is a TOML file (the built-in ones are in ``problems/``; see the README for the
format). It is validated into an immutable :class:`Family`; drawing a variant is the
generator's job (:mod:`grader.generator`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import BackpropError, located
from .files import read_data
from .model import BIAS, BIAS_KINDS, DEFAULT_DECIMALS, NAME_RE
from .resources import problems_dir
from .solver import KINDS

FAMILY_KEYS = (
    "id", "title", "description", "bias", "update_bias", "epochs", "decimals", "inputs", "layers",
    "connections", "ask", "ecf_credit", "samples", "values", "constraints",
)
CONSTRAINT_KEYS = ("min_output", "max_output", "max_draws", "allow_free_answers")


@dataclass(frozen=True)
class Grids:
    """The values a variant draws from: pleasant numbers for hand calculation."""

    weights: tuple[float, ...]
    inputs: tuple[float, ...]
    desired: tuple[float, ...]
    alpha: tuple[float, ...]


@dataclass(frozen=True)
class Constraints:
    """What a variant must satisfy (otherwise it is redrawn)."""

    #: every neuron's output at every step lies in [min_output, max_output]
    min_output: float = 0.05
    max_output: float = 0.95
    #: how many draws to try per student before giving up
    max_draws: int = 2000
    #: accept variants in which a zero gives answers away (a dw of 0, a new weight equal to the
    #: old: :func:`grader.checks.free_ids`); by default they are redrawn, so that every student
    #: has the same number of answers to work out
    allow_free_answers: bool = False


@dataclass(frozen=True)
class Family:
    id: str
    title: str
    description: str
    bias: str
    update_bias: bool
    epochs: int
    decimals: int
    inputs: tuple[str, ...]
    layers: tuple[tuple[str, ...], ...]
    #: connection keys F_N, bias weights included
    connections: tuple[str, ...]
    #: the kinds of quantity students are asked for
    ask: tuple[str, ...]
    ecf_credit: float
    grids: Grids
    constraints: Constraints
    #: fixed samples (inputs, desired); empty = draw ``sample_count`` samples from the grids
    fixed_samples: tuple[tuple[tuple[tuple[str, float], ...], tuple[tuple[str, float], ...]], ...]
    sample_count: int
    source: str


def builtin_family_ids() -> tuple[str, ...]:
    return tuple(sorted((p.stem for p in problems_dir().glob("*.toml")), key=_family_order))


def _family_order(name: str) -> tuple[int, str]:
    order = ("chain", "chain3", "2-2-1", "2-2-1-threshold", "2-2-2-bias", "xor", "2-2-2-1")
    return (order.index(name) if name in order else len(order), name)


def family_dirs(extra: str | Path | None = None) -> list[Path]:
    dirs = [problems_dir()]
    if extra is not None:
        dirs.insert(0, Path(extra))
    return dirs


def load_family(name: str, problems: str | Path | None = None) -> Family:
    """A family by id (built-in, or in ``problems``) or by path to its TOML file."""
    path = Path(name)
    if path.suffix == ".toml" and path.exists():
        return family_from_dict(read_data(path), str(path), default_id=path.stem)
    for folder in family_dirs(problems):
        candidate = folder / f"{name}.toml"
        if candidate.is_file():
            return family_from_dict(read_data(candidate), str(candidate), default_id=name)
    known = ", ".join(list_family_ids(problems))
    raise BackpropError(f"unknown family {name!r}; the families are {known} (see: backprop families)")


def list_family_ids(problems: str | Path | None = None) -> list[str]:
    ids = list(builtin_family_ids())
    if problems is not None:
        folder = Path(problems)
        if not folder.is_dir():
            raise BackpropError(f"{folder}: no such folder of problem families")
        own = sorted(p.stem for p in folder.glob("*.toml"))
        ids = own + [i for i in ids if not (folder / f"{i}.toml").exists()]
    return ids


def _grid(data: Any, source: str, key: str) -> tuple[float, ...]:
    if not isinstance(data, list) or not data:
        raise located(source, key, "must be a non-empty list of numbers, e.g. [-1.0, -0.5, 0.5, 1.0]")
    out = []
    for i, v in enumerate(data):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise located(source, f"{key}[{i}]", f"must be a finite number, not {v!r}")
        out.append(float(v))
    return tuple(out)


def family_from_dict(data: dict[str, Any], source: str, default_id: str) -> Family:
    for key in data:
        if key not in FAMILY_KEYS:
            raise located(source, key, f"unknown key; a family has {', '.join(FAMILY_KEYS)}")
    fid = data.get("id", default_id)
    bias = data.get("bias", "none")
    if bias not in BIAS_KINDS:
        raise located(source, "bias", "must be \"none\", \"threshold\" or \"bias\"")
    inputs = tuple(data.get("inputs", ()))
    layers = tuple(tuple(layer) for layer in data.get("layers", ()))
    if not inputs or not layers or not all(layers):
        raise located(source, "layers", "a family needs inputs = [...] and layers = [[...], ...]")
    for name in inputs + tuple(n for layer in layers for n in layer):
        if not isinstance(name, str) or not NAME_RE.match(name) or name == BIAS:
            raise located(source, "layers", f"{name!r} is not a valid name")
    conns = data.get("connections", "full")
    if conns == "full":
        keys = []
        previous: tuple[str, ...] = inputs
        for layer in layers:
            for n in layer:
                keys += [f"{f}_{n}" for f in previous]
                if bias != "none":
                    keys.append(f"{BIAS}_{n}")
            previous = layer
        conns = keys
    if not isinstance(conns, list) or not all(isinstance(k, str) for k in conns):
        raise located(source, "connections", "must be \"full\" or a list of keys like [\"x1_A\", \"A_C\"]")
    ask = tuple(data.get("ask", KINDS))
    for kind in ask:
        if kind not in KINDS:
            raise located(source, "ask", f"unknown kind {kind!r}; the kinds are {', '.join(KINDS)}")
    values = data.get("values", {})
    if not isinstance(values, dict):
        raise located(source, "values", "must be a table of grids")
    grids = Grids(
        weights=_grid(values.get("weights", [-2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0]), source,
                      "values.weights"),
        inputs=_grid(values.get("inputs", [-1.0, 1.0, 2.0]), source, "values.inputs"),
        desired=_grid(values.get("desired", [0.0, 1.0]), source, "values.desired"),
        alpha=_grid(values.get("alpha", [1.5, 2.0]), source, "values.alpha"),
    )
    if 1.0 in grids.alpha:
        raise located(source, "values.alpha", "alpha = 1 hides the missing-alpha mistake (dw is the same "
                      "without alpha); leave 1 out, e.g. alpha = [1.5, 2.0]")
    c = data.get("constraints", {})
    if not isinstance(c, dict):
        raise located(source, "constraints", "must be a table")
    for key in c:
        if key not in CONSTRAINT_KEYS:
            raise located(source, f"constraints.{key}",
                          f"unknown key; [constraints] has {', '.join(CONSTRAINT_KEYS)}")
    allow_free = c.get("allow_free_answers", False)
    if not isinstance(allow_free, bool):
        raise located(source, "constraints.allow_free_answers", "must be true or false")
    constraints = Constraints(
        min_output=float(c.get("min_output", 0.05)),
        max_output=float(c.get("max_output", 0.95)),
        max_draws=int(c.get("max_draws", 2000)),
        allow_free_answers=allow_free,
    )
    samples = data.get("samples", 1)
    fixed: list = []
    count = 0
    if isinstance(samples, int) and not isinstance(samples, bool):
        if samples < 1:
            raise located(source, "samples", "must be 1 or more, or a list of [[samples]]")
        count = samples
    elif isinstance(samples, list):
        for i, s in enumerate(samples):
            try:
                fixed.append((
                    tuple((n, float(s["inputs"][n])) for n in inputs),
                    tuple((n, float(s["desired"][n])) for n in layers[-1]),
                ))
            except (KeyError, TypeError, ValueError):
                raise located(source, f"samples[{i}]",
                              "needs inputs for every input and desired for every final neuron") from None
        count = len(fixed)
    else:
        raise located(source, "samples", "must be a number of samples to draw or a list of [[samples]]")
    decimals = data.get("decimals", DEFAULT_DECIMALS)
    ecf = data.get("ecf_credit", 1.0)
    if isinstance(ecf, bool) or not isinstance(ecf, (int, float)) or not 0 <= ecf <= 1:
        raise located(source, "ecf_credit",
                      "must be a number from 0 to 1 (the share of credit for carried-forward answers)")
    return Family(
        id=str(fid),
        title=str(data.get("title", fid)),
        description=str(data.get("description", "")).strip(),
        bias=bias,
        update_bias=bool(data.get("update_bias", True)),
        epochs=int(data.get("epochs", 1)),
        decimals=int(decimals),
        inputs=inputs,
        layers=layers,
        connections=tuple(conns),
        ask=ask,
        ecf_credit=float(ecf),
        grids=grids,
        constraints=constraints,
        fixed_samples=tuple(fixed),
        sample_count=count,
        source=source,
    )
