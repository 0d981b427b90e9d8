"""``backprop check`` through CliRunner: exit status, exact messages, JSON, colour, and a
corpus of malformed answer files (built here in code) that must each give one line and no
traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import cli
from grader.family import load_family
from grader.generator import draw_variant
from grader.render.handout import handout_toml
from grader.solver import solve

INSTANCE = """\
[instance]
alpha = 1.0
inputs = ["x1"]
layers = [["A"], ["B"]]
[instance.weights]
x1_A = 1.0
A_B = 1.0
[[instance.samples]]
inputs = { x1 = 1.0 }
desired = { B = 1.0 }
"""


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, path: Path, *args: str):
    return runner.invoke(cli, ["check", str(path), *args], env={"NO_COLOR": None})


def filled(text: str, values: dict[str, object]) -> str:
    """The handout ``text`` with ``[answers]`` filled in from ``values``."""
    out = []
    for line in text.splitlines():
        key = line.split("=")[0].strip()
        if key in values and line.lstrip().startswith(key) and '""' in line:
            line = f"{key} = {json.dumps(values[key]) if isinstance(values[key], str) else values[key]!r}"
        out.append(line)
    return "\n".join(out) + "\n"


@pytest.fixture
def handout(tmp_path: Path):
    """A generated handout of the 2-2-1-threshold family, and its exact values."""
    variant = draw_variant(load_family("2-2-1-threshold"), b"cli-secret", "hw1", "alice")
    text = handout_toml(variant)
    exact = {q.id: q.value for q in solve(variant.instance)}
    return tmp_path, text, exact, variant


def test_all_correct_exits_0(runner, handout):
    tmp, text, exact, variant = handout
    path = tmp / "alice.toml"
    path.write_text(filled(text, {k: round(exact[k], 4) for k in variant.asked}))
    result = run(runner, path)
    assert result.exit_code == 0, result.output
    n = len(variant.asked)
    assert f"Score: {n} / {n}  ({n} correct)" in result.output
    assert "\x1b[" not in result.output  # not a terminal: no colour


def test_wrong_answers_exit_1_and_hide_expected(runner, handout):
    tmp, text, exact, variant = handout
    values = {k: round(exact[k], 4) for k in variant.asked}
    values["delta_C"] = round(-exact["delta_C"], 4)  # sign-flip
    del values["P"]
    path = tmp / "alice.toml"
    path.write_text(filled(text, values))
    result = run(runner, path)
    assert result.exit_code == 1
    assert "  delta_C       incorrect       sign-flip\n" in result.output
    assert "  P             missing\n" in result.output
    assert "delta_C: the final-layer delta used (o - d) instead of (d - o)." in result.output
    assert f"{abs(exact['delta_C']):.4f}"[:-1] not in result.output.replace(f"{values['delta_C']}", "")

    data = json.loads(run(runner, path, "--json").output)
    assert set(data) == {"score", "max_score", "items", "warnings"}
    item = next(i for i in data["items"] if i["id"] == "delta_C")
    assert item == {
        "id": "delta_C", "verdict": "incorrect", "points": 0, "max_points": 1,
        "given": values["delta_C"], "misconception": "sign-flip",
        "message": item["message"],
    }
    assert data["score"] == data["max_score"] - 2
    secret = tmp / "secret"  # (--reveal on a signed handout is for its instructor: tests/test_reveal.py)
    secret.write_text("cli-secret\n")
    revealed = json.loads(run(runner, path, "--json", "--reveal", "--secret", str(secret)).output)
    assert next(i for i in revealed["items"] if i["id"] == "delta_C")["expected"] == exact["delta_C"]

    md = run(runner, path, "--format", "md")
    assert md.exit_code == 1
    assert md.output.startswith("# Feedback for alice\n")
    assert "### `delta_C`: incorrect (sign-flip)" in md.output
    assert "(with your numbers)" in md.output


def test_ecf_credit_option(runner, handout):
    tmp, text, exact, variant = handout
    values = {k: round(exact[k], 4) for k in variant.asked}
    values["delta_C"] = round(-exact["delta_C"], 4)
    trace = solve(variant.instance)
    v = dict(trace.givens)
    for q in trace.quantities:  # consistent later work from the wrong delta_C
        v[q.id] = values["delta_C"] if q.id == "delta_C" else round(q.recompute(v), 4)
    values = {k: v[k] for k in variant.asked}
    path = tmp / "alice.toml"
    path.write_text(filled(text, values))
    full = json.loads(run(runner, path, "--json").output)
    half = json.loads(run(runner, path, "--json", "--ecf-credit", "0.5").output)
    n_cf = sum(i["verdict"] == "carried-forward" for i in full["items"])
    assert n_cf > 0
    assert full["score"] == full["max_score"] - 1
    assert half["score"] == pytest.approx(full["score"] - 0.5 * n_cf)
    bad = run(runner, path, "--ecf-credit", "2")
    assert bad.exit_code == 2
    assert "Error: Invalid value for '--ecf-credit': 2.0 is not in the range 0.0<=x<=1.0." in bad.output


def test_colour_on_a_terminal_only(handout):
    from grader.render.feedback import use_colour

    assert use_colour(True, {}) is True
    assert use_colour(False, {}) is False
    assert use_colour(True, {"NO_COLOR": "1"}) is False


def test_output_file(runner, handout):
    tmp, text, exact, variant = handout
    path = tmp / "alice.toml"
    path.write_text(text)
    out = tmp / "feedback.md"
    result = run(runner, path, "--format", "md", "-o", str(out))
    assert result.exit_code == 1 and result.output == ""
    assert out.read_text().startswith("# Feedback for alice")


def test_help_has_an_example(runner):
    result = runner.invoke(cli, ["check", "--help"])
    assert result.exit_code == 0
    assert "backprop check alice.toml" in result.output


# --------------------------------------------------------------------------- malformed corpus

A = "[answers]\n"
#: name -> (file content, exit status, exact output); ``{f}`` is the file's path
CORPUS: dict[str, tuple[bytes | str, int, str]] = {
    "empty": ("", 2, "Error: {f}: is empty; write the TOML in it\n"),
    "whitespace only": ("  \n\n", 2, "Error: {f}: is empty; write the TOML in it\n"),
    "binary garbage": (b"\x00\x01\x02\xffgarbage", 2,
                       "Error: {f}: is a binary file, not text; give the .toml (or .json) file\n"),
    "not utf-8": (b"\xff\xfe bad", 2, "Error: {f}: is not UTF-8 text (line 1, byte 0); save it as UTF-8\n"),
    "broken toml": ("[answers\np_A = 1\n", 2,
                    "Error: {f}: is not valid TOML: "
                    "Expected ']' at the end of a table declaration (at line 1, column 9)\n"),
    "duplicate key": (INSTANCE + A + "p_A = 1.0\np_A = 2.0\n", 2,
                      "Error: {f}: is not valid TOML: line 13: p_A is given twice (first on line 12); "
                      "keep one\n"),
    "answers not a table": ("answers = 3\n" + INSTANCE, 2,
                            "Error: {f}: answers must be a table ([answers]) of id = number, "
                            "not a single value\n"),
    "answers a list": ("answers = [1, 2]\n" + INSTANCE, 2,
                       "Error: {f}: answers must be a table ([answers]) of id = number, not a list\n"),
    "missing instance": (A + "p_A = 1.0\n", 2,
                         "Error: {f}: has no [instance] table; check the handout file you were given\n"),
    "missing answers": (INSTANCE, 2,
                        "Error: {f}: has no [answers] table; add one with a line id = number per answer\n"),
    "instance not a table": ("instance = 3\n" + A, 2,
                             "Error: {f}: instance: the instance must be a table of keys "
                             "(alpha, inputs, layers, weights, samples)\n"),
    "bad instance": ("[instance]\nalpha = -1\n" + A, 2,
                     "Error: {f}: instance.alpha: must be positive (the learning rate), not -1\n"),
    "meta not a table": ("meta = 3\n" + INSTANCE + A, 2,
                         "Error: {f}: meta must be a table ([meta]), not a single value\n"),
    "misspelt table": ("[anwsers]\np_A = 1\n" + INSTANCE, 2,
                       "Error: {f}: unknown table [anwsers] (did you mean 'answers'?); "
                       "an answer file has [meta], [instance] and [answers]\n"),
}

#: name -> (the [answers] lines, the exact report lines expected in the output)
ANSWER_CORPUS: dict[str, tuple[str, list[str]]] = {
    "nan": ("p_A = nan\n", ["  p_A: your answer is not a number (NaN)"]),
    "nan string": ('p_A = "nan"\n', ["  p_A: your answer is not a number (NaN)"]),
    "infinity": ("p_A = inf\n", ["  p_A: your answer is too large (more than 1e12 in size)"]),
    "huge number": ("p_A = 1e300\n", ["  p_A: your answer is too large (more than 1e12 in size)"]),
    "huge power": ('p_A = "10**99"\n', ["  p_A: your answer is too large (more than 1e12 in size)"]),
    "huge exponent": ('p_A = "2**1000"\n',
                      ["  p_A: your answer has an exponent too large (1000; at most 100)"]),
    "boolean": ("p_A = true\n", ["  p_A: your answer is a boolean (true), not a number"]),
    "list": ("p_A = [1, 2]\n", ["  p_A: your answer is a list, not a number"]),
    "table": ("p_A = { x = 1 }\n", ["  p_A: your answer is a table, not a number"]),
    "date": ("p_A = 2024-01-01\n", ["  p_A: your answer is a date, not a number"]),
    "code": ('p_A = "__import__(\'os\').system(\'ls\')"\n',
             ["  p_A: your answer uses __import__('os').system(), a function an answer cannot call; write "
              "a number or an arithmetic expression (exp, log, sqrt and round may be used)"]),
    "unknown name": ('p_A = "foo + 1"\n', ["  p_A: your answer: unknown name 'foo'"]),
    "complex": ('p_A = "1j"\n', ["  p_A: your answer is a complex number"]),
    "word": ('p_A = "one"\n', ["  p_A: your answer: unknown name 'one'"]),
    "syntax": ('p_A = "1 +"\n', ["  p_A: your answer is not a number or an arithmetic expression: '1 +'"]),
    "too long": ('p_A = "' + "1+" * 150 + '1"\n',
                 ["  p_A: your answer is too long (301 characters; at most 200)"]),
    "divide by zero": ('p_A = "1/0"\n', ["  p_A: your answer divides by zero"]),
    "caret": ('p_A = "2^3"\n',
              ["  p_A: your answer uses the operator ^, which is not allowed (use ** for powers)"]),
    "unknown id": ("p_a = 1.0\nP = -0.1\n", [
        "Warnings:", "  'p_a' is not a quantity of this problem (did you mean 'p_A'?); it was not graded"]),
}


@pytest.mark.parametrize("name", list(CORPUS))
def test_malformed_file(runner, tmp_path, name):
    content, status, expected = CORPUS[name]
    path = tmp_path / "sub.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    result = run(runner, path)
    assert (result.exit_code, result.output) == (status, expected.format(f=path))
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("name", list(ANSWER_CORPUS))
def test_malformed_answer(runner, tmp_path, name):
    lines, expected = ANSWER_CORPUS[name]
    path = tmp_path / "sub.toml"
    path.write_text(INSTANCE + A + lines)
    result = run(runner, path)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    out = result.output.splitlines()
    for line in expected:
        assert line in out, result.output


def test_corpus_is_big_enough():
    assert len(CORPUS) + len(ANSWER_CORPUS) >= 20


def test_missing_file_and_folder(runner, tmp_path):
    result = run(runner, tmp_path / "nope.toml")
    assert (result.exit_code, result.output) == (2, f"Error: {tmp_path / 'nope.toml'}: no such file\n")
    result = run(runner, tmp_path)
    assert (result.exit_code, result.output) == (2, f"Error: {tmp_path}: is a folder; give a file\n")


# --------------------------------------------------------------------------- no tracebacks

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30),
    st.sampled_from(["1/4", "exp(-1)", "1e999", "nan", "x1*w_x1_A", "o_A", "2**99", "-(" * 40]),
)
_value = st.recursive(_leaf,
                      lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
                      max_leaves=6)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["p_A", "o_A", "p_B", "o_B", "delta_B", "P", "new_w_A_B", "zz", ""]),
                       _value, max_size=6),
       st.floats(min_value=0, max_value=1))
def test_any_answers_table_grades_without_traceback(table, credit):
    """Does any [answers] table give a report (or one BackpropError), never another exception?"""
    import tomllib

    from grader.answers import submission_from_data
    from grader.errors import BackpropError
    from grader.grading import grade
    from grader.render.feedback import report_markdown, report_terminal

    data = {"instance": tomllib.loads(INSTANCE)["instance"], "answers": table}
    try:
        sub = submission_from_data(data, "sub.toml")
    except BackpropError:
        return
    report = grade(sub.instance, sub.answers, asked=sub.asked, ecf_credit=credit, unknown=sub.unknown)
    assert 0 <= report.score <= report.max_score
    json.dumps(report.to_json(reveal=True), allow_nan=False)
    report_terminal(report, color=True)
    report_markdown(report, reveal=True)


@pytest.mark.parametrize("raw, shown", [(float("inf"), "inf"), (float("-inf"), "-inf"), (float("nan"), "nan"),
                                        (10**40, str(10**40))])
def test_unreadable_numbers_stay_valid_json(raw, shown):
    from grader.answers import read_answer

    answer = read_answer("p_A", raw)
    assert answer.invalid and answer.given == shown
    json.dumps(answer.given, allow_nan=False)


FAMILIES = sorted((Path(__file__).resolve().parent.parent / "problems").glob("*.toml"))


@pytest.mark.parametrize("family", FAMILIES, ids=lambda p: p.stem)
@pytest.mark.parametrize("verb", ["solve", "check"])
def test_a_family_file_given_as_an_instance_says_what_it_is(runner, family, verb):
    # (an instructor trying `backprop solve problems/xor.toml` got "title: unknown key")
    result = runner.invoke(cli, [verb, str(family)])
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {family}: is a problem family (the ranges each student's")
    assert len(result.output.splitlines()) == 1
    assert ("backprop generate FAMILY.toml --count 1" in result.output) == (verb == "solve")
