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
from collections.abc import Mapping, Sequence, Set

from .answers import Answer, unknown_messages
from .diagnosis import Diagnoser, choose
from .model import Instance
from .ops import OPS
from .report import VERDICTS, Item, Report, correct_item, make_item
from .rules import Misconception
from .solver import Quantity, Trace, solve
from .tolerance import local_of, structure_key, tolerance_list, trace_tolerances, unit

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


#: each op's arithmetic by name
_COMPUTE = {name: op.compute for name, op in OPS.items()}

#: the formula of a step by (op, argument ids): the same for every variant of a family
_FORMULAS: dict[tuple[str, tuple[str, ...]], str] = {}


def _formula(op: str, args: tuple[str, ...]) -> str:
    key = (op, args)
    text = _FORMULAS.get(key)
    if text is None:
        text = _FORMULAS[key] = OPS[op].text(args)
    return text


class _Plan:
    """What grading needs of a net structure's derivation, the same for every variant (so made
    once per :func:`~grader.tolerance.structure_key`): the ids, and per quantity its id, op,
    arguments and formula. ``lazy``: whether a correct item may leave its own values to be
    computed when read (:func:`~grader.report.correct_item`): every quantity's own value is
    then set once, so the final values are those the item would have been given."""

    __slots__ = ("ids", "valid", "steps", "lazy")

    def __init__(self, trace: Trace) -> None:
        self.ids = tuple(q.id for q in trace.quantities)
        self.valid = frozenset(self.ids)
        self.steps = tuple((q.id, q.op, q.args, _formula(q.op, q.args)) for q in trace.quantities)
        given_ids = {gid for gid, _ in trace.givens}
        self.lazy = len(self.valid) == len(self.ids) and given_ids.isdisjoint(self.valid) \
            and len(given_ids) == len(trace.givens)


_PLANS: dict[tuple, _Plan] = {}

#: own values up to this size keep every op's products (at most 4 * _TAME ** 2) and their sums
#: far from overflowing
_TAME = 1e150


def _plan(trace: Trace) -> _Plan:
    key = structure_key(trace)
    found = _PLANS.get(key)
    if found is None:
        found = _PLANS[key] = _Plan(trace)
    return found


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
    plan = _plan(trace)
    ids = plan.ids
    valid = plan.valid
    warnings = []
    if unknown or not valid.issuperset(answers):
        warnings = unknown_messages([u for u in unknown if u not in valid], ids)
        warnings += unknown_messages([k for k in answers if k not in valid and k not in unknown], ids)
    asked_set = valid if asked is None else set(asked)
    if asked and not valid.issuperset(asked):
        warnings += unknown_messages([a for a in asked if a not in valid], ids)
    return Report(tuple(_Grading(instance, answers, trace, ecf_credit, valid).items(asked_set, plan)),
                  tuple(dict.fromkeys(warnings)) if warnings else (), ecf_credit, instance.rounding)


_new = object.__new__
_set = object.__setattr__


