"""The tallies of the fairness bench (:mod:`fairness`) and the table that prints each figure
beside its target, per family, with the worst family (or the total of a count) last."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass
class Share:
    """Credit on answers that are not right (``unfair``) and all credit, over the maximum."""

    unfair: float = 0.0
    points: float = 0.0
    max_points: float = 0.0

    def add(self, other: Share) -> None:
        self.unfair += other.unfair
        self.points += other.points
        self.max_points += other.max_points


@dataclass
class Rate:
    hits: float = 0.0
    total: float = 0.0


@dataclass
class Tally:
    """Every figure of one family."""

    shares: dict[str, Share] = field(default_factory=dict)
    rates: dict[str, Rate] = field(default_factory=dict)
    notes: Counter = field(default_factory=Counter)

    def share(self, name: str) -> Share:
        return self.shares.setdefault(name, Share())

    def rate(self, name: str) -> Rate:
        return self.rates.setdefault(name, Rate())




@dataclass(frozen=True)
class Row:
    label: str
    key: str
    #: "unfair": a Share's unfair credit in %; "rate": hits/total in %; "count": hits; "mean": hits/total;
    #: "per10k": hits per 10,000
    kind: str
    #: None: a figure shown beside others, with no target of its own
    target: float | None
    #: the last column: "max" over families, "sum" of the counts, "pool": the rate of all families pooled
    worst: str = "max"


ROWS = (
    Row("exploit: every p = 0  (credit not right, %)", "exploit: every p = 0", "unfair", 25),
    Row("exploit: every o = 0.5", "exploit: every o = 0.5", "unfair", 25),
    Row("exploit: every o = 0.5001", "exploit: every o = 0.5001", "unfair", 25),
    Row("exploit: step-1 new_w = 0.5", "exploit: step-1 new_w = 0.5", "unfair", 25),
    Row("exploit: outputs next to targets, step 1", "exploit: outputs next to targets, step 1", "unfair", 25),
    Row("  over the whole submission", "exploit: outputs next to targets", "unfair", None),
    Row("exploit: tiny final deltas, step 1", "exploit: tiny final deltas, step 1", "unfair", 25),
    Row("  over the whole submission", "exploit: tiny final deltas", "unfair", None),
    Row("exploit: a classmate's answers", "exploit: a classmate's answers", "unfair", 25),
    Row("coarse: one decimal fewer (%)", "coarse: one decimal fewer", "unfair", 20),
    Row("one item 2 units off: accepted (%)", "accepted: 2 units off", "rate", 10),
    Row("  of those, beyond an honest step's reach", "accepted: 2 units off, beyond honest reach", "rate",
        10),
    Row("one item 1% off: accepted (%)", "accepted: 1% off", "rate", 1),
    Row("honest chains: items marked wrong", "honest: marked wrong", "count", 0, "sum"),
    Row("misconceptions: later items denied", "misconceptions: later items denied", "count", 0, "sum"),
    Row("one slip: points lost per slip", "slip: points lost per slip", "mean", 1.1),
    Row("slips naming a misconception (/10,000)", "slip: misconception named", "per10k", 1, "pool"),
    Row("one neutral slip (p = 0, o = 0.5): points lost", "neutral slip: points lost per slip", "mean", None),
    Row("  beyond the slip and what it makes free", "neutral slip: points lost beyond the slip and what it "
        "makes free", "mean", 0.1),
    Row("two slips: points lost per slip", "two slips: points lost per slip", "mean", 1.1),
    Row("  of those, two that meet", "two slips: points lost per slip, where they meet", "mean", 1.1),
    Row("variants with free answers (count)", "variants with free answers", "count", 0, "sum"),
)


def figure(row: Row, t: Tally) -> tuple[float, str] | None:
    """(the figure, its cell text) for one family, None when not measured there."""
    if row.kind == "unfair":
        s = t.shares.get(row.key)
        if s is None or not s.max_points:
            return None
        x = 100 * s.unfair / s.max_points
        return x, f"{x:.1f} ({100 * s.points / s.max_points:.0f})"
    r = t.rates.get(row.key)
    if r is None or not r.total:
        return None
    if row.kind == "rate":
        x = 100 * r.hits / r.total
        return x, f"{x:.1f}"
    if row.kind == "count":
        return r.hits, f"{r.hits:.0f}/{r.total:.0f}"
    if row.kind == "mean":
        x = r.hits / r.total
        return x, f"{x:.2f}"
    x = 1e4 * r.hits / r.total
    return x, f"{x:.1f}"


def details(tallies: Mapping[str, Tally], prefix: str, kind: str) -> list[str]:
    """A table of the rates whose keys start with ``prefix`` (one row per key), per family:
    "rate" in %, "count" as hits/total, "mean" as hits/total."""
    names = list(tallies)
    keys = list(dict.fromkeys(k for t in tallies.values() for k in t.rates if k.startswith(prefix)))
    width = max(12, *(len(n) + 1 for n in names))
    lines = [f"{prefix:42}" + "".join(f"{n:>{width}}" for n in names)]
    for key in keys:
        cells = []
        for n in names:
            r = tallies[n].rates.get(key)
            if r is None or not r.total:
                cells.append(f"{'n/a':>{width}}")
            else:
                text = (f"{100 * r.hits / r.total:.1f}" if kind == "rate" else f"{r.hits / r.total:.2f}"
                        if kind == "mean" else f"{r.hits:.0f}/{r.total:.0f}")
                cells.append(f"{text:>{width}}")
        lines.append(f"{'  ' + key[len(prefix):].lstrip(': '):42}" + "".join(cells))
    return lines


def figures(tallies: Mapping[str, Tally]) -> dict[str, dict[str, float | None]]:
    """Every figure of the table by row key and family (None where not measured), for --json."""
    return {row.key: {n: (None if (f := figure(row, t)) is None else f[0]) for n, t in tallies.items()}
            for row in ROWS}


def table(tallies: Mapping[str, Tally]) -> list[str]:
    names = list(tallies)
    width = max(12, *(len(n) + 1 for n in names))
    head = f"{'figure':42}" + "".join(f"{n:>{width}}" for n in names) + f"{'worst/all':>14}{'target':>9}  ok"
    lines = [head, "-" * len(head)]
    for row in ROWS:
        cells, values, totals = [], [], [0.0, 0.0]
        for n in names:
            f = figure(row, tallies[n])
            cells.append(f"{'n/a' if f is None else f[1]:>{width}}")
            if f is not None:
                values.append(f[0])
                r = tallies[n].rates.get(row.key)
                if r is not None:
                    totals[0] += r.hits
                    totals[1] += r.total
        if not values:
            worst, text = None, "n/a"
        elif row.worst == "sum":
            worst, text = totals[0], f"{totals[0]:.0f}/{totals[1]:.0f}"
        elif row.worst == "pool":
            worst = 1e4 * totals[0] / totals[1]
            text = f"{worst:.1f} all"
        else:
            worst = max(values)
            text = f"{worst:.2f}" if row.kind == "mean" else f"{worst:.1f}"
        if row.target is None:
            ok, target = "", "-"
        else:
            ok = "n/a" if worst is None else ("yes" if worst <= row.target + 1e-12 else "NO")
            target = f"<= {row.target:g}" if row.target else "0"
        lines.append(f"{row.label:42}" + "".join(cells) + f"{text:>14}{target:>9}  {ok}")
    return lines
