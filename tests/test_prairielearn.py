"""The PrairieLearn question folder (issue 14, part 4): server.py's generate and grade called
with data dictionaries shaped as PrairieLearn passes them, with the verdicts of ``backprop check``
on the same answers; info.json against PrairieLearn's question-info schema."""

from __future__ import annotations

import importlib.util
import json
import re
import sys

import jsonschema
import pytest
from by_hand import hand_worked

from grader.cli import cli
from grader.family import load_family
from grader.platforms.prairielearn import _variant
from grader.render.handout import handout_toml
from grader.rules import MISCONCEPTIONS

# PrairieLearn's schema for a question's info.json (apps/prairielearn/src/schemas/schemas/
# infoQuestion.json), written out here for the fields a v3 question uses: the required ones,
# their types and patterns, and no property it does not define
INFO_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["uuid", "type", "title", "topic"],
    "properties": {
        "comment": {},
        "uuid": {"type": "string",
                 "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"},
        "type": {"enum": ["Calculation", "MultipleChoice", "Checkbox", "File", "MultipleTrueFalse", "v3"]},
        "title": {"type": "string"},
        "topic": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "clientFiles": {"type": "array", "items": {"type": "string"}},
        "clientTemplates": {"type": "array", "items": {"type": "string"}},
        "template": {"type": "string"},
        "gradingMethod": {"enum": ["Internal", "External", "Manual"]},
        "singleVariant": {"type": "boolean"},
        "showCorrectAnswer": {"type": "boolean"},
        "partialCredit": {"type": "boolean"},
        "options": {"type": "object"},
        "externalGradingOptions": {"type": "object"},
        "dependencies": {"type": "object"},
        "workspaceOptions": {"type": "object"},
    },
}
SEED = 871234


@pytest.fixture(scope="module")
def question(tmp_path_factory):
    from click.testing import CliRunner

    out = tmp_path_factory.mktemp("pl") / "backprop-221"
    result = CliRunner().invoke(cli, ["export", "prairielearn", "2-2-1-threshold", "--out", str(out)])
    assert result.exit_code == 0, result.output
    spec = importlib.util.spec_from_file_location("pl_server", out / "server.py")
    server = importlib.util.module_from_spec(spec)
    # (no __pycache__ written into the exported folder, whose files test_folder_and_info_json lists:
    # it was, wherever PYTHONDONTWRITEBYTECODE is not set)
    writes, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(server)
    finally:
        sys.dont_write_bytecode = writes
    return out, server


def _generated(server) -> dict:
    data = {"params": {}, "correct_answers": {}, "variant_seed": SEED, "options": {}}
    server.generate(data)
    return data


def test_folder_and_info_json(question):
    out, _ = question
    assert sorted(p.name for p in out.iterdir()) == ["2-2-1-threshold.toml", "info.json", "question.html",
                                                   "server.py"]
    info = json.loads((out / "info.json").read_text())
    jsonschema.validate(info, INFO_SCHEMA)
    assert info["type"] == "v3" and info["tags"] == ["backprop", "2-2-1-threshold"]


def test_generate_draws_the_seeds_variant(question):
    out, server = question
    data = _generated(server)
    v = _variant(load_family("2-2-1-threshold"), SEED)
    assert data["params"]["instance"] == v.instance.to_dict()
    assert data["correct_answers"] == {q: v.trace().value(q) for q in v.asked}
    assert data["params"]["svg"].lstrip().startswith("<svg")
    html = (out / "question.html").read_text()
    # one numeric input per asked quantity, and nothing asked without one
    assert re.findall(r'<pl-number-input answers-name="([^"]+)"', html) == data["params"]["asked"]
    assert "{{{params.svg}}}" in html and "{{#params.weights}}" in html
    other = {"params": {}, "correct_answers": {}, "variant_seed": SEED + 1, "options": {}}
    server.generate(other)
    assert other["params"]["instance"] != data["params"]["instance"]


def _answers(case: str) -> dict[str, str]:
    v = _variant(load_family("2-2-1-threshold"), SEED)
    d = v.instance.rounding
    if case == "right":
        return {q: repr(v.trace().value(q)) for q in v.asked}
    if case == "rounded":
        values = hand_worked(v)
    elif case == "misconceived":
        values = hand_worked(v, MISCONCEPTIONS["updated-weights"].rules)
    else:  # slipped: o_A written 0.1 too high, everything after worked from it
        values = hand_worked(v, override={"o_A": round(v.trace().value("o_A") + 0.1, d)})
    return {q: f"{values[q]:.{d}f}" for q in v.asked}


def _check(tmp_path, runner, answers: dict[str, str]) -> dict:
    v = _variant(load_family("2-2-1-threshold"), SEED)
    text = handout_toml(v)
    for q, a in answers.items():
        text = re.sub(rf'^{q} = ""', f'{q} = "{a}"', text, flags=re.M)
    path = tmp_path / "seed.toml"
    path.write_text(text)
    result = runner.invoke(cli, ["check", str(path), "--json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


@pytest.mark.parametrize("case", ["right", "rounded", "misconceived", "slipped"])
def test_grade_gives_the_verdicts_of_backprop_check(question, runner, tmp_path, case):
    _, server = question
    data = _generated(server)
    raw = _answers(case)
    data.update(
        submitted_answers={q: float(a) for q, a in raw.items()}, raw_submitted_answers=raw,
        partial_scores={q: {"score": 0, "weight": 1} for q in raw},  # (as pl-number-input left them)
        format_errors={}, feedback={}, score=0,
    )
    server.grade(data)
    checked = _check(tmp_path, runner, raw)
    expected = {i["id"]: i for i in checked["items"]}
    assert data["feedback"]["verdicts"] == {q: i["verdict"] for q, i in expected.items()}
    for q, ps in data["partial_scores"].items():
        assert ps["score"] == expected[q]["points"] / expected[q]["max_points"]
        assert ps["feedback"].startswith(expected[q]["verdict"])
        if expected[q]["message"]:
            assert expected[q]["message"] in ps["feedback"]
    assert data["score"] == checked["score"] / checked["max_score"]
    verdicts = set(data["feedback"]["verdicts"].values())
    if case in ("right", "rounded"):
        assert data["score"] == 1 and verdicts == {"correct"}
    elif case == "misconceived":
        assert data["feedback"]["misconceptions"] == ["updated-weights"] and data["score"] < 1
    else:
        assert data["partial_scores"]["o_A"]["score"] == 0 and "carried-forward" in verdicts
        assert data["score"] == (len(raw) - 1) / len(raw)


def test_blank_answers_are_missing(question):
    _, server = question
    data = _generated(server)
    data.update(submitted_answers={}, raw_submitted_answers={"p_A": "  "}, partial_scores={}, feedback={})
    server.grade(data)
    assert data["score"] == 0 and set(data["feedback"]["verdicts"].values()) == {"missing"}
