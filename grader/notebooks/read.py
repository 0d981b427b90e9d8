"""Reading a notebook's answers without running it (the default everywhere).

Every code cell is parsed with :mod:`ast`, in notebook order; top-level assignments to quantity
ids are answers, and the last one wins (tagged or not, in any cell, split or merged). The value
may be a number or an arithmetic expression over numbers, ``exp``, the given values and names
assigned earlier to plain values; it is evaluated by :func:`grader.expr.evaluate_node`, never
``eval``. ``o_A = ...`` (the handout's placeholder) is unanswered and does not override an
earlier answer. A cell with a syntax error loses only the lines that cannot be read. An answer
that needs anything else (a call of the student's own function, a loop) is invalid with a
message starting ``needs execution``.

File problems (empty, not JSON, truncated, binary, not nbformat 4) are one
:class:`~grader.errors.BackpropError` line each.
"""

from __future__ import annotations

import ast
import json
import math
import os
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..answers import Answer, Submission, unknown_message
from ..errors import BackpropError
from ..expr import ExprError, evaluate, evaluate_node
from ..files import read_bytes
from ..model import Instance, instance_from_dict

_ASSIGN_RE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)")
_NAN_NAMES = {"nan", "NaN", "NAN"}


@dataclass(frozen=True)
class Notebook:
    """A notebook file read as plain data: its code cells and its ``metadata.backprop``."""

    path: str
    code: tuple[tuple[str, tuple[str, ...]], ...]  # (source, tags) per code cell, in order
    meta: Mapping[str, Any] | None


# --------------------------------------------------------------------------- the file


def load_notebook(path: str | os.PathLike[str], data: bytes | None = None) -> Notebook:
    """Read a notebook file into a :class:`Notebook`; BackpropError if it cannot be read."""
    p = str(path)
    if data is None:
        data = read_bytes(p, noun="notebook file", plural="notebooks", size_hint=" (clear the outputs)")
    return parse_notebook(data, p)


def parse_notebook(data: bytes, source: str) -> Notebook:
    if not data.strip():
        raise BackpropError(f"{source}: is empty (0 cells); submit the saved notebook")
    if b"\x00" in data[:8192]:
        raise BackpropError(f"{source}: is a binary file, not a notebook")
    try:
        text = data.decode("utf-8-sig")
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
            src = "".join(s for s in src if isinstance(s, str))
        if not isinstance(src, str):
            continue
        meta = cell.get("metadata")
        tags = meta.get("tags", []) if isinstance(meta, dict) else []
        code.append((src, tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else ()))
    metadata = nb.get("metadata")
    backprop = metadata.get("backprop") if isinstance(metadata, dict) else None
    return Notebook(source, tuple(code), backprop if isinstance(backprop, dict) else None)


# --------------------------------------------------------------------------- the answers


def _strip_magics(source: str) -> str:
    """IPython magics and shell lines (``%time``, ``!ls``) become blank lines (lines keep their numbers)."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.split("\n"))


def parse_cell(source: str) -> tuple[list[ast.stmt], list[tuple[int, str]]]:
    """The statements of a cell, and the lines (number, text) lost to syntax errors.

    A syntax error blanks out only the line it is on, and parsing is tried again; what still
    does not parse is read line by line.
    """
    lines = _strip_magics(source).split("\n")
    lost: list[tuple[int, str]] = []
    for _ in range(min(len(lines), 50) + 1):
        try:
            return ast.parse("\n".join(lines)).body, lost
        except SyntaxError as exc:
            n = (exc.lineno or 0) - 1
            if not 0 <= n < len(lines) or not lines[n].strip():
                break
            lost.append((n + 1, lines[n]))
            lines[n] = ""
        except (ValueError, MemoryError, RecursionError):
            break
    body: list[ast.stmt] = []
    for i, line in enumerate(lines):
        if not line.strip() or line[:1].isspace():
            continue
        try:
            stmts = ast.parse(line).body
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            if (i + 1, line) not in lost:
                lost.append((i + 1, line))
            continue
        for s in stmts:
            ast.increment_lineno(s, i)
        body.extend(stmts)
    return body, sorted(lost)


def _special_value(node: ast.expr, names: Mapping[str, float]) -> float | None:
    """Values the arithmetic evaluator does not take but a notebook may hold: strings with a
    number (read like TOML answers), ``float("...")``, ``math.nan`` / ``np.nan``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
        if not text.strip():
            raise ExprError("is an empty string, not a number")
        if text.strip() in _NAN_NAMES:
            raise ExprError("is not a number (NaN)")
        value = evaluate(text, names)
        return value
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "float"
            and len(node.args) == 1 and not node.keywords and isinstance(node.args[0], ast.Constant)):
        arg = node.args[0].value
        try:
            value = float(arg)
        except (TypeError, ValueError):
            raise ExprError(f"float({arg!r}) is not a number") from None
        if math.isnan(value):
            raise ExprError("is not a number (NaN)")
        return evaluate_node(ast.Constant(value), names)
    if isinstance(node, ast.Attribute) and node.attr in _NAN_NAMES and isinstance(node.value, ast.Name):
        raise ExprError("is not a number (NaN)")
    if isinstance(node, ast.Name) and node.id in _NAN_NAMES and node.id not in names:
        raise ExprError("is not a number (NaN)")
    return None


