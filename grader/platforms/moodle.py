"""``backprop export moodle FAMILY --count N``: a Moodle XML question bank.

One Cloze ("embedded answers") question per variant, in a category of its own, so that a
quiz's "random question from this category" gives each student a variant. Every asked
quantity is a NUMERICAL sub-question of 1 point::

    {1:NUMERICAL:=<exact value>:<tolerance>#Right~%0%<a misconception's value>:<tolerance>#<what it is>}

The tolerance is the grader's band for the quantity at the exact arguments
(:func:`grader.tolerance.tolerances`: what ``backprop check`` accepts for an answer worked
from right earlier values). Cloze judges each box on its own: it has no carried-forward
credit, so an answer worked from a wrong earlier one is marked wrong; the wrong-answer
feedback names a misconception where that misconception's solver gives the value (each within
the same tolerance, and only where it differs from the right value by more than twice that).
The net is drawn inline (an SVG as a data URI), the worked solution is the general feedback.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from decimal import Decimal

from .. import __version__
from ..errors import BackpropError

#: what may not stand as itself in a Cloze feedback, as HTML entities: Moodle's parser ends a
#: feedback at the first "~" or "}" not after a backslash, then html_entity_decode's it and
#: unescapes only "\}" and "\#" (question/type/multianswer/questiontype.php), so a backslash
#: escape would stay visible for any other character; an entity is decoded to the character
CLOZE_ENTITIES = {"~": "&#126;", "}": "&#125;", "\\": "&#92;"}


def cloze_number(x: float) -> str:
    """A number as Moodle's NUMERICAL reads it: plain decimal notation, no exponent."""
    text = format(Decimal(repr(float(x))), "f")
    return "0" if text in ("-0", "-0.0") else text


def cloze_escape(text: str) -> str:
    """Plain ``text`` as a Cloze feedback that Moodle shows as written: HTML-escaped (the
    feedback is HTML), then made to survive the parser's ``html_entity_decode``: every ``&``
    once more as ``&amp;``, and ``~``, ``}``, ``\\`` as entities."""
    escaped = html.escape(text, quote=False).replace("&", "&amp;")
    return "".join(CLOZE_ENTITIES.get(c, c) for c in escaped)


def numerical(value: float, tolerance: float, wrong: Sequence[tuple[float, str]] = ()) -> str:
    """One NUMERICAL sub-question worth 1 point."""
    parts = [f"={cloze_number(value)}:{cloze_number(tolerance)}#Right"]
    for w, message in wrong:
        parts.append(f"%0%{cloze_number(w)}:{cloze_number(tolerance)}#{cloze_escape(message)}")
    return "{1:NUMERICAL:" + "~".join(parts) + "}"


def misconception_values(variant) -> dict[str, list[tuple[float, str]]]:
    """For every asked id, the values a misconception's solver gives, with what it is."""
    from ..rules import MISCONCEPTIONS
    from ..solver import solve
    from ..tolerance import tolerances

    right = variant.trace()
    bands = tolerances(right, asked=variant.asked)
    out: dict[str, list[tuple[float, str]]] = {q: [] for q in variant.asked}
    for m in MISCONCEPTIONS.values():
        try:
            mutant = solve(variant.instance, m.rules)
        except (BackpropError, ArithmeticError, ValueError):
            continue
        for q in variant.asked:
            try:
                w = mutant.value(q)
            except KeyError:
                continue
            taken = [v for v, _ in out[q]]
            if abs(w - right.value(q)) > 2 * bands[q] and all(abs(w - v) > 2 * bands[q] for v in taken):
                out[q].append((w, f"{m.id}: {m.mistake}. Right: {m.right}"))
    return out


def question(variant, title: str, number: int) -> dict[str, str]:
    """The Cloze question of one variant: name, HTML text, general feedback, idnumber."""
    from ..render.env import render
    from ..render.handout import context
    from ..render.solution import solution_text
    from ..render.svg import net_svg
    from ..tolerance import tolerances

    trace = variant.trace()
    bands = tolerances(trace, asked=variant.asked)
    wrong = misconception_values(variant)
    clozes = {q: numerical(trace.value(q), bands[q], wrong[q]) for q in variant.asked}
    svg = net_svg(variant.instance)
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    text = render("moodle_question.html.j2", title=title, svg_uri=uri, clozes=clozes, **context(variant))
    feedback = f"<p>Worked solution</p>\n<pre>{html.escape(solution_text(trace))}</pre>\n"
    return {"name": f"{variant.family} variant {number:03d}", "text": _cdata(text),
            "feedback": _cdata(feedback), "idnumber": f"{variant.family}-{variant.assignment}-{number:03d}"}


def _cdata(text: str) -> str:
    return text.replace("]]>", "]]]]><![CDATA[>")


def moodle_quiz(family, variants: Sequence, assignment: str) -> str:
    """The Moodle XML of the variants' questions, in the category ``backprop/<family> <assignment>``."""
    from ..render.env import render

    questions = [question(v, family.title, i) for i, v in enumerate(variants, start=1)]
    return render("moodle_quiz.xml.j2", version=__version__, family=family.id, questions=questions,
                  category=f"$course$/top/backprop/{family.id} {assignment}")
