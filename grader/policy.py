"""The verdict ladder of the grading policy, as small pure functions (the README's rules).

:mod:`grader.grading` walks a submission and asks these: a written answer's *standing*
(right, consequence or root), whether the roots a consequence depends on are *plausible*
mistakes, the *verdict* that follows, and which misconceptions the evidence *names*.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from .diagnosis import Match
from .rules import Misconception


def standing(*, near_exact: bool, args_right: bool, near_own: bool) -> str:
    """``right``, ``consequence`` or ``root`` (see the module docstring)."""
    if near_exact or (near_own and args_right):
        return "right"
    return "consequence" if near_own else "root"


@dataclass(frozen=True)
class Root:
    """A written answer that does not follow from the student's numbers: ``kind`` is
    ``explained``, ``precision`` or ``slip``; ``trivial``: for a slip that makes the rest
    trivial, ``neutral`` (p = 0, o = 0.5), ``flat`` (an output) or ``tiny`` (a delta or dw of
    about 0): see :mod:`grader.slips`."""

    id: str
    kind: str
    trivial: str = ""


#: unexplained slips one submission may hold and still have each carried forward where they meet
#: (a teacher takes a point for each of two slips and carries both forward); with more, credit is
#: carried forward from one slip at a time: made-up values come many at once (a classmate's
#: answers, every step-1 weight made 0.5)
SLIPS = 2


def plausible(roots: Iterable[Root], free: Collection[str] = (), every: Iterable[Root] | None = None) -> bool:
    """Whether a consequence of ``roots`` earns carried-forward credit: every explained and
    precision root is plausible, but a precision root that trivializes (a value rounded to 0 where
    the student's own is not) never on an item it makes free; of the unexplained slips, up to
    :data:`SLIPS` when ``every`` root of the submission holds no more than that many slips (else
    one); never when a slip that trivializes makes this item free (``free``: the kinds, ``flat``,
    ``tiny`` or ``neutral``, whose slips make the step free); and never after a neutral slip when
    the submission has more than one (every ``p`` = 0 is a pattern). ``every`` None: ``roots``
    are all the roots."""
    roots = list(roots)
    if any(r.trivial in free for r in roots if r.kind == "precision" and r.trivial):
        return False  # (a value rounded to 0 that makes this item free: see grader.slips)
    slips = [r for r in roots if r.kind == "slip"]
    if not slips:
        return True
    everyone = slips if every is None else [r for r in every if r.kind == "slip"]
    if len(slips) > (SLIPS if len(everyone) <= SLIPS else 1):
        return False
    if any(r.trivial in free for r in slips if r.trivial):
        return False
    neutral = sum(r.trivial == "neutral" for r in everyone)
    return not (neutral > 1 and any(r.trivial == "neutral" for r in slips))


def verdict(standing_: str, plausible_: bool) -> str:
    """The verdict of a written answer of this standing."""
    if standing_ == "right":
        return "correct"
    if standing_ == "consequence" and plausible_:
        return "carried-forward"
    return "incorrect"


def named(matches: Mapping[str, Sequence[Match]],
          acts: Mapping[str, tuple[int, int]]) -> dict[str, tuple[Misconception, ...]]:
    """The misconceptions the evidence names, per root id: a match counts when the
    misconception matches on at least two roots of the submission, or acts on two or more
    asked items (changes the step from the student's own values) and matches the written
    answer on at least two of them (a student who holds it shows it wherever it acts), or acts
    on one asked item only and the match is strict (agreement at the asked decimals without
    slack for rounded sub-results). ``acts``: (items it acts on, answers it matches there)
    per misconception that matches one root only. A single match of a misconception that acts
    on several items is not enough: random slips land within its band about 3 times in 1,000.
    """
    tally: dict[str, int] = {}
    for ms in matches.values():
        for x in ms:
            tally[x.m.id] = tally.get(x.m.id, 0) + 1

    def counts(x: Match) -> bool:
        if tally[x.m.id] >= 2:
            return True
        n, hits = acts.get(x.m.id, (0, 0))
        return (n >= 2 and hits >= 2) or (n <= 1 and x.strict)

    out = {}
    for qid, ms in matches.items():
        kept = tuple(x.m for x in ms if counts(x))
        if kept:
            out[qid] = kept
    return out