def _value(node: ast.expr, names: Mapping[str, float], dynamic: Collection[str]) -> float:
    special = _special_value(node, names)
    if special is not None:
        return special
    try:
        return evaluate_node(node, names)
    except ExprError as exc:
        m = re.match(r"unknown name '([^']+)'", exc.message)
        if m and m.group(1) in dynamic:
            raise ExprError(f"needs execution: uses {m.group(1)!r}, which only running the notebook defines") from None
        raise


def _targets(stmt: ast.stmt) -> list[tuple[str, ast.expr | None]]:
    """(name, value node) pairs a top-level statement assigns; value None when not a plain value."""
    if isinstance(stmt, ast.Assign):
        out: list[tuple[str, ast.expr | None]] = []
        for target in stmt.targets:
            if isinstance(target, ast.Name):
                out.append((target.id, stmt.value))
            elif isinstance(target, (ast.Tuple, ast.List)):
                values = stmt.value.elts if isinstance(stmt.value, (ast.Tuple, ast.List)) else None
                for i, elt in enumerate(target.elts):
                    if isinstance(elt, ast.Name):
                        same = values is not None and len(values) == len(target.elts)
                        out.append((elt.id, values[i] if same else None))
        return out
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
        return [(stmt.target.id, stmt.value)]
    # anything else that binds a name (loops, with, augmented assignment, def, import...) needs running
    return [(n.id, None) for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)] + [
        (n.name, None) for n in ast.walk(stmt) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]


def _how(stmt: ast.stmt) -> str:
    kinds = {ast.For: "a for loop", ast.While: "a while loop", ast.If: "an if statement",
             ast.With: "a with block", ast.Try: "a try block", ast.AugAssign: "an augmented assignment",
             ast.FunctionDef: "a function", ast.Import: "an import", ast.ImportFrom: "an import"}
    return kinds.get(type(stmt), "a statement that is not a plain assignment")


def read_answers(
    cells: Collection[str], ids: Collection[str], givens: Mapping[str, float],
) -> tuple[dict[str, Answer], list[str]]:
    """The answers by quantity id read from code cell sources, and warnings (lost lines)."""
    valid = set(ids)
    names: dict[str, float] = dict(givens)
    answers: dict[str, Answer] = {}
    warnings: list[str] = []
    parsed = [parse_cell(src) for src in cells]
    dynamic = {name for body, _ in parsed for stmt in body for name, node in _targets(stmt) if node is None}
    for number, (body, lost) in enumerate(parsed, 1):
        for line_no, line in lost:
            m = _ASSIGN_RE.match(line)
            if m and m.group(1) in valid:
                qid = m.group(1)
                shown = line.split("=", 1)[1].strip()[:60]
                answers[qid] = Answer(qid, shown, None, f"has a syntax error (code cell {number}, line {line_no}); "
                                                          "write a number or an arithmetic expression")
                names.pop(qid, None)
            else:
                warnings.append(f"code cell {number}, line {line_no}: syntax error, line ignored: {line.strip()[:60]!r}")
        for stmt in body:
            for name, node in _targets(stmt):
                if node is None:
                    names.pop(name, None)
                    if name in valid:
                        answers[name] = Answer(name, None, None,
                                               f"needs execution: assigned in {_how(stmt)} (code cell {number}); "
                                               "write a plain value or grade with --execute")
                    continue
                if isinstance(node, ast.Constant) and (node.value is Ellipsis or node.value is None):
                    continue  # the handout's placeholder: unanswered, keeps any earlier answer
                shown = _shown(node)
                try:
                    value = _value(node, names, dynamic)
                except ExprError as exc:
                    names.pop(name, None)
                    if name in valid:
                        answers[name] = Answer(name, shown, None, exc.message)
                    continue
                names[name] = value
                if name in valid:
                    answers[name] = Answer(name, shown, value)
    return answers, warnings


