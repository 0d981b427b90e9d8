"""Is the grade fair? The measurements of issue 11, each beside its target.

Generated variants of every built-in family (a fixed secret) are answered by simulated students
(:mod:`fair_cases`, beside this file) and graded with ``grader.grading.grade`` as it is imported
from ``sys.path``: run it with another tree first on the path to measure that tree's policy,

    PYTHONPATH=/work/wt-grading python bench/fairness.py

What is measured (per family; the last column is the worst family, or the total for counts):

- exploits (every p = 0; every o = 0.5, p following from the student's own values; every
  o = 0.5001; in families of more than one step every step-1 new weight = 0.5; every final
  output of step 1 made up next to its target, 0.999 or 0.001; every final delta of step 1 made
  up 0.0001; a classmate's right answers, same family, same alpha where possible), the rest
  computed consistently by hand from those numbers: the credit earned on answers that are *not*
  the right value at the asked decimals, as a share of the maximum score (target at most 25%),
  beside the plain share of the maximum score. The two exploits that flatten step 1's backward
  pass are held to the target on step 1's items (what they make free); over the whole
  submission they are shown without one: step 2, worked from the unchanged weights a flattened
  step 1 leaves, takes as much work as from the right ones, and is carried forward;
- a whole submission rounded to one decimal fewer than asked, each step from the student's own
  coarse earlier answers: credit on answers not right at the asked decimals, leaving out those
  within one unit (of the asked decimals: ``--coarse-unit``) of what the right formula gives from
  the student's own earlier answers, a fair carry-forward (target at most 20%);
- one item 2 units of the last decimal off, all others right: the share of such items accepted
  (target at most 10%), and the same share among the items where the 2 units are beyond what an
  honest hand calculation of that step can write from the right earlier values
  (:func:`fair_cases.step_reach`: a dw ``alpha * round(o * delta)`` with alpha 5 may honestly be
  2.5 units off); 1% off: at most 1% (items whose 1%-off value is within 2 units of the right
  one, or within an honest step's reach, are left out);
- honest hand-rounded chains (random rounding orders, sub-results, calculator values): items
  marked incorrect (target 0 in at least 10,000 items per family);
- each misconception worked consistently by hand: items after the first one it changes, not
  changed by it, neither correct nor carried-forward (target 0);
- slips (:mod:`fair_slips`): one slip (digit swap, sign, factor, 10 to 50 units) on a random
  asked item, the rest worked consistently by hand: points lost per slip (target at most 1.1);
  slips on which some misconception is named (target at most 1 in 10,000); one neutral slip (a
  ``p`` written 0 or an ``o`` 0.5): points lost, and lost beyond the slip and what the 0.5
  makes free (target at most 0.1); two slips on different items of one submission: points
  lost per slip (target at most 1.1), also among the pairs that meet in a later item;
- variants with a free answer group (a dw that is 0, so dw and new_w are free) in 1,000
  students per family (target 0).

Run: python bench/fairness.py [--variants N] [--sampled-variants M] [--seed S] [--families a,b]
     [--json FILE] [--quick]  (--help for the rest)
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

if __package__ in (None, ""):  # run as a script: fair_cases is beside this file (the grader is not)
    sys.path.append(str(Path(__file__).resolve().parent))

import fair_cases as fc  # noqa: E402
from fair_exploits import TRACE_EXPLOITS  # noqa: E402
from fair_slips import grade_variant, mimicry, neutral_slips, random_policy, slips, two_slips  # noqa: E402,F401
from fair_table import Share, Tally, details, figures, table  # noqa: E402

from grader.answers import Answer  # noqa: E402
from grader.errors import BackpropError  # noqa: E402
from grader.family import Family, builtin_family_ids, load_family  # noqa: E402
from grader.generator import Variant, generate_variants  # noqa: E402
from grader.ops import OPS  # noqa: E402
from grader.rules import MISCONCEPTIONS  # noqa: E402
from grader.solver import solve  # noqa: E402

SECRET = b"backprop-grader fairness bench (issue 11)"
ASSIGNMENT = "fairness"
WRONG = ("incorrect", "invalid", "missing")


def unfair_share(report, answers: Mapping[str, Answer], variant: Variant,
                 fair: Callable[[str], bool] | None = None, step: int | None = None) -> Share:
    """The credit of ``report`` on answers that are not right at the asked decimals (and not
    ``fair``), and all its credit, with the maximum score; ``step``: of that update step's items
    only."""
    d = variant.instance.rounding
    out = Share()
    for item in report.items:
        if step is not None and variant.exact[item.id].step != step:
            continue
        out.points += item.points
        out.max_points += item.max_points
        a = answers.get(item.id)
        if item.points <= 0 or a is None or a.value is None:
            continue
        if fc.is_right(a.value, variant.exact.value(item.id), d) or (fair is not None and fair(item.id)):
            continue
        out.unfair += item.points
    return out


def from_own(variant: Variant, answers: Mapping[str, Answer]) -> dict[str, float]:
    """What the right formula gives for every quantity from the student's own values (their
    answers where given, the right formula from their own values where not; givens exact)."""
    own = dict(variant.exact.givens)
    out = {}
    for q in variant.exact.quantities:
        out[q.id] = OPS[q.op].compute([own[a] for a in q.args])
        a = answers.get(q.id)
        own[q.id] = a.value if a is not None and a.value is not None else out[q.id]
    return out


# --------------------------------------------------------------------------- the measurements


#: the exploits of issue 11, drawing from the family's stream of random numbers; those added since
#: draw their own (so that every other figure keeps its sample)
FIRST_EXPLOITS = ("every p = 0", "every o = 0.5", "step-1 new_w = 0.5")


def exploits(family: Family, variants: Sequence[Variant], tally: Tally, rng: random.Random) -> None:
    for v in variants:
        built = {name: make(v.exact) for name, make in TRACE_EXPLOITS.items()}
        for name, override in {**fc.EXPLOITS, **built}.items():
            if name.startswith("step-1") and v.instance.steps < 2:
                continue
            draws = rng if name in FIRST_EXPLOITS else random.Random(f"{name}/{v.family}/{v.student}")
            chain = fc.hand_chain(v.exact, v.asked, v.instance.rounding, draws, fc.PLAIN, override)
            answers = chain.answers(v.asked)
            report = grade_variant(v, answers, family.ecf_credit)
            tally.share(f"exploit: {name}").add(unfair_share(report, answers, v))
            if name in built:  # what the made-up step-1 values flatten is step 1's
                tally.share(f"exploit: {name}, step 1").add(unfair_share(report, answers, v, step=1))
        mate = classmate(v, variants)
        answers = fc.exact_answers(mate.exact, v.asked, v.instance.rounding)
        tally.share("exploit: a classmate's answers").add(
            unfair_share(grade_variant(v, answers, family.ecf_credit), answers, v))
        if mate.instance.alpha != v.instance.alpha:
            tally.notes["copies with another alpha"] += 1


def classmate(v: Variant, variants: Sequence[Variant]) -> Variant:
    """The next variant after ``v`` with the same alpha (any other when there is none)."""
    i = variants.index(v)
    others = [variants[(i + k) % len(variants)] for k in range(1, len(variants))]
    same = [w for w in others if w.instance.alpha == v.instance.alpha]
    return (same or others or [v])[0]


def coarse(family: Family, variants: Sequence[Variant], tally: Tally, rng: random.Random,
           within: str) -> None:
    for v in variants:
        d = v.instance.rounding
        chain = fc.hand_chain(v.exact, v.asked, d - 1, rng, fc.PLAIN)
        answers = chain.answers(v.asked)
        follows = from_own(v, answers)
        tol = fc.unit(d - 1 if within == "coarse" else d) * (1 + 1e-9)

        def fair(qid: str, answers: Mapping[str, Answer] = answers, follows: dict = follows,
                 tol: float = tol) -> bool:
            return abs(answers[qid].value - follows[qid]) <= tol

        tally.share("coarse: one decimal fewer").add(
            unfair_share(grade_variant(v, answers, family.ecf_credit), answers, v, fair))


def off_by(family: Family, variants: Sequence[Variant], tally: Tally, rng: random.Random) -> None:
    for v in variants:
        d = v.instance.rounding
        u = fc.unit(d)
        right = fc.exact_answers(v.exact, v.asked, d)
        for qid in v.asked:
            value = right[qid].value
            exact = v.exact.value(qid)
            reach = fc.step_reach(v.exact, qid, d, v.asked)
            for name, wrong in (("2 units off", value + rng.choice((-2, 2)) * u),
                                ("1% off", fc.hand_round(exact * (1 + rng.choice((-0.01, 0.01))), d))):
                if name == "1% off" and (abs(wrong - value) < 2.5 * u or abs(wrong - exact) <= reach + 1e-12):
                    continue  # the 2-units row, or within what an honest step can write
                answers = dict(right)
                answers[qid] = fc.written_answer(qid, wrong, d)
                item = next(i for i in grade_variant(v, answers, family.ecf_credit).items if i.id == qid)
                keys = [f"accepted: {name}", f"{name}, accepted: {v.exact[qid].kind}"]
                if name == "2 units off":
                    if abs(wrong - exact) > reach + 1e-12:
                        keys.append("accepted: 2 units off, beyond honest reach")
                    else:
                        tally.notes["2-units-off items an honest step can write"] += 1
                for key in keys:
                    r = tally.rate(key)
                    r.total += 1
                    r.hits += item.points > 0


def honest(family: Family, variants: Sequence[Variant], tally: Tally, rng: random.Random, items: int) -> None:
    per_variant = math.ceil(items / max(1, sum(len(v.asked) for v in variants)))
    for v in variants:
        for k in range(per_variant):
            policy = (fc.ALL_ROUNDED, fc.PLAIN)[k] if k < 2 else random_policy(rng)
            chain = fc.hand_chain(v.exact, v.asked, v.instance.rounding, rng, policy)
            report = grade_variant(v, chain.answers(v.asked), family.ecf_credit)
            r = tally.rate("honest: marked wrong")
            r.total += len(report.items)
            r.hits += sum(i.verdict in WRONG for i in report.items)
            carried = sum(i.verdict == "carried-forward" for i in report.items)
            tally.notes["honest items carried-forward"] += carried


def misconceptions(family: Family, variants: Sequence[Variant], tally: Tally, rng: random.Random,
                   chains: int) -> None:
    for v in variants:
        order = {q.id: i for i, q in enumerate(v.exact.quantities)}
        for m in MISCONCEPTIONS.values():
            mutant = solve(v.instance, rules=m.rules)
            direct = fc.direct_ids(v.exact, mutant)
            if not direct:
                continue  # the misconception changes nothing in this net (bias-input without a bias)
            acting = fc.acting_ids(mutant, direct, v.asked)
            first = min(order[q] for q in direct)
            later = [q for q in v.asked if order[q] > first and q not in acting]
            for _ in range(chains):
                chain = fc.hand_chain(mutant, v.asked, v.instance.rounding, rng, random_policy(rng))
                report = grade_variant(v, chain.answers(v.asked), family.ecf_credit)
                verdicts = {i.id: i.verdict for i in report.items}
                denied = sum(verdicts[q] in WRONG for q in later)
                for key in ("misconceptions: later items denied", f"later items denied: {m.id}"):
                    r = tally.rate(key)
                    r.total += len(later)
                    r.hits += denied


def free_groups(family: Family, students: int, tally: Tally) -> None:
    """Variants where a dw is 0 (a zero input, or a zero delta from a zero weight), so that an
    asked dw or new_w is free."""
    roster = [f"free{i:04d}" for i in range(students)]
    for v in generate_variants(family, roster, SECRET, ASSIGNMENT + "-free"):
        asked = set(v.asked)
        free = [q for q in v.exact.quantities if q.kind == "dw" and abs(q.value) <= 1e-12
                and (q.id in asked or q.id.replace("dw_", "new_w_", 1) in asked)]
        r = tally.rate("variants with free answers")
        r.total += 1
        r.hits += bool(free)
        tally.notes["free answers"] += len(free)


# --------------------------------------------------------------------------- the run


@dataclass(frozen=True)
class Settings:
    """How much to measure (the command-line options)."""

    #: variants per family for the exploits, the coarse submission and the items off by a little
    variants: int = 16
    #: variants per family the honest chains, the misconceptions and the slips are spread over
    #: (the first ``variants`` of them are the ones above)
    sampled: int = 64
    seed: int = 11
    honest_items: int = 20_000
    slips: int = 1500
    students: int = 1000
    chains: int = 2
    coarse_unit: str = "asked"


QUICK = Settings(variants=3, sampled=6, honest_items=300, slips=100, students=50, chains=1)


def run(families: Sequence[str], settings: Settings, out: Callable[[str], None] = print) -> dict[str, Tally]:
    s = settings
    tallies: dict[str, Tally] = {}
    for fid in families:
        started = time.perf_counter()
        family = load_family(fid)
        roster = [f"s{i:03d}" for i in range(max(s.variants, s.sampled))]
        pool = generate_variants(family, roster, SECRET, ASSIGNMENT)  # in roster order: a prefix is the same
        variants = pool[: s.variants]
        sampled = pool[: s.sampled]
        t = tallies[fid] = Tally()
        rng = random.Random(f"{s.seed}/{fid}")
        exploits(family, variants, t, rng)
        coarse(family, variants, t, rng, s.coarse_unit)
        off_by(family, variants, t, rng)
        honest(family, sampled, t, rng, s.honest_items)
        misconceptions(family, sampled, t, rng, s.chains)
        slips(family, sampled, t, rng, s.slips)
        neutral_slips(family, sampled, t, rng, s.slips)
        two_slips(family, sampled, t, rng, s.slips)
        if s.students:
            free_groups(family, s.students, t)
        notes = ", ".join(f"{k} {v}" for k, v in sorted(t.notes.items()))
        took = time.perf_counter() - started
        out(f"{fid}: {len(variants)} and {len(sampled)} variants, {took:.1f} s; {notes}")
    return tallies


def main(argv: Sequence[str] | None = None) -> int:
    d = Settings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=d.variants,
                        help=f"variants per family for the exploits, the coarse submission and the items off "
                             f"by a little (default {d.variants})")
    parser.add_argument("--sampled-variants", type=int, default=d.sampled,
                        help=f"variants per family the honest chains, misconceptions and slips are spread "
                             f"over (default {d.sampled})")
    parser.add_argument("--seed", type=int, default=d.seed,
                        help=f"seed of the simulated students (default {d.seed})")
    parser.add_argument("--families", default="", help="comma-separated family ids (default: every built-in)")
    parser.add_argument("--honest-items", type=int, default=d.honest_items,
                        help=f"honest items per family (default {d.honest_items})")
    parser.add_argument("--slips", type=int, default=d.slips, help=f"slips per family (default {d.slips})")
    parser.add_argument("--students", type=int, default=d.students,
                        help=f"students per family for the free answers (default {d.students}; 0: skip)")
    parser.add_argument("--chains", type=int, default=d.chains,
                        help=f"hand chains per variant and misconception (default {d.chains})")
    parser.add_argument("--coarse-unit", choices=("asked", "coarse"), default=d.coarse_unit,
                        help="a coarse answer within one unit of these decimals of what its own earlier "
                             "answers give is a fair carry-forward (default: of the asked decimals)")
    parser.add_argument("--json", metavar="FILE", help="also write every figure by family to FILE (JSON)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 3 and 6 variants, few items")
    args = parser.parse_args(argv)
    settings = Settings(args.variants, args.sampled_variants, args.seed, args.honest_items, args.slips,
                        args.students, args.chains, args.coarse_unit)
    if args.quick:
        settings = replace(QUICK, seed=args.seed, coarse_unit=args.coarse_unit)
    families = [f for f in args.families.split(",") if f] or list(builtin_family_ids())
    if settings.variants < 2 or settings.sampled < 1:
        parser.error("--variants must be 2 or more (a copy needs a classmate), --sampled-variants 1 or more")
    import grader

    try:
        for f in families:
            load_family(f)
    except BackpropError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    print(f"grader from {Path(grader.__file__).resolve().parent}; {settings}")
    tallies = run(families, settings)
    print()
    print("\n".join(table(tallies)))
    print("shares: credit on answers not right at the asked decimals, % of the maximum score "
          "(in brackets: the plain score, %)")
    print()
    print("\n".join(details(tallies, "2 units off, accepted", "rate")))
    print("\n".join(details(tallies, "1% off, accepted", "rate")))
    print("\n".join(details(tallies, "later items denied", "count")))
    print("\n".join(details(tallies, "neutral slip, points lost", "mean")))
    if args.json:
        import json

        Path(args.json).write_text(json.dumps({"settings": asdict(settings), "figures": figures(tallies)},
                                              indent=1) + "\n")
    print(f"{time.perf_counter() - started:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
