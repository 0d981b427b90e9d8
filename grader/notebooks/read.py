"""Reading a notebook's answers without running it (the default everywhere).

Every code cell is parsed with :mod:`ast`, in notebook order; top-level assignments to quantity
ids are answers, and the last one wins (tagged or not, in any cell, split or merged). The value
may be a number or an arithmetic expression over numbers, ``exp``, the given values and names
assigned earlier to plain values; it is evaluated by :func:`grader.expr.evaluate_node`, never
``eval``. ``o_A = ...`` (the handout's placeholder) is unanswered and does not override an
earlier answer. A cell with a syntax error loses only the lines that cannot be read. An answer
that needs anything else (a call of the student's own function, a loop) is invalid with a
message starting ``needs execution``.

Most notebooks are the handout filled in with numbers: a cell made only of such plain lines
(``o_C = 0.5987``, ``o_C = ...``, comments, blank lines) is read with regular expressions instead
of ast, with exactly the same result (``read_answers(..., fast=False)`` reads every cell with ast).

File problems (empty, not JSON, truncated, binary, not nbformat 4, over :data:`MAX_CODE`
characters of code) are one :class:`~grader.errors.BackpropError` line each. A lone surrogate
(the JSON escape ``\\ud800``: valid JSON, but no character) in a code cell or the metadata
becomes U+FFFD when the file is read, so that nothing read from it fails to print or write.
"""

from __future__ import annotations

import ast
import codecs
import dataclasses
import json
import keyword
import math
import os
import re
import sys
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any

from ..answers import Answer, Submission, unknown_messages
from ..errors import BackpropError
from ..expr import MAX_MAGNITUDE, TOO_LARGE, ExprError, evaluate, evaluate_node, unparse
from ..files import read_bytes
from ..model import Instance, instance_from_dict

_ASSIGN_RE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)")
_NAN_NAMES = {"nan", "NaN", "NAN"}

# A *plain* line, read without ast (see _plain_rows): blank; a comment; or, not indented,
# ``name = <literal>`` with an optional unary sign on a decimal int or float literal (underscores
# as Python allows them, no leading zeros in ints, ints of at most 931 digits where Python allows
# 4300), or ``name = ...`` / ``name = None``; then an optional comment. Only ' ', tab and form
# feed are whitespace inside a line (what Python's tokenizer skips). One match per plain line:
# (name, sign, float literal, int literal), the name empty for a blank or comment line and both
# literals empty for a placeholder; no match for any other line. The cell has been checked for
# carriage returns, NULs and lone surrogates first, so a comment (``#.*``) cannot hold them.
# Possessive quantifiers (*+, ++, ?+) throughout: nothing in a plain line needs a character given
# back, and they make matching several times faster.
_WS = r"[ \t\f]*+"
_DIGITS = r"[0-9]++(?:_[0-9]++)*+"
_EXPONENT = rf"[eE][+-]?+{_DIGITS}"
_FLOAT = rf"(?:{_DIGITS})?+\.{_DIGITS}(?:{_EXPONENT})?+|{_DIGITS}(?:\.(?:{_EXPONENT})?+|{_EXPONENT})"
_INT = r"[1-9][0-9]{0,30}+(?:_[0-9]{1,30}+){0,30}+|0{1,30}+(?:_0{1,30}+){0,30}+"
_PLAIN_LINE_RE = re.compile(
    rf"^(?:([A-Za-z_][A-Za-z0-9_]*+){_WS}={_WS}(?:(?:([-+]){_WS})?+(?:({_FLOAT})|({_INT}))|\.\.\.|None))?+"
    rf"{_WS}(?:#.*+)?+$", re.MULTILINE)
# The usual lines only (``o_C = 0.5987``, ``w_x1_A = -1.0``, ``p_A = 1e-05``, ``o_C = ...``,
# comments at the start of a line), several times faster: one match per line, (name, the float
# literal with its sign), the literal empty for a placeholder, both for a blank or comment line.
# The literal is a float (Python's ints are left to _PLAIN_LINE_RE), so that its value, with
# the sign, is also what _shown gives. A cell with any other line is matched with _PLAIN_LINE_RE.
_USUAL_LINE_RE = re.compile(
    r"^(?:#.*+"
    r"|([A-Za-z_][A-Za-z0-9_]*+) *+= *+(?:(-?[0-9]++(?:\.[0-9]++(?:e[-+]?+[0-9]++)?+|e[-+]?+[0-9]++))|\.\.\.)"
    r"(?: *+#.*+)?+"
    r"|)$", re.MULTILINE)
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
#: the most characters of code a notebook may hold: a handout's answers take a few thousand, and
#: reading tens of millions would take seconds (each answer line makes an Answer)
MAX_CODE = 1_000_000
_KEYWORDS = frozenset(keyword.kwlist)
_INF_TEXT = "1e" + repr(sys.float_info.max_10_exp + 1)  # how ast.unparse writes an infinite float
_is_str = str.__instancecheck__  # isinstance(x, str), for filter()


