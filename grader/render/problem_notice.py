"""What ``backprop check`` and the notebook's self-check say first about a handout whose problem
is not as handed out (:mod:`grader.handed_out`), from ``templates/problem_notice.txt.j2``."""

from __future__ import annotations

from collections.abc import Sequence

from ..handed_out import Changed
from .env import render
from .numbers import fmt

#: the most changed given values a notice names (then "and N more")
SHOWN = 4


def problem_notices(*, edited: bool, changed: Sequence[Changed] = (),
                    notebook: bool = False) -> tuple[str, ...]:
    """The notices, each two lines (what was found; what it means and what to do): ``edited``,
    the problem does not match its digest (then the cell of given values, compared with that
    edited problem, is not mentioned); else ``changed``, the given values the notebook's cell of
    given values changes."""
    if edited:
        return (_render(kind="digest", notebook=notebook),)
    if not changed:
        return ()
    shown = [{"name": c.name, "written": "no number" if c.written is None else _given(c.written),
              "handed": _given(c.handed)} for c in changed[:SHOWN]]
    more = f" and {len(changed) - SHOWN} more" if len(changed) > SHOWN else ""
    return (_render(kind="givens", notebook=True, changed=shown, more=more, several=len(changed) > 1),)


def _given(x: float) -> str:
    """A given value as the notebook's cell writes it (``1``, ``-0.5``; :func:`.notebook.exact`)."""
    text = fmt(x, 15)
    return text if float(text) == x else repr(x)


def _render(**context: object) -> str:
    return "\n".join(line for line in render("problem_notice.txt.j2", **context).splitlines() if line.strip())
