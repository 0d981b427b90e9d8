"""Is the problem in a handout still the one handed out?

``generate`` writes a public digest of every handout's problem beside its signature
(``[meta] problem_digest`` in the TOML, ``metadata.backprop.problem_digest`` in the notebook).
``backprop check`` and the notebook's self-check compare the file's problem with it and, when
they differ, say first that the numbers were changed after the handout was handed out, that
grading uses the numbers handed out, and how to get them back (exit status 1). A notebook's
cell of given values is compared with its problem too, naming the variable. A handout without
a digest (from before) checks as it always did; the key, the signatures and grading do not
change.
"""

from __future__ import annotations

import json
import re
import tomllib

import pytest
import test_notebook_selfcheck as with_kernel
from click.testing import CliRunner

from grader.batch.demo_class import _tampered, fill
from grader.cli import cli
from grader.family import load_family
from grader.generator import draw_variant, sign
from grader.handed_out import DIGEST_FIELD, changed_givens, digest_mismatch, problem_digest
from grader.notebooks.read import load_notebook
from grader.render.handout import handout_toml
from grader.render.notebook import notebook_handout
from grader.selfcheck import report as selfcheck_report
from grader.solver import givens, solve
from grader.validation import instance_from_dict

#: a kernel spec for this Python in a temporary JUPYTER_PATH (the notebook tests' fixture)
kernel = with_kernel.kernel
SECRET = b"handed-out test secret"
DIGEST_RE = re.compile(r"sha256:[0-9a-f]{64}\Z")
#: the first line of check's notice about a problem edited after it was handed out
EDITED_TOML = ("Warning: the numbers of the problem in this file were changed after it was handed out "
               "([instance] no longer matches [meta] problem_digest).")
EDITED_NOTEBOOK = ("Warning: the numbers of the problem in this notebook were changed after it was handed "
                   "out (its metadata no longer matches its problem_digest).")
CONSEQUENCE = ("Grading uses the numbers handed out, so answers worked out for the changed numbers will be "
               "marked wrong:")


@pytest.fixture(scope="module")
def v():
    return draw_variant(load_family("2-2-1-threshold"), SECRET, "hw1", "alice")


def run(*args: str):
    return CliRunner().invoke(cli, ["check", *map(str, args)], env={"NO_COLOR": None})


def fill_toml(text: str, values: dict[str, float]) -> str:
    return re.sub(r'^([A-Za-z_][A-Za-z0-9_]*) = ""', lambda m: f"{m.group(1)} = {values[m.group(1)]!r}"
                  if m.group(1) in values else m.group(0), text, flags=re.M)


def right(instance, asked) -> dict[str, float]:
    """Every asked answer of ``instance``, rounded to its decimals (right for that problem)."""
    trace = solve(instance)
    return {q: round(trace.value(q), instance.rounding) for q in asked}


def without_digest(text: str) -> str:
    """The TOML handout as generate wrote it before the digest (the line left out)."""
    return re.sub(r"^problem_digest = .*\n", "", text, flags=re.M)


def edit_weight(text: str, key: str, value: float) -> str:
    """The TOML handout with ``[instance.weights] key`` set to ``value``."""
    edited, n = re.subn(rf"^{key} = .*$", f"{key} = {value!r}", text, count=1, flags=re.M)
    assert n == 1
    return edited


# --------------------------------------------------------------------------- the digest


def test_every_handout_carries_the_digest_of_its_problem(v):
    """Do the TOML and the notebook of one variant carry the same digest, that of the problem
    each holds (and of the variant's), beside an unchanged signature?"""
    toml = tomllib.loads(handout_toml(v))
    nb = json.loads(notebook_handout(v))["metadata"]["backprop"]
    assert DIGEST_FIELD == "problem_digest"
    assert DIGEST_RE.match(toml["meta"]["problem_digest"])
    assert toml["meta"]["problem_digest"] == nb["problem_digest"] == problem_digest(v.instance)
    in_toml, in_nb = instance_from_dict(toml["instance"]), instance_from_dict(nb["instance"])
    assert problem_digest(in_toml) == problem_digest(in_nb)
    assert toml["meta"]["signature"] == nb["signature"] == v.signature
    assert v.signature == sign(SECRET, "hw1", "alice", v.instance)
    assert list(toml["meta"]) == ["assignment", "student", "family", "signature", "problem_digest"]


