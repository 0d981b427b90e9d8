"""The drawing of a net, computed once and rendered twice (SVG and typst).

``layout(instance)`` places the inputs in a first column and each layer of neurons in a column
of its own; every neuron with a bias weight gets its own small constant input (-1 or +1, as in
the 6.034 drawings) below and to the left of it. Edges are quadratic curves: straight unless
the straight line would pass through another node, in which case they bow out until they
clear it. Weight labels sit on their edge (on a white box, so a crossing line cannot run
through the text), at the first point along it where the box touches no node and no earlier
label; if some label finds no such point, the columns move apart and everything is placed
again. Everything here is geometry in points (1/72 inch), y downward; nothing is rendered.

Laying a net out takes milliseconds, and a class of students shares one net structure, so
``layout`` keeps what does not depend on the labels per structure and only places each
instance's labels (microseconds); ``_layout_uncached`` is the plain computation.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from operator import attrgetter
from typing import Any, NamedTuple

from .model import BIAS, Connection, Instance

Point = tuple[float, float]

NEURON_R = 12.0
INPUT_R = 10.0
BIAS_R = 7.5
FONT = 7.5  # weight labels, pt
MARGIN = 10.0
ROW = 72.0  # vertical distance of nodes in a column
BIAS_OFFSET = (0.0, 40.0)  # bias node relative to its neuron: right below it
CLEARANCE = 3.0  # between a curve and a node it passes
BENDS, BEND_STEP = 24, 8.0  # how far a curve may bow (control point moved by up to 24 * 8 pt)
GAP_START, GAP_STEP, GAP_MAX = 96.0, 16.0, 320.0
#: columns move apart up to this gap to keep labels off line crossings, and further only to
#: keep labels off each other and off nodes
GAP_TIDY = 160.0
#: where along an edge a label may sit, most preferred first
T_CANDIDATES = (0.5, 0.42, 0.58, 0.34, 0.66, 0.27, 0.73, 0.21, 0.79, 0.15, 0.85)


@dataclass(frozen=True)
class Node:
    #: an input or neuron name; ``bias:N`` for the constant input of neuron N
    name: str
    kind: str  # "input" | "bias" | "neuron"
    label: str
    x: float
    y: float
    r: float
    highlight: bool = False


@dataclass(frozen=True)
class Label:
    text: str
    #: the centre of the label's box
    x: float
    y: float
    width: float
    height: float

    @property
    def box(self) -> tuple[float, float, float, float]:
        """(left, top, right, bottom)"""
        return (self.x - self.width / 2, self.y - self.height / 2,
                self.x + self.width / 2, self.y + self.height / 2)


@dataclass(frozen=True)
class Edge:
    #: the connection key ``F_N``
    key: str
    source: str
    target: str
    #: a quadratic curve from the source's rim to the tip of the arrow on the target's rim
    start: Point
    control: Point
    end: Point
    #: the arrowhead triangle (tip first)
    arrow: tuple[Point, Point, Point]
    label: Label
    highlight: bool = False

    def at(self, t: float) -> Point:
        return _bezier(self.start, self.control, self.end, t)


@dataclass(frozen=True)
class Drawing:
    width: float
    height: float
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    font_size: float = FONT

    def node(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)

    def edge(self, key: str) -> Edge:
        return next(e for e in self.edges if e.key == key)


# --------------------------------------------------------------------------- geometry


def _bezier(a: Point, c: Point, b: Point, t: float) -> Point:
    u = 1 - t
    return (u * u * a[0] + 2 * u * t * c[0] + t * t * b[0], u * u * a[1] + 2 * u * t * c[1] + t * t * b[1])


def _toward(p: Point, q: Point, dist: float) -> Point:
    dx, dy = q[0] - p[0], q[1] - p[1]
    n = math.hypot(dx, dy) or 1.0
    return (p[0] + dx / n * dist, p[1] + dy / n * dist)


def box_circle_gap(box: tuple[float, float, float, float], cx: float, cy: float, r: float) -> float:
    """Distance from a circle's rim to a box (negative when they overlap)."""
    nx = min(max(cx, box[0]), box[2])
    ny = min(max(cy, box[1]), box[3])
    return math.hypot(cx - nx, cy - ny) - r


def boxes_overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float],
                  pad: float = 0.0) -> bool:
    return a[0] < b[2] + pad and b[0] < a[2] + pad and a[1] < b[3] + pad and b[1] < a[3] + pad


