"""What ``backprop check`` and the notebook's self-check say first about a handout whose problem
is not as handed out (:mod:`grader.handed_out`), from ``templates/problem_notice.txt.j2``."""

from __future__ import annotations

from ..handed_out import Found
from .env import render

#: the most changed given values a notice names (then "and N more")
SHOWN = 4


def problem_notices(found: Found, *, notebook: bool = False) -> tuple[str, ...]:
    """The notices of what :func:`grader.handed_out.compare` found, each two lines (what was
    found; what it means and what to do); ``notebook``: the file is a notebook, not a TOML handout."""
    if found.edited:
        return (_render(kind="digest", notebook=notebook),)
    changed = found.changed
    if not changed:
        return ()
    shown = [{"name": c.name, "written": "no number" if c.written is None else _given(c.written),
              "handed": _given(c.handed)} for c in changed[:SHOWN]]
    more = f" and {len(changed) - SHOWN} more" if len(changed) > SHOWN else ""
    return (_render(kind="givens", notebook=True, changed=shown, more=more, several=len(changed) > 1),)


def _given(x: float) -> str:
    """A given value as the notebook's cell writes it (``1``, ``-0.5``), and any other number in
    the fewest digits that are it (``123456.789``, ``1e+308``)."""
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


def _render(**context: object) -> str:
    return "\n".join(line for line in render("problem_notice.txt.j2", **context).splitlines() if line.strip())
