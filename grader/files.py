"""Reading and writing files: the I/O edge of the core.

Everything here turns a file into plain data or back, and turns every way a file can be
unreadable into one :class:`~grader.errors.BackpropError` line.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import threading
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .errors import BackpropError
from .model import Instance
from .validation import instance_from_dict

MAX_BYTES = 50 * 1024 * 1024


def read_bytes(path: str | os.PathLike[str], *, noun: str = "file", plural: str = "files",
               size_hint: str = "", most: int = 0, follow: bool = True) -> bytes:
    """The file's bytes, or an error saying why it cannot be read (no such file, a folder,
    over :data:`MAX_BYTES` or ``most``, no permission); ``noun``/``plural``/``size_hint`` word the
    message. ``follow=False``: a symbolic link is not read but refused (a batch's submissions: see
    :data:`LINK_REFUSED`), and so is anything but a regular file (a named pipe that someone holds
    open would never end)."""
    limit = most or MAX_BYTES
    p = os.fspath(path)
    try:
        # (os-level: a batch reads thousands of files). O_NONBLOCK: a named pipe opens at once
        # instead of waiting for a writer; then reads block again, so a pipe being written
        # (``check <(...)``) is read whole, and one nobody writes to reads as empty, at once
        fd = os.open(p, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK | (0 if follow else os.O_NOFOLLOW))
        try:
            st = os.fstat(fd)
            if not follow and not stat.S_ISREG(st.st_mode):  # (a pipe a classmate holds open never ends)
                what = "a named pipe" if stat.S_ISFIFO(st.st_mode) else "a device"
                raise BackpropError(f"{p}: is {what}, not a file, and a batch reads only files; give the "
                                    f"{noun} itself")
            if stat.S_ISFIFO(st.st_mode):
                os.set_blocking(fd, True)
            size = st.st_size
            if size <= limit:
                data = os.read(fd, size + 1)  # (reading the limit at once would allocate that much)
                if len(data) > size:  # it grew, or its size is not known (0 in /proc, /dev/zero)
                    grown = bytearray(data)  # (appending to bytes would copy it all every time)
                    while limit >= len(grown):
                        more = os.read(fd, 1 << 20)
                        if not more:
                            break
                        grown += more
                    data = bytes(grown)
                size = len(data)
                if not data and stat.S_ISFIFO(st.st_mode):
                    raise BackpropError(f"{p}: is a named pipe, not a file, and nothing was written to "
                                        f"it; give the {noun} itself")
        finally:
            os.close(fd)
        if size > limit:
            raise BackpropError(
                f"{p}: is {size // (1024 * 1024)} MB; "
                f"{plural} over {limit // (1024 * 1024)} MB are not read{size_hint}"
            )
        return data
    except IsADirectoryError:
        raise BackpropError(f"{p}: is a folder; give a {noun}") from None
    except FileNotFoundError:
        raise BackpropError(f"{p}: no such file{_with_suffix(p)}") from None
    except PermissionError:
        raise BackpropError(f"{p}: not allowed to read this file (check its permissions)") from None
    except OSError as exc:
        if not follow and exc.errno == errno.ELOOP and os.path.islink(p):
            raise BackpropError(f"{p}: {LINK_REFUSED}") from None
        raise BackpropError(f"{p}: cannot be read ({exc.strerror or exc})") from None


#: why a batch reads no submission that is a symbolic link: whoever made the link (a student, in
#: a folder of theirs that the instructor's download or a shared hub links to) would have the
#: grader read, with the instructor's rights, any file the link names (a classmate's notebook,
#: whose answers would then show in the linker's feedback)
LINK_REFUSED = ("is a symbolic link, and a batch reads only the files themselves (a link could name a "
                "classmate's file); copy the file there in its place (cp -L) to grade it")


def _with_suffix(path: str) -> str:
    """`` (there is NAME.toml: give the whole name)`` for a name typed without the ``.toml``,
    ``.ipynb`` or ``.json`` of the files beside it (``backprop check student01``), else ``""``."""
    if os.path.splitext(path)[1] or not path or path.endswith(os.sep):
        return ""
    there = [path + ext for ext in (".toml", ".ipynb", ".json") if os.path.isfile(path + ext)]
    return f" (there is {' and '.join(there)}: give the whole name)" if there else ""


def read_text(path: str | os.PathLike[str], *, most: int = 0) -> str:
    """The file's text, or an error saying why it cannot be read (``most``: the largest size
    read, :data:`MAX_BYTES` unless given)."""
    p = Path(path)
    data = read_bytes(p, most=most)
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") and _mostly_ascii_utf16(data):  # (Notepad's "Unicode")
        raise BackpropError(f"{p}: is UTF-16 text; save it as UTF-8")
    if b"\x00" in data:
        raise BackpropError(f"{p}: is a binary file, not text; give the .toml (or .json) file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise BackpropError(f"{p}: is not UTF-8 text (line {line}, byte {exc.start}); "
                            "save it as UTF-8") from None


def _mostly_ascii_utf16(data: bytes) -> bool:
    """Whether ``data`` (with a UTF-16 byte-order mark) reads as UTF-16 text that is mostly
    ASCII, as a handout is: not bytes that merely begin as a byte-order mark does."""
    try:
        text = data.decode("utf-16")
    except UnicodeDecodeError:
        return False
    return len(text) > 0 and sum(c.isascii() for c in text) >= 0.9 * len(text)


def read_data(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse a TOML file (or JSON when the name ends in ``.json``) into plain data."""
    p = Path(path)
    text = read_text(p)
    kind = "JSON" if p.suffix.lower() == ".json" else "TOML"
    if not text.strip():
        raise BackpropError(f"{p}: is empty; write the {kind} in it")
    if kind == "JSON":
        try:
            data = json.loads(text, object_pairs_hook=_no_duplicates)
        except json.JSONDecodeError as exc:
            raise BackpropError(f"{p}: is not valid JSON: {exc.msg} "
                                f"(line {exc.lineno}, column {exc.colno})") from None
        except _DuplicateKey as exc:
            raise BackpropError(f"{p}: the key {exc.key!r} is given twice in one object; keep one") from None
        except RecursionError:
            raise BackpropError(f"{p}: is not valid JSON: nested too deeply") from None
        except ValueError as exc:  # an integer of more than 4300 digits
            raise BackpropError(f"{p}: is not valid JSON: {_value_error(exc)}") from None
        if not isinstance(data, dict):
            raise BackpropError(
                f"{p}: the JSON must be an object {{...}} of keys and values, not {_kind(data)}"
            )
        return data
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BackpropError(f"{p}: is not valid TOML: {_one_line(exc)}") from None
    except RecursionError:
        raise BackpropError(f"{p}: is not valid TOML: nested too deeply") from None
    except ValueError as exc:  # an integer of more than 4300 digits
        raise BackpropError(f"{p}: is not valid TOML: {_value_error(exc)}") from None


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """JSON objects as dicts, refusing a key given twice (TOML refuses it too)."""
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise _DuplicateKey(key)
        data[key] = value
    return data


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _value_error(exc: ValueError) -> str:
    """A parser's ValueError for a user: Python's integer-size limit, or the parser's words."""
    if "integer string conversion" in str(exc):
        return "a number has thousands of digits; write an ordinary number such as 0.5"
    return _one_line(exc)


