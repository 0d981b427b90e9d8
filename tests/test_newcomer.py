"""What a newcomer trips over, found by using the tool from the README alone (an instructor with
an LMS roster export, a student with the handout): each test is one of those places, and
failed before it was mended."""

from __future__ import annotations

import inspect

import click
import pytest
from click.testing import CliRunner

from grader.cli import cli


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _commands(group: click.Group, path: tuple[str, ...] = ()):
    """(the words of the command line, the command) of every command, subcommands included."""
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))


def _example_lines(command: click.Command) -> list[str]:
    """The ``backprop ...`` lines of a command's docstring (its Example)."""
    doc = inspect.getdoc(command.callback) or command.help or ""
    return [line.strip() for line in doc.splitlines() if line.strip().startswith("backprop ")]


@pytest.mark.parametrize("words", [w for w, c in _commands(cli) if _example_lines(c)], ids=" ".join)
def test_every_example_in_help_is_one_whole_line(runner, words):
    """Does `backprop X --help` show each of its examples as the command to type, on one line
    (not run together with the next one, nor broken in the middle of a path)?"""
    command = dict(_commands(cli))[words]
    shown = [line.strip() for line in runner.invoke(cli, [*words, "--help"]).output.splitlines()]
    for example in _example_lines(command):
        assert example in shown, f"`backprop {' '.join(words)} --help` does not show {example!r} on one line"
