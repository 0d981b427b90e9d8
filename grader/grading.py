"""Grading: a student's answers against the trace, one step at a time, from their own numbers.

The policy (the README's "Grading" section states it with a worked example of each rule):

**The student's own values** (:mod:`grader.student_values`). Walking the derivation in order,
the student's value of a quantity is their answer when they gave a readable one; otherwise the
right formula applied to their own values of its arguments (a skipped quantity carries their
earlier values forward). Givens are exact.

**Standing of a written answer** (:func:`standing`). Let ``f`` be the step's formula and its
*honest values* from some arguments the set of values a hand calculation of ``f`` gives from
them, every choice of rounded sub-results and calculator digits (:mod:`grader.hand`); an answer
*is* one of them when it lies within one rounding of a value of the set:

- *right*: an honest value of ``f`` from the exact arguments (a student who kept exact numbers
  in the calculator while writing a slip), or from the student's own values when every
  argument was itself judged right (each argument as written, or as the calculator held it:
  any honest value of its own step that rounds to what was written; a quantity not written as
  computed, rounded or not);
- *consequence*: an honest value of ``f`` from the student's own values where some argument is
  wrong: the answer follows from the student's own wrong values;
- *root*: anything else: the answer does not follow from the student's numbers. A root is
  *explained* when a misconception gives it from the student's own values and the evidence
  rule names it (:func:`named`: it matches on two or more of the items where it acts, or
  acts on one asked item only and agrees there at the asked decimals); a *precision* root
  when it is, as written, an honest value of ``f`` worked at ``d - 1`` or ``d - 2`` decimals
  (each sub-result rounded there or not, the answer rounded there) from the values the
  student held or from the exact ones ("right to 3 decimals; 4 are asked"); else an
  *unexplained slip*.

A quantity the student did not write is right when all its arguments are, else a consequence.

**Carried-forward credit** (:func:`plausible`; the slips that trivialize: :mod:`grader.slips`). A
consequence depends on the roots reached from it through chains of the student's wrong values (a
root's own wrong arguments included). It earns the carried-forward credit (``ecf_credit``) only
when those roots are plausible mistakes:

- every explained and precision root is, but a precision root rounded to 0 (or to a flat output)
  where the student's own value is not earns nothing on the items it makes free, as a made-up 0
  does (``delta_A = -0.0003`` written ``0.000``, then ``dw = 0`` and the old weight: a final
  delta made 50 times smaller, or a final ``p`` made up as 6, earned 17 of 22 on 2-2-1 that way,
  where the true delta and the same zeros earn 8);
- *two slips*: up to :data:`~grader.policy.SLIPS` = 2 unexplained slips behind one item, when the
  submission holds no more than two in all: a teacher takes a point for each of two slips and
  carries both forward, whether the second follows from the first (``p_A`` slipped, then ``p_B``
  slipped from its ``o_A``) or they meet later (``o_A`` and ``delta_C`` in ``dw_A_C``). With three
  or more, credit is carried forward from one slip at a time (an item behind two or more earns
  nothing): made-up values come many at once (a classmate's answers, every step-1 weight 0.5);
- a *neutral* slip (``p = 0`` or ``o = 0.5``, or near them: an output whose ``o (1 - o)``
  rounds to 0.25, as 0.5001 or the output of ``p = 0.0001`` do, where the output of the
  student's own numbers does not; that neuron's ``o (1 - o)`` is then 0.25 whatever follows):
  one is a slip, and earns nothing only on what it makes free, numbers that are the same in
  every variant, written without reading the problem (an output of 0.5, a final delta
  ``0.25 (d - 0.5)`` from an output of 0.5, a ``P`` whose every output is 0.5); what still
  takes work from the student's values is carried forward (``p_B = w_A_B * 0.5``, a hidden delta
  ``0.25 * sum w delta``, each dw and new weight). More than one neutral slip in a submission is
  a pattern, not a slip (every ``p = 0``, every ``o = 0.5``): nothing after any of them earns.
  *Example* (chain, x1 = -1, w_x1_A = 0.5, w_A_B = -0.75, d_B = 1, alpha = 1.5): ``p_A = 0`` by
  slip (right: -0.5), so ``o_A = 0.5`` (free: no credit), then ``p_B = -0.375``, ``o_B = 0.4073``,
  ``P = -0.1756``, ``delta_B = 0.1431``, ``delta_A = 0.25 * -0.75 * 0.1431 = -0.0268``,
  ``dw_x1_A = 0.0402``, ``new_w_x1_A = 0.5402``, ``dw_A_B = 1.5 * 0.5 * 0.1431 = 0.1073``,
  ``new_w_A_B = -0.6427``: all carried forward, 9 of 11 (tests/test_fair_slips.py); with
  ``p_B = 0`` too, 0 of 11;
- a *flattening* slip (an output, or a ``p`` whose output, with ``o (1 - o)`` rounding to 0 or
  making its neuron's delta about 0, as an output made up next to its target does; or a delta
  or dw of about 0, within a unit of 0 or a hundred times smaller, where the student's own
  numbers do not give 0) earns nothing on the items it makes free: a flat output, a delta or
  dw of 0 at the asked decimals, a new weight equal to the old one; after a delta or dw made
  about 0, also a delta or dw a hundred times smaller than the right one and a weight changed
  by that little (the hidden deltas of 0.0001 that final deltas made up 0.0001 leave, and
  ``dw_A_C = alpha * o_A * 0.0001``); carried-forward credit on the others (a factor-10 slip in
  ``p`` saturates the output, an honest slip: the next layer's ``p`` still takes work), also
  beside a second slip.

No rule denies a consequence because the student's own numbers honestly give 0.

**Verdicts** (:func:`verdict`): right -> ``correct``; a consequence of plausible roots ->
``carried-forward``; roots and other consequences -> ``incorrect`` (0 points, with a message
that says which: the misconception, "right to k decimals; d are asked", "does not follow", or
why no credit is carried forward); ``missing``/``invalid`` for unanswered/unreadable answers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from .answers import Answer, unknown_messages
from .checks import changed_ids
from .diagnosis import Diagnoser, Match, choose
from .hand import exact_values, near, point, step_values
from .model import BIAS, Instance
from .ops import OPS
from .policy import Root, named, plausible, standing, verdict
from .report import VERDICTS, Item, Report, correct_item, make_item
from .rules import CORRECT, MISCONCEPTIONS, Misconception
from .slips import STILLED, denied, free, trivial
from .solver import Quantity, Trace, solve
from .student_values import Reach, Stands, StudentValues
from .tolerance import EPS, unit, written_decimals

__all__ = ["STILLED", "VERDICTS", "Item", "Report", "Root", "grade", "named", "plausible", "standing",
           "verdict"]

_COMPUTE = {name: op.compute for name, op in OPS.items()}


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
    valid = frozenset(ids)
    warnings = []
    if unknown or not valid.issuperset(answers):
        warnings = unknown_messages([u for u in unknown if u not in valid], ids)
        warnings += unknown_messages([k for k in answers if k not in valid and k not in unknown], ids)
    if asked and not valid.issuperset(asked):
        warnings += unknown_messages([a for a in asked if a not in valid], ids)
    asked_ids = ids if asked is None else tuple(q for q in ids if q in set(asked))
    items = _Grading(instance, answers, trace, ecf_credit, asked_ids).items()
    shown = tuple(dict.fromkeys(warnings)) if warnings else ()
    return Report(tuple(items), shown, ecf_credit, instance.rounding)


class _Grading:
    """One submission on its way through :func:`grade`: a first pass judges the standing of
    every quantity (and collects the misconceptions matching each root), a second names the
    misconceptions, classifies the roots and builds the items."""

    def __init__(self, instance: Instance, answers: Mapping[str, Answer], trace: Trace, ecf_credit: float,
                 asked: tuple[str, ...]) -> None:
        self.instance = instance
        self.answers = answers
        self.trace = trace
        self.ecf_credit = ecf_credit
        self.asked = asked
        self.asked_set = frozenset(asked)
        self.d = instance.rounding
        self.u = unit(self.d)
        #: the student's own values, what each stands for and held (grader.student_values)
        self.values = StudentValues(trace, self.d)
        self._diagnoser: Diagnoser | None = None

    @property
    def diagnoser(self) -> Diagnoser:
        if self._diagnoser is None:
            known = {k: a.value for k, a in self.answers.items() if a.value is not None and k in self.trace}
            self._diagnoser = Diagnoser(self.trace, known, self.d, Stands(self.values))
        return self._diagnoser

    def items(self) -> list[Item]:
        trace, d, asked_set = self.trace, self.d, self.asked_set
        one = self.u * (1 + EPS)  # one rounding: inside every band, none computed
        exact_sets = None  # computed for the trace when first needed (and kept)
        get = self.answers.get
        own = self.values.own
        written = self.values.written
        wrong: set[str] = set()
        roots_of: dict[str, frozenset[str]] = {}
        #: per written wrong answer: (standing, from_own, band, own args, wrong args)
        judged: dict[str, tuple] = {}
        matches: dict[str, tuple[Match, ...]] = {}
        fast: dict[str, Item] = {}
        for q in trace.quantities:
            qid, exact = q.id, q.value
            answer = get(qid)
            value = None if answer is None else answer.value
            if value is not None:
                off = abs(value - exact)
                if off > one:
                    exact_sets = exact_sets or exact_values(trace, d)
                if off <= one or near(value, exact_sets[qid], d):
                    own[qid] = value  # the usual case: an honest value from the exact arguments
                    written.add(qid)
                    if qid in asked_set:
                        step = (qid, q.op, q.args, trace.derivation.formulas[qid])
                        fast[qid] = correct_item(qid, answer.given, exact, Reach(trace, d, qid), step, own)
                    continue
            args = q.args
            own_args = [own[a] for a in args]
            from_own = _COMPUTE[q.op](own_args)
            bad = [a for a in args if a in wrong]
            if value is None:
                # not written: the right formula from the student's own values
                own[qid] = from_own
                if bad:
                    wrong.add(qid)
                    roots_of[qid] = frozenset().union(*(roots_of[a] for a in bad))
                judged[qid] = ("unwritten", from_own, Reach(trace, d, qid), own_args, bad)
                continue
            own[qid] = value
            written.add(qid)
            # the step computed from the written values, no sub-result rounded, is one honest value
            near_own = abs(value - from_own) <= one or near(value, self.values.computed(qid), d)
            width = Reach(trace, d, qid, self.values, from_own)
            if near_own and not bad:
                kind = "right"
            else:  # or the exact values kept in the calculator while a slip was written
                exact_sets = exact_sets or exact_values(trace, d)
                near_exact = near(value, exact_sets[qid], d)
                kind = standing(near_exact=near_exact, args_right=not bad, near_own=near_own)
            judged[qid] = (kind, from_own, width, own_args, bad)
            if kind == "right":
                continue
            wrong.add(qid)
            upstream = frozenset().union(*(roots_of[a] for a in bad)) if bad else frozenset()
            roots_of[qid] = upstream | {qid} if kind == "root" else upstream
            if kind == "root":
                found = self.diagnoser.matches(q, value)
                if found:
                    matches[qid] = found
        return self._items(fast, judged, matches, roots_of)

    def _items(self, fast: dict[str, Item], judged: dict[str, tuple], matches: dict[str, tuple[Match, ...]],
               roots_of: dict[str, frozenset[str]]) -> list[Item]:
        trace = self.trace
        acts = {}
        if matches:
            acts = self._acts(matches)
        explained = choose(named(matches, acts))
        roots: dict[str, Root] = {}
        precision: dict[str, int] = {}
        for qid, (kind, from_own, _, _, _) in judged.items():
            if kind != "root":
                continue
            q = trace[qid]
            value = self.values.own[qid]
            if qid in explained:
                roots[qid] = Root(qid, "explained")
                continue
            k = self._precision(q, value)
            if k is not None:
                precision[qid] = k
                # rounded to 0 (or to a flat output) where the student's own numbers are not: the
                # rest is as trivial as after a made-up 0 (delta_A = 0.0003 written 0.000, then every
                # dw of 0 and unchanged weight); a rounded 0.5 is an ordinary rounding
                made = trivial(trace, q, value, from_own, self.u)
                roots[qid] = Root(qid, "precision", "" if made == "neutral" else made)
            else:
                roots[qid] = Root(qid, "slip", trivial(trace, q, value, from_own, self.u))
        every = tuple(roots.values())
        items = []
        for q in trace.quantities:
            qid = q.id
            if qid not in self.asked_set:
                continue
            if qid in fast:
                items.append(fast[qid])
                continue
            # a misconception that agrees at the asked decimals but that the evidence does not name
            # (it acts on other items too, where the student did not make it): a hint, no name
            maybe = next((x.m for x in matches.get(qid, ()) if x.strict), None)
            items.append(self._item(q, judged[qid], roots_of.get(qid, frozenset()), roots, every,
                                    explained.get(qid), precision.get(qid), maybe))
        return items

    def _acts(self, matches: Mapping[str, Sequence[Match]]) -> dict[str, tuple[int, int]]:
        """For each misconception that matches exactly one root: (on how many asked items it
        changes the step from the student's own values, on how many written answers among
        those it matches, roots or not)."""
        tally: dict[str, int] = {}
        for ms in matches.values():
            for x in ms:
                tally[x.m.id] = tally.get(x.m.id, 0) + 1
        asked = list(self.asked)
        answers = self.answers
        out = {}
        for mid, n in tally.items():
            if n != 1:
                continue
            m = MISCONCEPTIONS[mid]
            acts = matched = 0
            for qid in changed_ids(self.instance, m, asked):
                if not self.diagnoser.changes(qid, m):
                    continue
                acts += 1
                a = answers.get(qid)
                if a is not None and a.value is not None and any(
                        x.m.id == mid for x in self.diagnoser.matches(self.trace[qid], a.value)):
                    matched += 1
            out[mid] = (acts, matched)
        return out

    def _item(self, q: Quantity, judged: tuple, depends: frozenset[str], roots: Mapping[str, Root],
              every: Sequence[Root], misconception: Misconception | None, precision: int | None,
              maybe: Misconception | None = None) -> Item:
        kind, from_own, width, own_args, bad = judged
        qid = q.id
        answer = self.answers.get(qid)
        formula = self.trace.derivation.formulas[qid]
        points, name, message = 0.0, None, ""
        if answer is not None and answer.error is not None:
            result, message = "invalid", _unreadable(answer.error)
        elif answer is None or answer.value is None:
            result, message = "missing", "not answered"
        else:
            held = [roots[r] for r in sorted(depends) if r != qid]
            made_free = free(q, answer.value, own_args, self.u) if kind == "consequence" else frozenset()
            result = verdict(kind, plausible(held, made_free, every))
            if result == "correct":
                step = (qid, q.op, q.args, formula)
                return correct_item(qid, answer.given, q.value, width, step, self.values.own)
            if result == "carried-forward":
                points = self.ecf_credit
                message = f"consistent with your earlier {', '.join(bad)}; the mistake is counted there"
            elif kind == "consequence" and any(r.kind == "precision" and r.trivial for r in held) and (
                    precision := self._precision(q, answer.value)) is not None:
                # (denied after a value rounded to 0, and itself the right value at fewer decimals:
                # every answer of a student who writes 2 decimals where 4 are asked is told so)
                message = self._fewer(qid, precision)
            elif kind == "consequence":
                message = denied(bad, held, every, self.values.own, made_free)
            elif misconception is not None:
                name, message = misconception.id, f"{misconception.mistake}. Right: {misconception.right}"
                if misconception.rules.bias_input != CORRECT.bias_input:  # which of the two is this problem's
                    message += f" (in this problem: {self.diagnoser.givens[BIAS]:+g})"
            elif precision is not None:
                message = self._fewer(qid, precision)
            else:
                message = (f"does not follow from {qid} = {formula} with your numbers{self._where(q)}; "
                           "recompute this step")
                coarse = self._coarse(q, answer.value)
                if coarse is not None:
                    k, ids = coarse
                    message += (f" (your value is what it gives from {', '.join(ids)} rounded to {k} "
                                f"decimals: carry {'it' if len(ids) == 1 else 'them'} on as written)")
                elif maybe is not None:
                    message += f" (your value is what it gives if {maybe.mistake.split(';')[0]})"
        return make_item(qid, result, points, 1.0, None if answer is None else answer.given, name, message,
                         q.value, width(), formula, q.args, tuple(own_args), from_own,
                         None if answer is None else answer.value, q.op)

    def _fewer(self, qid: str, k: int) -> str:
        return f"right to {k} decimals; {self.d} are asked: write {qid} to {self.d} decimals"

    def _where(self, q: Quantity) -> str:
        """``, where p_A_step2 (not written) = new_w_x1_A * x1_step2 + ...`` for the arguments of
        ``q`` the student did not write: what was asked (``o_A_step2``) is all they see of a step
        whose unwritten part (the weights in ``p``) may be where it went wrong."""
        unwritten = [a for a in q.args if a in self.trace and a not in self.values.written]
        parts = [f"{a} (not written) = {self.trace.derivation.formulas[a]}" for a in unwritten]
        return f", where {' and '.join(parts)}" if parts else ""

    def _coarse(self, q: Quantity, value: float) -> tuple[int, list[str]] | None:
        """(k, the ids) when ``value`` is, at the asked decimals, an honest value of the step from
        the student's written arguments rounded to ``k`` = d - 1 or d - 2 decimals (o_A written
        0.3775, then p_B = -0.75 * 0.378 = -0.2835): values carried on rounded further than
        written. A hint for the message only: the answer stays a slip."""
        own, written = self.values.own, self.values.written
        for k in (self.d - 1, self.d - 2):
            if k < 0:
                continue
            ids = [a for a in q.args if a in written and round(own[a], k) != own[a]]
            if not ids:
                continue
            args = [point(round(own[a], k)) if a in ids else self.values.held(a) for a in q.args]
            if near(value, step_values(q.op, args, self.d), self.d):
                return k, ids
        return None

    def _precision(self, q: Quantity, value: float) -> int | None:
        """The decimals (d - 1 or d - 2) at which ``value``, as written, is an honest value of
        the step worked at those decimals (:func:`grader.hand.step_values`: each sub-result
        rounded there or not) from the values the student held, or from the exact values (kept
        in the calculator: every answer the exact value at 3 decimals), or None. (The
        worst-case band at those decimals, which this rule used, also held answers no
        calculation at them writes: ``1.5 * 2 * 0.0313 = 0.0939`` is 0.094 or 0.095 at 3
        decimals, never 0.093.)"""
        written = written_decimals(value)
        held = exact = None
        for k in (self.d - 1, self.d - 2):
            if k < 0 or written > k:
                continue
            held = held or [self.values.held(a) for a in q.args]
            exact = exact or [point(x) for x in q.arg_values]
            if near(value, step_values(q.op, held, k), k) or near(value, step_values(q.op, exact, k), k):
                return k
        return None


def _unreadable(error: str) -> str:
    """``your answer is not a number (NaN)`` / ``your answer: unknown name 'foo'``."""
    verbs = ("is ", "has ", "uses ", "divides ", "needs ", "takes ", "raises ")
    return f"your answer {error}" if error.startswith(verbs) else f"your answer: {error}"

