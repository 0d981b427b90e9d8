"""The cached renders (a template's skeleton per shape, filled in) give the bytes of a full render,
and a template that does more with a value than print it is rendered in full."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from test_report_render import CORPUS, reference_markdown

from grader.batch.submission import feedback_text
from grader.render import feedback as R
from grader.render import skeletons as S
from grader.render.env import environment
from grader.render.inert import md_code, md_inline


def test_every_report_from_its_skeleton_is_the_reference():
    """After enough renders of each shape to make its skeleton, is every report still the same?"""
    S.clear_cache()
    for _ in range(S._SIGHTINGS + 2):
        for _, report, student in CORPUS:
            for reveal in (False, True):
                cached = R.report_markdown(report, student=student, reveal=reveal)
                assert cached == reference_markdown(report, student=student, reveal=reveal)
                assert cached == R.report_markdown_plain(report, student=student, reveal=reveal)
    kept = list(S._SKELETONS.values())
    assert kept and all(v.__class__ is S._Skeleton for v in kept)


@pytest.mark.parametrize("status", ["graded", "tampered", "error"])
@pytest.mark.parametrize("svg", [True, False])
def test_feedback_text_is_the_template(status, svg):
    for _ in range(S._SIGHTINGS + 2):
        students = [("s1", ""), ("o'brien {x} %s", "the signature does not match"), ("", "\x00sLot0\x00")]
        for (student, message), assignment in zip(students, ["hw1", "", "{x} %s"], strict=True):
            md = f"# Feedback for {student}\n\nbody {{}} %s\n"
            full = environment().get_template("summary_feedback.md.j2").render(  # (student text made inert)
                status=status, student=md_inline(student), file=md_code("a/b.ipynb"),
                message=md_inline(message), report_md=md, tampered=status == "tampered", has_svg=svg,
                svg_name=quote(f"{student}.svg"),
                assignment=assignment, has_assignment=bool(assignment))
            assert feedback_text(status, student, "a/b.ipynb", message, md, svg, assignment) == full


@pytest.mark.parametrize("source", [
    "{{ x|upper }}", "{{ x|length }}", "{% if x == 'a' %}a{% endif %}", "{{ x|int }}", "{{ x|e }}",
    "{% if x %}y{% endif %}", "{{ x.foo }}", "{% for c in x %}{{ c }}{% endfor %}", "{{ x[0] }}",
])
def test_a_template_that_uses_a_value_has_no_skeleton(source):
    template = environment().from_string(source)
    assert S._make_skeleton(template, 1, lambda book: {"x": book.slot(0)}) is None


def test_a_template_that_prints_values_has_a_skeleton():
    template = environment().from_string("{{ x }}-{{ y ~ '!' }}-{{ x }}{% if z %}+{{ z }}{% endif %}")
    skeleton = S._make_skeleton(template, 3, lambda book: {"x": book.slot(0), "y": book.slot(1),
                                                             "z": book.slot(2, True)})
    assert skeleton is not None
    assert skeleton.fill(["a", "{b}", "%c"], ()) == template.render(x="a", y="{b}", z="%c")
    assert skeleton.fill(["a", 1, "c"], ()) is None  # not a str: rendered in full by the caller
