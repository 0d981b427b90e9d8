"""The Markdown views as a reader opens them: is the net drawn beside every handout and
solution, is the wrong step of a feedback marked in red on its drawing (as the PDF marks it),
and does the feedback say whose it is, for which assignment, and that a tampered problem was
graded against the key?"""

from __future__ import annotations

import io
import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pypdf
import pytest

from grader.batch.demo_class import _tampered, fill
from grader.cli import cli
from grader.family import load_family
from grader.generator import generate_variants
from grader.key import key_document
from grader.render.marks import wrong_marks
from grader.render.notebook import notebook_handout
from grader.render.svg import RED, weight_labels
from grader.roster import numbered_roster
from grader.solver import solve
from grader.validation import instance_from_dict

SVG = "{http://www.w3.org/2000/svg}"
PICTURE = re.compile(r"!\[([^\]]+)\]\(([^)\s]+)\)")


def drawn(svg_text: str) -> dict[str, object]:
    """What a drawing shows: its nodes, its weight labels by key, and what is red (nodes by
    name, connections by key: the curve, the arrow and the label of a connection)."""
    root = ET.fromstring(svg_text)
    paths = root.findall(f"{SVG}path")
    arrows = root.findall(f"{SVG}polygon")
    weights = [g for g in root.findall(f"{SVG}g") if g.get("class") == "weight"]
    nodes = [g for g in root.findall(f"{SVG}g") if g.get("class") != "weight"]
    assert len(paths) == len(arrows) == len(weights)  # one curve, arrow and label per connection, in order
    red_edges = set()
    for path, arrow, g in zip(paths, arrows, weights, strict=True):
        marks = (path.get("stroke") == RED, arrow.get("fill") == RED, g.find(f"{SVG}text").get("fill") == RED)
        assert len(set(marks)) == 1, g.get("data-key")  # all of it red, or none
        if marks[0]:
            red_edges.add(g.get("data-key"))
    red_nodes = {g.get("data-name") for g in nodes if g.find(f"{SVG}circle").get("stroke") == RED}
    return {
        "nodes": {g.get("data-name") for g in nodes},
        "labels": {g.get("data-key"): g.find(f"{SVG}text").text for g in weights},
        "red": red_nodes | red_edges,
    }


def expected_nodes(instance) -> set[str]:
    neurons = [n for layer in instance.layers for n in layer]
    bias = {f"bias:{n}" for n in neurons if f"bias_{n}" in instance.weights}
    return {*instance.inputs, *neurons, *bias}


def picture_of(markdown: Path) -> Path:
    """The one drawing a Markdown file links to, as a file beside it."""
    found = PICTURE.findall(markdown.read_text(encoding="utf-8"))
    assert len(found) == 1, found
    alt, target = found[0]
    assert "net" in alt
    assert "/" not in target
    return markdown.parent / target


