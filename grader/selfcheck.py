"""The self-check inside a notebook: the answers as they stand in the running kernel, checked
against the notebook's own problem, shown right there (issue 13).

In a cell of the handout (its last cell calls it)::

    from grader.selfcheck import check
    check("student01.ipynb")

The problem is the one in the notebook's ``metadata.backprop`` (the kernel cannot see the
notebook, so the file is read: the one VS Code or JupyterLab says is open, else the name given,
beside the kernel's working folder). The answers are the variables of the kernel named by the
asked quantity ids, read by the one reader of answers (:mod:`grader.answers`): numbers, numbers
computed in code, ``...`` (unanswered), or text such as ``"1/(1+exp(-0.5))"``. They are graded
as ``backprop check`` grades them, and the report is shown as rich output: HTML with inline
styles and no script (JupyterLab, classic Notebook and VS Code show it), the verdict of each
answer in colour, the net with the wrong neurons and weights in red, what went wrong, the
score; and the same report as plain text where HTML is not shown. No expected value is shown.

:func:`check` never raises: whatever goes wrong (no notebook file, no metadata) is the report's
one message, so a notebook runs to its end wherever it is run.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .answers import Answer, Names, read_answer
from .errors import BackpropError
from .model import Instance
from .report import Report

#: the colours of the verdicts in the HTML report (dark enough to read on white and on grey)
COLOURS = {
    "correct": "#1e7b34",
    "carried-forward": "#0b6e8a",
    "incorrect": "#c0392b",
    "missing": "#9a6700",
    "invalid": "#8e44ad",
}


@dataclass(frozen=True)
class SelfCheck:
    """The self-check's report, shown by Jupyter as HTML (``_repr_html_``) or text (``repr``)."""

    #: the graded answers; None when the check could not be made (``error`` says why)
    report: Report | None
    instance: Instance | None = None
    student: str | None = None
    #: why there is no report, in one line
    error: str | None = None
    #: what is said first: the problem is not as handed out (:mod:`grader.handed_out`), each two lines
    notices: tuple[str, ...] = ()
    #: the problem is not the one its digest says was handed out (the score is then never shown green)
    edited: bool = False

    def text(self) -> str:
        """The report as plain text (as ``backprop check`` prints it, without colour)."""
        if self.report is None:
            return f"Self-check: {self.error}\n"
        from .render.feedback import report_terminal

        return ("".join(f"Warning: {n}\n\n" for n in self.notices)
                + report_terminal(self.report, color=False, student=self.student)
                + "\nExpected values are not shown.\n")

    def html(self) -> str:
        """The report as one ``<div>`` of HTML with inline styles, no script."""
        from .render.env import render

        if self.report is None or self.instance is None:
            return render("notebook_selfcheck.html.j2", error=self.error, colours=COLOURS, notices=())
        from .render.feedback import item_view
        from .render.svg import net_svg
        from .solver import solve

        trace = solve(self.instance)
        marked = [trace[i.id].subject for i in self.report.items
                  if i.verdict in ("incorrect", "invalid") and i.id in trace and trace[i.id].subject]
        decimals = self.instance.rounding
        counts = {v: self.report.count(v) for v in COLOURS if self.report.count(v)}
        return render(
            "notebook_selfcheck.html.j2", error=None, colours=COLOURS, student=self.student,
            score=f"{self.report.score:g}", max_score=f"{self.report.max_score:g}",
            all_correct=self.report.all_correct and not self.edited, counts=counts,
            rows=[item_view(i, decimals) for i in self.report.items],
            wrong=[i for i in self.report.items if i.verdict in ("incorrect", "invalid")],
            warnings=list(self.report.warnings), svg=net_svg(self.instance, marked), notices=self.notices,
        )

    def _repr_html_(self) -> str:
        return self.html()

    def __repr__(self) -> str:
        return self.text()


def check(notebook: str | None = None, *, namespace: Mapping[str, Any] | None = None) -> None:
    """Check the answers of the running notebook and show the report (see the module docstring).

    ``notebook``: the notebook's file name, used when the editor does not say which file is
    open. ``namespace``: where the answers are (default: the kernel's variables).
    """
    if namespace is None:
        namespace = _kernel_namespace()
    result = report(notebook, namespace)
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # plain Python
        print(result.text(), end="")
        return
    if get_ipython() is None:
        print(result.text(), end="")
    else:
        display(result)


def report(notebook: str | os.PathLike[str] | None, namespace: Mapping[str, Any]) -> SelfCheck:
    """The :class:`SelfCheck` of the answers in ``namespace`` (never raises)."""
    try:
        path = find_notebook(notebook, namespace)
        return _check(path, namespace)
    except BackpropError as exc:
        return SelfCheck(None, error=exc.message)
    except Exception as exc:  # the self-check must never stop a notebook: say what happened
        return SelfCheck(None, error=f"could not check ({type(exc).__name__}: {exc})")


