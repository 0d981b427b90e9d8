"""A fourth attack (6 December, afternoon) on what landed that day: the checker handed out, the
student's hints, the feedback that quotes them. Each test failed on main (9c4398c) before its
mend; the two grading exploits were found while grader/grading.py was another helper's, and
mended after the merge (grader.slips: a value rounded to 0 that makes the rest trivial)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader import __version__
from grader.cli import cli

WHEEL = f"backprop_grader-{__version__}-py3-none-any.whl"


def _generate(tmp_path: Path, *args: str, count: str = "2"):
    return CliRunner().invoke(cli, ["generate", "chain", "--count", count, "--format", "toml", *args,
                                    "--secret-file", str(tmp_path / "secret")])


def _rezip(wheel: Path, change) -> bytes:
    """The wheel at ``wheel`` with ``change(name, data)`` applied to each entry (None drops it),
    and whatever ``change(None, None)`` gives added, as bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(wheel) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for entry in old.infolist():
            data = change(entry.filename, old.read(entry))
            if data is not None:
                new.writestr(entry, data)
        for name, data in change(None, None) or ():
            new.writestr(name, data)
    return out.getvalue()


def _stale(name, data):
    """This version's wheel of earlier code: a module that grades otherwise."""
    if name == "grader/tolerance.py":
        return data + b"\n# an earlier version of this module\n"
    return data if name is not None else None


def _planted(name, data):
    """This version's wheel with a .pth beside the package, which Python runs at every start."""
    if name is None:
        return [("backprop_grader_init.pth", b"import os; os.system('echo pwned')\n")]
    return data


def _elsewhere(name, data):
    """The same package zipped by another tool (pip wheel): another generator, dates, RECORD."""
    if name is not None and name.endswith(".dist-info/WHEEL"):
        return data.replace(b"Generator: backprop-grader (grader/wheel.py)",
                            b"Generator: setuptools (80.9.0)")
    return data if name is not None else None


@pytest.mark.parametrize("change", [_stale, _planted], ids=["earlier-code", "planted-pth"])
@pytest.mark.parametrize("mode", ["--force", "--add"])
def test_a_wheel_in_out_that_is_not_this_package_s_is_replaced_with_a_warning(tmp_path, change, mode):
    """OUT/checker already holds a file of the wheel's name that installs something else (this
    version's earlier code: 0.1.0 for every commit; or a .pth added beside the package). A
    generate --force (or --add) into that OUT took it as it was and handed it out again; now it
    is made again from this package, and the instructor is told to hand out the new file."""
    out = tmp_path / "hw"
    assert _generate(tmp_path, "--out", str(out)).exit_code == 0
    wheel = out / "checker" / WHEEL
    fresh = wheel.read_bytes()
    wheel.write_bytes(_rezip(wheel, change))
    result = _generate(tmp_path, "--out", str(out), mode, count="3")
    assert result.exit_code == 0, result.output
    assert wheel.read_bytes() == fresh
    warning = [line for line in result.output.splitlines() if line.startswith("Warning: ")]
    assert len(warning) == 1, result.output
    assert f"{wheel} was not this package's wheel (it differs in " in warning[0]
    assert ("grader/tolerance.py" if change is _stale else "backprop_grader_init.pth") in warning[0]
    assert "hand the new file out" in warning[0]


def test_the_same_package_zipped_another_way_is_still_handed_out_as_it_is(tmp_path):
    """The other side of the rule: a wheel ``pip wheel`` made of the same code (another
    generator, dates and RECORD) installs the same, and is kept, without a warning."""
    out = tmp_path / "hw"
    assert _generate(tmp_path, "--out", str(out)).exit_code == 0
    wheel = out / "checker" / WHEEL
    other = _rezip(wheel, _elsewhere)
    wheel.write_bytes(other)
    result = _generate(tmp_path, "--out", str(out), "--force")
    assert result.exit_code == 0 and "Warning" not in result.output, result.output
    assert wheel.read_bytes() == other


