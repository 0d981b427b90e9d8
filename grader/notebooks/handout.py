"""The notebook handout of one student's variant (DESIGN section 4, issue 4).

``notebook_handout(variant)`` returns the notebook's JSON text: a statement, a picture of the
net, a cell defining the given values, answer cells tagged ``answer`` with one ``<id> = ...``
line per asked quantity, and a closing self-check cell. ``metadata.backprop`` carries the
assignment, student, instance and signature. No answer appears anywhere: the cells are built
from the instance and the asked ids only, never from the solver's values.

Cell ids are deterministic (``cell-1``, ...), so generating twice gives the same file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import nbformat
from nbformat import v4

from ..model import Instance
from ..render.env import render
from ..render.svg import net_svg
from ..solver import KINDS, givens, split_id

BIAS_SENTENCES = {
    "none": "There are no bias weights.",
    "threshold": "Bias weights `w_bias_N` multiply the constant input $-1$ (6.034 thresholds).",
    "bias": "Bias weights `w_bias_N` multiply the constant input $+1$.",
}
KIND_TITLES = {
    "p": "Forward pass: weighted sums p_N",
    "o": "Forward pass: outputs o_N",
    "P": "Performance P (before the update)",
    "delta": "Backward pass: deltas",
    "dw": "Weight changes dw_F_N",
    "new_w": "New weights new_w_F_N",
}


def _kind(qid: str) -> str:
    base, _ = split_id(qid)
    if base == "P":
        return "P"
    for kind in ("new_w", "delta", "dw", "p", "o"):
        if base.startswith(kind + "_"):
            return kind
    return "p"


def answer_groups(asked: Iterable[str]) -> list[tuple[str, list[str]]]:
    """The asked ids grouped into answer cells: per step, per kind, in the derivation's order."""
    groups: dict[tuple[int, int], list[str]] = {}
    for qid in asked:
        _, step = split_id(qid)
        groups.setdefault((step, KINDS.index(_kind(qid))), []).append(qid)
    out = []
    steps = {step for step, _ in groups}
    for (step, kind), ids in sorted(groups.items()):
        title = KIND_TITLES[KINDS[kind]]
        out.append((f"Step {step}: {title}" if len(steps) > 1 else title, ids))
    return out


def build_notebook(
    instance: Instance,
    asked: Iterable[str],
    *,
    assignment: str,
    student: str,
    signature: str,
    student_name: str = "",
) -> nbformat.NotebookNode:
    """The handout notebook as an nbformat node (validated by ``nbformat.validate``)."""
    asked = tuple(asked)
    filename = f"{student}.ipynb"
    statement = render(
        "notebook_statement.md.j2",
        assignment=assignment, student=student, student_name=student_name,
        inputs=instance.inputs, layers=instance.layers, alpha=repr(instance.alpha),
        bias_sentence=BIAS_SENTENCES[instance.bias],
        steps=instance.steps,
        weights=[(k, repr(v)) for k, v in instance.weights.items()],
        samples=[
            {"inputs": [(n, repr(v)) for n, v in s.inputs], "desired": [(n, repr(v)) for n, v in s.desired]}
            for s in instance.samples
        ],
    )
    picture = v4.new_markdown_cell(render("notebook_picture.md.j2"))
    picture["attachments"] = {"net.svg": {"image/svg+xml": net_svg(instance)}}
    given_cell = v4.new_code_cell(
        render("notebook_givens.py.j2",
               givens=[(k, repr(v)) for k, v in givens(instance).items()]).rstrip("\n"),
        metadata={"tags": ["givens"], "editable": False},
    )
    instructions = render("notebook_instructions.md.j2", decimals=instance.rounding).rstrip("\n")
    cells = [v4.new_markdown_cell(statement.rstrip("\n")), picture, given_cell,
             v4.new_markdown_cell(instructions)]
    for title, ids in answer_groups(asked):
        source = render("notebook_answers.py.j2", title=title, ids=ids, decimals=instance.rounding)
        cells.append(v4.new_code_cell(source.rstrip("\n"), metadata={"tags": ["answer"]}))
    cells.append(v4.new_markdown_cell(render("notebook_selfcheck.md.j2", filename=filename).rstrip("\n")))
    for i, cell in enumerate(cells, 1):
        cell["id"] = f"cell-{i}"
    nb = v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "backprop": {
            "assignment": assignment,
            "student": student,
            "instance": instance.to_dict(),
            "signature": signature,
            "asked": list(asked),
        },
    })
    nbformat.validate(nb)
    return nb


def notebook_text(nb: Any) -> str:
    """The notebook's file text (stable key order, one-space indent as Jupyter writes it)."""
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def notebook_handout(variant: Any) -> str:
    """The notebook JSON text of a :class:`grader.generator.Variant`."""
    nb = build_notebook(
        variant.instance, variant.asked,
        assignment=variant.assignment, student=variant.student, signature=variant.signature,
        student_name=getattr(variant, "name", "") or "",
    )
    return notebook_text(nb)