@dataclass(frozen=True)
class Notebook:
    """A notebook file read as plain data: its code cells and its ``metadata.backprop``."""

    path: str
    code: tuple[tuple[str, tuple[str, ...]], ...]  # (source, tags) per code cell, in order
    meta: Mapping[str, Any] | None


# --------------------------------------------------------------------------- the file


def load_notebook(path: str | os.PathLike[str], data: bytes | None = None) -> Notebook:
    """Read a notebook file into a :class:`Notebook`; BackpropError if it cannot be read."""
    p = str(path)
    if data is None:
        data = read_bytes(p, noun="notebook file", plural="notebooks", size_hint=" (clear the outputs)")
    return parse_notebook(data, p)


def parse_notebook(data: bytes, source: str) -> Notebook:
    if not data or data.isspace():  # (not data.strip(), without copying the file)
        raise BackpropError(f"{source}: is empty (0 cells); submit the saved notebook")
    if data.find(b"\x00", 0, 8192) != -1:
        raise BackpropError(f"{source}: is a binary file, not a notebook")
    try:
        # what decode("utf-8-sig") does (the byte offset of an error counted after the BOM),
        # without its codec written in Python
        text = data[3:].decode() if data.startswith(codecs.BOM_UTF8) else data.decode()
    except UnicodeDecodeError as exc:
        raise BackpropError(f"{source}: is not a notebook (not UTF-8 text at byte {exc.start})") from None
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()) - 1 or not text.rstrip().endswith("}"):
            raise BackpropError(f"{source}: the notebook is cut off (truncated JSON at line {exc.lineno}); "
                                "submit the complete file") from None
        raise BackpropError(f"{source}: is not a notebook (invalid JSON: {exc.msg} at line {exc.lineno}, "
                            f"column {exc.colno})") from None
    except RecursionError:
        raise BackpropError(f"{source}: is not a notebook (JSON nested too deeply)") from None
    except ValueError:  # an integer of more than 4300 digits (Python's limit on reading one)
        raise BackpropError(f"{source}: is not a notebook (a number in it has thousands of digits); "
                            "submit the notebook as Jupyter saved it") from None
    if not isinstance(nb, dict) or "cells" not in nb and "worksheets" not in nb:
        raise BackpropError(f"{source}: is JSON but not a Jupyter notebook (no cells)")
    version = nb.get("nbformat")
    if version != 4:
        shown = "missing" if version is None else repr(version)
        raise BackpropError(f"{source}: nbformat version {shown} is not supported; open and save it in "
                            "Jupyter to get an nbformat 4 notebook")
    cells = nb.get("cells")
    if not isinstance(cells, list):
        raise BackpropError(f"{source}: is not a valid notebook (cells is not a list)")
    code = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        if isinstance(src, list):
            try:
                src = "".join(src)
            except TypeError:  # not only strings
                src = "".join(s for s in src if isinstance(s, str))
        if not isinstance(src, str):
            continue
        meta = cell.get("metadata")
        tags = meta.get("tags", []) if isinstance(meta, dict) else []
        code.append((src, tuple(filter(_is_str, tags)) if isinstance(tags, list) else ()))
    size = sum(len(src) for src, _ in code)
    if size > MAX_CODE:
        raise BackpropError(f"{source}: its code cells hold {size / 1e6:.1f} million characters; at most "
                            f"{MAX_CODE / 1e6:g} million are read (answers take a line each): "
                            "remove the large cell")
    metadata = nb.get("metadata")
    backprop = metadata.get("backprop") if isinstance(metadata, dict) else None
    backprop = backprop if isinstance(backprop, dict) else None
    if "\\ud" in text or "\\uD" in text:  # a lone surrogate (\ud800) is valid JSON, but no text
        code = [(_SURROGATE_RE.sub("\ufffd", src), tags) for src, tags in code]
        backprop = _without_surrogates(backprop, source)
    return Notebook(source, tuple(code), backprop)