def label_size(text: str, font: float = FONT) -> tuple[float, float]:
    """A generous estimate of a label's box (digits are about half an em wide)."""
    return _label_size(len(text), font)


def _label_size(length: int, font: float) -> tuple[float, float]:
    return 0.56 * font * length + 4.0, font + 3.0


# --------------------------------------------------------------------------- layout


def _nodes(instance: Instance, gap: float, highlight: frozenset[str]) -> list[Node]:
    columns: list[tuple[str, tuple[str, ...]]] = [("input", instance.inputs)]
    columns += [("neuron", layer) for layer in instance.layers]
    biased = {c.target for c in instance.connections if c.source == BIAS}
    tallest = max(len(names) for _, names in columns)
    height = (tallest - 1) * ROW
    nodes: list[Node] = []
    left = MARGIN + NEURON_R
    for col, (kind, names) in enumerate(columns):
        x = left + col * gap
        top = (height - (len(names) - 1) * ROW) / 2
        for row, name in enumerate(names):
            y = MARGIN + NEURON_R + top + row * ROW
            r = INPUT_R if kind == "input" else NEURON_R
            nodes.append(Node(name, kind, name, x, y, r, name in highlight))
            if name in biased:
                sign = "\u22121" if instance.bias_value == -1 else "+1"
                nodes.append(Node(f"{BIAS}:{name}", "bias", sign, x + BIAS_OFFSET[0], y + BIAS_OFFSET[1],
                                  BIAS_R, f"{BIAS}_{name}" in highlight))
    return nodes


def _route(a: Node, b: Node, obstacles: list[Node]) -> Point:
    """The control point of the curve a -> b: the midpoint, or pushed sideways until the
    curve clears every obstacle."""
    mid = ((a.x + b.x) / 2, (a.y + b.y) / 2)
    dx, dy = b.x - a.x, b.y - a.y
    n = math.hypot(dx, dy) or 1.0
    px, py = -dy / n, dx / n
    # only nodes near the straight line can be in the way of the curve, however far it bows
    reach = BENDS * BEND_STEP / 2 + NEURON_R + CLEARANCE
    near = [o for o in obstacles if abs((o.x - a.x) * px + (o.y - a.y) * py) < reach
            and min(a.x, b.x) - reach < o.x < max(a.x, b.x) + reach]
    best, best_gap = mid, -math.inf
    for k in [0] + [s * i for i in range(1, BENDS + 1) for s in (1, -1)]:
        c = (mid[0] + px * k * BEND_STEP, mid[1] + py * k * BEND_STEP)
        start, ctrl, end, _ = _edge_geometry(a, b, c)  # the curve as it will be drawn
        gap = min((math.hypot(p[0] - o.x, p[1] - o.y) - o.r
                   for o in near for p in (_bezier(start, ctrl, end, i / 32) for i in range(33))),
                  default=math.inf)
        if gap > CLEARANCE:
            return c
        if gap > best_gap:
            best, best_gap = c, gap
    return best


def _edge_geometry(
    a: Node, b: Node, control: Point
) -> tuple[Point, Point, Point, tuple[Point, Point, Point]]:
    start = _toward((a.x, a.y), control, a.r)
    tip = _toward((b.x, b.y), control, b.r)
    # the arrowhead: 6 pt long, pointing from the control point to the tip
    base = _toward(tip, control, 6.0)
    dx, dy = tip[0] - base[0], tip[1] - base[1]
    n = math.hypot(dx, dy) or 1.0
    wing = (-dy / n * 2.6, dx / n * 2.6)
    arrow = (tip, (base[0] + wing[0], base[1] + wing[1]), (base[0] - wing[0], base[1] - wing[1]))
    # the line stops at the arrowhead's base so its end does not poke through the tip
    ctrl = control if math.hypot(control[0] - tip[0], control[1] - tip[1]) > 6.0 else base
    return start, ctrl, base, arrow


Curve = tuple[tuple[float, float, float, float], list[Point]]  # bounding box, points


def _sampled(start: Point, control: Point, end: Point) -> Curve:
    pts = [_bezier(start, control, end, i / 64) for i in range(65)]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return (min(xs), min(ys), max(xs), max(ys)), pts


