"""Plane geometry for the drawings: quadratic curves, boxes and circles, in points (y downward).

The primitives :mod:`grader.drawing` lays a net out with; nothing here knows a net.
"""

from __future__ import annotations

import math

Point = tuple[float, float]
#: (left, top, right, bottom)
Box = tuple[float, float, float, float]
#: a curve sampled at 65 points, with their bounding box
Curve = tuple[Box, list[Point]]


def bezier(a: Point, c: Point, b: Point, t: float) -> Point:
    """The point at ``t`` of the quadratic curve from ``a`` to ``b`` with control point ``c``."""
    u = 1 - t
    return (u * u * a[0] + 2 * u * t * c[0] + t * t * b[0], u * u * a[1] + 2 * u * t * c[1] + t * t * b[1])


def toward(p: Point, q: Point, dist: float) -> Point:
    """The point ``dist`` from ``p`` toward ``q``."""
    dx, dy = q[0] - p[0], q[1] - p[1]
    n = math.hypot(dx, dy) or 1.0
    return (p[0] + dx / n * dist, p[1] + dy / n * dist)


def box_circle_gap(box: Box, cx: float, cy: float, r: float) -> float:
    """Distance from a circle's rim to a box (negative when they overlap)."""
    nx = min(max(cx, box[0]), box[2])
    ny = min(max(cy, box[1]), box[3])
    return math.hypot(cx - nx, cy - ny) - r


def boxes_overlap(a: Box, b: Box, pad: float = 0.0) -> bool:
    return a[0] < b[2] + pad and b[0] < a[2] + pad and a[1] < b[3] + pad and b[1] < a[3] + pad


def overlaps_any(a: Box, boxes: list[Box]) -> bool:
    """``any(boxes_overlap(a, b, 1.0) for b in boxes)``, written out (the inner loop of
    placing every student's labels)."""
    left, top, right, bottom = a
    for b in boxes:
        if left < b[2] + 1.0 and b[0] < right + 1.0 and top < b[3] + 1.0 and b[1] < bottom + 1.0:
            return True
    return False


def sampled(start: Point, control: Point, end: Point) -> Curve:
    pts = [bezier(start, control, end, i / 64) for i in range(65)]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return (min(xs), min(ys), max(xs), max(ys)), pts


def crosses(box: Box, curve: Curve) -> bool:
    """Whether a curve (sampled every 1/64 of its length) runs through a box."""
    bounds, pts = curve
    if not boxes_overlap(box, bounds):
        return False
    return any(box[0] <= x <= box[2] and box[1] <= y <= box[3] for x, y in pts)
