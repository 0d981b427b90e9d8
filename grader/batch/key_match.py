"""A platform's own list of its students (a Moodle grading worksheet, the metadata of a Gradescope
export) matched to the key's students: by the key's ids or by the emails the key holds, each
compared folded (the same Unicode form, no case, no surrounding spaces)."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from ..platforms.roster_formats import SAFE_ID

#: the most characters of a row's own id taken from a platform's list (its files are named after it)
ROW_ID_MOST = 100


def fold(text: str) -> str:
    """``text`` as compared: NFC (a Mac's decomposed accents composed), stripped, case-folded."""
    return unicodedata.normalize("NFC", text).strip().casefold()


def key_lookups(students: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """For ``students`` (the key's: id -> entry with ``email``): folded id -> id, and folded email
    -> id (``""`` for an email two students share: it names neither)."""
    ids = {fold(s): s for s in students}
    emails: dict[str, str] = {}
    for sid, entry in students.items():
        mail = fold(getattr(entry, "email", "") or "")
        if mail:
            emails[mail] = sid if mail not in emails else ""
    return ids, emails


def row_id(*cells: str) -> str | None:
    """The first of ``cells`` (a platform's id, email or name for a student not on the key) that can
    be a row's student of its own: an id as a roster's are (letters, digits and ``. _ @ + -``, at most
    :data:`ROW_ID_MOST` characters), since the row's result and feedback files are named after it
    (``2024/777`` or ``../../x``, from a worksheet or a yml, would be written elsewhere, or not at all);
    None when none can."""
    return next((c for c in cells if c and len(c) <= ROW_ID_MOST and SAFE_ID.match(c)), None)
