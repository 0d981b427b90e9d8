"""The class summary: what it counts, checked on hand-made rows and on a graded corpus (where the
oracle is the results files themselves), and that its four views leave nothing out."""

from __future__ import annotations

import csv
import dataclasses
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from courses import blank, course, right

from grader.batch import run as batch
from grader.batch.demo_class import fill
from grader.batch.rows import ErrorRow, GradedRow, MissingRow, Row
from grader.batch.summary import GROUPS, distribution, group_of, summarize
from grader.render.class_report import report_html, summary_data, summary_json, summary_md, summary_text
from grader.render.notebook import notebook_handout
from grader.rules import MISCONCEPTIONS
from grader.solver import solve

ROOT = Path(__file__).resolve().parent.parent


def item(qid: str, verdict: str, misconception: str | None = None) -> dict:
    return {"id": qid, "verdict": verdict, "points": 1.0 if verdict == "correct" else 0.0, "max_points": 1,
            "given": "", "misconception": misconception, "message": ""}


def row(student: str, status: str, score: float, items: list[dict], **kw) -> Row:
    if status == "error":
        return ErrorRow(student, 4.0, kw.get("message", ""), kw.get("file", ""))
    if status == "missing":
        return MissingRow(student, 4.0)
    return GradedRow.of(student, status, {"score": score, "max_score": 4, "items": items},
                        message=kw.get("message", ""), file=kw.get("file", ""),
                        needs_execution=kw.get("needs_execution", False))


QUANTITIES = ["p_A", "o_A", "delta_C", "delta_A"]  # a net whose final layer is C

#: four students with hand-counted verdicts, and one of each flagged status
ROWS = [
    row("ann", "graded", 4, [item("p_A", "correct"), item("o_A", "correct"), item("delta_C", "correct"),
                             item("delta_A", "correct")]),
    row("bob", "graded", 2, [item("p_A", "correct"), item("o_A", "correct"),
                             item("delta_C", "incorrect", "sign-flip"), item("delta_A", "carried-forward")]),
    row("cat", "tampered", 1, [item("p_A", "correct"), item("o_A", "missing"),
                               item("delta_C", "incorrect", "sign-flip"),
                               item("delta_A", "incorrect", "updated-weights")], message="edited"),
    row("dan", "copy", 0, [item("p_A", "correct"), item("o_A", "incorrect"), item("delta_C", "missing"),
                           item("delta_A", "incorrect", "updated-weights")], file="dan.ipynb",
        message="copied from ann"),
    row("eve", "error", 0, [], file="eve.ipynb", message="cut off"),
    row("fay", "missing", 0, [], message="nothing submitted"),
    row("gus", "mismatch", 3, [item("p_A", "invalid"), item("o_A", "correct"), item("delta_C", "correct"),
                               item("delta_A", "correct")], file="x/gus.ipynb", message="names hal"),
    row("ida", "unknown", 4, [item("p_A", "correct")], file="ida.ipynb", message="not on the roster"),
]


def hand_summary():
    return summarize(ROWS, columns=QUANTITIES, final={"C"}, assignment="hw1",
                     family="2-2-1", files=7, feedback_files={"ann.md", "ann.pdf", "bob.md", "eve.md"})


def test_counts_and_scores_of_hand_made_rows():
    s = hand_summary()
    assert s.counts == (("graded", 2), ("tampered", 1), ("mismatch", 1), ("copy", 1), ("unknown", 1),
                        ("error", 1), ("missing", 1))
    assert s.scored == 5  # graded, tampered, mismatch, copy: ann bob cat dan gus
    assert s.mean == pytest.approx((4 + 2 + 1 + 0 + 3) / 5)
    assert (s.median, s.max_score) == (2, 4)
    assert [(b.label, b.count) for b in s.distribution] == [("0", 1), ("1", 1), ("2", 1), ("3", 1), ("4", 1)]
    assert [f.student for f in s.flagged] == ["cat", "dan", "eve", "fay", "gus", "ida"]


