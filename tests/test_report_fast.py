"""The feedback around a report is its template, whatever the texts hold."""

from __future__ import annotations

import pytest

from grader.notebooks.submission import feedback_text
from grader.render.env import environment


@pytest.mark.parametrize("status", ["graded", "tampered", "error"])
@pytest.mark.parametrize("svg", [True, False])
def test_feedback_text_is_the_template(status, svg):
    students = [("s1", ""), ("o'brien {x} %s", "the signature does not match"), ("", "\x00sLot0\x00")]
    for student, message in students:
        md = f"# Feedback for {student}\n\nbody {{}} %s\n"
        full = environment().get_template("summary_feedback.md.j2").render(
            status=status, student=student, file="a/b.ipynb", message=message, report_md=md,
            tampered=status == "tampered", has_svg=svg, svg_name=f"{student}.svg")
        assert feedback_text(status, student, "a/b.ipynb", message, md, svg) == full