# --------------------------------------------------------------------------- the feedback quoting hints

#: U+202E (right-to-left override) and U+202C (pop): what follows shows reversed
RLO, PDF_POP = "\u202e", "\u202c"


def _hostile_report(tmp_path: Path):
    """A graded handout whose o_A is ``-0.3655 note <RLO>5763.0<POP>``: shown, the number reads
    0.3675 (the expected value of nothing in particular, but of the answer's look): invalid, its
    hint quoting the text after the number."""
    from grader.answers import read_answer_file
    from grader.grading import grade

    out = tmp_path / "hw"
    assert _generate(tmp_path, "--out", str(out), count="1").exit_code == 0
    path = out / "handouts" / "student01.toml"
    path.write_text(path.read_text().replace('o_A = ""', f'o_A = "-0.3655 note {RLO}5763.0{PDF_POP}"', 1))
    sub = read_answer_file(path)
    report = grade(sub.instance, sub.answers, asked=sub.asked)
    item = next(i for i in report.items if i.id == "o_A")
    assert item.verdict == "invalid" and RLO in item.message and RLO in str(item.given)
    return report, sub.instance


def test_the_pdf_feedback_shows_a_bidi_override_as_its_escape_as_the_markdown_does(tmp_path):
    """The Markdown feedback and the terminal wrote the student's U+202E as ``\\u202e``; the PDF
    feedback put it in as it is, and typst reordered the text after it: the answer column showed
    ``-0.3655 note 0.3675``, a number the student never wrote (a regrade request that looks right).
    Now the PDF quotes the answer and its message as the other views do."""
    from grader.render.pdf import _feedback_body

    report, instance = _hostile_report(tmp_path)
    _, body = _feedback_body(report, instance, "student01", False)
    assert RLO not in body and PDF_POP not in body
    assert "\\\\u202e5763.0\\\\u202c" in body  # (the escape, inside a typst string)


@pytest.mark.parametrize("text", ["&#x202e;", "&#8238;", "&#X202E;"])
def test_markdown_inert_text_writes_a_character_reference_as_text(text):
    """md_inline escaped what opens a link, an image or HTML, but not ``&``: a student's
    ``&#x202e;`` (in an answer quoted by a hint, a file name in summary.md) rendered as the
    override it names, reordering the rest of the line. Now ``\\&``: CommonMark shows the text."""
    from grader.render.inert import md_inline

    shown = md_inline(f"0.5 {text}evil")
    assert shown.startswith("0.5 \\&#")


# --------------------------------------------------------------------------- flattening, still earning

def _lazy(variant, *, delta_factor: float = 1.0, p_final: float | None = None):
    """A student who knows the forward pass and the output's delta and nothing after it: every
    answer from their own numbers by the right formula, rounded (``p_final``: the final p made up
    instead; ``delta_factor``: the final delta divided by it), then 0 for every hidden delta and
    every dw, and the old weights as the new ones."""
    from grader.answers import read_answer
    from grader.ops import OPS

    trace, d = variant.exact, variant.instance.rounding
    given = dict(trace.givens)
    own, answers = dict(given), {}
    final = set(variant.instance.layers[-1])
    for q in trace.quantities:
        x = OPS[q.op].compute([own[a] for a in q.args])
        if q.kind == "p" and q.subject in final and p_final is not None:
            x = p_final
        elif q.kind == "delta":
            x = x / delta_factor if q.subject in final else 0.0
        elif q.kind == "dw":
            x = 0.0
        elif q.kind == "new_w":
            x = given[q.args[0]]
        own[q.id] = round(x, d)
        answers[q.id] = read_answer(q.id, own[q.id])
    return answers


def _variant(student: str = "s0"):
    from grader.family import load_family
    from grader.generator import Student, generate_variants

    return generate_variants(load_family("2-2-1"), [Student(student)], b"attack4", "hw")[0]


