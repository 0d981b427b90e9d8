"""A small, safe evaluator of plain arithmetic: what a student may write as an answer.

``evaluate("1/(1+exp(-0.5))")`` parses the text with :mod:`ast` and walks the tree; nothing is
ever passed to ``eval``. Accepted: numbers (not booleans or complex), ``+ - * / **`` (the
exponent bounded), unary ``+``/``-``, parentheses, ``exp``/``log``/``sqrt`` (also spelled
``math.exp``, ``np.exp``, ``numpy.exp``), ``round(x, n)`` and names looked up in ``names`` (given
values such as ``x1``, ``w_x1_A``, ``alpha``, ``d_C``, and earlier quantity ids). Everything else
raises :class:`ExprError`, a :class:`~grader.errors.BackpropError` whose one-line message says
what was not understood (``unknown name 'foo'``, ``needs execution: calls foo()``, ...).

Text is read as people write it: the typographic signs our PDFs print and word processors make
(the minus sign ``−``, ``×``, ``·``, ``÷``, dashes, non-breaking and thin spaces) are read as
their ASCII signs (:func:`normalize`), and a decimal comma (``-0,5``) gets a message that says
to write a decimal point. Python source (a notebook's code) is not normalised: Python itself
refuses those signs when the notebook runs.

The answer readers (:mod:`grader.answers`, :mod:`grader.notebooks.read`) call :func:`evaluate`
on text and :func:`evaluate_node` on the right-hand side of a notebook's ``id = ...`` lines;
``absent`` gives the message for a name that is not (yet) a value, such as an answer further
down the file.
"""

from __future__ import annotations

import ast
import math
import re
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
#: round(x, n): at most this many decimals
MAX_ROUND = 15

_EMPTY: Mapping[str, float] = {}
_NO_REASONS: Mapping[str, str] = {}

#: typographic signs read as the ASCII sign they stand for (:func:`normalize`)
TYPOGRAPHIC = {
    "\u2212": "-", "\u2013": "-", "\u2012": "-", "\u2010": "-", "\u2011": "-", "\ufe63": "-", "\uff0d": "-",
    "\u00d7": "*", "\u00b7": "*", "\u22c5": "*", "\u2219": "*", "\u2217": "*",
    "\u00f7": "/", "\u2215": "/",
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\u2002": " ", "\u2003": " ", "\u200a": " ",
    "\u200b": "", "\ufeff": "", "\u2060": "",
}
_TYPOGRAPHIC = str.maketrans(TYPOGRAPHIC)
_DECIMAL_COMMA = re.compile(r"(?<![\w.(])(\d+),(\d+)(?![\w.(])")


class ExprError(BackpropError):
    """An answer that is not a plain arithmetic expression over known values.

    ``call``: the function an expression calls that an answer cannot (``foo`` of ``foo(1)``);
    the readers say what to do (run the notebook with ``--execute``, or write the number)."""

    def __init__(self, message: str, *, call: str | None = None, absent: str | None = None) -> None:
        super().__init__(message)
        self.call = call
        #: the name used that is known but has no value (the message is the caller's)
        self.absent = absent


def normalize(text: str) -> str:
    """``text`` with the typographic signs of :data:`TYPOGRAPHIC` as ASCII (``−0.5`` -> ``-0.5``)."""
    return text.translate(_TYPOGRAPHIC) if not text.isascii() else text


def decimal_comma(text: str) -> str | None:
    """The message for a number written with a decimal comma (``-0,5``), else None."""
    m = _DECIMAL_COMMA.search(text)
    if m is None:
        return None
    fixed = _DECIMAL_COMMA.sub(r"\1.\2", text.strip())
    return f"uses a decimal comma ({m.group(0)}); write a decimal point: {_short(fixed)}"


