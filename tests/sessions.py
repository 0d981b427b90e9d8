"""The processes of a session, read from /proc: what the tests of dying workers look for."""

from __future__ import annotations

import os
import signal
import subprocess
import time
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


def kill_and_expect_an_empty_session(proc: subprocess.Popen, within: float = 15) -> None:
    """``kill -9`` the session leader ``proc`` alone (not its process group), then expect every
    other process of its session (its workers) to be gone within ``within`` seconds."""
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.time() + within
    while time.time() < deadline and in_session(proc.pid):
        time.sleep(0.05)
    assert in_session(proc.pid) == []
