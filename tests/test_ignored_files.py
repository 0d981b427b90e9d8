"""Files under the submissions' folders that are not graded (only .ipynb and .toml are): a student
who handed in the PDF or an HTML export of the notebook was ``missing`` without a word why. The
summary names every such file (printed, summary.md, summary.json, the report page); hidden files and
notebook checkpoints are not submissions and are not named."""

from __future__ import annotations

import json

from click.testing import CliRunner
from courses import course, right
from test_batch import age

from grader.batch import run as batch
from grader.cli import cli


def _class(tmp_path):
    key, subs, vs = course(tmp_path, 4)
    ids = sorted(vs)
    for sid in ids[:2]:
        (subs / f"{sid}.ipynb").write_text(right(vs[sid]))
    (subs / f"{ids[2]}.pdf").write_bytes(b"%PDF-1.7 the handout, printed")  # (instead of the notebook)
    (subs / "late").mkdir()
    (subs / "late" / f"{ids[3]}.html").write_text("<html>an export of the notebook</html>")
    (subs / ".DS_Store").write_bytes(b"\0")  # hidden: not a submission
    (subs / ".ipynb_checkpoints").mkdir()
    (subs / ".ipynb_checkpoints" / f"{ids[0]}-checkpoint.ipynb").write_text(right(vs[ids[0]]))
    return key, subs, ids


def test_files_not_graded_are_named_in_every_view(tmp_path):
    key, subs, ids = _class(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["grade", str(key), str(subs), "--out", str(out), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    pdf, html = str(subs / f"{ids[2]}.pdf"), str(subs / "late" / f"{ids[3]}.html")
    assert (f"Not graded (only .ipynb and .toml files are): 2 files: {html}, {pdf} (all in summary.md)\n"
            in result.output)
    assert "DS_Store" not in result.output and "checkpoint" not in result.output
    data = json.loads((out / "summary.json").read_text())
    assert data["ignored"] == [html, pdf]
    assert {r["student"]: r["status"] for r in data["table"]}[ids[2]] == "missing"
    md = (out / "summary.md").read_text()
    assert f"- late/{ids[3]}.html\n- {ids[2]}.pdf\n" in md  # (named from the submissions' folder)
    page = (out / "report.html").read_text()
    assert f"<li><code>late/{ids[3]}.html</code></li>" in page


def test_a_rerun_sees_a_file_not_graded_added_since(tmp_path):
    key, subs, ids = _class(tmp_path)
    out = tmp_path / "out"
    first = batch.grade_batch(str(key), [str(subs)], str(out), jobs=1)
    again = batch.grade_batch(str(key), [str(subs)], str(out), jobs=1)
    assert again.summary == first.summary.replace("(2 graded now, 0 unchanged", "(0 graded now, 2 unchanged")
    (subs / f"{ids[1]}.docx").write_bytes(b"PK")
    age(subs / f"{ids[1]}.docx", 10)
    third = batch.grade_batch(str(key), [str(subs)], str(out), jobs=1)
    assert "Not graded (only .ipynb and .toml files are): 3 files:" in third.summary
    listed = json.loads((out / "summary.json").read_text())["ignored"]
    assert any(f.endswith(f"{ids[1]}.docx") for f in listed)
    assert third.class_summary.ignored == tuple(listed)


def test_a_hostile_name_of_a_file_not_graded_stays_text(tmp_path):
    key, subs, vs = course(tmp_path, 1)
    (subs / "[click](http:evil) <b>x<b> \x1b]0;pwned\x07.txt").write_text("")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["grade", str(key), str(subs), "--out", str(out), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\\x1b]0;pwned\\x07" in result.output
    md = (out / "summary.md").read_text()
    assert "\\[click\\](http:evil) \\<b>x\\<b>" in md
    assert "<code>[click](http:evil) &lt;b&gt;x&lt;b&gt; " in (out / "report.html").read_text()
