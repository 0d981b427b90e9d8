"""Reading a notebook's answers from its code cells without running it (the default everywhere).

Every code cell is parsed with :mod:`ast`, in notebook order; top-level assignments to quantity
ids are answers, and the last one wins (tagged or not, in any cell, split or merged). The value
may be a number or an arithmetic expression over numbers, ``exp``, ``round``, the given values
and the names assigned above it to plain values, as when the notebook runs from top to bottom;
it is read by the one reader of answers (:mod:`grader.answers`, :mod:`grader.expr`), never
``eval``. ``o_A = ...`` (the handout's placeholder) is unanswered and does not override an
earlier answer. A cell with a syntax error loses only the lines that cannot be read. An answer
that needs anything else (a call of the student's own function, a loop) is invalid with a
message starting ``needs execution`` that names ``--execute``.

Cells made only of plain lines are read without ast (:mod:`.plain`), with the same result
(``read_answers(..., fast=False)`` reads every cell with ast).
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Collection, Mapping

from ..answer_hints import fix
from ..answer_hints import message as hint_message
from ..answers import Answer, Names, call_message, foreign_digits, read_text
from ..expr import TYPOGRAPHIC, ExprError, decimal_comma, evaluate_node, normalize, unparse
from .plain import plain_rows, read_plain, read_usual_notebook

ASSIGN_RE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)")
_NAN_NAMES = {"nan", "NaN", "NAN"}


def _strip_magics(source: str) -> str:
    """IPython magics and shell lines (``%time``, ``!ls``) become blank lines (lines keep their numbers)."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.split("\n"))


def parse_cell(source: str) -> tuple[list[ast.stmt], list[tuple[int, str]]]:
    """The statements of a cell, and the lines (number, text) lost to syntax errors.

    A syntax error blanks out only the line it is on, and parsing is tried again; what still
    does not parse is read line by line.
    """
    lines = _strip_magics(source).split("\n")
    lost: list[tuple[int, str]] = []
    for _ in range(min(len(lines), 50) + 1):
        try:
            return ast.parse("\n".join(lines)).body, lost
        except SyntaxError as exc:
            n = (exc.lineno or 0) - 1
            if not 0 <= n < len(lines) or not lines[n].strip():
                break
            lost.append((n + 1, lines[n]))
            lines[n] = ""
        except (ValueError, MemoryError, RecursionError):
            break
    body: list[ast.stmt] = []
    for i, line in enumerate(lines):
        if not line.strip() or line[:1].isspace():
            continue
        try:
            stmts = ast.parse(line).body
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            if (i + 1, line) not in lost:
                lost.append((i + 1, line))
            continue
        for s in stmts:
            ast.increment_lineno(s, i)
        body.extend(stmts)
    return body, sorted(lost)


