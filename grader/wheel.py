"""This package's wheel: what students install to check their work (``backprop generate`` hands
it out, :mod:`grader.checker`) and what Gradescope's autograder installs (``backprop gradescope``).

Made in one of two ways, the first that applies:

- **From the checkout this package runs from** (``pyproject.toml`` and ``templates/`` beside
  ``grader/``, an editable install too): its files zipped directly, laid out as the build
  backend lays them out (``[tool.setuptools]`` ``packages``, ``package-dir`` and
  ``package-data``), with the metadata of ``[project]``. About 0.1 s, offline, no setuptools;
  ``tests/test_wheel.py`` holds it to ``pip wheel``'s wheel of the same checkout (the same files,
  the same metadata). A ``pyproject.toml`` that uses a setting it does not know is refused
  (:class:`WheelError`) rather than built differently from the backend.
- **From the installed distribution** (a plain, non-editable install): its files packed again,
  with a new RECORD.

Either way the same files give the same bytes (sorted names, fixed dates and modes).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
import tomllib
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .errors import BackpropError

PACKAGE = Path(__file__).resolve().parent
#: the settings of pyproject.toml the direct build knows; any other is refused
PROJECT_KEYS = {"name", "version", "description", "readme", "requires-python", "license", "dependencies",
                "optional-dependencies", "scripts"}
SETUPTOOLS_KEYS = {"packages", "package-dir", "package-data"}
#: the date of every file in a wheel made here (zip's dates start in 1980)
DATE = (2020, 1, 1, 0, 0, 0)
README_TYPES = {".md": "text/markdown", ".rst": "text/x-rst"}


class WheelError(BackpropError):
    """The wheel of backprop-grader cannot be made here (the message says why)."""


def wheel_name(version: str, name: str = "backprop-grader") -> str:
    """``backprop_grader-0.1.0-py3-none-any.whl``: the file name of a pure-Python wheel."""
    return f"{_dist(name)}-{version}-py3-none-any.whl"


def build_wheel(dest: Path) -> Path:
    """This package's wheel, written into the folder ``dest`` (see the module); a
    :class:`WheelError` when it cannot be made."""
    checkout = PACKAGE.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "templates").is_dir():
        return wheel_from_checkout(checkout, dest)
    return _wheel_from_installed(dest)


# --------------------------------------------------------------------------- from a checkout


def wheel_from_checkout(checkout: Path, dest: Path) -> Path:
    """The wheel of the checkout ``checkout``, zipped directly (see the module)."""
    where = checkout / "pyproject.toml"
    try:
        config = tomllib.loads(where.read_text(encoding="utf-8"))
        project = config["project"]
        setup = config.get("tool", {}).get("setuptools", {})
        unknown = sorted(set(project) - PROJECT_KEYS) + sorted(set(setup) - SETUPTOOLS_KEYS)
        if unknown:
            raise WheelError(f"{where}: sets {', '.join(unknown)}, which grader/wheel.py does not build; "
                             "teach it, or build the wheel with pip wheel")
        name, version = str(project["name"]), str(project["version"])
        files = package_files(checkout, setup)
        info = f"{_dist(name)}-{version}.dist-info"
        top = sorted({arc.split("/")[0] for arc in files if "/" in arc})
        entries = [(arc, path.read_bytes()) for arc, path in sorted(files.items())]
        entries += [
            (f"{info}/METADATA", metadata(project, checkout).encode("utf-8")),
            (f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: backprop-grader (grader/wheel.py)\n"
                              b"Root-Is-Purelib: true\nTag: py3-none-any\n"),
            (f"{info}/entry_points.txt", _entry_points(project).encode("utf-8")),
            (f"{info}/top_level.txt", "".join(f"{t}\n" for t in top).encode("utf-8")),
        ]
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise WheelError(f"cannot build the wheel of backprop-grader from {checkout} ({exc})") from None
    path = dest / wheel_name(version, name)
    _write_wheel(path, entries, info)
    return path


def package_files(checkout: Path, setup: Mapping[str, Any]) -> dict[str, Path]:
    """Every file of the wheel but its metadata, as {path in the wheel: file}: each listed
    package's modules (``*.py``) and its package data, found where ``package-dir`` puts it."""
    dirs: Mapping[str, str] = setup.get("package-dir", {})
    data: Mapping[str, Iterable[str]] = setup.get("package-data", {})
    files: dict[str, Path] = {}
    for package in setup["packages"]:
        folder = checkout / _package_dir(package, dirs)
        if not folder.is_dir():
            raise ValueError(f"package {package}: no folder {folder}")
        patterns = ["*.py", *data.get(package, ()), *data.get("*", ()), *data.get("", ())]
        prefix = package.replace(".", "/")
        for pattern in patterns:
            for path in folder.glob(pattern):
                if path.is_file() and "__pycache__" not in path.parts:
                    files[f"{prefix}/{path.relative_to(folder).as_posix()}"] = path
    return files


