"""The one error type of the core.

Every problem with user input (an instance file, a family, a roster, an answer file) is raised
as a :class:`BackpropError` whose message is one line that names the file, the key and how to
fix it. The command line turns it into ``Error: <message>`` and exit status 2; nothing else in
the core raises for bad input.
"""

from __future__ import annotations


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
