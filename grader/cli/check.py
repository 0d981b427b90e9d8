"""``backprop check``: self-check a filled-in handout."""

from __future__ import annotations

import json
import os
import sys

import click

from .common import SANDBOXES, InputError, require_sandbox, write_output


@click.command("check")
@click.argument("submission")  # (a folder: the reader says so in one line)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (for scripts).")
@click.option("--reveal", is_flag=True,
              help="Also show the expected values (for instructors: a student's signed handout needs "
                   "--secret or --key).")
@click.option("--secret", "secret_file", type=click.Path(dir_okay=False), default=None,
              help="With --reveal on a signed handout: the instructor's secret that generated it "
                   "[default: $XDG_CONFIG_HOME/backprop/secret, when it is there].")
@click.option("--key", "key_file", type=click.Path(dir_okay=False), default=None,
              help="With --reveal on a signed handout: the key.json of its assignment, instead of the "
                   "secret.")
@click.option("--format", "fmt", type=click.Choice(("text", "md")), default="text", show_default=True,
              help="text for the terminal, md for Markdown feedback.")
@click.option("--ecf-credit", type=click.FloatRange(0.0, 1.0), default=None,
              help="Credit for a carried-forward answer, 0 to 1 [default: the family's, else 1].")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write the report to this file instead of standard output.")
@click.option("--execute", is_flag=True,
              help="Notebooks: run the notebook in a sandbox and read the answers from it.")
@click.option("--sandbox", type=click.Choice(SANDBOXES), default="bwrap", show_default=True,
              help="With --execute: bwrap isolates the notebook with bubblewrap; none accepts weaker "
                   "in-process limits where bubblewrap is missing (not isolated: see the README).")
def command(submission: str, as_json: bool, reveal: bool, fmt: str, ecf_credit: float | None,
            output: str | None, execute: bool, sandbox: str, secret_file: str | None = None,
            key_file: str | None = None) -> None:
    """Check the answers in SUBMISSION, a filled-in handout (.toml or .ipynb).

    Every answer gets a verdict: correct, carried-forward (wrong only because of an earlier
    answer of yours, and consistent with it), incorrect (with the misconception when one
    explains it), missing or invalid. Expected values stay hidden unless --reveal.
    Exit status: 0 when every answer is correct, 1 otherwise, 2 for unreadable input.

    Example:

        backprop check alice.toml
    """
    require_sandbox(execute, sandbox)
    if (secret_file or key_file) and not reveal:
        raise InputError("--secret and --key apply only with --reveal")
    sub, code = _read(submission, execute, sandbox)
    if reveal:
        from ..reveal import require_instructor

        require_instructor(submission, sub.meta, sub.instance, what="every expected value (--reveal)",
                           secret_file=secret_file, key_file=key_file)
    family = _family(sub.meta)
    credit = ecf_credit if ecf_credit is not None else (float(family.ecf_credit) if family else 1.0)
    from ..grading import grade
    from ..solver import solve

    trace = solve(sub.instance)  # (once: for the ids asked and for grading)
    report = grade(sub.instance, sub.answers, asked=_asked(sub, family, trace), ecf_credit=credit,
                   unknown=sub.unknown, trace=trace).with_warnings(sub.warnings)
    student = sub.meta.get("student") if isinstance(sub.meta.get("student"), str) else None
    named = _named_for_another(submission, student)
    if named is not None:
        report = report.with_warnings([named])
    from ..handed_out import compare
    from ..render.problem_notice import problem_notices

    found = compare(sub.meta, sub.instance, code)  # (the problem against its digest; a notebook's givens)
    notices = problem_notices(found, notebook=code is not None)
    if as_json:
        text = json.dumps(report.with_warnings([_one_line(n) for n in notices]).to_json(reveal=reveal),
                          indent=2) + "\n"
    elif fmt == "md":
        from ..render.feedback import report_markdown

        notice = _one_line(" ".join(notices)) or None
        text = report_markdown(report, student=student, reveal=reveal, notice=notice)
    else:
        from ..render.feedback import report_terminal, use_colour

        colour = output is None and use_colour(sys.stdout.isatty())
        text = report_terminal(report, color=colour, reveal=reveal, student=student)
        text = "".join(f"Warning: {n}\n\n" for n in notices) + text
    write_output(text, output)
    sys.exit(0 if report.all_correct and not found.edited else 1)


