"""Grading: a student's answers against the trace, with error carried forward and diagnosis.

Every asked quantity gets one verdict (DESIGN section 5):

``correct``
    within the quantity's tolerance (:func:`grader.tolerance.tolerances`) of the exact value;
    or equal, within the one-step tolerance :func:`grader.tolerance.local`, to what the right
    formula gives from the student's own earlier answers when none of those is wrong (rounding
    that accumulated along the student's own written numbers is not a mistake).
``carried-forward``
    wrong, but equal within :func:`~grader.tolerance.local` to what the right formula gives
    from the student's *own* earlier values: the error was made earlier and is counted there,
    once. Earns ``ecf_credit`` (a fraction of the item's point; default 1).
``incorrect``
    anything else; ``misconception`` names the mistake when the answer equals what one of the
    misconception rules (:data:`grader.rules.MISCONCEPTIONS`) gives at this step from the
    student's own earlier values (see :mod:`grader.diagnosis`).
``missing`` / ``invalid``
    not answered / not readable (the message says why).

**The student's own values.** Walking the derivation in order, the student's value of a
quantity is their answer when they gave a readable one; otherwise it is the right formula
applied to their own values of its arguments (so a quantity they skipped carries their earlier
slip forward, and equals the exact value when everything before it was right). Givens are
exact.

**The trivial-answer guard (no credit for making later steps trivial).** Error carried forward
invites an exploit: write a wrong but *degenerate* early answer (an output of exactly 0 or 1,
a zero delta or weight change) and every later step becomes trivial (``o (1 - o) = 0`` makes
every delta 0, every dw 0, every new weight equal to the old one), then collect full credit for
"consistent" later answers. The policy: a wrong value of the student's is *degenerate* when it
is an output within one rounding unit of 0 or 1, or a delta or dw within one rounding unit of
0. No quantity that depends, through any chain of the student's wrong values, on a degenerate
wrong value earns carried-forward credit; nor does a step whose value from the student's own
numbers is 0 (within a rounding unit) where the exact value is not. Such items are graded
``incorrect`` with a message that says why. Correct answers are always correct.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace

from .answers import Answer, unknown_message
from .diagnosis import candidates, choose
from .model import Instance
from .report import VERDICTS, Item, Report
from .solver import Quantity, Trace, solve
from .tolerance import local, tolerances, unit

__all__ = ["VERDICTS", "Item", "Report", "grade", "own_values"]

# --------------------------------------------------------------------------- the student's values


def own_values(trace: Trace, answers: Mapping[str, Answer]) -> dict[str, float]:
    """Givens (exact), then every quantity: the student's readable answer, or the right
    formula applied to the student's own earlier values."""
    values = dict(trace.givens)
    for q in trace.quantities:
        a = answers.get(q.id)
        values[q.id] = a.value if a is not None and a.value is not None else q.recompute(values)
    return values


def _degenerate_value(q: Quantity, v: float, u: float) -> bool:
    if q.kind == "o":
        return abs(v) <= u or abs(v - 1) <= u
    if q.kind in ("delta", "dw"):
        return abs(v) <= u
    return False


# --------------------------------------------------------------------------- grading


