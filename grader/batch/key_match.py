"""A platform's own list of its students (a Moodle grading worksheet, the metadata of a Gradescope
export) matched to the key's students: by the key's ids or by the emails the key holds, each
compared folded (the same Unicode form, no case, no surrounding spaces)."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any


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
