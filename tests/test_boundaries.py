"""Error kinds travel as fields, never read back out of message text; one did_you_mean."""

from __future__ import annotations

import pytest

from grader.answers import read_answer_file
from grader.errors import did_you_mean
from grader.expr import ExprError, evaluate
from grader.families import load_family
from grader.generator import REJECTIONS, Drbg, draw_instance, rejection, student_seed


def test_an_answer_only_code_computes_is_marked_as_such_not_by_its_message():
    with pytest.raises(ExprError) as call:
        evaluate("my_sigmoid(0.5)")
    assert call.value.needs_execution and call.value.unknown is None
    with pytest.raises(ExprError) as name:
        evaluate("o_Q + 1")
    assert name.value.unknown == "o_Q" and not name.value.needs_execution


def test_an_answer_files_answer_carries_the_kind(tmp_path):
    """The same answer in a TOML file: invalid, and marked as needing execution by a field."""
    path = tmp_path / "a.toml"
    path.write_text('[instance]\nalpha = 0.5\nbias = "none"\ninputs = ["x1"]\nlayers = [["A"]]\n'
                    "weights = { x1_A = 1.0 }\nsamples = [{ inputs = { x1 = 1.0 }, desired = { A = 1.0 } }]\n"
                    '[answers]\np_A = "f(1)"\no_A = "2 +"\n')
    answers = read_answer_file(str(path)).answers
    assert answers["p_A"].invalid and answers["p_A"].needs_execution
    assert answers["o_A"].invalid and not answers["o_A"].needs_execution


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
