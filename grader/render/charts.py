"""The charts of the class report page: bar charts laid out here and drawn as SVG by
``templates/chart.svg.j2``, to inline in the page.

A chart is laid out in CSS pixels (the page scales it down to its width) into a frozen
:class:`Chart`: the plot area, one :class:`Bar` per rectangle, the ticks of each axis, the axis
labels and the legend. The template only prints what the layout computed. Text stays text (the
browser's own sans serif and monospace fonts, whose widths are estimated here), each bar names
its count in a tooltip, each chart has a title and a description for screen readers, nothing
refers to a resource outside the SVG, and the same data give the same bytes.

(They were drawn by matplotlib until issue 15: importing it and drawing the six figures took
about 1.2 s of a batch, these take a few milliseconds.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .env import render

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
#: the text's size, and the width of a character as a share of it: the widest digits of a sans
#: serif (DejaVu Sans, Liberation Sans, Arial: 0.55 to 0.64), a monospace one's (0.6), a word's
#: letters on average (0.5 to 0.58)
FONT = 12
SANS, MONO, WORDS = 0.64, 0.61, 0.58
TICK = 4  # length of a tick mark
PAD = 3  # between a tick mark and its label
WIDTH = 672  # of the charts with a bar per quantity or misconception (7 inches)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    text: str  # its tooltip: what it counts


@dataclass(frozen=True)
class Tick:
    at: float  # the position along its axis
    label: str


@dataclass(frozen=True)
class Key:
    """One entry of the legend: a swatch at (x, y) and its label beside it."""

    x: float
    y: float
    colour: str
    label: str


@dataclass(frozen=True)
class Chart:
    """A laid-out bar chart: ``left``..``right`` and ``top``..``bottom`` bound the plot area."""

    title: str
    desc: str
    width: float
    height: float
    left: float
    top: float
    right: float
    bottom: float
    bars: tuple[Bar, ...]
    xticks: tuple[Tick, ...]
    yticks: tuple[Tick, ...]
    xlabel: str
    ylabel: str
    rotate: bool = False  # the x ticks' labels written upwards
    mono: bool = False  # the y ticks' labels in monospace (the ids of quantities, of misconceptions)
    legend: tuple[Key, ...] = ()


def _r(x: float) -> float | int:
    """A coordinate as printed: to a tenth of a pixel, without a trailing ``.0``."""
    x = round(float(x), 1)
    return int(x) if x.is_integer() else x


def ticks(limit: float) -> list[int]:
    """Whole numbers from 0 to at most ``limit``, a round step apart (1, 2 or 5 times a power of
    ten), at most seven of them beyond 0."""
    step = 1
    while limit / step > 7:
        step = _next_step(step)
    return list(range(0, int(limit) + 1, step))


def _next_step(step: int) -> int:
    """1, 2, 5, 10, 20, 50, ...: the step after ``step``."""
    return step * 5 // 2 if str(step)[0] == "2" else step * 2


def _text_width(text: str, share: float = SANS) -> float:
    return len(text) * share * FONT


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def score_chart(labels: Sequence[str], counts: Sequence[int], unit: str) -> str:
    """Students per score bin (``unit``: points or percent), a vertical bar per bin."""
    rotate = len(labels) > 12
    longest = max(_text_width(label) for label in labels)
    limit = max([1, *counts]) * 1.1
    yticks = ticks(limit)
    left = FONT * 2 + _text_width(str(yticks[-1])) + TICK + PAD
    bottom_room = TICK + PAD + (longest if rotate else FONT) + FONT * 2
    width = max(384, min(864, 19.2 * len(labels) + 144))
    top, plot_h = 10, 170
    height = top + plot_h + bottom_room
    right = width - 14
    bottom = top + plot_h
    slot = (right - left) / len(labels)
    bars = []
    for k, (label, n) in enumerate(zip(labels, counts, strict=True)):
        if n:
            h = plot_h * n / limit
            bars.append(Bar(_r(left + slot * (k + 0.1)), _r(bottom - h), _r(slot * 0.8), _r(h), SCORE_COLOUR,
                            f"score {label}: {_plural(n, 'student')}"))
    xticks = tuple(Tick(_r(left + slot * (k + 0.5)), label) for k, label in enumerate(labels))
    xlabel = "score" if unit == "points" else "score (% of the maximum)"
    listed = ", ".join(f"{label}: {n}" for label, n in zip(labels, counts, strict=True))
    return _draw(Chart(
        "Students per score", f"Students per {xlabel}: {listed}.", _r(width), _r(height), _r(left), top,
        _r(right), bottom, tuple(bars), xticks,
        yticks=tuple(Tick(_r(bottom - plot_h * t / limit), str(t)) for t in yticks),
        xlabel=xlabel, ylabel="students", rotate=rotate))


def verdict_chart(name: str, ids: Sequence[str], tallies: Sequence[Sequence[int]]) -> str:
    """One horizontal bar per quantity, split by verdict (``tallies``: counts in COLOURS order),
    under a legend of the verdicts."""
    totals = [sum(t) for t in tallies]
    limit = max([1, *totals])
    legend, legend_h = _legend(WIDTH, list(COLOURS.items()))
    row = 23
    left = _text_width(max(ids, key=len), MONO) + TICK + PAD + 8
    top = legend_h + 6
    bottom = top + row * len(ids)
    right = WIDTH - 14
    bars = []
    for i, (qid, tally) in enumerate(zip(ids, tallies, strict=True)):
        start = 0
        for (verdict, colour), n in zip(COLOURS.items(), tally, strict=True):
            if n:
                x = left + (right - left) * start / limit
                w = (right - left) * n / limit
                bars.append(Bar(_r(x), _r(top + row * (i + 0.125)), _r(w), _r(row * 0.75), colour,
                                f"{qid}: {n} {verdict}"))
            start += n
    xticks = tuple(Tick(_r(left + (right - left) * t / limit), str(t)) for t in ticks(limit))
    yticks = tuple(Tick(_r(top + row * (i + 0.5)), qid) for i, qid in enumerate(ids))
    listed = "; ".join(f"{qid}: " + ", ".join(f"{n} {v}" for v, n in zip(COLOURS, t, strict=True))
                       for qid, t in zip(ids, tallies, strict=True))
    return _draw(Chart(
        f"Verdicts of the {name}", f"Answers by verdict, per quantity: {listed}.", WIDTH, _r(bottom + 44),
        _r(left), _r(top), right, _r(bottom), tuple(bars), xticks, yticks, "answers", "", mono=True,
        legend=legend))


def misconception_chart(ids: Sequence[str], students: Sequence[int]) -> str:
    """Students per misconception, a horizontal bar each."""
    limit = max([1, *students]) * 1.05
    row = 29
    left = _text_width(max(ids, key=len), MONO) + TICK + PAD + 8
    top = 10
    bottom = top + row * len(ids)
    right = WIDTH - 14
    bars = tuple(
        Bar(_r(left), _r(top + row * (i + 0.15)), _r((right - left) * n / limit), _r(row * 0.7),
            MISCONCEPTION_COLOUR, f"{mid}: {_plural(n, 'student')}")
        for i, (mid, n) in enumerate(zip(ids, students, strict=True)) if n)
    xticks = tuple(Tick(_r(left + (right - left) * t / limit), str(t)) for t in ticks(limit))
    yticks = tuple(Tick(_r(top + row * (i + 0.5)), mid) for i, mid in enumerate(ids))
    listed = ", ".join(f"{mid}: {n}" for mid, n in zip(ids, students, strict=True))
    return _draw(Chart(
        "Students per misconception", f"Students per misconception: {listed}.", WIDTH, _r(bottom + 44),
        _r(left), top, right, _r(bottom), bars, xticks, yticks, "students", "", mono=True))


def _legend(width: float, entries: list[tuple[str, str]]) -> tuple[tuple[Key, ...], float]:
    """The legend's entries in one row centred over ``width`` (two rows if it is too narrow),
    and the height it takes."""
    sizes = [FONT + 4 + _text_width(label, WORDS) + 16 for label, _ in entries]
    rows = [list(range(len(entries)))]
    if sum(sizes) > width - 20:
        half = (len(entries) + 1) // 2
        rows = [rows[0][:half], rows[0][half:]]
    keys = []
    for r, members in enumerate(rows):
        x = (width - sum(sizes[i] for i in members)) / 2
        for i in members:
            colour, label = entries[i][1], entries[i][0]
            keys.append(Key(_r(x + 8), 6 + r * (FONT + 8), colour, label))
            x += sizes[i]
    return tuple(keys), 6 + len(rows) * (FONT + 8)


def _draw(chart: Chart) -> str:
    return render("chart.svg.j2", c=chart, font=FONT, tick=TICK, pad=PAD, px=_r)
