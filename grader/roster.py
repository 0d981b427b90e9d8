"""Rosters (CSV) and the instructor's secret file: the generator's inputs from disk."""

from __future__ import annotations

import csv
import io
import os
import re
import secrets
from pathlib import Path

from .errors import BackpropError
from .files import read_text
from .generator import Student

ID_COLUMNS = ("id", "student_id", "SIS User ID", "ID")
SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]*\Z")


def read_roster(path: str | os.PathLike[str]) -> tuple[Student, ...]:
    """Students from a CSV with a header row; the id is the first of the columns ``id``,
    ``student_id``, ``SIS User ID``, ``ID`` that is present; ``name`` and ``email`` optional."""
    text = read_text(path)
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise BackpropError(f"{path}: is not a readable CSV file ({exc})") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise BackpropError(
            f"{path}: is empty; give a CSV with a header row (id,name,email) and a row per student")
    header = [h.strip() for h in rows[0]]
    column = next((c for c in ID_COLUMNS if c in header), None)
    if column is None:
        raise BackpropError(
            f"{path}: no student id column; name one column {', '.join(repr(c) for c in ID_COLUMNS)} "
            "in the header row"
        )
    idx = header.index(column)
    name_idx = header.index("name") if "name" in header else None
    email_idx = header.index("email") if "email" in header else None
    students: list[Student] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        cell = row[idx].strip() if idx < len(row) else ""
        if not cell:
            raise BackpropError(
                f"{path}: row {line}: the {column!r} column is empty; every student needs an id")
        if not SAFE_ID.match(cell):
            raise BackpropError(
                f"{path}: row {line}: student id {cell!r} cannot be a file name; "
                "use letters, digits and . _ @ + -"
            )
        if cell in seen:
            raise BackpropError(
                f"{path}: row {line}: student id {cell!r} is already on row {seen[cell]}; ids must be unique")
        seen[cell] = line
        students.append(Student(cell, _cell(row, name_idx), _cell(row, email_idx)))
    if not students:
        raise BackpropError(f"{path}: has a header row but no students")
    return tuple(students)


def _cell(row: list[str], i: int | None) -> str:
    return row[i].strip() if i is not None and i < len(row) else ""


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
