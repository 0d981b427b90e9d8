"""Hypothesis strategies for random valid instances (plain data, as in an instance file).

``instances()`` draws feed-forward nets of up to ``max_layers`` layers of up to ``max_width``
neurons with random sparse connections (including connections that skip a layer), one of the
three bias kinds with bias weights on a random subset of the neurons, weights in [-2, 2],
inputs in [-2, 2], desired outputs in [0, 1] and a learning rate alpha. Every draw is valid:
each neuron has an incoming connection and every non-final neuron feeds a later one.
Build the :class:`~grader.model.Instance` with ``grader.validation.instance_from_dict``.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

BIAS_KINDS = ("none", "threshold", "bias")

weights = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False)
input_values = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False)
desired_values = st.floats(0.0, 1.0, allow_nan=False, allow_infinity=False)
alphas = st.floats(0.01, 2.0, allow_nan=False, allow_infinity=False)


def neuron_names(count: int) -> list[str]:
    """``A, B, C, ...`` as generated nets name them."""
    return [chr(ord("A") + i) for i in range(count)]


@st.composite
def instances(
    draw: st.DrawFn,
    *,
    max_inputs: int = 3,
    max_layers: int = 3,
    max_width: int = 3,
    max_samples: int = 1,
    max_epochs: int = 1,
    bias: str | None = None,
    update_bias: bool | None = None,
) -> dict[str, Any]:
    n_inputs = draw(st.integers(1, max_inputs))
    inputs = [f"x{i + 1}" for i in range(n_inputs)]
    sizes = draw(st.lists(st.integers(1, max_width), min_size=1, max_size=max_layers))
    names = iter(neuron_names(sum(sizes)))
    layers = [[next(names) for _ in range(size)] for size in sizes]
    kind = bias if bias is not None else draw(st.sampled_from(BIAS_KINDS))

    sources: list[str] = list(inputs)  # every name before the current layer
    edges: set[tuple[str, str]] = set()
    for layer in layers:
        for n in layer:
            chosen = draw(st.lists(st.sampled_from(sources), min_size=1, max_size=len(sources), unique=True))
            edges.update((s, n) for s in chosen)
        sources += layer
    # every non-final neuron must feed a later one
    for i, layer in enumerate(layers[:-1]):
        later = [n for lay in layers[i + 1:] for n in lay]
        for n in layer:
            if not any(s == n for s, _ in edges):
                edges.add((n, draw(st.sampled_from(later))))
    if kind != "none":
        neurons = [n for layer in layers for n in layer]
        biased = draw(st.lists(st.sampled_from(neurons), max_size=len(neurons), unique=True))
        edges.update(("bias", n) for n in biased)

    ordered = sorted(edges)
    order = draw(st.permutations(ordered))  # the order of the keys in the file is arbitrary
    data: dict[str, Any] = {
        "alpha": draw(alphas),
        "bias": kind,
        "inputs": inputs,
        "layers": layers,
        "weights": {f"{s}_{t}": draw(weights) for s, t in order},
        "samples": [
            {
                "inputs": {x: draw(input_values) for x in inputs},
                "desired": {n: draw(desired_values) for n in layers[-1]},
            }
            for _ in range(draw(st.integers(1, max_samples)))
        ],
    }
    ub = update_bias if update_bias is not None else draw(st.booleans())
    if not ub:
        data["update_bias"] = False
    epochs = draw(st.integers(1, max_epochs))
    if epochs != 1:
        data["epochs"] = epochs
    return data