def _crosses(box: tuple[float, float, float, float], curve: Curve) -> bool:
    """Whether a curve (sampled every 1/64 of its length) runs through a box."""
    bounds, pts = curve
    if not boxes_overlap(box, bounds):
        return False
    return any(box[0] <= x <= box[2] and box[1] <= y <= box[3] for x, y in pts)


def _place_label(text: str, start: Point, control: Point, end: Point, nodes: list[Node],
                 placed: list[Label], others: list[Curve]) -> tuple[Label | None, bool]:
    """The first point along the edge where the label's box clears every node and placed
    label, preferring points where no other edge runs under the box (a label on a crossing
    would leave the reader guessing which line it belongs to)."""
    w, h = label_size(text)
    free: list[Label] = []
    for t in T_CANDIDATES:
        x, y = _bezier(start, control, end, t)
        label = Label(text, x, y, w, h)
        box = label.box
        if any(box_circle_gap(box, n.x, n.y, n.r) < 2.0 for n in nodes):
            continue
        if any(boxes_overlap(box, other.box, 1.0) for other in placed):
            continue
        if not any(_crosses(box, curve) for curve in others):
            return label, True
        free.append(label)
    return (free[0], False) if free else (None, False)


def _try_layout(instance: Instance, gap: float, labels: Mapping[str, str],
                highlight: frozenset[str]) -> tuple[Drawing, int, int]:
    nodes = _nodes(instance, gap, highlight)
    by_name = {n.name: n for n in nodes}
    # bias edges first: they are short and have the fewest places for a label
    order = sorted(instance.connections, key=lambda c: c.source != BIAS)
    geometry = {}
    for c in order:
        a = by_name[f"{BIAS}:{c.target}" if c.source == BIAS else c.source]
        b = by_name[c.target]
        control = _route(a, b, [n for n in nodes if n is not a and n is not b])
        geometry[c.key] = _edge_geometry(a, b, control)
    curves = {k: _sampled(g[0], g[1], g[2]) for k, g in geometry.items()}
    placed: list[Label] = []
    edges: dict[str, Edge] = {}
    failures = crossings = 0
    for c in order:
        start, ctrl, end, arrow = geometry[c.key]
        text = labels.get(c.key, f"{c.weight:g}")
        others = [curve for k, curve in curves.items() if k != c.key]
        label, clear = _place_label(text, start, ctrl, end, nodes, placed, others)
        crossings += not clear
        if label is None:
            failures += 1
            w, h = label_size(text)
            x, y = _bezier(start, ctrl, end, 0.5)
            label = Label(text, x, y, w, h)
        placed.append(label)
        edges[c.key] = Edge(c.key, c.source, c.target, start, ctrl, end, arrow, label, c.key in highlight)
    left = min([n.x - n.r for n in nodes] + [e.label.box[0] for e in edges.values()]
               + [e.control[0] for e in edges.values()]) - MARGIN
    right = max([n.x + n.r for n in nodes] + [e.label.box[2] for e in edges.values()]
                + [e.control[0] for e in edges.values()]) + MARGIN
    bottom = max([n.y + n.r for n in nodes] + [e.label.box[3] for e in edges.values()]
                 + [e.control[1] for e in edges.values()]) + MARGIN
    top = min([n.y - n.r for n in nodes] + [e.label.box[1] for e in edges.values()]
              + [e.control[1] for e in edges.values()]) - MARGIN
    drawing = Drawing(
        width=round(right - left, 2),
        height=round(bottom - top, 2),
        nodes=tuple(_shift_node(n, -left, -top) for n in nodes),
        edges=tuple(_shift_edge(edges[c.key], -left, -top) for c in instance.connections),
    )
    return drawing, failures, crossings


# Coordinates are moved so the drawing starts at (0, 0) and rounded to 1/100 pt, so the
# SVG and typst sources are short and the same on every machine.


def _shift(p: Point, dx: float, dy: float) -> Point:
    return (round(p[0] + dx, 2), round(p[1] + dy, 2))


def _shift_node(n: Node, dx: float, dy: float) -> Node:
    return Node(n.name, n.kind, n.label, round(n.x + dx, 2), round(n.y + dy, 2), n.r, n.highlight)


