"""The fix to suggest for an answer written as people write it, not as the grader reads it.

A student at midnight writes ``-0.6708 (rounded)``, ``-67.08%``, ``≈ 0.25``, ``“0.25”`` (the
quotes a word processor types), ``w = -0.75 + 0.0792 = -0.6708`` or, in TOML, ``.6708`` and
``e^-1``. None of these is a number or an arithmetic expression, and none is graded (the answer
stays ``invalid``: the contract reads numbers and plain arithmetic only). What this module adds
is the message: what is wrong with what was read, and the answer to write instead, offered only
when that answer reads (:func:`fix`). ``-0.6708 (rounded)`` parses as a call of ``0.6708``:
without this, the student is told the answer "uses 0.6708(), a function an answer cannot call".

:func:`toml_line_hint` does the same for the lines of a TOML handout that a word processor or a
spreadsheet broke (typographic quotes around a value, a non-breaking space, a ``:`` or a space
where ``=`` belongs, a table given twice), where the TOML parser says only ``Invalid value (at
line 8, column 14)``.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Collection
from decimal import Decimal, InvalidOperation

from .expr import MAX_LENGTH

#: quotes a word processor types for "..." and '...' (and the guillemets some keyboards give)
SMART_QUOTES = "\u201c\u201d\u201e\u201f\u2018\u2019\u201a\u201b\u00ab\u00bb\u2033\u2032"
#: spaces a word processor puts in that TOML does not read as a space
ODD_SPACES = {"\u00a0": "a non-breaking space", "\u202f": "a narrow non-breaking space",
              "\u2009": "a thin space", "\u2007": "a figure space", "\u2002": "an en space",
              "\u2003": "an em space", "\u200a": "a hair space", "\u200b": "a zero-width space",
              "\ufeff": "a zero-width no-break space", "\u2060": "a word joiner"}
_NUMBER = r"[+-]?\s*(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_LEADING_NUMBER = re.compile(rf"\s*({_NUMBER})\s*(.*)\Z", re.S)
_APPROX = re.compile(r"\s*(?:≈|~|approx\.?|about|ca\.)\s*(.*)\Z", re.S | re.I)
_PERCENT = re.compile(rf"\s*({_NUMBER})\s*%\s*\Z")
_LEADING_DOT = re.compile(r"\s*([+-]?)\.(\d.*)\Z", re.S)


def _reads(text: str) -> bool:
    """Whether ``text`` is a number or an arithmetic expression Python's parser reads (names
    are allowed: the grader looks them up when it reads the answer), without ``^`` or ``//`` (a
    power, a comment) and without a call of anything but a name (``0.6708(rounded)``)."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return not any(isinstance(n, ast.Call) and not isinstance(n.func, (ast.Name, ast.Attribute))
                   or isinstance(n, (ast.BitXor, ast.FloorDiv)) for n in ast.walk(tree))


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text.replace(" ", "")))
    except ValueError:
        return False


def _percent(text: str) -> tuple[str, str] | None:
    m = _PERCENT.match(text)
    if m is None:
        return None
    try:  # exactly: -67.08% is -0.6708, not -0.6708000000000001
        value = Decimal(m.group(1).replace(" ", "")) / 100
    except InvalidOperation:
        return None
    return f"is a percentage ({text.strip()})", f"{value.normalize():f}"


def _approx(text: str) -> tuple[str, str] | None:
    m = _APPROX.match(text)
    if m is None or not m.group(1) or not _reads(m.group(1)):
        return None
    sign = text.strip()[: len(text.strip()) - len(m.group(1).strip())].strip()
    return f"has {sign} before the number", m.group(1)


def _equation(text: str) -> tuple[str, str] | None:
    if "=" not in text or "==" in text:
        return None
    last = text.rsplit("=", 1)[1].strip()
    if not last or not _reads(last):
        return None
    return "is an equation", last


