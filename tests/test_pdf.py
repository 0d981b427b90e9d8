"""The PDFs: each kind is a valid PDF whose text carries the student and the right numbers,
the same input gives the same bytes, and nothing a roster holds is read as typst markup."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
from functools import cache

import pypdf
import pytest

from grader.answers import read_answer
from grader.family import load_family
from grader.generator import Student, Variant, draw_variant
from grader.grading import grade
from grader.render import numbers
from grader.render.pdf import class_pdf, feedback_pdf, handout_pdf, solution_pdf
from grader.solver import solve
from grader.validation import instance_from_dict

SECRET = b"test secret"


@cache
def variant(family: str = "2-2-2-1", student: str = "s042", name: str = "Ada Lovelace") -> Variant:
    return draw_variant(load_family(family), SECRET, "hw3", Student(student, name, f"{student}@example.org"))


def pdf_text(data: bytes) -> str:
    """The text of every page, with typst's minus sign written as '-'."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages).replace("\u2212", "-")


def pages(data: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(data)).pages)


CHAIN = instance_from_dict({
    # 1 input -> A -> B with 6.034 thresholds; by hand:
    # p_A = 1.0 * 1 + 0.5 * (-1) = 0.5, o_A = 1 / (1 + e^-0.5) = 0.622459
    # p_B = -0.75 * 0.622459 + 0.25 * (-1) = -0.716844, o_B = 0.328088
    # delta_B = o_B (1 - o_B) (1 - o_B) = 0.148120
    # delta_A = o_A (1 - o_A) * (-0.75) * delta_B = -0.026107
    # new w_A_B = -0.75 + 0.5 * 0.622459 * 0.148120 = -0.703901
    "alpha": 0.5, "bias": "threshold", "inputs": ["x1"], "layers": [["A"], ["B"]],
    "weights": {"x1_A": 1.0, "bias_A": 0.5, "A_B": -0.75, "bias_B": 0.25},
    "samples": [{"inputs": {"x1": 1.0}, "desired": {"B": 1.0}}],
})


def test_solution_pdf_shows_every_step_with_the_right_numbers() -> None:
    data = solution_pdf(solve(CHAIN), student="s042", assignment="hw3")
    assert data.startswith(b"%PDF-") and pages(data) == 1
    text = pdf_text(data)
    assert "s042" in text and "hw3" in text
    for number in ("0.622459", "-0.716844", "0.328088", "0.148120", "-0.026107", "-0.703901"):
        assert number in text, number
    # the derivation's order: forward pass, deltas from the back, then the updates
    headings = ("Forward pass", "Final-layer deltas", "Hidden-layer deltas", "Weight updates")
    order = [text.index(s) for s in headings]
    assert order == sorted(order)


def test_solution_pdf_without_student() -> None:
    text = pdf_text(solution_pdf(solve(CHAIN)))
    assert text.startswith("Worked solution\n") or "Worked solution" in text.splitlines()[0]


def test_handout_pdf_carries_the_student_the_givens_and_no_answer() -> None:
    v = variant()
    data = handout_pdf(v)
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    for s in ("s042", "Ada Lovelace", "s042@example.org", "hw3", f"{v.instance.rounding} decimal places"):
        assert s in text, s
    for c in v.instance.connections:
        assert numbers.fmt(c.weight, 10) in text, c.key
        assert c.key in text
    for qid in v.asked:
        assert qid in text, qid
    # no computed value appears, unless it equals a given one (an answer of 0.5, say)
    trace = v.trace()
    givens = {numbers.fmt(x, 10) for _, x in trace.givens}
    shown = {numbers.fmt(trace.value(q), d) for q in v.asked for d in (4, 6)} - givens
    assert [s for s in shown if len(s) > 3 and s in text] == []


def test_class_pdf_has_every_handout_in_roster_order() -> None:
    students = [variant("chain", f"s{i:03d}", f"Student {i}") for i in range(3)]
    single = [pages(handout_pdf(v)) for v in students]
    data = class_pdf(students)
    assert pages(data) == sum(single)
    text = pdf_text(data)
    positions = [text.index(f"Student {i}") for i in range(3)]
    assert positions == sorted(positions)


def _graded(v: Variant) -> tuple:
    """A submission with a sign-flip in the first delta, an unreadable answer and a missing one."""
    trace = v.trace()
    given: dict[str, object] = {q: round(trace.value(q), 4) for q in v.asked}
    delta = next(q for q in v.asked if q.startswith("delta_"))
    o, d = trace[delta].arg_values[:2]
    given[delta] = round(o * (1 - o) * (o - d), 4)
    given[v.asked[1]] = "1/0x"
    del given[v.asked[-1]]
    report = grade(v.instance, {k: read_answer(k, x) for k, x in given.items()}, asked=v.asked)
    return report, delta, given