def _shift_edge(e: Edge, dx: float, dy: float) -> Edge:
    lab = Label(e.label.text, round(e.label.x + dx, 2), round(e.label.y + dy, 2), round(e.label.width, 2),
                round(e.label.height, 2))
    arrow = tuple(_shift(p, dx, dy) for p in e.arrow)
    return Edge(e.key, e.source, e.target, _shift(e.start, dx, dy), _shift(e.control, dx, dy),
                _shift(e.end, dx, dy), arrow, lab, e.highlight)  # type: ignore[arg-type]


def _layout_uncached(instance: Instance, labels: Mapping[str, str] | None = None,
                     highlight: Iterable[str] = ()) -> Drawing:
    """:func:`layout` computed from scratch, without the cache."""
    marks = frozenset(highlight)
    gap = GAP_START
    while True:
        drawing, failures, crossings = _try_layout(instance, gap, labels or {}, marks)
        if failures == 0 and (crossings == 0 or gap >= GAP_TIDY):
            return drawing
        if gap >= GAP_MAX:
            return drawing
        gap += GAP_STEP


# --------------------------------------------------------------------------- the cache
#
# A class of students shares one net structure and differs only in the weights, that is in
# the label texts; but hardly two students have labels of the same lengths (9 labels of 1 to 4
# characters), so the whole layout cannot simply be cached. What is cached is everything that
# does not depend on the labels: per net structure and column gap a Frame (nodes, routed
# edges, their sampled curves, and for every edge and label length the candidate places of a
# label, whether each touches a node and whether another edge runs under it). Placing the
# labels of an instance is then a few box comparisons per label, in exactly the order and with
# exactly the arithmetic of _try_layout and _place_label, so the result is the same drawing.
# Frames are built from the structure alone (a stand-in instance with zero weights and no
# samples), so nothing of an instance but its structure can leak into them; the marks only
# set the highlight flags, applied last.

#: how many net structures (each with its frames) a process keeps; grader.render.svg keeps as
#: many SVG templates
CACHE_SIZE = 256
#: how many label places or shifted copies a frame keeps before it starts afresh
_MEMO_SIZE = 4096
_NO_MARKS: frozenset[str] = frozenset()
_uids = itertools.count()

#: (inputs, layers, (source, target) of every connection, bias kind)
Structure = tuple[tuple[str, ...], tuple[tuple[str, ...], ...], tuple[tuple[str, str], ...], str]
#: a place for a label on its edge (unshifted): [box, whether no other edge runs through the box
#: (None until Frame.clear has looked), id, x, y, width, height]; only Frame.clear changes one
Spot = list[Any]
BOX, CLEAR, UID, X, Y, WIDTH, HEIGHT = range(7)


class Net:
    """A net structure: its connection keys and its frames by column gap."""

    def __init__(self, structure: Structure) -> None:
        inputs, layers, pairs, bias = structure
        self.stand_in = Instance(inputs=inputs, layers=layers, samples=(), alpha=0.0, bias=bias,
                                 connections=tuple(Connection(s, t, 0.0) for s, t in pairs))
        self.keys = tuple(c.key for c in self.stand_in.connections)
        #: two connections with one key (no valid instance has them) share a label: not cached
        self.unique = len(set(self.keys)) == len(self.keys)
        #: the names a highlight can mark
        self.names = frozenset((*inputs, *(n for layer in layers for n in layer), *self.keys))
        self.frames: dict[float, Frame] = {}

    def frame(self, gap: float) -> Frame:
        frame = self.frames.get(gap)
        if frame is None:
            frame = self.frames[gap] = Frame(self.stand_in, gap)
        return frame

    def texts(self, instance: Instance, labels: Mapping[str, str] | None) -> list[str]:
        """The label texts in connection order, as _try_layout picks them."""
        labels = labels or {}
        return [labels[k] if k in labels else f"{c.weight:g}"
                for k, c in zip(self.keys, instance.connections, strict=True)]

    def marks(self, highlight: Iterable[str]) -> frozenset[str]:
        """``highlight`` without the names that mark nothing, so equal drawings share a key."""
        return self.names.intersection(highlight) if highlight else _NO_MARKS


@lru_cache(maxsize=CACHE_SIZE)
def _net(structure: Structure) -> Net:
    return Net(structure)


_ends = attrgetter("source", "target")


def net_of(instance: Instance) -> Net:
    return _net((instance.inputs, instance.layers, tuple(map(_ends, instance.connections)), instance.bias))