def _trailing_text(text: str) -> tuple[str, str] | None:
    """A number followed by words, a unit, a note in parentheses, a ``;`` or a ``//`` comment."""
    m = _LEADING_NUMBER.match(text)
    if m is None or not m.group(2).strip():
        return None
    rest = m.group(2).rstrip()
    if re.match(r"\(\s*[A-Za-z]|[A-Za-z;]|//\s*[A-Za-z]|,\s*[A-Za-z]", rest) is None:
        return None  # arithmetic (2 * 3, 2 (3)), or a number with a space in it: not a note
    if _reads(rest) and any(isinstance(n, (ast.Call, ast.BinOp))
                            for n in ast.walk(ast.parse(rest, mode="eval"))):
        return None  # 2 exp(-1): a product without its *, not a note
    shown = rest if len(rest) <= 30 else rest[:27] + "..."
    return f"has text after the number ({shown})", m.group(1).replace(" ", "")


def _smart_quotes(text: str) -> tuple[str, str] | None:
    stripped = text.strip()
    if not stripped or stripped[0] not in SMART_QUOTES and stripped[-1] not in SMART_QUOTES:
        return None
    inner = stripped.strip(SMART_QUOTES).strip()
    if not inner:
        return None
    return "is in typographic quotes (as a word processor types them)", inner


def _power(text: str) -> tuple[str, str] | None:
    if "^" not in text:
        return None
    return "uses ^ for a power", text.strip().replace("^", "**")


#: each cleanup: the text -> (what is wrong, the cleaned text) or None
CLEANUPS: tuple[Callable[[str], tuple[str, str] | None], ...] = (
    _smart_quotes, _approx, _equation, _percent, _trailing_text)


def fix(text: str, *, toml: bool = False) -> tuple[str, str] | None:
    """(what is wrong, the answer to write) for ``text``, an answer that is not a number or an
    arithmetic expression but holds one as people write it; None when no cleanup gives an answer
    that reads. Cleanups apply one after the other (``“≈ 0.25”``), at most once each. ``toml``: a
    bare TOML value, where ``e^-1`` is also given its ``**`` (in quotes, the grader's own message
    says to use ``**``)."""
    if len(text) > MAX_LENGTH or _reads(text):
        return None  # too long for an answer; or an expression the grader reads, or refuses for its
        # own reason (1j, a call)
    reasons = []
    current = text
    for cleanup in (*CLEANUPS, _power) if toml else CLEANUPS:
        found = cleanup(current)
        if found is None:
            continue
        reasons.append(found[0])
        current = found[1].strip()
        if _reads(current):
            return "; ".join(reasons), current
    return None


def message(text: str) -> str | None:
    """The message of an answer's :func:`fix` (``has text after the number ((rounded)); write
    the number alone: -0.6708``), or None."""
    found = fix(text)
    if found is None:
        return None
    reason, answer = found
    return f"{reason}; write {'the number alone' if _is_number(answer) else 'instead'}: {answer}"


def leading_dot(value: str) -> str | None:
    """``0.6708`` for ``.6708`` (``-0.6708`` for ``-.6708``), a number TOML reads only with a
    digit before the point; None for anything else."""
    m = _LEADING_DOT.match(value)
    if m is None or not _is_number(f"{m.group(1)}0.{m.group(2)}"):
        return None
    return f"{m.group(1)}0.{m.group(2).strip()}"


# --------------------------------------------------------------------------- TOML lines

#: lines longer than this are no line a word processor broke (and are not matched: time)
_LONGEST_LINE = 500
_HEADER = re.compile(r"\s*\[\s*([A-Za-z0-9_.\- ]+?)\s*\]\s*(?:#.*)?\Z")
_BARE_KEY = re.compile(r"\s*([A-Za-z0-9_-]+)\s*(:|\s)\s*(\S.*)\Z")


def _odd_space(line: str) -> str | None:
    """The first odd space of ``line`` outside a "..." string and a comment."""
    quoted = False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == "#" and not quoted:
            return None
        elif c in ODD_SPACES and not quoted:
            return c
    return None


