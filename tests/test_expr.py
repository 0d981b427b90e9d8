"""The safe evaluator: what a student may write as an answer, and everything it refuses."""

from __future__ import annotations

import ast
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader.errors import BackpropError
from grader.expr import ExprError, evaluate, evaluate_node

NAMES = {"x1": 1.0, "w_x1_A": 0.5, "alpha": 0.25, "d_C": 1.0}


@pytest.mark.parametrize("text, value", [
    ("0.25", 0.25),
    ("1/4", 0.25),
    (" -0.5 ", -0.5),
    ("exp(-1)", math.exp(-1)),
    ("1/(1+exp(-0.5))", 1 / (1 + math.exp(-0.5))),
    ("math.exp(1)", math.e),
    ("np.exp(2)", math.exp(2)),
    ("numpy.log(2)", math.log(2)),
    ("sqrt(0.25)", 0.5),
    ("2**-2", 0.25),
    ("+3 - -2", 5.0),
    ("w_x1_A * x1 + alpha", 0.75),
    ("0.7311 * (1 - 0.7311) * (d_C - 0.7311)", 0.7311 * (1 - 0.7311) * (1 - 0.7311)),
], ids=lambda x: str(x))
def test_accepted(text, value):
    assert evaluate(text, NAMES) == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize("text, message", [
    ("foo", "unknown name 'foo'"),
    ("open('x')", "needs execution: calls open()"),
    ("__import__('os').system('ls')", "needs execution: calls __import__('os').system()"),
    ("(lambda: 1)()", "needs execution: calls lambda: 1()"),
    ("x1.real", "unknown name 'x1.real'"),
    ("True", "is a boolean (True), not a number"),
    ("1j", "is a complex number"),
    ("'1'", "is a string inside the expression; write the number without quotes"),
    ("nan", "is not a number (NaN)"),
    ("inf", "is infinite, not an answer"),
    ("1e400", "is too large (more than 1e12 in size)"),
    ("10**99", "is too large (more than 1e12 in size)"),
    ("exp(1000)", "is too large (more than 1e12 in size)"),
    ("2**1000", "has an exponent too large (1000; at most 100)"),
    ("1/0", "divides by zero"),
    ("0**-1", "divides by zero"),
    ("log(0)", "takes log() of 0, which is undefined"),
    ("sqrt(-1)", "takes sqrt() of -1, which is undefined"),
    ("(-8)**(1/3)", "raises a negative number to a fractional power"),
    ("7 // 2", "uses the operator //, which is not allowed"),
    ("2^3", "uses the operator ^, which is not allowed (use ** for powers)"),
    ("exp(1, 2)", "exp() takes exactly one number"),
    ("[1]", "is not a plain arithmetic expression: '[1]'"),
    ("1 if x1 else 2", "is not a plain arithmetic expression: '1 if x1 else 2'"),
    ("1 +", "is not a number or an arithmetic expression: '1 +'"),
    ("", "is empty"),
    ("1+" * 100 + "1", "is too long (201 characters; at most 200)"),
    ("-(" * 40 + "1" + ")" * 40, "is nested too deeply"),
    ("-" * 60 + "1", "is nested too deeply"),
], ids=lambda x: str(x)[:30])
def test_refused(text, message):
    with pytest.raises(ExprError) as info:
        evaluate(text, NAMES)
    assert str(info.value) == message
    assert isinstance(info.value, BackpropError)


def test_evaluate_node_for_notebook_lines():
    """Does evaluate_node read the right-hand side of an `id = ...` line of a notebook cell?"""
    stmt = ast.parse("delta_C = 0.7311 * (1 - 0.7311) * (d_C - 0.7311)").body[0]
    assert evaluate_node(stmt.value, NAMES) == pytest.approx(0.7311 * 0.2689 * 0.2689)
    with pytest.raises(ExprError, match="unknown name 'o_C'"):
        evaluate_node(ast.parse("o_C * 2", mode="eval").body, NAMES)


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_numbers_round_trip(x):
    """Does every written float read back as itself?"""
    assert evaluate(repr(x)) == x


@given(st.text(max_size=60))
def test_never_anything_but_a_number_or_expr_error(text):
    """Does any text at all give a finite float or an ExprError, never another exception?"""
    try:
        v = evaluate(text, NAMES)
    except ExprError:
        return
    assert isinstance(v, float) and math.isfinite(v)