def _score(variant, answers) -> float:
    from grader.grading import grade

    return grade(variant.instance, answers, asked=variant.asked).score


def test_a_final_delta_fifty_times_smaller_earns_no_more_than_the_true_one_with_the_same_zeros():
    """A final delta 50 times smaller (-0.0022 for -0.1078) is an ordinary slip; the hidden deltas
    it gives (about -0.0003) written 0 were 'right to 2 decimals' (precision roots), and every dw
    of 0 and unchanged weight after them was carried forward: 17 of 22, where the true delta and
    the same zeros earn 8. A value rounded to 0 where the student's own is not now makes the items
    it frees earn nothing, as a made-up 0 does (grader.slips)."""
    v = _variant()
    honest_lazy = _score(v, _lazy(v))
    assert honest_lazy == 8
    assert _score(v, _lazy(v, delta_factor=50)) <= honest_lazy


def test_a_final_p_made_up_near_its_target_earns_no_more_than_the_true_one_with_the_same_zeros():
    """A final p made up as 6 (o_C = 0.9975, o (1 - o) = 0.0025: a delta 60 times smaller, outside
    the flattening band, where 7 is inside) earned 17 of 22 the same way, through hidden deltas
    rounded to 0; now 7."""
    v = _variant()
    honest_lazy = _score(v, _lazy(v))
    assert _score(v, _lazy(v, p_final=7.0)) <= honest_lazy  # (caught today)
    assert _score(v, _lazy(v, p_final=6.0)) <= honest_lazy


# --------------------------------------------------------------------------- links under --execute

def _answer_notebook(path: Path, value: float) -> None:
    """The notebook at ``path`` with ``p_A = value`` written in its answer cell."""
    import json

    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and "p_A = ..." in source:
            cell["source"] = source.replace("p_A = ...", f"p_A = {value}", 1)
            break
    else:
        raise AssertionError("no p_A placeholder")
    path.write_text(json.dumps(nb), encoding="utf-8")


def test_execute_runs_the_bytes_it_graded_not_the_file_read_again_as_a_link(tmp_path, monkeypatch):
    """A batch reads a submission once, without following a link (LINK_REFUSED); --execute then
    ran the file at that path again. A student swapping their notebook for a link to a classmate's
    just after that read (a loop of renames in their hub folder) had the classmate's notebook run
    under their own signed identity: the classmate's answers in the linker's row and feedback.
    Now the bytes graded are the bytes run."""
    import json

    import grader.batch.worker as worker

    out = tmp_path / "hw"
    result = CliRunner().invoke(cli, ["generate", "chain", "--count", "2", "--format", "ipynb", "--out",
                                      str(out), "--secret-file", str(tmp_path / "secret")])
    assert result.exit_code == 0, result.output
    subs, hub = tmp_path / "subs", tmp_path / "classmate"
    subs.mkdir()
    hub.mkdir()
    mine, theirs = subs / "student01.ipynb", hub / "student02.ipynb"
    (out / "handouts" / "student01.ipynb").replace(mine)
    (out / "handouts" / "student02.ipynb").replace(theirs)
    _answer_notebook(mine, 0.4321)
    _answer_notebook(theirs, 0.1234)
    read = worker.read_submission

    def read_then_swap(path):
        data = read(path)
        if Path(path) == mine:  # (the student's rename, just after the grader's read)
            mine.unlink()
            mine.symlink_to(theirs)
        return data

    monkeypatch.setattr(worker, "read_submission", read_then_swap)
    graded = tmp_path / "graded"
    result = CliRunner().invoke(cli, ["grade", str(out / "key.json"), str(subs), "--out", str(graded),
                                      "--jobs", "1", "--execute", "--sandbox", "none"])
    assert result.exit_code == 0, result.output
    row = json.loads((graded / "results" / "student01.json").read_text())
    given = {i["id"]: i["given"] for i in row["items"]}
    assert row["status"] == "graded", row
    assert given["p_A"] == 0.4321
    assert "0.1234" not in (graded / "feedback" / "student01.md").read_text()


