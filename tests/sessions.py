"""The processes of a session, read from /proc: what the tests of dying workers look for."""

from __future__ import annotations

import os
from pathlib import Path


def in_session(sid: int) -> list[int]:
    """The processes of session ``sid`` still running (zombies aside)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # state ppid pgrp session ...
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append(int(entry))
    return found
