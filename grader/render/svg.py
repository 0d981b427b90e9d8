"""The drawing of a net as SVG, for Markdown handouts, notebooks and feedback.

``net_svg(instance, highlight=("C", "A_C"))`` marks neurons and connections (by key) in red,
e.g. where a student went wrong. The layout is :func:`grader.drawing.layout`; the SVG comes
from ``templates/net.svg.j2``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..drawing import Drawing, layout
from ..model import Instance
from . import numbers
from .env import render

INK = "#222222"
RED = "#c0392b"
FILLS = {"input": "#eeeeee", "bias": "#ffffff", "neuron": "#ffffff"}
_INDEX = re.compile(r"([A-Za-z]+)(\d+)\Z")


def weight_labels(instance: Instance) -> dict[str, str]:
    """The weights as the drawings show them: rounded like the student's answers, with a
    real minus sign."""
    return {c.key: numbers.fmt(c.weight, instance.rounding).replace("-", "\u2212") for c in instance.connections}


def drawing(instance: Instance, highlight: Iterable[str] = ()) -> Drawing:
    return layout(instance, weight_labels(instance), highlight)


def split_name(label: str) -> tuple[str, str]:
    """``x12`` -> (``x``, ``12``): a name's trailing digits are written as a subscript."""
    m = _INDEX.match(label)
    return (m.group(1), m.group(2)) if m else (label, "")


def net_svg(instance: Instance, highlight: Iterable[str] = ()) -> str:
    """The net as a standalone ``<svg>`` element."""
    d = drawing(instance, highlight)
    nodes = [
        {**vars(n), "base": split_name(n.label)[0] if n.kind != "bias" else n.label,
         "index": split_name(n.label)[1] if n.kind != "bias" else ""}
        for n in d.nodes
    ]
    view = {"width": d.width, "height": d.height, "edges": d.edges, "nodes": nodes, "font_size": d.font_size}
    title = "Net: inputs " + ", ".join(instance.inputs) + "; layers " + " | ".join(
        " ".join(layer) for layer in instance.layers)
    return render("net.svg.j2", d=view, title=title, ink=INK, red=RED, fills=FILLS)