def _respelled(value):
    """``value`` with whole floats written as ints (``1`` for ``1.0``) and every table's keys in
    reverse order."""
    if isinstance(value, dict):
        return {k: _respelled(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_respelled(x) for x in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def test_the_digest_does_not_depend_on_spelling_or_key_order(v):
    data = v.instance.to_dict()
    respelled = _respelled(data)
    assert respelled != data or json.dumps(respelled) != json.dumps(data)
    assert problem_digest(instance_from_dict(respelled)) == problem_digest(v.instance)
    # TOML with 1 for 1.0, a different layout, and an explicit default (epochs = 1): the same problem
    toml = handout_toml(v)
    loose = re.sub(r"(?<=[=\[,] )(-?\d+)\.0\b", r"\1", toml).replace(" = ", "   =   ")
    assert loose != toml
    assert (problem_digest(instance_from_dict(tomllib.loads(loose)["instance"]))
            == tomllib.loads(toml)["meta"]["problem_digest"])
    # JSON (a notebook's metadata) and TOML of the same numbers
    as_json = json.loads(json.dumps(respelled, indent=3))
    assert problem_digest(instance_from_dict(as_json)) == problem_digest(v.instance)
    # -0.0 is 0.0, as grade's comparison of problems has it
    zero = dict(data, weights={**data["weights"], "x1_A": 0.0})
    minus = dict(data, weights={**data["weights"], "x1_A": -0.0})
    assert problem_digest(instance_from_dict(zero)) == problem_digest(instance_from_dict(minus))


def test_any_changed_number_changes_the_digest(v):
    data = v.instance.to_dict()
    base = problem_digest(v.instance)
    changes = [dict(data, alpha=data["alpha"] + 0.5), dict(data, decimals=2),
               dict(data, samples=[{"inputs": {"x1": 1.0, "x2": 0.5}, "desired": {"C": 1.0}}])]
    changes += [dict(data, weights={**data["weights"], k: w + 0.5}) for k, w in data["weights"].items()]
    digests = {problem_digest(instance_from_dict(c)) for c in changes}
    assert base not in digests and len(digests) == len(changes)


def test_digest_mismatch_needs_a_digest_of_the_usual_form(v):
    """Only a digest in the form generate writes is compared: none, or one the student's editor
    mangled, says nothing (grade still finds a changed problem)."""
    other = instance_from_dict(dict(v.instance.to_dict(), alpha=9.0))
    digest = problem_digest(v.instance)
    assert digest_mismatch({"problem_digest": digest}, v.instance) is False
    upper = digest.upper().replace("SHA256:", "sha256:")
    assert digest_mismatch({"problem_digest": upper}, v.instance) is False
    assert digest_mismatch({"problem_digest": digest}, other) is True
    for meta in ({}, None, {"problem_digest": 3}, {"problem_digest": digest[:-1]},
                 {"problem_digest": "md5:" + digest[7:]}, {"problem_digest": ""}):
        assert digest_mismatch(meta, other) is False, meta


def test_generate_writes_the_digest_and_leaves_the_key_alone(tmp_path):
    secret = tmp_path / "secret"
    secret.write_bytes(SECRET)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["generate", "chain", "--count", "2", "--assignment", "hw1", "--format",
                                      "toml,ipynb", "--out", str(out), "--secret-file", str(secret),
                                      "--jobs", "1"])
    assert result.exit_code == 0, result.output
    key_text = (out / "key.json").read_text()
    assert "problem_digest" not in key_text and "sha256:" not in key_text
    key = json.loads(key_text)
    for sid, entry in key["students"].items():
        instance = instance_from_dict(entry["instance"])
        assert entry["signature"] == sign(SECRET, "hw1", sid, instance)
        meta = tomllib.loads((out / "handouts" / f"{sid}.toml").read_text())["meta"]
        nb = json.loads((out / "handouts" / f"{sid}.ipynb").read_text())["metadata"]["backprop"]
        assert meta["problem_digest"] == nb["problem_digest"] == problem_digest(instance)
        assert meta["signature"] == nb["signature"] == entry["signature"]


# --------------------------------------------------------------------------- check: TOML


def test_an_untouched_handout_checks_as_before(v, tmp_path):
    """The handout as handed out (filled in): no warning, and the same output, byte for byte,
    as the handout without the digest (as generate wrote it before)."""
    values = right(v.instance, v.asked)
    values["delta_C"] = -values["delta_C"]  # one wrong answer: the report has something to say
    new = tmp_path / "alice.toml"
    new.write_text(fill_toml(handout_toml(v), values))
    old = tmp_path / "old" / "alice.toml"
    old.parent.mkdir()
    old.write_text(without_digest(new.read_text()))
    for args in ((), ("--json",), ("--format", "md")):
        a, b = run(new, *args), run(old, *args)
        assert (a.exit_code, a.output) == (b.exit_code, b.output) and a.exit_code == 1, args
        assert "Warning" not in a.output and "handed out" not in a.output


def test_an_edited_problem_in_the_toml_is_said_first_and_exits_1(v, tmp_path):
    """x1_A edited, every answer right for the edited numbers: check says 28 / 28 against the
    file's problem, but first that the numbers were changed and what to do; exit status 1."""
    edited = edit_weight(handout_toml(v), "x1_A", 0.25)
    changed = instance_from_dict(tomllib.loads(edited)["instance"])
    path = tmp_path / "alice.toml"
    path.write_text(fill_toml(edited, right(changed, v.asked)))
    result = run(path)
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0] == EDITED_TOML
    assert lines[1] == (f"{CONSEQUENCE} download the handout again (and copy your answers into it), "
                        "or undo the edit.")
    assert lines[2] == "" and lines[3] == "Check of alice"
    n = len(v.asked)
    assert f"Score: {n} / {n}" in result.output  # (the file's own problem: the answers fit it)
    assert result.output.count("handed out") == 2  # said once, not again among the warnings
    as_json = json.loads(run(path, "--json").output)
    assert as_json["warnings"][0] == " ".join(lines[:2]).removeprefix("Warning: ")
    md = run(path, "--format", "md")
    assert md.exit_code == 1 and "**Note:** the numbers of the problem in this file were changed" in md.output
    assert md.output.index("**Note:**") < md.output.index("**Score:")


