"""Do the handout notebooks run from top to bottom, as handed out and as answered, and does the
self-check cell at their end show the report of the answers in the live kernel?

The notebooks run under nbclient in a real IPython kernel of this Python, from a kernel spec
written into a temporary folder (JUPYTER_PATH); Jupyter's and IPython's own folders are
temporary too, so nothing is written outside the test's folders.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from pathlib import Path

import nbformat
import pytest

from grader.batch.demo_class import fill
from grader.family import builtin_family_ids, load_family
from grader.generator import generate_variants
from grader.notebooks.read import read_notebook_submission
from grader.ops import OPS
from grader.render.notebook import notebook_handout
from grader.render.numbers import fmt
from grader.roster import numbered_roster
from grader.selfcheck import SelfCheck, report

SECRET = b"self-check test secret"
KERNEL = "backprop-test"
#: the folders Jupyter and IPython write to, each in the kernel fixture's temporary folder
FOLDERS = {"JUPYTER_PATH": "", "JUPYTER_DATA_DIR": "data", "JUPYTER_CONFIG_DIR": "config",
           "JUPYTER_RUNTIME_DIR": "runtime", "IPYTHONDIR": "ipython"}


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory):
    """The name of a kernel spec for this Python, in a temporary JUPYTER_PATH."""
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "backprop-grader tests", "language": "python"}))
    with pytest.MonkeyPatch.context() as mp:
        for name, folder in FOLDERS.items():
            mp.setenv(name, str(root / folder))
        mp.setenv("JUPYTER_PLATFORM_DIRS", "1")
        yield KERNEL


def run(path: Path, kernel: str) -> nbformat.NotebookNode:
    """The notebook at ``path`` executed top to bottom (CellExecutionError on any error)."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, kernel_name=kernel, timeout=120,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def selfcheck_output(nb: nbformat.NotebookNode) -> tuple[str, str]:
    """(HTML, text) of the self-check cell's rich output."""
    cell = next(c for c in nb.cells if "selfcheck" in c.metadata.get("tags", []))
    [output] = [o for o in cell.outputs if o.output_type == "display_data"]
    return output.data["text/html"], output.data["text/plain"]


def variant(family: str):
    return generate_variants(load_family(family), numbered_roster(1), SECRET, "hw13", 1)[0]


def expressions(v) -> dict[str, str]:
    """Every asked answer as the exact expression over the given values and the answers above
    it (a quantity not asked is written out in place): what a student types instead of numbers."""
    trace = v.trace()
    given, asked = dict(trace.givens), set(v.asked)

    def term(qid: str) -> str:
        return qid if qid in given or qid in asked else f"({formula(qid)})"

    def formula(qid: str) -> str:
        q = trace[qid]
        return OPS[q.op].text([term(a) for a in q.args]).replace("^", "**")

    return {qid: formula(qid) for qid in v.asked}


def write(tmp_path: Path, v, values: dict[str, str]) -> Path:
    path = tmp_path / f"{v.student}.ipynb"
    path.write_text(fill(notebook_handout(v), values))
    return path


def assert_full_marks(html: str, text: str, v) -> None:
    n = len(v.asked)
    assert f"Score: {n} / {n}  ({n} correct)" in text
    assert f"{n} / {n}</strong>" in html and f">{n} correct</span>" in html
    for verdict in ("incorrect", "missing", "invalid", "carried-forward"):
        assert verdict not in text and f">{verdict}<" not in html


@pytest.mark.slow
@pytest.mark.parametrize("family", builtin_family_ids())
def test_every_handout_runs_as_handed_out_and_as_answered(family, kernel, tmp_path):
    """Does each family's notebook run without error when blank, answered with exact values and
    answered with expressions over earlier answers, and does its self-check give full marks?"""
    v = variant(family)
    trace = v.trace()

    blank = run(write(tmp_path, v, {}), kernel)
    html, text = selfcheck_output(blank)
    assert f"Score: 0 / {len(v.asked)}" in text and "missing" in html

    exact = run(write(tmp_path, v, {q: repr(trace.value(q)) for q in v.asked}), kernel)
    assert_full_marks(*selfcheck_output(exact), v)

    path = write(tmp_path, v, expressions(v))
    by_expression = run(path, kernel)
    assert_full_marks(*selfcheck_output(by_expression), v)
    # the same notebook read without running it: the same answers, the same verdicts
    sub = read_notebook_submission(path)
    assert all(sub.answers[q].value == pytest.approx(trace.value(q), abs=1e-12) for q in v.asked)


