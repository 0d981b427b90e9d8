"""The classes of ``bench/bench_scale.py``: a key of N students and a notebook answered by each,
fast enough for N = 100,000 (about 2 to 3 minutes on two cores, instead of about 10 minutes).

The key is the generator's own: ``generate_variants`` (its parallel path, the same variants as
one process gives) and ``key_document``, as ``backprop generate`` writes them. Each notebook is
the student's handout (``build_notebook``) answered right (every third one rounded to 4 places),
made with two shortcuts that leave its bytes as they were:

- nbformat's schema validation of every cell and notebook is skipped (about 70% of the time
  of a handout; the handout it checks is built by the same code either way);
- the answers are written into the notebook's text (each ``<id> = ...`` line of an answer cell,
  and every other character escaped as ``json.dumps`` does) instead of loading the JSON and
  writing it again (:func:`grader.batch.demo_class.fill`).

Both are checked: the notebooks of one student in :data:`CHECK_EVERY` (and of the first three)
are made again the slow way, ``fill(notebook_handout(v), values)``, and must be the same text,
byte for byte, or the class is not made. The notebooks are written by a pool of processes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

FAMILY = "2-2-1-threshold"
SECRET, ASSIGNMENT = b"bench", "bench"
#: one student in this many has their notebook made again the slow way and compared
CHECK_EVERY = 997
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_ANSWER = re.compile(r'(?:(?<=\\n)|(?<=": "))([A-Za-z_][A-Za-z0-9_]*) = \.\.\.(?=(?:\\n|"))')


def values_of(i: int, variant: Any) -> dict[str, str]:
    """The answers of the i-th student: right, every third rounded to 4 places."""
    trace = variant.trace()
    return {q: f"{trace.value(q):.4f}" if i % 3 else repr(trace.value(q)) for q in variant.asked}


def _fast_handout(variant: Any) -> str:
    """``notebook_handout(variant)`` without nbformat's schema validation (see the module)."""
    import nbformat
    from nbformat.v4 import nbbase

    from grader.render import notebook

    saved = nbformat.validate, nbbase.validate
    nbformat.validate = nbbase.validate = _no_validation
    try:
        return notebook.notebook_handout(variant)
    finally:
        nbformat.validate, nbbase.validate = saved


def _no_validation(*_: Any, **__: Any) -> None:
    return None


def fast_notebook(i: int, variant: Any) -> str:
    """The i-th student's notebook, answered (see the module)."""
    text = _fast_handout(variant)
    values = values_of(i, variant)
    filled = _ANSWER.sub(lambda m: f"{m.group(1)} = {values.get(m.group(1), '...')}", text)
    return _NON_ASCII.sub(lambda m: json.dumps(m.group())[1:-1], filled)  # (as fill's json.dumps writes it)


def slow_notebook(i: int, variant: Any) -> str:
    """The same notebook as the demo and ``bench_scale`` always made it."""
    from grader.batch.demo_class import fill
    from grader.render.notebook import notebook_handout

    return fill(notebook_handout(variant), values_of(i, variant))


def _write(subs: Path, old: float, work: list[tuple[int, Any]]) -> int:
    for i, v in work:
        text = fast_notebook(i, v)
        if i < 3 or i % CHECK_EVERY == 0:
            if text != slow_notebook(i, v):
                raise SystemExit(f"bench: the fast notebook of {v.student} is not fill(notebook_handout(v))")
        f = subs / f"{v.student}.ipynb"
        f.write_text(text)
        os.utime(f, (old, old))
    return len(work)


def make_class(folder: Path, count: int, jobs: int = 2) -> tuple[Path, Path]:
    """A key of ``count`` students and a notebook answered by each, in ``folder`` (made once:
    ``folder/done`` marks a finished class)."""
    key, subs = folder / "key.json", folder / "subs"
    if (folder / "done").exists():
        return key, subs
    from grader.family import load_family
    from grader.generator import generate_variants
    from grader.key import key_document
    from grader.roster import numbered_roster

    shutil.rmtree(folder, ignore_errors=True)
    subs.mkdir(parents=True)
    family = load_family(FAMILY)
    t = time.perf_counter()
    variants = generate_variants(family, numbered_roster(count), SECRET, ASSIGNMENT, jobs)
    key.write_text(json.dumps(key_document(variants, family, ASSIGNMENT)))
    drawn = time.perf_counter() - t
    old = time.time() - 3600  # submissions downloaded an hour ago
    numbered = list(enumerate(variants))
    size = max(1, min(500, count // (jobs * 8)))
    chunks = [numbered[i:i + size] for i in range(0, count, size)]
    if jobs > 1 and count >= 200:
        import multiprocessing

        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            list(pool.map(partial(_write, subs, old), chunks))
    else:
        for c in chunks:
            _write(subs, old, c)
    (folder / "done").write_text("")
    if count >= 10_000:
        took = time.perf_counter() - t - drawn
        print(f"(class of {count}: key in {drawn:.0f} s, notebooks in {took:.0f} s)", flush=True)
    return key, subs