def test_a_respelled_problem_is_not_an_edit(v, tmp_path):
    """An editor that writes 1 for 1.0 and lines the table up differently changed no number."""
    text = fill_toml(handout_toml(v), right(v.instance, v.asked))
    head, answers = text.split("\n[answers]\n")
    head = re.sub(r"(?<=[=\[,] )(-?\d+)\.0\b", r"\1", head).replace(" = ", "  =  ")
    loose = head + "\n[answers]\n" + answers
    assert loose != text
    path = tmp_path / "alice.toml"
    path.write_text(loose)
    result = run(path)
    assert result.exit_code == 0 and "Warning" not in result.output, result.output


def test_an_edited_handout_from_before_the_digest_checks_as_before(v, tmp_path):
    """Without a digest nothing can be compared: the edited problem checks as it always did."""
    edited = edit_weight(without_digest(handout_toml(v)), "x1_A", 0.25)
    changed = instance_from_dict(tomllib.loads(edited)["instance"])
    path = tmp_path / "alice.toml"
    path.write_text(fill_toml(edited, right(changed, v.asked)))
    result = run(path)
    assert result.exit_code == 0 and "Warning" not in result.output, result.output


def test_a_mangled_digest_says_nothing(v, tmp_path):
    edited = edit_weight(handout_toml(v), "x1_A", 0.25).replace('problem_digest = "sha256:',
                                                                 'problem_digest = "sha256:x')
    changed = instance_from_dict(tomllib.loads(edited)["instance"])
    path = tmp_path / "alice.toml"
    path.write_text(fill_toml(edited, right(changed, v.asked)))
    result = run(path)
    assert result.exit_code == 0 and "Warning" not in result.output, result.output


# --------------------------------------------------------------------------- check: notebooks


def test_an_untouched_notebook_checks_as_before(v, tmp_path):
    values = {q: repr(x) for q, x in right(v.instance, v.asked).items()}
    values["p_A"] = "0.5"
    new = tmp_path / "alice.ipynb"
    new.write_text(fill(notebook_handout(v), values))
    nb = json.loads(new.read_text())
    del nb["metadata"]["backprop"]["problem_digest"]
    old = tmp_path / "old" / "alice.ipynb"
    old.parent.mkdir()
    old.write_text(json.dumps(nb, indent=1))
    for args in ((), ("--json",)):
        a, b = run(new, *args), run(old, *args)
        assert (a.exit_code, a.output) == (b.exit_code, b.output) and a.exit_code == 1, args
        assert "Warning" not in a.output and "handed out" not in a.output


