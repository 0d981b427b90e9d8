"""``backprop gradescope KEY --out autograder.zip``: the zip Gradescope's autograder takes.

At the zip's root, as Gradescope's specification asks: ``setup.sh`` (run once when Gradescope
builds the image: a virtual environment with this package installed from the wheel beside it,
its dependencies from PyPI), ``run_autograder`` (run for every submission:
:mod:`grader.platforms.autograder`), this package's wheel, the key and
``backprop-autograder.json`` (the settings: execute, sandbox, visibility, stdout_visibility,
ecf_credit). Nothing is fetched when a submission is graded.

The wheel: given with ``wheel``, else this package's own (:func:`grader.wheel.build_wheel`:
zipped from the checkout this package runs from, else packed again from its installed files).
"""

from __future__ import annotations

import io
import json
import re
import tempfile
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

from .. import __version__
from ..errors import BackpropError
from .autograder import CONFIG, KEY, failure

#: a wheel's file name as pip reads it (name-version[-build]-python-abi-platform.whl), nothing a
#: shell would read in setup.sh's double quotes ($, `, ", \, spaces)
WHEEL_NAME = re.compile(r"[A-Za-z0-9_.]+-[A-Za-z0-9_.!+]+(?:-[0-9][A-Za-z0-9_.]*)?"
                        r"(?:-[A-Za-z0-9_.]+){3}\.whl")
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


@dataclass(frozen=True)
class Settings:
    execute: bool = False
    sandbox: str = "bwrap"
    visibility: str = "visible"
    stdout_visibility: str = "hidden"
    ecf_credit: float | None = None


def build_autograder(key_path: str, out: str, settings: Settings, *, wheel: str | None = None) -> str:
    """Write the autograder zip to ``out``; return a line saying what it holds."""
    from ..files import read_bytes, write_atomic
    from ..key import load_key
    from ..render.env import render

    key = load_key(key_path)
    key_bytes = read_bytes(key_path)
    chosen = (("visibility", settings.visibility), ("stdout-visibility", settings.stdout_visibility))
    for name, value in chosen:
        if value not in VISIBILITIES:
            raise BackpropError(f"--{name}: unknown {value!r}; use one of {', '.join(VISIBILITIES)}")
    with tempfile.TemporaryDirectory() as tmp:
        wheel_path = Path(wheel) if wheel else _own_wheel(Path(tmp))
        if not wheel_path.is_file() or not wheel_path.name.endswith(".whl"):
            raise BackpropError(f"{wheel_path}: no such wheel; give the .whl file of backprop-grader")
        if not WHEEL_NAME.fullmatch(wheel_path.name):  # (setup.sh names it in a shell command)
            raise BackpropError(f"{wheel_path}: is not named as a wheel is (backprop_grader-0.1.0-py3-none-"
                                "any.whl: letters, digits and . _ + ! between its dashes), which setup.sh's "
                                "pip install would read otherwise; give it the name pip wheel gave it")
        config = asdict(settings)
        fallback = failure(config, "setup", "The autograder could not run: its setup failed. Your "
                           "instructor has been told; nothing was graded.")
        context = {"version": __version__, "wheel": wheel_path.name, "execute": settings.execute,
                   "sandbox": settings.sandbox, "fallback": json.dumps(fallback)}
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            _add(z, "setup.sh", render("gradescope_setup.sh.j2", **context).encode(), 0o755)
            _add(z, "run_autograder", render("gradescope_run_autograder.j2", **context).encode(), 0o755)
            _add(z, wheel_path.name, wheel_path.read_bytes(), 0o644)
            _add(z, KEY, key_bytes, 0o600)
            _add(z, CONFIG, (json.dumps(config, indent=1) + "\n").encode(), 0o644)
        write_atomic(out, buf.getvalue(), private=True)
    return (f"Wrote {out}: setup.sh, run_autograder, {wheel_path.name}, the key of {len(key.students)} "
            f"students ({key.assignment}).\nUpload it as the autograder (an Ubuntu base image: on 22.04, "
            "Gradescope's default, setup.sh installs Python 3.11). It holds the key: keep it private.")


def _add(z: zipfile.ZipFile, name: str, data: bytes, mode: int) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (0o100000 | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(info, data)


def _own_wheel(dest: Path) -> Path:
    from ..wheel import WheelError, build_wheel

    try:
        return build_wheel(dest)
    except WheelError as exc:
        raise BackpropError(f"{exc.message}; give the wheel with --wheel") from None
