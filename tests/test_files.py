"""Does every way an instance file can be unreadable give one `Error:` line and exit status 2?

Unreadable files (missing, folder, binary, not UTF-8, empty, broken TOML or JSON, nested too
deeply, too large) through ``backprop solve FILE``, and the readers of grader.files directly.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import cli
from grader.errors import BackpropError
from grader.files import MAX_BYTES, load_instance, read_data, read_text, write_atomic

VALID = """\
alpha = 1.0
inputs = ["x1"]
layers = [["A"], ["B"]]
[weights]
x1_A = 1.0
A_B = 1.0
[[samples]]
inputs = { x1 = 1.0 }
desired = { B = 1.0 }
"""

DEPTH = 100_000  # far deeper than Python's recursion limit


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def assert_error(result, message: str) -> None:
    """Exit status 2, exactly one line ``Error: <message>``, no traceback."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.output == f"Error: {message}\n"


def write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


#: (id, file name, content, the message after "<file>: ")
UNREADABLE = [
    ("binary", "net.toml", bytes(range(256)) * 4,
     "is a binary file, not text; give the .toml (or .json) file"),
    ("bad-utf8", "net.toml", b"alpha = 0.5\n# caf\xe9\n",
     "is not UTF-8 text (line 2, byte 17); save it as UTF-8"),
    ("empty", "net.toml", b"", "is empty; write the TOML in it"),
    ("blank", "net.toml", b"  \n\n\t\n", "is empty; write the TOML in it"),
    ("empty-json", "net.json", b"", "is empty; write the JSON in it"),
    ("broken-toml", "net.toml", "alpha = 0.5\ninputs = [\"x1\"\n",
     "is not valid TOML: Unclosed array (at end of document)"),
    ("toml-duplicate-key", "net.toml", "alpha = 0.5\nalpha = 0.25\n",
     "is not valid TOML: Cannot overwrite a value (at line 2, column 13)"),
    ("json-as-toml", "net.toml", '{"alpha": 0.5}',
     "is not valid TOML: Invalid statement (at line 1, column 1)"),
    ("broken-json", "net.json", '{"alpha": 0.5,}',
     "is not valid JSON: Expecting property name enclosed in double quotes (line 1, column 15)"),
    ("toml-as-json", "net.json", VALID, "is not valid JSON: Expecting value (line 1, column 1)"),
    ("json-list", "net.json", "[1, 2, 3]",
     "the JSON must be an object {...} of keys and values, not a list [...]"),
    ("json-string", "net.json", '"alpha"',
     "the JSON must be an object {...} of keys and values, not a string"),
    ("json-null", "net.json", "null", "the JSON must be an object {...} of keys and values, not null"),
    ("json-duplicate-key", "net.json", '{"alpha": 0.5, "weights": {"x1_A": 1, "x1_A": 2}}',
     "the key 'x1_A' is given twice in one object; keep one"),
    ("deep-toml-array", "net.toml", "alpha = " + "[" * DEPTH + "]" * DEPTH + "\n",
     "is not valid TOML: nested too deeply"),
    ("deep-toml-table", "net.toml", "alpha = " + "{a = " * DEPTH + "1" + "}" * DEPTH + "\n",
     "is not valid TOML: nested too deeply"),
    ("deep-json-array", "net.json", '{"alpha": ' + "[" * DEPTH + "]" * DEPTH + "}",
     "is not valid JSON: nested too deeply"),
    ("deep-json-object", "net.json", '{"alpha": ' + '{"a": ' * DEPTH + "1" + "}" * DEPTH + "}",
     "is not valid JSON: nested too deeply"),
    ("toml-integer-too-long", "net.toml", "alpha = 1" + "0" * 5000 + "\n",
     "is not valid TOML: a number has thousands of digits; write an ordinary number such as 0.5"),
    ("json-integer-too-long", "net.json", '{"alpha": 1' + "0" * 5000 + "}",
     "is not valid JSON: a number has thousands of digits; write an ordinary number such as 0.5"),
]


@pytest.mark.parametrize(("name", "content", "message"), [c[1:] for c in UNREADABLE],
                         ids=[c[0] for c in UNREADABLE])
def test_unreadable_file(runner: CliRunner, tmp_path: Path, name: str, content, message: str) -> None:
    """Does an unreadable file give exactly this one-line message and exit status 2?"""
    path = write(tmp_path / name, content)
    assert_error(runner.invoke(cli, ["solve", str(path)]), f"{path}: {message}")


def test_missing_file(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    assert_error(runner.invoke(cli, ["solve", str(path)]), f"{path}: no such file")


def test_folder_is_refused_by_the_reader(tmp_path: Path) -> None:
    with pytest.raises(BackpropError) as info:
        read_text(tmp_path)
    assert str(info.value) == f"{tmp_path}: is a folder; give a file"


def test_folder(runner: CliRunner, tmp_path: Path) -> None:
    assert_error(runner.invoke(cli, ["solve", str(tmp_path)]), f"{tmp_path}: is a folder; give a file")


def test_huge_file(runner: CliRunner, tmp_path: Path) -> None:
    """A file over the size limit is refused before it is read (a sparse file: no disk used)."""
    path = tmp_path / "huge.toml"
    with open(path, "wb") as fh:
        fh.truncate(MAX_BYTES + 1)
    assert_error(
        runner.invoke(cli, ["solve", str(path)]),
        f"{path}: is 50 MB; files over 50 MB are not read",
    )


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads every file")
def test_unreadable_permissions(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path / "net.toml", VALID)
    path.chmod(0)
    assert_error(
        runner.invoke(cli, ["solve", str(path)]),
        f"{path}: not allowed to read this file (check its permissions)",
    )


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    """Files saved by Windows editors start with a byte-order mark: still read."""
    path = write(tmp_path / "net.toml", b"\xef\xbb\xbf" + VALID.encode())
    assert load_instance(path).alpha == 1.0


def test_json_suffix_in_capitals_is_json(tmp_path: Path) -> None:
    path = write(tmp_path / "NET.JSON", json.dumps(read_data(write(tmp_path / "n.toml", VALID))))
    assert load_instance(path) == load_instance(tmp_path / "n.toml")


def test_json_nan_reaches_validation(runner: CliRunner, tmp_path: Path) -> None:
    """JSON's NaN and Infinity literals parse, then fail validation with the key named."""
    data = read_data(write(tmp_path / "n.toml", VALID))
    path = tmp_path / "net.json"
    path.write_text(json.dumps(data).replace('"x1_A": 1.0', '"x1_A": Infinity'), encoding="utf-8")
    assert_error(
        runner.invoke(cli, ["solve", str(path)]),
        f"{path}: weights.x1_A: must be a finite number, not inf: give an ordinary number such as 0.5",
    )


def test_moderately_deep_nesting_is_a_validation_error(runner: CliRunner, tmp_path: Path) -> None:
    """Nesting that parses (under the recursion limit) is reported as a wrong value, not a crash."""
    path = write(tmp_path / "net.toml", VALID.replace("alpha = 1.0", "alpha = " + "[" * 200 + "]" * 200))
    assert_error(
        runner.invoke(cli, ["solve", str(path)]),
        f"{path}: alpha: must be a number (the learning rate, e.g. 0.5), not a list",
    )


def test_write_atomic_replaces_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "out.txt"
    write_atomic(path, "first")
    write_atomic(path, b"second")
    assert path.read_text() == "second"
    assert [p.name for p in path.parent.iterdir()] == ["out.txt"]
