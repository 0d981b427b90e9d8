"""A key of a large class (issue 15, N = 100,000): read whatever its size up to KEY_MAX_BYTES, held
compactly (answers as arrays, one tuple of asked ids, instances kept only while recent), and read
back the same as before."""

from __future__ import annotations

import json
from array import array

import pytest
from courses import course

from grader import files
from grader import key as keymod
from grader.batch.copies import CopyIndex
from grader.errors import BackpropError
from grader.key import load_key


def test_a_key_over_the_submission_limit_is_read_and_a_submission_is_not(tmp_path, monkeypatch):
    key, subs, vs = course(tmp_path, 3)
    monkeypatch.setattr(files, "MAX_BYTES", 1000)  # (the key is about 5 KB)
    assert key.stat().st_size > 1000
    assert set(load_key(key).students) == set(vs)
    with pytest.raises(BackpropError, match="over 0 MB are not read"):
        files.read_bytes(key)
    monkeypatch.setattr(keymod, "KEY_MAX_BYTES", 1000)
    with pytest.raises(BackpropError, match="are not read"):
        load_key(key)


def test_answers_are_packed_and_read_back_as_given(tmp_path):
    key, subs, vs = course(tmp_path, 4)
    doc = json.loads(key.read_text())
    loaded = load_key(key)
    entries = list(loaded.students.values())
    assert all(e.asked is entries[0].asked for e in entries)  # one tuple for all
    for sid, e in loaded.students.items():
        assert isinstance(e.packed_answers()[1], array)
        assert e.answers == doc["students"][sid]["answers"]
        assert list(e.asked) == doc["students"][sid]["asked"]
        assert e.raw_instance == doc["students"][sid]["instance"]


def test_answers_that_are_not_all_floats_in_asked_order_are_kept_as_given(tmp_path):
    key, subs, vs = course(tmp_path, 3)
    doc = json.loads(key.read_text())
    a, b, c = sorted(doc["students"])
    doc["students"][a]["answers"] = dict(reversed(doc["students"][a]["answers"].items()))
    doc["students"][b]["answers"]["p_A"] = 2  # an int
    doc["students"][c]["answers"]["p_A"] = "oops"
    key.write_text(json.dumps(doc))
    loaded = load_key(key)
    assert loaded.students[a].answers == doc["students"][a]["answers"]
    assert loaded.students[b].answers["p_A"] == 2.0 and type(loaded.students[b].answers["p_A"]) is float
    with pytest.raises(BackpropError, match="answers is incomplete"):
        loaded.students[c].answers  # noqa: B018
    index = CopyIndex(loaded)
    assert index._answers(c) is None and index._answers(a)[1] == loaded.students[a].answers


def test_instances_are_kept_only_while_recent(tmp_path, monkeypatch):
    key, subs, vs = course(tmp_path, 5)
    monkeypatch.setattr(keymod, "KEEP", 2)
    monkeypatch.setattr(keymod, "_KEPT", keymod.deque())
    entries = list(load_key(key).students.values())
    first = entries[0].instance
    assert entries[0].instance is first  # kept while recent
    for e in entries[1:]:
        assert e.instance == vs[e.student].instance
    assert "_instance" not in entries[0].__dict__ and len(keymod._KEPT) == 2
    assert entries[0].instance == first  # made again when asked for
