"""Each op in one home (grader/ops.py): does every view write every op, with every argument,
and are the hand-written derivatives right?"""

from __future__ import annotations

import re

import pytest

from grader.ops import NOTATIONS, OPS, TEXT
from grader.render.math import latex_formula, latex_name, latex_numbers
from grader.render.typst_math import typst_formula, typst_name, typst_numbers
from grader.rules import CORRECT, MISCONCEPTIONS
from grader.solver import solve
from grader.validation import instance_from_dict

#: a 2-2-2 net with thresholds, so every rule has something to change (two hidden neurons that
#: each feed two outputs: "missing-sum" and the hidden ops see sums of two pairs)
NET = {
    "alpha": 0.5, "bias": "threshold", "inputs": ["x1", "x2"], "layers": [["A", "B"], ["C", "D"]],
    "weights": {"x1_A": 1.0, "x2_A": -0.5, "bias_A": 0.5, "x1_B": 0.25, "x2_B": 1.5, "bias_B": -1.0,
                "A_C": 1.25, "B_C": -0.75, "bias_C": 0.5, "A_D": -1.0, "B_D": 0.5, "bias_D": 0.25},
    "samples": [{"inputs": {"x1": 1.0, "x2": -1.0}, "desired": {"C": 1.0, "D": 0.0}}],
}


def _every_rule_set():
    yield "correct", CORRECT
    for m in MISCONCEPTIONS.values():
        yield m.id, m.rules


def _names(shape: tuple[int, int], groups: int) -> list[str]:
    fixed, group = shape
    return [f"a{i}" for i in range(fixed + group * (groups if group else 0))]


def _shown(formula: str, names: list[str]) -> set[str]:
    return {n for n in names if re.search(rf"(?<![A-Za-z0-9]){n}(?![0-9])", formula)}


def test_the_solver_and_every_misconception_use_exactly_the_ops_there_are():
    """Is every op of grader.ops made by some rule set (no dead op), and every op a rule set
    makes one of grader.ops?"""
    instance = instance_from_dict(NET, "test")
    used = {q.op for _, rules in _every_rule_set() for q in solve(instance, rules=rules).quantities}
    assert used == set(OPS)


@pytest.mark.parametrize("rule_set", [r for _, r in _every_rule_set()], ids=[i for i, _ in _every_rule_set()])
def test_every_view_writes_every_quantity(rule_set):
    """Do the text, LaTeX and typst views write each quantity's formula, with names and with
    numbers, showing the same arguments as the text?"""
    trace = solve(instance_from_dict(NET, "test"), rules=rule_set)
    for q in trace.quantities:
        text = q.formula
        assert text == OPS[q.op].formula(TEXT, q.args)
        for view in (latex_formula(q), typst_formula(q), latex_numbers(q, 4), typst_numbers(q, 4)):
            assert view.strip(), (q.id, q.op)
        # each argument the text names is in the other notations too, as that notation names it
        for a in set(q.args):
            if a == "bias" or not _shown(text, [a]):
                continue
            assert latex_name(a) in latex_formula(q), (q.id, a)
            assert typst_name(a) in typst_formula(q), (q.id, a)


@pytest.mark.parametrize("name", sorted(OPS))
@pytest.mark.parametrize("groups", [1, 2, 3])
def test_every_notation_shows_the_arguments_the_text_shows(name, groups):
    op = OPS[name]
    names = _names(op.shape, groups)
    want = _shown(op.text(names), names)
    assert want, name
    for notation in NOTATIONS:
        assert _shown(op.formula(notation, names), names) == want, (name, notation.name)


def test_the_notations_write_what_the_views_have_always_written():
    """A fixed table: the formula of a hidden delta and of the performance in each notation."""
    args = ["o", "w1", "d1", "w2", "d2"]
    assert OPS["delta_hidden"].text(args) == "o * (1 - o) * (w1 * d1 + w2 * d2)"
    assert OPS["delta_hidden"].latex(args) == r"o \cdot (1 - o) \cdot (w1 \cdot d1 + w2 \cdot d2)"
    assert OPS["delta_hidden"].typst(args) == (
        "#box($o dot (1 - o)$) dot (#box($w1 dot d1$) + #box($w2 dot d2$))")
    assert OPS["performance"].text(["d", "o"]) == "-1/2 * ((d - o)^2)"
    assert OPS["performance"].latex(["d", "o"]) == r"-\frac{1}{2}\left((d - o)^2\right)"
    assert OPS["performance"].typst(["d", "o"]) == "-display(frac(1, 2)) ((d - o)^2)"
    assert OPS["sigmoid"].latex(["p"]) == r"\frac{1}{1 + e^{-p}}"
    assert OPS["sigmoid"].typst(["p"]) == "display(frac(1, 1 + e^(-p)))"


# Each op's derivatives against central differences: tests/test_tolerance.py
# (test_analytic_partials_equal_central_differences).
