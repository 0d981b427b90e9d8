"""The autograder's setup.sh on Gradescope's default base image.

Where the platform was read: github.com/gradescope/autograder_samples (commit af5dee4),
``docs/base_images.md``: "The default base image that we use is currently Ubuntu 22.04" (whose
python3 is 3.10; backprop-grader needs 3.11), and ``docs/specs.md``: setup.sh is run once as
root when the image is built, with the zip unpacked in ``/autograder/source``.

The image is stood in for by a folder of stub commands first on PATH: a ``python3`` that is 3.10,
and an ``apt-get`` that logs what it is asked and, asked for python3.11, installs it (a stub that
logs its own calls and stops at ``-m venv``, so that nothing is installed for real).
"""

from __future__ import annotations

import stat
import subprocess
import zipfile
from pathlib import Path

import pytest
from gradescope_layout import course

from grader.cli import cli


def _stub(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text("#!/usr/bin/env bash\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def _setup_sh(runner, tmp_path) -> Path:
    key, _ = course(tmp_path)
    wheel = tmp_path / "backprop_grader-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    out = tmp_path / "autograder.zip"
    result = runner.invoke(cli, ["gradescope", str(key), "--out", str(out), "--wheel", str(wheel)])
    assert result.exit_code == 0, result.output
    assert "on 22.04, Gradescope's default, setup.sh installs Python 3.11" in result.output
    source = tmp_path / "autograder" / "source"
    source.mkdir(parents=True)
    with zipfile.ZipFile(out) as z:
        z.extractall(source)
    return source / "setup.sh"


def _run(setup: Path, stubs: Path, log: Path) -> subprocess.CompletedProcess:
    env = {"PATH": f"{stubs}:/usr/bin:/bin", "BACKPROP_AUTOGRADER_ROOT": str(setup.parent.parent),
           "LOG": str(log), "STUBS": str(stubs), "HOME": str(setup.parent)}
    return subprocess.run(["bash", str(setup)], cwd=setup.parent, env=env, capture_output=True, text=True,
                          timeout=60)


PYTHON_310 = """if [ "$1" = --version ]; then echo "Python 3.10.12"; exit 0; fi
echo "python3 $*" >> "$LOG"; exit 1
"""
APT_GET = """echo "apt-get $*" >> "$LOG"
if [ "$1" = install ] && [[ " $* " == *" python3.11 "* ]]; then
    printf '#!/usr/bin/env bash\\necho "python3.11 $*" >> "$LOG"\\n[ "$1" = -c ] && exit 0\\nexit 1\\n' \
        > "$STUBS/python3.11"
    chmod +x "$STUBS/python3.11"
fi
"""


def test_on_ubuntu_22_04_setup_installs_python_3_11_and_uses_it(runner, tmp_path):
    setup = _setup_sh(runner, tmp_path)
    stubs = tmp_path / "image"
    stubs.mkdir()
    _stub(stubs, "python3", PYTHON_310)
    _stub(stubs, "apt-get", APT_GET)
    log = tmp_path / "log"
    done = _run(setup, stubs, log)
    calls = log.read_text().splitlines()
    assert "apt-get install -y -q python3.11 python3.11-venv" in calls
    # the virtual environment is made with python3.11 (the stub stops there), not the 3.10
    assert any(c.startswith("python3.11 -m venv ") for c in calls), calls
    assert not any(c.startswith("python3 -m venv") for c in calls)
    assert "Python 3.10.12 is older than backprop-grader needs (3.11); installing python3.11" in done.stdout
    assert done.returncode != 0  # (the stub python3.11 cannot make a venv)


def test_with_no_python_3_11_to_be_had_setup_says_what_to_do(runner, tmp_path):
    setup = _setup_sh(runner, tmp_path)
    stubs = tmp_path / "image"
    stubs.mkdir()
    _stub(stubs, "python3", PYTHON_310)
    _stub(stubs, "apt-get", 'echo "apt-get $*" >> "$LOG"; [ "$1" = install ] && exit 100; exit 0\n')
    _stub(stubs, "python3.11", 'echo "python3.11: command not found" >&2; exit 127\n')  # (not installed)
    done = _run(setup, stubs, tmp_path / "log")
    assert done.returncode == 1
    assert "backprop-grader needs Python 3.11 or newer" in done.stderr
    assert "Choose a base image with Python 3.11 or newer" in done.stderr
    assert not (setup.parent.parent / "backprop-venv").exists()
    assert "apt-get install -y -q python3.11 python3.11-venv" in (tmp_path / "log").read_text()


def test_a_numeric_sid_matches_a_roster_id_with_leading_zeros():
    """submission_metadata.json's users (autograder_samples docs/submission_metadata.md: email,
    id, name; real files also carry "sid", which tools read as a number, e.g. a pydantic
    ``sid: int``): an SID 12345 is the roster's "0012345"."""
    from types import SimpleNamespace

    from grader.platforms.autograder import Refused, find_student

    key = SimpleNamespace(students={"0012345": SimpleNamespace(email=""), "s2": SimpleNamespace(email="b@x")})
    assert find_student([{"email": "a@x", "id": 7, "name": "A", "sid": 12345}], key) == "0012345"
    assert find_student([{"email": "B@X", "id": 8, "name": "B"}], key) == "s2"
    with pytest.raises(Refused) as err:  # another number is another student
        find_student([{"email": "c@x", "id": 9, "name": "C", "sid": 123450}], key)
    assert err.value.kind == "unknown"