def grade(
    instance: Instance,
    answers: Mapping[str, Answer],
    *,
    asked: Sequence[str] | None = None,
    ecf_credit: float = 1.0,
    unknown: Sequence[str] = (),
    trace: Trace | None = None,
) -> Report:
    """Grade ``answers`` (by quantity id) on ``instance``; see the module docstring.

    ``asked``: the ids to grade (default every quantity); answers to other quantities still
    count as the student's own values. ``unknown``: ids the student wrote that are not
    quantities (reported as warnings with the closest valid id); answers under ids that are
    not quantities are reported the same way.
    """
    if not 0.0 <= ecf_credit <= 1.0 or math.isnan(ecf_credit):
        from .errors import BackpropError

        raise BackpropError(f"the carried-forward credit must be from 0 to 1, not {ecf_credit}")
    trace = solve(instance) if trace is None else trace
    ids = trace.ids
    valid = set(ids)
    warnings = [unknown_message(u, ids) for u in unknown if u not in valid]
    warnings += [unknown_message(k, ids) for k in answers if k not in valid and k not in unknown]
    asked_set = set(ids) if asked is None else set(asked)
    for a in (asked or ()):
        if a not in valid:
            warnings.append(unknown_message(a, ids))

    d = instance.rounding
    u = unit(d)
    tol = tolerances(trace)
    exact = trace.values
    givens = dict(trace.givens)
    own = own_values(trace, answers)
    known = {k: a.value for k, a in answers.items() if k in valid and a.value is not None}

    # wrong[qid]: the student's value is outside the tolerance of the exact value;
    # degenerate[qid]: it depends on a degenerate wrong value (the trivial-answer guard)
    wrong: dict[str, bool] = {}
    degenerate: dict[str, bool] = {}
    items: list[Item] = []
    for q in trace.quantities:
        wrong[q.id] = abs(own[q.id] - q.value) > tol[q.id]
        upstream = [a for a in q.args if a not in givens]
        tainted = [a for a in upstream if wrong.get(a)]
        degenerate[q.id] = wrong[q.id] and (
            _degenerate_value(q, own[q.id], u) or any(degenerate.get(a) for a in tainted)
        )
        if q.id not in asked_set:
            continue
        answer = answers.get(q.id, Answer(q.id, None, None))
        items.append(_grade_item(q, answer, trace, own, exact, tol[q.id], givens, d, u,
                                 tainted, degenerate, ecf_credit, known))
    items = _settle_misconceptions(items, trace, known, d)
    return Report(tuple(items), tuple(dict.fromkeys(warnings)), ecf_credit, d)


def _settle_misconceptions(items: list[Item], trace: Trace, known: Mapping[str, float], d: int) -> list[Item]:
    """Where several misconceptions explain an item, name the one that explains the most
    items of the submission (:func:`grader.diagnosis.choose`)."""
    found = {
        i.id: candidates(trace[i.id], i.value, trace, known, d)
        for i in items if i.misconception is not None and i.value is not None
    }
    chosen = choose(found)
    out = []
    for i in items:
        m = chosen.get(i.id)
        if m is not None and m.id != i.misconception:
            i = replace(i, misconception=m.id, message=f"{m.mistake}. Right: {m.right}")
        out.append(i)
    return out


def _grade_item(
    q: Quantity, answer: Answer, trace: Trace, own: Mapping[str, float], exact: Mapping[str, float],
    tol: float, givens: Mapping[str, float], d: int, u: float, tainted: list[str],
    degenerate: Mapping[str, bool], ecf_credit: float, known: Mapping[str, float],
) -> Item:
    from_own = q.recompute(dict(own))
    base = Item(
        id=q.id, verdict="missing", points=0.0, max_points=1.0, given=answer.given,
        misconception=None, message="", expected=q.value, tolerance=tol, formula=q.formula,
        args=q.args, own_args=tuple(own[a] for a in q.args), from_own=from_own, value=answer.value, op=q.op,
    )
    if answer.invalid:
        return replace(base, verdict="invalid", message=_unreadable(answer.error or ""))
    if answer.value is None:
        return replace(base, message="not answered")
    v = answer.value
    if abs(v - q.value) <= tol:
        return replace(base, verdict="correct", points=1.0)
    local_tol = local(q, dict(own), givens, d)
    if abs(v - from_own) <= local_tol:
        if not tainted:
            return replace(base, verdict="correct", points=1.0)
        trivial = any(degenerate.get(a) for a in tainted) or (abs(from_own) <= u < abs(q.value) - tol)
        shown = ", ".join(tainted)
        if not trivial:
            return replace(
                base, verdict="carried-forward", points=ecf_credit,
                message=f"consistent with your earlier {shown}; the mistake is counted there",
            )
        return replace(
            base, verdict="incorrect",
            message=(f"follows from your earlier {shown}, but those make this step trivial "
                     "(an output of 0 or 1, or a zero delta), so no credit is carried forward"),
        )
    found = candidates(q, v, trace, known, d)
    if found:
        return replace(base, verdict="incorrect", misconception=found[0].id,
                       message=f"{found[0].mistake}. Right: {found[0].right}")
    return replace(
        base, verdict="incorrect",
        message=f"does not follow from {q.id} = {q.formula} with your numbers; recompute this step",
    )


def _unreadable(error: str) -> str:
    """``your answer is not a number (NaN)`` / ``your answer: unknown name 'foo'``."""
    verbs = ("is ", "has ", "uses ", "divides ", "needs ", "takes ", "raises ")
    return f"your answer {error}" if error.startswith(verbs) else f"your answer: {error}"