def test_per_quantity_difficulty_counts_the_scored_rows_by_kind():
    """Counted by hand from ROWS (ida, unknown, is not scored: her p_A is not counted)."""
    s = hand_summary()
    assert [g.name for g in s.groups] == ["forward pass", "output deltas", "hidden deltas"]
    by_id = {q.id: q for g in s.groups for q in g.quantities}
    assert by_id["p_A"].tally.counts() == (("correct", 4), ("carried-forward", 0), ("incorrect", 0),
                                           ("missing", 0), ("invalid", 1))
    assert by_id["o_A"].tally.counts() == (("correct", 3), ("carried-forward", 0), ("incorrect", 1),
                                           ("missing", 1), ("invalid", 0))
    assert by_id["delta_C"].tally.counts() == (("correct", 2), ("carried-forward", 0), ("incorrect", 2),
                                               ("missing", 1), ("invalid", 0))
    assert by_id["delta_A"].tally.counts() == (("correct", 2), ("carried-forward", 1), ("incorrect", 2),
                                               ("missing", 0), ("invalid", 0))
    assert by_id["delta_C"].misconceptions == (("sign-flip", 2),)
    assert by_id["delta_A"].misconceptions == (("updated-weights", 2),)
    forward = s.groups[0].tally
    assert (forward.correct, forward.incorrect, forward.missing, forward.invalid) == (7, 1, 1, 1)
    assert forward.total == 10


def test_every_misconception_is_listed_with_its_students_and_quantities():
    s = hand_summary()
    assert [(m.id, m.students, m.quantities) for m in s.misconceptions] == [
        ("sign-flip", ("bob", "cat"), (("delta_C", 2),)),
        ("updated-weights", ("cat", "dan"), (("delta_A", 2),)),
    ]
    assert s.misconceptions[0].mistake == MISCONCEPTIONS["sign-flip"].mistake


def test_the_student_table_links_only_feedback_files_that_exist():
    table = {r.student: r for r in hand_summary().table}
    assert table["ann"].feedback == (("md", "feedback/ann.md"), ("pdf", "feedback/ann.pdf"))
    assert table["fay"].feedback == ()
    assert table["dan"].tally.incorrect == 2
    spaced = summarize([row("a b", "graded", 1, [])], feedback_files={"a b.md"})
    assert spaced.table[0].feedback == (("md", "feedback/a%20b.md"),)


@pytest.mark.parametrize(("qid", "group"), [
    ("p_A", "forward pass"), ("o_C_step3", "forward pass"), ("P", "forward pass"),
    ("P_step2", "forward pass"),
    ("delta_C", "output deltas"), ("delta_A_step2", "hidden deltas"), ("dw_bias_C", "weight changes (dw)"),
    ("new_w_x1_A_step4", "new weights"),
])
def test_group_of(qid, group):
    assert group_of(qid, {"C"}) == group
    assert group in GROUPS


def test_distribution_per_point_in_bins_or_in_percent():
    small = distribution([(0.5, 2), (2, 2), (2, 2)])
    assert [(b.label, b.count) for b in small] == [("0", 1), ("1", 0), ("2", 2)]
    wide = distribution([(s, 100) for s in (0, 3, 4, 99, 100)])
    assert len(wide) == 25 and wide[0].label == "0–3" and wide[-1].label == "96–100"
    assert [b.count for b in wide][:2] == [2, 1] and wide[-1].count == 2
    mixed = distribution([(1, 2), (28, 28), (0, 28)])
    assert [b.label for b in mixed][::9] == ["0–9", "90–100"]
    assert [b.count for b in mixed] == [1, 0, 0, 0, 0, 1, 0, 0, 0, 1]


