"""The drawing of a net, computed once and rendered twice (SVG and typst).

``layout(instance)`` places the inputs in a first column and each layer of neurons in a column
of its own; every neuron with a bias weight gets its own small constant input (-1 or +1, as in
the 6.034 drawings) below and to the left of it. Edges are quadratic curves: straight unless
the straight line would pass through another node, in which case they bow out until they
clear it. Weight labels sit on their edge (on a white box, so a crossing line cannot run
through the text), at the first point along it where the box touches no node and no earlier
label; if some label finds no such point, the columns move apart and everything is placed
again. Everything here is geometry in points (1/72 inch), y downward; nothing is rendered.

Routing the edges of a net takes milliseconds, placing its labels a tenth of that, and a
class of students shares one net structure: so the :class:`Frame` of a structure (everything
but the labels) is made once and kept with its derivation (:mod:`grader.derivation`), and
``layout`` places each instance's labels on it (:func:`layout_from_scratch` makes every frame
anew, the reference).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from .geometry import Point, bezier, box_circle_gap, crosses, overlaps_any, sampled, toward
from .model import BIAS, Instance

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
_NO_MARKS: frozenset[str] = frozenset()
#: how many label places (by edge and label length) a frame keeps before it starts afresh
SPOTS_SIZE = 4096


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
        return bezier(self.start, self.control, self.end, t)


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
                   for o in near for p in (bezier(start, ctrl, end, i / 32) for i in range(33))),
                  default=math.inf)
        if gap > CLEARANCE:
            return c
        if gap > best_gap:
            best, best_gap = c, gap
    return best


def _edge_geometry(
    a: Node, b: Node, control: Point
) -> tuple[Point, Point, Point, tuple[Point, Point, Point]]:
    start = toward((a.x, a.y), control, a.r)
    tip = toward((b.x, b.y), control, b.r)
    # the arrowhead: 6 pt long, pointing from the control point to the tip
    base = toward(tip, control, 6.0)
    dx, dy = tip[0] - base[0], tip[1] - base[1]
    n = math.hypot(dx, dy) or 1.0
    wing = (-dy / n * 2.6, dx / n * 2.6)
    arrow = (tip, (base[0] + wing[0], base[1] + wing[1]), (base[0] - wing[0], base[1] - wing[1]))
    # the line stops at the arrowhead's base so its end does not poke through the tip
    ctrl = control if math.hypot(control[0] - tip[0], control[1] - tip[1]) > 6.0 else base
    return start, ctrl, base, arrow


class Spot:
    """A place for a label on an edge: its centre, its size and its box, and whether no other
    edge runs under the box (None until :meth:`Frame.clear` has looked)."""

    __slots__ = ("x", "y", "width", "height", "box", "clear")

    def __init__(self, x: float, y: float, width: float, height: float) -> None:
        self.x, self.y, self.width, self.height = x, y, width, height
        self.box = Label("", x, y, width, height).box
        self.clear: bool | None = None


class Frame:
    """A net laid out with one column gap: everything but the weight labels (the nodes
    unmarked, the routed edges, their sampled curves, the bounds of both). It depends on the
    net's structure alone: :func:`layout` keeps it with the derivation
    (:meth:`grader.derivation.Derivation.memo`)."""

    def __init__(self, instance: Instance, gap: float) -> None:
        nodes = self.nodes = _nodes(instance, gap, _NO_MARKS)
        by_name = {n.name: n for n in nodes}
        conns = instance.connections
        #: bias edges first: they are short and have the fewest places for a label
        self.order = sorted(range(len(conns)), key=lambda i: conns[i].source != BIAS)
        geometry: list[Any] = [None] * len(conns)
        for i in self.order:
            c = conns[i]
            a = by_name[f"{BIAS}:{c.target}" if c.source == BIAS else c.source]
            b = by_name[c.target]
            control = _route(a, b, [n for n in nodes if n is not a and n is not b])
            geometry[i] = _edge_geometry(a, b, control)
        self.geometry: list[tuple[Point, Point, Point, tuple[Point, Point, Point]]] = geometry
        self.curves = [sampled(g[0], g[1], g[2]) for g in geometry]
        # the drawing's bounds but for the labels
        self.left = min([n.x - n.r for n in nodes] + [g[1][0] for g in geometry])
        self.right = max([n.x + n.r for n in nodes] + [g[1][0] for g in geometry])
        self.top = min([n.y - n.r for n in nodes] + [g[1][1] for g in geometry])
        self.bottom = max([n.y + n.r for n in nodes] + [g[1][1] for g in geometry])
        self._spots: dict[tuple[int, int], list[Spot]] = {}

    def spots(self, i: int, length: int) -> list[Spot]:
        """The places along edge ``i`` where a label of ``length`` characters touches no node,
        most preferred first (made once per edge and length: the places, and whether another
        edge runs under each, depend on the frame and the length alone; at most
        :data:`SPOTS_SIZE` kept, then afresh). Measured: placing the labels of a student of
        2-2-1-threshold takes about 0.33 ms when every place is tried against every node and
        curve, about 0.04 ms with the places kept, some 15% of static batch grading, which
        draws every student's net; :func:`layout_from_scratch` starts from fresh frames."""
        found = self._spots.get((i, length))
        if found is None:
            start, ctrl, end, _ = self.geometry[i]
            w, h = _label_size(length, FONT)
            found = []
            for t in T_CANDIDATES:
                x, y = bezier(start, ctrl, end, t)
                spot = Spot(x, y, w, h)
                if not any(box_circle_gap(spot.box, n.x, n.y, n.r) < 2.0 for n in self.nodes):
                    found.append(spot)
            if len(self._spots) >= SPOTS_SIZE:
                self._spots.clear()
            self._spots[(i, length)] = found
        return found

    def clear(self, i: int, spot: Spot) -> bool:
        """Whether no other edge than ``i`` runs under ``spot``'s box (a label on a crossing
        would leave the reader guessing which line it belongs to)."""
        if spot.clear is None:
            spot.clear = not any(crosses(spot.box, curve) for j, curve in enumerate(self.curves) if j != i)
        return spot.clear


