"""``backprop export prairielearn FAMILY --out DIR``: a PrairieLearn question folder.

``info.json`` (a v3 question: uuid, title, topic, tags), ``question.html`` (the net drawn from
``params.svg``, the givens from ``params``, a ``pl-number-input`` per asked quantity),
``server.py`` and ``<family>.toml`` (the family, copied). ``server.py`` calls :func:`pl_generate`
and :func:`pl_grade`, here:

- ``generate``: the variant of the family that the variant seed draws (the seed stands for the
  student in :func:`grader.generator.draw_variant`, under a fixed public secret: PrairieLearn
  keeps ``params`` and ``correct_answers`` on its server); the instance, the asked ids and the
  family's carried-forward credit go into ``params``, the full-precision answers into
  ``correct_answers``.
- ``grade``: every submitted answer (the raw text the student typed, so that the decimals
  written count as in a TOML answer file) graded as ``backprop check`` grades it: each part's
  ``partial_scores`` entry gets the item's points and its message (carried forward, the
  misconception named), and ``score`` is the total over the maximum.

The question's HTML is made from the family's first variant: every variant of a family asks
the same ids (the net's structure and the family's ``ask`` fix them), which ``generate`` checks.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import BackpropError

#: the secret variants are drawn under: public, since PrairieLearn's server holds the answers
SECRET = b"backprop-grader/prairielearn"
ASSIGNMENT = "prairielearn"
NAMESPACE = uuid.UUID("7d3c1e0a-5b8f-4c2e-9a61-0f2b6d4e8c15")  # (uuid5 of the family id: stable per family)


def _variant(family: Any, seed: Any) -> Any:
    from ..generator import Student, draw_variant

    return draw_variant(family, SECRET, ASSIGNMENT, Student(f"seed-{seed}"))


def pl_generate(data: MutableMapping[str, Any], family_path: str) -> None:
    """PrairieLearn's ``generate(data)``: fill ``params`` and ``correct_answers``."""
    from ..family import load_family
    from ..render.svg import net_svg

    family = load_family(family_path)
    v = _variant(family, data["variant_seed"])
    inst = v.instance
    trace = v.trace()
    d = inst.rounding
    params = data["params"]
    params.update(
        instance=inst.to_dict(), asked=list(v.asked), ecf_credit=family.ecf_credit, svg=net_svg(inst),
        alpha=_show(inst.alpha, d),
        weights=[{"name": f"w_{k}", "value": _show(w, d)} for k, w in inst.weights.items()],
        samples=[{"number": i + 1,
                  "inputs": ", ".join(f"{n} = {_show(x, d)}" for n, x in dict(s.inputs).items()),
                  "desired": ", ".join(f"d_{n} = {_show(x, d)}" for n, x in dict(s.desired).items())}
                 for i, s in enumerate(inst.samples)],
    )
    for q in v.asked:
        data["correct_answers"][q] = trace.value(q)


def _show(x: float, d: int) -> str:
    from ..render.numbers import fmt

    return fmt(x, d)


def pl_grade(data: MutableMapping[str, Any]) -> None:
    """PrairieLearn's ``grade(data)``: ``partial_scores``, ``score`` and ``feedback`` from the
    grader's report on the submitted answers."""
    from ..answers import answers_from_table
    from ..grading import grade
    from ..solver import givens, solve
    from ..validation import instance_from_dict

    params = data["params"]
    instance = instance_from_dict(params["instance"], "params.instance")
    asked = list(params["asked"])
    raw = data.get("raw_submitted_answers") or {}
    submitted = data.get("submitted_answers") or {}
    table = {}
    for q in asked:
        value = raw.get(q, submitted.get(q))
        if value is not None and str(value).strip():
            table[q] = value if isinstance(value, str) else float(value)
    answers, _ = answers_from_table(table, "submitted answers", ids=set(asked), names=givens(instance))
    report = grade(instance, answers, asked=asked, ecf_credit=float(params.get("ecf_credit", 1.0)),
                   trace=solve(instance))
    for item in report.items:
        share = item.points / item.max_points if item.max_points else 0.0
        feedback = item.verdict + (f" ({item.misconception})" if item.misconception else "")
        if item.message:
            feedback += f": {item.message}"
        data["partial_scores"][item.id] = {"score": share, "weight": item.max_points, "feedback": feedback}
    data["score"] = report.score / report.max_score if report.max_score else 0.0
    data["feedback"]["verdicts"] = {i.id: i.verdict for i in report.items}
    data["feedback"]["misconceptions"] = sorted({i.misconception for i in report.items if i.misconception})


def info(family: Any) -> dict[str, Any]:
    return {"uuid": str(uuid.uuid5(NAMESPACE, family.id)), "title": f"Backpropagation: {family.title}",
            "topic": "Backpropagation", "tags": ["backprop", family.id], "type": "v3",
            "singleVariant": False, "partialCredit": True}


def write_question(family: Any, out: str) -> str:
    """Write the question folder; return a line saying what was written."""
    from ..render.env import render
    from ..render.handout import context

    first = _variant(family, 0)
    for seed in range(1, 4):  # (the HTML is the first variant's: the ids must be every variant's)
        if _variant(family, seed).asked != first.asked:
            raise BackpropError(f"family {family.id}: its variants ask different quantities; a PrairieLearn "
                                "question needs the same ones in every variant")
    folder = Path(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "info.json").write_text(json.dumps(info(family), indent=2) + "\n", encoding="utf-8")
        ctx = context(first)
        html = render("prairielearn_question.html.j2", title=family.title, **ctx)
        (folder / "question.html").write_text(html, encoding="utf-8")
        (folder / "server.py").write_text(render("prairielearn_server.py.j2", title=family.title,
                                                 family=family.id, version=__version__), encoding="utf-8")
        # (named for the family: its id, part of every variant's seed, is the file's name)
        shutil.copyfile(family.source, folder / f"{family.id}.toml")
    except OSError as exc:
        raise BackpropError(f"{out}: cannot write the question ({exc.strerror or exc})") from None
    return (f"Wrote the PrairieLearn question {family.id} to {out} (info.json, question.html, server.py, "
            f"{family.id}.toml): {len(first.asked)} answers per variant. backprop-grader must be importable "
            "there: see the README.")

