"""PDFs, typeset in-process by the ``typst`` package: worked solutions, handouts, a class set
of handouts for printing, and feedback.

Each view builds plain data, renders a typst body from ``templates/<view>.typ.j2`` and wraps
the bodies in ``templates/document.typ.j2`` (page set-up, footer). Documents carry no date and
only the fonts typst ships with are used, so the same input gives the same bytes on every
machine. Everything a roster or a student supplies reaches typst as a string literal
(:func:`~grader.render.typst_math.typst_string`), never as markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

import jinja2
import typst

from ..checker import Checker, own_wheel
from ..drawing import Drawing
from ..model import Instance
from ..rules import MISCONCEPTIONS
from ..solver import Trace
from . import numbers
from .env import environment
from .inert import printable
from .marks import wrong_marks
from .solution import BIAS_SENTENCES
from .svg import FILLS, INK, RED, drawing
from .typst_math import name, tex_inline, typst_formula, typst_name, typst_numbers, typst_string
from .worked import worked_steps

#: the width of the text on an A4 page with 2 cm margins, in pt
TEXT_WIDTH = 595.28 - 2 * 56.69
#: small nets are drawn larger, up to this percentage
MAX_SCALE = 140.0
#: decimals of given values (weights, inputs): enough to show them exactly as given
GIVEN_DECIMALS = 10


@cache
def _env() -> jinja2.Environment:
    """The shared environment with three filters for typst sources (kept here, not in env.py,
    because only the typst templates use them)."""
    env = environment().overlay()
    env.filters = dict(env.filters)
    env.filters["typstr"] = typst_string
    env.filters["typname"] = lambda n, sub=False: typst_name(n) if not sub else name(n, True)
    return env


def _render(template: str, **context: Any) -> str:
    return _env().get_template(template).render(**context)


@cache
def _compiler() -> typst.Compiler:
    # one per process: the fonts are loaded once and typst's caches are reused, which
    # halves the time of a handout; the bytes are the same as from a fresh compiler. It starts
    # threads: a process that has made it must not fork (grader.parallel forks from a server)
    return typst.Compiler(ignore_system_fonts=True)


def compile_typst(source: str) -> bytes:
    """Typeset a typst source (no files, no network, only the fonts typst embeds)."""
    # (typst reads no escapes of lone surrogates)
    data = _compiler().compile(source.encode("utf-8", "replace"))
    assert isinstance(data, bytes)
    return data


def document(title: str, bodies: Sequence[tuple[str, str]]) -> str:
    """The typst source of a PDF of (footer, body) pairs.

    Written so that typst can reuse, in the next PDF a compiler makes, the layouts of what did
    not change (see the template): the same bytes as :func:`plain_document`, its tested
    reference, for 17% fewer instructions per student (a 2-2-2-1 handout and worked solution,
    one after another's in a compiler: 289 M against 350 M, callgrind) and 1.14x less CPU time
    (``python bench/bench_pdf.py --plain``, 200 students, 2 processes, load average 9.6)."""
    return _render("document.typ.j2", title=title, bodies=bodies)


def plain_document(title: str, bodies: Sequence[tuple[str, str]]) -> str:
    """:func:`document` written plainly, the student's footer and the title in styles that
    every body is laid out under: the reference that :func:`document` must equal in bytes."""
    return _render("document_plain.typ.j2", title=title, bodies=bodies)


def net_typst(d: Drawing) -> str:
    """A typst snippet drawing ``d``, scaled down to the text width if it is wider."""
    scale = min(MAX_SCALE, round(100 * TEXT_WIDTH / d.width, 1))
    macro = _env().get_template("net.typ.j2").module.net  # type: ignore[attr-defined]
    return str(macro(d, scale, INK, RED, FILLS))


def _given(x: float) -> str:
    return numbers.fmt(x, GIVEN_DECIMALS)


def _bias_sentence(instance: Instance) -> str:
    text = BIAS_SENTENCES[instance.bias]
    if not instance.update_bias and instance.bias != "none":
        text += " Bias weights are not updated."
    return tex_inline(text)


def _capitalised(markup: str) -> str:
    # the sentences start with a quoted string: #"each ..."
    return markup[:2] + markup[2:3].upper() + markup[3:] if markup.startswith('#"') else markup


# --------------------------------------------------------------------------- worked solutions


def _solution_body(trace: Trace, student: str | None, assignment: str | None) -> tuple[str, str]:
    inst = trace.instance
    d = inst.rounding + 2
    steps = []
    for step in worked_steps(trace, d):
        sections = []
        for section in step.sections:
            lines = []
            for line in section.lines:
                q = trace[line.id]
                lines.append({"id": line.id, "name": typst_name(line.id), "formula": typst_formula(q),
                              "numbers": typst_numbers(q, d), "result": line.result})
            sections.append({"title": section.title, "lines": lines})
        steps.append({"number": step.number, "inputs": step.inputs, "desired": step.desired,
                      "sections": sections})
    final = trace.final_weights
    weights = [{"key": c.key, "name": typst_name(f"w_{c.key}"), "before": _given(c.weight),
                "after": numbers.fmt(final[c.key], d)} for c in inst.connections]
    footer = " · ".join(x for x in ("Worked solution", assignment, student) if x)
    return footer, _render("solution.typ.j2", net=net_typst(drawing(inst)), steps=steps, weights=weights,
                           decimals=d, alpha=_given(inst.alpha), bias_sentence=_bias_sentence(inst),
                           student=student, assignment=assignment)


def solution_pdf(trace: Trace, *, student: str | None = None, assignment: str | None = None) -> bytes:
    """The worked solution of ``trace``: every step as formula, formula with numbers, result."""
    title = "Worked solution" + (f": {student}" if student else "")
    return compile_typst(document(title, [_solution_body(trace, student, assignment)]))


# --------------------------------------------------------------------------- handouts


def _handout_body(variant: Any, answer_in: str = "toml", checker: Checker | None = None) -> tuple[str, str]:
    from .handout import context

    inst: Instance = variant.instance
    shared = context(variant)
    steps = [
        {"number": s["number"],
         "items": [{"id": i["id"], "math": typst_name(i["id"]), "text": i["text"]} for i in s["items"]]}
        for s in shared["steps"]
    ]
    samples = [
        {"number": i + 1,
         "pairs": [(typst_name(n), _given(x)) for n, x in s.inputs]
         + [(f"d_({name(n, True)})", _given(x)) for n, x in s.desired]}
        for i, s in enumerate(inst.samples)
    ]
    weights = [{"key": c.key, "name": typst_name(f"w_{c.key}"), "value": _given(c.weight)}
               for c in inst.connections]
    footer = " · ".join(x for x in (variant.assignment, variant.student, variant.signature[:12]) if x)
    return footer, _render(
        "handout.typ.j2", v=variant, net=net_typst(drawing(inst)), weights=weights, samples=samples,
        steps=steps, steps_total=inst.steps, epochs=inst.epochs, alpha=_given(inst.alpha),
        bias_input=None if inst.bias_value is None else _given(inst.bias_value),
        bias_sentence=_capitalised(_bias_sentence(inst)),
        decimals=inst.rounding, answer_in=answer_in, checker=checker or own_wheel(),
    )


def handout_pdf(variant: Any, answer_in: str = "toml", checker: Checker | None = None) -> bytes:
    """A student's handout (a :class:`grader.generator.Variant`): the net drawn, the given
    values, what to compute with the rounding, a box for every answer (``answer_in``: the
    handout the student writes their answers in, ``toml`` or ``ipynb``) and how to check them
    (``checker``: what to install; default: this package's wheel)."""
    return compile_typst(document(f"Backpropagation homework: {variant.student}",
                                  [_handout_body(variant, answer_in, checker)]))


def class_pdf(variants: Iterable[Any], answer_in: str = "toml", checker: Checker | None = None) -> bytes:
    """Every handout of a class in one PDF, for printing (each starts on a new page)."""
    variants = list(variants)
    title = "Backpropagation homework" + (f": {variants[0].assignment}" if variants else "")
    return compile_typst(document(title, [_handout_body(v, answer_in, checker) for v in variants]))


# --------------------------------------------------------------------------- feedback


def _feedback_body(report: Any, instance: Instance, student: str, reveal: bool, assignment: str | None = None,
                   notice: str | None = None) -> tuple[str, str]:
    from .feedback import item_view, unwritten

    decimals = getattr(report, "decimals", instance.rounding)
    d = decimals + 2
    items, wrong = [], []
    hidden = unwritten(report)
    for item in report.items:
        view = item_view(item, decimals)
        row = {"id": item.id, "math": typst_name(item.id), "given": printable(view.given),  # (student text)
               "verdict": item.verdict, "misconception": item.misconception or "", "points": view.points,
               "max_points": view.max_points, "expected": view.expected}
        items.append(row)
        if item.verdict not in ("incorrect", "invalid"):
            continue
        m = MISCONCEPTIONS.get(item.misconception or "")
        step = None
        if item.verdict == "incorrect" and getattr(item, "op", "") and item.args:
            from .typst_math import typst_op, typst_op_numbers

            step = {"formula": typst_op(item.op, item.args, item.own_args),
                    "numbers": typst_op_numbers(item.op, item.own_args, d, item.args, hidden),
                    "result": None if item.from_own is None or not reveal else numbers.fmt(item.from_own, d)}
        wrong.append({**row, "message": printable(item.message[:1].upper() + item.message[1:]),
                      "mistake": m.mistake if m else "", "right": m.right if m else "", "step": step})
    footer = " · ".join(x for x in ("Feedback", assignment, student) if x)
    return footer, _render(
        "feedback.typ.j2", student=student, assignment=assignment, notice=notice and printable(notice),
        items=items, wrong=wrong, reveal=reveal,
        score=view_points(report.score), max_score=view_points(report.max_score),
        net=net_typst(drawing(instance, wrong_marks(report.items, instance))),
    )


def view_points(x: float) -> str:
    return f"{x:g}"


def feedback_pdf(report: Any, instance: Instance, *, student: str, reveal: bool = False,
                 assignment: str | None = None, notice: str | None = None) -> bytes:
    """A student's feedback (a :class:`grader.report.Report`): the score, every item with the
    student's answer and verdict, the net with the wrong neurons and weights in red, and for
    each wrong answer the misconception and the worked step with the student's own numbers
    (its result, which may be the expected value, only with ``reveal``)."""
    return compile_typst(document(f"Feedback: {student}",
                                  [_feedback_body(report, instance, student, reveal, assignment, notice)]))
