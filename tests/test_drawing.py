"""The drawing of a net: every node placed, labels that touch neither nodes nor each other,
edges that do not run through nodes, and the SVG that shows it."""

from __future__ import annotations

import math
import random
import xml.etree.ElementTree as ET
from functools import cache

import pytest

from grader.drawing import Drawing, layout
from grader.geometry import box_circle_gap, boxes_overlap
from grader.model import Instance
from grader.render.svg import net_svg
from grader.validation import instance_from_dict


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


# --------------------------------------------------------------------------- the caches
#
# layout and net_svg keep with the net's derivation everything that does not depend on the
# labels and per laid-out frame the SVG with placeholders for the labels; what they return must
# be what the plain computation (layout_from_scratch, net_svg_plain) returns, byte for byte.

from grader import derivation  # noqa: E402
from grader.drawing import layout_from_scratch as _layout_uncached  # noqa: E402
from grader.family import builtin_family_ids, load_family  # noqa: E402
from grader.generator import generate_variants  # noqa: E402
from grader.render import svg as svg_module  # noqa: E402
from grader.render.svg import net_svg_plain as _net_svg_uncached  # noqa: E402
from grader.render.svg import weight_labels  # noqa: E402
from grader.roster import numbered_roster  # noqa: E402

#: label texts of many lengths, and some that need escaping or look like a placeholder
ODD_LABELS = ["0", "-1", "\u22120.5", "2.25", "-0.333333", "123456.789", "1e-07", "", "<w>", "a & b",
              '"q"', "'", "{0}", "}{", "\x001\x00", "&amp;", "x" * 30]


@cache
def family_instances(name: str, count: int = 40) -> tuple[Instance, ...]:
    variants = generate_variants(load_family(name), numbered_roster(count), b"secret", "a1", 1)
    return tuple(v.instance for v in variants)


def _marks(inst: Instance, rnd: random.Random) -> list[str]:
    names = [*inst.inputs, *inst.neurons, *(c.key for c in inst.connections), "nobody", "x9_Z"]
    return rnd.sample(names, rnd.randint(1, 4))


@pytest.fixture
def fresh_caches():
    derivation.clear_cache()
    yield
    derivation.clear_cache()


@pytest.mark.parametrize("family", builtin_family_ids())
def test_cached_layout_and_svg_are_the_uncached_ones(family: str, fresh_caches: None) -> None:
    rnd = random.Random(family)
    for i, inst in enumerate(family_instances(family)):
        labels = weight_labels(inst)
        marks = _marks(inst, rnd) if i % 4 == 0 else []
        assert net_svg(inst, marks) == _net_svg_uncached(inst, marks), (family, i, marks)
        assert layout(inst, labels, marks) == _layout_uncached(inst, labels, marks), (family, i)
        if i % 5 == 0:  # the default labels: the weights as f"{w:g}"
            assert layout(inst) == _layout_uncached(inst)
    # and again, warm, in another order
    for inst in reversed(family_instances(family)):
        assert net_svg(inst) == _net_svg_uncached(inst)


@pytest.mark.parametrize("family", ["2-2-1-threshold", "xor", "2-2-2-1"])
def test_cache_with_odd_labels(family: str, fresh_caches: None) -> None:
    """Labels of every length and with characters the SVG must escape: the placeholders are
    filled in exactly as the template's |e escapes."""
    rnd = random.Random(family)
    for i, inst in enumerate(family_instances(family, 12)):
        for _ in range(3):
            labels = {c.key: rnd.choice(ODD_LABELS) for c in inst.connections if rnd.random() < 0.8}
            marks = _marks(inst, rnd) if rnd.random() < 0.3 else []
            svg = net_svg(inst, marks, labels)
            assert svg == _net_svg_uncached(inst, marks, labels), (family, i, labels, marks)
            assert layout(inst, labels, marks) == _layout_uncached(inst, labels, marks)
            if any(ch in text for text in labels.values() for ch in "<&\"'"):
                assert "<w>" not in svg and "a & b" not in svg and '"q"' not in svg
            if "\x001\x00" not in labels.values():
                ET.fromstring(svg)


