"""The generator: reproducible, distinct, checked variants of every built-in family."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest

from grader import checks
from grader.cli import cli
from grader.family import builtin_family_ids, family_from_dict, load_family
from grader.generator import (
    Drbg,
    Student,
    canonical,
    draw_instance,
    draw_variant,
    generate_variants,
    rejection,
    sign,
)
from grader.handed_out import problem_digest
from grader.rules import MISCONCEPTIONS
from grader.solver import solve
from grader.tolerance import tolerances
from grader.validation import instance_from_dict

SECRET = b"0123456789abcdef-test-secret"
FAMILIES = builtin_family_ids()


def test_builtin_families_are_the_contracts_ids():
    assert set(FAMILIES) == {"chain", "chain3", "2-2-1", "2-2-1-threshold", "2-2-2-bias", "xor", "2-2-2-1"}


def test_drbg_is_a_fixed_function_of_its_seed():
    """Pinned outputs: a change here changes every student's variant, on every machine."""
    rng = Drbg(b"seed")
    assert [rng.below(10) for _ in range(8)] == [rng2 for rng2 in _pinned_draws()]


def _pinned_draws() -> list[int]:
    # computed once from the definition (SHA-256 counter mode, 8-byte big-endian words,
    # rejection sampling) and pinned: see test_drbg_matches_its_definition
    import hashlib

    out, counter, buf = [], 0, b""
    while len(out) < 8:
        while len(buf) < 8:
            buf += hashlib.sha256(b"seed" + counter.to_bytes(8, "big")).digest()
            counter += 1
        x, buf = int.from_bytes(buf[:8], "big"), buf[8:]
        limit = (1 << 64) - ((1 << 64) % 10)
        if x < limit:
            out.append(x % 10)
    return out


def test_drbg_below_is_roughly_uniform():
    rng = Drbg(b"uniform")
    counts = [0] * 7
    for _ in range(7000):
        counts[rng.below(7)] += 1
    assert all(850 < c < 1150 for c in counts), counts


@pytest.mark.parametrize("family_id", FAMILIES)
def test_every_family_gives_distinct_checked_variants(family_id):
    family = load_family(family_id)
    variants = generate_variants(family, [f"s{i}" for i in range(12)], SECRET, "hw1")
    assert len({canonical(v.instance) for v in variants}) == 12
    for v in variants:
        reason, trace, asked = rejection(family, v.instance)
        assert reason is None, reason
        assert asked == v.asked
        for q in trace.quantities:
            if q.kind == "o":
                assert 0.05 <= q.value <= 0.95