class Frame:
    """A net structure laid out with one column gap: everything but the weight labels."""

    def __init__(self, instance: Instance, gap: float) -> None:
        # as in _try_layout
        #: the stand-in instance of the net (zero weights, no samples)
        self.instance = instance
        nodes = self.nodes = _nodes(instance, gap, _NO_MARKS)
        by_name = {n.name: n for n in nodes}
        conns = self.connections = instance.connections
        self.order = sorted(range(len(conns)), key=lambda i: conns[i].source != BIAS)
        geometry: list[tuple[Point, Point, Point, tuple[Point, Point, Point]]] = [None] * len(conns)  # type: ignore
        for i in self.order:
            c = conns[i]
            a = by_name[f"{BIAS}:{c.target}" if c.source == BIAS else c.source]
            b = by_name[c.target]
            control = _route(a, b, [n for n in nodes if n is not a and n is not b])
            geometry[i] = _edge_geometry(a, b, control)
        self.geometry = geometry
        self.curves = [_sampled(g[0], g[1], g[2]) for g in geometry]
        # the drawing's bounds but for the labels
        self.left = min([n.x - n.r for n in nodes] + [g[1][0] for g in geometry])
        self.right = max([n.x + n.r for n in nodes] + [g[1][0] for g in geometry])
        self.top = min([n.y - n.r for n in nodes] + [g[1][1] for g in geometry])
        self.bottom = max([n.y + n.r for n in nodes] + [g[1][1] for g in geometry])
        self._spots: dict[tuple[int, int], tuple[list[Spot], Spot]] = {}
        self._shifted: dict[tuple[float, float, frozenset[str]], tuple[tuple[Node, ...], list[tuple]]] = {}

    def spots(self, i: int, length: int) -> tuple[list[Spot], Spot]:
        """The places along edge ``i`` where a label of ``length`` characters touches no node
        (most preferred first, as _place_label tries them), and its place when it fits nowhere.
        Whether another edge runs under a place is worked out when first asked (clear)."""
        memo = self._spots.get((i, length))
        if memo is not None:
            return memo
        start, ctrl, end, _ = self.geometry[i]
        w, h = _label_size(length, FONT)
        spots: list[Spot] = []
        for t in T_CANDIDATES:
            x, y = _bezier(start, ctrl, end, t)
            box = Label("", x, y, w, h).box
            if any(box_circle_gap(box, n.x, n.y, n.r) < 2.0 for n in self.nodes):
                continue
            spots.append([box, None, next(_uids), x, y, w, h])
        x, y = _bezier(start, ctrl, end, 0.5)
        memo = spots, [Label("", x, y, w, h).box, False, next(_uids), x, y, w, h]
        if len(self._spots) >= _MEMO_SIZE:
            self._spots.clear()
        self._spots[(i, length)] = memo
        return memo

    def clear(self, i: int, spot: Spot) -> bool:
        """Whether no other edge than ``i`` runs through the box of ``spot`` (and remember)."""
        box = spot[BOX]
        clear = spot[CLEAR] = not any(_crosses(box, curve) for j, curve in enumerate(self.curves) if j != i)
        return clear

    def place(self, lengths: list[int]) -> tuple[list[Spot], int, int]:
        """Where the labels go (in connection order), how many fit nowhere and how many sit
        on another edge: _try_layout's loop over _place_label."""
        chosen: list[Spot] = [None] * len(lengths)  # type: ignore[list-item]
        placed: list[tuple[float, float, float, float]] = []
        failures = crossings = 0
        for i in self.order:
            spots, fallback = self.spots(i, lengths[i])
            pick = free = None
            for spot in spots:
                a = spot[0]
                for b in placed:  # boxes_overlap(a, b, 1.0)
                    if a[0] < b[2] + 1.0 and b[0] < a[2] + 1.0 and a[1] < b[3] + 1.0 and b[1] < a[3] + 1.0:
                        break
                else:
                    clear = spot[1]
                    if clear is None:
                        clear = self.clear(i, spot)
                    if clear:
                        pick = spot
                        break
                    if free is None:
                        free = spot
            if pick is None:
                crossings += 1
                if free is None:
                    failures += 1
                    pick = fallback
                else:
                    pick = free
            chosen[i] = pick
            placed.append(pick[0])
        return chosen, failures, crossings

    def shifted(self, dx: float, dy: float, marks: frozenset[str]) -> tuple[tuple[Node, ...], list[tuple]]:
        """The nodes, and the edges but for their labels (as Edge arguments), moved by
        (dx, dy) and rounded as _try_layout does, marked as ``marks`` says."""
        memo = self._shifted.get((dx, dy, marks))
        if memo is not None:
            return memo
        # a bias node is marked with its connection, as in _nodes
        marked = [(f"{BIAS}_{n.name[len(BIAS) + 1:]}" if n.kind == "bias" else n.name) in marks
                  for n in self.nodes]
        nodes = tuple(_shift_node(replace(n, highlight=m), dx, dy)
                      for n, m in zip(self.nodes, marked, strict=True))
        edges = []
        for c, (start, ctrl, end, arrow) in zip(self.connections, self.geometry, strict=True):
            edges.append((c.key, c.source, c.target, _shift(start, dx, dy), _shift(ctrl, dx, dy),
                          _shift(end, dx, dy), tuple(_shift(p, dx, dy) for p in arrow), c.key in marks))
        memo = nodes, edges
        if len(self._shifted) >= _MEMO_SIZE:
            self._shifted.clear()
        self._shifted[(dx, dy, marks)] = memo
        return memo

    def drawing(self, placement: Placement, labels: Iterable[Label], marks: frozenset[str]) -> Drawing:
        """The drawing of a placement with these labels (already moved and rounded)."""
        nodes, edges = self.shifted(placement.dx, placement.dy, marks)
        return Drawing(placement.width, placement.height, nodes,
                       tuple(Edge(k, s, t, a, c, b, arrow, label, mark)
                             for (k, s, t, a, c, b, arrow, mark), label in zip(edges, labels, strict=True)))


