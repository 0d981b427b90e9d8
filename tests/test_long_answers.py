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