class _Grading:
    """One submission on its way through :func:`grade`.

    One pass over the derivation computes each quantity's own value (the student's answer, or
    the right formula from their earlier own values), whether it is wrong, whether the
    trivial-answer guard taints it, and the item of each asked quantity, built once with its
    final fields. What only a wrong answer needs (the givens, the student's readable answers,
    the misconception :class:`~grader.diagnosis.Diagnoser`) is made the first time it is; so
    are the own values of the arguments of a correct answer and what the right formula gives
    from them (its item computes them when they are read: the renderers show them for the
    wrong items only).
    """

    def __init__(self, instance: Instance, answers: Mapping[str, Answer], trace: Trace, ecf_credit: float,
                 valid: Set[str]) -> None:
        self.answers = answers
        self.trace = trace
        self.ecf_credit = ecf_credit
        self.valid = valid
        self.d = instance.rounding
        self.u = unit(self.d)
        self._givens: dict[str, float] | None = None
        self._diagnoser: Diagnoser | None = None
        #: the misconceptions that explain each item that has one, closest first
        self.found: dict[str, tuple[Misconception, ...]] = {}

    @property
    def givens(self) -> dict[str, float]:
        if self._givens is None:
            self._givens = dict(self.trace.givens)
        return self._givens

    @property
    def diagnoser(self) -> Diagnoser:
        if self._diagnoser is None:
            valid = self.valid
            known = {k: a.value for k, a in self.answers.items() if k in valid and a.value is not None}
            self._diagnoser = Diagnoser(self.trace, known, self.d)
        return self._diagnoser

    def items(self, asked: Set[str], plan: _Plan) -> list[Item]:
        get = self.answers.get
        trace = self.trace
        u = self.u
        own = dict(trace.givens)
        own_value = own.__getitem__
        if plan.lazy:
            tols = tolerance_list(trace)
        else:
            tol = trace_tolerances(trace)
            tols = [tol[qid] for qid in plan.ids]
        # the own values of the arguments of a correct answer and the right formula applied to
        # them are left to its item to compute when read (see correct_item), while no own
        # value can make that formula fail (math.fsum raises on an overflow): while every
        # given and own value is at most _TAME in size. Past a larger one, every item is made
        # with them at once, as the computation would raise here, where it always did.
        tame = plan.lazy and sum(map(abs, own.values())) <= _TAME
        top = _TAME
        new, fill = _new, _set
        # wrong: the student's value is outside the tolerance of the exact value;
        # degenerate: it depends on a degenerate wrong value (the trivial-answer guard)
        wrong: set[str] = set()
        degenerate: set[str] = set()
        items: list[Item] = []
        append = items.append
        for step, q, t in zip(plan.steps, trace.quantities, tols):
            qid = step[0]
            exact = q.value
            answer = get(qid)
            if tame and answer is not None and answer.error is None:
                # the usual case, a readable answer within the tolerance: correct, and the
                # student's own value (the answer itself) is not wrong
                value = answer.value
                if value is not None and abs(value - exact) <= t and -top <= value <= top:
                    own[qid] = value
                    if qid in asked:
                        # correct_item(qid, answer.given, exact, t, step, own), inlined
                        item = new(Item)
                        fill(item, "__dict__", {
                            "id": qid, "verdict": "correct", "points": 1.0, "max_points": 1.0,
                            "given": answer.given, "misconception": None, "message": "",
                            "_lazy": (exact, t, step, own),
                        })
                        append(item)
                    continue
            _, op, args, formula = step
            own_args = list(map(own_value, args))
            from_own = _COMPUTE[op](own_args)
            value = None if answer is None else answer.value
            mine = own[qid] = from_own if value is None else value
            if tame and not -top <= mine <= top:
                tame = False
            if abs(mine - exact) > t:
                wrong.add(qid)
                if _degenerate_value(q, mine, u) or (degenerate and any(a in degenerate for a in args)):
                    degenerate.add(qid)
            if qid not in asked:
                continue
            # the verdict, the points, the misconception and the message
            verdict, points, misconception, message = "incorrect", 0.0, None, ""
            if answer is not None and answer.error is not None:
                verdict, message = "invalid", _unreadable(answer.error)
            elif value is None:
                verdict, message = "missing", "not answered"
            elif abs(value - exact) <= t:
                verdict, points = "correct", 1.0
            elif abs(value - from_own) <= local_of(op, args, own_args, self.givens, self.d):
                tainted = [a for a in args if a in wrong]
                if not tainted:
                    verdict, points = "correct", 1.0
                else:
                    shown = ", ".join(tainted)
                    trivial = any(a in degenerate for a in tainted) or (abs(from_own) <= u < abs(exact) - t)
                    if not trivial:
                        verdict, points = "carried-forward", self.ecf_credit
                        message = f"consistent with your earlier {shown}; the mistake is counted there"
                    else:
                        message = (f"follows from your earlier {shown}, but those make this step trivial "
                                   "(an output of 0 or 1, or a zero delta), so no credit is carried forward")
            else:
                ms = self.diagnoser.candidates(q, value)
                if ms:
                    self.found[qid] = ms
                    misconception, message = ms[0].id, f"{ms[0].mistake}. Right: {ms[0].right}"
                else:
                    message = f"does not follow from {qid} = {formula} with your numbers; recompute this step"
            append(make_item(
                qid, verdict, points, 1.0, None if answer is None else answer.given, misconception, message,
                exact, t, formula, args, tuple(own_args), from_own, value, op,
            ))
        if self.found:
            items = self._settle_misconceptions(items)
        return items

    def _settle_misconceptions(self, items: list[Item]) -> list[Item]:
        """Where several misconceptions explain an item, name the one that explains the most
        items of the submission (:func:`grader.diagnosis.choose`)."""
        chosen = choose(self.found)
        out = []
        for i in items:
            m = chosen.get(i.id)
            if m is not None and m.id != i.misconception:
                i = make_item(i.id, i.verdict, i.points, i.max_points, i.given, m.id,
                              f"{m.mistake}. Right: {m.right}", i.expected, i.tolerance, i.formula, i.args,
                              i.own_args, i.from_own, i.value, i.op)
            out.append(i)
        return out


def _unreadable(error: str) -> str:
    """``your answer is not a number (NaN)`` / ``your answer: unknown name 'foo'``."""
    verbs = ("is ", "has ", "uses ", "divides ", "needs ", "takes ", "raises ")
    return f"your answer {error}" if error.startswith(verbs) else f"your answer: {error}"
