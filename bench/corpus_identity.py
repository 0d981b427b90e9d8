"""A corpus of graded submissions for checking that a change of the code keeps every output.

    PYTHONPATH=TREE python bench/corpus_identity.py OUT [--count 14]

With the checkout ``TREE`` (its ``grader``, found through ``PYTHONPATH``; run the script with
a Python that has the project's dependencies), for every built-in family: generate ``--count``
students' handouts (toml, ipynb, md) with worked solutions and key, write a submission per
student, half as notebooks and half as answer files, each of one kind (right to full
precision, hand-rounded, every misconception of ``grader.rules``, one slip, two slips, rounded
a decimal short, unreadable answers, a broken file, a tampered problem, nothing at all), and
grade them (``backprop grade --format md --jobs 1``). Everything lands in ``OUT/<family>/``.

Run it with the old and the new checkout into the same folder in turn (the results name each
submission's path), moving the first out of the way, and compare them::

    PYTHONPATH=OLD python bench/corpus_identity.py /tmp/corpus && mv /tmp/corpus /tmp/corpus-old
    PYTHONPATH=NEW python bench/corpus_identity.py /tmp/corpus && mv /tmp/corpus /tmp/corpus-new
    diff -r -x .cache /tmp/corpus-old /tmp/corpus-new

Nothing else in the outputs depends on the time or the machine (the secret is fixed), so any
difference is a difference of the code.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

SECRET = b"corpus-identity secret (public)"


def _kinds() -> list[str]:
    from grader.rules import MISCONCEPTIONS

    return ["right", "rounded", *MISCONCEPTIONS, "slip", "two-slips", "short", "unreadable", "broken",
            "tampered", "missing"]


def _values(kind: str, v) -> dict[str, str] | None:
    """The answers of a submission of ``kind`` to the variant ``v``, as written (None: no file)."""
    from grader.rules import MISCONCEPTIONS
    from grader.solver import solve

    d = v.instance.rounding
    exact = solve(v.instance)
    asked = list(v.asked)
    rounded = {q: f"{exact.value(q):.{d}f}" for q in asked}
    if kind == "right":
        return {q: repr(exact.value(q)) for q in asked}
    if kind in ("rounded", "broken", "tampered"):
        return rounded
    if kind in MISCONCEPTIONS:
        wrong = solve(v.instance, MISCONCEPTIONS[kind].rules)
        return {q: f"{wrong.value(q):.{d}f}" for q in asked}
    if kind == "slip":
        q = asked[len(asked) // 3]
        return {**rounded, q: f"{exact.value(q) + 0.37:.{d}f}"}
    if kind == "two-slips":
        a, b = asked[1], asked[len(asked) // 2]
        return {**rounded, a: f"{exact.value(a) * 1.5:.{d}f}", b: f"{exact.value(b) - 0.21:.{d}f}"}
    if kind == "short":
        return {q: f"{exact.value(q):.{d - 1}f}" for q in asked}
    if kind == "unreadable":
        return {**rounded, asked[0]: "'zero'", asked[-1]: "1/0"}
    return None


def _toml(handout: str, values: dict[str, str]) -> str:
    out = []
    for line in handout.splitlines():
        key = line.split("=")[0].strip()
        if key in values and '= ""' in line:
            value = values[key]
            line = f"{key} = {json.dumps(value.strip(chr(39)))}" if value.startswith("'") or "/" in value \
                else f"{key} = {value}"
        out.append(line)
    return "\n".join(out) + "\n"


def build(out: Path, count: int) -> None:
    from grader.batch.demo_class import _tampered, fill
    from grader.family import builtin_family_ids

    env = dict(os.environ)
    secret = out / "secret"
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_bytes(SECRET)
    kinds = _kinds()
    for family in builtin_family_ids():
        gen = out / family / "gen"
        subprocess.run([sys.executable, "-m", "grader", "generate", family, "--out", str(gen), "--count",
                        str(count), "--format", "toml,ipynb,md", "--assignment", "corpus", "--secret-file",
                        str(secret)], check=True, env=env, stdout=subprocess.DEVNULL)
        from grader.key import load_key

        key = load_key(gen / "key.json")
        subs = out / family / "subs"
        subs.mkdir(exist_ok=True)
        for i, (sid, entry) in enumerate(key.students.items()):
            kind = kinds[i % len(kinds)]
            notebook = i % 2 == 0

            class V:  # what _values needs of a variant
                instance = entry.instance
                asked = entry.asked

            values = _values(kind, V)
            if values is None:
                continue
            if notebook:
                text = (gen / "handouts" / f"{sid}.ipynb").read_text()
                if kind == "tampered":
                    filled = _tampered(text, entry.asked)
                else:
                    filled = fill(text, values)
                if kind == "broken":
                    filled = filled[: len(filled) // 2]
                (subs / f"{sid}.ipynb").write_text(filled)
            else:
                text = (gen / "handouts" / f"{sid}.toml").read_text()
                if kind == "tampered":
                    text = re.sub(r"^(x1_A|w_x1_A|x1_B) = .*$", r"\1 = 1.0", text, flags=re.M)
                filled = _toml(text, values)
                if kind == "broken":
                    filled = filled[: len(filled) // 2] + "\n[[[\n"
                (subs / f"{sid}.toml").write_text(filled)
        subprocess.run([sys.executable, "-m", "grader", "grade", str(gen / "key.json"), str(subs), "--out",
                        str(out / family / "graded"), "--format", "md", "--jobs", "1"],
                       check=False, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--count", type=int, default=len(_kinds()) * 2)
    args = ap.parse_args()
    build(args.out, args.count)


if __name__ == "__main__":
    main()
