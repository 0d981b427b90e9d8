"""Reading the plain cells of a notebook without :mod:`ast`, with exactly its result.

Most notebooks are the handout filled in with numbers: a cell made only of plain lines
(``o_C = 0.5987``, ``o_C = ...``, comments, blank lines) is read with regular expressions
instead of ast (:func:`plain_rows`, :func:`read_plain`), and a notebook whose every line is
usual is read at once (:func:`read_usual_notebook`). The tests compare both ways of reading.
"""

from __future__ import annotations

import dataclasses
import keyword
import math
import re
import sys
from collections.abc import Collection
from operator import itemgetter

from ..answers import Answer, Names
from ..checker import SAFE, Checker
from ..expr import MAX_MAGNITUDE, TOO_LARGE
from ..render.env import render
from .nbfile import SURROGATE_RE

# A *plain* line, read without ast (see plain_rows): blank; a comment; or, not indented,
# ``name = <literal>`` with an optional unary sign on a decimal int or float literal (underscores
# as Python allows them, no leading zeros in ints, ints of at most 931 digits where Python allows
# 4300), or ``name = ...`` / ``name = None``; then an optional comment. Only ' ', tab and form
# feed are whitespace inside a line (what Python's tokenizer skips). One match per plain line:
# (name, sign, float literal, int literal), the name empty for a blank or comment line and both
# literals empty for a placeholder; no match for any other line. The handout's ``from math import
# exp`` is read as a blank line: it binds no name an answer may use (``exp`` is the evaluator's).
# The cell has been checked for carriage returns, NULs and lone surrogates first, so a comment
# (``#.*``) cannot hold them.
# Possessive quantifiers (*+, ++, ?+) throughout: nothing in a plain line needs a character given
# back, and they make matching several times faster.
_WS = r"[ \t\f]*+"
_DIGITS = r"[0-9]++(?:_[0-9]++)*+"
_EXPONENT = rf"[eE][+-]?+{_DIGITS}"
_FLOAT = rf"(?:{_DIGITS})?+\.{_DIGITS}(?:{_EXPONENT})?+|{_DIGITS}(?:\.(?:{_EXPONENT})?+|{_EXPONENT})"
_INT = r"[1-9][0-9]{0,30}+(?:_[0-9]{1,30}+){0,30}+|0{1,30}+(?:_0{1,30}+){0,30}+"
_PLAIN_LINE_RE = re.compile(
    rf"^(?:([A-Za-z_][A-Za-z0-9_]*+){_WS}={_WS}(?:(?:([-+]){_WS})?+(?:({_FLOAT})|({_INT}))|\.\.\.|None)"
    r"|from math import exp)?+"
    rf"{_WS}(?:#.*+)?+$", re.MULTILINE)
# The usual lines only (``o_C = 0.5987``, ``w_x1_A = -1.0``, ``p_A = 1e-05``, ``x1 = 1``,
# ``o_C = ...``, comments at the start of a line, and the handout's ``from math import exp``),
# several times faster: one match per line, (name, the float literal with its sign, the int
# literal with its sign), both literals empty for a placeholder, all three for a blank, comment
# or import line. An int has at most 12 digits (so it is never too large) and no leading zero,
# and is shown as the int it is, as _shown gives it. A cell with any other line is matched with
# _PLAIN_LINE_RE.
_USUAL_LINE_RE = re.compile(
    r"^(?:#.*+|from math import exp"
    r"|([A-Za-z_][A-Za-z0-9_]*+) *+= *+(?:(-?[0-9]++(?:\.[0-9]++(?:e[-+]?+[0-9]++)?+|e[-+]?+[0-9]++))"
    r"|(-?(?:[1-9][0-9]{0,11}+|0))|\.\.\.)"
    r"(?: *+#.*+)?+"
    r"|)$", re.MULTILINE)
