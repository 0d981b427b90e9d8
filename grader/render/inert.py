"""Student text made inert for the views an instructor opens.

A file name, the metadata of a notebook and the text of an answer are the student's: they reach
the printed summary (a terminal), ``summary.md`` and the feedback (Markdown that Canvas,
Gradescope, GitHub and VS Code render) and the gradebook (a spreadsheet). There they are shown
as text, never run as something else:

- :func:`printable`: control characters (a terminal's escape sequences: colours, the window's
  title, OSC 52 writing the clipboard) and the bidirectional overrides that reorder what is shown
  are written as their escapes (``\\x1b``); new lines and tabs stay;
- :func:`printable_line`: the same, with new lines (and the Unicode line and paragraph separators)
  written as escapes too: a student's text in a line of grade's printed summary;
- :func:`md_inline`: the same, on one line, with the characters that open a link, an image, HTML,
  a code span, a table cell, maths or a character reference (``&#x202e;``) backslash-escaped
  (rendered, the text reads as written);
- :func:`md_code`: the same as a code span (a file's name in the feedback);
- :func:`spreadsheet_text`: a cell that a spreadsheet would read as a formula (``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return first) gets a ``'`` in front, as OWASP advises.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["md_code", "md_inline", "md_inline_all", "printable", "printable_line", "spreadsheet_text"]

#: C0 controls but tab and new line, DEL, C1 controls, and the bidirectional embeddings,
#: overrides and isolates
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAK = re.compile("[\t\n]")
#: (an ``&`` only where it starts a character reference, ``&#x202e;``, which renders as the character)
_MARKUP = re.compile(r"([\\`\[\]<|$]|&(?=#?[A-Za-z0-9]+;))")
#: any character that the three above change
_UNSAFE = re.compile(r"[\\`\[\]<|$\t\n\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
                     r"|&#?[A-Za-z0-9]+;")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def printable(text: str) -> str:
    """``text`` with every control character but new line and tab written as its escape."""
    return _CONTROL.sub(_escape, text)


#: what ends a line on a terminal or for Python's ``splitlines``, beside the controls above
_NEW_LINE = re.compile("[\n\u2028\u2029]")


def printable_line(text: str) -> str:
    """:func:`printable`, on one line: new lines written ``\\n`` (``\\u2028``, ``\\u2029``)."""
    return _NEW_LINE.sub(_escape_line, printable(text))


def _escape_line(m: re.Match[str]) -> str:
    return "\\n" if m.group() == "\n" else f"\\u{ord(m.group()):04x}"


def md_inline(text: str) -> str:
    """``text`` as inline Markdown that renders as the text itself: one line, no markup."""
    return _MARKUP.sub(r"\\\1", _LINE_BREAK.sub(" ", printable(text)))


def md_inline_all(texts: Sequence[str]) -> list[str]:
    """:func:`md_inline` of each of ``texts`` (the answers of a report: looked at once, and in the
    usual case of nothing to escape given back as they are)."""
    if not _UNSAFE.search("".join(texts)):
        return list(texts)
    return [md_inline(t) for t in texts]


def md_code(text: str) -> str:
    """``text`` as a Markdown code span (its fence longer than any run of backticks in it, so that
    none ends it early), on one line, control characters escaped."""
    text = _LINE_BREAK.sub(" ", printable(text))
    fence = "`" * (max(map(len, re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def spreadsheet_text(text: str) -> str:
    """``text`` for a CSV cell that spreadsheets open: a ``'`` first where it would be a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text
