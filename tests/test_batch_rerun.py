"""Reruns that cost nothing (issue 15, item 3): a rerun with nothing changed writes nothing,
draws nothing and renders nothing; a change anywhere is still seen."""

from __future__ import annotations

import builtins
import os

import pytest
from courses import blank, course
from test_batch import age, outputs, submit

from grader.batch import run as batch
from grader.batch import snapshot


def _no_writing(monkeypatch) -> list[str]:
    """Make every drawing, rendering and opening for writing fail; returns what was tried."""
    tried: list[str] = []

    def fail(what):
        def f(*a, **k):
            tried.append(what)
            raise AssertionError(f"{what} called in a rerun with nothing changed")
        return f

    import grader.render.class_report as class_report
    import grader.render.svg as svg
    from grader import files
    from grader.batch import assemble, summary_files, worker
    from grader.batch import outputs as outs

    monkeypatch.setattr(svg, "net_svg", fail("net_svg"))
    for page in ("report_html", "summary_md", "report_html_chunks", "summary_md_chunks"):
        monkeypatch.setattr(class_report, page, fail(page))
    monkeypatch.setattr(worker, "grade_file", fail("grade_file"))
    for mod in (files, outs, assemble, summary_files, worker):
        if hasattr(mod, "write_atomic"):
            monkeypatch.setattr(mod, "write_atomic", fail("write_atomic"))
    real_open, real_osopen = builtins.open, os.open

    def guarded_open(file, mode="r", *a, **k):
        if any(c in mode for c in "wax+"):
            tried.append(f"open {file} {mode}")
        return real_open(file, mode, *a, **k)

    def guarded_osopen(path, flags, *a, **k):
        if flags & (os.O_WRONLY | os.O_RDWR) and not str(path).endswith("lock"):
            tried.append(f"os.open {path}")
        return real_osopen(path, flags, *a, **k)

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(os, "open", guarded_osopen)
    return tried


def test_a_rerun_with_nothing_changed_writes_and_renders_nothing(tmp_path, monkeypatch):
    key, subs, vs = course(tmp_path, 6)
    submit(subs, vs, blank_every=3)
    out = tmp_path / "out"
    first = batch.grade_batch(str(key), [str(subs)], str(out), jobs=1, report=True)
    before = outputs(out)
    with monkeypatch.context() as m:
        tried = _no_writing(m)
        again = batch.grade_batch(str(key), [str(subs)], str(out), jobs=1, report=True)
        assert tried == []
    assert (again.regraded, again.reused) == (0, 6)
    assert outputs(out) == before
    # the rows and the class summary, read when asked for, are the first run's
    assert again.rows == first.rows
    assert again.class_summary == first.class_summary
    assert again.summary.replace("0 graded now, 6 unchanged", "6 graded now, 0 unchanged") == first.summary


def test_the_slow_path_also_renders_nothing_when_nothing_changed(tmp_path, monkeypatch):
    """Without the shortcut (its record removed), reused students are not redrawn, and the
    class files are not rendered again."""
    key, subs, vs = course(tmp_path, 4)
    submit(subs, vs)
    out = tmp_path / "out"
    batch.grade_batch(str(key), [str(subs)], str(out), jobs=1, report=True)
    before = outputs(out)
    snapshot.forget(str(out))
    with monkeypatch.context() as m:
        import grader.render.class_report as class_report
        import grader.render.svg as svg

        m.setattr(svg, "net_svg", lambda *a, **k: pytest.fail("redrawn"))
        m.setattr(class_report, "report_html_chunks", lambda *a, **k: pytest.fail("rendered"))
        again = batch.grade_batch(str(key), [str(subs)], str(out), jobs=1, report=True)
    assert (again.regraded, again.reused) == (0, 4)
    assert outputs(out) == before
    assert snapshot.exists(str(out))  # written again: the next rerun takes the shortcut


@pytest.mark.parametrize("change", ["edit", "new file", "removed file", "output touched", "option"])
def test_a_change_is_seen(tmp_path, change):
    key, subs, vs = course(tmp_path, 4)
    submit(subs, vs)
    out = tmp_path / "out"
    batch.grade_batch(str(key), [str(subs)], str(out), jobs=1)
    ids = sorted(vs)
    ecf = batch.Options()
    if change == "edit":
        (subs / f"{ids[0]}.ipynb").write_text(blank(vs[ids[0]]))
        age(subs / f"{ids[0]}.ipynb", 10)
    elif change == "new file":
        (subs / f"{ids[1]}.late.ipynb").write_text(blank(vs[ids[1]]))
        age(subs / f"{ids[1]}.late.ipynb", 10)
    elif change == "removed file":
        (subs / f"{ids[2]}.ipynb").unlink()
    elif change == "output touched":
        (out / "feedback" / f"{ids[3]}.md").write_text("edited by hand\n")
    else:
        ecf = batch.Options(ecf_credit=0.5)
    again = batch.grade_batch(str(key), [str(subs)], str(out), jobs=1, options=ecf)
    # the same outputs as a cold run of the same files into a new folder
    cold = tmp_path / "cold"
    batch.grade_batch(str(key), [str(subs)], str(cold), jobs=1, options=ecf)
    assert outputs(out) == outputs(cold)
    if change == "edit":
        assert again.regraded == 1
        assert next(r for r in again.rows if r.student == ids[0]).score == 0
    if change == "removed file":
        assert next(r for r in again.rows if r.student == ids[2]).status == "missing"


def test_a_run_killed_after_grading_leaves_no_shortcut(tmp_path, monkeypatch):
    """A run that grades anything removes the record first. Here an older second file of a
    student is graded (its worker writes that student's outputs) and the run dies before the
    winner's are written back: the next run takes no shortcut and leaves the cold run's outputs."""
    key, subs, vs = course(tmp_path, 3)
    submit(subs, vs)
    out = tmp_path / "out"
    batch.grade_batch(str(key), [str(subs)], str(out), jobs=1)
    sid = sorted(vs)[0]
    older = subs / f"{sid}.old.ipynb"
    older.write_text(blank(vs[sid]))
    age(older, 7200)  # older than the winner: not the one used
    with monkeypatch.context() as m:
        m.setattr(batch, "assemble", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()))
        with pytest.raises(KeyboardInterrupt):
            batch.grade_batch(str(key), [str(subs)], str(out), jobs=1)
    assert not snapshot.exists(str(out))
    again = batch.grade_batch(str(key), [str(subs)], str(out), jobs=1)
    assert again.regraded == 0
    cold = tmp_path / "cold"
    batch.grade_batch(str(key), [str(subs)], str(cold), jobs=1)
    assert outputs(out) == outputs(cold)
    assert next(r for r in again.rows if r.student == sid).status == "graded"


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 10_000])
def test_the_records_lists_are_written_in_pieces_that_read_back_whole(n):
    import json

    items = [[f"s{k}", k, None] for k in range(n)]
    assert json.loads("".join(snapshot._json_list(iter(items), size=8))) == items
