"""Where a student went wrong, as the drawings of their feedback mark it in red.

The rule (the same for the PDF and for the SVG beside the Markdown): every item whose verdict
is ``incorrect`` or ``invalid`` marks its subject, the neuron of a ``p``, ``o`` or ``delta``
(``delta_A`` -> ``A``) or the connection of a ``dw`` or new weight (``dw_x1_A`` -> ``x1_A``).
``P`` has no subject; a carried-forward answer marks nothing (the mistake is where it was
made); a missing one neither (nothing was done wrong there).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..model import Instance
from ..solver import plan

#: the verdicts whose subjects are marked
MARKED = ("incorrect", "invalid")


def wrong_marks(items: Iterable[Any], instance: Instance) -> tuple[str, ...]:
    """The neurons and connections (by key) to mark, in the order of the derivation, each
    once. ``items`` are a report's items (:class:`grader.report.Item`) or their JSON objects
    (``{"id": ..., "verdict": ...}``, as in ``results/<student>.json``)."""
    wrong = set()
    for item in items:
        verdict, qid = (item.get("verdict"), item.get("id")) if isinstance(item, Mapping) else (
            item.verdict, item.id)
        if verdict in MARKED:
            wrong.add(qid)
    if not wrong:
        return ()
    subjects = (subject for qid, _kind, _step, subject, _op, _args in plan(instance) if qid in wrong)
    return tuple(dict.fromkeys(s for s in subjects if s))