class Placed(NamedTuple):
    """The labels of an instance placed on a frame (in connection order, not yet moved), how
    the drawing is then moved to start at (0, 0), how large it is, and how many labels fit
    nowhere or sit on another edge."""

    frame: Frame
    gap: float
    labels: list[Label]
    #: the place of each label (None: in the middle of its edge, where it fits nowhere)
    spots: list[Spot | None]
    dx: float
    dy: float
    width: float
    height: float
    failures: int
    crossings: int


def _place(frame: Frame, gap: float, texts: list[str]) -> Placed:
    """Each label at the first place along its edge where its box clears every node and every
    label placed before it, preferring places where no other edge runs under it; where there
    is none, in the middle of the edge."""
    boxes: list[tuple[float, float, float, float]] = []
    labels: list[Label] = [None] * len(texts)  # type: ignore[list-item]
    spots: list[Spot | None] = [None] * len(texts)
    failures = crossings = 0
    for i in frame.order:
        text = texts[i]
        pick = free = None
        for spot in frame.spots(i, len(text)):
            if overlaps_any(spot.box, boxes):
                continue
            if frame.clear(i, spot):
                pick = spot
                break
            if free is None:
                free = spot
        if pick is None:
            crossings += 1
            pick = free
        if pick is None:
            failures += 1
            start, ctrl, end, _ = frame.geometry[i]
            w, h = label_size(text)
            x, y = bezier(start, ctrl, end, 0.5)
            label = Label(text, x, y, w, h)
        else:
            label = Label(text, pick.x, pick.y, pick.width, pick.height)
        boxes.append(label.box)
        labels[i] = label
        spots[i] = pick
    left = min(frame.left, min([b[0] for b in boxes], default=math.inf)) - MARGIN
    right = max(frame.right, max([b[2] for b in boxes], default=-math.inf)) + MARGIN
    bottom = max(frame.bottom, max([b[3] for b in boxes], default=-math.inf)) + MARGIN
    top = min(frame.top, min([b[1] for b in boxes], default=math.inf)) - MARGIN
    return Placed(frame, gap, labels, spots, -left, -top, round(right - left, 2), round(bottom - top, 2),
                  failures, crossings)