def find_notebook(name: str | os.PathLike[str] | None, namespace: Mapping[str, Any]) -> Path:
    """The notebook file: the one the editor has open (VS Code's ``__vsc_ipynb_file__``,
    JupyterLab's ``JPY_SESSION_NAME``) when it holds a problem, else ``name``."""
    for candidate in (namespace.get("__vsc_ipynb_file__"), os.environ.get("JPY_SESSION_NAME")):
        if isinstance(candidate, str) and candidate.endswith(".ipynb") and Path(candidate).is_file():
            return Path(candidate)
    if name is None:
        raise BackpropError("cannot tell which notebook this is: give its file name, "
                            "check(\"student01.ipynb\")")
    path = Path(name)
    if not path.is_file():
        raise BackpropError(f"cannot find {name} in {Path.cwd()}: if you renamed or moved the notebook, "
                            f"give its name as it is now: check(\"new name.ipynb\")")
    return path


def _check(path: Path, namespace: Mapping[str, Any]) -> SelfCheck:
    from .grading import grade
    from .handed_out import compare
    from .notebooks.read import asked_ids, load_notebook, submission_from_notebook
    from .render.problem_notice import problem_notices
    from .solver import givens, solve

    nb = load_notebook(path)
    sub = submission_from_notebook(nb)  # the problem in the metadata (BackpropError if none)
    instance = sub.instance
    trace = solve(instance)
    asked = asked_ids(nb, trace.ids) or trace.ids
    given = givens(instance)
    found = compare(nb.meta, instance, nb.code)  # as `backprop check` finds it in the saved notebook
    answers, warnings = kernel_answers(trace.ids, asked, given, namespace,
                                       said={c.name: c.written for c in found.changed})
    undefined = [q for q in asked if q not in namespace]
    if undefined and any(name in namespace for name in given):
        # a cell that stopped at an error (o_A = 37.75%: a SyntaxError) defines none of its answers:
        # they are read from the saved notebook as `backprop check` reads it (which says which line
        # is unreadable), not called unanswered
        saved = {q: sub.answers[q] for q in undefined if q in sub.answers and not sub.answers[q].missing}
        if saved:  # (an id with no answer saved either is unanswered, or mistyped: see mistyped())
            answers.update(saved)
            warnings.append(not_run_message(list(saved)))
    student = nb.meta.get("student") if nb.meta and isinstance(nb.meta.get("student"), str) else None
    result = grade(instance, answers, asked=asked, ecf_credit=1.0).with_warnings(warnings)
    return SelfCheck(result, instance, student, notices=problem_notices(found, notebook=True),
                     edited=found.edited)


def not_run_message(undefined: list[str]) -> str:
    """The warning for asked answers the kernel does not have (not even as ``...``), read from
    the saved notebook instead."""
    shown = ", ".join(undefined[:5]) + (f" and {len(undefined) - 5} more" if len(undefined) > 5 else "")
    return (f"{shown} {'is' if len(undefined) == 1 else 'are'} not defined in the kernel (checked here as "
            "the saved notebook has them): their cell has not run, or stopped at an error (shown under it); "
            "fix the error, run the cell, then this check again")


def kernel_answers(ids: tuple[str, ...], asked: tuple[str, ...], given: Mapping[str, float],
                   namespace: Mapping[str, Any], said: Mapping[str, float | None] | None = None,
                   ) -> tuple[dict[str, Answer], list[str]]:
    """The answers in ``namespace`` (in the order of the derivation, each read as the answer files
    and the static reading of notebooks read it), and warnings about the given values (but one
    the saved cell of given values sets to the value the kernel has: ``said``, named first)."""
    warnings = []
    said = said or {}
    shown = [name for name in given if name in namespace]
    if not shown:
        warnings.append("the cell of given values has not run: run the notebook from the top")
    for name in shown:
        value = namespace[name]
        if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value) != given[name] \
                and said.get(name) != float(value):
            warnings.append(f"{name} is {value:g} here but {given[name]:g} in your problem: run the cell of "
                            "given values as it was handed out")
    known = Names(given, ids)
    answers: dict[str, Answer] = {}
    wanted = set(asked)
    for qid in ids:
        if qid not in namespace:
            continue
        answer = read_answer(qid, namespace[qid], known.values, known.absent)
        known.note(answer)
        if qid in wanted:
            answers[qid] = answer
    return answers, warnings + mistyped(ids, [q for q in asked if q not in namespace], given, namespace)


def mistyped(ids: tuple[str, ...], absent: list[str], given: Mapping[str, float],
             namespace: Mapping[str, Any]) -> list[str]:
    """Warnings for the kernel's variables that look like an unanswered asked id mistyped
    (``dw_x2B`` for ``dw_x2_B``), worded as ``backprop check`` words an unknown id in a cell;
    only variables holding an answer's kind of value (a number, text, ``...``), neither a given
    value nor an id, close to one of ``absent``: the student's own helpers and the kernel's
    names say nothing."""
    from .answer_hints import transposed
    from .answers import unknown_message
    from .errors import did_you_mean

    if not absent:
        return []
    known = set(ids) | set(given)
    return [unknown_message(name, absent) for name, value in namespace.items()
            if isinstance(name, str) and not name.startswith("_") and name not in known
            and (isinstance(value, (int, float, str)) and not isinstance(value, bool) or value is ...)
            and (transposed(name, absent) or did_you_mean(name, absent))]


def _kernel_namespace() -> Mapping[str, Any]:
    """The running kernel's variables, else the globals of the code that called :func:`check`."""
    try:
        from IPython import get_ipython
    except ImportError:
        get_ipython = None  # noqa: N806
    shell = get_ipython() if get_ipython is not None else None
    if shell is not None:
        return shell.user_ns
    return sys._getframe(2).f_globals