@pytest.mark.slow
def test_a_wrong_answer_shows_as_wrong_with_its_message_and_no_expected_value(kernel, tmp_path):
    """Is a sign-flipped output delta shown as incorrect, with its misconception and message, the
    net marked, and no expected value anywhere in the HTML or the text?"""
    v = variant("2-2-1-threshold")
    trace = v.trace()
    values = expressions(v)
    values["delta_C"] = "o_C * (1 - o_C) * (o_C - d_C)"  # (o - d): the sign-flip misconception
    html, text = selfcheck_output(run(write(tmp_path, v, values), kernel))
    assert re.search(r"delta_C\s+incorrect\s+sign-flip", text)
    assert re.search(r"delta_A\s+carried-forward", text)
    message = next(line for line in text.splitlines() if line.strip().startswith("delta_C:"))
    assert message.split(": ", 1)[1] in html.replace("&#39;", "'").replace("&#34;", '"')
    assert "color: #c0392b; font-weight: 600;\">incorrect</td>" in html
    assert 'stroke="#c0392b"' in html  # the net drawn with the wrong neuron in red
    expected = trace.value("delta_C")
    for shown in {repr(expected), fmt(expected, 4), fmt(expected, 6), f"{expected:.4f}", f"{expected:g}"}:
        # the expected value as a number of its own (the answer given, its negative, is shown)
        alone = re.compile(r"(?<![-\d.])" + re.escape(shown) + r"(?!\d)")
        assert not alone.search(html) and not alone.search(text), shown


# --------------------------------------------------------------------------- without a kernel


def namespace_of(v, values: dict[str, object]) -> dict[str, object]:
    trace = v.trace()
    ns: dict[str, object] = dict(trace.givens)
    ns["exp"] = math.exp
    ns.update(values)
    return ns


def test_answers_computed_in_code_count(tmp_path):
    """Are answers the kernel computed with the student's own function read as numbers?"""
    v = variant("chain")
    path = write(tmp_path, v, {})
    trace = v.trace()

    def sigmoid(p: float) -> float:
        return 1 / (1 + math.exp(-p))

    values = {q: trace.value(q) for q in v.asked}
    values["o_A"] = sigmoid(values["p_A"])
    result = report(path, namespace_of(v, values))
    assert result.report is not None and result.report.all_correct
    assert isinstance(result, SelfCheck) and "Expected values are not shown." in repr(result)


def test_text_answers_numpy_numbers_and_placeholders(tmp_path):
    """Are text answers (with a typographic minus), numpy numbers and ``...`` read as in answer files?"""
    np = pytest.importorskip("numpy")
    v = variant("chain")
    trace = v.trace()
    values: dict[str, object] = {q: np.float64(trace.value(q)) for q in v.asked}
    values["p_A"] = str(trace.value("p_A")).replace("-", "\u2212")
    values["o_A"] = "1/(1+exp(-p_A))"
    values["delta_A"] = ...
    result = report(write(tmp_path, v, {}), namespace_of(v, values))
    verdicts = {i.id: i.verdict for i in result.report.items}
    assert verdicts.pop("delta_A") == "missing"
    assert set(verdicts.values()) == {"correct"}


def test_a_changed_given_value_is_a_warning(tmp_path):
    v = variant("chain")
    ns = namespace_of(v, {})
    ns["w_x1_A"] = float(ns["w_x1_A"]) + 1
    result = report(write(tmp_path, v, {}), ns)
    warnings = result.report.warnings
    assert any(w.startswith("w_x1_A is ") and "run the cell of given values" in w for w in warnings)
    assert "w_x1_A is " in result.html() and "w_x1_A is " in result.text()


def test_no_notebook_file_is_a_message_not_an_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    result = report("student01.ipynb", {})
    assert result.report is None
    assert result.error.startswith("cannot find student01.ipynb in ")
    assert "check(&#34;new name.ipynb&#34;)" in result.html() or 'check("new name.ipynb")' in result.html()
    assert repr(result).startswith("Self-check: cannot find student01.ipynb")


