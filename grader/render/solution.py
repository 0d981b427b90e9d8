"""Worked solutions as text and Markdown."""

from __future__ import annotations

import json

from ..solver import Trace
from .env import render
from .worked import worked_steps

BIAS_SENTENCES = {
    "none": "the net has no bias weights.",
    "threshold": "each threshold weight $w_{bias,N}$ multiplies the constant input $-1$ (6.034 thresholds).",
    "bias": "each bias weight $w_{bias,N}$ multiplies the constant input $+1$.",
}


def _context(trace: Trace, *, tex: bool = True, text: bool = True) -> dict:
    d = trace.instance.rounding + 2
    return {
        "steps": worked_steps(trace, d, tex=tex, text=text),
        "weights": trace.final_weights,
        "initial": trace.instance.weights,
        "decimals": d,
        "alpha": trace.instance.alpha,
        "bias_sentence": BIAS_SENTENCES[trace.instance.bias]
        + ("" if trace.instance.update_bias or trace.instance.bias == "none"
           else " Bias weights are not updated."),
    }


def solution_text(trace: Trace) -> str:
    return render("solution.txt.j2", **_context(trace, tex=False))


def solution_markdown(trace: Trace, *, student: str | None = None, assignment: str | None = None,
                      picture: str | None = None, svg: str | None = None) -> str:
    """The worked solution in Markdown, with the drawing of the net: ``picture``, the name of
    the SVG file beside it to link to, or else ``svg``, the drawing itself, put inline (for a
    Markdown file that goes alone, such as ``solve --format md`` on standard output)."""
    return render("solution.md.j2", student=student, assignment=assignment, picture=picture, svg=svg,
                  **_context(trace, text=False))


def solution_json(trace: Trace) -> str:
    return json.dumps(trace.to_json(), indent=2) + "\n"
