"""One submission file of a batch, graded against the key: plain data in, plain data out.

:func:`grade_submission` reads the file's bytes (already loaded), finds whose it is (its
location, checked against its signed metadata: :mod:`grader.batch.identity`), reads the
answers (statically, or also by running the notebook with ``execute``), grades them against
the key's instance (never the file's own), looks for answers copied from a classmate's variant
(:mod:`grader.batch.copies`) and renders the feedback. Nothing here writes a file; every
problem of the file is a :class:`~grader.errors.BackpropError` whose message ends on the
student's row.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ..errors import BackpropError
from ..files import read_bytes
from .identity import fallback_id, identify

__all__ = ["SUFFIXES", "Graded", "Options", "fallback_id", "grade_submission", "parse"]

SUFFIXES = (".ipynb", ".toml")


@dataclass(frozen=True)
class Options:
    execute: bool = False
    sandbox: str = "bwrap"  # with execute: "bwrap" or "none" (grader/notebooks/sandbox.py)
    id_from: str = "name"  # or "folder", "canvas", "moodle", "gradescope", "metadata" (grader.batch.identity)
    ids: Any = None  # with id_from canvas, moodle or gradescope: whose each platform id is (*_names)
    ecf_credit: float | None = None  # None: the key's
    pdf: bool = False
    force: bool = False


@dataclass(frozen=True)
class Graded:
    """What grading one file gives: the entry's fields, the feedback, the picture, the PDF."""

    student: str
    status: str  # graded | tampered | mismatch | copy | unknown
    message: str
    result: dict[str, Any]
    needs_execution: bool
    feedback: str
    svg: str | None  # None: no picture (a row that is nobody's on the roster)
    pdf: bytes | None
    #: the file's signed metadata names its row's student, with the key's problem and signature
    #: (of a student's several files, these count first: grader.batch.assemble)
    agrees: bool = False


Reader = Callable[[Sequence[str], Any], tuple[dict, list[str]]]


def read_submission(path: str) -> bytes:
    """A submission's bytes as a batch reads them, wherever it reads them (a worker, the Dask
    client, the key's check): never through a symbolic link, never a named pipe or a device
    (:func:`grader.files.read_bytes` with ``follow=False``: :data:`grader.files.LINK_REFUSED`)."""
    return read_bytes(path, noun="submission file", plural="submissions", follow=False)


def parse(path: str, data: bytes) -> tuple[Any, Reader]:
    """Parse a notebook or TOML answer file once: (its metadata or None, a reader of its answers).

    The reader takes the quantity ids and the key's instance and returns (answers by id, warnings).
    """
    from ..solver import givens

    if path.lower().endswith(".ipynb"):
        from ..notebooks.read import parse_notebook, read_answers

        nb = parse_notebook(data, path)
        return nb.meta, lambda ids, instance: read_answers([src for src, _ in nb.code], ids, givens(instance))
    import tomllib

    from ..answers import answers_from_table, toml_answer_hint

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BackpropError(f"{path}: is not UTF-8 text; submit the .toml handout") from None
    if not text.strip():
        raise BackpropError(f"{path}: is empty")
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BackpropError(f"{path}: is not valid TOML ({toml_answer_hint(text) or exc})") from None
    except RecursionError:
        raise BackpropError(f"{path}: is not valid TOML (nested too deeply)") from None
    except ValueError:  # an integer of more than 4300 digits (Python's limit on reading one)
        raise BackpropError(f"{path}: is not valid TOML (a number has thousands of digits; write an "
                            "ordinary number such as 0.5)") from None
    meta = table.get("meta")
    meta = dict(meta, instance=table.get("instance")) if isinstance(meta, dict) else None

    def reader(ids: Sequence[str], instance: Any) -> tuple[dict, list[str]]:
        return answers_from_table(table.get("answers", {}), f"{path}: answers",
                                  ids=set(ids), names=givens(instance))

    return meta, reader


