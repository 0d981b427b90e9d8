"""No student can touch another's grade: a file is the student its location names, checked
against its signed metadata; a wrong key is one error; unknown students and copies are flagged."""

from __future__ import annotations

import csv
import json
import os
import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from courses import SECRET, blank, right
from courses import course as make_course

from grader.batch import run as batch
from grader.batch.demo_class import fill
from grader.cli import cli
from grader.family import load_family
from grader.generator import generate_variants
from grader.key import key_document
from grader.render.handout import handout_toml
from grader.render.notebook import notebook_handout
from grader.roster import numbered_roster

ATTACKER, VICTIM = "student01", "student02"


def gradebook(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "gradebook.csv", newline="") as fh:
        return {r["student"]: r for r in csv.DictReader(fh)}


def student_outputs(out: Path, sid: str) -> dict[str, bytes]:
    """Everything OUT holds of one student: their row, results and feedback files."""
    found = {str(p.relative_to(out)): p.read_bytes() for p in [*(out / "results").glob(f"{sid}.*"),
                                                               *(out / "feedback").glob(f"{sid}.*")]}
    found["row"] = json.dumps(gradebook(out)[sid]).encode()
    return found


def age(path: Path, seconds: float = 3600) -> None:
    t = time.time() - seconds
    os.utime(path, (t, t))


def variants(n: int, assignment: str, secret: bytes = SECRET, family: str = "2-2-1-threshold") -> dict:
    made = generate_variants(load_family(family), numbered_roster(n), secret, assignment, 1)
    return {v.student: v for v in made}


def renamed(text: str, student: str) -> str:
    """A notebook whose signed metadata is edited to name ``student`` (signature kept)."""
    nb = json.loads(text)
    nb["metadata"]["backprop"]["student"] = student
    return json.dumps(nb)


def toml_filled(v, values: dict[str, float]) -> str:
    """The variant's TOML handout with ``values`` written into its [answers]."""
    return re.sub(r'^(\w+) = ""', lambda m: f"{m.group(1)} = {values[m.group(1)]!r}", handout_toml(v),
                  flags=re.M)


def exact(v) -> dict[str, float]:
    trace = v.trace()
    return {q: trace.value(q) for q in v.asked}


def grade(key: Path, subs, out: Path, *args: str) -> CliRunner:
    paths = [str(s) for s in (subs if isinstance(subs, list) else [subs])]
    result = CliRunner().invoke(cli, ["grade", str(key), *paths, "--out", str(out), "--jobs", "1", *args])
    return result


# --------------------------------------------------------------------------- impersonation

#: (what the attacker's file holds, the text of student01's file given the variants)
ATTACKS = {
    "classmate's handout": lambda vs: blank(vs[VICTIM]),
    "own problem, classmate's name": lambda vs: renamed(blank(vs[ATTACKER]), VICTIM),
}
#: where a student's file sits, by --id-from
LAYOUTS = {"name": lambda subs, sid: subs / f"{sid}.ipynb",
           "folder": lambda subs, sid: subs / sid / "hw.ipynb"}


