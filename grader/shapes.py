"""Instances of a structure that validated before, built without validating again.

Every variant of a family has the same keys, names, connections and sample layout; only the
numbers differ. Once one such instance has validated (:func:`remember`), later data of the same
shape whose every number is a finite float (and alpha positive) is built at once
(:func:`known`): the same :class:`~grader.model.Instance` the validation would build. Anything
else goes through the full validation, with its errors.
"""

from __future__ import annotations

import math

from .model import Connection, Instance, Sample


class _Shape:
    """What the validation of an instance found that depends only on its structure, and how
    its numbers are laid out in the data."""

    __slots__ = ("bias", "update_bias", "epochs", "decimals", "inputs", "layers", "raw_inputs", "raw_layers",
                 "order", "samples", "sample_keys", "input_keys", "desired_keys", "final")


#: (the data's keys, the weights' keys) -> the shape of the data that validated with them
SHAPES: dict[tuple, _Shape] = {}


def remember(data: dict, weights: dict, instance: Instance) -> None:
    """Keep the shape of ``data``, which validated as ``instance``, when its layout is plain
    (every sample a dict of dicts with its keys in one order)."""
    samples = data["samples"]
    first = samples[0]
    if not all(s.__class__ is dict and tuple(s) == tuple(first) and s["inputs"].__class__ is dict
               and s["desired"].__class__ is dict and tuple(s["inputs"]) == tuple(first["inputs"])
               and tuple(s["desired"]) == tuple(first["desired"]) for s in samples):
        return
    shape = _Shape()
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
    if len(SHAPES) >= 256:
        SHAPES.clear()
    SHAPES[(tuple(data), tuple(weights))] = shape


def known(shape: _Shape, data: dict, weights: dict) -> Instance | None:
    """The instance of ``data``, of a known shape, as the validation builds it; None when
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
        samples.append(Sample(tuple([(n, values[n]) for n in shape.inputs]),
                              tuple([(n, desired[n]) for n in shape.final])))
    connections = []
    for key, src, dst in shape.order:
        w = weights[key]
        if w.__class__ is not float or w - w != 0.0:  # (inf - inf and nan - nan are nan)
            return None
        connections.append(Connection(src, dst, w))
    return Instance(shape.inputs, shape.layers, tuple(connections), tuple(samples), alpha, shape.bias,
                    shape.update_bias, shape.epochs, shape.decimals)


_INF = math.inf
