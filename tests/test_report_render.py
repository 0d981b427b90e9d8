"""The terminal and Markdown reports are byte-identical to the straightforward implementation
they replaced, and ``numbers.fmt`` (fast path for floats) writes every number as before.

The reference below is the old code, kept here and not in the package: one eager view per
item (every field computed for every item), the old templates (loops over those views), and
the old ``numbers.fmt``. The corpus is reports of generated variants of every built-in family
with answers exact, hand-rounded, one perturbed (consistent work after it), under each
misconception, some missing, some unreadable (NaN, a string, a boolean, an unknown name), and
with warnings, under each carried-forward credit that the templates word differently.
"""

from __future__ import annotations

import math
import random
import struct
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from by_hand import hand_worked

from grader.answers import Answer, read_answer
from grader.family import builtin_family_ids, load_family
from grader.generator import Variant, generate_variants
from grader.grading import grade
from grader.ops import OPS
from grader.render import numbers
from grader.render.env import environment
from grader.render.feedback import COLOURS, ItemView, item_view, report_markdown, report_terminal
from grader.report import Item, Report
from grader.roster import numbered_roster
from grader.rules import MISCONCEPTIONS
from grader.solver import solve

# --------------------------------------------------------------------------- the reference


def reference_fmt(x: float, decimals: int = 4) -> str:
    if isinstance(x, bool):
        return str(x).lower()
    if not math.isfinite(x):
        return str(x)
    if abs(round(x, decimals) - x) < 1e-12:
        text = (f"{round(x, decimals):.{decimals}f}".rstrip("0").rstrip(".") if decimals > 0
                else f"{round(x):d}")
    else:
        text = f"{x:.{decimals}f}"
    if text in ("-0", "-0." + "0" * decimals):
        text = text[1:]
    return text


def reference_arg(x: float, decimals: int = 4) -> str:
    text = reference_fmt(x, decimals)
    return f"({text})" if text.startswith("-") else text


@dataclass(frozen=True)
class ReferenceView:
    id: str
    verdict: str
    points: str
    max_points: str
    given: str
    misconception: str
    message: str
    expected: str
    tolerance: str
    wrong: bool
    formula: str
    with_numbers: str
    from_own: str


def _given(g: str | float | None, decimals: int) -> str:
    if g is None:
        return ""
    if isinstance(g, float):
        return reference_fmt(g, max(decimals + 2, 6))
    return str(g)


def _points(x: float) -> str:
    return f"{x:g}"


def reference_view(item: Item, decimals: int, unwritten: frozenset[str] = frozenset()) -> ReferenceView:
    d = decimals + 2
    # (a quantity the student did not write is shown by name: tests/test_attack_dec6.py)
    shown = [a if a in unwritten else reference_arg(v, d)
             for a, v in zip(item.args, item.own_args, strict=True)]
    op = item.op
    return ReferenceView(
        id=item.id,
        verdict=item.verdict,
        points=_points(item.points),
        max_points=_points(item.max_points),
        given=_given(item.given, decimals),
        misconception=item.misconception or "",
        message=item.message,
        expected=reference_fmt(item.expected, d),
        tolerance=f"{item.tolerance:.2g}",
        wrong=item.verdict in ("incorrect", "invalid", "missing"),
        formula=item.formula,
        with_numbers=OPS[op].text(shown) if op in OPS else "",
        from_own="" if item.from_own is None else reference_fmt(item.from_own, d),
    )


def reference_unwritten(report: Report) -> frozenset[str]:
    """The quantities (p, o, delta, dw, new_w, P: not a weight, input, target or alpha) that the
    formulas of the report's wrong items use and the student did not write."""
    values = {i.id: i.value for i in report.items}
    return frozenset(a for i in report.items if i.verdict == "incorrect" for a in i.args
                     if values.get(a) is None and (a.split("_")[0] in ("p", "o", "delta", "dw", "new")
                                                   or a == "P" or a.startswith("P_step")))


