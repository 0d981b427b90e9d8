"""The Moodle XML question bank (issue 14, part 4): the file parsed and checked against Moodle's
question format, every Cloze NUMERICAL part's syntax and tolerance, and one variant's values
against ``backprop solve``."""

from __future__ import annotations

import base64
import json
import re
import xml.etree.ElementTree as ET

import pytest

from grader.cli import cli
from grader.family import load_family
from grader.generator import generate_variants
from grader.platforms.moodle import cloze_escape, cloze_number, numerical
from grader.roster import load_or_create_secret, numbered_roster
from grader.rules import MISCONCEPTIONS
from grader.solver import solve
from grader.tolerance import tolerances

ROW = re.compile(r"<tr><td>(?P<id>[A-Za-z0-9_]+)</td><td>[^<]*</td><td>(?P<cloze>\{.*?(?<!\\)\})</td></tr>")
ANSWER = re.compile(r"(?:=|%(?P<pct>-?\d+(?:\.\d+)?)%)(?P<value>-?\d+(?:\.\d+)?):(?P<tol>\d+(?:\.\d+)?)"
                    r"(?:#(?P<feedback>(?:\\.|[^\\])*))?\Z")


def parse_cloze(text: str) -> tuple[int, list[dict]]:
    """A Cloze NUMERICAL sub-question as Moodle reads it: ``{weight:NUMERICAL:answer~answer...}``,
    each answer ``=value:tolerance#feedback`` (right) or ``%percent%value:tolerance#feedback``."""
    m = re.fullmatch(r"\{(\d+):NUMERICAL:(.*)\}", text, re.S)
    assert m, text
    answers = []
    for part in re.split(r"(?<!\\)~", m.group(2)):
        a = ANSWER.fullmatch(part)
        assert a, part
        answers.append({"percent": 100.0 if a["pct"] is None else float(a["pct"]), "value": float(a["value"]),
                        "tolerance": float(a["tol"]), "feedback": a["feedback"] or ""})
    return int(m.group(1)), answers


@pytest.fixture
def bank(runner, tmp_path):
    secret = tmp_path / "secret"
    out = tmp_path / "bank.xml"
    result = runner.invoke(cli, ["export", "moodle", "2-2-1-threshold", "--count", "3", "--assignment", "hw3",
                                 "--secret-file", str(secret), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output == f"Wrote 3 Cloze questions of 2-2-1-threshold to {out}.\n"
    family = load_family("2-2-1-threshold")
    variants = generate_variants(family, numbered_roster(3), load_or_create_secret(secret), "hw3")
    return out, variants


def test_the_xml_follows_moodles_question_format(bank):
    out, variants = bank
    root = ET.parse(out).getroot()
    assert root.tag == "quiz"
    questions = root.findall("question")
    assert questions[0].get("type") == "category"
    assert questions[0].findtext("category/text") == "$course$/top/backprop/2-2-1-threshold hw3"
    cloze = questions[1:]
    assert [q.get("type") for q in cloze] == ["cloze"] * 3
    names = [q.findtext("name/text") for q in cloze]
    assert names == [f"2-2-1-threshold variant {i:03d}" for i in (1, 2, 3)]
    for q, v in zip(cloze, variants, strict=True):
        assert q.find("questiontext").get("format") == "html"
        text = q.findtext("questiontext/text")
        svg = re.search(r'<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', text)
        assert svg and base64.b64decode(svg.group(1)).decode().lstrip().startswith("<svg")
        feedback = q.findtext("generalfeedback/text")
        assert feedback.startswith("<p>Worked solution</p>") and "delta_C" in feedback
        rows = ROW.findall(text)
        assert [qid for qid, _ in rows] == list(v.asked)  # one sub-question per asked quantity, in order
        bands = tolerances(v.trace(), asked=v.asked)
        for qid, text_ in rows:
            weight, answers = parse_cloze(text_)
            assert weight == 1
            right = answers[0]
            assert right["percent"] == 100 and right["feedback"] == "Right"
            assert right["value"] == v.trace().value(qid)  # full precision, exactly
            assert all(a["tolerance"] == bands[qid] for a in answers)  # the grader's band
            for a in answers[1:]:
                assert a["percent"] == 0 and abs(a["value"] - right["value"]) > 2 * bands[qid]


def test_one_variant_against_backprop_solve(runner, bank, tmp_path):
    out, variants = bank
    v = variants[0]
    instance = tmp_path / "v1.json"
    instance.write_text(json.dumps(v.instance.to_dict()))
    solved = runner.invoke(cli, ["solve", str(instance), "--format", "json"])
    assert solved.exit_code == 0, solved.output
    step = json.loads(solved.output)["steps"][0]
    text = ET.parse(out).getroot().findall("question")[1].findtext("questiontext/text")
    values = {qid: parse_cloze(c)[1][0]["value"] for qid, c in ROW.findall(text)}
    assert values and values == {q: step[q] for q in values}


def test_misconceptions_are_named_in_the_wrong_answer_feedback(bank):
    out, variants = bank
    v = variants[0]
    text = ET.parse(out).getroot().findall("question")[1].findtext("questiontext/text")
    delta_c = dict(ROW.findall(text))["delta_C"]
    flipped = solve(v.instance, MISCONCEPTIONS["sign-flip"].rules).value("delta_C")
    named = {a["feedback"].split(":")[0]: a["value"] for a in parse_cloze(delta_c)[1][1:]}
    assert named["sign-flip"] == flipped


@pytest.mark.parametrize("x, text", [(1e-05, "0.00001"), (-0.0, "0"), (1.25, "1.25"), (2.0, "2.0"),
                                     (-3.5e-7, "-0.00000035")])
def test_numbers_have_no_exponent(x, text):
    assert cloze_number(x) == text


def test_feedback_is_escaped():
    """Moodle's Cloze parser unescapes only "\\}" and "\\#" after html_entity_decode: the rest as
    entities (read back by Moodle's own parser, ported, in test_moodle_format.py)."""
    assert cloze_escape('a}b#c~d/e"f\\g{ & <') == 'a&#125;b#c&#126;d/e"f&#92;g{ &amp;amp; &amp;lt;'
    weight, answers = parse_cloze(numerical(0.5, 0.0001, [(0.25, "a/b ~ {c}")]))
    assert answers[1]["feedback"] == cloze_escape("a/b ~ {c}")