@pytest.mark.parametrize("id_from", list(LAYOUTS))
@pytest.mark.parametrize("victim_submitted", [True, False], ids=["victim-submitted", "victim-absent"])
@pytest.mark.parametrize("attack", list(ATTACKS))
def test_impersonation_never_touches_the_victims_row(tmp_path, attack, victim_submitted, id_from):
    """student01 submits a file whose signed metadata says student02 (a copy of student02's
    handout, or student01's own problem with the name edited), newer than student02's real
    file: student02's row is exactly what it is without the attacker, student01's is mismatch."""
    key, subs, vs = make_course(tmp_path, 4)
    where = LAYOUTS[id_from]
    real = where(subs, VICTIM)
    if victim_submitted:
        real.parent.mkdir(exist_ok=True)
        real.write_text(right(vs[VICTIM]))
        age(real)
    clean = tmp_path / "clean"
    assert grade(key, subs, clean, "--id-from", id_from).exit_code == 0
    attacker = where(subs, ATTACKER)
    attacker.parent.mkdir(exist_ok=True)
    attacker.write_text(ATTACKS[attack](vs))  # the newest file of all
    out = tmp_path / "out"
    result = grade(key, subs, out, "--id-from", id_from)
    assert result.exit_code == 0, result.output
    assert student_outputs(out, VICTIM) == student_outputs(clean, VICTIM)
    book = gradebook(out)
    assert book[VICTIM]["status"] == ("graded" if victim_submitted else "missing")
    assert book[ATTACKER]["status"] == "mismatch" and book[ATTACKER]["score"] == "0"
    says = "file name" if id_from == "name" else "folder"
    whose = (f"it is {VICTIM}'s signed handout" if attack == "classmate's handout"
             else f"the problem is {ATTACKER}'s own")
    message = (f"its {says} says '{ATTACKER}' but its signed metadata names '{VICTIM}' ({whose}); "
               f"graded as {ATTACKER} against {ATTACKER}'s problem")
    res = json.loads((out / "results" / f"{ATTACKER}.json").read_text())
    assert (res["status"], res["message"], res["file"]) == ("mismatch", message, str(attacker))
    assert f"{ATTACKER}: mismatch: {message} ({attacker})\n" in result.output
    assert "submitted 2 files" not in result.output
    assert "1 mismatch" in result.output
    feedback = (out / "feedback" / f"{ATTACKER}.md").read_text()
    assert "the name signed into it is another student's" in feedback
    again = grade(key, subs, out, "--id-from", id_from)  # a rerun reuses the flagged entry as it is
    assert "(0 graded now" in again.output and gradebook(out) == book


def test_impersonation_with_a_toml_meta_table(tmp_path):
    """The same through a TOML handout's [meta] student: the victim's row is untouched."""
    key, subs, vs = make_course(tmp_path, 3)
    real = subs / f"{VICTIM}.toml"
    real.write_text(toml_filled(vs[VICTIM], exact(vs[VICTIM])))
    age(real)
    clean = tmp_path / "clean"
    grade(key, subs, clean)
    (subs / f"{ATTACKER}.toml").write_text(toml_filled(vs[VICTIM], {q: 0.0 for q in vs[VICTIM].asked}))
    out = tmp_path / "out"
    result = grade(key, subs, out)
    assert student_outputs(out, VICTIM) == student_outputs(clean, VICTIM)
    assert gradebook(out)[VICTIM]["score"] == gradebook(out)[VICTIM]["max_score"]
    assert gradebook(out)[ATTACKER]["status"] == "mismatch"
    assert f"signed metadata names '{VICTIM}' (it is {VICTIM}'s signed handout)" in result.output


def test_a_classmates_signed_notebook_under_ones_own_name(tmp_path):
    """s006.ipynb holding s005's signed, filled-in notebook: s006 is mismatch (and its answers
    are s005's), s005 is untouched."""
    key, subs, vs = make_course(tmp_path, 6)
    s5, s6 = "student05", "student06"
    (subs / f"{s5}.ipynb").write_text(right(vs[s5]))
    age(subs / f"{s5}.ipynb")
    clean = tmp_path / "clean"
    grade(key, subs, clean)
    (subs / f"{s6}.ipynb").write_text(right(vs[s5]))
    out = tmp_path / "out"
    result = grade(key, subs, out)
    assert student_outputs(out, s5) == student_outputs(clean, s5)
    res = json.loads((out / "results" / f"{s6}.json").read_text())
    assert res["status"] == "mismatch"
    assert res["message"].startswith(f"its file name says '{s6}' but its signed metadata names '{s5}' (it is "
                                     f"{s5}'s signed handout); graded as {s6} against {s6}'s problem; ")
    m = re.search(rf"; its answers match {s5}'s variant better than its own: where the two differ, (\d+) of "
                  rf"(\d+) answers are {s5}'s values at the asked decimals and 0 are {s6}'s$", res["message"])
    assert m and m.group(1) == m.group(2), res["message"]
    assert f"{s6}: mismatch: " in result.output and f"{s5} submitted" not in result.output
    feedback = (out / "feedback" / f"{s6}.md").read_text()  # what was found about the file, not the answers
    assert "signed metadata names" in feedback and "its answers match" not in feedback


