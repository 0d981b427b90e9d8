"""Does the class report page work in a real browser, opened from disk with no network?

``backprop grade`` writes OUT/report.html for the demo's class (graded, misconceptions,
tampered, error, missing) plus a file naming nobody on the roster (unknown), with Markdown and
PDF feedback. Debian's headless Chromium (``apt-get install chromium``), driven by Playwright
(the ``playwright`` package of the test extras, no browser download), opens it from
``file://``. Set ``BACKPROP_REPORT_SCREENSHOT=docs/report.png`` to keep a copy of the
screenshot (the README's picture).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urljoin, urlparse
from urllib.request import url2pathname

import pytest

from grader.batch.demo_class import run_demo
from grader.cli import cli

CHROMIUM = "/usr/bin/chromium"
#: Chromium as root, in a container, with no network: no sandbox, no GPU, nothing phoning home
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    """OUT of ``backprop grade --format md,pdf`` on the demo's class and a stranger's file."""
    from click.testing import CliRunner

    tmp = tmp_path_factory.mktemp("page")
    files, _ = run_demo(tmp / "demo", jobs=1)
    shutil.copy(files.submissions / "student01.ipynb", files.submissions / "stranger.ipynb")
    out = tmp / "graded"
    result = CliRunner().invoke(cli, ["grade", str(files.key), str(files.submissions), "--out", str(out),
                                      "--format", "md,pdf", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert f"Report:    {out}/report.html" in result.output
    return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """A Chromium of its own (a fresh profile), driven by Playwright."""
    assert os.access(CHROMIUM, os.X_OK), \
        "the test needs Debian's chromium: apt-get install chromium (.ci/run does)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("profile")), executable_path=CHROMIUM, headless=True, args=ARGS,
            viewport={"width": 1100, "height": 900})
        yield context
        context.close()


@pytest.fixture(scope="module")
def opened(graded, browser):
    """The page loaded from file://, with every request and console message it caused."""
    requests, messages, errors = [], [], []
    browser.on("request", lambda r: requests.append(r.url))
    page = browser.new_page()
    page.on("console", lambda m: messages.append((m.type, m.text)))
    page.on("pageerror", lambda e: errors.append(str(e)))
    url = (graded / "report.html").resolve().as_uri()
    response = page.goto(url, wait_until="load")
    assert response is not None and response.ok
    page.wait_for_load_state("networkidle")
    yield page, url, requests, messages, errors
    page.close()


def test_the_page_loads_from_disk_with_no_error_and_no_request(opened):
    page, url, requests, messages, errors = opened
    assert requests == [url]  # the file itself, nothing else
    assert [m for m in messages if m[0] in ("error", "warning")] == []
    assert errors == []
    assert page.title() == "Class report: demo"
    cards = page.locator(".card").all_inner_texts()
    assert [" ".join(c.split()) for c in cards] == [
        "5 graded", "1 tampered", "1 unknown", "1 error", "1 missing"]


def test_every_chart_is_drawn(opened, graded):
    page = opened[0]
    charts = page.locator("figure.chart svg")
    # scores, the five kinds of quantity, the misconceptions
    assert charts.count() == 7
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 80, (i, box)
        bars = charts.nth(i).locator("rect.bar")
        assert bars.count() >= 1, i  # bars, not an empty frame
        for bar in bars.all():  # each drawn, inside its chart
            b = bar.bounding_box()
            assert b["width"] > 1 and b["height"] > 5, (i, b)
            assert box["x"] <= b["x"] and b["x"] + b["width"] <= box["x"] + box["width"] + 0.5, (i, b, box)
            assert box["y"] <= b["y"] and b["y"] + b["height"] <= box["y"] + box["height"] + 0.5, (i, b, box)
        assert charts.nth(i).locator(".x-ticks text").count() >= 2  # an axis with its numbers
    assert "Students per score" in page.locator("#chart-scores figcaption").inner_text()
    # what the bars show: the demo's scores (28 twice, 27, 26, 11, 2), and its two misconceptions
    score_bars = page.locator("#chart-scores rect.bar title").all_text_contents()
    assert score_bars == ["score 2: 1 student", "score 11: 1 student", "score 26: 1 student",
                          "score 27: 1 student", "score 28: 2 students"]
    assert page.locator("#chart-misconceptions rect.bar title").all_text_contents() == [
        "sign-flip: 1 student", "updated-weights: 1 student"]
    # the forward pass: a bar per verdict found on each of its 7 quantities, 6 answers each
    assert page.locator("#chart-forward-pass .y-ticks text").all_text_contents() == [
        "p_A", "o_A", "p_B", "o_B", "p_C", "o_C", "P"]


def test_every_link_resolves_to_a_file(opened, graded):
    page, url = opened[0], opened[1]
    hrefs = page.locator("a[href]").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    feedback = [h for h in hrefs if h.startswith("feedback/")]
    # every student but the missing one has Markdown feedback; graded rows have a PDF too
    assert len([h for h in feedback if h.endswith(".md")]) == 8
    assert len([h for h in feedback if h.endswith(".pdf")]) >= 5
    assert {"summary.md", "summary.json"} <= set(hrefs)
    for href in hrefs:
        target = Path(url2pathname(urlparse(urljoin(url, href)).path))
        assert target.is_file(), href
        assert target.resolve().is_relative_to(graded.resolve())  # relative links, into OUT


def _column(page, name: str) -> list[str]:
    index = page.locator("#students-table thead th").all_inner_texts().index(name)
    return page.locator(f"#students-table tbody tr td:nth-child({index + 1})").all_inner_texts()


def _header(page, name: str):
    return page.locator("#students-table thead th", has_text=name).first


def test_sorting_by_a_clicked_column(opened):
    page = opened[0]
    students = _column(page, "student")
    scores = lambda: [float(x.split("/")[0]) for x in _column(page, "score")]  # noqa: E731
    _header(page, "score").locator("button").click()
    assert scores() == sorted(scores())
    assert _header(page, "score").get_attribute("aria-sort") == "ascending"
    _header(page, "score").locator("button").click()
    assert scores() == sorted(scores(), reverse=True) and scores()[0] == 28
    _header(page, "student").locator("button").click()
    assert _column(page, "student") == sorted(students)
    _header(page, "student").locator("button").click()
    assert _column(page, "student") == sorted(students, reverse=True)
    _header(page, "incorrect").locator("button").click()
    incorrect = [int(x) for x in _column(page, "incorrect")]
    assert incorrect == sorted(incorrect) and incorrect[-1] == 26  # the tampered student's


def test_a_screenshot_is_written(opened, tmp_path):
    page = opened[0]
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
    keep = os.environ.get("BACKPROP_REPORT_SCREENSHOT")
    if keep:
        shutil.copy(shot, keep)
