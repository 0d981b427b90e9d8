"""A third attack on the batch grader (6 December, afternoon), each a test that failed before its
mend: a classmate's later file under a victim's name taking the victim's row, an email id in
another case, new lines in what a flagged row's message quotes, a Gradescope yml of any size,
and what a student writes in a notebook or an answer to gain points or cost a classmate theirs."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from courses import blank, right
from courses import course as small_course
from downloads import gradebook

from grader.cli import cli


def _grade(key, *args, out) -> str:
    result = CliRunner().invoke(cli, ["grade", str(key), *map(str, args), "--out", str(out), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    return result.output


def _later(path: Path, seconds: int) -> None:
    """Make ``path`` ``seconds`` newer than now (a file handed in later)."""
    t = time.time() + seconds
    os.utime(path, (t, t))


def _no_metadata(text: str) -> str:
    nb = json.loads(text)
    nb["metadata"].pop("backprop")
    return json.dumps(nb)


def _named(text: str, student: object) -> str:
    nb = json.loads(text)
    nb["metadata"]["backprop"]["student"] = student
    return json.dumps(nb)


# --------------------------------------------------------------------------- 1. newest file wins

#: what a classmate hands in later under the victim's name: their own handout, one that names
#: nobody, one with no metadata, one that cannot be read
DISPLACERS = {
    "classmate-s-handout": lambda v, w: blank(w),
    "names-nobody": lambda v, w: _named(blank(v), None),
    "no-metadata": lambda v, w: _no_metadata(blank(v)),
    "unreadable": lambda v, w: "{not a notebook",
}


@pytest.mark.parametrize("how", DISPLACERS)
@pytest.mark.parametrize("id_from", ["name", "folder"])
def test_a_later_file_that_is_not_signed_as_the_student_s_does_not_displace_theirs(tmp_path, how, id_from):
    """A classmate who drops (or emails) a later ``student01.v2.ipynb`` whose metadata names
    someone else (or no one, or that has none, or is no notebook) took student01's row as
    ``mismatch`` (or an error), and student01's own signed, graded notebook became an older
    duplicate. The file whose signed metadata is the row's student's wins, whatever the times;
    the other is still listed, as a duplicate naming both files."""
    key, subs, vs = small_course(tmp_path, 3)
    victim, attacker = vs["student01"], vs["student02"]
    where = (lambda name: subs / name) if id_from == "name" else (lambda name: subs / "student01" / name)
    (subs / "student01").mkdir()
    own = where("student01.ipynb")
    own.write_text(right(victim))
    bad = where("student01.v2.ipynb" if id_from == "name" else "hw.ipynb")
    bad.write_text(DISPLACERS[how](victim, attacker))
    _later(bad, 60)
    out = tmp_path / "out"
    printed = _grade(key, subs, "--id-from", id_from, out=out)
    assert gradebook(out)["student01"] == ("graded", "28"), printed
    summary = json.loads((out / "summary.json").read_text())
    (dup,) = summary["duplicates"]
    assert (dup["student"], dup["count"], dup["used"].endswith(own.name), len(dup["others"])) == (
        "student01", 2, True, 1)
    assert dup["others"][0].endswith(bad.name)
    assert f"student01 submitted 2 files; the one that counts: {own}" in printed
    # a rerun with nothing changed changes nothing
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and ".cache" not in p.parts}
    again = _grade(key, subs, "--id-from", id_from, out=out)
    assert "0 graded now, 2 unchanged" in again
    assert before == {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and ".cache" not in p.parts}


def test_among_files_signed_as_the_student_s_the_newest_still_counts(tmp_path):
    key, subs, vs = small_course(tmp_path, 2)
    (subs / "student01.ipynb").write_text(right(vs["student01"]))
    later = subs / "student01.v2.ipynb"
    later.write_text(blank(vs["student01"]))
    _later(later, 60)
    out = tmp_path / "out"
    _grade(key, subs, out=out)
    assert gradebook(out)["student01"] == ("graded", "0")


def test_the_signed_file_wins_also_when_graded_by_separate_runs(tmp_path):
    """The victim's file graded first; the classmate's added later, in a run that reuses the
    victim's entry from the journal (and a run killed before its journal was indexed)."""
    key, subs, vs = small_course(tmp_path, 2)
    (subs / "student01.ipynb").write_text(right(vs["student01"]))
    out = tmp_path / "out"
    _grade(key, subs, out=out)
    bad = subs / "student01.v2.ipynb"
    bad.write_text(blank(vs["student02"]))
    _later(bad, 60)
    _grade(key, subs, out=out)
    assert gradebook(out)["student01"] == ("graded", "28")
    (out / ".cache" / "journal.index").unlink()  # (as a run killed before it wrote the index leaves it)
    (out / ".cache" / "rerun.json").unlink(missing_ok=True)
    _grade(key, subs, out=out)
    assert gradebook(out)["student01"] == ("graded", "28")
    assert json.loads((out / "results" / "student01.json").read_text())["status"] == "graded"