#: the handout's self-check cell exactly as handed out (any file name, any checker named): it
#: binds no name an answer may use (``check`` is imported), so both readers read nothing in it
_SELFCHECK_RE = re.compile(re.escape(render("notebook_selfcheck.py.j2", filename="\x00",
                                            checker=Checker("\x01")).rstrip("\n"))
                           .replace(re.escape("\x00"), '[^"\\\\\n]*+')
                           .replace(re.escape("\x01"), f"[{re.escape(''.join(sorted(SAFE)))}]++"))
_KEYWORDS = frozenset(keyword.kwlist)
_INF_TEXT = "1e" + repr(sys.float_info.max_10_exp + 1)  # how ast.unparse writes an infinite float


def plain_rows(source: str) -> list[tuple[str, str, str, str]] | None:
    """The lines of a cell made only of plain lines (_PLAIN_LINE_RE's rows), or None for any other
    cell (for parse_cell). A plain cell parses whole, with :mod:`ast`, to top-level ``Assign``s of
    a ``Constant`` or of a unary ``-``/``+`` of one, which :func:`read_plain` reads."""
    if _SELFCHECK_RE.fullmatch(source):
        return []
    if "\r" in source:
        source = source.replace("\r\n", "\n")  # CRLF: the same lines to Python's tokenizer
        if "\r" in source:
            return None  # a lone CR is a line break to Python but not to split("\n")
    if "\x00" in source or not source.isascii() and SURROGATE_RE.search(source):
        return None  # ast.parse rejects the whole cell
    rows = _PLAIN_LINE_RE.findall(source)
    if len(rows) != source.count("\n") + 1 or not _KEYWORDS.isdisjoint(map(itemgetter(0), rows)):
        return None  # a line that is not plain; `None = 1` is a syntax error
    return rows


def read_plain(rows: list[tuple[str, str, str, str]], valid: set[str],
               known: Names, answers: dict[str, Answer]) -> None:
    """Read the rows of a plain cell (:func:`plain_rows`) into ``names`` and ``answers`` exactly
    as the ast path does with its assignments.

    There, the placeholder (``...``, ``None``) is skipped; :func:`_shown` gives the number
    (negated for ``-``) or the ``ast.unparse`` text (for ``+``); the evaluator takes the number,
    rejects one above 1e12 (an infinite float too) as too large, then applies the sign.
    """
    names = known.values
    for name, sign, float_text, int_text in rows:
        literal: int | float
        if float_text:
            literal = value = float(float_text)  # rounds as the compiler does, takes the same underscores
        elif int_text:
            literal = int(int_text)
            value = float(literal) if literal <= MAX_MAGNITUDE else math.inf
        else:  # blank, comment or placeholder (unanswered, keeps any earlier answer)
            if name in valid and name not in answers:
                known.note(_new_answer(name, None, None))
            continue
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
                known.note(_new_answer(name, shown, None, TOO_LARGE))
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


def read_usual_notebook(cells: Collection[str], valid: set[str]) -> dict[str, Answer] | None:
    """The answers when every line of every code cell is usual (_USUAL_LINE_RE), else None.

    The usual notebook, read at once: the lines of its cells in order are the lines of the cells
    joined with newlines, and as every value is a number, only the quantity ids need reading.
    """
    source = "\n".join(c for c in cells if not _SELFCHECK_RE.fullmatch(c))
    if "\r" in source or "\x00" in source or not source.isascii() and SURROGATE_RE.search(source):
        return None  # see plain_rows
    rows = _USUAL_LINE_RE.findall(source)
    if len(rows) != source.count("\n") + 1 or not _KEYWORDS.isdisjoint(map(itemgetter(0), rows)):
        return None
    answers: dict[str, Answer] = {}
    for name, text, whole in rows:
        if text and name in valid:  # not blank, comment, import or placeholder
            value = float(text)
            answers[name] = (_new_answer(name, value, value) if -MAX_MAGNITUDE <= value <= MAX_MAGNITUDE
                             else _new_answer(name, value, None, TOO_LARGE))
        elif whole and name in valid:
            answers[name] = _new_answer(name, int(whole), float(whole))
    return answers

