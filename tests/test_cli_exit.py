"""The ``backprop`` command's way out (grader.cli.leave_alone_at_exit): the garbage collector is
kept off the objects alive at the end, and nothing else changes: every byte printed arrives, the
exit status is the command's, atexit handlers run, objects are freed (and finalised) by their
reference counts as before."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from click.testing import CliRunner
from courses import course

from grader.cli import cli


def _backprop(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)


def test_a_long_output_through_a_pipe_arrives_whole(tmp_path: Path) -> None:
    # (a worked solution: many lines, block-buffered through the pipe, flushed at the exit)
    _, _, variants = course(tmp_path, 1)
    instance = tmp_path / "p.json"
    instance.write_text(json.dumps(next(iter(variants.values())).instance.to_dict()))
    done = subprocess.run([sys.executable, "-m", "grader", "solve", str(instance)], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    expected = CliRunner().invoke(cli, ["solve", str(instance)])
    assert done.returncode == expected.exit_code == 0
    assert len(done.stdout) > 2000
    assert done.stdout == expected.output


def test_the_exit_status_and_the_error_line_are_the_commands(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "grader", "solve", "no-such.toml"], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("Error:") and "no-such.toml" in done.stderr


def test_atexit_handlers_run_and_objects_held_by_modules_are_finalised(tmp_path: Path) -> None:
    done = _backprop("""
        import atexit, gc, os, sys, types

        class Noisy:
            def __init__(self, name):
                self.name = name

            def __del__(self):
                os.write(2, f"finalised {self.name}\\n".encode())

        holder = sys.modules["holder"] = types.ModuleType("holder")  # (as grader's modules hold objects)
        holder.kept = Noisy("the module's")
        gc.disable()  # (no collection before the end finds the cycle)
        looped = Noisy("the cycle's")
        looped.itself = looped  # held by a reference cycle alone: left to the operating system
        del looped
        atexit.register(lambda: print("atexit ran", flush=True))
        sys.argv = ["backprop", "families"]
        from grader.cli import main
        main()
    """, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "xor" in done.stdout  # (the command's own output, then the handler's)
    assert done.stdout.rstrip().endswith("atexit ran")
    # the trick itself: without it the shutdown's collection would finalise the cycle too
    assert done.stderr == "finalised the module's\n"
