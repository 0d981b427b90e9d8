"""``backprop gradescope KEY --out autograder.zip``: the zip Gradescope's autograder takes.

At the zip's root, as Gradescope's specification asks: ``setup.sh`` (run once when Gradescope
builds the image: a virtual environment with this package installed from the wheel beside it,
its dependencies from PyPI), ``run_autograder`` (run for every submission:
:mod:`grader.platforms.autograder`), this package's wheel, the key and
``backprop-autograder.json`` (the settings: execute, sandbox, visibility, stdout_visibility,
ecf_credit). Nothing is fetched when a submission is graded.

The wheel: given with ``wheel``, else built from the checkout this package runs from
(``pip wheel --no-deps`` of a copy of its source, so the checkout gets no build folders), else,
for an installed package, packed again from its installed files.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

from .. import __version__
from ..errors import BackpropError
from .autograder import CONFIG, KEY, failure

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
SOURCE_PARTS = ("grader", "problems", "templates", "pyproject.toml", "README.md")


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
        wheel_path = Path(wheel) if wheel else build_wheel(Path(tmp))
        if not wheel_path.is_file() or not wheel_path.name.endswith(".whl"):
            raise BackpropError(f"{wheel_path}: no such wheel; give the .whl file of backprop-grader")
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


def build_wheel(dest: Path) -> Path:
    """This package's wheel, made in ``dest`` (see the module)."""
    package = Path(__file__).resolve().parent.parent
    checkout = package.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "templates").is_dir():
        return _wheel_from_source(checkout, dest)
    return _wheel_from_installed(dest)


def _wheel_from_source(checkout: Path, dest: Path) -> Path:
    src = dest / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for part in SOURCE_PARTS:
        p = checkout / part
        if p.is_dir():
            shutil.copytree(p, src / part, ignore=ignore)
        elif p.is_file():
            shutil.copy2(p, src / part)
    out = dest / "wheel"
    # the build backend (setuptools>=77, as pyproject.toml asks) is fetched by pip unless this
    # environment has one recent enough to build wheels itself
    isolation = ["--no-build-isolation"] if _has_setuptools(77) else []
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", *isolation,
                           "--disable-pip-version-check", "-w", str(out), str(src)],
                          capture_output=True, text=True)
    wheels = sorted(out.glob("*.whl")) if out.is_dir() else []
    if done.returncode != 0 or not wheels:
        last = (done.stderr.strip().splitlines() or ["no wheel was made"])[-1]
        raise BackpropError(f"cannot build the wheel of backprop-grader ({last}); give one with --wheel")
    return wheels[0]


def _has_setuptools(major: int) -> bool:
    try:
        from importlib.metadata import version

        return int(version("setuptools").split(".")[0]) >= major
    except (ImportError, ValueError, LookupError):
        return False


def _wheel_from_installed(dest: Path) -> Path:
    """The installed distribution's files packed again as a wheel, with a new RECORD."""
    from importlib import metadata

    try:
        dist = metadata.distribution("backprop-grader")
    except metadata.PackageNotFoundError:
        raise BackpropError("backprop-grader is neither a checkout nor installed; give its wheel with "
                            "--wheel") from None
    files = [f for f in dist.files or [] if not str(f).endswith((".pyc", "RECORD", "INSTALLER", "REQUESTED",
                                                                  "direct_url.json"))
             and "__pycache__" not in str(f) and not str(f).startswith("..")]
    name = f"backprop_grader-{dist.version}-py3-none-any.whl"
    info_dir = next((str(f).split("/")[0] for f in files if ".dist-info/" in str(f)), None)
    if info_dir is None or not any(str(f).startswith("grader/") for f in files):
        raise BackpropError("the installed backprop-grader is not a plain install (editable?); give its "
                            "wheel with --wheel")
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    path = dest / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for f in files:
            data = Path(dist.locate_file(f)).read_bytes()
            z.writestr(str(f), data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            writer.writerow([str(f), f"sha256={digest}", len(data)])
        writer.writerow([f"{info_dir}/RECORD", "", ""])
        z.writestr(f"{info_dir}/RECORD", record.getvalue())
    return path