def _special_value(node: ast.expr, names: Mapping[str, float]) -> float | None:
    """Values the arithmetic evaluator does not take but a notebook may hold: ``float("...")``,
    ``math.nan`` / ``np.nan``."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "float"
            and len(node.args) == 1 and not node.keywords and isinstance(node.args[0], ast.Constant)):
        arg = node.args[0].value
        try:
            value = float(arg)
        except (TypeError, ValueError):
            raise ExprError(f"float({arg!r}) is not a number") from None
        if math.isnan(value):
            raise ExprError("is not a number (NaN)")
        return evaluate_node(ast.Constant(value), names)
    if isinstance(node, ast.Attribute) and node.attr in _NAN_NAMES and isinstance(node.value, ast.Name):
        raise ExprError("is not a number (NaN)")
    if isinstance(node, ast.Name) and node.id in _NAN_NAMES and node.id not in names:
        raise ExprError("is not a number (NaN)")
    return None


def read_node(name: str, node: ast.expr, known: Names) -> tuple[Answer, bool]:
    """The value assigned to ``name`` by ``node``, read as an answer: a string by the reader of
    text answers (as in an answer file), anything else by the evaluator of expressions; and
    whether it calls a function, so that only running the notebook gives its value."""
    shown = _shown(node)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return read_text(name, node.value, shown, known.values, known.absent), False
    try:
        value = _special_value(node, known.values)
        if value is None:
            value = evaluate_node(node, known.values, known.absent)
    except ExprError as exc:
        if exc.call is not None and not exc.call.isidentifier():  # 0.3775 (rounded): no call to run
            message = hint_message(unparse(node)) or exc.message
            return Answer(name, shown, None, message), False
        message = exc.message if exc.call is None else call_message(exc.call, runnable=True)
        needs = exc.call is not None or exc.absent in known.dynamic
        return Answer(name, shown, None, message, needs), exc.call is not None
    return Answer(name, shown, value), False


def _dynamic(name: str) -> str:
    """The message for an answer that uses ``name``, which only running the notebook defines."""
    return (f"needs execution: uses {name}, which only running the notebook defines; check (or grade) "
            "with --execute to run the notebook")


#: a run of digits longer than Python reads as one integer (sys.get_int_max_str_digits)
_LONG_DIGITS = re.compile(r"[0-9_]{4301}")


def _lost_answer(qid: str, line: str, where: str) -> Answer:
    """The answer on a line that does not parse: what Python did not read, and the fix."""
    value = line.split("=", 1)[1].strip()
    sign = next((c for c in value if c in TYPOGRAPHIC), None)
    comma = decimal_comma(value)
    if sign is not None:
        message = (f"uses the sign {sign} (U+{ord(sign):04X}, as printed), which Python does not read "
                   f"({where}); type it in ASCII: {qid} = {normalize(value)[:60]}")
    elif comma is not None:
        message = f"{comma.replace(': ', f': {qid} = ', 1)} ({where})"
    elif (digits := foreign_digits(value, f"{qid} = ")) is not None:
        message = digits.replace(";", f", which Python does not read ({where});", 1)
    elif _LONG_DIGITS.search(value):  # (Python reads no integer of more than 4300 digits)
        message = (f"has a number of thousands of digits ({where}); write an ordinary number such as 0.5")
    elif (fixed := fix(value)) is not None:  # 37.75%, ≈ 0.3775, 0.3775 units
        message = f"{fixed[0]}, which Python does not read ({where}); write {qid} = {fixed[1]}"
    else:
        message = f"has a syntax error ({where}); write a number or an arithmetic expression"
    return Answer(qid, value[:60], None, message)


def _targets(stmt: ast.stmt) -> list[tuple[str, ast.expr | None]]:
    """(name, value node) pairs a top-level statement assigns; value None when not a plain value."""
    if isinstance(stmt, ast.Assign):
        out: list[tuple[str, ast.expr | None]] = []
        for target in stmt.targets:
            if isinstance(target, ast.Name):
                out.append((target.id, stmt.value))
            elif isinstance(target, (ast.Tuple, ast.List)):
                values = stmt.value.elts if isinstance(stmt.value, (ast.Tuple, ast.List)) else None
                for i, elt in enumerate(target.elts):
                    if isinstance(elt, ast.Name):
                        same = values is not None and len(values) == len(target.elts)
                        out.append((elt.id, values[i] if same else None))
        return out
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
        return [(stmt.target.id, stmt.value)]
    # anything else that binds a name (loops, with, augmented assignment, def, import...) needs running
    defs = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return [
        (n.id, None) for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    ] + [(n.name, None) for n in ast.walk(stmt) if isinstance(n, defs)]


def _how(stmt: ast.stmt) -> str:
    kinds = {ast.For: "a for loop", ast.While: "a while loop", ast.If: "an if statement",
             ast.With: "a with block", ast.Try: "a try block", ast.AugAssign: "an augmented assignment",
             ast.FunctionDef: "a function", ast.Import: "an import", ast.ImportFrom: "an import"}
    return kinds.get(type(stmt), "a statement that is not a plain assignment")


def read_answers(
    cells: Collection[str], ids: Collection[str], givens: Mapping[str, float], *, fast: bool = True,
) -> tuple[dict[str, Answer], list[str]]:
    """The answers by quantity id read from code cell sources, and warnings (lost lines).

    Cells made only of plain lines (numbers, placeholders, comments: the handout filled in) are
    read without :mod:`ast` (:func:`read_usual_notebook`, :func:`read_plain`), with the same
    result; ``fast=False`` parses every cell with ast (the tests compare the two).
    """
    valid = set(ids)
    if fast:
        usual = read_usual_notebook(cells, valid)
        if usual is not None:
            return usual, []
    known = Names(givens, valid)
    names = known.values
    answers: dict[str, Answer] = {}
    warnings: list[str] = []
    plain = [plain_rows(src) if fast else None for src in cells]
    parsed = [parse_cell(src) if rows is None else ([], []) for src, rows in zip(cells, plain, strict=True)]
    dynamic = {name for body, _ in parsed for stmt in body for name, node in _targets(stmt) if node is None}
    for name in dynamic:
        known.runs(name, _dynamic(name))
    for number, (body, lost) in enumerate(parsed, 1):
        rows = plain[number - 1]
        if rows is not None:
            read_plain(rows, valid, known, answers)
            continue
        for line_no, line in lost:
            m = ASSIGN_RE.match(line)
            if m and m.group(1) in valid:
                where = f"code cell {number}, line {line_no}"
                answer = answers[m.group(1)] = _lost_answer(m.group(1), line, where)
                known.note(answer)
            else:
                warnings.append(f"code cell {number}, line {line_no}: syntax error, "
                                f"line ignored: {line.strip()[:60]!r}")
        for stmt in body:
            for name, node in _targets(stmt):
                if node is None:
                    names.pop(name, None)
                    if name in valid:
                        answer = answers[name] = Answer(
                            name, None, None,
                            f"needs execution: assigned in {_how(stmt)} (code cell {number}); check (or "
                            "grade) with --execute to run the notebook, or write a plain value", True)
                        known.note(answer)
                    continue
                if isinstance(node, ast.Constant) and (node.value is Ellipsis or node.value is None or (
                        isinstance(node.value, str) and not node.value.strip())):
                    if name in valid and name not in answers:
                        known.note(Answer(name, None, None))
                    continue  # the handout's placeholder: unanswered, keeps any earlier answer
                answer, runs = read_node(name, node, known)
                if name in valid:
                    answers[name] = answer
                    known.note(answer)
                elif answer.value is not None:
                    names[name] = answer.value
                else:
                    names.pop(name, None)
                    if runs:
                        known.runs(name, _dynamic(name))
    return answers, warnings


def _shown(node: ast.expr) -> str | float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) \
            and isinstance(node.operand, ast.Constant) \
            and isinstance(node.operand.value, (int, float)) and not isinstance(node.operand.value, bool):
        return -node.operand.value
    text = unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."

