"""The charts of the class report page, drawn by matplotlib as SVG text to inline in the page.

matplotlib is imported on first use (``backprop check`` never pays for it), through its
object-oriented API (a :class:`~matplotlib.figure.Figure` with the SVG canvas: no pyplot, no
global backend). Text stays text (``svg.fonttype = 'none'``, drawn by the browser's own sans
serif font), nothing refers to a resource outside the SVG, and the same data give the same
bytes (a fixed ``svg.hashsalt`` per chart, which also keeps the ids of the page's several
charts apart, and no date in the metadata), so a rerun leaves the page unchanged.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

#: colours of the verdicts (correct to invalid), of the score bars and of the misconception bars
COLOURS = {
    "correct": "#2e7d32",
    "carried-forward": "#9ccc65",
    "incorrect": "#c62828",
    "missing": "#9e9e9e",
    "invalid": "#ef6c00",
}
SCORE_COLOUR = "#1565c0"
MISCONCEPTION_COLOUR = "#6a1b9a"
_STYLE = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def _svg(fig: Any, salt: str) -> str:
    """The figure as an ``<svg>`` element (no XML prolog or doctype: it goes inside HTML)."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": f"backprop-{salt}"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    return re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)


def _figure(width: float, height: float, *, left: float = 0.6, bottom: float = 0.5, top: float = 0.1) -> Any:
    """A figure of ``width`` x ``height`` inches with one axes inside the given margins (inches:
    fixed margins cost half the drawing of matplotlib's constrained layout, which lays out
    every label twice)."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasSVG(fig)
    fig.subplots_adjust(left=left / width, right=1 - 0.15 / width, bottom=bottom / height,
                        top=1 - top / height)
    return fig


def _label_width(labels: Sequence[str]) -> float:
    """Inches taken by the longest of ``labels`` in the monospace tick font, and a margin."""
    return 0.35 + 0.075 * max([1, *map(len, labels)])


def score_chart(labels: Sequence[str], counts: Sequence[int], unit: str) -> str:
    """Students per score bin (``unit``: points or percent)."""
    import matplotlib

    with matplotlib.rc_context(_STYLE):
        rotate = len(labels) > 12
        fig = _figure(max(4.0, min(9.0, 0.2 * len(labels) + 1.5)), 2.6,
                      bottom=0.45 + (0.07 * max(map(len, labels)) if rotate else 0.0))
        ax = fig.add_subplot()
        ax.bar(range(len(labels)), counts, color=SCORE_COLOUR, width=0.8)
        ax.set_xticks(range(len(labels)), labels, rotation=90 if rotate else 0)
        ax.set_xlabel("score" if unit == "points" else "score (% of the maximum)")
        ax.set_ylabel("students")
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.set_ylim(0, max([1, *counts]) * 1.1)
        return _svg(fig, "scores")


def verdict_chart(name: str, ids: Sequence[str], tallies: Sequence[Sequence[int]]) -> str:
    """One horizontal bar per quantity, split by verdict (``tallies``: counts in COLOURS order)."""
    import matplotlib

    with matplotlib.rc_context(_STYLE):
        fig = _figure(7.0, 0.95 + 0.24 * len(ids), left=_label_width(ids), top=0.35)
        ax = fig.add_subplot()
        rows = range(len(ids))
        left = [0] * len(ids)
        for k, (verdict, colour) in enumerate(COLOURS.items()):
            widths = [t[k] for t in tallies]
            ax.barh(rows, widths, left=left, color=colour, label=verdict, height=0.75)
            left = [a + b for a, b in zip(left, widths, strict=True)]
        ax.set_yticks(rows, ids, fontfamily="monospace")
        ax.invert_yaxis()
        ax.set_xlabel("answers")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlim(0, max([1, *left]))
        fig.legend(loc="upper center", ncols=len(COLOURS), frameon=False, borderaxespad=0.2)
        return _svg(fig, name)


def misconception_chart(ids: Sequence[str], students: Sequence[int]) -> str:
    """Students per misconception."""
    import matplotlib

    with matplotlib.rc_context(_STYLE):
        fig = _figure(7.0, 0.7 + 0.3 * len(ids), left=_label_width(ids))
        ax = fig.add_subplot()
        ax.barh(range(len(ids)), students, color=MISCONCEPTION_COLOUR, height=0.7)
        ax.set_yticks(range(len(ids)), ids, fontfamily="monospace")
        ax.invert_yaxis()
        ax.set_xlabel("students")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlim(0, max([1, *students]) * 1.05)
        return _svg(fig, "misconceptions")