def reference_context(report: Report, student: str | None, reveal: bool) -> dict[str, Any]:
    views = [reference_view(i, report.decimals, reference_unwritten(report)) for i in report.items]
    counts = {v: report.count(v) for v in ("correct", "carried-forward", "incorrect", "missing", "invalid")}
    return {
        "items": views,
        "wrong": [v for v in views if v.verdict in ("incorrect", "invalid")],
        "score": _points(report.score),
        "max_score": _points(report.max_score),
        "counts": {k: n for k, n in counts.items() if n},
        "warnings": list(report.warnings),
        "student": student,
        "reveal": reveal,
        "ecf_credit": _points(report.ecf_credit),
        "width": max((len(v.id) for v in views), default=4),
    }


REFERENCE_MD = """\
# Feedback{% if student %} for {{ student|md }}{% endif %}


**Score: {{ score }} / {{ max_score }}** \
({% for k, n in counts.items() %}{{ n }} {{ k }}{{ ", " if not loop.last }}{% endfor %}).
Answers that are wrong only because of an earlier mistake of yours are *carried forward*
and earn {% if ecf_credit == '1' %}full credit{% elif ecf_credit == '0' %}no credit\
{% else %}{{ ecf_credit }} of a point{% endif %}; each mistake is counted once, where it was made.

| quantity | your answer | verdict | points |{% if reveal %} expected |{% endif %}

|---|---|---|---|{% if reveal %}---|{% endif %}

{% for i in items %}
| `{{ i.id }}` | {{ i.given|md if i.given else "—" }} | {{ i.verdict }}\
{% if i.misconception %} ({{ i.misconception }}){% endif %} \
| {{ i.points }} / {{ i.max_points }} |{% if reveal %} {{ i.expected }} |{% endif %}

{% endfor %}
{% if wrong %}

## What went wrong

{% for i in wrong %}
### `{{ i.id }}`: {{ i.verdict }}{% if i.misconception %} ({{ i.misconception }}){% endif %}


{{ i.message|md }}.

{% if i.verdict == "incorrect" %}
```
{{ i.id }} = {{ i.formula }}
{{ " " * i.id|length }} = {{ i.with_numbers }}   (with your numbers)
{% if reveal %}
{{ " " * i.id|length }} = {{ i.from_own }}
{% endif %}
```

{% endif %}
{% endfor %}
{% endif %}
{% if warnings %}
## Warnings

{% for w in warnings %}
- {{ w|md }}
{% endfor %}
{% endif %}
"""

REFERENCE_TXT = """\
{% if student %}
Check of {{ student }}
{% endif %}
{% for i in items %}
  {{ i.id.ljust(width) }}  {{ paint(i.verdict, i.verdict) }}\
{% if i.misconception %}{{ " " * (16 - i.verdict|length) }}{{ i.misconception }}{% endif %}\
{% if reveal and i.verdict != "correct" %}  (expected {{ i.expected }}){% endif %}

{% endfor %}

Score: {{ score }} / {{ max_score }}  \
({% for k, n in counts.items() %}{{ n }} {{ k }}{{ ", " if not loop.last }}{% endfor %})
{% if wrong %}

{% for i in wrong %}
  {{ paint(i.id, i.verdict) }}: {{ i.message }}
{% endfor %}
{% endif %}
{% if warnings %}

Warnings:
{% for w in warnings %}
  {{ w }}
{% endfor %}
{% endif %}
"""


@cache
def _reference_template(source: str):
    return environment().from_string(source)


def reference_markdown(report: Report, *, student: str | None = None, reveal: bool = False) -> str:
    return _reference_template(REFERENCE_MD).render(**reference_context(report, student, reveal))


def reference_terminal(report: Report, *, color: bool, reveal: bool = False,
                       student: str | None = None) -> str:
    def paint(text: str, verdict: str) -> str:
        code = COLOURS.get(verdict)
        return f"\x1b[{code}m{text}\x1b[0m" if color and code else text

    context = reference_context(report, student, reveal)
    return _reference_template(REFERENCE_TXT).render(paint=paint, **context)


# --------------------------------------------------------------------------- the corpus


def _answers(values: dict[str, Any], asked) -> dict[str, Answer]:
    return {k: read_answer(k, values[k]) for k in asked if k in values}