def test_same_secret_and_roster_give_the_same_bytes(runner, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name,email\nann,Ann A,ann@x.org\nbob,Bob B,bob@x.org\n")
    secret = tmp_path / "secret.txt"
    outs = []
    for run in ("a", "b"):
        result = runner.invoke(cli, ["generate", "2-2-2-bias", "--roster", str(roster), "--assignment", "hw2",
                                     "--secret-file", str(secret), "--out", str(tmp_path / run)])
        assert result.exit_code == 0, result.output
        outs.append({p.relative_to(tmp_path / run): p.read_bytes()
                     for p in sorted((tmp_path / run).rglob("*")) if p.is_file()})
    assert outs[0] == outs[1]
    assert Path("handouts/ann.toml") in outs[0] and Path("solutions/bob.md") in outs[0]


def test_another_secret_or_assignment_gives_other_variants():
    family = load_family("2-2-1")
    base = draw_variant(family, SECRET, "hw1", "ann")
    assert canonical(draw_variant(family, SECRET + b"x", "hw1", "ann").instance) != canonical(base.instance)
    assert canonical(draw_variant(family, SECRET, "hw2", "ann").instance) != canonical(base.instance)


def test_the_secret_file_is_created_readable_only_by_its_owner(runner, tmp_path):
    secret = tmp_path / "keys" / "secret.txt"
    result = runner.invoke(cli, ["generate", "chain", "--count", "2", "--secret-file", str(secret),
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(os.stat(secret).st_mode) == 0o600
    assert len(secret.read_text().strip()) == 64


def test_count_names_students_and_writes_every_file(runner, tmp_path, config_home):
    result = runner.invoke(cli, ["generate", "chain", "--count", "3", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "handouts").iterdir())
    assert names == [f"student0{i}.{ext}" for i in (1, 2, 3) for ext in ("md", "svg", "toml")]
    key = json.loads((tmp_path / "key.json").read_text())
    assert sorted(key["students"]) == ["student01", "student02", "student03"]
    entry = key["students"]["student02"]
    inst = instance_from_dict(entry["instance"])
    secret = (config_home / "backprop" / "secret").read_text().strip().encode()  # the default secret
    assert entry["signature"] == sign(secret, "hw", "student02", inst)
    trace = solve(inst)
    assert entry["answers"] == {qid: trace[qid].value for qid in entry["asked"]}
    assert (tmp_path / "solutions" / "student02.md").read_text().startswith("# Worked solution: student02")


def _numbers_in(text: str) -> set[str]:
    return set(re.findall(r"-?\d+\.\d{3,}", text))


@pytest.mark.parametrize("family_id", FAMILIES)
def test_no_handout_contains_any_answer(runner, tmp_path, family_id):
    """Every computed value, at any rounding from 2 to 8 places, is absent from the handouts."""
    result = runner.invoke(cli, ["generate", family_id, "--count", "3", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    key = json.loads((tmp_path / "key.json").read_text())
    for sid, entry in key["students"].items():
        trace = solve(instance_from_dict(entry["instance"]))
        givens = {round(v, 8) for v in dict(trace.givens).values()}
        secret_values = [q.value for q in trace.quantities if round(q.value, 8) not in givens]
        for ext in ("toml", "md"):
            text = (tmp_path / "handouts" / f"{sid}.{ext}").read_text()
            found = _numbers_in(text)
            for value in secret_values:
                for places in range(2, 9):
                    shown = f"{value:.{places}f}"
                    if len(shown.split(".")[1].rstrip("0")) >= 2:
                        assert shown not in found, f"{sid}.{ext} shows {shown}"
            toml_answers = text.split("\n[answers]\n")[1] if ext == "toml" else ""
            assert re.findall(r'= "[^"]', toml_answers) == []


def test_handout_toml_is_valid_and_lists_every_asked_id(runner, tmp_path):
    import tomllib

    runner.invoke(cli, ["generate", "xor", "--count", "1", "--out", str(tmp_path)])
    data = tomllib.loads((tmp_path / "handouts" / "student01.toml").read_text())
    key = json.loads((tmp_path / "key.json").read_text())["students"]["student01"]
    assert list(data["answers"]) == key["asked"]
    assert set(data["answers"].values()) == {""}
    assert instance_from_dict(data["instance"]).to_dict() == key["instance"]
    assert data["meta"] == {"assignment": "hw", "student": "student01", "family": "xor",
                            "signature": key["signature"],
                            "problem_digest": problem_digest(instance_from_dict(key["instance"]))}
    # xor asks o, delta and new_w of all four steps
    assert "new_w_bias_C_step4" in data["answers"] and "dw_A_C" not in data["answers"]


# ---------------------------------------------------------------- rejection rules, one by one


def _inst(weights, x=1.0, d=1.0, alpha=0.5, decimals=4):
    return instance_from_dict({
        "alpha": alpha, "decimals": decimals, "inputs": ["x1"], "layers": [["A"], ["B"]],
        "weights": weights, "samples": [{"inputs": {"x1": x}, "desired": {"B": d}}],
    })


def test_saturated_outputs_are_rejected():
    # p_A = 4 * 1 = 4, o_A = 1/(1+e^-4) = 0.9820 > 0.95
    trace = solve(_inst({"x1_A": 4.0, "A_B": 1.0}))
    assert checks.saturation(trace, 0.05, 0.95) == "saturated: o_A = 0.9820 is outside [0.05, 0.95]"
    assert checks.saturation(solve(_inst({"x1_A": 1.0, "A_B": 1.0})), 0.05, 0.95) is None


def test_quantities_too_small_for_the_rounding_are_rejected():
    # alpha = 0.01: dw_x1_A = 0.01 * 1 * delta_A = 0.01 * 0.014015 = 1.4e-4 < 10^-3
    trace = solve(_inst({"x1_A": 1.0, "A_B": 1.0}, alpha=0.01))
    asked = trace.ids
    assert checks.too_small(trace, asked, 4) == (
        "too small: dw_x1_A = 1.40e-04 has fewer than two significant digits at 4 decimals")
    # exact zeros (an input of 0) are not too small: they are free answers (checks.free_answers)
    zero = solve(_inst({"x1_A": 1.0, "A_B": 1.0}, x=0.0, alpha=2.0))
    assert zero["dw_x1_A"].value == 0.0
    assert checks.too_small(zero, ("dw_x1_A",), 4) is None


def test_misconceptions_that_change_nothing_visible_are_rejected():
    # alpha = 1: dw without alpha is the same number, so missing-alpha would be invisible
    trace = solve(_inst({"x1_A": 1.0, "A_B": 1.0}, alpha=1.0))
    reason = checks.undetectable(trace, trace.ids, tolerances(trace), 4)
    assert reason == "undetectable: missing-alpha changes no asked quantity (e.g. alpha = 1)"


def test_a_misconception_within_the_tolerance_is_rejected():
    # at 1 decimal place the tolerance dwarfs the updated-weights change of delta_A
    trace = solve(_inst({"x1_A": 1.0, "A_B": 1.0}, alpha=2.0, decimals=1))
    reason = checks.undetectable(trace, trace.ids, tolerances(trace, 1), 1)
    assert reason is not None and reason.startswith("undetectable: ")


def test_misconceptions_not_used_by_the_net_are_not_required():
    # chain: no bias and no neuron with two downstream neurons
    trace = solve(_inst({"x1_A": 1.0, "A_B": 1.0}, alpha=2.0))
    assert checks.changes(trace, MISCONCEPTIONS["bias-input"], trace.ids) == {}
    assert checks.changes(trace, MISCONCEPTIONS["missing-sum"], trace.ids) == {}
    assert checks.undetectable(trace, trace.ids, tolerances(trace), 4) is None


def test_duplicates_are_redrawn():
    family = load_family("chain")
    first = draw_variant(family, SECRET, "hw", "ann")
    taken = {canonical(first.instance)}
    again = draw_variant(family, SECRET, "hw", "ann", taken)
    assert canonical(again.instance) != canonical(first.instance)
    assert again.redraws > first.redraws


def test_an_impossible_family_fails_with_a_clear_message(runner, tmp_path):
    problems = tmp_path / "problems"
    problems.mkdir()
    (problems / "hot.toml").write_text(
        'inputs = ["x1"]\nlayers = [["A"]]\n[values]\nweights = [5.0]\ninputs = [1.0]\n'
        '[constraints]\nmax_draws = 50\n'
    )
    result = runner.invoke(cli, ["generate", "hot", "--problems", str(problems), "--count", "1",
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.output == (
        f"Error: family hot: no variant for student01 passed the checks in 50 draws (50 saturated); "
        f"widen the value grids in {problems / 'hot.toml'} or relax [constraints]\n"
    )


def test_draws_use_only_the_grids():
    family = load_family("2-2-2-bias")
    rng = Drbg(b"grid")
    for _ in range(50):
        inst = draw_instance(family, rng)
        assert set(inst.weights.values()) <= set(family.grids.weights)
        assert inst.alpha in family.grids.alpha
        assert all(v in family.grids.inputs for s in inst.samples for _, v in s.inputs)


def test_family_files_are_validated():
    with pytest.raises(Exception, match="ask: unknown kind 'q'"):
        family_from_dict({"inputs": ["x1"], "layers": [["A"]], "ask": ["q"]}, "f.toml", "f")


# ---------------------------------------------------------------- rosters


@pytest.mark.parametrize(
    "csv_text, message",
    [
        ("name,email\nAnn,a@x\n",
         "no student id column; name one column 'id', 'student_id', 'Student ID', 'SID', 'SIS User ID' "
         "in the header row (or give the roster as Canvas, Gradescope or Moodle export it)"),
        ("id,name\nann,Ann\nann,Ann again\n",
         "row 3: student id 'ann' is already on row 2; ids must be unique"),
        ("id\n../evil\n",
         "row 2: student id '../evil' cannot be a file name; use letters, digits and . _ @ + -"),
        ("id,name\n,Nobody\n", "row 2: the 'id' column is empty; every student needs an id"),
        ("id\n", "has a header row but no students"),
        ("", "is empty; give a CSV with a header row (id,name,email) and a row per student"),
    ],
    ids=["no-id-column", "duplicate", "unsafe-id", "empty-id", "no-rows", "empty-file"],
)
def test_bad_rosters_give_one_line(runner, tmp_path, csv_text, message):
    roster = tmp_path / "roster.csv"
    roster.write_text(csv_text)
    result = runner.invoke(cli, ["generate", "chain", "--roster", str(roster), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert result.output == f"Error: {roster}: {message}\n"


def test_roster_id_column_preference(tmp_path):
    from grader.roster import read_roster

    roster = tmp_path / "canvas.csv"
    roster.write_text("\ufeffStudent,ID,SIS User ID,email\nAnn,1,s-001,ann@x\n")
    # a Canvas export: the SIS User ID is the id, Student the name
    assert read_roster(roster) == (Student("s-001", "Ann", "ann@x"),)


@pytest.mark.parametrize(
    "args, message",
    [
        (["chain", "--out", "o"], "give exactly one of --roster CSV or --count N"),
        (["chain", "--out", "o", "--count", "2", "--format", "toml,docx"],
         "--format: unknown format 'docx'; choose from toml, md, ipynb, pdf (comma-separated)"),
        (["nope", "--out", "o", "--count", "2"],
         "unknown family 'nope'; the families are chain, chain3, 2-2-1, 2-2-1-threshold, 2-2-2-bias, xor, "
         "2-2-2-1 (see: backprop families)"),
        (["chain", "--out", "o", "--count", "0"], "--count must be 1 or more, not 0"),
    ],
    ids=["no-roster", "bad-format", "unknown-family", "zero-count"],
)
def test_bad_generate_usage(runner, tmp_path, args, message):
    args = [str(tmp_path / a) if a == "o" else a for a in args]
    result = runner.invoke(cli, ["generate", *args])
    assert result.exit_code == 2
    assert result.output == f"Error: {message}\n"


def test_families_lists_every_builtin_family(runner):
    result = runner.invoke(cli, ["families"])
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.output.splitlines()] == list(FAMILIES)


# ---------------------------------------------------------------- the checks against a reference


def _reference_undetectable(trace, asked, tols, decimals):
    """The straightforward check: every misconception's changed asked quantities recomputed
    with a new Recomputer, recursively, from the exact asked values, and compared with the
    right band plus the band of the mutant's step (grader.tolerance)."""
    from grader.recompute import Recomputer
    from grader.tolerance import band, given_stands_for, tolerances, unit

    bands = tolerances(trace, decimals, asked)
    u = unit(decimals)
    for m in MISCONCEPTIONS.values():
        ids = checks.changed_ids(trace.instance, m, asked)
        mutant = Recomputer(trace.instance, m.rules)
        exact = {qid: trace[qid].value for qid in asked}
        if not ids:
            continue
        shown = False
        for qid in ids:
            wrong = mutant.value(qid, exact)
            diff = abs(wrong - trace[qid].value)
            if diff < 1e-12:
                continue
            op, args = mutant.op_args(qid)
            values = dict(mutant.args_of(qid, exact))
            stands = [given_stands_for(values[a], decimals) if a in mutant.givens
                      else (u if a in asked else bands.get(a, 2 * u)) for a in args]
            limit = tols[qid] + band(op, [values[a] for a in args], stands, decimals)
            if diff <= limit:
                return f"undetectable: {m.id} moves {qid} by {diff:.2e}, within {limit:.2e}"
            shown = True
        if not shown:
            return f"undetectable: {m.id} changes no asked quantity (e.g. alpha = 1)"
    return None


@pytest.mark.parametrize("family_id", FAMILIES)
def test_undetectable_and_changes_match_the_straightforward_reference(family_id):
    """Raw draws (most are rejected for some reason), each family asking its own kinds, every
    kind and fewer kinds (more quantities recomputed through ones not asked), at the family's
    rounding and a coarser one: the same verdicts, reasons and mistaken values, to the bit."""
    from grader.generator import asked_ids
    from grader.recompute import Recomputer

    family = load_family(family_id)
    rng = Drbg(f"reference-{family_id}".encode())
    verdicts = set()
    for _ in range(60):
        inst = draw_instance(family, rng)
        trace = solve(inst)
        for asked in (asked_ids(trace, family), trace.ids,
                      tuple(q.id for q in trace.quantities if q.kind in ("o", "new_w"))):
            for decimals in (inst.rounding, 1):
                tols = tolerances(trace, decimals)
                expected = _reference_undetectable(trace, asked, tols, decimals)
                assert checks.undetectable(trace, asked, tols, decimals) == expected
                verdicts.add(expected.split(" ")[1] if expected else None)
            exact = {qid: trace[qid].value for qid in asked}
            for m in MISCONCEPTIONS.values():
                mutant = Recomputer(inst, m.rules)
                want = {qid: mutant.value(qid, exact) for qid in checks.changed_ids(inst, m, asked)}
                assert checks.changes(trace, m, asked) == want  # the same floats, to the bit
    assert None in verdicts and len(verdicts) > 1  # some pass, some are rejected


def test_rejections_match_the_reference_for_every_draw_of_a_roster():
    """The generator's own path (rejection(), with the tolerances kept on the trace): every
    draw of 25 students' seeds, passed or rejected, gets the reference's reason."""
    from grader.generator import asked_ids, student_seed

    for family_id in ("xor", "2-2-2-bias", "2-2-2-1"):
        family = load_family(family_id)
        for n in range(25):
            rng = Drbg(student_seed(SECRET, family.id, "hw1", f"s{n}"))
            while True:
                inst = draw_instance(family, rng)
                reason, trace, asked = rejection(family, inst)
                assert asked == asked_ids(trace, family)
                c = family.constraints
                expected = (checks.saturation(trace, c.min_output, c.max_output)
                            or checks.too_small(trace, asked, inst.rounding)
                            or checks.free_answers(trace, asked)
                            or _reference_undetectable(trace, asked, tolerances(trace, inst.rounding, asked),
                                                       inst.rounding))
                assert (reason.message if reason else None) == expected
                assert reason is None or expected.startswith(reason.kind + ": ")
                if reason is None:
                    break


@pytest.mark.parametrize("family_id", FAMILIES)
def test_draws_make_the_instance_that_validating_the_drawn_data_makes(family_id):
    """draw_instance validates a family's first draw and builds the later ones directly: the
    same instances (and the same types, which == does not see: 1 == 1.0) as validating each."""
    from grader import generator

    family = load_family(family_id)
    rng, ref = Drbg(b"build"), Drbg(b"build")
    for _ in range(200):
        inst = draw_instance(family, rng)
        g = family.grids
        weights = {key: ref.choice(g.weights) for key in family.connections}
        samples = [{"inputs": dict(i), "desired": dict(d)} for i, d in family.fixed_samples] or [
            {"inputs": {n: ref.choice(g.inputs) for n in family.inputs},
             "desired": {n: ref.choice(g.desired) for n in family.layers[-1]}}
            for _ in range(family.sample_count)
        ]
        data = {"alpha": ref.choice(g.alpha), "bias": family.bias, "update_bias": family.update_bias,
                "epochs": family.epochs, "decimals": family.decimals, "inputs": list(family.inputs),
                "layers": [list(layer) for layer in family.layers], "weights": weights, "samples": samples}
        expected = instance_from_dict(data)
        assert inst == expected and repr(inst) == repr(expected)
        assert canonical(inst) == canonical(expected)
    assert generator._BUILDERS[id(family)][1] is not None  # the fast way was taken


def test_a_family_whose_draws_fail_validation_fails_on_every_draw():
    family = family_from_dict({"inputs": ["x1"], "layers": [["A"]], "values": {"alpha": [0.5, -1.0]}},
                              "f.toml", "f")
    rng = Drbg(b"negative alpha")
    messages = set()
    for _ in range(40):
        try:
            draw_instance(family, rng)
        except Exception as exc:  # noqa: BLE001 - the message is what is checked
            messages.add(str(exc))
    assert messages == {"family f: alpha: must be positive (the learning rate), not -1.0"}


# ---------------------------------------------------------------- faster paths, same results


def test_a_pickled_variant_leaves_its_trace_behind_and_solves_it_again():
    import pickle

    v = draw_variant(load_family("xor"), SECRET, "hw1", Student("ann", "Ann", "a@x"))
    assert "exact" in v.__dict__
    data = pickle.dumps(v)
    assert len(data) < 5000  # the instance and the ids, not some 280 quantities
    back = pickle.loads(data)
    assert "exact" not in back.__dict__
    assert back == v and back.trace() == v.trace() and back.trace().quantities == v.trace().quantities


@pytest.mark.parametrize("family_id", ["xor", "2-2-2-bias", "chain"])
def test_the_key_from_per_student_entries_is_the_key_in_one_piece(family_id):
    """The entries made where each variant is drawn (key_entry), put together, are the key of
    all the variants; and a key read back and written again is the same text."""
    from grader.key import key_document, key_entry, key_text

    family = load_family(family_id)
    roster = [Student("ann", "Ann Ångström", "ann@x.org"), Student('b"o\\b', "Bob \u2603", ""),
              Student("cy", "", "")]
    variants = generate_variants(family, roster, SECRET, "hw-é")
    entries = {v.student: key_entry(v) for v in variants}
    text = key_text(key_document((), family, "hw-é", entries))
    assert text == json.dumps(key_document(variants, family, "hw-é"), indent=1) + "\n"
    assert key_text(json.loads(text)) == text
    bob = variants[1]
    assert json.loads(text)["students"]['b"o\\b']["answers"] == {q: bob.trace()[q].value for q in bob.asked}


def _reference_worked_steps(trace, d, tex, text):
    """worked_steps as it was: a line() per quantity, step by step."""
    from grader.render import numbers
    from grader.render.worked import SECTION_ORDER, Section, Step, _section_of, line

    inst = trace.instance
    steps = []
    for k in range(1, inst.steps + 1):
        grouped = {title: [] for title in SECTION_ORDER}
        for q in trace.step(k):
            grouped[_section_of(q, inst)].append(line(q, d, tex, text))
        sample = inst.sample_of_step(k)
        steps.append(Step(number=k, inputs=tuple((n, numbers.fmt(v, d)) for n, v in sample.inputs),
                          desired=tuple((n, numbers.fmt(v, d)) for n, v in sample.desired),
                          sections=tuple(Section(t, tuple(ls)) for t, ls in grouped.items() if ls)))
    return tuple(steps)


@pytest.mark.parametrize("family_id", FAMILIES)
def test_worked_steps_are_the_lines_of_each_quantity(family_id):
    from grader.render.worked import worked_steps
    from grader.rules import CORRECT

    family = load_family(family_id)
    variants = generate_variants(family, [f"s{i}" for i in range(6)], SECRET, "hw1")
    for v in variants:
        for trace in (v.trace(), solve(v.instance, MISCONCEPTIONS["bias-input"].rules)):
            for d in (2, 6):
                for tex, text in ((True, True), (False, True), (True, False)):
                    expected = _reference_worked_steps(trace, d, tex, text)
                    assert worked_steps(trace, d, tex=tex, text=text) == expected
        assert v.trace().rules == CORRECT


def test_worked_steps_of_an_instance_with_integer_values():
    """Given values that are ints (an Instance made directly, not validated): no float memo."""
    from dataclasses import replace

    from grader.model import Connection
    from grader.render.worked import worked_steps

    inst = _inst({"x1_A": 1.0, "A_B": -1.0}, alpha=2.0)
    inst = replace(inst, alpha=2, connections=tuple(Connection(c.source, c.target, int(c.weight))
                                                    for c in inst.connections))
    trace = solve(inst)
    assert worked_steps(trace, 4) == _reference_worked_steps(trace, 4, True, True)


@pytest.mark.parametrize("family_id", ["xor", "2-2-2-bias", "2-2-2-1"])
def test_handout_steps_are_the_asked_quantities_of_the_trace(family_id):
    from grader.render.handout import context, describe
    from grader.render.math import latex_name

    family = load_family(family_id)
    for v in generate_variants(family, [f"s{i}" for i in range(3)], SECRET, "hw1"):
        by_step = {}
        for q in v.trace().quantities:
            if q.id in v.asked:
                by_step.setdefault(q.step, []).append(
                    {"id": q.id, "tex": latex_name(q.id), "text": describe(q.id, q.kind, q.subject)})
        expected = [{"number": k, "items": items} for k, items in sorted(by_step.items())]
        steps = context(v)["steps"]
        assert steps == expected


def test_generate_in_parallel_writes_the_same_files(runner, tmp_path):
    """Over 100 students the variants are drawn and rendered by worker processes, written
    by this one, and the key is put together from the workers' entries: the same bytes as
    one process makes (and the key readable by its owner only)."""
    secret = tmp_path / "secret.txt"
    outs = []
    for jobs in ("1", "2"):
        result = runner.invoke(cli, ["generate", "chain", "--count", "120", "--jobs", jobs,
                                     "--secret-file", str(secret), "--out", str(tmp_path / jobs)])
        assert result.exit_code == 0, result.output
        outs.append({p.relative_to(tmp_path / jobs): p.read_bytes()
                     for p in sorted((tmp_path / jobs).rglob("*")) if p.is_file()})
        assert stat.S_IMODE(os.stat(tmp_path / jobs / "key.json").st_mode) == 0o600
    # handout .toml, .md and .svg, solution .md and .svg; the key; the checker (its wheel and line)
    assert len(outs[0]) == 5 * 120 + 1 + 2
    assert outs[0] == outs[1]


def test_a_family_that_fails_for_one_student_writes_nothing(runner, tmp_path):
    """Variants are drawn and written as they come, but files are moved into place only
    once every student has one: a failure leaves no file and no folder behind."""
    problems = tmp_path / "problems"
    problems.mkdir()
    # one draw each: a weight of 4 saturates o_A, the others pass (one alpha: a student's
    # variant alone is their variant in the class, whose alphas are dealt out over the roster)
    (problems / "some.toml").write_text(
        'inputs = ["x1"]\nlayers = [["A"], ["B"]]\nask = ["o", "delta", "new_w"]\n'
        '[values]\nweights = [4.0, -2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0]\ninputs = [1.0]\n'
        'alpha = [2.0]\n'
        '[constraints]\nmax_draws = 1\n'
    )
    family = load_family("some", problems)
    passing, failing, seen = [], [], set()
    for n in range(2000):
        try:
            text = canonical(draw_variant(family, SECRET, "hw", f"s{n}").instance)
        except Exception:  # noqa: BLE001 - a student the family fails for
            failing.append(f"s{n}")
            continue
        if text not in seen:  # distinct variants: nobody is drawn again
            seen.add(text)
            passing.append(f"s{n}")
    assert len(passing) >= 119 and failing
    roster = tmp_path / "roster.csv"
    roster.write_text("id\n" + "\n".join(passing[:119] + failing[:1]) + "\n")
    secret = tmp_path / "secret.txt"
    secret.write_bytes(SECRET)
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}"
        result = runner.invoke(cli, ["generate", "some", "--problems", str(problems), "--roster", str(roster),
                                     "--secret-file", str(secret), "--out", str(out), "--jobs", jobs])
        assert result.exit_code == 2, result.output
        assert result.output.startswith(
            f"Error: family some: no variant for {failing[0]} passed the checks in 1 draws")
        assert not out.exists()
