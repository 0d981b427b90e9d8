"""Digits that are not ASCII (full-width from a Japanese or Chinese input method, Arabic-Indic,
Devanagari): the answer is invalid, and says which digits and what to type, in a TOML string
and in a notebook's code alike."""

from __future__ import annotations

import pytest

from grader.answers import read_answer
from grader.notebooks.cells import read_answers


@pytest.mark.parametrize(("typed", "ascii"), [
    ("\uff10.\uff15", "0.5"),  # full-width
    ("\u0660.\u0665", "0.5"),  # Arabic-Indic
    ("\u0660\u066b\u0665", "0.5"),  # Arabic-Indic with the Arabic decimal separator
    ("-\u0967.\u0968", "-1.2"),  # Devanagari
    ("1/(1+exp(-\uff10.\uff15))", "1/(1+exp(-0.5))"),
], ids=["fullwidth", "arabic-indic", "arabic-separator", "devanagari", "expression"])
def test_digits_not_ascii_say_what_to_type(typed, ascii):
    text = read_answer("o_A", typed)
    assert text.value is None
    assert text.error == f"uses the digits {typed} (not 0-9); type them in ASCII: {ascii}"
    code, _ = read_answers([f"o_A = {typed}\n"], ["o_A"], {})
    assert code["o_A"].value is None
    assert f"type them in ASCII: o_A = {ascii}" in code["o_A"].error


def test_superscripts_and_fractions_stay_plain_invalid():
    """Characters that are digits of another kind (a superscript two, a half) are not decimal
    digits: no translation is offered."""
    for typed in ("2\u00b2", "\u00bd"):
        assert "digits" not in read_answer("o_A", typed).error


def test_unquoted_digits_in_a_toml_file_say_what_to_type(tmp_path):
    """An answer file line ``o_A = ０.５`` (not TOML) says which digits and the line to write."""
    from grader.answers import toml_answer_hint

    hint = toml_answer_hint("[answers]\no_A = \uff10.\uff15\n")
    assert hint == ("line 2: o_A = \uff10.\uff15 uses the digits \uff10.\uff15 (not 0-9); "
                    "type them in ASCII: o_A = 0.5")
