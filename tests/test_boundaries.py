"""Error kinds travel as fields, never read back out of message text; one did_you_mean."""

from __future__ import annotations

import pytest

from grader.errors import did_you_mean
from grader.expr import ExprError, evaluate
from grader.family import load_family
from grader.generator import REJECTIONS, Drbg, draw_instance, rejection, student_seed
from grader.notebooks.cells import read_answers


def test_the_expression_errors_kind_is_a_field():
    with pytest.raises(ExprError) as call:
        evaluate("my_sigmoid(0.5)")
    assert call.value.call == "my_sigmoid" and call.value.absent is None
    with pytest.raises(ExprError) as absent:
        evaluate("o_A + 1", {}, {"o_A": "uses o_A before it is answered"})
    assert absent.value.absent == "o_A" and absent.value.call is None


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "ast"])
def test_an_answer_only_running_computes_is_marked_by_a_field(fast):
    """A notebook's answers that call a function, use what only running defines, or are assigned
    in a loop need execution (a field); an unreadable one does not."""
    cells = ["def f(x):\n    return x\nh = f(2)\n",
             "p_A = f(1)\no_A = h + 1\nfor i in range(1):\n    p_B = 1\n",
             "o_B = 2 +* 3\nP = 1 / (1 + exp(-1))\n"]
    answers, _ = read_answers(cells, ["p_A", "o_A", "p_B", "o_B", "P"], {}, fast=fast)
    assert {q for q, a in answers.items() if a.needs_execution} == {"p_A", "o_A", "p_B"}
    assert answers["o_B"].invalid and not answers["P"].invalid


def test_a_rejected_draw_says_which_check_it_failed_as_a_kind():
    family = load_family("2-2-1")
    rng = Drbg(student_seed(b"secret", family.id, "hw", "s1"))
    kinds = set()
    for _ in range(300):
        reason, _, _ = rejection(family, draw_instance(family, rng))
        if reason is not None:
            assert reason.kind in REJECTIONS
            assert reason.message.startswith(reason.kind + ": ")
            kinds.add(reason.kind)
    assert kinds  # (300 draws of 2-2-1 meet at least one rejection)


@pytest.mark.parametrize(("word", "options", "said"), [
    ("X1", ["x1", "x2"], " (did you mean 'x1'?)"),
    ("dleta_A", ["delta_A", "delta_B", "p_A"], " (did you mean 'delta_A'?)"),
    ("anwsers", ("instance", "answers", "meta"), " (did you mean 'answers'?)"),
    ("zzz", ["x1"], ""),
], ids=["case", "typo", "table", "none"])
def test_one_did_you_mean(word, options, said):
    assert did_you_mean(word, options) == said
