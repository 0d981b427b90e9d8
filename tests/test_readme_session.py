"""The README's session, run: what `backprop demo`, `backprop check` of a demo submission and
`backprop families` print is what the README shows (a line ``...`` stands for any lines), so the
front door stays true. (The other sessions of the README depend on the reader's secret or files.)"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: the commands whose output the README shows and any machine reproduces (the demo's secret is fixed)
REPRODUCIBLE = ("backprop demo ", "backprop check dm/", "backprop families", "echo $?")


def sessions() -> list[tuple[str, list[str]]]:
    """(command, the output lines the README shows) of each reproducible command, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = []
    for block in re.findall(r"```console\n(.*?)```", text, re.S):
        command, lines = None, []
        for line in block.splitlines() + ["$ "]:
            if line.startswith("$ "):
                if command is not None and command.startswith(REPRODUCIBLE):
                    while lines and not lines[-1].strip():
                        lines.pop()
                    found.append((command, lines))
                command, lines = line[2:].split("  #")[0].strip(), []
            else:
                lines.append(line)
    return found


def matches(shown: list[str], printed: list[str]) -> bool:
    """Whether ``printed`` is ``shown``, each ``...`` line standing for any lines (none included)."""
    if not shown:
        return not printed
    if shown[0].strip() == "...":
        return any(matches(shown[1:], printed[k:]) for k in range(len(printed) + 1))
    return bool(printed) and printed[0].rstrip() == shown[0].rstrip() and matches(shown[1:], printed[1:])


def test_the_readme_shows_the_sessions_it_runs():
    commands = [c for c, _ in sessions()]
    assert any(c.startswith("backprop demo") for c in commands)
    assert any(c.startswith("backprop check") for c in commands)
    assert "backprop families" in commands


@pytest.mark.slow
def test_the_readme_session_is_what_the_commands_print(tmp_path):
    status = 0
    for command, shown in sessions():
        if command == "echo $?":
            printed = [str(status)]
        else:
            args = command.split()[1:]
            done = subprocess.run([sys.executable, "-m", "grader", *args], cwd=tmp_path, capture_output=True,
                                  text=True, timeout=300)
            status = done.returncode
            printed = done.stdout.splitlines()
            while printed and not printed[-1].strip():
                printed.pop()
        assert matches(shown, printed), (
            f"README's `{command}` shows:\n" + "\n".join(shown) + "\n\nit prints:\n" + "\n".join(printed))


def test_matching_with_elisions():
    assert matches(["a", "...", "d"], ["a", "b", "c", "d"])
    assert matches(["a", "...", "b"], ["a", "b"])
    assert not matches(["a", "...", "d"], ["a", "b", "c"])
    assert not matches(["a", "b"], ["a", "b", "c"])