def test_an_edited_problem_in_the_notebook_metadata_is_said_first(v, tmp_path):
    """The demo's student08: every weight edited to 1 in the metadata and in the cell of given
    values, and answered right for those numbers."""
    path = tmp_path / "alice.ipynb"
    path.write_text(_tampered(notebook_handout(v), v.asked))
    result = run(path)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == EDITED_NOTEBOOK
    assert lines[1] == (f"{CONSEQUENCE} download the notebook again (and copy your answers into it), "
                        "or undo the edit.")
    assert "cell of given values" not in result.output  # (the cell agrees with the edited metadata)
    n = len(v.asked)
    assert f"Score: {n} / {n}" in result.output
    first = json.loads(run(path, "--json").output)["warnings"][0]
    assert first.startswith("the numbers of the problem in this notebook were changed")


def _edit_givens(text: str, name: str, value: str) -> str:
    nb = json.loads(text)
    cell = next(c for c in nb["cells"] if "givens" in c["metadata"].get("tags", []))
    source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    cell["source"], n = re.subn(rf"^{name} = .*$", f"{name} = {value}", source, count=1, flags=re.M)
    assert n == 1
    return json.dumps(nb, indent=1)


def test_an_edited_cell_of_given_values_names_the_variable(v, tmp_path):
    """x1 edited in the cell of given values: check names it with both values. Answers typed as
    numbers for the problem handed out are still right (exit 0); answers computed from x1 are
    wrong (exit 1)."""
    x1 = givens(v.instance)["x1"]
    numbers = {q: repr(x) for q, x in right(v.instance, v.asked).items()}
    path = tmp_path / "alice.ipynb"
    path.write_text(_edit_givens(fill(notebook_handout(v), numbers), "x1", "2.0"))
    result = run(path)
    first = result.output.splitlines()[0]
    assert first == (f"Warning: the cell of given values was changed: x1 is 2 there but {x1:g} in your "
                     "problem as handed out.")
    assert result.output.splitlines()[1] == (
        "Grading uses the problem as handed out, so answers worked out from the changed value will be marked "
        "wrong: put it back as handed out (or download the notebook again).")
    assert result.exit_code == 0, result.output  # the answers are the problem's, as grade will find

    by_formula = dict(numbers, p_A="w_x1_A*x1 + w_x2_A*x2 + w_bias_A*bias")
    path.write_text(_edit_givens(fill(notebook_handout(v), by_formula), "x1", "2.0"))
    result = run(path)
    assert result.exit_code == 1
    assert result.output.startswith("Warning: the cell of given values was changed: x1")
    assert re.search(r"p_A\s+incorrect", result.output)


def test_changed_givens_reads_only_the_cell_of_given_values(v):
    nb = json.loads(_edit_givens(_edit_givens(notebook_handout(v), "x1", "-(3)"), "w_x1_A", "'one'"))
    cells = load_notebook("nb.ipynb", json.dumps(nb).encode()).code
    given = givens(v.instance)
    # in the cell's order (the weights first), each with the value there (None: no number) and the problem's
    assert changed_givens(cells, v.instance) == (("w_x1_A", None, given["w_x1_A"]), ("x1", -3.0, given["x1"]))
    assert changed_givens(load_notebook("nb.ipynb", notebook_handout(v).encode()).code, v.instance) == ()
    # the same names assigned in an answer cell are the student's business (and static reading's)
    answer = [(src, tags) for src, tags in load_notebook("nb.ipynb", notebook_handout(v).encode()).code]
    answer.append(("x1 = 5", ("answer",)))
    assert changed_givens(tuple(answer), v.instance) == ()


# --------------------------------------------------------------------------- the self-check cell


def _namespace(instance, asked) -> dict[str, object]:
    import math

    return {**givens(instance), "exp": math.exp, **right(instance, asked)}


def test_the_self_check_says_first_that_the_problem_was_edited(v, tmp_path):
    path = tmp_path / "alice.ipynb"
    path.write_text(_tampered(notebook_handout(v), v.asked))
    edited = load_notebook(path)
    instance = instance_from_dict(edited.meta["instance"])
    result = selfcheck_report(path, _namespace(instance, v.asked))
    text = result.text()
    assert text.startswith(EDITED_NOTEBOOK + "\n" + CONSEQUENCE)
    html = result.html()
    assert "the numbers of the problem in this notebook were changed" in html
    assert html.index("were changed after it was handed out") < html.index("<table")
    n = len(v.asked)
    assert result.edited and f"{n} / {n}</strong>" in html
    assert f'#1e7b34;">{n} / {n}' not in html  # the score not in green
    clean = tmp_path / "clean.ipynb"
    clean.write_text(notebook_handout(v))
    assert f'#1e7b34;">{n} / {n}' in selfcheck_report(clean, _namespace(v.instance, v.asked)).html()


