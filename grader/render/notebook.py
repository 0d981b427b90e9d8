"""The notebook handout of one student's variant (DESIGN section 4, issues 4 and 13).

``notebook_handout(variant)`` returns the notebook's JSON text: a statement (with the formulas
of the Markdown and PDF handouts), a picture of the net, a cell defining the given values (and
importing ``exp``), answer cells tagged ``answer`` with one ``<id> = ...`` line per asked
quantity in working order (the forward pass neuron by neuron, the performance, the deltas from
the output back, then the updates; so an answer may use any answer above it, and the notebook
runs from top to bottom as handed out and as answered), and a closing self-check cell that
checks the answers in the running kernel (:mod:`grader.selfcheck`). ``metadata.backprop``
carries the assignment, student, instance, signature, the public digest of the instance
(``problem_digest``, :mod:`grader.handed_out`) and the asked ids. No answer appears anywhere: the cells
are built from the instance and the asked ids only, never from the solver's values.

Cell ids are deterministic (``cell-1``, ...), so generating twice gives the same file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import nbformat
from nbformat import v4

from ..checker import Checker, own_wheel
from ..handed_out import DIGEST_FIELD, problem_digest
from ..model import Instance
from ..solver import givens, plan, step_id
from .env import render
from .numbers import fmt
from .svg import net_svg

BIAS_SENTENCES = {
    "none": "There are no bias weights.",
    "threshold": "Bias weights `w_bias_N` multiply the constant input $-1$ (6.034 thresholds).",
    "bias": "Bias weights `w_bias_N` multiply the constant input $+1$.",
}
#: the answer cells: the part of the derivation each kind of quantity belongs to, in working order
SECTIONS = {"p": "forward", "o": "forward", "P": "performance", "delta": "deltas", "dw": "updates",
            "new_w": "updates"}


def exact(x: float) -> str:
    """``x`` as the other handouts write it (``1``, ``-0.5``), to its last digit: a given value."""
    text = fmt(x, 15)
    return text if float(text) == x else repr(x)


def answer_groups(instance: Instance, asked: Iterable[str]) -> list[tuple[int, str, list[str]]]:
    """The asked ids as answer cells, (step, section, ids), in the order of the derivation: per
    step the forward pass neuron by neuron, the performance, the deltas from the output back,
    then the weight changes and new weights (the order of ``solve(instance)``)."""
    wanted = set(asked)
    groups: list[tuple[int, str, list[str]]] = []
    for qid, kind, step, _subject, _op, _args in plan(instance):
        if qid not in wanted:
            continue
        section = SECTIONS[kind]
        if not groups or groups[-1][:2] != (step, section):
            groups.append((step, section, []))
        groups[-1][2].append(qid)
    return groups


def _step_inputs(instance: Instance, step: int) -> tuple[list[str], list[str], str]:
    """The given ids of ``step`` (inputs, desired outputs) and how its weights are named."""
    sample = instance.samples[(step - 1) % len(instance.samples)]
    inputs = [step_id(n, step) for n, _ in sample.inputs]
    desired = [step_id(f"d_{n}", step) for n, _ in sample.desired]
    return inputs, desired, step_id("new_w_F_N", step - 1) if step > 1 else "w_F_N"


def build_notebook(
    instance: Instance,
    asked: Iterable[str],
    *,
    assignment: str,
    student: str,
    signature: str,
    student_name: str = "",
    checker: Checker | None = None,
) -> nbformat.NotebookNode:
    """The handout notebook as an nbformat node (validated by ``nbformat.validate``); its
    self-check cells say to install ``checker`` (default: this package's wheel)."""
    asked = tuple(asked)
    checker = checker or own_wheel()
    filename = f"{student}.ipynb"
    statement = render(
        "notebook_statement.md.j2",
        assignment=assignment, student=student, student_name=student_name,
        inputs=instance.inputs, layers=instance.layers, alpha=exact(instance.alpha),
        bias_sentence=BIAS_SENTENCES[instance.bias],
        steps=instance.steps,
        weights=[(k, exact(v)) for k, v in instance.weights.items()],
        samples=[
            {"inputs": [(n, exact(v)) for n, v in s.inputs], "desired": [(n, exact(v)) for n, v in s.desired]}
            for s in instance.samples
        ],
    )
    picture = v4.new_markdown_cell(render("notebook_picture.md.j2"))
    picture["attachments"] = {"net.svg": {"image/svg+xml": net_svg(instance)}}
    given_cell = v4.new_code_cell(
        render("notebook_givens.py.j2",
               givens=[(k, exact(v)) for k, v in givens(instance).items()]).rstrip("\n"),
        metadata={"tags": ["givens"], "editable": False},
    )
    instructions = render("notebook_instructions.md.j2", decimals=instance.rounding).rstrip("\n")
    cells = [v4.new_markdown_cell(statement.rstrip("\n")), picture, given_cell,
             v4.new_markdown_cell(instructions)]
    for step, section, ids in answer_groups(instance, asked):
        inputs, desired, weights = _step_inputs(instance, step)
        source = render("notebook_answers.py.j2", step=step, steps=instance.steps, section=section, ids=ids,
                        decimals=instance.rounding, inputs=inputs, desired=desired, weights=weights,
                        bias=instance.bias)
        cells.append(v4.new_code_cell(source.rstrip("\n"), metadata={"tags": ["answer"]}))
    cells.append(v4.new_markdown_cell(render("notebook_selfcheck.md.j2", filename=filename,
                                             checker=checker).rstrip("\n")))
    cells.append(v4.new_code_cell(render("notebook_selfcheck.py.j2", filename=filename,
                                         checker=checker).rstrip("\n"),
                                  metadata={"tags": ["selfcheck"]}))
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
            DIGEST_FIELD: problem_digest(instance),
            "asked": list(asked),
        },
    })
    nbformat.validate(nb)
    return nb


def notebook_text(nb: Any) -> str:
    """The notebook's file text (stable key order, one-space indent as Jupyter writes it)."""
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def notebook_handout(variant: Any, checker: Checker | None = None) -> str:
    """The notebook JSON text of a :class:`grader.generator.Variant` (``checker``: what its
    self-check cells say to install; default: this package's wheel)."""
    nb = build_notebook(
        variant.instance, variant.asked,
        assignment=variant.assignment, student=variant.student, signature=variant.signature,
        student_name=getattr(variant, "name", "") or "", checker=checker,
    )
    return notebook_text(nb)