def _shown(node: ast.expr) -> str | float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) \
            and isinstance(node.operand.value, (int, float)) and not isinstance(node.operand.value, bool):
        return -node.operand.value
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


# --------------------------------------------------------------------------- submissions


def embedded_instance(nb: Notebook) -> Instance | None:
    """The instance in ``metadata.backprop``, or None when absent or not a valid instance."""
    if nb.meta is None or not isinstance(nb.meta.get("instance"), dict):
        return None
    try:
        return instance_from_dict(nb.meta["instance"], f"{nb.path}: metadata.backprop.instance")
    except BackpropError:
        return None


def asked_ids(nb: Notebook, ids: Collection[str]) -> tuple[str, ...] | None:
    """The asked ids: ``metadata.backprop.asked``, else the ids on lines of ``answer``-tagged cells."""
    order = list(ids)
    raw = nb.meta.get("asked") if nb.meta else None
    if isinstance(raw, list):
        listed = {a for a in raw if isinstance(a, str)}
        found = tuple(i for i in order if i in listed)
        if found:
            return found
    tagged = {m.group(1) for src, tags in nb.code if "answer" in tags
              for m in (_ASSIGN_RE.match(line) for line in src.split("\n")) if m}
    found = tuple(i for i in order if i in tagged)
    return found or None


def submission_from_notebook(nb: Notebook, instance: Instance | None = None) -> Submission:
    """The :class:`Submission` of a notebook, graded on ``instance`` (default: the embedded one)."""
    from ..solver import givens, solve

    warnings: list[str] = []
    if instance is None:
        if nb.meta is None:
            raise BackpropError(f"{nb.path}: has no backprop metadata, so its problem is unknown; "
                                "use the notebook you were given (or ask your instructor)")
        instance = embedded_instance(nb)
        if instance is None:
            try:
                instance_from_dict(nb.meta.get("instance"), f"{nb.path}: metadata.backprop.instance")
            except BackpropError as exc:
                raise BackpropError(exc.message) from None
            raise BackpropError(f"{nb.path}: metadata.backprop.instance is missing")
    trace = solve(instance)
    answers, lost = read_answers([src for src, _ in nb.code], trace.ids, givens(instance))
    warnings += lost
    unknown = tuple(sorted({m.group(1) for src, tags in nb.code if "answer" in tags
                            for m in (_ASSIGN_RE.match(line) for line in src.split("\n"))
                            if m and m.group(1) not in set(trace.ids) and _looks_like_id(m.group(1))}))
    warnings += [unknown_message(u, trace.ids) for u in unknown]
    meta = dict(nb.meta) if nb.meta else {}
    return Submission(instance, answers, meta, tuple(warnings), asked_ids(nb, trace.ids), unknown)


def _looks_like_id(name: str) -> bool:
    return bool(re.match(r"(p|o|delta|dw|new_w)_[A-Za-z0-9_]+\Z|P(_step\d+)?\Z", name))


def read_notebook_submission(
    path: str | os.PathLike[str], instance: Instance | None = None, *, execute: bool = False,
) -> Submission:
    """Read a filled-in notebook handout (``backprop check FILE.ipynb``).

    By default nothing runs. With ``execute``, the notebook is also run in the sandbox
    (:mod:`.execute`) and the values its kernel holds replace the statically read ones; a
    notebook that cannot be run is a :class:`~grader.errors.BackpropError` with the reason.
    """
    sub = submission_from_notebook(load_notebook(Path(path)), instance)
    if not execute:
        return sub
    from dataclasses import replace

    from ..solver import solve
    from .execute import execute_values

    values = execute_values(str(path), solve(sub.instance).ids)
    return replace(sub, answers=merge_executed(sub.answers, values))


def merge_executed(answers: Mapping[str, Answer], values: Mapping[str, Any]) -> dict[str, Answer]:
    """Static answers overridden by the kernel's values (numbers; other values are invalid)."""
    merged = dict(answers)
    for qid, v in values.items():
        if isinstance(v, float):
            merged[qid] = Answer(qid, v, v)
        elif qid not in merged or merged[qid].value is None:
            merged[qid] = Answer(qid, v, None, "is not a number (NaN)" if v == "nan" else f"is not a number: {v}")
    return merged
