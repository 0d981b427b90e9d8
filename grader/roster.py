"""Rosters (CSV, or as the course platforms export them) and the instructor's secret file: the
generator's inputs from disk."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from .errors import BackpropError
from .files import read_bytes, read_text
from .generator import Student
from .platforms.roster_formats import PlatformRoster, parse_roster


def read_roster(path: str | os.PathLike[str]) -> tuple[Student, ...]:
    """Students from a roster file with a header row: a plain CSV (the id is the first of the
    columns ``id``, ``student_id``, ``Student ID``, ``SID``, ``SIS User ID``; ``name`` and
    ``email`` optional) or the roster as Canvas, Gradescope or Moodle export it, in UTF-8 or
    UTF-16, separated by commas, semicolons or tabs (:mod:`grader.platforms.roster_formats`)."""
    return read_platform_roster(path).students


def read_platform_roster(path: str | os.PathLike[str]) -> PlatformRoster:
    """The roster with the platform it came from and each student's row as exported."""
    return parse_roster(read_bytes(path), os.fspath(path))


def numbered_roster(count: int) -> tuple[Student, ...]:
    """``student01``, ``student02``, ... (as many digits as the count needs, at least two)."""
    if count < 1:
        raise BackpropError(f"--count must be 1 or more, not {count}")
    width = max(2, len(str(count)))
    return tuple(Student(f"student{i:0{width}d}") for i in range(1, count + 1))


def default_secret_path() -> Path:
    """Where the instructor's secret lives unless ``--secret-file`` says otherwise: a per-user
    file, ``$XDG_CONFIG_HOME/backprop/secret`` (``~/.config/backprop/secret`` when that is not
    set, or not an absolute path, as the XDG base directory specification asks). Not inside
    the output folder: a folder that is shared, copied or published should hold nothing that
    lets anyone make or check signatures."""
    config = os.environ.get("XDG_CONFIG_HOME", "")
    base = Path(config) if config and os.path.isabs(config) else Path.home() / ".config"
    return base / "backprop" / "secret"


def load_or_create_secret(path: str | os.PathLike[str]) -> bytes:
    """The instructor's secret: read it, or create it (random, readable only by its owner,
    in a folder made readable only by its owner when it is made here)."""
    p = Path(path)
    if p.exists():
        secret = read_text(p).strip()
        if len(secret) < 16:
            raise BackpropError(f"{p}: the secret is too short ({len(secret)} characters); use at least 16, "
                                "or delete the file to make a new one")
        return secret.encode("utf-8")
    try:
        _make_private_folders(p.parent)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise BackpropError(f"{p}: cannot create the secret file ({exc.strerror or exc})") from None
    secret = secrets.token_hex(32)
    with os.fdopen(fd, "w") as fh:
        os.fchmod(fh.fileno(), 0o600)  # whatever the umask
        fh.write(secret + "\n")
    return secret.encode("utf-8")


def _make_private_folders(folder: Path) -> None:
    """``mkdir -p`` with every folder it makes readable only by its owner (folders that exist
    are left as they are)."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for made in reversed(missing):
        try:
            os.mkdir(made, 0o700)
        except FileExistsError:  # made meanwhile by another process: theirs
            continue
        os.chmod(made, 0o700)
