"""A file's name as a Mac writes it: a zip made by macOS stores accented names decomposed
(NFD: ``e`` + combining acute), a roster holds them composed (NFC: ``é``)."""

from __future__ import annotations

from types import SimpleNamespace

from grader.batch.identity import on_roster

KEY = SimpleNamespace(students={"jos\u00e9": object(), "student02": object()})


def test_a_decomposed_name_is_the_composed_roster_ids():
    assert on_roster("jose\u0301", KEY) == "jos\u00e9"
    assert on_roster("JOSE\u0301", KEY) == "jos\u00e9"


def test_names_off_the_roster_stay_as_they_are():
    assert on_roster("nobody", KEY) == "nobody"
    assert on_roster("student02", KEY) == "student02"
