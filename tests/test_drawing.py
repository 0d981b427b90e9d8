"""The drawing of a net: every node placed, labels that touch neither nodes nor each other,
edges that do not run through nodes, and the SVG that shows it."""

from __future__ import annotations

import math
import random
import xml.etree.ElementTree as ET
from functools import cache

import pytest

from grader.drawing import Drawing, box_circle_gap, boxes_overlap, layout
from grader.model import Instance, instance_from_dict
from grader.render.svg import net_svg


def make_net(inputs: int, layers: list[int], *, bias: str = "threshold", skip: float = 0.0,
             seed: int = 1) -> Instance:
    """A fully connected net (consecutive layers), plus skip connections with probability
    ``skip`` from every earlier column; weights with two decimals, some negative."""
    rnd = random.Random(seed)
    names = iter("ABCDEFGHIJKLMNOQRSTUVWXYZ")  # P is the performance
    cols = [[f"x{i + 1}" for i in range(inputs)]] + [[next(names) for _ in range(n)] for n in layers]
    weights: dict[str, float] = {}
    for j in range(1, len(cols)):
        for n in cols[j]:
            for s in cols[j - 1]:
                weights[f"{s}_{n}"] = round(rnd.uniform(-2.5, 2.5), 2)
            for earlier in cols[: j - 1]:
                for s in earlier:
                    if rnd.random() < skip:
                        weights[f"{s}_{n}"] = round(rnd.uniform(-2.5, 2.5), 2)
            if bias != "none":
                weights[f"bias_{n}"] = round(rnd.uniform(-1, 1), 2)
    return instance_from_dict({
        "alpha": 0.5, "bias": bias, "inputs": cols[0], "layers": cols[1:], "weights": weights,
        "samples": [{"inputs": {x: 1.0 for x in cols[0]}, "desired": {n: 1.0 for n in cols[-1]}}],
    })


NETS = {
    "chain": make_net(1, [1, 1], bias="none"),
    "chain-threshold": make_net(1, [1, 1]),
    "2-2-1": make_net(2, [2, 1]),
    "2-2-2-1": make_net(2, [2, 2, 1], bias="bias"),
    "4x4": make_net(4, [4, 4, 4, 4]),
    "4x4-skip": make_net(2, [4, 4, 4, 4], skip=0.2, seed=7),
    "4x4-skip-dense": make_net(4, [4, 4, 4, 4], skip=0.35, seed=3),
}


@cache
def laid_out(name: str) -> Drawing:
    """The layout of a net of NETS (computed once: the 4x4 nets take most of a second)."""
    return layout(NETS[name])


def _curve(d: Drawing, key: str, n: int = 60) -> list[tuple[float, float]]:
    e = d.edge(key)
    return [e.at(i / n) for i in range(n + 1)]


@pytest.mark.parametrize("name", list(NETS), ids=list(NETS))
def test_labels_touch_no_node_and_no_other_label(name: str) -> None:
    d = laid_out(name)
    for e in d.edges:
        for n in d.nodes:
            assert box_circle_gap(e.label.box, n.x, n.y, n.r) >= 1.9, (e.key, n.name)
    for i, a in enumerate(d.edges):
        for b in d.edges[i + 1:]:
            assert not boxes_overlap(a.label.box, b.label.box), (a.key, b.key)


@pytest.mark.parametrize("name", list(NETS), ids=list(NETS))
def test_every_label_sits_on_its_own_edge(name: str) -> None:
    d = laid_out(name)
    for e in d.edges:
        assert min(math.hypot(x - e.label.x, y - e.label.y) for x, y in _curve(d, e.key, 200)) < 0.5


@pytest.mark.parametrize("name", list(NETS), ids=list(NETS))
def test_edges_pass_no_node_but_their_own(name: str) -> None:
    d = laid_out(name)
    for e in d.edges:
        ends = {e.target, f"bias:{e.target}" if e.source == "bias" else e.source}
        for n in d.nodes:
            if n.name in ends:
                continue
            assert all(math.hypot(x - n.x, y - n.y) > n.r for x, y in _curve(d, e.key)), (e.key, n.name)


@pytest.mark.parametrize("name", list(NETS), ids=list(NETS))
def test_everything_inside_the_drawing(name: str) -> None:
    d = laid_out(name)
    for n in d.nodes:
        assert n.r <= n.x <= d.width - n.r and n.r <= n.y <= d.height - n.r
    for e in d.edges:
        left, top, right, bottom = e.label.box
        assert 0 <= left and right <= d.width and 0 <= top and bottom <= d.height


def test_small_nets_keep_labels_off_crossings() -> None:
    """In 2-2-2-1 every line crossing has room for the labels elsewhere on their edges."""
    d = laid_out("2-2-2-1")
    for e in d.edges:
        for other in d.edges:
            if other.key == e.key:
                continue
            left, top, right, bottom = e.label.box
            assert not any(left <= x <= right and top <= y <= bottom for x, y in _curve(d, other.key, 120)), (
                e.key, other.key)


def test_layers_are_columns_and_bias_inputs_belong_to_their_neuron() -> None:
    inst = NETS["2-2-1"]
    d = layout(inst)
    xs = [d.node(n).x for n in ("x1", "A", "C")]
    assert xs == sorted(xs) and len(set(xs)) == 3
    assert d.node("A").x == d.node("B").x
    assert d.node("x1").y < d.node("x2").y
    assert {n.name for n in d.nodes if n.kind == "bias"} == {"bias:A", "bias:B", "bias:C"}
    assert d.node("bias:C").label == "\u22121"
    assert [e.key for e in d.edges] == [c.key for c in inst.connections]


def test_layout_is_deterministic_and_highlight_only_marks() -> None:
    inst = NETS["4x4-skip"]
    plain, marked = layout(inst), layout(inst, highlight=["F", "A_F"])
    assert plain == layout(inst)
    assert [n.highlight for n in marked.nodes if n.name == "F"] == [True]
    assert marked.edge("A_F").highlight and not marked.edge("B_F").highlight
    assert [(n.x, n.y) for n in plain.nodes] == [(n.x, n.y) for n in marked.nodes]


def test_svg_is_well_formed_and_shows_every_weight() -> None:
    inst = NETS["2-2-1"]
    svg = net_svg(inst, highlight=["C", "A_C"])
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    texts = ["".join(t.itertext()) for t in root.iter(f"{ns}text")]
    for c in inst.connections:
        shown = f"{c.weight:.4f}".rstrip("0").rstrip(".").replace("-", "\u2212")
        assert shown in texts, c.key
    assert "x1" in texts and "C" in texts
    marked = [g for g in root.iter(f"{ns}g") if g.get("data-name") == "C" or g.get("data-key") == "A_C"]
    assert len(marked) == 2 and all('#c0392b' in ET.tostring(g, encoding="unicode") for g in marked)
    unmarked = [g for g in root.iter(f"{ns}g") if g.get("data-name") == "A"]
    assert '#c0392b' not in ET.tostring(unmarked[0], encoding="unicode")
