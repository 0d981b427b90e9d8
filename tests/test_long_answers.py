"""What a file says is quoted short: an answer line of half a million characters, or an id as
long, is not copied whole into the error, the feedback, the results and summary.md (a megabyte
each, before)."""

from __future__ import annotations

from grader.answers import toml_answer_hint, unknown_messages


def test_the_hint_for_an_unquoted_line_quotes_it_short():
    hint = toml_answer_hint("[answers]\np_A = 1+" + "x" * 500_000 + "\n")
    assert hint is not None and len(hint) < 400
    assert hint.startswith("line 2: p_A = 1+xxx")
    assert hint.endswith("write the answer as a number, or in quotes")


def test_an_unknown_id_is_named_short():
    [message] = unknown_messages(["p_" + "Z" * 500_000], ["p_A", "o_A"])
    assert len(message) < 300 and "is not a quantity of this problem" in message


def test_a_notebook_answer_with_a_long_name_or_constant_is_quoted_short():
    """In a notebook's code (no length limit on an answer line there): an unknown name or a
    constant that is not a number, half a million characters long, is named short."""
    from grader.notebooks.cells import read_answers

    code = f"p_A = 1+{'x' * 300_000}\no_A = b'{'q' * 300_000}'\n"
    answers, _ = read_answers([code], ["p_A", "o_A"], {})
    assert answers["p_A"].error.startswith("unknown name 'xxx")
    assert answers["o_A"].error.startswith("is not a number: b'qqq")
    assert all(len(a.error) < 200 for a in answers.values())
