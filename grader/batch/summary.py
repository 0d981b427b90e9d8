r"""The class summary of a graded batch: one immutable object that every view is rendered from.

:func:`summarize` is a pure function from the batch rows (and each scored row's ``check --json``
items) to a :class:`ClassSummary`; the terminal summary of ``backprop grade``,
``OUT/summary.md``, ``OUT/summary.json`` and ``OUT/report.html`` are all rendered from it
(:mod:`grader.render.class_report`), so no view can leave out what another shows.

What it counts:

- every row by status (the statuses in :data:`~grader.batch.run.STATUSES` order);
- over the *scored* rows (graded, tampered, mismatch, copy: those graded against the key's
  problem for their own student): the mean and median score, the score distribution, the
  verdicts of every asked quantity (correct / carried-forward / incorrect / missing / invalid)
  grouped by kind (:data:`GROUPS`), and every misconception, by the students who made it and by
  the quantities where it was found;
- the flagged rows (every status but ``graded``), files submitted twice, answers that need
  ``--execute``, the other files found (not graded: a PDF handed in for the notebook), and a
  line per student with the relative links to their feedback files.

The rows are :mod:`grader.batch.rows`' typed rows (their items are ``Mark``\ s), the
duplicates :class:`grader.batch.assemble.Duplicate`\ s.
"""

from __future__ import annotations

import math
import os
import statistics
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ..rules import MISCONCEPTIONS
from ..solver import split_id
from .rows import SCORED, STATUSES

# --------------------------------------------------------------------------- the summary

#: the kinds of quantity, in the order of the derivation (P, the performance, is with the forward pass)
GROUPS = ("forward pass", "output deltas", "hidden deltas", "weight changes (dw)", "new weights")
#: the verdicts of ``check --json``, in the order the views show them
VERDICTS = ("correct", "carried-forward", "incorrect", "missing", "invalid")


def group_of(qid: str, final: Collection[str]) -> str:
    """The kind of the quantity ``qid`` (one of :data:`GROUPS`); ``final``: the neurons of
    the final layer (whose delta is an output delta)."""
    base = split_id(qid)[0]
    if base == "P" or base.startswith(("p_", "o_")):
        return "forward pass"
    if base.startswith("delta_"):
        return "output deltas" if base[len("delta_"):] in final else "hidden deltas"
    if base.startswith("dw_"):
        return "weight changes (dw)"
    if base.startswith("new_w_"):
        return "new weights"
    raise ValueError(f"{qid}: not the id of a quantity")


@dataclass(frozen=True)
class Tally:
    """How many answers of one quantity (or group) got each verdict."""

    correct: int = 0
    carried_forward: int = 0
    incorrect: int = 0
    missing: int = 0
    invalid: int = 0

    @property
    def total(self) -> int:
        return self.correct + self.carried_forward + self.incorrect + self.missing + self.invalid

    def counts(self) -> tuple[tuple[str, int], ...]:
        """(verdict, count) in :data:`VERDICTS` order."""
        return tuple(zip(VERDICTS, (self.correct, self.carried_forward, self.incorrect, self.missing,
                                    self.invalid), strict=True))


def _tally(verdicts: Counter[str]) -> Tally:
    return Tally(verdicts["correct"], verdicts["carried-forward"], verdicts["incorrect"], verdicts["missing"],
                 verdicts["invalid"])


@dataclass(frozen=True)
class QuantityLine:
    id: str
    group: str
    tally: Tally
    #: (misconception, students) found on this quantity, most first
    misconceptions: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class GroupLine:
    name: str
    tally: Tally
    quantities: tuple[QuantityLine, ...]


@dataclass(frozen=True)
class MisconceptionLine:
    id: str
    #: what the student did (grader.rules)
    mistake: str
    #: the students who made it
    students: tuple[str, ...]
    #: (quantity, students) where it was found, in the key's order
    quantities: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Flag:
    student: str
    status: str
    message: str
    file: str


@dataclass(frozen=True)
class Duplicate:
    student: str
    count: int
    used: str
    others: tuple[str, ...]