# Coordinates are moved so the drawing starts at (0, 0) and rounded to 1/100 pt, so the
# SVG and typst sources are short and the same on every machine.


def _shift(p: Point, dx: float, dy: float) -> Point:
    return (round(p[0] + dx, 2), round(p[1] + dy, 2))


def _shift_node(n: Node, dx: float, dy: float, highlight: bool) -> Node:
    return Node(n.name, n.kind, n.label, round(n.x + dx, 2), round(n.y + dy, 2), n.r, highlight)


def shifted_label(label: Label, dx: float, dy: float) -> Label:
    """A label moved by (dx, dy) and rounded as every coordinate of a drawing is."""
    return Label(label.text, round(label.x + dx, 2), round(label.y + dy, 2), round(label.width, 2),
                 round(label.height, 2))


def drawing_of(instance: Instance, p: Placed, marks: frozenset[str], labels: list[Label] | None = None
               ) -> Drawing:
    """The drawing of a placement, moved to start at (0, 0), ``marks`` marked; ``labels``:
    the labels already moved (default: :func:`shifted_label` of the placement's)."""
    dx, dy = p.dx, p.dy
    if labels is None:
        labels = [shifted_label(label, dx, dy) for label in p.labels]
    # a bias node is marked with its connection
    nodes = tuple(_shift_node(n, dx, dy, (f"{BIAS}_{n.name[len(BIAS) + 1:]}" if n.kind == "bias" else n.name)
                              in marks) for n in p.frame.nodes)
    edges = tuple(
        Edge(c.key, c.source, c.target, _shift(start, dx, dy), _shift(ctrl, dx, dy), _shift(end, dx, dy),
             tuple(_shift(q, dx, dy) for q in arrow), label, c.key in marks)  # type: ignore[arg-type]
        for c, (start, ctrl, end, arrow), label in zip(instance.connections, p.frame.geometry, labels,
                                                       strict=True))
    return Drawing(p.width, p.height, nodes, edges)


def placed(instance: Instance, texts: list[str], frames: Callable[[float], Frame] | None = None) -> Placed:
    """The labels ``texts`` (in connection order) placed on the net: each column gap in turn
    until they fit. ``frames``: the frame of each gap (default: the derivation's)."""
    frame_of = _frames(instance) if frames is None else frames
    gap = GAP_START
    while True:
        p = _place(frame_of(gap), gap, texts)
        if p.failures == 0 and (p.crossings == 0 or gap >= GAP_TIDY) or gap >= GAP_MAX:
            return p
        gap += GAP_STEP


def _frames(instance: Instance) -> Callable[[float], Frame]:
    """The frames of ``instance``'s structure, kept with its derivation."""
    from .derivation import derive

    derivation = derive(instance)
    return lambda gap: derivation.memo(("frame", gap), lambda: Frame(derivation.stand_in, gap))


def texts_of(instance: Instance, labels: Mapping[str, str] | None) -> list[str]:
    """The label texts in connection order: ``labels`` by connection key, the weight by default."""
    labels = labels or {}
    return [labels.get(c.key, f"{c.weight:g}") for c in instance.connections]


def layout(instance: Instance, labels: Mapping[str, str] | None = None,
           highlight: Iterable[str] = ()) -> Drawing:
    """The drawing of ``instance``: weight labels from ``labels`` (by connection key; the
    weight itself by default), neurons and connection keys in ``highlight`` marked. The
    frames (everything but the labels) are made once per net structure and column gap."""
    return drawing_of(instance, placed(instance, texts_of(instance, labels)), frozenset(highlight))


def layout_from_scratch(instance: Instance, labels: Mapping[str, str] | None = None,
                        highlight: Iterable[str] = ()) -> Drawing:
    """:func:`layout` with every frame made anew: the reference the tests hold it to."""
    p = placed(instance, texts_of(instance, labels), lambda gap: Frame(instance, gap))
    return drawing_of(instance, p, frozenset(highlight))