@pytest.mark.parametrize("name", ["2-2-1", "4x4-skip", "4x4-skip-dense"])
def test_cache_on_nets_that_need_wider_gaps(name: str, fresh_caches: None) -> None:
    """Nets whose labels do not fit at the first column gap: the cached placement must move
    the columns apart exactly as the plain layout does."""
    inst = NETS[name]
    rnd = random.Random(name)
    for _ in range(3 if name.startswith("4x4") else 10):
        labels = {c.key: rnd.choice(ODD_LABELS[:7]) for c in inst.connections}
        assert layout(inst, labels) == _layout_uncached(inst, labels)
        assert net_svg(inst, (), labels) == _net_svg_uncached(inst, (), labels)


def test_results_of_the_cache_are_separate_and_immutable(fresh_caches: None) -> None:
    a, b = family_instances("xor")[:2]
    da, db = layout(a), layout(b)
    assert da != db and layout(a) == da and layout(b) == db
    with pytest.raises(AttributeError):
        da.edges[0].label.text = "changed"  # type: ignore[misc]
    assert net_svg(a) != net_svg(b) and net_svg(a) == _net_svg_uncached(a)


def test_caches_are_bounded(fresh_caches: None) -> None:
    size = derivation.CACHE_SIZE
    for k in range(size + 20):
        inst = instance_from_dict({
            "alpha": 0.5, "bias": "none", "inputs": [f"in{k}"], "layers": [["A"]],
            "weights": {f"in{k}_A": 0.5},
            "samples": [{"inputs": {f"in{k}": 1.0}, "desired": {"A": 1.0}}],
        })
        net_svg(inst)
    assert derivation._derive.cache_info().currsize <= size
    assert len(derivation.derive(inst)._memo) <= derivation.MEMO_SIZE
    assert net_svg(inst) == _net_svg_uncached(inst)


LABEL_TEMPLATES = {
    # what the placeholders can stand for: a skeleton is kept
    "{% for e in d.edges %}{{ e.label.text|e }} {{ (e.label.y + 2 * e.label.width)|round(1) }} "
    "{{ -e.label.x / 3 - 1 }} {{ 10 - e.label.box[0] }}{% endfor %}": True,
    # the same, in another order than edge by edge
    "{% for e in d.edges|reverse %}{{ e.label.x }},{{ e.label.text }};{% endfor %}"
    "{{ d.edges[0].label.height * 2 }}{{ d.edges[0].label.text|e }}": True,
    "{{ d.edges[1].label.width }}": True,
    # what they cannot: every call renders the template
    "{% for e in d.edges %}{{ 'wide' if e.label.width > 20 else 'narrow' }} {% endfor %}": False,
    "{% for e in d.edges %}{{ e.label.x|int }} {% endfor %}": False,
    "{% for e in d.edges %}{{ e.label.text|length }} {% endfor %}": False,
    "{% for e in d.edges %}{{ e.label.text|upper }} {% endfor %}": False,
}


@pytest.mark.parametrize("source", list(LABEL_TEMPLATES))
def test_a_template_that_does_more_with_labels_falls_back(source: str, monkeypatch: pytest.MonkeyPatch,
                                                          fresh_caches: None) -> None:
    """A template that compares a label value, or does with it what the placeholders cannot
    stand for, still gives the right SVG: the SVG of such a frame is rendered on every call."""
    env = svg_module.render.__globals__["environment"]()
    monkeypatch.setattr(svg_module, "render", lambda name, **ctx: env.from_string(source).render(**ctx))
    for i in (0, 1, 0, 2, 3):
        inst = family_instances("xor")[i]
        labels = {c.key: ["<&>", "0.5", "ab", "-1"][(i + k) % 4] for k, c in enumerate(inst.connections)}
        assert net_svg(inst, (), labels) == _net_svg_uncached(inst, (), labels)
        assert net_svg(inst) == _net_svg_uncached(inst)
    memo = derivation.derive(family_instances("xor")[0])._memo
    kept = [s is not None for key, s in memo.items() if key[0] == "svg"]
    assert kept and all(k == LABEL_TEMPLATES[source] for k in kept)