@dataclass(frozen=True)
class Bin:
    """How many scores fell from ``low`` up to ``high`` (``high`` itself only in the last bin);
    ``label`` names the whole scores it holds ("27", "0–9")."""

    low: float
    high: float
    label: str
    count: int


@dataclass(frozen=True)
class StudentLine:
    student: str
    status: str
    score: float
    max_score: float
    tally: Tally
    misconceptions: tuple[str, ...]
    message: str
    file: str
    #: (label, relative link) of each feedback file: ("md", "feedback/student01.md"), ...
    feedback: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ClassSummary:
    assignment: str
    family: str
    #: rows (a row per student of the key, and one per file naming nobody on it)
    students: int
    #: submission files found
    files: int
    #: (status, rows) of every status that occurs, in STATUSES order
    counts: tuple[tuple[str, int], ...]
    #: rows graded against the key's problem for their own student (the scores below are over these)
    scored: int
    mean: float | None
    median: float | None
    max_score: float | None
    #: "points" (every scored row has the same max_score) or "percent"
    distribution_unit: str
    distribution: tuple[Bin, ...]
    groups: tuple[GroupLine, ...]
    misconceptions: tuple[MisconceptionLine, ...]
    #: every row whose status is not graded (missing included)
    flagged: tuple[Flag, ...]
    duplicates: tuple[Duplicate, ...]
    needs_execution: int
    table: tuple[StudentLine, ...]
    #: the other files found under the submissions' folders, not graded (only .ipynb and .toml are)
    ignored: tuple[str, ...] = ()


def summarize(
    rows: Sequence[Any], *, columns: Sequence[str] = (), final: Collection[str] = (), assignment: str = "",
    family: str = "",
    files: int = 0, duplicates: Sequence[Any] = (), feedback_files: Collection[str] = (),
    ignored: Sequence[str] = (),
) -> ClassSummary:
    """The summary of ``rows``.

    ``columns``: the asked quantities in the key's order; ``final``: the
    final layer's neurons; ``feedback_files``: the names in ``OUT/feedback`` (the links of the
    student table point only at files that exist); ``ignored``: the other files found, not graded.
    """
    counts = Counter(r.status for r in rows)
    scored = [r for r in rows if r.status in SCORED]
    scores = [(float(r.score), float(r.max_score)) for r in scored]
    # (quantity, verdict) -> students and (misconception, quantity) -> students, counted by
    # Counter's C loop: a row's items are a Python loop each, 28,000 at 1,000 students
    verdict_pairs: Counter[tuple[str, str]] = Counter()
    mistake_pairs: Counter[tuple[str, str]] = Counter()
    by_student: dict[str, list[str]] = {}  # misconception -> the students who made it
    table = []
    for r in rows:
        sid, items = r.student, r.items  # (grader.batch.rows.Mark)
        own = Counter([mark.verdict for mark in items])
        # the misconceptions of the row, in the order of its items
        mistakes = tuple(dict.fromkeys([mark.misconception for mark in items if mark.misconception]))
        if r.status in SCORED:
            verdict_pairs.update([(mark.id, mark.verdict) for mark in items])
            if mistakes:
                mistake_pairs.update([(mark.misconception, mark.id) for mark in items if mark.misconception])
            for m in mistakes:
                by_student.setdefault(m, []).append(sid)
        table.append(StudentLine(sid, r.status, float(r.score), float(r.max_score), _tally(own), mistakes,
                                 r.message, r.file, _links(sid, feedback_files)))
    verdicts: dict[str, Counter[str]] = {}  # quantity -> verdict -> students (first seen first)
    for (qid, verdict), n in verdict_pairs.items():
        verdicts.setdefault(qid, Counter())[verdict] = n
    found_on: dict[str, Counter[str]] = {}  # misconception -> quantity -> students
    for (mis, qid), n in mistake_pairs.items():
        found_on.setdefault(mis, Counter())[qid] = n
    order = list(dict.fromkeys([*columns, *verdicts]))
    return ClassSummary(
        assignment=assignment, family=family, students=len(rows), files=files,
        counts=tuple((s, counts[s]) for s in STATUSES if counts[s]),
        scored=len(scored),
        mean=statistics.fmean(s for s, _ in scores) if scores else None,
        median=statistics.median(s for s, _ in scores) if scores else None,
        max_score=max(m for _, m in scores) if scores else None,
        distribution_unit="points" if len({m for _, m in scores}) <= 1 else "percent",
        distribution=distribution(scores),
        groups=_groups(order, verdicts, found_on, final),
        misconceptions=_misconceptions(order, by_student, found_on),
        flagged=tuple(Flag(r.student, r.status, r.message, r.file) for r in rows if r.status != "graded"),
        duplicates=tuple(Duplicate(d.student, d.count, d.used, tuple(d.others)) for d in duplicates),
        needs_execution=sum(1 for r in scored if r.needs_execution),

        table=tuple(table),
        ignored=tuple(ignored),
    )


