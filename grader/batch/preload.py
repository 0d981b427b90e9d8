"""What the batch's fork server loads before it forks any worker (:mod:`grader.parallel`):
the modules that grading a file uses, and the templates it renders, compiled once for all the
workers instead of once in each. Nothing here starts a thread (the server forks)."""

from __future__ import annotations

from .. import grading, key, solver  # noqa: F401
from ..notebooks import read  # noqa: F401
from ..render import feedback, marks, svg  # noqa: F401
from ..render.env import environment
from . import run, submission  # noqa: F401

TEMPLATES = ("report.md.j2", "summary_feedback.md.j2", "net.svg.j2")

for _name in TEMPLATES:
    environment().get_template(_name)