def test_feedback_pdf_shows_score_verdicts_and_the_students_numbers() -> None:
    v = variant()
    report, delta, given = _graded(v)
    data = feedback_pdf(report, v.instance, student="s042")
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    assert "s042" in text
    assert f"Score: {report.score:g} / {report.max_score:g}" in text
    assert "sign-flip" in text and "invalid" in text and "missing" in text and "1/0x" in text
    assert numbers.fmt(given[delta], 6) in text
    # the worked step with the student's own (rounded) o, not the expected value
    o = round(v.trace()[delta].arg_values[0], 4)
    assert f"= {numbers.fmt(o, 6)}" in text
    assert numbers.fmt(v.trace().value(delta), 6) not in text


def test_feedback_pdf_reveals_the_expected_values_only_when_asked() -> None:
    v = variant()
    report, delta, _ = _graded(v)
    expected = numbers.fmt(v.trace().value(delta), 6)
    assert expected in pdf_text(feedback_pdf(report, v.instance, student="s042", reveal=True))


@pytest.mark.parametrize("make", [
    lambda: solution_pdf(solve(CHAIN), student="s042"),
    lambda: handout_pdf(variant()),
    lambda: class_pdf([variant("chain", "a"), variant("chain", "b")]),
    lambda: feedback_pdf(_graded(variant())[0], variant().instance, student="s042"),
], ids=["solution", "handout", "class", "feedback"])
def test_same_input_same_bytes_and_no_date(make) -> None:
    first, second = make(), make()
    assert first == second
    info = pypdf.PdfReader(io.BytesIO(first)).metadata
    assert "/CreationDate" not in info and "/ModDate" not in info
    assert b"CreationDate" not in first and b"ModDate" not in first


@pytest.mark.slow
def test_same_bytes_in_a_fresh_interpreter() -> None:
    """Nothing in the bytes depends on the process (hash seeds, clocks, system fonts)."""
    code = (
        "import hashlib, sys; from tests.test_pdf import variant; from grader.render.pdf import handout_pdf;"
        "sys.stdout.write(hashlib.sha256(handout_pdf(variant())).hexdigest())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONHASHSEED": "123", "PATH": "/usr/bin:/bin"})
    assert out.stdout == hashlib.sha256(handout_pdf(variant())).hexdigest()


def test_roster_text_is_never_typst_markup() -> None:
    name = 'Zoë "#strong[x]" $a_b$ *b* \\ @ref <lbl> // not a comment'
    text = pdf_text(handout_pdf(variant("chain", "s#1_$", name)))
    assert "s#1_$" in text
    assert 'Zoë "#strong[x]" $a_b$ *b* \\ @ref <lbl> // not a comment' in text


@pytest.mark.parametrize("make", [
    lambda: solution_pdf(solve(CHAIN), student="s042", assignment="hw3"),
    lambda: handout_pdf(variant()),
    lambda: class_pdf([variant("chain", "a"), variant("chain", "b"), variant("chain", "c")]),
    lambda: feedback_pdf(_graded(variant())[0], variant().instance, student="s042"),
], ids=["solution", "handout", "class", "feedback"])
def test_the_document_template_gives_the_bytes_of_the_plain_reference(make, monkeypatch) -> None:
    """The template written for typst's reuse of layouts (the footer's text from a state, the
    title set last) makes the same PDF, byte for byte, as the plain one; with a second
    student's PDF made in between, so that the reused layouts are in play."""
    from grader.render import pdf

    assert pdf.plain_document("t", [("f", "x")]) != pdf.document("t", [("f", "x")])  # (two templates)
    handout_pdf(variant("2-2-2-1", "s007"))
    fast = make()
    monkeypatch.setattr(pdf, "document", pdf.plain_document)
    handout_pdf(variant("2-2-2-1", "s008"))
    plain = make()
    assert fast == plain


def test_the_footer_and_the_title_are_each_students() -> None:
    """A class PDF: each handout's pages carry its own student in the footer (read from a
    state), and the title is the document's."""
    a, b = variant("chain", "a"), variant("chain", "b")
    data = class_pdf([a, b])
    reader = pypdf.PdfReader(io.BytesIO(data))
    footers = [page.extract_text().splitlines()[-1] for page in reader.pages]
    assert any(a.signature[:12] in f for f in footers) and any(b.signature[:12] in f for f in footers)
    first_b = next(i for i, f in enumerate(footers) if b.signature[:12] in f)
    assert all(a.signature[:12] in f for f in footers[:first_b])
    assert reader.metadata.title == "Backpropagation homework: hw3"