def _without_surrogates(value: Any, source: str) -> Any:
    """``value`` with every lone surrogate in its strings replaced by U+FFFD (the replacement
    character), so that whatever is read from the notebook can be printed and written."""
    try:
        if isinstance(value, str):
            return _SURROGATE_RE.sub("\ufffd", value)
        if isinstance(value, list):
            return [_without_surrogates(v, source) for v in value]
        if isinstance(value, dict):
            return {_without_surrogates(k, source): _without_surrogates(v, source) for k, v in value.items()}
    except RecursionError:
        raise BackpropError(f"{source}: is not a notebook (its metadata is nested too deeply)") from None
    return value


# --------------------------------------------------------------------------- the answers


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
    """Values the arithmetic evaluator does not take but a notebook may hold: strings with a
    number (read like TOML answers), ``float("...")``, ``math.nan`` / ``np.nan``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
        if not text.strip():
            raise ExprError("is an empty string, not a number")
        if text.strip() in _NAN_NAMES:
            raise ExprError("is not a number (NaN)")
        value = evaluate(text, names)
        return value
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


def _value(node: ast.expr, names: Mapping[str, float], dynamic: Collection[str]) -> float:
    special = _special_value(node, names)
    if special is not None:
        return special
    try:
        return evaluate_node(node, names)
    except ExprError as exc:
        if exc.unknown is not None and exc.unknown in dynamic:
            raise ExprError(f"needs execution: uses {exc.unknown!r}, "
                            "which only running the notebook defines", needs_execution=True) from None
        raise


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


def _plain_rows(source: str) -> list[tuple[str, str, str, str]] | None:
    """The lines of a cell made only of plain lines (_PLAIN_LINE_RE's rows), or None for any other
    cell (for parse_cell). A plain cell parses whole, with :mod:`ast`, to top-level ``Assign``s of
    a ``Constant`` or of a unary ``-``/``+`` of one, which :func:`_read_plain` reads."""
    if "\r" in source:
        source = source.replace("\r\n", "\n")  # CRLF: the same lines to Python's tokenizer
        if "\r" in source:
            return None  # a lone CR is a line break to Python but not to split("\n")
    if "\x00" in source or not source.isascii() and _SURROGATE_RE.search(source):
        return None  # ast.parse rejects the whole cell
    rows = _PLAIN_LINE_RE.findall(source)
    if len(rows) != source.count("\n") + 1 or not _KEYWORDS.isdisjoint(map(itemgetter(0), rows)):
        return None  # a line that is not plain; `None = 1` is a syntax error
    return rows


def _read_plain(rows: list[tuple[str, str, str, str]], valid: set[str],
                names: dict[str, float], answers: dict[str, Answer]) -> None:
    """Read the rows of a plain cell (:func:`_plain_rows`) into ``names`` and ``answers`` exactly
    as the ast path does with its assignments.

    There, the placeholder (``...``, ``None``) is skipped; :func:`_shown` gives the number
    (negated for ``-``) or the ``ast.unparse`` text (for ``+``); the evaluator takes the number,
    rejects one above 1e12 (an infinite float too) as too large, then applies the sign.
    """
    for name, sign, float_text, int_text in rows:
        literal: int | float
        if float_text:
            literal = value = float(float_text)  # rounds as the compiler does, takes the same underscores
        elif int_text:
            literal = int(int_text)
            value = float(literal) if literal <= MAX_MAGNITUDE else math.inf
        else:
            continue  # blank, comment or placeholder
        if sign:
            if sign == "-":
                value = -value
                shown: str | int | float = -literal
            else:
                text = "+" + repr(literal).replace("inf", _INF_TEXT)
                shown = text if len(text) <= 60 else text[:57] + "..."
        else:
            shown = literal
        if -MAX_MAGNITUDE <= value <= MAX_MAGNITUDE:
            names[name] = value
            if name in valid:
                answers[name] = _new_answer(name, shown, value)
        else:
            names.pop(name, None)
            if name in valid:
                answers[name] = _new_answer(name, shown, None, TOO_LARGE)


def _filled_answer(qid: str, given: str | float, value: float | None, error: str | None = None) -> Answer:
    """``Answer(qid, given, value, error)`` in under half the time, by filling the new instance's
    ``__dict__``: the same object, as Answer's dataclass ``__init__`` only stores the fields."""
    answer = _object_new(Answer)
    fields = answer.__dict__
    fields["id"] = qid
    fields["given"] = given
    fields["value"] = value
    fields["error"] = error
    fields["needs_execution"] = False
    return answer


_object_new = object.__new__
# The fast path builds one Answer per answer, a good part of its time. Should Answer ever get
# other fields, a __post_init__ or slots, it is built the ordinary way.
_ANSWER_FIELDS = ["id", "given", "value", "error", "needs_execution"]
_new_answer = (_filled_answer if [f.name for f in dataclasses.fields(Answer)] == _ANSWER_FIELDS
               and not hasattr(Answer, "__post_init__") and not hasattr(Answer, "__slots__") else Answer)


def _read_usual_notebook(cells: Collection[str], valid: set[str]) -> dict[str, Answer] | None:
    """The answers when every line of every code cell is usual (_USUAL_LINE_RE), else None.

    The usual notebook, read at once: the lines of its cells in order are the lines of the cells
    joined with newlines, and as every value is a number, only the quantity ids need reading.
    """
    source = "\n".join(cells)
    if "\r" in source or "\x00" in source or not source.isascii() and _SURROGATE_RE.search(source):
        return None  # see _plain_rows
    rows = _USUAL_LINE_RE.findall(source)
    if len(rows) != source.count("\n") + 1 or not _KEYWORDS.isdisjoint(map(itemgetter(0), rows)):
        return None
    answers: dict[str, Answer] = {}
    for name, text in rows:
        if text and name in valid:  # not blank, comment or placeholder
            value = float(text)
            answers[name] = (_new_answer(name, value, value) if -MAX_MAGNITUDE <= value <= MAX_MAGNITUDE
                             else _new_answer(name, value, None, TOO_LARGE))
    return answers


def read_answers(
    cells: Collection[str], ids: Collection[str], givens: Mapping[str, float], *, fast: bool = True,
) -> tuple[dict[str, Answer], list[str]]:
    """The answers by quantity id read from code cell sources, and warnings (lost lines).

    Cells made only of plain lines (numbers, placeholders, comments: the handout filled in) are
    read without :mod:`ast` (:func:`_read_usual_notebook`, :func:`_read_plain`), with the same
    result; ``fast=False`` parses every cell with ast (the tests compare the two).
    """
    valid = set(ids)
    if fast:
        usual = _read_usual_notebook(cells, valid)
        if usual is not None:
            return usual, []
    names: dict[str, float] = dict(givens)
    answers: dict[str, Answer] = {}
    warnings: list[str] = []
    plain = [_plain_rows(src) if fast else None for src in cells]
    parsed = [parse_cell(src) if rows is None else ([], []) for src, rows in zip(cells, plain, strict=True)]
    dynamic = {name for body, _ in parsed for stmt in body for name, node in _targets(stmt) if node is None}
    for number, (body, lost) in enumerate(parsed, 1):
        rows = plain[number - 1]
        if rows is not None:
            _read_plain(rows, valid, names, answers)
            continue
        for line_no, line in lost:
            m = _ASSIGN_RE.match(line)
            if m and m.group(1) in valid:
                qid = m.group(1)
                shown = line.split("=", 1)[1].strip()[:60]
                answers[qid] = Answer(qid, shown, None,
                                      f"has a syntax error (code cell {number}, line {line_no}); "
                                      "write a number or an arithmetic expression")
                names.pop(qid, None)
            else:
                warnings.append(f"code cell {number}, line {line_no}: syntax error, "
                                f"line ignored: {line.strip()[:60]!r}")
        for stmt in body:
            for name, node in _targets(stmt):
                if node is None:
                    names.pop(name, None)
                    if name in valid:
                        answers[name] = Answer(
                            name, None, None,
                            f"needs execution: assigned in {_how(stmt)} (code cell {number}); "
                            "write a plain value or grade with --execute", needs_execution=True)
                    continue
                if isinstance(node, ast.Constant) and (node.value is Ellipsis or node.value is None):
                    continue  # the handout's placeholder: unanswered, keeps any earlier answer
                shown = _shown(node)
                try:
                    value = _value(node, names, dynamic)
                except ExprError as exc:
                    names.pop(name, None)
                    if name in valid:
                        answers[name] = Answer(name, shown, None, exc.message, exc.needs_execution)
                    continue
                names[name] = value
                if name in valid:
                    answers[name] = Answer(name, shown, value)
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


# --------------------------------------------------------------------------- submissions


def embedded_instance(nb: Notebook) -> Instance | None:
    """The instance in ``metadata.backprop``, or None when absent or not a valid instance."""
    if nb.meta is None or not isinstance(nb.meta.get("instance"), dict):
        return None
    try:
        return instance_from_dict(nb.meta["instance"], f"{nb.path}: metadata.backprop.instance")
    except BackpropError:
        return None


def asked_ids(nb: Notebook, ids: Collection[str]) -> tuple[str, ...] | None:
    """The asked ids: ``metadata.backprop.asked``, else the ids on lines of ``answer``-tagged cells."""
    order = list(ids)
    raw = nb.meta.get("asked") if nb.meta else None
    if isinstance(raw, list):
        listed = {a for a in raw if isinstance(a, str)}
        found = tuple(i for i in order if i in listed)
        if found:
            return found
    tagged = {m.group(1) for src, tags in nb.code if "answer" in tags
              for m in (_ASSIGN_RE.match(line) for line in src.split("\n")) if m}
    found = tuple(i for i in order if i in tagged)
    return found or None


def submission_from_notebook(nb: Notebook, instance: Instance | None = None) -> Submission:
    """The :class:`Submission` of a notebook, graded on ``instance`` (default: the embedded one)."""
    from ..solver import givens, solve

    warnings: list[str] = []
    if instance is None:
        if nb.meta is None:
            raise BackpropError(f"{nb.path}: has no backprop metadata, so its problem is unknown; "
                                "use the notebook you were given (or ask your instructor)")
        instance = embedded_instance(nb)
        if instance is None:
            try:
                instance_from_dict(nb.meta.get("instance"), f"{nb.path}: metadata.backprop.instance")
            except BackpropError as exc:
                raise BackpropError(exc.message) from None
            raise BackpropError(f"{nb.path}: metadata.backprop.instance is missing")
    trace = solve(instance)
    answers, lost = read_answers([src for src, _ in nb.code], trace.ids, givens(instance))
    warnings += lost
    ids = set(trace.ids)
    unknown = tuple(sorted({m.group(1) for src, tags in nb.code if "answer" in tags
                            for m in (_ASSIGN_RE.match(line) for line in src.split("\n"))
                            if m and m.group(1) not in ids and _looks_like_id(m.group(1))}))
    warnings += unknown_messages(unknown, trace.ids)
    meta = dict(nb.meta) if nb.meta else {}
    return Submission(instance, answers, meta, tuple(warnings), asked_ids(nb, trace.ids), unknown)


def _looks_like_id(name: str) -> bool:
    return bool(re.match(r"(p|o|delta|dw|new_w)_[A-Za-z0-9_]+\Z|P(_step\d+)?\Z", name))


def read_notebook_submission(
    path: str | os.PathLike[str], instance: Instance | None = None, *, execute: bool = False,
    sandbox: str = "bwrap",
) -> Submission:
    """Read a filled-in notebook handout (``backprop check FILE.ipynb``).

    By default nothing runs. With ``execute``, the notebook is also run in ``sandbox``
    (:mod:`.execute`) and the values it computes replace the statically read ones; a
    notebook that cannot be run is a :class:`~grader.errors.BackpropError` with the reason.
    """
    sub = submission_from_notebook(load_notebook(Path(path)), instance)
    if not execute:
        return sub
    from dataclasses import replace

    from ..solver import solve
    from .execute import execute_values

    values = execute_values(str(path), solve(sub.instance).ids, sandbox=sandbox)
    return replace(sub, answers=merge_executed(sub.answers, values))


def merge_executed(answers: Mapping[str, Answer], values: Mapping[str, Any]) -> dict[str, Answer]:
    """Static answers overridden by the values the notebook computed (numbers; other values are invalid)."""
    merged = dict(answers)
    for qid, v in values.items():
        if isinstance(v, float):
            merged[qid] = Answer(qid, v, v)
        elif qid not in merged or merged[qid].value is None:
            merged[qid] = Answer(qid, v, None,
                                 "is not a number (NaN)" if v == "nan" else f"is not a number: {v}")
    return merged
