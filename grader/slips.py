"""Slips that make the rest trivial, and what they make free (the grading policy's rules 4a-4c,
:mod:`grader.grading`'s docstring).

Pure functions of a quantity, the student's numbers and the rounding unit ``u``:

- :func:`trivial`: how an unexplained slip makes the rest trivial: ``neutral`` (``p = 0`` or
  ``o = 0.5``, or near them (:func:`neutral`): that neuron's ``o (1 - o)`` is 0.25 whatever
  follows, where the student's own numbers do not make it so), ``flat`` (an output with
  ``o (1 - o)`` about 0, or one that makes its delta about 0, where the student's own numbers
  do not), ``tiny`` (a delta or dw of about 0 where the student's own numbers do not give it),
  or not at all;
- :func:`free`: which of those an item's step is made free by (``flat``: a flat output, a delta
  or dw of 0 at the asked decimals, an unchanged weight; ``tiny``: those, and a delta or dw
  :data:`STILLED` times smaller than the right one, or a weight changed by that little: the
  hidden deltas of 0.0001 that final deltas made up 0.0001 leave; ``neutral``: an output of 0.5, a final delta
  ``0.25 (d - 0.5)`` from an output of 0.5, a ``P`` whose every output is 0.5: numbers that are
  the same in every variant, written without reading the problem);
- :func:`denied`: the message of a consequence that earns no carried-forward credit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .ops import OPS
from .policy import SLIPS, Root
from .solver import Quantity, Trace

#: a delta or dw this many times smaller than the student's own is made to vanish, not slipped: a
#: factor of 10 (a decimal place) is an honest slip; 100 leaves every later delta about 0
STILLED = 100

#: the neutral output: sigmoid(0); its o (1 - o) is 0.25
NEUTRAL = 0.5


def sigmoid(p: float) -> float:
    return OPS["sigmoid"].compute([p])


def stilled(value: float, own: float, u: float) -> bool:
    """Whether a delta or dw of ``value`` is about 0 where the student's own numbers give ``own``,
    which is not: within a rounding unit ``u`` of 0, or :data:`STILLED` times smaller (delta_C =
    0.0001 where it is 0.0706: every hidden delta and dw 0, each of their weights unchanged)."""
    return abs(value) <= max(u, abs(own) / STILLED) < abs(own) - u


def stills(trace: Trace, q: Quantity, o: float, own: float, u: float) -> bool:
    """Whether the output ``o`` (of the neuron of ``q``, an o or a p) makes its neuron's delta
    about 0 where the student's own output ``own`` does not: an output made up next to its
    target (``o (1 - o) (d - o)`` rounds to 0, and with it every later delta and dw)."""
    for delta in trace.quantities:
        if delta.kind != "delta" or delta.subject != q.subject or delta.step != q.step:
            continue
        at = [i for i, a in enumerate(delta.args)
              if a in trace and trace[a].kind == "o" and trace[a].subject == q.subject]
        if not at:
            continue
        args = list(delta.arg_values)
        args[at[0]] = o
        slipped = OPS[delta.op].compute(args)
        args[at[0]] = own
        return stilled(slipped, OPS[delta.op].compute(args), u)
    return False


def neutral(o: float, u: float) -> bool:
    """Whether the output ``o`` is neutral: its ``o (1 - o)`` rounds to 0.25 at the asked decimals
    (``u``: the error of one rounding, half the last decimal), as the output 0.5 of ``p = 0``
    does (and 0.5001, or the output of ``p = 0.0001``: made-up outputs a unit off 0.5 save the
    same work)."""
    return abs(o * (1 - o) - 0.25) < u


def trivial(trace: Trace, q: Quantity, value: float, from_own: float, u: float) -> str:
    """How a slip of ``q`` to ``value`` (the step gives ``from_own`` from the student's own
    values) makes the rest trivial: ``neutral``, ``flat`` or not at all (the empty string)."""
    if q.kind in ("o", "p"):
        o = value if q.kind == "o" else sigmoid(value)
        own = from_own if q.kind == "o" else sigmoid(from_own)
        if neutral(o, u) and not neutral(own, u):
            return "neutral"
        if abs(o * (1 - o)) < u:
            return "flat"
        return "flat" if stills(trace, q, o, own, u) else ""
    if q.kind in ("delta", "dw"):
        return "tiny" if stilled(value, from_own, u) else ""
    return ""


def _half(x: float, u: float) -> bool:
    return abs(x - NEUTRAL) <= u


def free(q: Quantity, value: float, own_args: Sequence[float], u: float) -> frozenset[str]:
    """The kinds of trivializing slip (``flat``, ``neutral``) that make the step of ``q``, answered
    ``value`` from the student's values ``own_args``, free (see the module docstring)."""
    out = set()
    if q.kind == "o":
        if abs(value * (1 - value)) < u:
            out |= {"flat", "tiny"}
        if _half(value, u):
            out.add("neutral")
    elif q.kind in ("delta", "dw"):
        if abs(value) <= u:
            out |= {"flat", "tiny"}
        elif stilled(value, q.value, u):
            out.add("tiny")
        if q.op == "delta_out" and _half(own_args[0], u):
            out.add("neutral")
    elif q.kind == "new_w":
        change = value - own_args[0]
        if abs(change) <= u:
            out |= {"flat", "tiny"}
        elif stilled(change, q.arg_values[1], u):
            out.add("tiny")
    elif q.kind == "P" and all(_half(o, u) for o in own_args[1::2]):
        out.add("neutral")
    return frozenset(out)


def denied(bad: Sequence[str], held: Sequence[Root], every: Sequence[Root], own: Mapping[str, float],
           free_: frozenset[str]) -> str:
    """Why a consequence of ``held`` roots (the submission's: ``every``) earns no credit."""
    shown = ", ".join(bad)
    slips = [r for r in held if r.kind == "slip"]
    neutral = [r for r in every if r.kind == "slip" and r.trivial == "neutral"]
    half = "whose o (1 - o) is 0.25 whatever follows"
    if len(neutral) > 1 and any(r.trivial == "neutral" for r in slips):
        values = " and ".join(f"{r.id} = {own[r.id]:g}" for r in neutral)
        return (f"follows from your earlier {shown}, but {values} make the rest trivial (outputs of 0.5, "
                f"{half}): more than one such value is a pattern, not a slip, so no credit is carried "
                "forward")
    for r in [*slips, *(r for r in held if r.kind == "precision")]:
        if r.trivial in free_:
            if r.trivial == "neutral":
                return (f"follows from your earlier {shown}, but {r.id} = {own[r.id]:g} makes this step "
                        f"trivial (an output of 0.5, {half}), so no credit is carried forward")
            why = "a delta or dw of about 0" if r.trivial == "tiny" else "a flat output or a zero delta"
            rounded = ", rounded further than asked," if r.kind == "precision" else ""
            return (f"follows from your earlier {shown}, but {r.id} = {own[r.id]:g}{rounded} makes the rest "
                    f"trivial ({why}), so no credit is carried forward")
    ids = ", ".join(r.id for r in slips)
    if len(slips) > SLIPS:
        return (f"follows from your earlier {shown}, but those rest on {len(slips)} wrong values that do not "
                f"follow ({ids}), so no credit is carried forward")
    count = sum(r.kind == "slip" for r in every)
    return (f"follows from your earlier {shown}, but those rest on two wrong values that do not follow "
            f"({ids}), and your work has {count}: with more than {SLIPS}, credit is carried forward from "
            "one at a time")