# --------------------------------------------------------------------------- 2. ids in another case


def _email_course(tmp_path: Path, ids: tuple[str, ...]):
    from courses import SECRET

    from grader.family import load_family
    from grader.generator import Student, generate_variants
    from grader.key import key_document

    family = load_family("2-2-1-threshold")
    variants = generate_variants(family, tuple(Student(i) for i in ids), SECRET, "hw1", 1)
    key = tmp_path / "key.json"
    key.write_text(json.dumps(key_document(variants, family, "hw1")))
    subs = tmp_path / "subs"
    subs.mkdir()
    return key, subs, {v.student: v for v in variants}


def test_an_email_id_in_another_case_is_the_student_s(tmp_path):
    """``Jane.Doe@Uni.example.ipynb`` against the key's ``jane.doe@uni.example`` was unknown (its
    name's dotted prefixes were matched in their case, then only the part up to the first dot
    folded), where ``STUDENT02.ipynb`` is student02's."""
    key, subs, vs = _email_course(tmp_path, ("jane.doe@uni.example", "kim@uni.example"))
    (subs / "Jane.Doe@Uni.example.ipynb").write_text(right(vs["jane.doe@uni.example"]))
    (subs / "KIM@uni.example (1).ipynb").write_text(right(vs["kim@uni.example"]))
    out = tmp_path / "out"
    _grade(key, subs, out=out)
    book = gradebook(out)
    assert book == {"jane.doe@uni.example": ("graded", "28"), "kim@uni.example": ("graded", "28")}


def test_two_ids_that_differ_only_in_case_are_never_mixed_up(tmp_path):
    """Two key ids that fold alike: a file named exactly as one is that one's; a file in a third
    case is neither's, and its row says why."""
    key, subs, vs = _email_course(tmp_path, ("jd@uni.example", "JD@uni.example"))
    (subs / "JD@uni.example.ipynb").write_text(right(vs["JD@uni.example"]))
    (subs / "Jd@uni.example.ipynb").write_text(right(vs["jd@uni.example"]))
    out = tmp_path / "out"
    printed = _grade(key, subs, out=out)
    book = gradebook(out)
    assert book["JD@uni.example"] == ("graded", "28") and book["jd@uni.example"] == ("missing", "0")
    assert book["Jd@uni.example"][0] == "unknown"
    message = json.loads((out / "results" / "Jd@uni.example.json").read_text())["message"]
    assert "differs only in case from 'JD@uni.example' and 'jd@uni.example'" in message, printed


# --------------------------------------------------------------------------- 3. one line each