@pytest.mark.parametrize("family", ["2-2-1-threshold", "xor", "2-2-2-1"])
def test_every_markdown_handout_and_solution_shows_its_own_net(runner, tmp_path, family):
    out = tmp_path / "hw"
    result = runner.invoke(cli, ["generate", family, "--count", "3", "--format", "toml,md",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    key = json.loads((out / "key.json").read_text())
    for student, entry in key["students"].items():
        instance = instance_from_dict(entry["instance"], "key")
        for folder in ("handouts", "solutions"):
            picture = picture_of(out / folder / f"{student}.md")
            assert picture.name == f"{student}.svg"
            shown = drawn(picture.read_text(encoding="utf-8"))
            assert shown["nodes"] == expected_nodes(instance)
            assert shown["labels"] == weight_labels(instance)  # this student's own weights
            assert shown["red"] == set()


def test_solve_md_writes_the_drawing_beside_its_file_or_inline_on_standard_output(runner, tmp_path):
    out = tmp_path / "hw"
    assert runner.invoke(cli, ["generate", "xor", "--count", "1", "--out", str(out)]).exit_code == 0
    handout = out / "handouts" / "student01.toml"
    entry = json.loads((out / "key.json").read_text())["students"]["student01"]
    instance = instance_from_dict(entry["instance"], "key")

    written = tmp_path / "worked" / "alice solution.md"
    written.parent.mkdir()
    result = runner.invoke(cli, ["solve", str(handout), "--format", "md", "-o", str(written)])
    assert result.exit_code == 0, result.output
    text = written.read_text(encoding="utf-8")
    assert "](alice%20solution.svg)" in text  # a link, quoted for Markdown
    beside = tmp_path / "worked" / "alice solution.svg"
    assert drawn(beside.read_text())["labels"] == weight_labels(instance)

    result = runner.invoke(cli, ["solve", str(handout), "--format", "md"])
    assert result.exit_code == 0, result.output
    svg = re.search(r"^<svg .*?^</svg>$", result.output, flags=re.M | re.S)
    assert svg is not None and "\n\n" not in svg.group(0)  # one HTML block in Markdown
    assert result.output[:svg.start()].endswith("## The net\n\n")
    assert drawn(svg.group(0))["labels"] == weight_labels(instance)


# --------------------------------------------------------------------------- feedback


@pytest.fixture
def course(tmp_path):
    family = load_family("2-2-1-threshold")
    variants = generate_variants(family, numbered_roster(3), b"a secret of the views tests", "hw7", 1)
    key = tmp_path / "key.json"
    key.write_text(json.dumps(key_document(variants, family, "hw7")))
    subs = tmp_path / "subs"
    subs.mkdir()
    return key, subs, {v.student: v for v in variants}


def exact(v, **changed: str) -> dict[str, str]:
    values = {q: repr(v.trace().value(q)) for q in v.asked}
    values.update(changed)
    return values


def test_the_feedback_drawing_marks_the_wrong_steps_in_red_as_the_pdf_does(runner, course, tmp_path):
    """student01: a slip in delta_A (its dw and new weights follow from it: carried forward), an
    unreadable dw_x1_B and nothing for p_C: neuron A and the connection x1 -> B are red, and
    nothing else (a missing or carried-forward answer marks nothing). student02, all right: no
    red. student03 sends two files; the newer, with a slip in new_w_B_C, counts, and its
    drawing, written again from the journal, marks B -> C."""
    key, subs, variants = course
    v1, v2, v3 = variants.values()
    t = v1.trace()
    slip = {"delta_A": t.value("delta_A") + 0.01}
    for f in ("x1", "x2", "bias"):  # what follows from the slip, worked right
        dw = t.value(f"dw_{f}_A") * slip["delta_A"] / t.value("delta_A")
        slip[f"dw_{f}_A"], slip[f"new_w_{f}_A"] = dw, t.value(f"new_w_{f}_A") - t.value(f"dw_{f}_A") + dw
    (subs / "student01.ipynb").write_text(fill(notebook_handout(v1), exact(
        v1, dw_x1_B="'one half'", p_C="...", **{q: repr(x) for q, x in slip.items()})))
    (subs / "student02.ipynb").write_text(fill(notebook_handout(v2), exact(v2)))
    (subs / "student03.ipynb").write_text(fill(notebook_handout(v3), exact(v3)))
    newer = subs / "student03.v2.ipynb"
    newer.write_text(fill(notebook_handout(v3), exact(v3, new_w_B_C="0.123")))
    os.utime(newer, (2e9, 2e9))
    graded = tmp_path / "graded"
    result = runner.invoke(cli, ["grade", str(key), str(subs), "--out", str(graded), "--format", "md,pdf",
                                 "--jobs", "1"])
    assert result.exit_code == 0, result.output
    feedback = graded / "feedback"

    items = json.loads((graded / "results" / "student01.json").read_text())["items"]
    verdicts = {i["id"]: i["verdict"] for i in items}
    assert (verdicts["delta_A"], verdicts["dw_x1_B"], verdicts["p_C"]) == ("incorrect", "invalid", "missing")
    assert verdicts["dw_x1_A"] == verdicts["new_w_bias_A"] == "carried-forward"
    shown = drawn((feedback / "student01.svg").read_text())
    assert shown["red"] == {"A", "x1_B"}
    assert picture_of(feedback / "student01.md") == feedback / "student01.svg"
    # the PDF's drawing marks what wrong_marks gives, the same function
    assert set(wrong_marks(items, v1.instance)) == {"A", "x1_B"}
    assert (feedback / "student01.pdf").read_bytes().startswith(b"%PDF")

    assert drawn((feedback / "student02.svg").read_text())["red"] == set()
    assert drawn((feedback / "student03.svg").read_text())["red"] == {"B_C"}


def test_marks_come_from_the_trace_subjects(course):
    v = next(iter(course[2].values()))
    trace = solve(v.instance)
    items = [{"id": q.id, "verdict": "incorrect"} for q in trace.quantities]
    subjects = {q.subject for q in trace.quantities if q.subject}
    assert set(wrong_marks(items, v.instance)) == subjects
    assert wrong_marks([{"id": "P", "verdict": "incorrect"}], v.instance) == ()
    assert wrong_marks([{"id": "o_A", "verdict": "carried-forward"},
                        {"id": "o_B", "verdict": "missing"}], v.instance) == ()


def _pdf_text(path: Path) -> str:
    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_feedback_is_headed_with_student_and_assignment_and_says_when_the_problem_was_edited(
        runner, course, tmp_path):
    """student01 hands in their own handout; student02 edits every weight to 1 and answers that
    easier problem right: both feedbacks (Markdown and PDF) name the student and the assignment,
    and student02's says first, before the score, that the problem's numbers were edited and
    the answers graded against the problem as the key holds it."""
    key, subs, variants = course
    v1, v2, _ = variants.values()
    (subs / "student01.ipynb").write_text(fill(notebook_handout(v1), exact(v1)))
    (subs / "student02.ipynb").write_text(_tampered(notebook_handout(v2), v2.asked))
    graded = tmp_path / "graded"
    result = runner.invoke(cli, ["grade", str(key), str(subs), "--out", str(graded), "--format", "md,pdf",
                                 "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "Status: 1 graded, 1 tampered, 1 missing." in result.output
    feedback = graded / "feedback"

    honest = (feedback / "student01.md").read_text()
    assert honest.startswith("# Feedback for student01\n\nAssignment `hw7`.\n\n**Score: 28 / 28**")
    assert "Note:" not in honest and "edited" not in honest

    edited = (feedback / "student02.md").read_text()
    head, _, rest = edited.partition("**Score:")
    assert head.startswith("# Feedback for student02\n\nAssignment `hw7`.\n\n**Note:** the problem in your "
                           "file was edited: its numbers are not the ones you were given (")
    assert ("Your answers were graded against the problem you were given, as the instructor's key holds it, "
            "so answers worked out on the edited numbers count as wrong.") in head
    assert rest and "Note:" not in rest  # said once, at the top

    pdf = _pdf_text(feedback / "student02.pdf")
    assert "Feedback for student02" in pdf and "Assignment hw7" in pdf
    assert "Note: the problem in your file was edited" in pdf
    assert "graded against the problem you were given" in pdf
    assert pdf.index("Note:") < pdf.index("Score:")
    assert "edited" not in _pdf_text(feedback / "student01.pdf")
