"""What the tests of the platforms' downloads (Canvas's, Moodle's, Gradescope's) share: a key made
from a roster as the platform exports it, ``backprop grade`` run as a command, the gradebook read
back, a file put where the download puts it."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner, Result
from courses import SECRET

from grader.cli import cli
from grader.family import load_family
from grader.generator import generate_variants
from grader.key import key_document
from grader.roster import read_roster


def key_from_roster(tmp_path: Path, roster: Path) -> tuple[Path, dict]:
    """(key.json of hw3 of 2-2-1-threshold for the students of ``roster``, their variants by id)"""
    family = load_family("2-2-1-threshold")
    variants = {v.student: v for v in generate_variants(family, read_roster(roster), SECRET, "hw3", 1)}
    key = tmp_path / "key.json"
    key.write_text(json.dumps(key_document(list(variants.values()), family, "hw3")))
    return key, variants


def grade(*args: str, jobs: str = "1") -> Result:
    return CliRunner().invoke(cli, ["grade", *args, "--jobs", jobs])


def gradebook(out: Path) -> dict[str, tuple[str, str]]:
    """student -> (status, score) of OUT's gradebook.csv"""
    rows = list(csv.reader(io.StringIO((out / "gradebook.csv").read_text())))
    return {r[0]: (r[3], r[1]) for r in rows[1:]}


def put(folder: Path, relative: str, text: str) -> None:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