def _kind(data: Any) -> str:
    if isinstance(data, list):
        return "a list [...]"
    if isinstance(data, str):
        return "a string"
    if isinstance(data, bool) or data is None:
        return json.dumps(data)
    return "a number"


def load_instance(path: str | os.PathLike[str]) -> Instance:
    """Read and validate an instance file (TOML, or JSON with the same structure).

    A handout file (with ``[instance]``, ``[meta]`` and ``[answers]``) is accepted too: its
    ``[instance]`` table is the instance, and error messages name its keys ``instance.<key>``.
    """
    data = read_data(path)
    if "instance" in data:
        return instance_from_dict(data["instance"], str(path), table="instance")
    return instance_from_dict(data, str(path))


def utf8(text: str) -> bytes:
    """``text`` as UTF-8 bytes. A character UTF-8 cannot hold (a lone surrogate such as
    ``\\ud800``, which a notebook's JSON may spell as a valid escape) is written as its escape
    ``\\ud800`` instead of failing: the output of one odd file is kept, not lost."""
    return text.encode("utf-8", "backslashreplace")


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` to the open file ``fd`` (os.write may write fewer)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def write_atomic(path: str | os.PathLike[str], content: str | bytes | Iterable[str], *, private: bool = False,
                 unless_same: bool = False) -> None:
    """Write ``content`` to ``path`` so that readers see the old file or the new, never half.

    The bytes go to a temporary file beside ``path`` (named after this process and thread, so
    concurrent writers never share one), which then replaces ``path``; missing folders are made.
    ``content``: text, bytes, or text in chunks (written as they come, never held whole: a class
    file of 100,000 students is tens of MB, and its chunks many more).
    ``private``: readable by the owner only (the key with every student's answers).
    ``unless_same``: ``path`` is left as it is when it holds these bytes already (compared once
    they are written: chunks are never held whole).
    """
    mode = 0o600 if private else 0o666
    target = os.fspath(path)
    folder, name = os.path.split(target)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    except FileNotFoundError:
        os.makedirs(folder or ".", exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        try:
            if private:  # also when a leftover temporary file had other permissions
                os.fchmod(fd, 0o600)
            _write_content(fd, content)
        finally:
            os.close(fd)
        if unless_same and _same_bytes(tmp, target):
            os.unlink(tmp)
        else:
            os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _write_content(fd: int, content: str | bytes | Iterable[str]) -> None:
    if isinstance(content, bytes):
        write_all(fd, content)
    elif isinstance(content, str):
        write_all(fd, utf8(content))
    else:  # chunks of text, written 64 KiB at a time
        batch: list[str] = []
        size = 0
        for chunk in content:
            batch.append(chunk)
            size += len(chunk)
            if size >= 1 << 16:
                write_all(fd, utf8("".join(batch)))
                batch, size = [], 0
        write_all(fd, utf8("".join(batch)))


def _same_bytes(a: str, b: str) -> bool:
    try:
        if os.path.getsize(a) != os.path.getsize(b):
            return False
        with open(a, "rb") as fa, open(b, "rb") as fb:
            while True:
                x, y = fa.read(1 << 20), fb.read(1 << 20)
                if x != y:
                    return False
                if not x:
                    return True
    except OSError:
        return False