class Placement(NamedTuple):
    """Where an instance's labels go: the frame, a spot per connection, and how the drawing
    is then moved to start at (0, 0) and how large it is."""

    frame: Frame
    spots: list[Spot]
    dx: float
    dy: float
    width: float
    height: float

    def label(self, i: int, text: str) -> Label:
        """The label of connection ``i``, moved and rounded as _shift_edge does."""
        return label_at(self.spots[i], self.dx, self.dy, text)


def label_at(spot: Spot, dx: float, dy: float, text: str) -> Label:
    """The label at ``spot`` moved by (dx, dy) and rounded as _shift_edge does."""
    return Label(text, round(spot[X] + dx, 2), round(spot[Y] + dy, 2), round(spot[WIDTH], 2),
                 round(spot[HEIGHT], 2))


def placement(net: Net, texts: list[str]) -> Placement:
    """The labels ``texts`` (in connection order) placed on the net: layout's loop over
    column gaps."""
    lengths = [len(t) for t in texts]
    gap = GAP_START
    while True:
        frame = net.frame(gap)
        spots, failures, crossings = frame.place(lengths)
        if failures == 0 and (crossings == 0 or gap >= GAP_TIDY) or gap >= GAP_MAX:
            break
        gap += GAP_STEP
    boxes = [s[0] for s in spots]
    left = min(frame.left, min([b[0] for b in boxes], default=math.inf)) - MARGIN
    right = max(frame.right, max([b[2] for b in boxes], default=-math.inf)) + MARGIN
    bottom = max(frame.bottom, max([b[3] for b in boxes], default=-math.inf)) + MARGIN
    top = min(frame.top, min([b[1] for b in boxes], default=math.inf)) - MARGIN
    return Placement(frame, spots, -left, -top, round(right - left, 2), round(bottom - top, 2))


def clear_cache() -> None:
    """Forget every cached net (grader.render.svg.clear_cache also forgets the SVGs)."""
    _net.cache_clear()


def layout(instance: Instance, labels: Mapping[str, str] | None = None,
           highlight: Iterable[str] = ()) -> Drawing:
    """The drawing of ``instance``: weight labels from ``labels`` (by connection key; the
    weight itself by default), neurons and connection keys in ``highlight`` marked.

    Laying out a net structure takes milliseconds, the labels of one more instance of it
    microseconds: see the cache below. The result is that of :func:`_layout_uncached`."""
    net = net_of(instance)
    if not net.unique:
        return _layout_uncached(instance, labels, highlight)
    texts = net.texts(instance, labels)
    p = placement(net, texts)
    return p.frame.drawing(p, [p.label(i, t) for i, t in enumerate(texts)], net.marks(highlight))
