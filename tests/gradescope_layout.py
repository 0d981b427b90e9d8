"""Gradescope's autograder layout and results specification, for the tests.

The layout (https://gradescope-autograders.readthedocs.io, "Specifications"): the autograder
zip is unpacked into ``/autograder/source``; the student's files are in
``/autograder/submission``; who submitted is in ``/autograder/submission_metadata.json``
(``users: [{email, id, name, sid}]``, ``assignment``, ``created_at``, ...); the autograder writes
``/autograder/results/results.json``.
"""

from __future__ import annotations

import json
import numbers
from pathlib import Path

from courses import SECRET

from grader.batch.demo_class import _tampered, fill
from grader.family import load_family
from grader.generator import Student, generate_variants
from grader.key import key_document
from grader.render.notebook import notebook_handout
from grader.rules import MISCONCEPTIONS
from grader.solver import solve

TOP_LEVEL = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
             "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
TEST_FIELDS = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format",
               "tags", "visibility", "extra_data"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}
STUDENTS = (Student("s001", "Jane Doe", "jane@mit.edu"), Student("s002", "Kim Lee", "kim@mit.edu"),
            Student("s003", "Max Roe", "max@mit.edu"), Student("s004", "Ada Byron", "ada@mit.edu"))


def course(tmp_path: Path):
    """(key.json path, variants by student) for STUDENTS on 2-2-1-threshold, assignment hw3."""
    family = load_family("2-2-1-threshold")
    variants = generate_variants(family, STUDENTS, SECRET, "hw3", 1)
    key = tmp_path / "key.json"
    key.write_text(json.dumps(key_document(variants, family, "hw3")))
    return key, {v.student: v for v in variants}


def submissions(variants) -> dict[str, tuple[str, str, dict]]:
    """case -> (file name, content, submission_metadata.json): right, misconceived (sign-flip),
    tampered, unreadable (cut off), and an unknown student (a right notebook from someone else)."""
    def meta(email: str, sid: str) -> dict:
        return {"id": 123456, "created_at": "2026-12-06T03:00:00.000000-05:00",
                "assignment": {"id": 42, "title": "hw3", "due_date": "2026-12-10T23:59:00.000000-05:00"},
                "users": [{"email": email, "id": 1, "name": "A Student", "sid": sid}],
                "previous_submissions": []}

    v1, v2, v3, v4 = (variants[s.id] for s in STUDENTS)
    exact = solve(v1.instance)
    right = fill(notebook_handout(v1), {q: repr(exact.value(q)) for q in v1.asked})
    wrong = solve(v2.instance, MISCONCEPTIONS["sign-flip"].rules)
    d = v2.instance.rounding
    misconceived = fill(notebook_handout(v2), {q: f"{wrong.value(q):.{d}f}" for q in v2.asked})
    tampered = _tampered(notebook_handout(v3), v3.asked)
    e4 = solve(v4.instance)
    full = fill(notebook_handout(v4), {q: f"{e4.value(q):.{d}f}" for q in v4.asked})
    return {
        "right": ("homework.ipynb", right, meta("JANE@mit.edu", "")),  # email matched without case
        "misconceived": ("my answers.ipynb", misconceived, meta("other@x.org", "s002")),  # by SID
        "tampered": ("hw3.ipynb", tampered, meta("max@mit.edu", "")),
        "unreadable": ("hw3.ipynb", full[: len(full) // 2], meta("ada@mit.edu", "")),
        "unknown": ("homework.ipynb", right, meta("zed@mit.edu", "z999")),
    }


def lay_out(root: Path, name: str, content: str, metadata: dict) -> None:
    """A fresh submission under ``root`` (source/ already there)."""
    sub = root / "submission"
    if sub.exists():
        for p in sorted(sub.rglob("*"), reverse=True):
            p.rmdir() if p.is_dir() else p.unlink()
    sub.mkdir(exist_ok=True)
    (sub / name).write_text(content)
    (root / "submission_metadata.json").write_text(json.dumps(metadata))
    results = root / "results"
    results.mkdir(exist_ok=True)
    (results / "results.json").unlink(missing_ok=True)


def validate(results: dict) -> None:
    """results.json against Gradescope's specification, field by field."""
    assert set(results) <= TOP_LEVEL, set(results) - TOP_LEVEL
    assert isinstance(results["score"], numbers.Real) and results["score"] >= 0
    assert isinstance(results["output"], str) and results["output"].strip()
    assert results["output_format"] in FORMATS
    assert results.get("test_output_format", "text") in FORMATS
    assert results["visibility"] in VISIBILITIES
    assert results["stdout_visibility"] in VISIBILITIES
    assert isinstance(results["tests"], list)
    for t in results["tests"]:
        assert set(t) <= TEST_FIELDS, set(t) - TEST_FIELDS
        assert isinstance(t["name"], str) and t["name"]
        assert isinstance(t["score"], numbers.Real) and isinstance(t["max_score"], numbers.Real)
        assert 0 <= t["score"] <= t["max_score"]
        assert t["status"] in ("passed", "failed")
        assert (t["status"] == "passed") == (t["score"] == t["max_score"])
        assert isinstance(t["output"], str)
        assert t["visibility"] in VISIBILITIES
    if results["tests"]:
        assert abs(sum(t["score"] for t in results["tests"]) - results["score"]) < 1e-9
