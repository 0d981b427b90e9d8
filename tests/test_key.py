"""The key's reader: its lazy parse gives what parsing the whole text gives, for keys as
``backprop generate`` writes them and for keys that only look like them."""

from __future__ import annotations

import json
import pickle

import pytest

from grader.errors import BackpropError
from grader.key import load_key

INSTANCE = {
    "alpha": 0.5, "bias": "threshold", "inputs": ["x1"], "layers": [["A"]],
    "weights": {"x1_A": 1.0, "bias_A": 0.5}, "samples": [{"inputs": {"x1": 1.0}, "desired": {"A": 1.0}}],
}


def entry(n: int, **extra) -> dict:
    e = {
        "name": f"Student {n}", "email": f"s{n}@example.org", "signature": f"{n:064x}",
        "instance": json.loads(json.dumps(INSTANCE)),
        "asked": ["p_A", "o_A", "delta_A"],
        "answers": {"p_A": 1.5 + n, "o_A": 0.8175744761936437, "delta_A": 0.024 * n},
    }
    e.update(extra)
    return e


def document(students: dict) -> dict:
    return {"format": 1, "assignment": "hw", "family": "f", "ecf_credit": 0.5, "students": students}


def expected(doc: dict) -> dict:
    """What the key holds, read from the whole parsed text."""
    return {
        sid: (e.get("name", ""), e.get("email", ""), e["signature"], e["instance"], tuple(e["asked"]),
              {k: float(v) for k, v in e.get("answers", {}).items()})
        for sid, e in doc["students"].items()
    }


def held(key) -> dict:
    return {sid: (e.name, e.email, e.signature, e.raw_instance, e.asked, e.answers)
            for sid, e in key.students.items()}


def write(tmp_path, text: str):
    path = tmp_path / "key.json"
    path.write_text(text)
    return path


@pytest.mark.parametrize("dump", [
    lambda d: json.dumps(d),
    lambda d: json.dumps(d, indent=1) + "\n",
    lambda d: json.dumps(d, indent="\t"),
    lambda d: json.dumps(d, separators=(",", ":")),
    lambda d: json.dumps(d, indent=3, separators=(" ,", " : ")),
])
def test_the_key_reads_as_the_whole_text_parses(tmp_path, dump):
    doc = document({f"s{n}": entry(n) for n in range(5)})
    text = dump(doc)
    key = load_key(write(tmp_path, text))
    assert held(key) == expected(json.loads(text))
    assert (key.assignment, key.family, key.ecf_credit) == ("hw", "f", 0.5)


@pytest.mark.parametrize("students", [
    # strings that look like the fields the reader cuts
    {"a": entry(1, name='"asked": ["x"], "answers": {"y": 1}', email='], "answers": {"z}": 2}')},
    {"a": entry(1, name='\\"asked\\": [', email="\\\\"), "b": entry(2)},
    # an asked id or an answer's id with a bracket, brace or quote in it
    {"a": entry(1, asked=["p_A", "o]A"], answers={"p_A}": 1.0, "o_A": 2.0}), "b": entry(2)},
    {"a": entry(1, asked=['p"A'], answers={'p"A': 1.0}), "b": entry(2)},
    # asked and answers elsewhere in the key, or in another order
    {"a": entry(1, instance=dict(INSTANCE, asked=["q"], answers={"q": 1.0})), "b": entry(2)},
    {"a": {"answers": {"p_A": 1.0}, "asked": ["p_A"], "signature": "x", "instance": INSTANCE}, "b": entry(2)},
    {"a": entry(1, answers={}), "b": entry(2, asked=[]), "c": entry(3, answers={"p_A": 1})},
    # no answers at all
    {"a": {k: v for k, v in entry(1).items() if k != "answers"}, "b": entry(2)},
])
def test_keys_that_only_look_generated_read_as_the_whole_text_parses(tmp_path, students):
    for text in (json.dumps(document(students)), json.dumps(document(students), indent=1)):
        assert held(load_key(write(tmp_path, text))) == expected(json.loads(text))


def test_a_repeated_student_and_a_nan_read_as_the_whole_text_parses(tmp_path):
    one = json.dumps(entry(1))
    two = json.dumps(entry(2))
    text = '{"students": {"a": ' + one + ', "b": ' + two + ', "a": ' + two + "}}"
    assert held(load_key(write(tmp_path, text))) == expected(json.loads(text))
    text = json.dumps(document({"a": entry(1, name="x"), "b": entry(2)})).replace('"x"', "NaN")
    assert held(load_key(write(tmp_path, text))) == expected(json.loads(text))
    text = json.dumps(document({"a": entry(1), "b": entry(2)}))
    text = text.replace('"ecf_credit": 0.5', '"ecf_credit": NaN')
    key = load_key(write(tmp_path, text))
    assert held(key) == expected(json.loads(text)) and key.ecf_credit != key.ecf_credit


def test_broken_answers_are_that_students_error_when_used(tmp_path):
    text = json.dumps(document({"a": entry(1), "b": entry(2)}))
    broken = text.replace('"delta_A": 0.024}', '"delta_A": "zero"}', 1)
    assert broken != text
    key = load_key(write(tmp_path, broken))
    assert key.students["b"].answers == expected(json.loads(text))["b"][5]
    with pytest.raises(BackpropError, match=r"students\.a\.answers is incomplete"):
        _ = key.students["a"].answers
    assert key.students["a"].asked == ("p_A", "o_A", "delta_A")


def test_broken_json_elsewhere_is_the_whole_keys_error(tmp_path):
    text = json.dumps(document({"a": entry(1), "b": entry(2)}), indent=1)
    for broken in (text.replace('"o_A",', '"o_A" "x",', 1), text.replace('"signature"', "signature", 1),
                   text[:-10]):
        with pytest.raises(BackpropError, match="is not a key.json written by backprop generate") as err:
            load_key(write(tmp_path, broken))
        try:
            json.loads(broken)
        except json.JSONDecodeError as exc:
            assert f"({exc.msg}, line {exc.lineno})" in err.value.message


def test_incomplete_entries_are_the_whole_keys_error(tmp_path):
    for bad in ({"asked": [1]}, {"asked": 1}, {"signature": 3}, {"instance": []}, {"instance": None}):
        text = json.dumps(document({"a": entry(1), "b": entry(2, **bad)}))
        with pytest.raises(BackpropError, match="students.b is incomplete"):
            load_key(write(tmp_path, text))


def test_entries_are_immutable_equal_and_picklable(tmp_path):
    path = write(tmp_path, json.dumps(document({"a": entry(1), "b": entry(2)}), indent=1))
    key = load_key(path)
    a = key.students["a"]
    with pytest.raises(AttributeError):
        a.asked = ()
    back = pickle.loads(pickle.dumps(key))
    assert back == key == load_key(path)
    assert back.students["a"].answers == a.answers
    assert a.instance is a.instance and a.instance.alpha == 0.5
    assert a != key.students["b"]
