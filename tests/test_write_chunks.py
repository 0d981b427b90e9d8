"""Class files written in chunks (grader.files.write_atomic of chunks): the same bytes as the text
made whole, and a file whose content did not change is left alone."""

from __future__ import annotations

import os

from courses import course
from test_batch import submit

from grader.batch import run as batch
from grader.files import write_atomic
from grader.render.class_report import json_chunks, summary_json


def test_summary_json_in_chunks_is_summary_json(tmp_path):
    key, subs, vs = course(tmp_path, 4)
    submit(subs, vs, blank_every=2)
    out = tmp_path / "out"
    outcome = batch.grade_batch(str(key), [str(subs)], str(out), jobs=1)
    text = summary_json(outcome.class_summary)
    assert "".join(json_chunks(outcome.class_summary)) == text
    assert (out / "summary.json").read_text() == text


def test_chunks_are_written_only_where_they_changed(tmp_path):
    path = tmp_path / "f.txt"
    write_atomic(str(path), iter(["a" * 70000, "\u00e9", "b"]), unless_same=True)
    assert path.read_text() == "a" * 70000 + "\u00e9b"
    os.utime(path, ns=(1, 1))
    write_atomic(str(path), iter(["a" * 70000 + "\u00e9", "b"]), unless_same=True)
    assert path.stat().st_mtime_ns == 1  # the same bytes: left alone
    write_atomic(str(path), iter(["c"]), unless_same=True)
    assert path.read_text() == "c" and sorted(p.name for p in tmp_path.iterdir()) == ["f.txt"]
    write_atomic(str(tmp_path / "p"), iter(["x"]), private=True)
    assert (tmp_path / "p").stat().st_mode & 0o777 == 0o600