def toml_line_hint(text: str) -> str | None:
    """Why a line of a TOML handout that a word processor or a spreadsheet broke is not TOML,
    with the line to write instead; None when no line is broken in one of those ways. (Called
    when the parser refused the file: the first such line is the likely cause.)"""
    section = None
    headers: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or len(line) > _LONGEST_LINE:
            continue
        header = _HEADER.match(line)
        if header is not None and not stripped.startswith("[["):
            section = header.group(1)
            if section in headers:
                return (f"line {number}: [{section}] is given twice (first on line {headers[section]}); "
                        f"keep one [{section}] table with every line of it under it")
            headers[section] = number
            continue
        space = _odd_space(line)
        if space is not None:
            fixed = "".join(" " if c in ODD_SPACES and c != "\u200b" else c for c in line).strip()
            return (f"line {number} has {ODD_SPACES[space]} (U+{ord(space):04X}, as a word processor "
                    f"types it) where TOML needs an ordinary space: {_clip(fixed)}")
        key, eq, value = stripped.partition("=")
        value = value.split("#", 1)[0].strip() if not value.lstrip().startswith('"') else value.strip()
        if eq and not value and section == "answers":
            return (f"line {number}: {_clip(stripped)} has no value after the =; write a number (or \"\" to "
                    "leave it unanswered)")
        if eq and value and value[0] in SMART_QUOTES:
            inner = value.strip(SMART_QUOTES)
            return (f"line {number}: {_clip(stripped)} has typographic quotes (as a word processor types "
                    f"them); TOML needs straight quotes: {key.strip()} = \"{_clip(inner)}\"")
        if not eq and section == "answers":
            m = _BARE_KEY.match(line)
            if m is not None and _reads(m.group(3).split("#", 1)[0]):
                what = "':' where TOML needs '='" if m.group(2) == ":" else "no '='"
                fixed = f"{m.group(1)} = {m.group(3).rstrip()}"
                return f"line {number}: {_clip(stripped)} has {what}; write {fixed}"
    return None


def _clip(text: str, most: int = 60) -> str:
    return text if len(text) <= most else f"{text[:most - 3]}..."


# --------------------------------------------------------------------------- ids

_WEIGHT_ID = re.compile(r"(dw|new_w)_([A-Za-z][A-Za-z0-9]*)_([A-Za-z][A-Za-z0-9]*)((?:_step\d+)?)\Z")


def transposed(qid: str, options: Collection[str]) -> str:
    """`` (did you mean 'dw_A_B'? a weight is named from its source to its target: w_A_B is on
    A -> B)`` for ``dw_B_A`` when ``dw_A_B`` is a quantity and ``dw_B_A`` is not; else ``""``
    (the closest id by spelling would be ``dw_x1_A``, the wrong weight)."""
    m = _WEIGHT_ID.match(qid)
    if m is None:
        return ""
    kind, a, b, step = m.groups()
    swapped = f"{kind}_{b}_{a}{step}"
    if swapped not in options:
        return ""
    return (f" (did you mean '{swapped}'? a weight is named from its source to its target: w_{b}_{a} is "
            f"on {b} -> {a})")


#: what a student types for a given name's symbol (``α`` for ``alpha``, ``Δw_A_B`` for ``dw_A_B``)
SYMBOLS = {"α": "alpha", "δ": "delta", "Δw": "dw", "Δ": "d", "σ": "o"}


def unknown_name(text: str, known: Collection[str]) -> str:
    """`` (did you mean 'w_A_B'?)`` for the first name of ``text`` that is not among ``known``
    (the given values and the answers above), the closest known one; ``""`` when none is close
    or every name is known."""
    from .errors import did_you_mean

    if len(text) > MAX_LENGTH:
        return ""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return ""
    calls = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Name) and id(node) not in calls and node.id not in known
                and node.id not in ("e", "pi")):
            name = node.id
            for symbol, word in SYMBOLS.items():
                if name.startswith(symbol):
                    name = word + name[len(symbol):]
                    break
            if name in known:
                return f" (did you mean '{name}'?)"
            return did_you_mean(name, known)
    return ""
