"""Whose a file of Canvas's "Download Submissions" zip is (``backprop grade --id-from canvas``).

Canvas puts every student's files in one flat folder, each named
``<name>[_LATE]_<user id>_<submission id>_<the name it was uploaded as>``:
``doejane_101_5551234_student01.ipynb``, ``roemax_LATE_103_5551240_hw.ipynb`` (the layout that
tools built on these downloads read, e.g. the README of mikewesthad/canvas-unzipper). The user
id is Canvas's own number for the account that submitted, the ``ID`` column of the course's
gradebook export (Grades > Export), which maps it to the roster's student id. Canvas sets it,
not the student (the uploaded name after it is the student's, and counts for nothing here), so
it is as trustworthy as a folder of an LMS export (``--id-from folder``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import BackpropError

#: <name>[_LATE]_<user id>_<submission id>_<uploaded name>; Canvas's name part is the sortable
#: name in lower case without spaces or punctuation (no underscore)
PATTERN = re.compile(r"^(?P<name>[^_]*)(?:_late)?_(?P<user>\d+)_(?P<submission>\d+)_(?P<upload>.+)$",
                     re.IGNORECASE)
#: the column of Canvas's gradebook export that holds the user id
USER_ID_COLUMN = "ID"


def canvas_user(path: str) -> str | None:
    """The Canvas user id in the name of the file at ``path`` (None: not a name Canvas gives)."""
    found = PATTERN.match(Path(path).name)
    return found.group("user") if found else None


@dataclass(frozen=True)
class CanvasIds:
    """The roster's student of each Canvas user id, from the course's gradebook export."""

    pairs: tuple[tuple[str, str], ...]  # (Canvas user id, the roster's student id)
    _table: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def student(self, user: str) -> str | None:
        if not self._table and self.pairs:
            self._table.update(self.pairs)
        return self._table.get(user)


def canvas_ids(roster: Any, path: str) -> CanvasIds:
    """The :class:`CanvasIds` of a roster read by :func:`grader.roster.read_platform_roster`; an
    export that is not Canvas's gradebook (no ``ID`` column) is an error that says what to give."""
    if roster.platform != "canvas" or USER_ID_COLUMN not in roster.header:
        raise BackpropError(f"{path}: --id-from canvas needs Canvas's gradebook export (Grades > Export), "
                            f"whose {USER_ID_COLUMN!r} column maps the user id in each downloaded file's "
                            "name to the student; this file is not one")
    pairs = []
    for e in roster.entries:
        user = e.fields.get(USER_ID_COLUMN, "").strip()
        if user:
            pairs.append((user, e.student.id))
    return CanvasIds(tuple(pairs))
