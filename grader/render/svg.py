"""The drawing of a net as SVG, for Markdown handouts, notebooks and feedback.

``net_svg(instance, highlight=("C", "A_C"))`` marks neurons and connections (by key) in red,
e.g. where a student went wrong. The layout is :func:`grader.drawing.layout`; the SVG comes
from ``templates/net.svg.j2``.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from markupsafe import escape

from ..derivation import derive
from ..drawing import Drawing, Label, Placed, drawing_of, layout, placed, shifted_label, texts_of
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
    return {c.key: numbers.fmt(c.weight, instance.rounding).replace("-", "\u2212")
            for c in instance.connections}


def drawing(instance: Instance, highlight: Iterable[str] = ()) -> Drawing:
    return layout(instance, weight_labels(instance), highlight)


def split_name(label: str) -> tuple[str, str]:
    """``x12`` -> (``x``, ``12``): a name's trailing digits are written as a subscript."""
    m = _INDEX.match(label)
    return (m.group(1), m.group(2)) if m else (label, "")


def net_svg(instance: Instance, highlight: Iterable[str] = (),
            labels: Mapping[str, str] | None = None) -> str:
    """The net as a standalone ``<svg>`` element; the weight labels are ``labels`` (by
    connection key), by default :func:`weight_labels`.

    Filled in from the skeleton of its laid-out frame when the template allows one (see
    below); :func:`net_svg_plain` renders the template every time, the reference. Why the
    trick stays: batch grading draws every student's net, and rendering the template costs
    about 0.3 ms of the 2 ms a notebook takes (a filled-in skeleton, 0.03 ms): without it,
    static batch grading of 1,000 notebooks takes about 15% longer."""
    texts = texts_of(instance, weight_labels(instance) if labels is None else labels)
    p = placed(instance, texts)
    marks = frozenset(highlight)
    key = ("svg", p.gap, p.dx, p.dy, p.width, p.height, marks)
    skeleton = derive(instance).memo(key, lambda: _skeleton(instance, p, marks))
    if skeleton is None:
        return net_svg_plain(instance, highlight, labels)
    return skeleton.fill(p)


def net_svg_plain(instance: Instance, highlight: Iterable[str] = (),
                  labels: Mapping[str, str] | None = None) -> str:
    """:func:`net_svg` rendered from the template, without the skeleton."""
    d = layout(instance, weight_labels(instance) if labels is None else labels, highlight)
    return _render(d, instance.inputs, instance.layers)


def _render(d: Drawing, inputs: tuple[str, ...], layers: tuple[tuple[str, ...], ...]) -> str:
    nodes = [
        {**vars(n), "base": split_name(n.label)[0] if n.kind != "bias" else n.label,
         "index": split_name(n.label)[1] if n.kind != "bias" else ""}
        for n in d.nodes
    ]
    view = {"width": d.width, "height": d.height, "edges": d.edges, "nodes": nodes, "font_size": d.font_size}
    title = "Net: inputs " + ", ".join(inputs) + "; layers " + " | ".join(" ".join(layer) for layer in layers)
    return render("net.svg.j2", d=view, title=title, ink=INK, red=RED, fills=FILLS)


# --------------------------------------------------------------------------- the cached SVG
#
# The skeleton of a frame is the template rendered with symbolic labels: a label's fields are
# _Sym values that record what the template computes from them (``(x - width / 2)|round(2)``)
# and print as a placeholder. Filling a skeleton in evaluates those records on the real
# label, which is the same arithmetic on the same floats, and formats the results as jinja
# does (``str``, or ``markupsafe.escape`` for ``|e``). Anything else done to a label field
# (a comparison, a test, a filter like int) raises TypeError, and then the frame is rendered in
# full on every call; so it is if a placeholder does not come out of the template as it went
# in (a string filter changed it, or |length counted it), and if the skeleton does not give
# back the SVG of the instance it was made for. A string filter that leaves a placeholder
# alone but not a real label (|replace(".", ",")) would go unnoticed: the tests compare the
# cached SVGs with the uncached ones.

#: how many edges' values a skeleton keeps
_MEMO_SIZE = 1 << 14
#: a label as the slot functions see it: (text, x, y, width, height)
Values = tuple[str, float, float, float, float]
#: a placeholder in the skeleton: NUL occurs in no XML, so in nothing else the template prints;
#: the letters are there so that a filter that changes a string (upper, lower, title ...)
#: cannot leave the token the same
_TOKEN = re.compile("\x00sYm(\\d+)\x00")


class _Slots:
    """The placeholders printed while rendering a skeleton: which label each belongs to and
    what it computes from it."""

    def __init__(self) -> None:
        self.entries: list[tuple[int, Callable[[Values], str]]] = []

    def add(self, edge: int, fn: Callable[[Values], str]) -> str:
        self.entries.append((edge, fn))
        return f"\x00sYm{len(self.entries) - 1}\x00"


