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


def test_what_the_metadata_claims_is_quoted_short(tmp_path):
    """A student id of 200,000 characters (or a list of 300,000 numbers, or one nested 900
    deep) in the metadata is quoted in a message of a line, not copied whole into the
    terminal, summary.md and the results (2.5 MB each, before)."""
    from grader.batch.identity import identify
    from grader.key import load_key
    from tests.courses import course

    key_path, _, variants = course(tmp_path, 2)
    key = load_key(key_path)
    deep: list = []
    node = deep
    for _ in range(900):
        node.append([])
        node = node[0]
    for claimed in ("A" * 200_000, list(range(300_000)), deep):
        for path in ("student01.ipynb", "nobody.ipynb"):
            for id_from in ("name", "metadata"):
                who = identify({"student": claimed, "assignment": "x" * 100_000}, path, key, id_from)
                assert len(who.message) < 400, (path, id_from, who.message[:200])