# --------------------------------------------------------------------------- wrong key


def test_a_key_of_another_assignment_is_one_clear_error(tmp_path):
    key, subs, _ = make_course(tmp_path, 5)
    for sid, v in variants(5, "hw2").items():  # the same roster and secret, another assignment
        (subs / f"{sid}.ipynb").write_text(right(v))
    out = tmp_path / "out"
    result = grade(key, subs, out)
    assert result.exit_code == 2
    assert result.output == (f"Error: {key} is for assignment 'hw1' but the submissions are for 'hw2'; "
                             "use that assignment's key\n")
    assert not out.exists()  # refused before anything was written


def test_a_key_generated_again_is_one_clear_error(tmp_path):
    """The same assignment generated again with another secret: no submission's signature is in it."""
    key, subs, _ = make_course(tmp_path, 4)
    for sid, v in variants(4, "hw1", secret=b"another secret").items():
        (subs / f"{sid}.ipynb").write_text(right(v))
    result = grade(key, subs, tmp_path / "out")
    assert result.exit_code == 2
    assert result.output == (f"Error: {key} holds none of the submissions' signatures (assignment 'hw1'): "
                             "it was generated again after the handouts went out; use the key they were made "
                             "with\n")


def test_one_stray_file_of_another_assignment_is_that_students_tampered_row(tmp_path):
    key, subs, vs = make_course(tmp_path, 6)
    stray = "student04"
    for sid, v in vs.items():
        (subs / f"{sid}.ipynb").write_text(right(variants(6, "hw2")[sid] if sid == stray else v))
    out = tmp_path / "out"
    result = grade(key, subs, out)
    assert result.exit_code == 0, result.output
    book = gradebook(out)
    assert {s: r["status"] for s, r in book.items()} == {s: ("tampered" if s == stray else "graded")
                                                         for s in vs}
    assert all(r["score"] == r["max_score"] for s, r in book.items() if s != stray)
    assert f"{stray}: tampered: the file is for assignment 'hw2', not this key's 'hw1'\n" in result.output


@pytest.mark.parametrize(("foreign", "refused"), [(1, False), (3, False), (4, True), (6, True)])
def test_the_wrong_key_rule_is_most_signed_files(tmp_path, foreign, refused):
    """More than half of the signed files foreign: refused; half or fewer: graded, each stray
    tampered. Unsigned files (metadata removed) do not count either way."""
    key, subs, vs = make_course(tmp_path, 8)
    other = variants(8, "hw2")
    for i, sid in enumerate(sorted(vs)):
        text = right(other[sid] if i < foreign else vs[sid])
        if i >= 6:  # two files without metadata
            nb = json.loads(text)
            del nb["metadata"]["backprop"]
            text = json.dumps(nb)
        (subs / f"{sid}.ipynb").write_text(text)
    result = grade(key, subs, tmp_path / "out")
    assert result.exit_code == (2 if refused else 0), result.output
    if not refused:
        assert f"Status: {6 - foreign + 2} graded, {foreign} tampered." in result.output


# --------------------------------------------------------------------------- unknown students