class _Sym:
    """A value computed from one label's fields, kept as a function of them."""

    __slots__ = ("slots", "edge", "fn")

    def __init__(self, slots: _Slots, edge: int, fn: Callable[[Values], Any]) -> None:
        self.slots, self.edge, self.fn = slots, edge, fn

    def _with(self, other: object, op: Callable[[Any, Any], Any], swap: bool) -> _Sym:
        f = self.fn
        if isinstance(other, _Sym):
            if other.slots is not self.slots or other.edge != self.edge:
                raise TypeError("values of two labels in one expression")
            g = other.fn
            fn = (lambda v: op(g(v), f(v))) if swap else (lambda v: op(f(v), g(v)))
        elif isinstance(other, (int, float)) and not isinstance(other, bool):
            c = other
            fn = (lambda v: op(c, f(v))) if swap else (lambda v: op(f(v), c))
        else:
            raise TypeError(f"label value with {type(other).__name__}")
        return _Sym(self.slots, self.edge, fn)

    def __add__(self, o: object) -> _Sym: return self._with(o, operator.add, False)
    def __radd__(self, o: object) -> _Sym: return self._with(o, operator.add, True)
    def __sub__(self, o: object) -> _Sym: return self._with(o, operator.sub, False)
    def __rsub__(self, o: object) -> _Sym: return self._with(o, operator.sub, True)
    def __mul__(self, o: object) -> _Sym: return self._with(o, operator.mul, False)
    def __rmul__(self, o: object) -> _Sym: return self._with(o, operator.mul, True)
    def __truediv__(self, o: object) -> _Sym: return self._with(o, operator.truediv, False)
    def __rtruediv__(self, o: object) -> _Sym: return self._with(o, operator.truediv, True)

    def __neg__(self) -> _Sym:
        f = self.fn
        return _Sym(self.slots, self.edge, lambda v: -f(v))

    def __round__(self, ndigits: int | None = None) -> _Sym:  # the round filter
        f = self.fn
        return _Sym(self.slots, self.edge, lambda v: round(f(v), ndigits))

    def __str__(self) -> str:  # {{ value }}
        f = self.fn
        return self.slots.add(self.edge, lambda v: str(f(v)))

    def __html__(self) -> str:  # {{ value|e }}
        f = self.fn
        return self.slots.add(self.edge, lambda v: str(escape(f(v))))

    def _refuse(self, *args: object) -> Any:
        raise TypeError("the SVG skeleton only computes and prints label values")

    __bool__ = __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _refuse  # type: ignore[assignment]
    __float__ = __int__ = __index__ = __len__ = __iter__ = __format__ = __repr__ = _refuse  # type: ignore[assignment]
    __hash__ = None  # type: ignore[assignment]


def _symbolic_label(slots: _Slots, edge: int) -> Label:
    text, x, y, width, height = (_Sym(slots, edge, operator.itemgetter(k)) for k in range(5))
    return Label(text, x, y, width, height)  # type: ignore[arg-type]


class _Skeleton:
    """A frame's SVG, moved and marked, cut at the label values: ``parts`` is text, None,
    text, None, ..., text with a None per value. The values are computed per edge (in
    connection order, each edge's in the order the template asked for them) and put in the
    Nones in the order ``order`` gives (None when that is the order they come in)."""

    def __init__(self, parts: list[str | None], values: list[list[Callable[[Values], str]]],
                 order: Callable[[list[str]], tuple[str, ...]] | None) -> None:
        self.parts, self.values, self.order = parts, values, order
        #: an edge's values by (its label's place, text): the students of a class share a few
        #: places and weights (at most _MEMO_SIZE kept, then afresh)
        self.memo: dict[tuple[Any, str], list[str]] = {}

    def fill(self, p: Placed) -> str:
        """The SVG with the labels of ``p`` (a placement of this skeleton's frame, moved as it
        is). An edge's values are kept by its label's place and text."""
        memo = self.memo
        args: list[str] = []
        for fns, label, spot in zip(self.values, p.labels, p.spots, strict=True):
            key = (spot, label.text)
            known = None if spot is None else memo.get(key)
            if known is None:
                moved = shifted_label(label, p.dx, p.dy)
                values: Values = (moved.text, moved.x, moved.y, moved.width, moved.height)
                known = [fn(values) for fn in fns]
                if spot is not None:
                    if len(memo) >= _MEMO_SIZE:
                        memo.clear()
                    memo[key] = known
            args += known
        out = self.parts.copy()
        out[1::2] = args if self.order is None else self.order(args)
        return "".join(out)  # type: ignore[arg-type]


def _skeleton(inst: Instance, p: Placed, marks: frozenset[str]) -> _Skeleton | None:
    """The skeleton of the placement's frame moved and marked as ``p`` and ``marks`` say, or
    None if the template does more with the labels than _Sym supports, or if the skeleton
    does not give back the SVG of ``p`` itself."""
    if any("\x00" in name for name in (*inst.inputs, *inst.neurons)):
        return None
    slots = _Slots()
    n = len(inst.connections)
    try:
        svg = _render(drawing_of(inst, p, marks, [_symbolic_label(slots, i) for i in range(n)]),
                      inst.inputs, inst.layers)
    except TypeError:
        return None
    cut = _TOKEN.split(svg)  # text, slot, text, slot, ..., text
    if any("\x00" in text for text in cut[::2]) or len({*cut[1::2]}) != len(slots.entries):
        return None  # a token was changed, or used for something else than printing it
    # the values of an edge, in the order the template asked for them
    values: list[list[Callable[[Values], str]]] = [[] for _ in range(n)]
    for edge, fn in slots.entries:
        values[edge].append(fn)
    start = [0]
    for fns in values:
        start.append(start[-1] + len(fns))
    seen = [0] * n
    position = []
    for edge, _ in slots.entries:
        position.append(start[edge] + seen[edge])
        seen[edge] += 1
    order = [position[int(slot)] for slot in cut[1::2]]
    parts: list[str | None] = list(cut)
    parts[1::2] = [None] * len(order)
    if order == list(range(len(position))):
        skeleton = _Skeleton(parts, values, None)
    else:
        pick = operator.itemgetter(*order) if order else (lambda args: ())
        skeleton = _Skeleton(parts, values, (lambda args: (pick(args),)) if len(order) == 1 else pick)
    if skeleton.fill(p) != _render(drawing_of(inst, p, marks), inst.inputs, inst.layers):
        return None
    return skeleton
