"""A notebook file read as plain data: its code cells and its ``metadata.backprop``.

File problems (empty, not JSON, truncated, binary, not nbformat 4, over :data:`MAX_CODE`
characters of code) are one :class:`~grader.errors.BackpropError` line each. A lone surrogate
(the JSON escape ``\\ud800``: valid JSON, but no character) in a code cell or the metadata
becomes U+FFFD when the file is read, so that nothing read from it fails to print or write.
"""

from __future__ import annotations

import codecs
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import BackpropError
from ..files import read_bytes

SURROGATE_RE = re.compile("[\ud800-\udfff]")
#: the most characters of code a notebook may hold: a handout's answers take a few thousand, and
#: reading tens of millions would take seconds (each answer line makes an Answer)
MAX_CODE = 1_000_000
_is_str = str.__instancecheck__  # isinstance(x, str), for filter()


@dataclass(frozen=True)
class Notebook:
    """A notebook file read as plain data: its code cells and its ``metadata.backprop``."""

    path: str
    code: tuple[tuple[str, tuple[str, ...]], ...]  # (source, tags) per code cell, in order
    meta: Mapping[str, Any] | None


def load_notebook(path: str | os.PathLike[str], data: bytes | None = None) -> Notebook:
    """Read a notebook file into a :class:`Notebook`; BackpropError if it cannot be read."""
    p = str(path)
    if data is None:
        data = read_bytes(p, noun="notebook file", plural="notebooks", size_hint=" (clear the outputs)")
    return parse_notebook(data, p)


def parse_notebook(data: bytes, source: str) -> Notebook:
    if not data or data.isspace():  # (not data.strip(), without copying the file)
        raise BackpropError(f"{source}: is empty (0 cells); submit the saved notebook")
    if data.find(b"\x00", 0, 8192) != -1:
        raise BackpropError(f"{source}: is a binary file, not a notebook")
    try:
        # what decode("utf-8-sig") does (the byte offset of an error counted after the BOM),
        # without its codec written in Python
        text = data[3:].decode() if data.startswith(codecs.BOM_UTF8) else data.decode()
    except UnicodeDecodeError as exc:
        raise BackpropError(f"{source}: is not a notebook (not UTF-8 text at byte {exc.start})") from None
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()) - 1 or not text.rstrip().endswith("}"):
            raise BackpropError(f"{source}: the notebook is cut off (truncated JSON at line {exc.lineno}); "
                                "submit the complete file") from None
        raise BackpropError(f"{source}: is not a notebook (invalid JSON: {exc.msg} at line {exc.lineno}, "
                            f"column {exc.colno})") from None
    except RecursionError:
        raise BackpropError(f"{source}: is not a notebook (JSON nested too deeply)") from None
    except ValueError:  # an integer of more than 4300 digits (Python's limit on reading one)
        raise BackpropError(f"{source}: is not a notebook (a number in it has thousands of digits); "
                            "submit the notebook as Jupyter saved it") from None
    if not isinstance(nb, dict) or "cells" not in nb and "worksheets" not in nb:
        raise BackpropError(f"{source}: is JSON but not a Jupyter notebook (no cells)")
    version = nb.get("nbformat")
    if version != 4:
        shown = "missing" if version is None else repr(version)
        raise BackpropError(f"{source}: nbformat version {shown} is not supported; open and save it in "
                            "Jupyter to get an nbformat 4 notebook")
    cells = nb.get("cells")
    if not isinstance(cells, list):
        raise BackpropError(f"{source}: is not a valid notebook (cells is not a list)")
    code = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        if isinstance(src, list):
            try:
                src = "".join(src)
            except TypeError:  # not only strings
                src = "".join(s for s in src if isinstance(s, str))
        if not isinstance(src, str):
            continue
        meta = cell.get("metadata")
        tags = meta.get("tags", []) if isinstance(meta, dict) else []
        code.append((src, tuple(filter(_is_str, tags)) if isinstance(tags, list) else ()))
    size = sum(len(src) for src, _ in code)
    if size > MAX_CODE:
        raise BackpropError(f"{source}: its code cells hold {size / 1e6:.1f} million characters; at most "
                            f"{MAX_CODE / 1e6:g} million are read (answers take a line each): "
                            "remove the large cell")
    metadata = nb.get("metadata")
    backprop = metadata.get("backprop") if isinstance(metadata, dict) else None
    backprop = backprop if isinstance(backprop, dict) else None
    if "\\ud" in text or "\\uD" in text:  # a lone surrogate (\ud800) is valid JSON, but no text
        code = [(SURROGATE_RE.sub("\ufffd", src), tags) for src, tags in code]
        backprop = _without_surrogates(backprop, source)
    return Notebook(source, tuple(code), backprop)


def _without_surrogates(value: Any, source: str) -> Any:
    """``value`` with every lone surrogate in its strings replaced by U+FFFD (the replacement
    character), so that whatever is read from the notebook can be printed and written."""
    try:
        if isinstance(value, str):
            return SURROGATE_RE.sub("\ufffd", value)
        if isinstance(value, list):
            return [_without_surrogates(v, source) for v in value]
        if isinstance(value, dict):
            return {_without_surrogates(k, source): _without_surrogates(v, source) for k, v in value.items()}
    except RecursionError:
        raise BackpropError(f"{source}: is not a notebook (its metadata is nested too deeply)") from None
    return value

