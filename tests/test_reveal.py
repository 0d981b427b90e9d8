"""Are the answers of a student's signed handout kept one step away from the student? ``solve``
and ``check --reveal`` refuse it without the instructor's secret or key (one ``Error:`` line
saying why and what to pass), and allow it with either; unsigned problems solve freely."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.batch.demo_class import fill
from grader.cli import cli
from grader.family import load_family
from grader.generator import generate_variants
from grader.key import key_document
from grader.render.handout import handout_toml
from grader.render.notebook import notebook_handout
from grader.roster import numbered_roster

SECRET = "the instructor's secret of the reveal tests"
WHOSE = "student 'student01', assignment 'hw5'"
TO_PASS = "pass --secret FILE (the secret that generated it) or --key key.json"


@pytest.fixture
def course(tmp_path: Path):
    """A key of hw5 for two students, the secret file that signed it, and student01's handouts
    (TOML and notebook) and the same problem as a plain instance file."""
    family = load_family("2-2-1-threshold")
    variants = generate_variants(family, numbered_roster(2), SECRET.encode(), "hw5", 1)
    v = variants[0]
    key = tmp_path / "key.json"
    key.write_text(json.dumps(key_document(variants, family, "hw5")))
    secret = tmp_path / "secret"
    secret.write_text(SECRET + "\n")
    toml = tmp_path / "student01.toml"
    toml.write_text(handout_toml(v))
    notebook = tmp_path / "student01.ipynb"
    notebook.write_text(fill(notebook_handout(v), {"p_A": "0.5"}))
    instance = tmp_path / "problem.json"
    instance.write_text(json.dumps(v.instance.to_dict()))
    return {"key": key, "secret": secret, "toml": toml, "ipynb": notebook, "instance": instance, "variant": v}


def refused(result, path: Path, what: str) -> str:
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1 and result.output.startswith(f"Error: {path}: ")
    assert f"{what} is for the instructor: {TO_PASS}\n" in result.output
    return result.output


SOLVED = "Forward pass\n"


# --------------------------------------------------------------------------- solve


@pytest.mark.parametrize("kind", ["toml", "ipynb"])
def test_solve_refuses_a_signed_handout_without_the_secret_or_key(runner, course, kind):
    path = course[kind]
    result = runner.invoke(cli, ["solve", str(path)])
    assert refused(result, path, "its worked solution") == (
        f"Error: {path}: is a student's signed handout ({WHOSE}); its worked solution is for the "
        f"instructor: {TO_PASS}\n")
    for fmt in ("md", "json"):
        assert runner.invoke(cli, ["solve", str(path), "--format", fmt]).exit_code == 2


@pytest.mark.parametrize("kind", ["toml", "ipynb"])
def test_solve_with_the_secret_or_the_key_solves_a_signed_handout(runner, course, kind):
    path = course[kind]
    plain = runner.invoke(cli, ["solve", str(course["instance"])])
    assert plain.exit_code == 0 and SOLVED in plain.output
    for extra in (["--secret", str(course["secret"])], ["--key", str(course["key"])]):
        result = runner.invoke(cli, ["solve", str(path), *extra])
        assert result.exit_code == 0, result.output
        assert result.output == plain.output  # the handout's own problem


def test_the_instructors_own_secret_is_used_when_it_is_there(runner, course, config_home):
    """An instructor on their own machine ($XDG_CONFIG_HOME/backprop/secret, as generate
    writes it) is never asked; another secret there is no licence."""
    mine = config_home / "backprop" / "secret"
    mine.parent.mkdir()
    mine.write_text("an unrelated secret of somebody else\n")
    result = runner.invoke(cli, ["solve", str(course["toml"])])
    assert refused(result, course["toml"], "its worked solution") == (
        f"Error: {course['toml']}: is a student's signed handout ({WHOSE}) that {mine} did not sign (another "
        f"secret, or the handout was edited); its worked solution is for the instructor: {TO_PASS}\n")
    mine.write_text(SECRET + "\n")
    result = runner.invoke(cli, ["solve", str(course["toml"])])
    assert result.exit_code == 0 and SOLVED in result.output


def test_a_wrong_secret_another_key_or_an_edited_handout_is_refused(runner, course, tmp_path):
    toml = course["toml"]
    other = tmp_path / "other-secret"
    other.write_text("another course's secret, long enough\n")
    result = runner.invoke(cli, ["solve", str(toml), "--secret", str(other)])
    assert f"that {other} did not sign" in refused(result, toml, "its worked solution")

    family = load_family("2-2-1-threshold")
    others = generate_variants(family, numbered_roster(2), SECRET.encode(), "hw6", 1)
    other_key = tmp_path / "hw6.json"
    other_key.write_text(json.dumps(key_document(others, family, "hw6")))
    result = runner.invoke(cli, ["solve", str(toml), "--key", str(other_key)])
    assert result.exit_code == 2
    assert result.output == (f"Error: {toml}: {other_key} does not hold this handout's signature ({WHOSE}); "
                             "pass the key of the assignment that made it, or --secret FILE\n")

    edited = tmp_path / "edited.toml"  # the numbers changed, the signature kept
    text = toml.read_text()
    weight = next(line for line in text.splitlines() if line.startswith("x1_A = "))
    edited.write_text(text.replace(f"\n{weight}\n", "\nx1_A = 0.125\n"))
    result = runner.invoke(cli, ["solve", str(edited), "--secret", str(course["secret"])])
    assert "did not sign (another secret, or the handout was edited)" in refused(
        result, edited, "its worked solution")

    missing = tmp_path / "no-such-secret"
    result = runner.invoke(cli, ["solve", str(toml), "--secret", str(missing)])
    assert result.exit_code == 2 and result.output == f"Error: {missing}: no such file\n"


def test_unsigned_problems_solve_freely(runner, course, tmp_path):
    """An instance file, and a handout whose [meta] holds no signature (an instructor's own)."""
    result = runner.invoke(cli, ["solve", str(course["instance"])])
    assert result.exit_code == 0 and SOLVED in result.output
    own = tmp_path / "own.toml"
    own.write_text(course["toml"].read_text().replace("signature = ", "# signature = "))
    result = runner.invoke(cli, ["solve", str(own), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["steps"]


# --------------------------------------------------------------------------- check --reveal


@pytest.mark.parametrize("kind", ["toml", "ipynb"])
def test_check_reveal_refuses_a_signed_handout_but_check_itself_works(runner, course, kind):
    path = course[kind]
    result = runner.invoke(cli, ["check", str(path), "--reveal"])
    assert refused(result, path, "every expected value (--reveal)") == (
        f"Error: {path}: is a student's signed handout ({WHOSE}); every expected value (--reveal) is for the "
        f"instructor: {TO_PASS}\n")
    for extra in (["--json"], ["--format", "md"]):
        assert runner.invoke(cli, ["check", str(path), "--reveal", *extra]).exit_code == 2
    plain = runner.invoke(cli, ["check", str(path), "--json"])
    assert plain.exit_code == 1  # unanswered: checked, with no expected value
    assert all("expected" not in item for item in json.loads(plain.output)["items"])


@pytest.mark.parametrize("kind", ["toml", "ipynb"])
def test_check_reveal_with_the_secret_or_the_key_shows_every_expected_value(runner, course, kind):
    exact = course["variant"].trace()
    for extra in (["--secret", str(course["secret"])], ["--key", str(course["key"])]):
        result = runner.invoke(cli, ["check", str(course[kind]), "--json", "--reveal", *extra])
        assert result.exit_code == 1, result.output
        items = json.loads(result.output)["items"]
        assert items and all(item["expected"] == exact.value(item["id"]) for item in items)


def test_check_reveal_of_an_unsigned_answer_file_is_free_and_secret_needs_reveal(runner, course, tmp_path):
    data = {"instance": course["variant"].instance.to_dict(), "answers": {"p_A": "0.5"}}
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(data))
    result = runner.invoke(cli, ["check", str(path), "--json", "--reveal"])
    assert result.exit_code == 1, result.output
    assert all("expected" in item for item in json.loads(result.output)["items"])
    result = runner.invoke(cli, ["check", str(course["toml"]), "--secret", str(course["secret"])])
    assert result.exit_code == 2
    assert result.output == "Error: --secret and --key apply only with --reveal\n"