def _reports(variant: Variant) -> list[tuple[str, Report, str | None]]:
    """The reports of one variant, named by what the answers are."""
    inst, asked = variant.instance, variant.asked
    trace = solve(inst)
    out = []

    def add(kind: str, values: dict[str, Any], ecf_credit: float = 1.0) -> None:
        report = grade(inst, _answers(values, asked), asked=asked, ecf_credit=ecf_credit, trace=trace)
        out.append((kind, report, variant.student if len(out) % 2 else None))

    add("exact", hand_worked(variant, rounded=False))
    add("rounded", hand_worked(variant))
    first_o = next(q for q in asked if q.startswith("o_"))
    exact = trace[first_o].value
    wrong = round(exact + (0.1 if exact < 0.5 else -0.1), inst.rounding)
    for credit in (1.0, 0.5, 0.0):
        add(f"perturbed-{credit}", hand_worked(variant, override={first_o: wrong}), credit)
    add("perturbed-far", {**hand_worked(variant), asked[-1]: -123456.789, asked[0]: 1e-9})
    for mid, m in MISCONCEPTIONS.items():
        add(f"misconception-{mid}", hand_worked(variant, m.rules))
    values: dict[str, Any] = hand_worked(variant)
    for qid in asked[1::3]:
        del values[qid]
    add("missing", values)
    add("nothing", {})
    values = hand_worked(variant)
    values[asked[0]] = math.nan
    values[asked[1]] = "foo(1)"
    values[asked[2]] = True
    values[asked[3]] = "1/2"
    values[asked[4]] = int(round(values[asked[4]]))
    values[asked[-1]] = "  "
    values[asked[-2]] = math.inf
    values["dleta_A"] = 3.0
    report = grade(inst, _answers(values, [*asked, "dleta_A"]), asked=[*asked, "nope"],
                   trace=trace, unknown=("dleta_A",))
    out.append(("invalid", report.with_warnings(["tampered: the signature does not match"]), "x"))
    return out


def _corpus() -> list[tuple[str, Report, str | None]]:
    out = []
    for fid in builtin_family_ids():
        for variant in generate_variants(load_family(fid), numbered_roster(2), b"s", "a", 1):
            out += [(f"{fid}/{variant.student}/{kind}", report, student)
                    for kind, report, student in _reports(variant)]
    return out


CORPUS = _corpus()
IDS = [c[0] for c in CORPUS]


def test_corpus_has_every_verdict_and_wording():
    """Does the corpus exercise every verdict, misconception, warnings and each credit wording?"""
    verdicts = {i.verdict for _, r, _ in CORPUS for i in r.items}
    assert verdicts == {"correct", "carried-forward", "incorrect", "missing", "invalid"}
    assert {i.misconception for _, r, _ in CORPUS for i in r.items} == {None, *MISCONCEPTIONS}
    assert any(r.warnings for _, r, _ in CORPUS)
    assert {r.ecf_credit for _, r, _ in CORPUS} == {0.0, 0.5, 1.0}
    assert {type(i.given) for _, r, _ in CORPUS for i in r.items} >= {float, int, str, type(None)}


@pytest.mark.parametrize("name, report, student", CORPUS, ids=IDS)
def test_reports_are_byte_identical(name, report, student):
    """Are the Markdown and terminal reports (reveal on and off, colour on and off) the same
    bytes as the reference's?"""
    for reveal in (False, True):
        for who in (student, None):
            assert report_markdown(report, student=who, reveal=reveal) == reference_markdown(
                report, student=who, reveal=reveal)
            for color in (False, True):
                assert report_terminal(report, color=color, reveal=reveal, student=who) == reference_terminal(
                    report, color=color, reveal=reveal, student=who)


def test_item_views_are_the_same():
    """Does every field of ``item_view`` (the PDF uses it) equal the reference view's?"""
    fields = [f for f in ReferenceView.__dataclass_fields__]
    for _, report, _ in CORPUS:
        for item in report.items:
            view, ref = item_view(item, report.decimals), reference_view(item, report.decimals)
            assert isinstance(view, ItemView)
            assert {f: getattr(view, f) for f in fields} == {f: getattr(ref, f) for f in fields}


