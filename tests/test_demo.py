"""``backprop demo``: the whole loop from a clean machine; its tampered student answers the
edited problem and is graded against the key."""

from __future__ import annotations

import json
import re

from grader.batch.demo_class import fill, run_demo
from grader.cli import cli


def _answers(notebook_text: str) -> dict[str, str]:
    """The ``<id> = <value>`` lines of a notebook's answer cells."""
    nb = json.loads(notebook_text)
    found = {}
    for cell in nb["cells"]:
        if "answer" in cell.get("metadata", {}).get("tags", []):
            src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            found.update(re.findall(r"^([A-Za-z_][A-Za-z0-9_]*) = (\S+)$", src, flags=re.M))
    return found


def test_the_tampered_student_is_graded_against_the_key(runner, tmp_path):
    """student08 edited every weight to 1 and answered that easier problem right: `check` of
    the file (against its own, edited problem) says 28 / 28, but first that the numbers were
    changed after the handout was handed out (exit status 1); the grade is the score of the same
    answers in the student's real handout, and the row says tampered."""
    files, outcome = run_demo(tmp_path / "demo", jobs=1)
    row = next(r for r in outcome.rows if r.student == "student08")
    assert row.status == "tampered"
    submitted = (files.submissions / "student08.ipynb").read_text()
    own = runner.invoke(cli, ["check", str(files.submissions / "student08.ipynb"), "--json"])
    assert json.loads(own.output)["score"] == json.loads(own.output)["max_score"] == 28
    assert own.exit_code == 1 and json.loads(own.output)["warnings"][0].startswith(
        "the numbers of the problem in this notebook were changed after it was handed out")

    honest = tmp_path / "student08.ipynb"  # the same answers in the handout as it was given
    honest.write_text(fill((files.handouts / "student08.ipynb").read_text(), _answers(submitted)))
    against_key = json.loads(runner.invoke(cli, ["check", str(honest), "--json"]).output)
    assert row.score == against_key["score"] < row.max_score == 28
    result = json.loads((files.graded / "results" / "student08.json").read_text())
    assert (result["status"], result["score"]) == ("tampered", row.score)


def test_the_demo_runs_twice_into_its_folder_and_touches_no_configuration(runner, tmp_path, config_home):
    out = tmp_path / "demo"
    for _ in range(2):
        result = runner.invoke(cli, ["demo", "--out", str(out), "--jobs", "1"])
        assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "backprop demo: notebooks for 8 students, simulated submissions, graded."
    assert lines[9].startswith("  student08  tampered ")
    assert not lines[9].startswith("  student08  tampered     28")
    assert "Status: 5 graded, 1 tampered, 1 error, 1 missing." in result.output
    assert not (config_home / "backprop").exists()  # the demo signs with its own, public secret
    assert sorted(p.name for p in (out / "handouts").iterdir()) == [f"student0{i}.ipynb" for i in range(1, 9)]
    assert oct((out / "key.json").stat().st_mode & 0o777) == "0o600"
