"""Copy detection (grader/batch/copies.py): what it catches, what it never flags, what it costs.

For each built-in family, a class of N students (fixed secret):

- honest submissions: every student's answers worked by hand, rounded and not, correctly and
  under each of the ten misconceptions (22 per student), graded as the batch grades them (the
  answers the grader explains by a misconception are no evidence): target **0 flagged**;
- copies: every classmate's answers, worked by hand with the rounding carried along, typed
  into every student's own handout (N x (N - 1)): the share flagged as a copy of that classmate.

Then the cost: building the index and one look-up per submission, for classes of 30, 300 and
1000 (CPU time, best of 5: the look-up should not grow with the class).

Run: python bench/bench_copies.py [--students N]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

FAMILIES = ("chain", "chain3", "2-2-1", "2-2-1-threshold", "2-2-2-bias", "xor", "2-2-2-1")
SECRET = b"bench_copies"


def _index(family: str, n: int, folder: Path):
    from grader.batch.copies import CopyIndex
    from grader.family import load_family
    from grader.generator import generate_variants
    from grader.key import key_document, load_key
    from grader.roster import numbered_roster

    fam = load_family(family)
    variants = generate_variants(fam, numbered_roster(n), SECRET, "hw1", 1)
    path = folder / f"{family}-{n}.json"
    path.write_text(json.dumps(key_document(variants, fam, "hw1")))
    return variants, path, CopyIndex(load_key(path))


def explained(v, values: dict[str, float]) -> set[str]:
    """The ids whose answer the grader explains by a misconception (as grade_submission asks)."""
    from grader.answers import Answer
    from grader.grading import grade

    answers = {q: Answer(q, x, x) for q, x in values.items()}
    report = grade(v.instance, answers, asked=v.asked, trace=v.trace())
    return {i.id for i in report.items if i.misconception}


def detection(n: int, folder: Path) -> None:
    from by_hand import hand_worked

    from grader.rules import CORRECT, MISCONCEPTIONS

    print(f"{'family':16s} {'honest flagged':>16s}  {'hand-worked copies caught':>26s}")
    for family in FAMILIES:
        variants, _, index = _index(family, n, folder)
        flagged = honest = 0
        for v in variants:
            for rules in (CORRECT, *(m.rules for m in MISCONCEPTIONS.values())):
                for rounded in (True, False):
                    values = hand_worked(v, rules, rounded=rounded)
                    answers = {q: values[q] for q in v.asked}
                    flagged += index.find(v.student, answers, explained(v, answers)) is not None
                    honest += 1
        caught = pairs = 0
        for source in variants:
            values = hand_worked(source)
            copied = {q: values[q] for q in source.asked}
            for v in variants:
                if v is not source:
                    found = index.find(v.student, copied, explained(v, copied))
                    caught += found is not None and found.source == source.student
                    pairs += 1
        share = caught / pairs
        print(f"{family:16s} {flagged:>6d} of {honest:<6d}    {caught:>6d} of {pairs:<6d} ({share:.1%})")


def cost(folder: Path) -> None:
    from grader.batch.copies import CopyIndex
    from grader.key import load_key

    for n in (30, 300, 1000):
        variants, path, index = _index("2-2-1-threshold", n, folder)
        builds = []
        for _ in range(5):
            key = load_key(path)
            t = time.process_time()
            index = CopyIndex(key)
            builds.append(time.process_time() - t)
        subs = [(v.student, {q: round(v.trace().value(q), 4) for q in v.asked}) for v in variants]
        best = float("inf")
        for _ in range(5):
            t = time.process_time()
            for student, answers in subs:
                index.find(student, answers)
            best = min(best, time.process_time() - t)
        print(f"{n:5d} students: index built in {min(builds) * 1e3:6.1f} ms, "
              f"{best / n * 1e6:5.1f} us per submission looked up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=60, help="class size per family (default 60)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        detection(args.students, Path(tmp))
        print()
        cost(Path(tmp))


if __name__ == "__main__":
    main()