def _package_dir(package: str, dirs: Mapping[str, str]) -> str:
    """The folder of ``package`` under ``package-dir`` (its own entry, else its nearest
    parent's, else its dotted name as a path)."""
    parts = package.split(".")
    for k in range(len(parts), -1, -1):
        head = ".".join(parts[:k])
        if head in dirs:
            return "/".join([dirs[head], *parts[k:]]).strip("/") or "."
    return "/".join(parts)


def metadata(project: Mapping[str, Any], checkout: Path) -> str:
    """The METADATA file (core metadata 2.4) of ``[project]``, the readme as its body."""
    lines = ["Metadata-Version: 2.4", f"Name: {project['name']}", f"Version: {project['version']}"]
    if "description" in project:
        lines.append(f"Summary: {project['description']}")
    if "license" in project:
        if not isinstance(project["license"], str):
            raise ValueError("license must be an SPDX expression (a string)")
        lines.append(f"License-Expression: {project['license']}")
    if "requires-python" in project:
        lines.append(f"Requires-Python: {project['requires-python']}")
    body = ""
    readme = project.get("readme")
    if readme is not None:
        file = readme if isinstance(readme, str) else readme["file"]
        kind = README_TYPES.get(Path(file).suffix.lower(), "text/plain")
        kind = kind if isinstance(readme, str) else readme.get("content-type", kind)
        lines.append(f"Description-Content-Type: {kind}")
        body = (checkout / file).read_text(encoding="utf-8")
    lines += [f"Requires-Dist: {r}" for r in project.get("dependencies", ())]
    for extra, reqs in project.get("optional-dependencies", {}).items():
        lines.append(f"Provides-Extra: {extra}")
        lines += [f'Requires-Dist: {r}; extra == "{extra}"' for r in reqs]
    return "\n".join(lines) + "\n\n" + body


def _entry_points(project: Mapping[str, Any]) -> str:
    scripts = project.get("scripts", {})
    return "[console_scripts]\n" + "".join(f"{k} = {v}\n" for k, v in scripts.items()) if scripts else ""


# --------------------------------------------------------------------------- from an installed package


def _wheel_from_installed(dest: Path) -> Path:
    """The installed distribution's files packed again as a wheel, with a new RECORD."""
    from importlib import metadata as md

    try:
        dist = md.distribution("backprop-grader")
    except md.PackageNotFoundError:
        raise WheelError("backprop-grader is neither a checkout nor installed, so its wheel cannot be "
                         "made here") from None
    files = [f for f in dist.files or [] if not str(f).endswith((".pyc", "RECORD", "INSTALLER", "REQUESTED",
                                                                  "direct_url.json"))
             and "__pycache__" not in str(f) and not str(f).startswith("..")]
    info = next((str(f).split("/")[0] for f in files if ".dist-info/" in str(f)), None)
    if info is None or not any(str(f).startswith("grader/") for f in files):
        raise WheelError("the installed backprop-grader is not a plain install (editable?), so its wheel "
                         "cannot be made here")
    try:
        entries = [(str(f), Path(dist.locate_file(f)).read_bytes()) for f in sorted(files, key=str)]
    except OSError as exc:
        raise WheelError(f"cannot read the installed backprop-grader ({exc})") from None
    path = dest / wheel_name(dist.version)
    _write_wheel(path, entries, info)
    return path


# --------------------------------------------------------------------------- the zip


def _write_wheel(path: Path, entries: list[tuple[str, bytes]], info: str) -> None:
    """A wheel of ``entries`` (path in the wheel, bytes) and their RECORD, the dist-info last."""
    entries = sorted(entries, key=lambda e: (e[0].startswith(f"{info}/"), e[0]))
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    for arc, data in entries:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        writer.writerow([arc, f"sha256={digest}", len(data)])
    writer.writerow([f"{info}/RECORD", "", ""])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for arc, data in [*entries, (f"{info}/RECORD", record.getvalue().encode("utf-8"))]:
            entry = zipfile.ZipInfo(arc, date_time=DATE)
            entry.external_attr = (0o100000 | 0o644) << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(entry, data)


def _dist(name: str) -> str:
    """A project name as wheel file names write it: ``backprop-grader`` -> ``backprop_grader``."""
    return re.sub(r"[-_.]+", "_", name).lower()


__all__ = ["WheelError", "build_wheel", "metadata", "package_files", "wheel_from_checkout", "wheel_name"]