# --------------------------------------------------------------------------- the autograder's wheel

@pytest.mark.parametrize("name", ["x$(touch PWNED).whl", "my wheel.whl", 'a"b-0.1-py3-none-any.whl',
                                  "backprop_grader-0.1.0-py3-none-any`id`.whl"])
def test_an_autograder_wheel_whose_name_a_shell_would_read_is_refused(tmp_path, name):
    """``backprop gradescope --wheel FILE`` put the file's name in setup.sh's ``pip install
    "$ROOT/source/NAME"``: a name with ``$(...)`` ran a command when Gradescope built the image
    (and one with a space or a quote broke it). A wheel's name is letters, digits and . _ + !
    between dashes; any other is one Error line, and no zip."""
    out = tmp_path / "hw"
    assert _generate(tmp_path, "--out", str(out), count="1").exit_code == 0
    wheel = tmp_path / name
    wheel.write_bytes((out / "checker" / WHEEL).read_bytes())
    result = CliRunner().invoke(cli, ["gradescope", str(out / "key.json"), "--out", str(tmp_path / "ag.zip"),
                                      "--wheel", str(wheel)])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"Error: {wheel}: is not named as a wheel is (")
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "ag.zip").exists()


def test_an_autograder_wheel_named_as_pip_names_it_is_taken(tmp_path):
    out = tmp_path / "hw"
    assert _generate(tmp_path, "--out", str(out), count="1").exit_code == 0
    result = CliRunner().invoke(cli, ["gradescope", str(out / "key.json"), "--out", str(tmp_path / "ag.zip"),
                                      "--wheel", str(out / "checker" / WHEEL)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(tmp_path / "ag.zip") as z:
        assert f'"$ROOT/source/{WHEEL}"' in z.read("setup.sh").decode()


# --------------------------------------------------------------------------- the worked step's numbers

def _right_but(family: str, wrong: dict[str, float]):
    """A report on every asked answer right at the asked decimals but ``wrong``'s."""
    from grader.answers import read_answer
    from grader.family import load_family
    from grader.generator import Student, generate_variants
    from grader.grading import grade

    v = generate_variants(load_family(family), [Student("s0")], b"attack4", "hw")[0]
    d = v.instance.rounding
    answers = {q: read_answer(q, wrong.get(q, round(v.exact.value(q), d))) for q in v.asked}
    return v, grade(v.instance, answers, asked=v.asked)


def test_the_worked_step_shows_no_number_the_student_did_not_write():
    """xor asks for o_A_step2, not p_A_step2. A wrong o_A_step2 after right new weights: the
    feedback's worked step read 'o_A_step2 = 1 / (1 + exp(-1.0415)) (with your numbers)', the
    right p_A_step2 that the grader worked out (the student never wrote it): one keystroke from
    the expected o_A_step2. Now the unwritten argument is shown by its name, in the Markdown and
    in the PDF."""
    from grader.render import numbers
    from grader.render.feedback import report_markdown
    from grader.render.pdf import _feedback_body

    v, report = _right_but("xor", {"o_A_step2": 0.1})
    assert "p_A_step2" not in v.asked
    item = next(i for i in report.items if i.id == "o_A_step2")
    assert item.verdict == "incorrect" and item.args == ("p_A_step2",)
    p = v.exact.value("p_A_step2")
    shown = {numbers.arg(p, d) for d in (4, 5, 6)} | {f"{p:.4f}"}
    markdown = report_markdown(report, student="s0")
    _, typst = _feedback_body(report, v.instance, "s0", False)
    for text in (markdown, typst):
        assert not any(s in text for s in shown), [s for s in shown if s in text]
    assert "= 1 / (1 + exp(-p_A_step2))   (with your numbers)" in markdown


def test_the_worked_step_still_shows_the_numbers_the_student_wrote():
    from grader.render import numbers
    from grader.render.feedback import report_markdown

    v, report = _right_but("chain", {"delta_B": 0.3})
    o = round(v.exact.value("o_B"), v.instance.rounding)
    markdown = report_markdown(report, student="s0")
    assert numbers.arg(o, v.instance.rounding + 2) in markdown.split("### `delta_B`")[1]


# --------------------------------------------------------------------------- --checker's first character

@pytest.mark.parametrize("value", ["=backprop-grader", "==0.1.0", "@wheels/x.whl", "%2Fx.whl", ":x.whl",
                                   "+x.whl", ",x.whl"])
def test_a_checker_value_that_starts_as_no_url_path_or_requirement_does_is_refused(tmp_path, value):
    """zsh reads ``pip install =backprop-grader`` as the path of a command named backprop-grader
    (and fails), PowerShell ``@wheels`` as a splat; no URL, path or requirement starts with
    = @ % : + or ,. One Error line, nothing written."""
    result = _generate(tmp_path, "--out", str(tmp_path / "hw"), "--checker", value)
    assert result.exit_code == 2, result.output
    assert result.output == (f"Error: --checker: {value!r} starts with {value[0]!r}, which pip or a shell "
                             "would not read as what to install; give a URL, a path or a requirement\n")
    assert not (tmp_path / "hw").exists()


@pytest.mark.parametrize("value", ["./dist/x.whl", "../x.whl", "/srv/x.whl", "~/x.whl", "_x.whl",
                                   "backprop-grader==0.1.0", "https://x.org/x.whl"])
def test_urls_paths_and_requirements_still_pass(value):
    from grader.checker import parse_spec

    assert parse_spec(value) == value


# --------------------------------------------------------------------------- links to pipes and devices

def test_a_link_to_a_device_a_pipe_and_a_dangling_link_under_a_submission_name_get_error_rows(tmp_path):
    """In a folder walked by grade, student01.toml a named pipe, student02.toml a link to
    /dev/zero, student03.ipynb a link to nothing: they were listed as 'Not graded (only .ipynb
    and .toml files are)', a .toml among them, and their students missing without a word why.
    Now each is its student's error row saying what it is; nothing is read from the pipe (one a
    classmate holds open would never end)."""
    import json
    import os

    out = tmp_path / "hw"
    assert _generate(tmp_path, "--out", str(out), count="3").exit_code == 0
    subs = tmp_path / "subs"
    subs.mkdir()
    os.mkfifo(subs / "student01.toml")
    (subs / "student02.toml").symlink_to("/dev/zero")
    (subs / "student03.ipynb").symlink_to(tmp_path / "nowhere.ipynb")
    graded = tmp_path / "graded"
    writer = os.open(subs / "student01.toml", os.O_RDWR | os.O_NONBLOCK)  # (held open, writing nothing)
    try:
        result = CliRunner().invoke(cli, ["grade", str(out / "key.json"), str(subs), "--out", str(graded),
                                          "--jobs", "1"])
    finally:
        os.close(writer)
    assert result.exit_code == 0, result.output
    assert "Not graded" not in result.output
    rows = {s: json.loads((graded / "results" / f"{s}.json").read_text()) for s in
            ("student01", "student02", "student03")}
    assert {r["status"] for r in rows.values()} == {"error"}, rows
    printed = result.output
    assert f"student01: error: {subs / 'student01.toml'}: is a named pipe, not a file, and a batch reads " \
        "only files; give the submission file itself\n" in printed
    assert f"student02: error: {subs / 'student02.toml'}: is a symbolic link, and a batch reads" in printed
    assert f"student03: error: {subs / 'student03.ipynb'}: cannot be read (No such file or directory)" \
        in printed