def test_the_views_leave_nothing_out():
    """Every misconception, quantity, flagged row and student is in the Markdown, the JSON,
    the page; the printed text names every misconception and every flagged row but the missing."""
    s = hand_summary()
    md, page = summary_md(s), report_html(s)
    data = json.loads(summary_json(s))
    text = summary_text(s, regraded=7, reused=0, out="OUT")
    for view in (md, page):
        for q in QUANTITIES:
            assert f"<code>{q}</code>" in view or f"`{q}`" in view
        for sid in "ann bob cat dan eve fay gus ida".split():
            assert sid in view
        assert "sign-flip" in view and "updated-weights" in view
    assert [q["id"] for g in data["groups"] for q in g["quantities"]] == QUANTITIES
    assert data["counts"] == {"graded": 2, "tampered": 1, "mismatch": 1, "copy": 1, "unknown": 1, "error": 1,
                              "missing": 1}
    assert data["misconceptions"][1] == {"id": "updated-weights", "students": ["cat", "dan"],
                                         "quantities": {"delta_A": 2},
                                         "mistake": MISCONCEPTIONS["updated-weights"].mistake}
    assert data["groups"][0]["tally"]["total"] == 10
    assert "  sign-flip: 2 students\n  updated-weights: 2 students\n" in text
    for flagged in ("cat: tampered: edited", "dan: copy: copied from ann (dan.ipynb)", "eve: error: cut off",
                    "gus: mismatch: names hal (x/gus.ipynb)", "ida: unknown: not on the roster (ida.ipynb)"):
        assert flagged in text
    assert "fay" not in text  # counted in the status line, as before
    assert summary_data(s) == data


def test_the_page_escapes_what_students_wrote():
    s = summarize([row("<b>x</b>", "error", 0, [], message="<script>alert(1)</script>")])
    page = report_html(s)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert page.count("<script>") == 1  # the page's own (the table sorting)


def test_the_same_summary_renders_the_same_bytes():
    """(a rerun that changes nothing leaves the page alone: write_if_changed compares bytes)"""
    page = report_html(hand_summary())
    assert page == report_html(hand_summary())
    assert "<metadata>" not in page


# --------------------------------------------------------------------------- a graded corpus