def _groups(order: Sequence[str], verdicts: Mapping[str, Counter[str]], found_on: Mapping[str, Counter[str]],
            final: Collection[str]) -> tuple[GroupLine, ...]:
    lines: dict[str, list[QuantityLine]] = {g: [] for g in GROUPS}
    for qid in order:
        mis = sorted(((m, c[qid]) for m, c in found_on.items() if c[qid]), key=lambda p: (-p[1], p[0]))
        lines[group_of(qid, final)].append(
            QuantityLine(qid, group_of(qid, final), _tally(verdicts.get(qid, Counter())), tuple(mis)))
    out = []
    for g in GROUPS:
        if lines[g]:
            total: Counter[str] = Counter()
            for q in lines[g]:
                total.update(verdicts.get(q.id, Counter()))
            out.append(GroupLine(g, _tally(total), tuple(lines[g])))
    return tuple(out)


def _misconceptions(order: Sequence[str], by_student: Mapping[str, list[str]],
                    found_on: Mapping[str, Counter[str]]) -> tuple[MisconceptionLine, ...]:
    """Every misconception found, made by the most students first (then by id)."""
    lines = []
    for m in sorted(set(by_student) | set(found_on), key=lambda m: (-len(by_student.get(m, ())), m)):
        where = found_on.get(m, Counter())
        mistake = MISCONCEPTIONS[m].mistake if m in MISCONCEPTIONS else ""
        lines.append(MisconceptionLine(m, mistake, tuple(by_student.get(m, ())),
                                       tuple((q, where[q]) for q in order if where[q])))
    return tuple(lines)


def distribution(scores: Sequence[tuple[float, float]]) -> tuple[Bin, ...]:
    """The histogram of (score, max_score) pairs. When every max_score is the same: a bin per
    point, full marks its own (a few points a bin from 31 points up, full marks in the last);
    else ten bins of percent of each row's max_score."""
    if not scores:
        return ()
    maxima = {m for _, m in scores}
    if len(maxima) == 1:
        top = maxima.pop()
        width = max(1, math.ceil(top / 30))
        values = [s for s, _ in scores]
    else:
        top, width = 100.0, 10
        values = [100 * s / m if m else 0.0 for s, m in scores]
    n = int(top) + 1 if width == 1 else math.ceil(top / width)
    found = Counter(min(max(int(v // width), 0), n - 1) for v in values)
    bins = []
    for k in range(n):
        low = float(k * width)
        high = top if k == n - 1 else float((k + 1) * width)
        upper = low if width == 1 else (high if k == n - 1 else high - 1)
        bins.append(Bin(low, high, _label(low, upper), found[k]))
    return tuple(bins)


def _label(low: float, high: float) -> str:
    a, b = _short(low), _short(high)
    return a if a == b else f"{a}–{b}"


def _short(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _links(student: str, names: Collection[str]) -> tuple[tuple[str, str], ...]:
    """The relative links to the student's feedback files that exist (their names %-encoded,
    from the file name's bytes)."""
    return tuple((ext, "feedback/" + quote(os.fsencode(f"{student}.{ext}")))
                 for ext in ("md", "pdf") if f"{student}.{ext}" in names)
