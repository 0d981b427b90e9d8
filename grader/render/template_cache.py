"""The compiled templates, kept between commands in the user's cache folder.

jinja2 compiles a template to Python the first time a process asks for it: about 55 ms for the
seven templates of ``backprop grade`` (its report page alone 16 ms), in every command, before
the first line is rendered. jinja2's bytecode cache keeps the compiled code; this one keeps it
under ``$XDG_CACHE_HOME/backprop-grader/templates`` (``~/.cache/...``), one file per template,
found by the template's path and checked against its source (sha1), so an edited template is
compiled again. The code also depends on the environment's settings and on jinja2's and
Python's versions: they are part of the cache's folder name (``settings``), so a change of any
of them starts a fresh folder.

What is read from the cache is run, so the folder must be this user's own: one made here with
mode 0700, and one found that another user owns or others may write into is not used. Nothing
here ever fails a command: a folder that cannot be made or written (a read-only home, a full
disk), or a damaged file, means the template is compiled as without a cache.

``BACKPROP_TEMPLATE_CACHE=off`` turns it off (the plain way, which the tests compare it with);
``BACKPROP_TEMPLATE_CACHE=DIR`` puts it in DIR.

Measured: ``backprop grade`` of 1,000 notebooks (``bench/scale_class.py``'s class, OUT on
/dev/shm, medians of 9 cold runs side by side with the cache off): ``--jobs 1`` 1.137 s against
1.093 s (4%), ``--jobs 2`` 0.848 s against 0.782 s (8%).
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
import types
from typing import Any

import jinja2
from jinja2.bccache import Bucket

#: turns the cache off (``off``) or gives its folder
SETTING = "BACKPROP_TEMPLATE_CACHE"


def bytecode_cache(settings: str) -> jinja2.BytecodeCache | None:
    """The cache for an environment whose compile-time settings are ``settings`` (a string);
    None when it is turned off or there is no safe folder for it."""
    where = os.environ.get(SETTING, "")
    if where.lower() in ("off", "0", "no"):
        return None
    if not where:
        cache = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
        if not os.path.isabs(cache):  # (no home: "~" is not expanded)
            return None
        where = os.path.join(cache, "backprop-grader", "templates")
    tag = f"{settings}|jinja2 {jinja2.__version__}|python {sys.version_info[:2]}"
    folder = os.path.join(where, hashlib.sha1(tag.encode()).hexdigest()[:16])
    return TemplateCache(folder) if _own_folder(folder) else None


def _own_folder(folder: str) -> bool:
    """Whether ``folder`` is (or now is) a folder this user owns that nobody else may write into
    (never where the system has no user ids to tell: Windows)."""
    if not hasattr(os, "getuid"):
        return False
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        st = os.lstat(folder)
    except OSError:
        return False
    return (stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid()
            and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH))


class TemplateCache(jinja2.FileSystemBytecodeCache):
    """jinja2's file cache that never fails a command (see the module's text)."""

    def __init__(self, folder: str) -> None:
        super().__init__(folder, "%s.cache")

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # (a damaged file: EOFError, ValueError, TypeError from marshal)
            bucket.reset()
        if bucket.code is not None and not isinstance(bucket.code, types.CodeType):
            bucket.reset()  # (damaged into another value: only compiled code is run)

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:  # (read-only, full: the next command compiles it again)
            pass


def describe(env: Any) -> str:
    """The settings of ``env`` that the compiled code depends on."""
    names = ("block_start_string", "block_end_string", "variable_start_string", "variable_end_string",
             "comment_start_string", "comment_end_string", "line_statement_prefix", "line_comment_prefix",
             "trim_blocks", "lstrip_blocks", "newline_sequence", "keep_trailing_newline", "autoescape",
             "optimized")
    return repr([(n, getattr(env, n, None)) for n in names] + [sorted(env.extensions)])