def test_all_correct_report_formats_only_the_answers(monkeypatch):
    """Does an all-correct report (no reveal) format only the answers: no expected value, no
    worked step (the point of the lazy view), rendered in full or from the skeleton?"""
    _, report, _ = next(c for c in CORPUS if c[0].endswith("/rounded"))
    assert report.all_correct
    calls = []
    fmt = numbers.fmt

    def fail(*args):
        raise AssertionError("computed a text the report does not show")

    monkeypatch.setattr(numbers, "fmt", lambda x, d=4: calls.append(x) or fmt(x, d))
    monkeypatch.setattr(numbers, "arg", fail)
    for name in ("expected", "with_numbers", "from_own", "formula", "message", "tolerance"):
        monkeypatch.setattr(ItemView, name, property(fail))
    for _ in range(3):  # a full render, the skeleton made, the skeleton filled
        report_markdown(report)
    assert set(calls) <= {i.given for i in report.items}


# --------------------------------------------------------------------------- numbers.fmt


def _doubles(n: int, rng: random.Random) -> list[float]:
    """Random bit patterns (every magnitude, subnormals, NaNs), random decimals at several
    scales, ties at 1 to 8 places, and values just around powers of ten and their halves."""
    out = [struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0] for _ in range(n)]
    for _ in range(n):
        out.append(rng.uniform(-1, 1) * 10.0 ** rng.randint(-14, 18))
        out.append(round(rng.uniform(-10, 10), rng.randint(0, 9)))
        out.append((rng.randint(-10**6, 10**6) + 0.5) / 10 ** rng.randint(0, 8))
    for k in range(-20, 25):
        for base in (10.0 ** k, 5 * 10.0 ** k, 0.5 * 10.0 ** k, 9.5 * 10.0 ** k):
            for y in (base, math.nextafter(base, 0), math.nextafter(base, math.inf)):
                for step in (0.0, 1e-13, -1e-13, 4e-12, -4e-12, 0.99e-12, -1.01e-12):
                    out += [y + step, -(y + step)]
    for k in range(1, 12):
        for s in ("0.99995", "9.99995", "0.00005", "0.000049999", "0.00004999999999999",
                  "99999.99999", "0.5", "1.5", "2.5", "0.125", "0.0625"):
            out += [float(s) * 10.0 ** (k - 6), float(s[:k + 2] if len(s) > k + 2 else s)]
    return out


SPECIAL = [0.0, -0.0, math.nan, -math.nan, math.inf, -math.inf, 5e-324, -5e-324, 2.2250738585072014e-308,
           1.7976931348623157e308, -1.7976931348623157e308, 1e-12, -1e-12, 1e-13, -1e-13, 4.9999e-7,
           -4.9999e-7, 0.1 + 0.2, 1 / 3, -2 / 3, 2.0 ** 52 + 0.5, 2.0 ** 53, 1e15 + 0.3, 1e16,
           123456789.123456789]


def test_fmt_is_the_reference_on_many_values():
    """Does ``fmt`` (and ``arg``) give the old text for every float and every number of places,
    including negative zero, NaN, infinities, subnormals, huge values and round-ups to a next
    power of ten?"""
    rng = random.Random(6034)
    values = SPECIAL + _doubles(4000, rng)
    for d in (*range(0, 13), 15, 17, 18, 20):
        for x in values:
            assert numbers.fmt(x, d) == reference_fmt(x, d), (x, d)
        for x in values[:2000]:
            assert numbers.arg(x, d) == reference_arg(x, d), (x, d)
    assert numbers.fmt(0.1 + 0.2) == reference_fmt(0.1 + 0.2) == "0.3"


def test_fmt_of_other_types_is_the_reference():
    """Ints (huge too), booleans and float subclasses take the general path, as before."""

    class F(float):
        pass

    for x in (0, 1, -3, 10**20, -(10**17) - 1, 2**70 + 1, True, False, F(0.25), F(-0.0), F(2 / 3)):
        for d in (0, 1, 4, 6, 17, 20):
            assert numbers.fmt(x, d) == reference_fmt(x, d), (x, d)
    assert numbers.fmt(True) == "true"