def test_nothing_a_student_names_prints_a_line_of_its_own(tmp_path):
    """A file's name is the student's: in a flagged row's message (an error quotes its path) and in
    the line of a student's several files it printed lines of its own under grade's summary."""
    key, subs, vs = small_course(tmp_path, 3)
    (subs / "student01.ipynb").write_text(right(vs["student01"]))
    later = subs / "student01.x\nStatus: 9 graded.\u2028y.ipynb"
    later.write_text(blank(vs["student01"]))
    _later(later, 60)
    (subs / "student02.\nStatus: 8 graded.ipynb").write_text("")
    (subs / "student03.\nStatus: 7 graded.ipynb").write_text(right(vs["student02"]))
    out = tmp_path / "out"
    printed = _grade(key, subs, out=out)
    lines = printed.splitlines()
    status = [x for x in lines if x.startswith("Status: ")]
    assert status == ["Status: 1 graded, 1 mismatch, 1 error."], printed
    assert not any("\u2028" in x for x in lines)
    assert "student01.x\\nStatus: 9 graded.\\u2028y.ipynb" in printed
    assert "student02.\\nStatus: 8 graded.ipynb" in printed
    assert "student03.\\nStatus: 7 graded.ipynb" in printed


# --------------------------------------------------------------------------- 4. a yml's size


