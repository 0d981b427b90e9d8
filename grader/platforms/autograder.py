"""The Gradescope autograder at grading time: ``python -m grader.platforms.autograder ROOT``.

Gradescope's layout under ROOT (``/autograder``; ``run_autograder`` takes another from
``BACKPROP_AUTOGRADER_ROOT``, as the tests do): ``source/`` (the zip's files: the key and
``backprop-autograder.json``, the settings chosen with ``backprop gradescope``),
``submission/`` (the student's upload), ``submission_metadata.json`` (who submitted) and
``results/results.json`` (what this writes).

The rule first:

- **Who**: the first user of ``submission_metadata.json`` whose email or SID is a student of
  the key (the key's id, or the email the roster gave; an SID of digits also without its
  leading zeros, as a JSON number loses them). The file's name says nothing.
- **What**: the one ``.ipynb`` or ``.toml`` file of the submission (hidden files and
  ``__MACOSX`` ignored), graded as the batch grades it (statically, or with ``--execute`` if the
  autograder was built so), always against the key's problem for that student.
- **Results** (Gradescope's specification): ``score``; one test per asked quantity (``name``
  the quantity's id, ``score``, ``max_score``, ``status`` ``passed`` or ``failed``, ``output`` the
  verdict and the item's message); the Markdown feedback as ``output`` with
  ``output_format: md``; ``visibility`` and ``stdout_visibility`` as the instructor chose.
- **Failures** (no file, a file of another type, several files, a student not on the key's
  roster, a tampered problem or a classmate's handout, an unreadable file, anything else that
  goes wrong) give a results.json with score 0, no tests and a message saying what to do.
- **Copies**: answers that match a classmate's variant better than the student's own
  (:mod:`grader.batch.copies`) are graded against the student's own problem, as in a
  batch; ``extra_data`` (which students do not see) has status ``copy`` and the finding.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import BackpropError

CONFIG = "backprop-autograder.json"
KEY = "key.json"
SUFFIXES = (".ipynb", ".toml")


class Refused(BackpropError):
    """A submission graded 0 with a message (``kind`` names the failure in extra_data)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def settings(root: Path) -> dict[str, Any]:
    try:
        return json.loads((root / "source" / CONFIG).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def results_for(root: Path) -> dict[str, Any]:
    """The results.json object for the submission under ``root`` (never raises)."""
    config = settings(root)
    try:
        return _graded(root, config)
    except Refused as exc:
        return failure(config, exc.kind, exc.message)
    except BackpropError as exc:
        return failure(config, "error", f"Your submission could not be graded: {exc.message}")
    except Exception as exc:  # the autograder must never crash: the student and instructor see why
        return failure(config, "crash", "The autograder failed on this submission "
                       f"({type(exc).__name__}: {exc}); tell your instructor.")


def failure(config: Mapping[str, Any], kind: str, message: str) -> dict[str, Any]:
    """A results.json graded 0 saying why; the message quotes the student's file (its name, a
    line of it), so it is made inert Markdown: Gradescope renders ``output`` for the student and
    the TAs (grader.render.inert)."""
    from ..render.inert import md_inline

    return {"score": 0, "output": md_inline(message), "output_format": "md",
            "visibility": config.get("visibility", "visible"),
            "stdout_visibility": config.get("stdout_visibility", "hidden"),
            "tests": [], "extra_data": {"status": kind}}


def find_student(users: Any, key: Any) -> str:
    """The key's student of the first submitter matched by SID or email."""
    if not isinstance(users, list) or not users:
        raise Refused("unknown", "The submission names no Gradescope user; tell your instructor.")
    by_email = {e.email.casefold(): sid for sid, e in key.students.items() if e.email}
    by_id = {sid.casefold(): sid for sid in key.students}
    # an SID may come as a JSON number (its leading zeros lost): digits match without them
    by_number = {sid.lstrip("0"): sid for sid in key.students if sid.isdigit()}
    for user in users:
        if not isinstance(user, dict):
            continue
        for field in ("sid", "email"):
            value = str(user.get(field) or "").strip().casefold()
            if value and (value in by_id or value in by_email):
                return by_id.get(value) or by_email[value]
            if field == "sid" and value.isdigit() and value.lstrip("0") in by_number:
                return by_number[value.lstrip("0")]
    who = ", ".join(f"{u.get('email') or '?'} (SID {u.get('sid') or 'none'})"
                    for u in users if isinstance(u, dict))
    raise Refused("unknown", f"Your Gradescope account, {who}, is not on this assignment's roster, so "
                  "there is no problem of yours to grade against; ask your instructor to add you.")


def find_file(submission: Path) -> Path:
    files = sorted(p for p in submission.rglob("*") if p.is_file()
                   and not any(part.startswith(".") or part == "__MACOSX"
                               for part in p.relative_to(submission).parts))
    answers = [p for p in files if p.suffix.lower() in SUFFIXES]
    shown = ", ".join(str(p.relative_to(submission)) for p in (answers or files)[:5])
    if not answers:
        if files:
            raise Refused("wrong-type", f"You submitted {shown}; submit your filled-in notebook (.ipynb) or "
                          "answer file (.toml), the handout you were given.")
        raise Refused("no-file", "No file was submitted; submit your filled-in notebook (.ipynb) or answer "
                      "file (.toml).")
    if len(answers) > 1:
        raise Refused("several", f"You submitted {len(answers)} answer files ({shown}); submit only one, "
                      "your filled-in handout.")
    return answers[0]


def _graded(root: Path, config: Mapping[str, Any]) -> dict[str, Any]:
    from ..batch.copies import CopyIndex
    from ..batch.submission import Options, grade_submission
    from ..key import load_key
    from ..solver import solve

    key = load_key(root / "source" / KEY)
    try:
        metadata = json.loads((root / "submission_metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise Refused("no-metadata", f"Gradescope's submission_metadata.json cannot be read ({exc}); "
                      "tell your instructor.") from None
    student = find_student(metadata.get("users") if isinstance(metadata, dict) else None, key)
    upload = find_file(root / "submission")
    execute = bool(config.get("execute"))
    sandbox = str(config.get("sandbox", "bwrap"))
    if execute:
        from ..notebooks.sandbox import require

        require(sandbox)
    options = Options(execute=execute, sandbox=sandbox, id_from="folder",
                      ecf_credit=config.get("ecf_credit"))
    data = upload.read_bytes()
    # the file is graded as the submitter's: it sits in a folder named by their id (--id-from folder)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp, student)
        folder.mkdir()
        shutil.copyfile(upload, folder / upload.name)
        previous = os.getcwd()
        os.chdir(tmp)
        try:
            graded = grade_submission(f"{student}/{upload.name}", data, key, options,
                                      lambda s: solve(key.students[s].instance), CopyIndex(key))
        finally:
            os.chdir(previous)
    if graded.status == "tampered":
        raise Refused("tampered", "The problem in your file is not the one you were given "
                      f"({graded.message}). Submit the handout you were given, with only your answers "
                      "filled in.")
    if graded.status == "mismatch":
        raise Refused("mismatch", f"This file is not your handout ({graded.message}). Submit the handout you "
                      "were given.")
    feedback = _feedback(graded.feedback, graded.svg, student)
    found = results(graded.result, feedback, config, student, graded.status)
    if graded.status == "copy":  # graded against the student's own problem; the instructor sees why
        found["extra_data"]["message"] = graded.message
    return found


def results(result: Mapping[str, Any], feedback: str, config: Mapping[str, Any], student: str,
            status: str) -> dict[str, Any]:
    """Gradescope's results object from a ``check --json`` object and the feedback."""
    visibility = config.get("visibility", "visible")
    tests = [{"name": item["id"], "score": item["points"], "max_score": item["max_points"],
              "status": "passed" if item["points"] >= item["max_points"] else "failed",
              "output": _item_output(item), "visibility": visibility}
             for item in result["items"]]
    return {"score": result["score"], "output": feedback, "output_format": "md",
            "test_output_format": "text", "visibility": visibility,
            "stdout_visibility": config.get("stdout_visibility", "hidden"), "tests": tests,
            "extra_data": {"status": status, "student": student, "max_score": result["max_score"]}}


def _item_output(item: Mapping[str, Any]) -> str:
    head = item["verdict"] + (f" ({item['misconception']})" if item.get("misconception") else "")
    return f"{head}: {item['message']}" if item.get("message") else head


def _feedback(markdown: str, svg: str | None, student: str) -> str:
    """The feedback with the picture of the net inline (Gradescope shows no file beside it)."""
    link = f"]({student}.svg)"
    if svg is None or link not in markdown:
        return markdown
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return markdown.replace(link, f"]({uri})")


def write_results(root: Path, results_obj: Mapping[str, Any]) -> Path:
    folder = root / "results"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "results.json"
    tmp = folder / ".results.json.tmp"
    tmp.write_text(json.dumps(results_obj, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    root = Path(args[0] if args else os.environ.get("BACKPROP_AUTOGRADER_ROOT", "/autograder"))
    results_obj = results_for(root)
    write_results(root, results_obj)
    print(f"backprop autograder: score {results_obj['score']}; {results_obj['extra_data']['status']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
