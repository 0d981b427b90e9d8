"""``backprop demo``: the whole loop on built-in defaults, with simulated submissions.

Eight students get notebooks of the default family; their simulated submissions cover what a
real class hands in: right answers, hand-rounded answers, two different misconceptions,
answers computed in code, a corrupt file, nothing at all, and an edited problem (answered
right for the edited numbers, so its row shows what tampering earns when graded against the
key).

The handouts, worked solutions and key are written as ``backprop generate --force`` writes
them (:mod:`grader.publish`: the demo's folder is its own, each run replaces them), signed
with the demo's fixed, public secret, so nothing is read from or written to the user's
configuration, and the demo prints the same session on every machine.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..files import write_atomic

DEMO_FAMILY = "2-2-1-threshold"
DEMO_ASSIGNMENT = "demo"
#: A fixed, public secret: the demo's files are the same every run. Never use it for a course.
DEMO_SECRET = b"backprop-grader demo secret (public; do not use for a course)"
#: student -> what their simulated submission does
CASES = (
    ("right", "all answers right, full precision"),
    ("rounded", "all answers right, rounded by hand to the decimals asked"),
    ("sign-flip", "final-layer delta with (o - d): one misconception"),
    ("updated-weights", "hidden deltas with the already-updated weights: another misconception"),
    ("code", "answers computed by the student's own functions (needs --execute)"),
    ("corrupt", "a notebook cut off halfway (the upload failed)"),
    ("missing", "nothing submitted"),
    ("tampered", "the problem edited to easier numbers, answered right for those"),
)


@dataclass(frozen=True)
class DemoFiles:
    out: Path
    key: Path
    handouts: Path
    submissions: Path
    graded: Path
    cases: tuple[tuple[str, str, str], ...]  # (student, case, description)


def fill(text: str, values: dict[str, str]) -> str:
    """The notebook text with each ``<id> = ...`` answer line given ``values[id]``."""
    nb = json.loads(text)
    for cell in nb["cells"]:
        if cell["cell_type"] != "code" or "answer" not in cell.get("metadata", {}).get("tags", []):
            continue
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        cell["source"] = re.sub(r"^([A-Za-z_][A-Za-z0-9_]*) = \.\.\.$",
                                lambda m: f"{m.group(1)} = {values.get(m.group(1), '...')}", src, flags=re.M)
    return json.dumps(nb, indent=1, sort_keys=True) + "\n"


def _tampered(text: str, asked: tuple[str, ...]) -> str:
    """The notebook with every weight edited to 1 (in its metadata and its cell of givens) and
    the answers of the edited problem, rounded as asked: what a student who makes the problem
    easier hands in. Graded against the key, as every submission is."""
    from ..solver import solve
    from ..validation import instance_from_dict

    nb = json.loads(text)
    data = nb["metadata"]["backprop"]["instance"]
    data["weights"] = {k: 1.0 for k in data["weights"]}
    easier = instance_from_dict(data, "the edited problem")
    for cell in nb["cells"]:
        if "givens" in cell.get("metadata", {}).get("tags", []):
            src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cell["source"] = re.sub(r"^(w_[A-Za-z0-9_]+) = .*$", r"\1 = 1.0", src, flags=re.M)
    mine = solve(easier)
    return fill(json.dumps(nb), {q: f"{mine.value(q):.{easier.rounding}f}" for q in asked})


def _code_version(text: str, instance: Any, asked: tuple[str, ...]) -> str:
    """Answers computed with the student's own functions: statically unreadable, right when run."""
    from nbformat import v4

    from ..solver import solve

    trace = solve(instance)
    lines = ["from math import exp", "def sigmoid(p):", "    return 1 / (1 + exp(-p))", ""]
    for q in trace:
        lines.append(f"{q.id} = {_code_formula(q, list(q.args))}")
    nb = json.loads(text)
    for cell in nb["cells"]:
        if "answer" in cell.get("metadata", {}).get("tags", []):
            cell["source"] = ""
    cell = v4.new_code_cell("\n".join(lines), metadata={"tags": ["answer"]})
    cell["id"] = "my-work"
    nb["cells"].append(dict(cell))
    return json.dumps(nb, indent=1, sort_keys=True) + "\n"


def _code_formula(q: Any, args: list[str]) -> str:
    """A Python expression for ``q`` from the names the notebook defines (givens and earlier ids)."""
    if q.kind == "o":
        return f"sigmoid({args[0]})"
    return _by_op(q, args)


def _by_op(q: Any, names: list[str]) -> str:
    """Weighted sums as products of the names; everything else as float(value), which needs running."""
    if q.kind == "p":
        pairs = list(zip(names[::2], names[1::2], strict=False))  # (an odd name left over: not a sum)
        return " + ".join(f"{a} * {b}" for a, b in pairs) if pairs and len(names) % 2 == 0 else repr(q.value)
    return f"float({q.value!r})"


def run_demo(out: str | Path, *, jobs: int | None = None, execute: bool = False) -> tuple[DemoFiles, Any]:
    """Generate, simulate and grade; returns where everything is and the grading outcome."""
    from ..family import load_family
    from ..publish import open_target, publish
    from ..roster import numbered_roster
    from ..rules import MISCONCEPTIONS
    from ..solver import solve
    from .run import Options, grade_batch

    out = Path(out)
    family = load_family(DEMO_FAMILY)
    students = numbered_roster(len(CASES))
    done = publish(open_target(out, "replace"), family, students, DEMO_SECRET, assignment=DEMO_ASSIGNMENT,
                   formats=("ipynb",), jobs=1)
    variants = done.added
    handouts, submissions = out / "handouts", out / "submissions"
    key_path = out / "key.json"
    cases = []
    for v, (case, description) in zip(variants, CASES, strict=True):
        cases.append((v.student, case, description))
        text = (handouts / f"{v.student}.ipynb").read_text()
        target = submissions / f"{v.student}.ipynb"
        exact = solve(v.instance)
        decimals = v.instance.rounding
        if case == "missing":
            target.unlink(missing_ok=True)
            continue
        if case == "right":
            filled = fill(text, {q: repr(exact.value(q)) for q in v.asked})
        elif case == "rounded":
            filled = fill(text, {q: f"{exact.value(q):.{decimals}f}" for q in v.asked})
        elif case in MISCONCEPTIONS:
            wrong = solve(v.instance, MISCONCEPTIONS[case].rules)
            filled = fill(text, {q: f"{wrong.value(q):.{decimals}f}" for q in v.asked})
        elif case == "code":
            filled = _code_version(text, v.instance, v.asked)
        elif case == "corrupt":
            full = fill(text, {q: f"{exact.value(q):.{decimals}f}" for q in v.asked})
            filled = full[: len(full) // 2]
        else:  # tampered: easier weights in the problem, and the answers right for those
            filled = _tampered(text, v.asked)
        write_atomic(target, filled)
    graded = out / "graded"
    outcome = grade_batch(str(key_path), [str(submissions)], str(graded),
                          options=Options(execute=execute, force=True), jobs=jobs, report=True)
    return DemoFiles(out, key_path, handouts, submissions, graded, tuple(cases)), outcome
