"""One submission file of a batch, graded against the key: plain data in, plain data out.

:func:`grade_submission` reads the file's bytes (already loaded), finds whose it is (the
signed metadata, checked against the key; else the file's or folder's name), reads the answers
(statically, or also by running the notebook with ``execute``), grades them against the key's
instance (never the file's own) and renders the feedback. Nothing here writes a file; every
problem of the file is a :class:`~grader.errors.BackpropError` whose message ends on the
student's row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BackpropError

SUFFIXES = (".ipynb", ".toml")


@dataclass(frozen=True)
class Options:
    execute: bool = False
    sandbox: str = "bwrap"  # with execute: "bwrap" or "none" (grader/notebooks/sandbox.py)
    id_from: str = "name"  # or "folder"
    ecf_credit: float | None = None  # None: the key's
    pdf: bool = False
    force: bool = False


@dataclass(frozen=True)
class Graded:
    """What grading one file gives: the entry's fields, the feedback, the picture, the PDF."""

    student: str
    status: str  # graded | tampered
    message: str
    result: dict[str, Any]
    needs_execution: bool
    feedback: str
    svg: str
    pdf: bytes | None


def fallback_id(path: str, id_from: str) -> str:
    p = Path(path)
    return p.parent.name if id_from == "folder" else p.name.split(".")[0]


def _same_instance(raw: Any, entry: Any) -> bool:
    if raw == entry.raw_instance:  # the common case: the handout's metadata, untouched
        return True
    from ..model import instance_from_dict

    if not isinstance(raw, dict):
        return False
    try:
        return instance_from_dict(raw).to_dict() == entry.instance.to_dict()
    except BackpropError:
        return False


def identify(meta: Any, path: str, key: Any, id_from: str) -> tuple[str, str, list[str]]:
    """(student, tamper message or '', warnings) from the metadata, else the file name."""
    warnings: list[str] = []
    claimed = meta.get("student") if isinstance(meta, dict) else None
    if isinstance(claimed, str) and claimed in key.students:
        entry = key.students[claimed]
        problems = []
        if not _same_instance(meta.get("instance"), entry):
            problems.append("the problem (instance) was changed")
        if meta.get("signature") != entry.signature:
            problems.append("the signature does not match")
        return claimed, "; ".join(problems), warnings
    student = fallback_id(path, id_from)
    if meta is None:
        warnings.append(f"no backprop metadata in the file; identified as {student!r} by its "
                        f"{'folder' if id_from == 'folder' else 'file'} name")
    else:
        warnings.append(f"the metadata names a student not in the key ({claimed!r}); identified as {student!r} "
                        "by its name")
        return student, f"the metadata names student {claimed!r}, who is not in the key", warnings
    return student, "", warnings


Reader = Callable[[Sequence[str], Any], tuple[dict, list[str]]]


def parse(path: str, data: bytes) -> tuple[Any, Reader]:
    """Parse a notebook or TOML answer file once: (its metadata or None, a reader of its answers).

    The reader takes the quantity ids and the key's instance and returns (answers by id, warnings).
    """
    from ..solver import givens

    if path.lower().endswith(".ipynb"):
        from .read import parse_notebook, read_answers

        nb = parse_notebook(data, path)
        return nb.meta, lambda ids, instance: read_answers([src for src, _ in nb.code], ids, givens(instance))
    import tomllib

    from ..answers import answers_from_table

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BackpropError(f"{path}: is not UTF-8 text; submit the .toml handout") from None
    if not text.strip():
        raise BackpropError(f"{path}: is empty")
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BackpropError(f"{path}: is not valid TOML ({exc})") from None
    meta = table.get("meta")
    meta = dict(meta, instance=table.get("instance")) if isinstance(meta, dict) else None

    def reader(ids: Sequence[str], instance: Any) -> tuple[dict, list[str]]:
        return answers_from_table(table.get("answers", {}), f"{path}: answers", ids=set(ids), names=givens(instance))

    return meta, reader


def grade_submission(path: str, data: bytes, key: Any, options: Options, trace_of: Callable[[str], Any]) -> Graded:
    """Grade the file at ``path`` (its bytes ``data``) against ``key``; ``trace_of(student)``
    gives the solved key instance."""
    from ..grading import grade
    from ..render.report import report_markdown
    from ..render.svg import net_svg

    meta, reader = parse(path, data)
    student, tampered, warnings = identify(meta, path, key, options.id_from)
    if student not in key.students:
        raise BackpropError(f"{path}: student {student!r} is not in the key")
    entry = key.students[student]
    trace = trace_of(student)
    answers, more = reader(trace.ids, entry.instance)
    warnings += more
    if options.execute and path.lower().endswith(".ipynb"):
        from .execute import execute_values
        from .read import merge_executed

        answers = merge_executed(answers, execute_values(path, trace.ids, sandbox=options.sandbox))
    needs = any(a.error and a.error.startswith("needs execution") for a in answers.values())
    credit = key.ecf_credit if options.ecf_credit is None else options.ecf_credit
    report = grade(entry.instance, answers, asked=entry.asked, ecf_credit=credit,
                   trace=trace).with_warnings(warnings + ([f"tampered: {tampered}"] if tampered else []))
    status = "tampered" if tampered else "graded"
    svg = net_svg(entry.instance)
    feedback = feedback_text(status, student, path, tampered, report_markdown(report, student=student), True)
    pdf = None
    if options.pdf:
        try:
            from ..render.pdf import feedback_pdf
        except ImportError:  # typst missing: the Markdown feedback is still written
            pass
        else:
            pdf = feedback_pdf(report, entry.instance, student=student)
    return Graded(student, status, tampered, report.to_json(), needs, feedback, svg, pdf)


def feedback_text(status: str, student: str, file: str, message: str, report_md: str, has_svg: bool) -> str:
    """``summary_feedback.md.j2`` around the report; it only prints the texts, so it is filled
    in from a cached skeleton per (status, has_svg) (see :func:`grader.render.report.cached_render`)."""
    from ..render import report

    return report.cached_render("summary_feedback.md.j2",
                                {"status": status, "tampered": status == "tampered", "has_svg": has_svg},
                                {"student": student, "file": file, "message": message, "report_md": report_md,
                                 "svg_name": f"{student}.svg"})
