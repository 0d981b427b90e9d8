"""Student handouts: the TOML answer file and the Markdown problem statement.

Neither ever contains an answer: only the instance, the ids to fill in and the instructions.
"""

from __future__ import annotations

from ..checker import Checker, own_wheel
from ..derivation import Derivation, derive
from ..generator import Variant
from ..handed_out import problem_digest
from ..solver import split_id
from .env import render
from .math import latex_name
from .solution import BIAS_SENTENCES

KIND_TEXT = {
    "p": "the weighted sum into {s}",
    "o": "the output of {s}",
    "P": "the performance P before the update",
    "delta": "the delta of {s}",
    "dw": "the change of the weight on {src} -> {dst}",
    "new_w": "the weight on {src} -> {dst} after the update",
}


def describe(qid: str, kind: str, subject: str) -> str:
    src, _, dst = subject.partition("_")
    return KIND_TEXT[kind].format(s=subject, src=src, dst=dst)


def _asked_by_step(variant: Variant) -> list[dict]:
    """The asked quantities by update step, each with its id, LaTeX name and description.
    They depend only on the net's structure and the asked ids: kept with its derivation and
    shared (do not modify)."""
    derivation = derive(variant.instance)
    return derivation.memo(("handout", variant.asked), lambda: _asked_steps(derivation, variant.asked))


def _asked_steps(derivation: Derivation, asked_ids: tuple[str, ...]) -> list[dict]:
    asked = set(asked_ids)
    steps: dict[int, list[dict]] = {}
    for qid, kind, step, subject, _op, _args in derivation.plan:  # the quantities of a trace, in order
        if qid in asked:
            steps.setdefault(step, []).append({"id": qid, "tex": latex_name(qid),
                                               "text": describe(qid, kind, subject)})
    return [{"number": k, "items": items} for k, items in sorted(steps.items())]


def context(variant: Variant) -> dict:
    inst = variant.instance
    return {
        "v": variant,
        "inst": inst,
        "data": inst.to_dict(),
        "weights": inst.weights,
        "samples": [
            {"number": i + 1, "inputs": dict(s.inputs), "desired": dict(s.desired)}
            for i, s in enumerate(inst.samples)
        ],
        "steps": _asked_by_step(variant),
        "bias_sentence": BIAS_SENTENCES[inst.bias]
        + ("" if inst.update_bias or inst.bias == "none" else " Bias weights are not updated."),
        "decimals": inst.rounding,
        "split_id": split_id,
    }


def handout_toml(variant: Variant, checker: Checker | None = None) -> str:
    """The TOML answer file; its head says how to check it and to install ``checker`` (default:
    this package's wheel, :mod:`grader.checker`). ``[meta]`` holds the assignment, student,
    family, signature and the public digest of the problem (:mod:`grader.handed_out`)."""
    return render("handout.toml.j2", checker=checker or own_wheel(),
                  problem_digest=problem_digest(variant.instance), **context(variant))


def handout_markdown(variant: Variant, answer_in: str = "toml", checker: Checker | None = None) -> str:
    """The Markdown handout; it shows the net as ``<student>.svg``, the drawing ``generate``
    writes beside it (:func:`picture_name`, :func:`grader.render.svg.net_svg`). ``answer_in``:
    the handout the student writes their answers in, ``toml`` or ``ipynb``; ``checker``: what
    its "Check your answers" says to install (default: this package's wheel)."""
    return render("handout.md.j2", picture=picture_name(variant.student), answer_in=answer_in,
                  checker=checker or own_wheel(), **context(variant))


def picture_name(markdown_name: str) -> str:
    """The name of the drawing of the net beside a Markdown file: ``student01.md`` (or
    ``student01``) -> ``student01.svg``."""
    stem = markdown_name[:-3] if markdown_name.lower().endswith(".md") else markdown_name
    return f"{stem}.svg"