def test_a_gradescope_yml_over_the_cap_is_one_error_naming_it_and_the_cap(tmp_path):
    """A yml of 50 MB took 27 s and 2.3 GB to read (PyYAML builds all of it); 10,000 submitters
    with their earlier submissions are about 4.5 MB. Over the cap: one line, before any reading."""
    from test_gradescope_download import _course as gradescope_course
    from test_gradescope_download import _yml

    from grader.batch import gradescope_names

    METADATA_MOST = getattr(gradescope_names, "METADATA_MOST", 16 << 20)  # noqa: N806
    key, export, v = gradescope_course(tmp_path)
    yml = _yml({"submission_1": ["s001"]})
    with open(export / "submission_metadata.yml", "w") as fh:
        fh.write(yml)
        fh.write(("# " + "x" * 1000 + "\n") * (METADATA_MOST // 1000 + 1))
    (export / "submission_1").mkdir()
    (export / "submission_1" / "nb.ipynb").write_text(right(v["s001"]))
    result = CliRunner().invoke(cli, ["grade", str(key), str(export), "--out", str(tmp_path / "out"),
                                      "--id-from", "gradescope", "--jobs", "1"])
    assert result.exit_code == 2
    cap = METADATA_MOST // (1024 * 1024)
    assert result.output == (f"Error: {export / 'submission_metadata.yml'}: is {cap} MB; Gradescope "
                             f"submission_metadata.yml files over {cap} MB are not read (10,000 submissions "
                             "with their history are about 5 MB: give the export's own)\n")


# --------------------------------------------------------------------------- carried-forward credit


def _forward(v, overrides: dict[str, float]) -> dict[str, float]:
    """Every quantity of ``v`` computed from the ones before it, with ``overrides`` written in
    place of what they compute (a student's made-up values, and what follows from them)."""
    from grader.solver import givens

    trace = v.trace()
    values = dict(givens(v.instance))
    for q in trace.quantities:
        values[q.id] = overrides[q.id] if q.id in overrides else q.recompute(values)
    return values


def _check(tmp_path: Path, v, values: dict[str, float]) -> dict:
    from grader.batch.demo_class import fill
    from grader.render.notebook import notebook_handout

    d = v.instance.rounding
    nb = tmp_path / "x.ipynb"
    nb.write_text(fill(notebook_handout(v), {q: f"{values[q]:.{d}f}" for q in v.asked}))
    result = CliRunner().invoke(cli, ["check", str(nb), "--json"])
    return json.loads(result.output)


@pytest.mark.parametrize("slip", [{"o_C": 0.9999}, {"o_C": 0.999}, {"p_C": 7.0}, {"p_C": 9.5}],
                         ids=["o-0.9999", "o-0.999", "p-7", "p-9.5"])
def test_an_output_made_up_as_its_target_earns_nothing_on_the_zeros_it_makes(tmp_path, slip):
    """The output o_C made up next to its target (d_C = 1: 0.999, or p_C = 7) and the rest worked
    from it: delta_C = o (1 - o) (d - o) rounds to 0, and with it every delta and dw, and every new
    weight is the old one. The backward pass was zeros and copied weights, and earned 27 of 28
    (o (1 - o) is 0.001, so the slip was not 'flattening'). It is now: the items it makes free
    earn nothing, as after an output whose o (1 - o) rounds to 0."""
    key, subs, vs = small_course(tmp_path, 1)
    v = vs["student01"]
    assert dict(v.instance.samples[0].desired)["C"] == 1.0  # (the slip's target)
    report = _check(tmp_path, v, _forward(v, slip))
    by = {i["id"]: i for i in report["items"]}
    assert abs(by["delta_C"]["given"]) < 1e-4 and by["delta_C"]["verdict"] != "correct"
    free = [q for q in by if q.startswith(("delta", "dw", "new_w"))]
    assert [q for q in free if by[q]["verdict"] == "carried-forward"] == []
    assert report["score"] <= 6, report["score"]


@pytest.mark.parametrize("slip", [0.0001, -0.0001])
def test_a_made_up_tiny_delta_earns_nothing_on_the_zeros_it_makes(tmp_path, slip):
    """delta_C made up tiny, not 0 (0.0001 where it is 0.0706): every hidden delta and dw is then
    0 and every hidden weight unchanged, which earned 27 of 28 (only a delta of 0 itself was a
    flattening slip). A step that a slip makes free (a delta or dw of 0, an unchanged weight)
    where the right one is not earns nothing: a delta or dw made a hundred times smaller than the
    student's own numbers give is a flattening slip (a factor of 10 is an honest one); so is every
    dw or weight change it leaves about 0 (a hundred times smaller than the right one)."""
    key, subs, vs = small_course(tmp_path, 1)
    v = vs["student01"]
    report = _check(tmp_path, v, _forward(v, {"delta_C": slip}))
    by = {i["id"]: i for i in report["items"]}
    hidden = [q for q in by if q.startswith(("delta_A", "delta_B", "dw_", "new_w_"))
              and q.endswith(("_A", "_B"))]
    assert len(hidden) == 14
    assert [q for q in hidden if by[q]["verdict"] != "incorrect"] == []
    assert "makes the rest trivial" in by["dw_x1_A"]["message"]
    # dw_A_C = alpha * o_A * 0.0001, written 0.0001, is a hundred times smaller than the right one
    # too: about 0, made free (tests/test_fair_slips.py: two such deltas in 2-2-2-bias)
    assert by["dw_A_C"]["verdict"] == "incorrect"
    assert report["score"] <= 14, report["score"]


def test_a_made_up_output_far_from_its_target_still_carries_credit_forward(tmp_path):
    """(an honest slip in o_C: the backward pass still takes work, and earns its credit)"""
    key, subs, vs = small_course(tmp_path, 1)
    v = vs["student01"]
    report = _check(tmp_path, v, _forward(v, {"o_C": 0.9}))
    assert report["score"] == 27


# --------------------------------------------------------------------------- what an answer says


def test_an_answer_of_thousands_of_digits_says_so(tmp_path):
    """``p_A = 999...9`` (5,000 digits) was 'has a syntax error; write a number' (Python reads no
    integer of more than 4,300 digits, and says so as a syntax error): it is a number."""
    key, subs, vs = small_course(tmp_path, 1)
    v = vs["student01"]
    report = _check(tmp_path, v, {**_forward(v, {}), "p_A": 0.0})
    nb = tmp_path / "x.ipynb"
    nb.write_text(nb.read_text().replace("p_A = 0.0000", "p_A = " + "9" * 5000))
    report = json.loads(CliRunner().invoke(cli, ["check", str(nb), "--json"]).output)
    item = next(i for i in report["items"] if i["id"] == "p_A")
    assert item["verdict"] == "invalid"
    assert item["message"].startswith("your answer has a number of thousands of digits (code cell ")
    assert item["message"].endswith("); write an ordinary number such as 0.5")