def _one_line(text: str) -> str:
    """A notice (two lines) as one: a warning of ``--json``, the note of ``--format md``."""
    return " ".join(text.split())


#: what a handout that is read, not answered, is called (``generate --format md,pdf``)
READ_ONLY = {".md": "the Markdown handout", ".pdf": "the PDF handout", ".svg": "the picture of the net"}


def _read(path: str, execute: bool = False, sandbox: str = "bwrap"):  # -> (Submission, notebook cells | None)
    kind = READ_ONLY.get(os.path.splitext(path)[1].lower())
    if kind is not None:
        from ..errors import BackpropError

        raise BackpropError(f"{path}: is {kind}, for reading; your answers go in the .toml (or the .ipynb "
                            "notebook) handout: check that file")
    if path.lower().endswith(".ipynb"):
        from ..notebooks.read import load_notebook, read_notebook_submission, submission_from_notebook

        nb = load_notebook(path)  # (its code cells: the cell of given values is compared with the problem)
        if execute:
            return read_notebook_submission(path, execute=execute, sandbox=sandbox), nb.code
        return submission_from_notebook(nb), nb.code
    if execute:
        raise InputError("--execute applies to notebooks (.ipynb) only")
    from ..answers import read_answer_file

    return read_answer_file(path), None


def _family(meta):  # -> Family | None
    """The handout's family (``[meta] family``), when it is one this installation has."""
    family = meta.get("family")
    if not isinstance(family, str):
        return None
    try:
        from ..family import load_family
    except ImportError:
        return None
    from ..errors import BackpropError

    try:
        return load_family(family)
    except (BackpropError, OSError, ValueError):  # an unknown or custom family (or a name no file can
        return None  # have: too long, a NUL): the default credit, the file's own ids


def _asked(sub, family, trace) -> tuple[str, ...] | None:
    """The ids graded: the file's own list (a notebook's metadata), else the lines of its
    ``[answers]``; for a TOML handout of a family this installation has, also every id the family
    asks of the kinds the handout's lines ask, as the key does for ``grade``: a line the student
    deleted or whose id they mistyped is then ``missing``, not left out of the maximum. A kind the
    family asks and no line of the handout does is not added: the family of this name is then not
    the one the handout was made from (a course's own family under a built-in's name, a family
    changed since), whose every line would be ``missing``. ``trace``: the handout's instance solved."""
    if family is None or sub.meta.get("asked") is not None:
        return sub.asked
    kind = {p[0]: p[1] for p in trace.derivation.plan}
    lines = set(sub.asked or ())
    kinds = {kind[q] for q in lines if q in kind}
    wanted = set(trace.derivation.asked_of_kinds(tuple(k for k in family.ask if k in kinds))) | lines
    return tuple(qid for qid in trace.ids if qid in wanted)


def _named_for_another(path: str, student: str | None) -> str | None:
    """A warning when the file's name says another student than the handout's ``[meta]``: a
    classmate's handout filled in, or one's own renamed. ``grade`` takes the student from the
    file's name by default (``--id-from name``: up to the first dot, case aside) and grades a
    ``mismatch`` against the name's own problem, so the answers checked here would be graded
    against another problem."""
    if not student or path == "-":
        return None
    from ..batch.identity import name_student

    # grade's rule (an id with dots, a browser's "student01 (1).toml"), case aside
    if name_student(os.path.basename(path).casefold(), {student.casefold()}) == student.casefold():
        return None
    shown = student if len(student) <= 60 else student[:57] + "..."
    file = os.path.basename(path)[:60]
    return (f"this handout is {shown}'s (its [meta] says so), but the file is named {file}: "
            f"if it is yours, hand it in as it was handed out ({shown} in its name); if it is a classmate's, "
            "your answers are checked against their problem, not yours")