def test_the_editor_s_notebook_is_found_first(tmp_path):
    """VS Code says which notebook is open (``__vsc_ipynb_file__``): is that file read, whatever
    name the cell gives?"""
    v = variant("chain")
    path = write(tmp_path, v, {})
    result = report("renamed.ipynb", {"__vsc_ipynb_file__": str(path), **namespace_of(v, {})})
    assert result.report is not None and result.student == v.student


def test_student_text_is_escaped_in_the_html(tmp_path):
    v = variant("chain")
    result = report(write(tmp_path, v, {}), namespace_of(v, {"p_A": "<script>alert(1)</script>"}))
    html = result.html()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<script" not in html.lower()


def test_the_handout_says_how_to_install_the_checker():
    v = variant("chain")
    nb = json.loads(notebook_handout(v))
    text = "\n".join("".join(c["source"]) for c in nb["cells"])
    # the wheel handed out with the notebook (grader.checker), never the name backprop-grader on
    # PyPI, where anyone may publish a package of that name (tests/test_checker.py: every format)
    from grader import __version__

    assert f"pip install backprop_grader-{__version__}-py3-none-any.whl" in text
    assert "pip install backprop-grader" not in text
    assert "from grader.selfcheck import check" in text
    assert "backprop check" in text  # the terminal alternative is still named
    givens = next(c for c in nb["cells"] if "givens" in c["metadata"].get("tags", []))
    assert "from math import exp" in "".join(givens["source"])
    assert not re.search(r"= -?\d+\.0\b", "".join(givens["source"]))  # 1, not 1.0


def test_answer_cells_are_in_working_order():
    """Forward pass neuron by neuron, the performance, deltas from the output back, then updates."""
    v = variant("2-2-1-threshold")
    nb = json.loads(notebook_handout(v))
    ids = [line.split(" = ")[0] for c in nb["cells"] if "answer" in c["metadata"].get("tags", [])
           for line in "".join(c["source"]).splitlines() if line.endswith(" = ...")]
    assert ids[:7] == ["p_A", "o_A", "p_B", "o_B", "p_C", "o_C", "P"]
    assert ids[7:10] == ["delta_C", "delta_A", "delta_B"]
    assert ids[10:12] == ["dw_x1_A", "new_w_x1_A"]
    assert ids == list(v.trace().ids)


def test_the_notebook_gives_the_formulas_of_the_other_handouts():
    v = variant("2-2-1-threshold")
    text = notebook_handout(v)
    for formula in ("delta_N = o_N * (1 - o_N) * (d_N - o_N)",
                    "delta_N = o_N * (1 - o_N) * sum over R of w_N_R * delta_R",
                    "dw_F_N = alpha * o_F * delta_N", "new_w_F_N = w_F_N + dw_F_N",
                    r"\\Delta w_{F,N} = \\alpha\\, o_F\\, \\delta_N"):
        assert formula in text, formula


def test_no_jupyter_or_ipython_folder_outside_tmp(kernel):
    """The kernel fixture keeps Jupyter's and IPython's folders in the test's temporary folder."""
    for name in FOLDERS:
        assert os.environ[name].startswith(str(Path(os.environ["JUPYTER_PATH"])))


@pytest.mark.slow
def test_the_readme_shows_what_the_self_check_shows(tmp_path, monkeypatch):
    """The README's text of student03's self-check (``make demo``) is the self-check's text, line
    for line where it does not elide (its answers put into a namespace as a kernel would hold them)."""
    from grader.batch.demo_class import run_demo
    from grader.solver import givens

    files, _ = run_demo(tmp_path / "demo", jobs=1)
    path = files.submissions / "student03.ipynb"
    sub = read_notebook_submission(path)
    namespace = {**givens(sub.instance), **{q: a.value for q, a in sub.answers.items()}}
    monkeypatch.chdir(path.parent)
    text = report("student03.ipynb", namespace).text().splitlines()
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    block = readme.split("```text\nCheck of student03\n", 1)[1].split("```", 1)[0].splitlines()
    lines = iter(text)
    assert next(lines) == "Check of student03"
    for shown in block:
        if shown.strip() != "...":
            assert shown in lines, shown  # in order: `in` consumes the iterator up to the match
