"""What the handouts tell students to install (grader/checker.py, grader/wheel.py).

The handouts used to say ``pip install backprop-grader``, a name nobody had published: anyone
could publish a package of that name and every student following the handout would run it. Does
every handout of every format now name what the instructor hands out (by default this package's
wheel, written into OUT/checker/), or exactly what ``--checker`` says, and never the bare name?
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader import __version__
from grader.cli import cli

ROOT = Path(__file__).resolve().parent.parent
WHEEL = f"backprop_grader-{__version__}-py3-none-any.whl"
UNPUBLISHED = "pip install backprop-grader"
URL = "https://courses.example.edu/nn101/backprop_grader-0.1.0-py3-none-any.whl"
ALL = "toml,md,ipynb,pdf"


@pytest.fixture
def gen(runner, tmp_path):
    """``backprop generate chain --count 2 ARGS... --secret-file S`` through the CLI runner."""

    def run(*args: str, family: str = "chain", count: str = "2"):
        return runner.invoke(cli, ["generate", family, "--count", count, *args, "--secret-file",
                                   str(tmp_path / "secret")])

    return run


def texts(handouts: Path) -> dict[str, str]:
    """Every handout's text by file name: TOML and Markdown as written, each notebook cell by
    cell (``student01.ipynb#selfcheck.md``, ``#selfcheck.py``: the two self-check cells), each PDF
    as pypdf reads it."""
    import pypdf

    found: dict[str, str] = {}
    for path in sorted(handouts.iterdir()):
        if path.suffix in (".toml", ".md"):
            found[path.name] = path.read_text(encoding="utf-8")
        elif path.suffix == ".ipynb":
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            found[path.name] = "\n".join("".join(c["source"]) for c in cells)
            code = next(c for c in cells if "selfcheck" in c["metadata"].get("tags", []))
            found[f"{path.name}#selfcheck.py"] = "".join(code["source"])
            found[f"{path.name}#selfcheck.md"] = "".join(cells[cells.index(code) - 1]["source"])
        elif path.suffix == ".pdf":
            found[path.name] = "".join(p.extract_text() for p in pypdf.PdfReader(path).pages)
    return found


def test_by_default_every_handout_names_the_wheel_written_beside_them(gen, tmp_path):
    out = tmp_path / "hw"
    result = gen("--format", ALL, "--combined", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (out / "checker").iterdir()) == sorted([WHEEL, "install.txt"])
    assert (out / "checker" / "install.txt").read_text() == f"pip install {WHEEL}\n"
    assert f"Checker: the handouts say pip install {WHEEL}: hand out {out}/checker/{WHEEL} with them\n" \
        in result.output
    found = texts(out / "handouts")
    assert len(found) == 2 * 6 + 1  # toml, md, notebook (and its two cells), pdf; and class.pdf
    for name, text in found.items():
        assert f"pip install {WHEEL}" in text, name
        assert UNPUBLISHED not in text, name
    for name in ("student01.toml", "student01.md", "student01.ipynb#selfcheck.md", "student01.pdf"):
        assert "the file handed out with this" in " ".join(found[name].split()), name


@pytest.mark.parametrize("formats", ["toml,md", "md,ipynb", "pdf", "ipynb"])
def test_no_handout_names_the_unpublished_package_unless_told(gen, tmp_path, formats):
    """Without --checker, in every format; with ``--checker backprop-grader==0.1.0`` (the
    instructor knows it is the real one), exactly that."""
    plain = gen("--format", formats, "--out", str(tmp_path / "plain"))
    told = gen("--format", formats, "--out", str(tmp_path / "told"), "--checker", "backprop-grader==0.1.0")
    assert plain.exit_code == 0 and told.exit_code == 0, plain.output + told.output
    for name, text in texts(tmp_path / "plain" / "handouts").items():
        assert UNPUBLISHED not in text, name
    for name, text in texts(tmp_path / "told" / "handouts").items():
        assert "pip install backprop-grader==0.1.0" in text, name
        assert WHEEL not in text, name


def test_a_checker_url_is_shown_verbatim_in_every_format_and_no_wheel_is_written(gen, tmp_path):
    out = tmp_path / "hw"
    result = gen("--format", ALL, "--combined", "--out", str(out), "--checker", URL)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (out / "checker").iterdir()) == ["install.txt"]
    assert (out / "checker" / "install.txt").read_text() == f"pip install {URL}\n"
    assert f"Checker: the handouts say pip install {URL}\n" in result.output
    found = texts(out / "handouts")
    assert len(found) == 2 * 6 + 1
    for name, text in found.items():
        assert f"pip install {URL}" in text, name
        assert "handed out with this" not in text and UNPUBLISHED not in text, name


@pytest.mark.parametrize("spec", [None, URL, "backprop-grader==0.1.0", "../wheels/x.whl"])
def test_the_self_check_cell_reads_as_nothing_whatever_checker_it_names(spec):
    """The readers know the self-check cell as handed out (grader/notebooks/plain.py): with any
    checker line it is still read fast, as binding no answer."""
    from grader.checker import Checker
    from grader.family import load_family
    from grader.generator import generate_variants
    from grader.notebooks.plain import plain_rows
    from grader.render.notebook import notebook_handout
    from grader.roster import numbered_roster

    v = generate_variants(load_family("chain"), numbered_roster(1), b"s", "hw", 1)[0]
    cells = json.loads(notebook_handout(v, Checker(spec) if spec else None))["cells"]
    code = next(c for c in cells if "selfcheck" in c["metadata"].get("tags", []))
    assert plain_rows("".join(code["source"])) == []


def test_the_key_and_the_problems_do_not_depend_on_the_checker(gen, tmp_path):
    """Grading reads nothing of it: the same roster gives the same key, byte for byte."""
    assert gen("--out", str(tmp_path / "a")).exit_code == 0
    assert gen("--out", str(tmp_path / "b"), "--checker", URL).exit_code == 0
    assert (tmp_path / "a" / "key.json").read_bytes() == (tmp_path / "b" / "key.json").read_bytes()


@pytest.mark.parametrize("value, message", [
    ("", "--checker: is empty; give what students install: the URL of the wheel, a path, or a requirement "
         "such as backprop-grader==0.1.0"),
    ("backprop-grader>=0.1", "--checker: 'backprop-grader>=0.1' holds '>', which a shell reads as a "
                             "redirection (pin the version with ==: backprop-grader==0.1.0); give one URL, "
                             "path or requirement made of letters, digits and . _ - ~ : / @ % + = , #"),
    ("my wheels/x.whl", "--checker: 'my wheels/x.whl' holds a space (give one URL, path or requirement; a "
                        "path without spaces); give one URL, path or requirement made of letters, digits "
                        "and . _ - ~ : / @ % + = , #"),
    ("x.whl; rm -rf ~", "--checker: 'x.whl; rm -rf ~' holds ';', which a shell or a handout would not show "
                        "as written; give one URL, path or requirement made of letters, digits and . _ - ~ "
                        ": / @ % + = , #"),
    ("https://x.org/a.whl\nrm -rf ~", "--checker: 'https://x.org/a.whl\\nrm -rf ~' holds the control "
                                       "character '\\n'; give one URL, path or requirement made of letters, "
                                       "digits and . _ - ~ : / @ % + = , #"),
    ("C:\\wheels\\x.whl", "--checker: 'C:\\\\wheels\\\\x.whl' holds a backslash, which a shell reads as an "
                          "escape (write the path with /); give one URL, path or requirement made of "
                          "letters, digits and . _ - ~ : / @ % + = , #"),
    ("--index-url=https://evil.example", "--checker: '--index-url=https://evil.example' starts with '-', "
                                         "which pip or a shell would not read as what to install; give a "
                                         "URL, a path or a requirement"),
    ("a" * 301, "--checker: is 301 characters long; give a URL, a path or a requirement of at most 300"),
], ids=["empty", "greater-than", "space", "semicolon", "newline", "backslash", "option", "long"])
def test_a_bad_checker_is_one_line_and_nothing_is_written(gen, tmp_path, value, message):
    out = tmp_path / "hw"
    result = gen("--out", str(out), "--checker", value)
    assert result.exit_code == 2
    assert result.output == f"Error: {message}\n"
    assert not out.exists()


def test_a_second_generate_reuses_the_wheel_and_late_students_get_their_class_s_line(gen, tmp_path):
    out = tmp_path / "hw"
    assert gen("--out", str(out)).exit_code == 0
    wheel = out / "checker" / WHEEL
    # a wheel of this version made another way (the same files installed): reused as it is by
    # --force, kept by --add (one that installs anything else: tests/test_attack_dec6.py)
    marked = tmp_path / "marked.whl"
    shutil.copy(wheel, marked)
    with zipfile.ZipFile(marked, "a") as z:
        z.writestr(f"backprop_grader-{__version__}.dist-info/made-elsewhere.txt", "reused, not built again\n")
    shutil.copy(marked, wheel)
    assert gen("--out", str(out), "--force", "--format", "toml,ipynb").exit_code == 0
    assert wheel.read_bytes() == marked.read_bytes()
    assert gen("--out", str(out), "--add", count="3").exit_code == 0
    assert wheel.read_bytes() == marked.read_bytes()
    assert f"pip install {WHEEL}" in (out / "handouts" / "student03.ipynb").read_text()
    # a class told to install from a URL: its late students are told the same
    other = tmp_path / "other"
    assert gen("--out", str(other), "--checker", URL).exit_code == 0
    result = gen("--out", str(other), "--add", count="3")
    assert result.exit_code == 0, result.output
    assert f"pip install {URL}" in (other / "handouts" / "student03.md").read_text()
    assert sorted(p.name for p in (other / "checker").iterdir()) == ["install.txt"]


def test_where_no_wheel_can_be_made_the_handouts_still_name_no_package(tmp_path):
    """A copy of the package that is neither a checkout (no pyproject.toml) nor a plain install
    (this environment's install is editable): generate writes the handouts all the same, says
    so in one warning line naming --checker, and the handouts name the wheel's file, which pip
    looks for on disk, never on PyPI."""
    copy = tmp_path / "copy"
    for part in ("grader", "templates", "problems"):
        shutil.copytree(ROOT / part, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path / "hw"
    env = {**os.environ, "PYTHONPATH": str(copy)}
    done = subprocess.run([sys.executable, "-m", "grader", "generate", "chain", "--count", "1", "--format",
                           "toml,ipynb", "--out", str(out), "--secret-file", str(tmp_path / "secret")],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    warning = done.stderr.splitlines()
    assert len(warning) == 1 and warning[0].startswith("Warning: the checker's wheel was not made (")
    assert f"students to pip install {WHEEL}, a file for you to hand out" in warning[0]
    assert "--checker" in warning[0]
    assert f"Checker: the handouts say pip install {WHEEL}: no such file was made (see the warning)\n" \
        in done.stdout
    assert sorted(p.name for p in (out / "checker").iterdir()) == ["install.txt"]
    for name, text in texts(out / "handouts").items():
        assert f"pip install {WHEEL}" in text and UNPUBLISHED not in text, name


@pytest.mark.slow
def test_the_wheel_handed_out_installs_and_checks_a_handout(gen, tmp_path):
    """``pip install --no-deps --target`` takes the wheel generate wrote; from there (not from
    this checkout) ``grader`` imports and ``backprop check`` checks a generated handout."""
    out = tmp_path / "hw"
    assert gen("--out", str(out), "--format", "toml").exit_code == 0
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--disable-pip-version-check", "--target", str(target), str(out / "checker" / WHEEL)],
                   check=True, timeout=300)
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run([sys.executable, "-c", "import grader.resources as r; print(r.templates_dir())"],
                           capture_output=True, text=True, cwd=tmp_path, env=env, check=True).stdout
    assert where.strip() == str(target / "grader" / "templates")
    handout = out / "handouts" / "student01.toml"
    text = handout.read_text().replace('p_A = ""', "p_A = 0.5", 1)
    handout.write_text(text)
    assert (target / "bin" / "backprop").is_file()  # (the console script, with the package)
    check = subprocess.run([sys.executable, "-m", "grader", "check", str(handout)],
                           capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert check.returncode == 1, check.stderr  # (it ran, and found answers wrong or missing)
    assert check.stdout.startswith("Check of student01\n")
    assert "p_A" in check.stdout and "Score: " in check.stdout


@pytest.mark.slow
def test_the_wheel_zipped_here_is_the_one_pip_wheel_builds(tmp_path):
    """The oracle of grader/wheel.py: ``pip wheel`` (setuptools, as pyproject.toml asks) of the
    same sources gives the same files and the same metadata."""
    from grader.wheel import wheel_from_checkout

    src = tmp_path / "src"
    for part in ("grader", "problems", "templates"):
        shutil.copytree(ROOT / part, src / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for part in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / part, src / part)
    (tmp_path / "ours").mkdir()
    ours = wheel_from_checkout(src, tmp_path / "ours")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "wheel", "--quiet", "--no-deps", "-w", str(tmp_path / "pips"), str(src)],
                   check=True, timeout=600)
    pips = tmp_path / "pips" / ours.name  # (the same file name too)
    with zipfile.ZipFile(ours) as a, zipfile.ZipFile(pips) as b:
        assert sorted(a.namelist()) == sorted(b.namelist())
        info = f"backprop_grader-{__version__}.dist-info"
        for name in ("METADATA", "entry_points.txt", "top_level.txt"):
            assert a.read(f"{info}/{name}") == b.read(f"{info}/{name}"), name
        for name in a.namelist():
            if ".dist-info/" not in name:
                assert a.read(name) == b.read(name), name
        assert b"Root-Is-Purelib: true\nTag: py3-none-any\n" in b.read(f"{info}/WHEEL")
        assert b"Root-Is-Purelib: true\nTag: py3-none-any\n" in a.read(f"{info}/WHEEL")


def test_the_wheel_is_the_same_bytes_every_time(tmp_path):
    from grader.wheel import build_wheel

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = build_wheel(tmp_path / "a"), build_wheel(tmp_path / "b")
    assert first.name == second.name == WHEEL
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as z:
        assert z.testzip() is None
        names = z.namelist()
    assert {"grader/selfcheck.py", "grader/templates/notebook_selfcheck.py.j2",
            "grader/problems/xor.toml", f"backprop_grader-{__version__}.dist-info/RECORD"} <= set(names)
    assert names[-1].endswith(".dist-info/RECORD")