def evaluate(text: str, names: Mapping[str, float] = _EMPTY,
             absent: Mapping[str, str] = _NO_REASONS) -> float:
    """The value of ``text``; :class:`ExprError` if it is not a plain arithmetic expression.
    ``absent``: the message for a name that is known but has no value (see the module docstring)."""
    if not isinstance(text, str):
        raise ExprError(f"is not text: {type(text).__name__}")
    source = normalize(text).strip()
    if not source:
        raise ExprError("is empty")
    if len(source) > MAX_LENGTH:
        raise ExprError(f"is too long ({len(source)} characters; at most {MAX_LENGTH})")
    comma = decimal_comma(source)
    if comma is not None:
        raise ExprError(comma)
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise ExprError(f"is not a number or an arithmetic expression: {_short(source)!r}") from None
    return evaluate_node(tree.body, names, absent)


def evaluate_node(node: ast.expr, names: Mapping[str, float] = _EMPTY,
                  absent: Mapping[str, str] = _NO_REASONS) -> float:
    """The value of an already-parsed expression node (see the module docstring)."""
    value = _eval(node, names, 0, absent)
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


def _eval(node: ast.expr, names: Mapping[str, float], depth: int, absent: Mapping[str, str]) -> float:
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
        raise ExprError(f"is not a number: {_short(repr(v))}")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
        x = _eval(node.operand, names, d, absent)
        return -x if isinstance(node.op, ast.USub) else x
    if isinstance(node, ast.BinOp):
        a = _eval(node.left, names, d, absent)
        b = _eval(node.right, names, d, absent)
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
                raise ExprError(f"uses {_short(node.id)!r}, which is not a number")
            return _finite(float(v))
        if node.id in absent:
            raise ExprError(absent[node.id], absent=node.id)
        if node.id in ("e", "pi"):
            return math.e if node.id == "e" else math.pi
        if node.id.lower() == "nan":
            raise ExprError("is not a number (NaN)")
        if node.id.lower() in ("inf", "infinity"):
            raise ExprError("is infinite, not an answer")
        raise ExprError(f"unknown name {_short(node.id)!r}")
    if isinstance(node, ast.Call):
        name = _function_name(node.func)
        if name == "round":
            return _round(node, names, d, absent)
        if name not in FUNCTIONS:
            shown = name if name is not None else unparse(node.func)
            raise ExprError(f"needs execution: calls {_short(shown)}()", call=_short(shown))
        if node.keywords or len(node.args) != 1:
            raise ExprError(f"{name}() takes exactly one number")
        x = _eval(node.args[0], names, d, absent)
        if name == "exp" and x > 700:
            raise ExprError(TOO_LARGE)
        if name in ("log", "sqrt") and (x < 0 or (name == "log" and x == 0)):
            raise ExprError(f"takes {name}() of {x:g}, which is undefined")
        return _finite(FUNCTIONS[name](x))
    if isinstance(node, ast.Attribute):
        raise ExprError(f"unknown name {_short(unparse(node))!r}")
    if isinstance(node, ast.Tuple) and len(node.elts) == 2 and all(map(_is_integer, node.elts)):
        whole, part = (unparse(e) for e in node.elts)
        raise ExprError(f"uses a decimal comma ({whole},{part}); write a decimal point: {whole}.{part}")
    raise ExprError(f"is not a plain arithmetic expression: {_short(unparse(node))!r}")


def _is_integer(node: ast.expr) -> bool:
    """An integer literal, or minus one (the halves of ``-0,5``, which Python reads as a pair)."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) is int


def _round(node: ast.Call, names: Mapping[str, float], depth: int, absent: Mapping[str, str]) -> float:
    """``round(x)`` or ``round(x, n)`` with ``n`` a whole number from 0 to :data:`MAX_ROUND`."""
    if node.keywords or not 1 <= len(node.args) <= 2:
        raise ExprError("round() takes a number and a number of decimals: round(x, 4)")
    x = _eval(node.args[0], names, depth, absent)
    n = _eval(node.args[1], names, depth, absent) if len(node.args) == 2 else 0.0
    if n != int(n) or not 0 <= n <= MAX_ROUND:
        raise ExprError(f"round() takes a whole number of decimals from 0 to {MAX_ROUND}, not {n:g}")
    return float(round(x, int(n)))