def mutant(v, rules) -> str:
    """The variant's notebook answered exactly as a student holding one misconception would."""
    trace = solve(v.instance, rules=rules)
    return fill(notebook_handout(v), {q: repr(trace.value(q)) for q in v.asked})


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A class of 14: one student per misconception (10), two right, one blank, one missing."""
    tmp = tmp_path_factory.mktemp("corpus")
    key, subs, vs = course(tmp, 14)
    students = sorted(vs)
    for sid, m in zip(students, MISCONCEPTIONS.values(), strict=False):
        (subs / f"{sid}.ipynb").write_text(mutant(vs[sid], m.rules))
    for sid in students[10:12]:
        (subs / f"{sid}.ipynb").write_text(right(vs[sid]))
    (subs / f"{students[12]}.ipynb").write_text(blank(vs[students[12]]))
    out = tmp / "out"
    outcome = batch.grade_batch(str(key), [str(subs)], str(out), jobs=2)
    return outcome, out


def test_a_graded_corpus_counted_against_its_results_files(graded):
    """The oracle: the verdicts and misconceptions read back from results/<student>.json."""
    outcome, out = graded
    s = outcome.class_summary
    verdicts: dict[str, Counter] = {}
    found: dict[str, set] = {}
    for f in sorted((out / "results").glob("*.json")):
        doc = json.loads(f.read_text())
        if doc["status"] != "graded":
            continue
        for i in doc["items"]:
            verdicts.setdefault(i["id"], Counter())[i["verdict"]] += 1
            if i["misconception"]:
                found.setdefault(i["misconception"], set()).add(doc["student"])
    mine = {q.id: dict(q.tally.counts()) for g in s.groups for q in g.quantities}
    assert mine == {q: {v: c[v] for v in ("correct", "carried-forward", "incorrect", "missing", "invalid")}
                    for q, c in verdicts.items()}
    with open(out / "gradebook.csv", newline="") as fh:
        book = list(csv.DictReader(fh))
    columns = list(book[0])[4:]
    assert sorted(mine) == sorted(columns)  # every asked quantity, each once
    for g in s.groups:  # grouped by kind, in the gradebook's order within a group
        ids = [q.id for q in g.quantities]
        assert ids == sorted(ids, key=columns.index)
    assert {m.id: set(m.students) for m in s.misconceptions} == found
    assert len(found) > 5  # the printed summary used to stop at 5
    assert s.counts == (("graded", 13), ("missing", 1))
    assert sum(b.count for b in s.distribution) == 13
    assert s.mean == pytest.approx(sum(float(r["score"]) for r in book if r["status"] == "graded") / 13)


def test_the_corpus_summary_files_and_text_name_every_misconception(graded):
    outcome, out = graded
    md = (out / "summary.md").read_text()
    data = json.loads((out / "summary.json").read_text())
    assert not (out / "report.html").exists()  # only where asked (backprop grade asks)
    for m in outcome.class_summary.misconceptions:
        n = len(m.students)
        assert f"  {m.id}: {n} student{'s' if n != 1 else ''}\n" in outcome.summary
        assert f"| `{m.id}` | {n} |" in md
    assert [m["id"] for m in data["misconceptions"]] == [m.id for m in outcome.class_summary.misconceptions]
    assert f"Summary:   {out}/summary.md, {out}/summary.json" in outcome.summary
    assert "report.html" not in outcome.summary and "report.html" not in md


def test_check_does_not_import_matplotlib(tmp_path):
    """``backprop check`` of a notebook starts and runs without the charts' library."""
    key, subs, vs = course(tmp_path, 1)
    (nb,) = vs.values()
    (subs / "mine.ipynb").write_text(right(nb))
    code = ("import sys; from grader.cli import cli\n"
            "try:\n    cli(sys.argv[1:])\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
            "print('matplotlib:', 'matplotlib' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code, "check", str(subs / "mine.ipynb")],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "Score: 28 / 28" in done.stdout
    assert done.stdout.strip().endswith("matplotlib: False")


def test_summary_json_has_a_line_per_row():
    """summary.json is summary_data, each field on its line and each element of a list field on
    a line of its own (a table row whole on one line: grep finds it)."""
    s = hand_summary()
    text = summary_json(s)
    assert json.loads(text) == json.loads(json.dumps(summary_data(s)))
    lines = text.splitlines()
    for row in summary_data(s)["table"]:
        (line,) = [x for x in lines if f'"student": {json.dumps(row["student"])}' in x and '"tally"' in x]
        assert json.loads(line.strip().rstrip(",")) == row
    assert lines[0] == "{" and lines[-1] == "}" and text.endswith("}\n")
    assert all(x.startswith((' "', "  ", " ]")) for x in lines[1:-1])


def test_the_summary_records_hash_sees_a_change_in_one_table_line():
    # (summary.record's hash is taken a table line at a time; a line changed alone must change it)
    from grader.batch.summary_files import _digest

    s = hand_summary()
    assert _digest(s, True) == _digest(hand_summary(), True)
    assert _digest(s, True) != _digest(s, False)
    last = s.table[-1]
    changed = dataclasses.replace(s, table=(*s.table[:-1], dataclasses.replace(last, misconceptions=("x",))))
    assert changed.table[:-1] == s.table[:-1]
    assert _digest(changed, True) != _digest(s, True)
    moved = dataclasses.replace(s, table=s.table[::-1])
    assert len(s.table) > 1 and _digest(moved, True) != _digest(s, True)


@pytest.mark.parametrize("page", [True, False])
def test_every_heading_of_summary_md_has_a_blank_line_before_it(page):
    # (the line above "## Status" ended in a template tag that took its newline: no blank line)
    lines = summary_md(hand_summary(), page=page).splitlines()
    headings = [i for i, line in enumerate(lines) if line.startswith("#")]
    assert len(headings) > 5
    assert all(lines[i - 1] == "" for i in headings if i > 0)