def test_files_of_students_not_on_the_roster_are_flagged_and_touch_nobody(tmp_path):
    key, subs, vs = make_course(tmp_path, 4)
    s3 = "student03"
    (subs / f"{s3}.ipynb").write_text(right(vs[s3]))
    age(subs / f"{s3}.ipynb")
    clean = tmp_path / "clean"
    grade(key, subs, clean)
    (subs / "student99.ipynb").write_text(right(vs[s3]))  # a copy of student03's notebook
    nb = json.loads(right(vs["student04"]))
    del nb["metadata"]["backprop"]
    (subs / "notes.ipynb").write_text(json.dumps(nb))  # no metadata at all
    (subs / "student98.toml").write_text(toml_filled(vs["student01"], exact(vs["student01"])).replace(
        'student = "student01"', 'student = "student77"'))
    out = tmp_path / "out"
    result = grade(key, subs, out)
    assert result.exit_code == 0, result.output
    assert student_outputs(out, s3) == student_outputs(clean, s3)
    book = gradebook(out)
    assert list(book) == [*sorted(vs), "notes", "student98", "student99"]  # the roster's rows first
    assert [book[s]["status"] for s in ("student01", "student04")] == ["missing", "missing"]
    assert [book[s]["status"] for s in ("notes", "student98", "student99")] == ["unknown"] * 3
    assert (book["student99"]["score"], book["student99"]["max_score"]) == ("28", "28")
    assert (book["notes"]["score"], book["notes"]["max_score"]) == ("0", "0")
    expected = {
        "student99": "its file name says 'student99', who is not on the key's roster; its metadata names "
                     "'student03' (scored against student03's problem, counted for nobody: rename the file "
                     "or grade with --id-from metadata to count it)",
        "notes": "its file name says 'notes', who is not on the key's roster; it has no backprop metadata; "
                 "not graded",
        "student98": "its file name says 'student98', who is not on the key's roster; its metadata names "
                     "'student77'; not graded",
    }
    for sid, message in expected.items():
        res = json.loads((out / "results" / f"{sid}.json").read_text())
        assert (res["status"], res["message"]) == ("unknown", message)
        assert f"{sid}: unknown: {message} ({res['file']})\n" in result.output
    assert "Status: 1 graded, 3 unknown, 3 missing." in result.output
    assert "Mean score: 28 / 28 (over 1 graded submission)." in result.output
    assert "roster" in (out / "feedback" / "notes.md").read_text()


def test_id_from_metadata_trusts_the_file_and_flags_duplicates(tmp_path):
    """Files named arbitrarily: the metadata decides (documented as trusting the student's file);
    two files naming one student are a duplicate line naming both."""
    key, subs, vs = make_course(tmp_path, 3)
    mine = subs / "Homework 3 (1).ipynb"
    mine.write_text(right(vs["student02"]))
    age(mine)
    out = tmp_path / "out"
    result = grade(key, subs, out, "--id-from", "metadata")
    assert gradebook(out)["student02"]["status"] == "graded"
    assert grade(key, subs, tmp_path / "by-name").output.count(": unknown: ") == 1  # not so by default
    forged = subs / "x.ipynb"
    forged.write_text(blank(vs["student02"]))
    result = grade(key, subs, out, "--id-from", "metadata")
    assert f"student02 submitted 2 files; the one that counts: {forged} (not: {mine})" in result.output


# --------------------------------------------------------------------------- copies


def test_a_classmates_answers_in_ones_own_handout_are_flagged_as_a_copy(tmp_path):
    """student07's own notebook and student05's TOML handout, with student03's exact answers
    (and rounded ones): status copy naming both, score as graded against their own problems."""
    key, subs, vs = make_course(tmp_path, 8)
    source = exact(vs["student03"])
    (subs / "student03.ipynb").write_text(right(vs["student03"]))
    copied = subs / "student07.ipynb"
    copied.write_text(fill(notebook_handout(vs["student07"]), {q: repr(x) for q, x in source.items()}))
    rounded = {q: round(x, 4) for q, x in source.items()}
    (subs / "student05.toml").write_text(toml_filled(vs["student05"], rounded))
    out = tmp_path / "out"
    result = grade(key, subs, out)
    assert result.exit_code == 0, result.output
    book = gradebook(out)
    assert (book["student03"]["status"], book["student07"]["status"], book["student05"]["status"]) == (
        "graded", "copy", "copy")
    for sid in ("student07", "student05"):
        res = json.loads((out / "results" / f"{sid}.json").read_text())
        m = re.fullmatch(rf"its answers match student03's variant better than its own: where the two differ, "
                         rf"(\d+) of (\d+) answers are student03's values at the asked decimals and 0 are "
                         rf"{sid}'s", res["message"])
        assert m and m.group(1) == m.group(2) and int(m.group(1)) > 14, res["message"]
        assert f"{sid}: copy: {res['message']} ({res['file']})\n" in result.output
        # the student is not told whose
        assert "student03" not in (out / "feedback" / f"{sid}.md").read_text()
    check = CliRunner().invoke(cli, ["check", str(copied), "--json"])  # the score: against its own problem
    assert float(book["student07"]["score"]) == json.loads(check.output)["score"]
    assert "1 graded, 2 copy" in result.output


