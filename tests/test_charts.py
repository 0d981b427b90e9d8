"""Do the report page's charts (grader/render/charts.py, templates/chart.svg.j2) draw what they
are given: a bar per non-zero count, as long as its count says against the axis's numbers, the
labels escaped, the same bytes for the same data? (The page in a browser:
tests/test_report_page.py.)"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from grader.render import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # (well-formed XML, or this raises)


def bars(root: ET.Element) -> list[dict]:
    return [{**r.attrib, "text": r.find(f"{SVG}title").text} for r in root.iter(f"{SVG}rect")
            if r.get("class") == "bar"]


def ticks(root: ET.Element, axis: str) -> list[str]:
    group = next(g for g in root.iter(f"{SVG}g") if g.get("class") == f"{axis}-ticks")
    return [t.text for t in group.iter(f"{SVG}text")]


def tick_at(root: ET.Element, axis: str, label: str) -> float:
    """Where the tick mark of ``label`` is (x for the x axis, y for the y axis)."""
    group = next(g for g in root.iter(f"{SVG}g") if g.get("class") == f"{axis}-ticks")
    kids = list(group)
    for mark, text in zip(kids[::2], kids[1::2], strict=True):
        if text.text == label:
            return float(mark.get("d").split()[1 if axis == "x" else 2])
    raise AssertionError(f"no tick {label}")


@pytest.mark.parametrize(("limit", "expected"), [
    (1, [0, 1]), (1.1, [0, 1]), (6, [0, 1, 2, 3, 4, 5, 6]), (7.7, [0, 2, 4, 6]), (37, [0, 10, 20, 30]),
    (110, [0, 20, 40, 60, 80, 100]), (1000, [0, 200, 400, 600, 800, 1000]),
    (1050, [0, 200, 400, 600, 800, 1000]),
    (100_000, [0, 20_000, 40_000, 60_000, 80_000, 100_000]),
])
def test_ticks_are_whole_round_numbers(limit, expected):
    assert charts.ticks(limit) == expected


def test_the_score_chart_has_a_bar_per_score_some_student_got_as_high_as_its_count():
    root = parse(charts.score_chart(["0", "1", "2", "3"], [2, 0, 5, 1], "points"))
    drawn = bars(root)
    assert [b["text"] for b in drawn] == ["score 0: 2 students", "score 2: 5 students", "score 3: 1 student"]
    zero, one = tick_at(root, "y", "0"), tick_at(root, "y", "1")
    for b, n in zip(drawn, [2, 5, 1], strict=True):
        bottom = float(b["y"]) + float(b["height"])
        assert bottom == pytest.approx(zero, abs=0.1)  # standing on the axis
        assert float(b["height"]) == pytest.approx(n * (zero - one), abs=0.2)  # as tall as its count
    assert ticks(root, "x") == ["0", "1", "2", "3"] and ticks(root, "y") == ["0", "1", "2", "3", "4", "5"]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "score" in texts and "students" in texts
    assert root.find(f"{SVG}title").text == "Students per score"
    assert root.find(f"{SVG}desc").text == "Students per score: 0: 2, 1: 0, 2: 5, 3: 1."


def test_many_score_bins_are_labelled_upwards_and_in_percent_says_so():
    labels = [f"{10 * k}–{10 * k + 9}" for k in range(25)]
    svg = charts.score_chart(labels, list(range(25)), "percent")
    assert svg.count('transform="rotate(-90') == 25 + 1  # each bin's label, and the axis's name
    assert "score (% of the maximum)" in svg
    few = charts.score_chart(["0", "1"], [1, 1], "points")
    assert few.count('transform="rotate(-90') == 1


def test_a_verdict_chart_splits_each_quantity_by_verdict_in_order():
    root = parse(charts.verdict_chart("forward pass", ["o_A", "p_B"], [[3, 1, 0, 0, 2], [0, 0, 6, 0, 0]]))
    drawn = bars(root)
    assert [b["text"] for b in drawn] == ["o_A: 3 correct", "o_A: 1 carried-forward", "o_A: 2 invalid",
                                          "p_B: 6 incorrect"]
    assert [b["fill"] for b in drawn] == [charts.COLOURS[v] for v in ("correct", "carried-forward", "invalid",
                                                                        "incorrect")]
    zero, six = tick_at(root, "x", "0"), tick_at(root, "x", "6")
    unit = (six - zero) / 6
    x = zero
    for b, n in zip(drawn[:3], [3, 1, 2], strict=True):  # end to end along the row
        assert float(b["x"]) == pytest.approx(x, abs=0.2)
        assert float(b["width"]) == pytest.approx(n * unit, abs=0.2)
        x += n * unit
    assert ticks(root, "y") == ["o_A", "p_B"]
    assert root.find(f"{SVG}title").text == "Verdicts of the forward pass"
    keys = [g for g in root.iter(f"{SVG}g") if g.get("class") == "key"]
    assert [k.find(f"{SVG}text").text for k in keys] == list(charts.COLOURS)
    lefts = [float(k.find(f"{SVG}rect").get("x")) for k in keys]
    assert lefts == sorted(lefts)  # one row, left to right


def test_the_misconception_chart_and_the_escaping_of_labels():
    svg = charts.misconception_chart(["sign-flip", "<b>&"], [3, 1])
    root = parse(svg)
    assert [b["text"] for b in bars(root)] == ["sign-flip: 3 students", "<b>&: 1 student"]
    assert ticks(root, "y") == ["sign-flip", "<b>&"]
    assert "<b>" not in svg and "&lt;b&gt;&amp;" in svg


def test_the_same_data_give_the_same_bytes_and_no_long_decimals():
    args = ("weight changes (dw)", [f"dw_x{i}_A" for i in range(9)], [[i, 1, 2, 0, 3] for i in range(9)])
    svg = charts.verdict_chart(*args)
    assert svg == charts.verdict_chart(*args)
    numbers = re.findall(r'="(-?[\d.]+)"', svg)
    assert numbers and all(len(n.partition(".")[2]) <= 1 for n in numbers)
    assert "<metadata>" not in svg and "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