def grade_submission(path: str, data: bytes, key: Any, options: Options, trace_of: Callable[[str], Any],
                     copies: Any = None, notebook: str | None = None) -> Graded:
    """Grade the file at ``path`` (its bytes ``data``) against ``key``; ``trace_of(student)``
    gives the solved key instance; ``copies`` (a :class:`~grader.batch.copies.CopyIndex`
    of the key, or None) flags answers copied from a classmate's variant; ``notebook``: the
    file that ``execute`` runs (default ``path``; a copy of the bytes on a Dask worker)."""
    from ..grading import grade
    from ..render.env import render
    from ..render.feedback import feedback_notice, report_markdown
    from ..render.marks import wrong_marks
    from ..render.svg import net_svg

    meta, reader = parse(path, data)
    who = identify(meta, path, key, options.id_from, options.ids)
    student, status, message = who.student, who.status, who.message
    if who.graded_as is None:  # a location on nobody's row of the roster, and no claim to score against
        empty = {"score": 0, "max_score": 0, "items": [], "warnings": []}
        head = render("feedback_unscored.md.j2", student=student, assignment=key.assignment,
                      notice=feedback_notice(status, file=path, message=message))
        feedback = feedback_text(status, student, path, message, head, False)
        return Graded(student, status, message, empty, False, feedback, None, None)
    entry = key.students[who.graded_as]
    trace = trace_of(who.graded_as)
    answers, more = reader(trace.ids, entry.instance)
    warnings = [*who.warnings, *more]
    if options.execute and path.lower().endswith(".ipynb"):
        from ..notebooks.execute import execute_values
        from ..notebooks.read import merge_executed

        # (the bytes graded, not the file read again: by then it could be a link to a classmate's)
        ran = execute_values(notebook or path, trace.ids, sandbox=options.sandbox, data=data)
        answers = merge_executed(answers, ran)
    needs = any(a.needs_execution for a in answers.values())
    credit = key.ecf_credit if options.ecf_credit is None else options.ecf_credit
    report = grade(entry.instance, answers, asked=entry.asked, ecf_credit=credit, trace=trace)
    copy = None
    if copies is not None and status != "unknown":
        explained = {i.id for i in report.items if i.misconception}  # (the student's own work, wrong)
        copy = copies.find(who.graded_as, {q: a.value for q, a in answers.items() if a.value is not None},
                           explained)
    if copy is not None:  # (the finding the status names comes first in the message)
        if status in ("graded", "tampered"):
            status, message = "copy", "; ".join(m for m in (copy.message, message) if m)
        else:
            message = f"{message}; {copy.message}"
    if who.status == "tampered":
        warnings.append(f"tampered: {who.message}")
    report = report.with_warnings(warnings)
    has_svg = status != "unknown"  # (an unknown row's feedback is about another student's net)
    svg = net_svg(entry.instance, wrong_marks(report.items, entry.instance)) if has_svg else None
    notice = feedback_notice(status, file=path, message=who.message)
    markdown = report_markdown(report, student=student, assignment=key.assignment, notice=notice)
    # (the student's feedback gives what was found about the file, never a classmate's answers)
    feedback = feedback_text(status, student, path, who.message, markdown, has_svg)
    pdf = None
    if options.pdf and has_svg:
        try:
            from ..render.pdf import feedback_pdf
        except ImportError:  # typst missing: the Markdown feedback is still written
            pass
        else:
            pdf = feedback_pdf(report, entry.instance, student=student, assignment=key.assignment,
                               notice=notice)
    agrees = meta is not None and who.status == "graded"
    return Graded(student, status, message, report.to_json(), needs, feedback, svg, pdf, agrees)


def feedback_text(status: str, student: str, file: str, message: str, report_md: str, has_svg: bool,
                  assignment: str = "") -> str:
    """``summary_feedback.md.j2`` around the report; it only prints the texts, so it is filled
    in from a cached skeleton per (status, has_svg) (see :func:`grader.render.skeletons.cached_render`)."""
    from ..render import skeletons
    from ..render.inert import md_code, md_inline

    fixed = {"status": status, "tampered": status == "tampered", "has_svg": has_svg,
             "has_assignment": bool(assignment)}
    # (the student's id, file name and a message quoting the file: text, never a link or HTML)
    printed = {"student": md_inline(student), "file": md_code(file), "message": md_inline(message),
               "report_md": report_md, "svg_name": quote(os.fsencode(f"{student}.svg")),
               "assignment": assignment}
    return skeletons.cached_render("summary_feedback.md.j2", fixed, printed)