def test_an_honest_class_of_36_is_not_flagged(tmp_path):
    """Right, rounded, worked by hand with rounding, and every misconception worked by hand:
    nobody is a copy, nobody anything but graded."""
    from by_hand import hand_worked

    from grader.rules import CORRECT, MISCONCEPTIONS

    key, subs, vs = make_course(tmp_path, 36)
    kinds = ["exact", "rounded", "by hand", *MISCONCEPTIONS]
    for i, (sid, v) in enumerate(sorted(vs.items())):
        kind = kinds[i % len(kinds)]
        if kind == "exact":
            values = exact(v)
        elif kind == "rounded":
            values = {q: round(x, 4) for q, x in exact(v).items()}
        else:
            values = hand_worked(v, MISCONCEPTIONS[kind].rules if kind in MISCONCEPTIONS else CORRECT)
        (subs / f"{sid}.ipynb").write_text(fill(notebook_handout(v), {q: repr(values[q]) for q in v.asked}))
    outcome = batch.grade_batch(str(key), [str(subs)], str(tmp_path / "out"), jobs=1)
    assert {r.status for r in outcome.rows} == {"graded"}
    assert "copy" not in outcome.summary


# --------------------------------------------------------------------------- the demo


def test_the_demo_gives_the_readmes_session(tmp_path, monkeypatch):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    session = readme.split("$ backprop demo --out dm\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["demo", "--out", "dm", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert result.output == session


FAMILIES = ("chain", "chain3", "2-2-1", "2-2-1-threshold", "2-2-2-bias", "xor", "2-2-2-1")


@pytest.mark.parametrize("family", FAMILIES)
def test_copy_detection_in_every_family_flags_every_copy_and_no_honest_work(tmp_path, family):
    """30 students of each built-in family: every student's honest answers (exact, rounded,
    worked by hand with rounding, each misconception worked by hand) are no copy; every
    classmate's exact or rounded answers typed into one's own handout are, naming that classmate,
    and so are at least 95% of the classmates' answers worked by hand (rounding carried along)."""
    from by_hand import hand_worked

    from grader.batch.copies import CopyIndex
    from grader.key import load_key
    from grader.rules import CORRECT, MISCONCEPTIONS

    vs = variants(30, "hw1", family=family)
    fam = load_family(family)
    path = tmp_path / "key.json"
    path.write_text(json.dumps(key_document(list(vs.values()), fam, "hw1")))
    index = CopyIndex(load_key(path))
    honest = by_hand = 0
    for sid, v in vs.items():
        d = v.instance.rounding
        for rules in (CORRECT, *(m.rules for m in MISCONCEPTIONS.values())):
            for values in (hand_worked(v, rules, rounded=False), hand_worked(v, rules)):
                assert index.find(sid, {q: values[q] for q in v.asked}) is None, (sid, rules)
                honest += 1
        for other, w in vs.items():
            if other == sid:
                continue
            theirs = exact(w)
            for values in (theirs, {q: round(x, d) for q, x in theirs.items()}):
                found = index.find(sid, values)
                assert found is not None, (sid, other)
                assert (found.source, found.matches, found.own) == (other, len(v.asked), 0), (sid, other)
                assert found.theirs == found.differ >= 3
            found = index.find(sid, {q: x for q, x in hand_worked(w).items() if q in w.asked})
            assert found is None or found.source == other
            by_hand += found is not None
    assert honest == 30 * 2 * (1 + len(MISCONCEPTIONS))
    assert by_hand >= 0.95 * 30 * 29


def test_a_file_given_by_its_bare_name_is_its_folders_with_id_from_folder(tmp_path, monkeypatch):
    key, subs, vs = make_course(tmp_path, 2)
    (subs / "student02").mkdir()
    (subs / "student02" / "hw.ipynb").write_text(right(vs["student02"]))
    monkeypatch.chdir(subs / "student02")
    result = grade(key, [Path("hw.ipynb")], tmp_path / "out", "--id-from", "folder")
    assert result.exit_code == 0, result.output
    assert gradebook(tmp_path / "out")["student02"]["status"] == "graded"


def test_a_misconception_that_happens_to_give_a_classmates_numbers_is_no_copy(tmp_path):
    """Two variants of 2-2-1 that differ in x1's weights and in x2 (2 against 1), alpha 2: the
    missing-alpha misconception on the first gives 4 of the second's values among the 6 where
    they differ. The grader explains those answers by the misconception, so they are no evidence:
    the student is graded, not flagged (without that rule they would be)."""
    from by_hand import hand_worked

    from grader.batch.copies import CopyIndex
    from grader.generator import Variant
    from grader.key import load_key
    from grader.rules import MISCONCEPTIONS
    from grader.solver import solve
    from grader.validation import instance_from_dict

    def variant(student: str, w1: float, x2: float) -> Variant:
        instance = instance_from_dict({
            "alpha": 2.0, "bias": "none", "decimals": 4, "inputs": ["x1", "x2"],
            "layers": [["A", "B"], ["C"]],
            "weights": {"x1_A": w1, "x2_A": -0.5, "x1_B": w1, "x2_B": -0.5, "A_C": 0.5, "B_C": 1.0},
            "samples": [{"inputs": {"x1": 1.0, "x2": x2}, "desired": {"C": 1.0}}]})
        return Variant(student, "hw1", "2-2-1", instance, tuple(solve(instance).ids), f"sig-{student}")

    vs = {"s1": variant("s1", 2.0, 2.0), "s2": variant("s2", 1.5, 1.0)}
    key = tmp_path / "key.json"
    key.write_text(json.dumps(key_document(list(vs.values()), load_family("2-2-1"), "hw1")))
    values = hand_worked(vs["s1"], MISCONCEPTIONS["missing-alpha"].rules)
    assert CopyIndex(load_key(key)).find("s1", values) is not None  # the coincidence, taken alone
    subs = tmp_path / "subs"
    subs.mkdir()
    filled = fill(notebook_handout(vs["s1"]), {q: repr(values[q]) for q in vs["s1"].asked})
    (subs / "s1.ipynb").write_text(filled)
    outcome = batch.grade_batch(str(key), [str(subs)], str(tmp_path / "out"), jobs=1)
    assert [(r.student, r.status) for r in outcome.rows] == [("s1", "graded"), ("s2", "missing")]
    assert "missing-alpha" in outcome.rows[0].misconceptions


def test_a_name_that_differs_from_a_roster_id_only_in_case_is_that_students(tmp_path):
    """STUDENT02.ipynb is student02's row (on a case-insensitive disk its outputs would be
    written over student02's anyway), never an unknown row beside it."""
    key, subs, vs = make_course(tmp_path, 2)
    (subs / "STUDENT02.ipynb").write_text(right(vs["student02"]))
    out = tmp_path / "out"
    assert grade(key, subs, out).exit_code == 0
    statuses = {s: r["status"] for s, r in gradebook(out).items()}
    assert statuses == {"student01": "missing", "student02": "graded"}


def test_the_wrong_key_check_reads_a_spread_sample_of_a_large_batch(tmp_path):
    """Over 25 files, 25 spread evenly over the batch are read: all foreign is refused; a
    foreign second half (12 of the 25 read) is not, and nothing past the sample is read."""
    from grader.batch.identity import KEY_SAMPLE, WrongKey, check_key
    from grader.key import load_key

    key_path, _, vs = make_course(tmp_path, 2)
    key = load_key(key_path)
    ours = {"assignment": "hw1", "signature": vs["student01"].signature}
    theirs = {"assignment": "hw9", "signature": "f" * 64}
    files = [f"s{i:03d}.ipynb" for i in range(100)]
    read: list[str] = []

    def meta(foreign_from: int):
        return lambda path: read.append(path) or (theirs if int(path[1:4]) >= foreign_from else ours)

    with pytest.raises(WrongKey, match="is for assignment 'hw1' but the submissions are for 'hw9'"):
        check_key(key, str(key_path), files, meta(0))
    assert len(read) == KEY_SAMPLE == 25 and read[:3] == ["s000.ipynb", "s004.ipynb", "s008.ipynb"]
    check_key(key, str(key_path), files, meta(50))  # 12 of the 25 read are foreign: graded
    with pytest.raises(WrongKey):
        check_key(key, str(key_path), files, meta(48))  # 13 of 25


@pytest.mark.parametrize(("name", "students", "expected"), [
    ("student01.ipynb", None, "student01"),
    ("student01.v2.ipynb", {"student01"}, "student01"),
    ("jane.doe@uni.example.ipynb", {"jane.doe@uni.example"}, "jane.doe@uni.example"),
    ("jane.doe@uni.example.v2.toml", {"jane.doe@uni.example"}, "jane.doe@uni.example"),
    ("jane.doe@uni.example.ipynb", {"jane"}, "jane"),
    ("a.b.ipynb", {"a", "a.b"}, "a.b"),  # (the longest that is an id)
    ("jane.doe@uni.example.ipynb", set(), "jane"),  # (on nobody's row: named as before)
    ("jane.doe@uni.example.ipynb", None, "jane"),
    ("x.ipynb", {"x.ipynb"}, "x"),  # (never the whole name with its suffix)
    ("90000001 (1).toml", {"90000001"}, "90000001"),  # (a browser's second download of the handout)
    ("jane.doe@uni.example (2).ipynb", {"jane.doe@uni.example"}, "jane.doe@uni.example"),
    ("90000001 (1).toml", {"90000001 (1)", "90000001"}, "90000001 (1)"),  # (an id as it is, first)
    ("90000001 (1).toml", set(), "90000001 (1)"),  # (on nobody's row: named as it is)
    ("90000001(1).toml", {"90000001"}, "90000001(1)"),
])
def test_a_file_names_the_longest_of_its_dotted_parts_that_is_a_key_id(name, students, expected):
    from grader.batch.identity import name_student

    assert name_student(name, students) == expected


def test_a_handout_saved_twice_by_a_browser_is_its_students(tmp_path):
    # (a student downloads the handout again: the browser names it "student02 (1).ipynb")
    key, subs, vs = make_course(tmp_path, 3)
    ids = sorted(vs)
    (subs / f"{ids[0]}.ipynb").write_text(right(vs[ids[0]]))
    (subs / f"{ids[1]} (1).ipynb").write_text(right(vs[ids[1]]))
    (subs / f"{ids[2]} (1).ipynb").write_text(right(vs[ids[0]]))  # (a classmate's, saved so: a mismatch)
    outcome = batch.grade_batch(str(key), [str(subs)], str(tmp_path / "out"), jobs=1)
    status = {r.student: r.status for r in outcome.rows}
    assert status == {ids[0]: "graded", ids[1]: "graded", ids[2]: "mismatch"}
