"""A small, safe evaluator of plain arithmetic: what a student may write as an answer.

``evaluate("1/(1+exp(-0.5))")`` parses the text with :mod:`ast` and walks the tree; nothing is
ever passed to ``eval``. Accepted: numbers (not booleans or complex), ``+ - * / **`` (the
exponent bounded), unary ``+``/``-``, parentheses, ``exp``/``log``/``sqrt`` (also spelled
``math.exp``, ``np.exp``, ``numpy.exp``) and names looked up in ``names`` (given values such as
``x1``, ``w_x1_A``, ``alpha``, ``d_C``, and earlier quantity ids). Everything else raises
:class:`ExprError`, a :class:`~grader.errors.BackpropError` whose one-line message says what
was not understood (``unknown name 'foo'``, ``needs execution: calls foo()``, ...).

The notebook reader calls :func:`evaluate_node` on the right-hand side of ``id = ...`` lines.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping

from .errors import BackpropError

MAX_LENGTH = 200
MAX_DEPTH = 30
MAX_EXPONENT = 100.0
#: results larger than this are not an answer to any question this tool asks
MAX_MAGNITUDE = 1e12
TOO_LARGE = "is too large (more than 1e12 in size)"

FUNCTIONS = {"exp": math.exp, "log": math.log, "sqrt": math.sqrt}
MODULES = ("math", "np", "numpy")

_EMPTY: Mapping[str, float] = {}


class ExprError(BackpropError):
    """An answer that is not a plain arithmetic expression over known values. What kind of
    problem it is are fields, never read out of the message: ``needs_execution`` (code that
    only running the notebook computes), ``unknown`` (the unknown name, when that is it)."""

    def __init__(self, message: str, *, needs_execution: bool = False, unknown: str | None = None) -> None:
        super().__init__(message)
        self.needs_execution = needs_execution
        self.unknown = unknown


def evaluate(text: str, names: Mapping[str, float] = _EMPTY) -> float:
    """The value of ``text``; :class:`ExprError` if it is not a plain arithmetic expression."""
    if not isinstance(text, str):
        raise ExprError(f"is not text: {type(text).__name__}")
    source = text.strip()
    if not source:
        raise ExprError("is empty")
    if len(source) > MAX_LENGTH:
        raise ExprError(f"is too long ({len(source)} characters; at most {MAX_LENGTH})")
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise ExprError(f"is not a number or an arithmetic expression: {_short(source)!r}") from None
    return evaluate_node(tree.body, names)


def evaluate_node(node: ast.expr, names: Mapping[str, float] = _EMPTY) -> float:
    """The value of an already-parsed expression node (see the module docstring)."""
    value = _eval(node, names, 0)
    return _finite(value)


def _short(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def unparse(node: ast.AST) -> str:
    """The source text of ``node`` (``ast.unparse``); a placeholder for one nested so deeply that
    writing it out would exhaust the stack (``-`` nine hundred times, ``a.a.a...``)."""
    try:
        return ast.unparse(node)
    except RecursionError:
        return "(an expression nested too deeply)"


def _finite(value: float) -> float:
    if math.isnan(value):
        raise ExprError("is not a number (NaN)")
    if math.isinf(value) or abs(value) > MAX_MAGNITUDE:
        raise ExprError(TOO_LARGE)
    return value


def _function_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in MODULES:
        return func.attr
    return None


def _eval(node: ast.expr, names: Mapping[str, float], depth: int) -> float:
    if depth > MAX_DEPTH:
        raise ExprError("is nested too deeply")
    d = depth + 1
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool):
            raise ExprError(f"is a boolean ({v}), not a number")
        if isinstance(v, complex):
            raise ExprError("is a complex number")
        if isinstance(v, (int, float)):
            if isinstance(v, int) and abs(v) > 10**15:
                raise ExprError(TOO_LARGE)
            return _finite(float(v))
        if isinstance(v, str):
            raise ExprError("is a string inside the expression; write the number without quotes")
        raise ExprError(f"is not a number: {v!r}")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
        x = _eval(node.operand, names, d)
        return -x if isinstance(node.op, ast.USub) else x
    if isinstance(node, ast.BinOp):
        a = _eval(node.left, names, d)
        b = _eval(node.right, names, d)
        op = node.op
        if isinstance(op, ast.Add):
            return _finite(a + b)
        if isinstance(op, ast.Sub):
            return _finite(a - b)
        if isinstance(op, ast.Mult):
            return _finite(a * b)
        if isinstance(op, ast.Div):
            if b == 0:
                raise ExprError("divides by zero")
            return _finite(a / b)
        if isinstance(op, ast.Pow):
            if abs(b) > MAX_EXPONENT:
                raise ExprError(f"has an exponent too large ({b:g}; at most {MAX_EXPONENT:g})")
            if a == 0 and b < 0:
                raise ExprError("divides by zero")
            if a < 0 and b != int(b):
                raise ExprError("raises a negative number to a fractional power")
            try:
                return _finite(float(a**b))
            except (OverflowError, ZeroDivisionError):
                raise ExprError(TOO_LARGE) from None
        symbols = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.BitXor: "^"}
        symbol = symbols.get(type(op), type(op).__name__)
        hint = " (use ** for powers)" if symbol == "^" else ""
        raise ExprError(f"uses the operator {symbol}, which is not allowed{hint}")
    if isinstance(node, ast.Name):
        if node.id in names:
            v = names[node.id]
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ExprError(f"uses {node.id!r}, which is not a number")
            return _finite(float(v))
        if node.id in ("e", "pi"):
            return math.e if node.id == "e" else math.pi
        if node.id.lower() == "nan":
            raise ExprError("is not a number (NaN)")
        if node.id.lower() in ("inf", "infinity"):
            raise ExprError("is infinite, not an answer")
        raise ExprError(f"unknown name {node.id!r}", unknown=node.id)
    if isinstance(node, ast.Call):
        name = _function_name(node.func)
        if name not in FUNCTIONS:
            shown = name if name is not None else unparse(node.func)
            raise ExprError(f"needs execution: calls {_short(shown)}()", needs_execution=True)
        if node.keywords or len(node.args) != 1:
            raise ExprError(f"{name}() takes exactly one number")
        x = _eval(node.args[0], names, d)
        if name == "exp" and x > 700:
            raise ExprError(TOO_LARGE)
        if name in ("log", "sqrt") and (x < 0 or (name == "log" and x == 0)):
            raise ExprError(f"takes {name}() of {x:g}, which is undefined")
        return _finite(FUNCTIONS[name](x))
    if isinstance(node, ast.Attribute):
        shown = _short(unparse(node))
        raise ExprError(f"unknown name {shown!r}", unknown=shown)
    raise ExprError(f"is not a plain arithmetic expression: {_short(unparse(node))!r}")
