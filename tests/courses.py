"""A small course for the batch tests: a key for n students of 2-2-1-threshold, an empty
submissions folder, and notebooks filled in right or left blank."""

from __future__ import annotations

import json
from pathlib import Path

from grader.batch.demo_class import fill
from grader.family import load_family
from grader.generator import generate_variants
from grader.key import key_document
from grader.render.notebook import notebook_handout
from grader.roster import numbered_roster

SECRET = b"test secret"


def course(tmp_path: Path, n: int):
    """(key.json path, submissions folder, variants by student)"""
    family = load_family("2-2-1-threshold")
    variants = generate_variants(family, numbered_roster(n), SECRET, "hw1", 1)
    key = tmp_path / "key.json"
    key.write_text(json.dumps(key_document(variants, family, "hw1")))
    subs = tmp_path / "subs"
    subs.mkdir()
    return key, subs, {v.student: v for v in variants}


def right(v) -> str:
    """The variant's notebook with every answer exact."""
    trace = v.trace()
    return fill(notebook_handout(v), {q: repr(trace.value(q)) for q in v.asked})


def blank(v) -> str:
    """The variant's notebook as handed out."""
    return fill(notebook_handout(v), {})
