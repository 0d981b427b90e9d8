"""The families and templates are found from a plain (non-editable) install of a copy."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_installed_wheel_finds_families_and_templates(tmp_path):
    src = tmp_path / "src"
    ignored = shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info",
                                     "build", ".pytest_cache", ".hypothesis", "demo-out")
    shutil.copytree(ROOT, src, ignore=ignored)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    pip = venv / "bin" / "pip"
    subprocess.run([str(pip), "install", "--quiet", "--no-deps", str(src)], check=True)
    shutil.rmtree(src)  # nothing may be read from the source tree any more
    backprop = venv / "bin" / "backprop"
    families = subprocess.run([str(backprop), "families"], capture_output=True, text=True, cwd=tmp_path)
    assert families.returncode == 0, families.stderr
    assert families.stdout.split("\n")[0].startswith("chain ")
    out = tmp_path / "out"
    gen = subprocess.run([str(backprop), "generate", "2-2-1-threshold", "--count", "2", "--out", str(out)],
                         capture_output=True, text=True, cwd=tmp_path)
    assert gen.returncode == 0, gen.stderr
    assert (out / "handouts" / "student01.md").read_text().startswith("# Backpropagation homework")
    installed = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import grader.resources as r; print(r.templates_dir())"],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert "site-packages" in installed.stdout


def test_every_subpackage_is_listed_in_pyproject():
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "grader").rglob("__init__.py")}
    assert found <= listed, f"add {sorted(found - listed)} to [tool.setuptools] packages"
