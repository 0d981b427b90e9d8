"""The one error type of the core.

Every problem with user input (an instance file, a family, a roster, an answer file) is raised
as a :class:`BackpropError` whose message is one line that names the file, the key and how to
fix it. The command line turns it into ``Error: <message>`` and exit status 2; nothing else in
the core raises for bad input.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class BackpropError(Exception):
    """Bad input: the message says what is wrong and how to fix it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def located(source: str | None, key: str | None, problem: str) -> BackpropError:
    """An error about ``key`` in ``source``: ``net.toml: weights.x1_A: must be a number``."""
    where = ": ".join(part for part in (source, key) if part)
    return BackpropError(f"{where}: {problem}" if where else problem)


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """`` (did you mean 'delta_C'?)``, naming the option that is ``word`` but for case, else
    the closest one (:func:`difflib.get_close_matches`), for the end of a message about an
    unknown name; the empty string when none is close."""
    options = list(options)
    same_but_case = [o for o in options if o.lower() == word.lower()]
    close = same_but_case or difflib.get_close_matches(word, options, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
