"""The journal's index (grader/batch/journal_index.py): a rerun reads the index and parses only
the lines added after it, gives the same entries as parsing every line, and falls back to
parsing every line when the index no longer holds."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from courses import course, right
from test_batch import age, outputs, submit

from grader.batch import journal as jr
from grader.batch import journal_index as ix
from grader.batch import run as batch

POSSIBLE = 28.0


def _load(out: Path, index: bool = True) -> dict[str, jr.Saved]:
    """The journal read back, with its index or (index=False) by parsing every line."""
    cache = out / ".cache"
    if not index:
        saved = cache / "journal.index.saved"
        os.replace(cache / ix.FILE, saved)
        try:
            return jr.Journal(cache).load(lambda s: POSSIBLE)
        finally:
            os.replace(saved, cache / ix.FILE)
    return jr.Journal(cache).load(lambda s: POSSIBLE)


def _same(a: dict[str, jr.Saved], b: dict[str, jr.Saved]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert a[name].entry == b[name].entry
        assert (a[name].result, a[name].feedback) == (b[name].result, b[name].feedback)


def _counting(monkeypatch) -> list:
    """Count the journal lines parsed (json.loads of a line)."""
    parsed: list = []
    real = json.loads

    def loads(s, *a, **k):
        if (s[:8] if isinstance(s, bytes) else s[:8].encode()) == b'{"name":':
            parsed.append(s)
        return real(s, *a, **k)

    monkeypatch.setattr(json, "loads", loads)
    return parsed


@pytest.fixture
def graded(tmp_path):
    key, subs, vs = course(tmp_path, 5)
    submit(subs, vs, blank_every=3)
    out = tmp_path / "out"
    batch.grade_batch(str(key), [str(subs)], str(out), jobs=1)
    return key, subs, vs, out


def test_the_index_gives_what_parsing_every_line_gives(graded, monkeypatch):
    key, subs, vs, out = graded
    assert (out / ".cache" / ix.FILE).exists()
    full = _load(out, index=False)
    parsed = _counting(monkeypatch)
    indexed = _load(out)
    assert parsed == []  # no journal line parsed: the entries came from the index
    assert len(indexed) == 5 and all(s.where is not None for s in indexed.values())
    assert all(s.intact() for s in indexed.values())  # each line's outputs read from its place
    assert len(parsed) == 5
    _same(indexed, full)


def test_a_rerun_parses_only_the_lines_of_the_files_that_changed(graded, monkeypatch):
    key, subs, vs, out = graded
    before = outputs(out)
    sid = sorted(vs)[1]
    path = subs / f"{sid}.ipynb"
    path.write_text(right(vs[sid]) + " ")
    age(path, 600)
    parsed = _counting(monkeypatch)
    again = batch.grade_batch(str(key), [str(subs)], str(out), jobs=1)
    assert (again.regraded, again.reused) == (1, 4)
    assert parsed == []  # the changed file's line is this run's own entry: nothing parsed
    monkeypatch.undo()
    assert outputs(out) == before
    _same(_load(out), _load(out, index=False))


def test_lines_added_after_the_index_are_read(graded):
    """A run killed before it wrote its index left lines after it: they are parsed, and the
    latest line of a name wins."""
    key, subs, vs, out = graded
    full = _load(out)
    name, old = next(iter(full.items()))
    newer = jr.Entry(name, old.entry.identity, old.entry.mtime, old.entry.graded_at + 1, "", old.entry.row)
    journal = jr.Journal(out / ".cache")
    journal.append(newer, json.dumps(old.result), "# newer feedback")
    journal.close()
    found = _load(out)
    assert found[name].entry == newer and found[name].feedback == "# newer feedback"
    _same(found, _load(out, index=False))


@pytest.mark.parametrize("damage", [
    "segment cut", "segment gone", "index garbage", "index of another format"])
def test_an_index_that_no_longer_holds_is_ignored(graded, damage):
    key, subs, vs, out = graded
    cache = out / ".cache"
    [seg] = sorted(cache.glob("journal-*.jsonl"))
    if damage == "segment cut":
        data = seg.read_bytes()
        seg.write_bytes(data[: data.rindex(b"\n", 0, len(data) - 1) + 1])  # the last line gone
    elif damage == "segment gone":
        seg.unlink()
    elif damage == "index garbage":
        (cache / ix.FILE).write_text("{not json")
    else:
        doc = json.loads((cache / ix.FILE).read_text())
        doc["format"] = "2"
        (cache / ix.FILE).write_text(json.dumps(doc))
    _same(_load(out), _load(out, index=False))
    expected = {"segment cut": 4, "segment gone": 0}.get(damage, 5)
    assert len(_load(out)) == expected
    again = batch.grade_batch(str(key), [str(subs)], str(out), jobs=1)
    assert (again.regraded, again.reused) == (5 - expected, expected)


def test_a_line_that_can_no_longer_be_read_is_graded_again(graded):
    """A winner whose outputs must be written again from its line, when the line is not where
    the index says, is graded again (never an output without its result)."""
    key, subs, vs, out = graded
    before = outputs(out)
    sid = sorted(vs)[2]
    (out / "feedback" / f"{sid}.md").unlink()  # its outputs must come back from the journal
    cache = out / ".cache"
    [seg] = sorted(cache.glob("journal-*.jsonl"))
    data = seg.read_bytes()
    doc = json.loads((cache / ix.FILE).read_text())
    [row] = [r for r in doc["entries"] if r[7] == sid]
    offset, length = row[-2], row[-1]
    seg.write_bytes(data[:offset] + b"x" * length + data[offset + length:])  # same size: the index holds
    batch.grade_batch(str(key), [str(subs)], str(out), jobs=1)
    assert outputs(out) == before  # (graded again by the batch's assembly: its feedback is back)
    found = {s.entry.student: s for s in _load(out).values()}
    assert found[sid].intact() and found[sid].feedback.startswith("# Feedback")


def test_compaction_copies_the_lines_and_indexes_them(tmp_path):
    key, subs, vs = course(tmp_path, 2)
    out = tmp_path / "out"
    for n in range(12):
        for sid, v in vs.items():
            (subs / f"{sid}.ipynb").write_text(right(v) + " " * n)
        batch.grade_batch(str(key), [str(subs)], str(out), jobs=1)
    cache = out / ".cache"
    doc = json.loads((cache / ix.FILE).read_text())
    segments = sorted(p.name for p in cache.glob("journal-*.jsonl"))
    assert set(doc["segments"]) <= set(segments)
    found = _load(out)
    assert len(found) == 2
    _same(found, _load(out, index=False))
    # a compaction from scratch: one segment, indexed, the same entries
    journal = jr.Journal(cache)
    journal.compact(journal.load(lambda s: POSSIBLE))
    [seg] = cache.glob("journal-*.jsonl")
    assert json.loads((cache / ix.FILE).read_text())["segments"] == {seg.name: seg.stat().st_size}
    _same(_load(out), found)


def test_an_unchanged_rerun_does_not_rewrite_the_index(graded):
    key, subs, vs, out = graded
    (out / ".cache" / "rerun.json").unlink()  # (the slow path: the journal is read)
    index = out / ".cache" / ix.FILE
    stamp = index.stat().st_mtime_ns
    again = batch.grade_batch(str(key), [str(subs)], str(out), jobs=1)
    assert (again.regraded, again.reused) == (0, 5)
    assert index.stat().st_mtime_ns == stamp