def test_the_self_check_names_an_edited_given_once(v, tmp_path):
    """The saved cell of given values says x1 = 2 and the kernel ran it: one notice, first, not
    also the kernel's warning about the same variable."""
    path = tmp_path / "alice.ipynb"
    path.write_text(_edit_givens(notebook_handout(v), "x1", "2"))
    ns = _namespace(v.instance, v.asked)
    ns["x1"] = 2
    result = selfcheck_report(path, ns)
    text = result.text()
    assert text.startswith("Warning: the cell of given values was changed: x1 is 2 there but ")
    assert text.count("x1 is 2") == 1
    # (the numbers typed are those of the problem handed out)
    assert result.report is not None and result.report.all_correct


def test_the_self_check_of_an_untouched_notebook_has_no_notice(v, tmp_path):
    path = tmp_path / "alice.ipynb"
    path.write_text(notebook_handout(v))
    result = selfcheck_report(path, _namespace(v.instance, v.asked))
    assert result.report is not None and result.report.all_correct
    assert "warning" not in result.text().lower() and "handed out" not in result.html()


def test_a_line_with_a_syntax_error_does_not_hide_the_rest_of_the_cell(v):
    """x1 typed with a decimal comma (a syntax error in that line: x1 = 2,,5) and w_x1_A changed:
    the cell is read as the static reading reads it, the broken line left out."""
    text = _edit_givens(_edit_givens(notebook_handout(v), "x1", "2,,5"), "w_x1_A", "7")
    cells = load_notebook("nb.ipynb", text.encode()).code
    assert changed_givens(cells, v.instance) == (("w_x1_A", 7.0, givens(v.instance)["w_x1_A"]),)


def test_the_values_in_the_cell_are_shown_as_written(v):
    """A huge number is a number (shown in the fewest digits), NaN and text are none, and whole
    numbers are written as the cell writes them (2, not 2.0)."""
    from grader.handed_out import Found
    from grader.render.problem_notice import problem_notices

    text = notebook_handout(v)
    for name, value in (("alpha", "1e308"), ("x1", "float('nan')"), ("x2", "-123456.789")):
        text = _edit_givens(text, name, value)
    found = changed_givens(load_notebook("nb.ipynb", text.encode()).code, v.instance)
    assert [(c.name, c.written) for c in found] == [("alpha", 1e308), ("x1", None), ("x2", -123456.789)]
    [notice] = problem_notices(Found(False, found), notebook=True)
    given = givens(v.instance)
    assert notice.splitlines()[0] == (
        f"the cell of given values was changed: alpha is 1e+308 there but {given['alpha']:g} in your problem "
        f"as handed out, x1 is no number there but {given['x1']:g}, x2 is -123456.789 there but "
        f"{given['x2']:g}.")
    assert problem_notices(Found(False, ())) == ()


def test_a_notice_names_at_most_four_values():
    from grader.handed_out import Changed, Found
    from grader.render.problem_notice import problem_notices

    changed = tuple(Changed(f"x{i}", float(i), 0.5) for i in range(1, 7))
    [notice] = problem_notices(Found(False, changed), notebook=True)
    assert notice.splitlines()[0].endswith("x4 is 4 there but 0.5 and 2 more.")
    assert "x5" not in notice and "put them back" in notice


@pytest.mark.slow
def test_the_self_check_cell_says_it_in_a_real_kernel(v, kernel, tmp_path):
    """The demo's student08 notebook run top to bottom under nbclient: the self-check cell's
    output (HTML and text) opens with the notice."""
    path = tmp_path / "alice.ipynb"
    path.write_text(_tampered(notebook_handout(v), v.asked))
    html, text = with_kernel.selfcheck_output(with_kernel.run(path, kernel))
    assert text.startswith(EDITED_NOTEBOOK + "\n" + CONSEQUENCE)
    assert html.index("were changed after it was handed out") < html.index("<table")
