"""The summary a batch prints: how many rows of each status, the mean score, the most common
misconceptions, what needs ``--execute``, the duplicates, and a line for every row that is not
plainly ``graded`` or ``missing`` (``templates/summary.txt.j2``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from .assemble import Duplicate
from .outputs import number
from .rows import STATUSES, Row


def summarize(rows: Sequence[Row], duplicates: Sequence[Duplicate], files: int, regraded: int, reused: int,
              out: str) -> str:
    from ..render.env import render

    counts = Counter(r.status for r in rows)
    scored = [r for r in rows if r.scored]
    mis: Counter[str] = Counter()
    for r in scored:
        mis.update(r.misconceptions)
    needs = sum(1 for r in scored if r.needs_execution)
    mean = max_score = None
    if scored:
        mean = number(round(sum(r.score for r in scored) / len(scored), 2))
        max_score = number(max(r.max_score for r in scored))
    return render(
        "summary.txt.j2", rows=len(rows), files=files, regraded=regraded, reused=reused,
        counts=[(s, counts[s]) for s in STATUSES if counts[s]], mean=mean, max_score=max_score,
        scored=len(scored), misconceptions=mis.most_common(5), needs_execution=needs,
        duplicates=duplicates, out=out,
        flagged=[r for r in rows if r.status not in ("graded", "missing")],
    )
